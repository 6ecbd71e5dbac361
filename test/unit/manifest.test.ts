import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { drawColorIcon, drawOutlineIcon, ACCENT_COLOR } from '../../scripts/make-icons.js';
import {
  buildAppPackage,
  bundledSchemaFor,
  checkIcons,
  fillPlaceholders,
  LOCAL_BOT_ID,
  manifestValues,
  MANIFEST_DIR,
  PackageError,
  validateManifest,
} from '../../scripts/package.js';

interface Command {
  title: string;
  description: string;
}
interface Manifest {
  $schema: string;
  manifestVersion: string;
  version: string;
  id: string;
  name: { short: string; full?: string };
  description: { short: string; full: string };
  icons: { color: string; outline: string };
  accentColor: string;
  bots: { botId: string; scopes: string[]; supportsFiles?: boolean; commandLists: { scopes: string[]; commands: Command[] }[] }[];
  validDomains: string[];
}

const template = readFileSync(join(MANIFEST_DIR, 'manifest.json'), 'utf8');
const ENV = {
  TEAMS_APP_ID: '11111111-2222-3333-4444-555555555555',
  BOT_ID: '66666666-7777-8888-9999-000000000000',
  APP_VERSION: '1.4.2',
  DEVELOPER_URL: 'https://overlast.dordrecht.example',
  PRIVACY_URL: 'https://overlast.dordrecht.example/privacy',
  TERMS_URL: 'https://overlast.dordrecht.example/voorwaarden',
  BOT_DOMAIN: 'overlastbot.dordrecht.example',
};
function filled(env: Record<string, string> = ENV): Manifest {
  const { values, problems } = manifestValues(env);
  expect(problems).toEqual([]);
  const { text, unknown } = fillPlaceholders(template, { ...values });
  expect(unknown).toEqual([]);
  return JSON.parse(text) as Manifest;
}
const readPng = (name: string) => PNG.sync.read(readFileSync(join(MANIFEST_DIR, name)));

