import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/playground-lib.js';

/**
 * Headless Chromium for the Playground UI tests: Debian's chromium (`apt-get install chromium`,
 * done by .ci/run) driven by playwright-core (no browser download). Every request that does not go
 * to loopback is aborted, so the UI runs offline (it asks a CDN for fonts and an animation worklet
 * and works without them).
 *
 * A missing browser is a failure, never a skip: the test says how to install it.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';

export const CHROMIUM_MISSING =
  `Chromium was not found at ${CHROMIUM_PATH}. The Playground browser tests need it: install it with ` +
  '`apt-get install chromium` (Debian/Ubuntu; .ci/run does this in CI), or point CHROMIUM_PATH at a Chromium binary.';

/** The flags from PLAYGROUND.md: headless, no sandbox (containers), nothing that phones home. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Fixed rendering for screenshots: no smooth scrolling, no scrollbar overlay surprises.
  '--disable-smooth-scrolling',
  '--hide-scrollbars',
  '--force-color-profile=srgb',
];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Non-loopback requests that were aborted (fonts from the Office CDN, …). */
  blocked: string[];
  /** Errors thrown in the page (not console noise about blocked resources). */
  pageErrors: string[];
  /**
   * Writes `test-results/<test>/<nn>-<step>.png` (the whole window) and returns its path. With `fit`,
   * the window is made tall enough for that element (a long card) to show in full first.
   */
  screenshot(step: string, options?: { fit?: Locator }): Promise<string>;
  close(): Promise<void>;
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';

export interface LaunchOptions {
  /** Folder name under test-results/ for the screenshots. */
  testName: string;
  viewport?: { width: number; height: number };
}

/** Launches Chromium with a fresh user-data dir; throws CHROMIUM_MISSING when there is no browser. */
export async function launchBrowser(options: LaunchOptions): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(CHROMIUM_MISSING);
  const userDataDir = mkdtempSync(join(tmpdir(), 'overlastbot-chromium-'));
  const shotsDir = join(REPO_ROOT, 'test-results', options.testName);
  rmSync(shotsDir, { recursive: true, force: true });
  mkdirSync(shotsDir, { recursive: true });

  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      locale: 'nl-NL',
      timezoneId: 'Europe/Amsterdam',
      // No service workers: every request of the page goes through the route below.
      serviceWorkers: 'block',
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let host = '';
    try {
      const u = new URL(url);
      host = u.protocol === 'data:' || u.protocol === 'blob:' ? '127.0.0.1' : u.hostname;
    } catch {
      /* unparsable: blocked */
    }
    if (isLoopback(host)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  // WebSockets are not covered by route(): only loopback ones may connect.
  await context.routeWebSocket(/.*/, (ws) => {
    const host = new URL(ws.url()).hostname;
    if (isLoopback(host)) ws.connectToServer();
    else {
      blocked.push(ws.url());
      void ws.close({ code: 1008, reason: 'offline test' });
    }
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));

  let counter = 0;
  return {
    context,
    page,
    blocked,
    pageErrors,
    async screenshot(step, options = {}) {
      counter++;
      const file = join(shotsDir, `${String(counter).padStart(2, '0')}-${step.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}.png`);
      const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
      const box = options.fit ? await options.fit.boundingBox() : null;
      // Room for the Playground's header and message box around the card.
      const needed = box ? Math.ceil(box.height) + 320 : 0;
      if (needed > viewport.height) await page.setViewportSize({ width: viewport.width, height: Math.min(needed, 6000) });
      try {
        if (options.fit) await options.fit.scrollIntoViewIfNeeded();
        await page.screenshot({ path: file, animations: 'disabled' });
      } finally {
        if (needed > viewport.height) await page.setViewportSize(viewport);
      }
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
