/**
 * Draws the Teams app icons with code: `npx tsx scripts/make-icons.ts` writes
 * manifest/color.png (192×192, full colour) and manifest/outline.png (32×32, white on transparent).
 *
 * The picture: a speech bubble (the bot, a conversation between partners) holding the process's
 * pyramid of three levels — hinder, overlast, ernstige overlast — in traffic-light colours, on the
 * red of the Dordrecht coat of arms. Shapes are signed-distance functions, rendered with 8×8
 * supersampling per pixel for smooth edges; the output is deterministic, so
 * test/unit/manifest.test.ts can check that the committed PNGs match this script.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';

export const ACCENT_COLOR = '#B3202D';

type Rgb = readonly [number, number, number];
/** Signed distance: negative inside, positive outside (in pixels of the target image). */
type Sdf = (x: number, y: number) => number;
interface Layer {
  shape: Sdf;
  /** Colour at a point (for gradients); plain colours ignore the point. */
  color: (x: number, y: number) => Rgb;
  opacity?: number;
}

const hex = (h: string): Rgb => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const solid = (c: Rgb) => () => c;

// ---- shapes -----------------------------------------------------------------------------------

function roundedRect(x0: number, y0: number, x1: number, y1: number, r: number): Sdf {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hw = (x1 - x0) / 2 - r;
  const hh = (y1 - y0) / 2 - r;
  return (x, y) => {
    const qx = Math.abs(x - cx) - hw;
    const qy = Math.abs(y - cy) - hh;
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
  };
}

/** Exact distance to a simple polygon (points in order), sign by even-odd rule. */
function polygon(points: readonly (readonly [number, number])[]): Sdf {
  return (x, y) => {
    let best = Infinity;
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [ax, ay] = points[j]!;
      const [bx, by] = points[i]!;
      const ex = bx - ax;
      const ey = by - ay;
      const t = Math.max(0, Math.min(1, ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey)));
      best = Math.min(best, Math.hypot(x - ax - ex * t, y - ay - ey * t));
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
    }
    return inside ? -best : best;
  };
}

const union =
  (...shapes: Sdf[]): Sdf =>
  (x, y) =>
    Math.min(...shapes.map((s) => s(x, y)));
const intersect =
  (...shapes: Sdf[]): Sdf =>
  (x, y) =>
    Math.max(...shapes.map((s) => s(x, y)));
const subtract =
  (a: Sdf, b: Sdf): Sdf =>
  (x, y) =>
    Math.max(a(x, y), -b(x, y));
/** Horizontal slab between y0 and y1. */
const band =
  (y0: number, y1: number): Sdf =>
  (_x, y) =>
    Math.max(y0 - y, y - y1);

/** Speech bubble: rounded body plus a tail at the lower left. */
function bubble(x0: number, y0: number, x1: number, y1: number, r: number, tail: readonly (readonly [number, number])[]) {
  return { body: roundedRect(x0, y0, x1, y1, r), tail: polygon(tail) };
}

/** The pyramid of three levels, separated by transparent gaps; returns the bands bottom-up. */
function pyramid(apexX: number, apexY: number, baseY: number, halfBase: number, gap: number): Sdf[] {
  const tri = polygon([
    [apexX, apexY],
    [apexX + halfBase, baseY],
    [apexX - halfBase, baseY],
  ]);
  const level = (baseY - apexY - 2 * gap) / 3;
  return [0, 1, 2].map((i) => {
    const bottom = baseY - i * (level + gap);
    return intersect(tri, band(bottom - level, bottom));
  });
}

// ---- rendering --------------------------------------------------------------------------------

const SUBSAMPLES = 8;