const tmp = mkdtempSync(join(tmpdir(), 'overlastbot-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Teams app manifest', () => {
  it('uses a manifest version of 1.19 or later whose schema is bundled (validation stays offline)', () => {
    const m = filled();
    const [major, minor] = m.manifestVersion.split('.').map(Number);
    expect(major).toBe(1);
    expect(minor).toBeGreaterThanOrEqual(19);
    expect(m.$schema).toContain(`/v${m.manifestVersion}/`);
    expect(() => bundledSchemaFor(m)).not.toThrow();
  });

  it('is valid against the Teams schema once the placeholders are filled', async () => {
    const m = filled();
    const errors = await AppManifestUtils.validateAgainstSchema(
      m as unknown as AppManifest,
      bundledSchemaFor(m) as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1],
    );
    expect(errors).toEqual([]);
    expect(await validateManifest(m)).toEqual([]);
  });

  it('takes every placeholder from the environment', () => {
    const m = filled();
    expect(JSON.stringify(m)).not.toMatch(/\$\{\{/);
    expect(m.id).toBe(ENV.TEAMS_APP_ID);
    expect(m.bots[0]!.botId).toBe(ENV.BOT_ID);
    expect(m.version).toBe(ENV.APP_VERSION);
    expect(m.validDomains).toEqual([ENV.BOT_DOMAIN]);
  });

  it('takes the developer links from DEVELOPER_URL, PRIVACY_URL and TERMS_URL', () => {
    const m = JSON.parse(fillPlaceholders(template, { ...manifestValues(ENV).values }).text) as { developer: Record<string, string> };
    expect(m.developer.websiteUrl).toBe(ENV.DEVELOPER_URL);
    expect(m.developer.privacyUrl).toBe(ENV.PRIVACY_URL);
    expect(m.developer.termsOfUseUrl).toBe(ENV.TERMS_URL);
    // Without PRIVACY_URL / TERMS_URL they are derived from DEVELOPER_URL, with a warning each.
    const derived = manifestValues({ ...ENV, PRIVACY_URL: '', TERMS_URL: ' ' });
    expect(derived.values.PRIVACY_URL).toBe(`${ENV.DEVELOPER_URL}/privacy`);
    expect(derived.values.TERMS_URL).toBe(`${ENV.DEVELOPER_URL}/gebruiksvoorwaarden`);
    expect(derived.warnings.filter((w) => /^(PRIVACY_URL|TERMS_URL) not set/.test(w))).toHaveLength(2);
    // A fully configured environment builds without warnings.
    expect(manifestValues(ENV).warnings).toEqual([]);
  });

  it('fills placeholders as JSON string content and reports unknown ones', () => {
    const { text, unknown } = fillPlaceholders('{"a":"${{X}}","b":"${{ NOPE }}"}', { X: 'say "hi"\\' });
    expect(unknown).toEqual(['NOPE']);
    expect(JSON.parse(text.replace('${{ NOPE }}', ''))).toEqual({ a: 'say "hi"\\', b: '' });
  });

  it('falls back to MICROSOFT_APP_ID, then to local defaults with warnings', () => {
    const fromAppId = manifestValues({ MICROSOFT_APP_ID: ENV.BOT_ID });
    expect(fromAppId.values.BOT_ID).toBe(ENV.BOT_ID);
    const local = manifestValues({});
    expect(local.problems).toEqual([]);
    expect(local.values.BOT_ID).toBe(LOCAL_BOT_ID);
    expect(local.values.APP_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(local.warnings.some((w) => w.startsWith('BOT_ID'))).toBe(true);
  });

  it('rejects bad environment values with one clear line each', () => {
    const { problems } = manifestValues({ ...ENV, BOT_ID: 'not-a-guid', APP_VERSION: 'v1', BOT_DOMAIN: 'https://x.example/bot', PRIVACY_URL: 'http://x' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/BOT_ID.*GUID/);
    expect(problems.join('\n')).toMatch(/APP_VERSION/);
    expect(problems.join('\n')).toMatch(/BOT_DOMAIN.*without scheme/);
    expect(problems.join('\n')).toMatch(/PRIVACY_URL.*https/);
  });

  it('reports schema violations as readable lines', async () => {
    const m = filled();
    m.name.short = 'Een veel te lange naam voor de Overlastbot';
    const problems = await validateManifest(m);
    expect(problems.some((p) => p.includes('/name/short') && p.includes('30'))).toBe(true);
  });

  it('offers the bot in personal chat only, without files', () => {
    const m = filled();
    expect(m.bots).toHaveLength(1);
    expect(m.bots[0]!.scopes).toEqual(['personal']);
    expect(m.bots[0]!.supportsFiles).toBe(false);
    for (const list of m.bots[0]!.commandLists) expect(list.scopes).toEqual(['personal']);
  });

  it('lists the Dutch commands with Dutch descriptions within Teams limits', () => {
    const commands = filled().bots[0]!.commandLists.flatMap((l) => l.commands);
    expect(commands.map((c) => c.title)).toEqual(['help', 'melding', 'mijn meldingen', 'casus', 'terugkoppeling', 'overleg']);
    const dutch = /\b(je|jouw|een|de|het|van|voor|over|en|bekijk|doe|laat|koppel)\b/i;
    for (const c of commands) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.description.length).toBeLessThanOrEqual(128);
      expect(c.description, c.title).toMatch(dutch);
      expect(c.description, c.title).not.toMatch(/\b(the|your|show|view|create|list)\b/i);
    }
  });

  it('has a Dutch name and descriptions and an accent colour matching the icon', () => {
    const m = filled();
    expect(m.name.short).toBe('Overlastbot');
    expect(m.description.short).toMatch(/overlast/i);
    expect(m.description.full).toMatch(/wijkmanager/);
    expect(m.description.full).toMatch(/persoonlijke gesprek/);
    expect(m.accentColor.toUpperCase()).toBe(ACCENT_COLOR.toUpperCase());
  });
});

describe('app icons', () => {
  it('color.png is 192×192 and opaque', () => {
    const color = readPng('color.png');
    expect([color.width, color.height]).toEqual([192, 192]);
    for (let i = 3; i < color.data.length; i += 4) expect(color.data[i]).toBe(255);
  });

  it('outline.png is 32×32, white on a transparent background', () => {
    const outline = readPng('outline.png');
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let transparent = 0;
    let opaque = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      const a = outline.data[i + 3]!;
      if (a === 0) transparent++;
      else {
        if (a === 255) opaque++;
        expect([outline.data[i], outline.data[i + 1], outline.data[i + 2]]).toEqual([255, 255, 255]);
      }
    }
    // Corners are background; a real share of the icon is drawn.
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]] as const) expect(outline.data[(y * 32 + x) * 4 + 3]).toBe(0);
    expect(transparent).toBeGreaterThan(32 * 32 * 0.4);
    expect(opaque).toBeGreaterThan(32 * 32 * 0.15);
  });

  it('the committed PNGs are what scripts/make-icons.ts draws', () => {
    expect(readPng('color.png').data.equals(drawColorIcon().data)).toBe(true);
    expect(readPng('outline.png').data.equals(drawOutlineIcon().data)).toBe(true);
  });
});

describe('npm run package', () => {
  it('writes a zip with manifest.json, color.png and outline.png at its root', async () => {
    const outFile = join(tmp, 'appPackage.zip');
    const result = await buildAppPackage({ env: ENV, outFile });
    expect(result.outFile).toBe(outFile);
    const zip = await JSZip.loadAsync(readFileSync(outFile));
    const names = Object.values(zip.files)
      .filter((f) => !f.dir)
      .map((f) => f.name)
      .sort();
    expect(names).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as Manifest;
    expect(manifest.bots[0]!.botId).toBe(ENV.BOT_ID);
    expect(await validateManifest(manifest)).toEqual([]);
    const color = PNG.sync.read(await zip.file('color.png')!.async('nodebuffer'));
    expect(color.width).toBe(192);
  });

  it('builds the same zip, byte for byte, from the same input', async () => {
    const a = join(tmp, 'a.zip');
    const b = join(tmp, 'b.zip');
    await buildAppPackage({ env: ENV, outFile: a });
    await buildAppPackage({ env: ENV, outFile: b });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('refuses icons Teams would reject: wrong size, an outline that is not white on transparent', async () => {
    const dir = join(tmp, 'bad-icons');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(MANIFEST_DIR, 'manifest.json'), join(dir, 'manifest.json'));
    // The outline icon used as the colour icon (32×32), and an opaque, coloured 32×32 "outline".
    copyFileSync(join(MANIFEST_DIR, 'outline.png'), join(dir, 'color.png'));
    const opaque = new PNG({ width: 32, height: 32 });
    for (let i = 0; i < opaque.data.length; i += 4) opaque.data.set([179, 32, 45, 255], i);
    writeFileSync(join(dir, 'outline.png'), PNG.sync.write(opaque));
    const problems = checkIcons(dir);
    expect(problems.join('\n')).toMatch(/icons\.color: must be 192×192, is 32×32/);
    expect(problems.join('\n')).toMatch(/icons\.outline: must have a transparent background/);
    expect(problems.join('\n')).toMatch(/icons\.outline: must be white on transparent/);
    await expect(buildAppPackage({ env: ENV, manifestDir: dir, outFile: join(tmp, 'bad.zip') })).rejects.toThrow(/icons\.color/);
    expect(checkIcons(MANIFEST_DIR)).toEqual([]);
  });

  it('refuses to build with invalid settings and says why', async () => {
    const attempt = buildAppPackage({ env: { ...ENV, BOT_ID: 'x' }, outFile: join(tmp, 'never.zip') });
    await expect(attempt).rejects.toBeInstanceOf(PackageError);
    await expect(attempt).rejects.toThrow(/BOT_ID/);
  });
});