function render(size: number, layers: Layer[]): PNG {
  const png = new PNG({ width: size, height: size });
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Premultiplied accumulation of "over" compositing, averaged over the subsamples.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SUBSAMPLES; sy++) {
        for (let sx = 0; sx < SUBSAMPLES; sx++) {
          const x = px + (sx + 0.5) / SUBSAMPLES;
          const y = py + (sy + 0.5) / SUBSAMPLES;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          for (const layer of layers) {
            if (layer.shape(x, y) > 0) continue;
            const [lr, lg, lb] = layer.color(x, y);
            const la = layer.opacity ?? 1;
            cr = lr * la + cr * (1 - la);
            cg = lg * la + cg * (1 - la);
            cb = lb * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const n = SUBSAMPLES * SUBSAMPLES;
      const alpha = a / n;
      const i = (py * size + px) * 4;
      // Un-premultiply; fully transparent pixels are stored as transparent white.
      png.data[i] = alpha > 0 ? Math.round(r / n / alpha) : 255;
      png.data[i + 1] = alpha > 0 ? Math.round(g / n / alpha) : 255;
      png.data[i + 2] = alpha > 0 ? Math.round(b / n / alpha) : 255;
      png.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return png;
}

const RED = hex(ACCENT_COLOR);
const RED_LIGHT = hex('#C8303C');
const RED_DARK = hex('#9A1826');
const WHITE: Rgb = [255, 255, 255];
const AMBER = hex('#F5B400');
const ORANGE = hex('#EC6A0C');
const SHADOW: Rgb = [70, 8, 16];

/** 192×192, full colour: white bubble with the traffic-light pyramid on Dordrecht red. */
export function drawColorIcon(): PNG {
  const size = 192;
  const lerp = (t: number, a: Rgb, b: Rgb): Rgb => [0, 1, 2].map((k) => a[k]! + (b[k]! - a[k]!) * t) as unknown as Rgb;
  const background: Layer = {
    shape: () => -1,
    color: (x, y) => lerp(Math.min(1, Math.max(0, (x + y) / (2 * size))), RED_LIGHT, RED_DARK),
  };
  const tail: [number, number][] = [
    [52, 128],
    [94, 128],
    [44, 166],
  ];
  const b = bubble(26, 30, 166, 138, 26, tail);
  const shadowOffset = (s: Sdf): Sdf => (x, y) => s(x - 3, y - 5);
  const [hinder, overlast, ernstig] = pyramid(96, 42, 124, 58, 7);
  return render(size, [
    background,
    { shape: shadowOffset(union(b.body, b.tail)), color: solid(SHADOW), opacity: 0.28 },
    { shape: union(b.body, b.tail), color: solid(WHITE) },
    { shape: hinder!, color: solid(AMBER) },
    { shape: overlast!, color: solid(ORANGE) },
    { shape: ernstig!, color: solid(RED) },
  ]);
}

/** 32×32, white on transparent: the bubble as an outline, the pyramid solid inside it. */
export function drawOutlineIcon(): PNG {
  const size = 32;
  const stroke = 2;
  const tail: [number, number][] = [
    [8, 22],
    [15, 22],
    [5.5, 30],
  ];
  const b = bubble(2, 2, 30, 24, 5.5, tail);
  const outer = union(b.body, b.tail);
  const inner = union(
    (x, y) => b.body(x, y) + stroke,
    (x, y) => b.tail(x, y) + stroke,
  );
  // Integer band edges (4 px levels, 1 px gaps) keep the levels crisp at this size.
  const levels = pyramid(16, 6, 20, 9, 1);
  return render(size, [
    { shape: subtract(outer, inner), color: solid(WHITE) },
    ...levels.map((shape) => ({ shape, color: solid(WHITE) })),
  ]);
}

export const ICON_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'manifest');

export function writeIcons(dir = ICON_DIR): string[] {
  const files = [
    [join(dir, 'color.png'), drawColorIcon()],
    [join(dir, 'outline.png'), drawOutlineIcon()],
  ] as const;
  for (const [file, png] of files) writeFileSync(file, PNG.sync.write(png, { colorType: 6 }));
  return files.map(([file]) => file);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const file of writeIcons()) console.log(`wrote ${file}`);
}
