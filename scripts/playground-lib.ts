import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadDirectory, type Directory } from '../src/domain/directory.js';

/**
 * Starts the bot and the Microsoft 365 Agents Playground side by side, offline and on loopback
 * only. Used by `npm run playground` (scripts/playground.ts) and by tests
 * that want a real Teams-like client in front of the bot.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PLAYGROUND_CONFIG_FILE = join(REPO_ROOT, '.m365agentsplayground.yml');
export const DEMO_DIRECTORY_FILE = join(REPO_ROOT, 'config', 'demo-directory.yaml');
const PLAYGROUND_CLI = join(REPO_ROOT, 'node_modules', '@microsoft', 'm365agentsplayground', 'cli.js');
const PRELOAD = join(REPO_ROOT, 'scripts', 'playground-preload.cjs');
const LOOPBACK = '127.0.0.1';

// ---- the Playground's config file -------------------------------------------------------------

const playgroundUserSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  aadObjectId: z.string().min(1),
  userPrincipleName: z.string(),
  givenName: z.string(),
  surname: z.string(),
  email: z.string(),
});

/** The parts of `.m365agentsplayground.yml` this project relies on (the Playground checks the rest). */
export const playgroundConfigSchema = z.object({
  version: z.string(),
  tenantId: z.string().min(1),
  bot: z.object({ id: z.string().min(1), name: z.string().min(1) }),
  currentUser: playgroundUserSchema,
  users: z.array(playgroundUserSchema).length(5, 'the Playground requires exactly 5 users besides currentUser'),
  personalChat: z.object({ id: z.string().min(1) }),
  groupChat: z.object({ id: z.string().min(1), name: z.string().min(1) }),
  team: z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    aadGroupId: z.string().min(1),
    channels: z.array(z.object({ id: z.string().min(1), name: z.string().min(1) })),
  }),
});
export type PlaygroundConfig = z.infer<typeof playgroundConfigSchema>;
export type PlaygroundUser = z.infer<typeof playgroundUserSchema>;

export function readPlaygroundConfig(file = PLAYGROUND_CONFIG_FILE): PlaygroundConfig {
  return playgroundConfigSchema.parse(parseYaml(readFileSync(file, 'utf8')));
}

/** currentUser first, then the other users: everyone a Playground session knows. */
export function playgroundPeople(config: PlaygroundConfig): PlaygroundUser[] {
  return [config.currentUser, ...config.users];
}

export interface DemoPerson {
  playgroundId: string;
  playgroundName: string;
  objectId: string;
  current: boolean;
  /** Undefined when the object id is not in the directory (the bot would refuse this person). */
  directory?: { name: string; roles: string[]; organisation: string; districts: string[] };
}

/** Who is who: each Playground person matched to the directory by Entra object id. */
export function demoPeople(config: PlaygroundConfig, directory: Directory): DemoPerson[] {
  return playgroundPeople(config).map((p) => {
    const user = directory.user(p.aadObjectId);
    return {
      playgroundId: p.id,
      playgroundName: p.name,
      objectId: p.aadObjectId,
      current: p.id === config.currentUser.id,
      ...(user
        ? {
            directory: {
              name: user.name,
              roles: [...user.roles],
              organisation: directory.organisation(user.organisation)?.name ?? user.organisation,
              districts: user.districts.map((d) => directory.district(d)?.name ?? d),
            },
          }
        : {}),
    };
  });
}

// ---- starting and stopping --------------------------------------------------------------------

export interface PlaygroundOptions {
  /** Bot port; default PORT from the environment, else a free port. */
  botPort?: number;
  /** Playground port; default PLAYGROUND_PORT from the environment, else a free port. */
  playgroundPort?: number;
  /** Bot store directory; default ./data/playground. Tests pass a temporary directory. */
  dataDir?: string;
  directoryFile?: string;
  configFile?: string;
  /** Playground log file; default ./devTools/m365agentsplayground.log. */
  logFile?: string;
  /** Extra environment for the bot (e.g. LOG_LEVEL). */
  botEnv?: Record<string, string>;
  /** Receives every output line of both processes, prefixed `[bot]` / `[playground]`. Default: dropped. */
  onOutput?: (line: string) => void;
  /** How long to wait for each process to become ready. */
  startTimeoutMs?: number;
}

export interface RunningPlayground {
  /** Open this in a browser. */
  url: string;
  /** The bot's base URL (POST `${botUrl}/api/messages`, GET `${botUrl}/healthz`). */
  botUrl: string;
  botPort: number;
  playgroundPort: number;
  config: PlaygroundConfig;
  directory: Directory;
  /** Resolves when either process exits (with which one and its exit code). */
  exited: Promise<{ which: 'bot' | 'playground'; code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops both processes (SIGTERM, SIGKILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

export class PlaygroundStartError extends Error {
  override readonly name = 'PlaygroundStartError';
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function portFromEnv(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PlaygroundStartError(`${name}=${raw} is not a port number`);
  return port;
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<RunningPlayground> {
  const configFile = options.configFile ?? PLAYGROUND_CONFIG_FILE;
  const directoryFile = options.directoryFile ?? DEMO_DIRECTORY_FILE;
  const config = readPlaygroundConfig(configFile);
  const directory = loadDirectory(directoryFile);
  const missing = playgroundPeople(config).filter((p) => !directory.user(p.aadObjectId));
  if (missing.length > 0) {
    throw new PlaygroundStartError(
      `these Playground users are not in ${directoryFile} (the bot would refuse them): ` +
        missing.map((p) => `${p.name} (${p.aadObjectId})`).join(', '),
    );
  }
  const timeout = options.startTimeoutMs ?? 60_000;
  const output = options.onOutput ?? (() => {});
  const children: ChildProcess[] = [];
  let exitResolve!: (v: { which: 'bot' | 'playground'; code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ which: 'bot' | 'playground'; code: number | null; signal: NodeJS.Signals | null }>((r) => (exitResolve = r));
  let stopping: Promise<void> | undefined;
  // Should this process exit without calling stop() (a crash, a test that forgot), take the children along.
  const killOnExit = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGTERM'));
  process.once('exit', killOnExit);
  const stop = (): Promise<void> =>
    (stopping ??= Promise.all(children.map((c) => terminate(c))).then(() => {
      process.off('exit', killOnExit);
    }));

  try {
    // 1. The bot: embedded store, demo directory, demo tenant, no Bot Framework auth.
    const botPort = options.botPort ?? portFromEnv('PORT') ?? (await freePort());
    const botUrl = `http://${LOOPBACK}:${botPort}`;
    const botEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      HOST: LOOPBACK,
      PORT: String(botPort),
      DIRECTORY_FILE: directoryFile,
      DATA_DIR: options.dataDir ?? join(REPO_ROOT, 'data', 'playground'),
      TENANT_ID: config.tenantId,
      PLAYGROUND_PARENT_PID: String(process.pid),
      ...options.botEnv,
    };
    // The Playground sends no Bot Framework tokens, and the playground uses the embedded store.
    for (const key of ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID', 'REDIS_URL']) delete botEnv[key];
    // The preload keeps the bot on loopback too and stops it if this process disappears.
    const bot = spawn(process.execPath, ['--require', PRELOAD, '--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: botEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bot);
    const botOut = captureLines(bot, '[bot]', output);
    bot.once('exit', (code, signal) => exitResolve({ which: 'bot', code, signal }));
    await waitUntil(`the bot at ${botUrl}/healthz`, timeout, bot, botOut.tail, async () => (await httpGet(`${botUrl}/healthz`)) === 200);

    // 2. The Playground, offline: no telemetry, no browser, loopback only (preload), fixed config.
    // It silently moves to another port when the requested one is taken; its service URL must
    // name the real port, so on a mismatch it is restarted on a fresh port.
    const requested = options.playgroundPort ?? portFromEnv('PLAYGROUND_PORT');
    let playground: { child: ChildProcess; port: number; tail: string[] } | undefined;
    for (let attempt = 1; attempt <= 3 && !playground; attempt++) {
      const port = attempt === 1 && requested ? requested : await freePort();
      const child = spawn(
        process.execPath,
        [
          '-r',
          PRELOAD,
          PLAYGROUND_CLI,
          'start',
          '--app-endpoint',
          `${botUrl}/api/messages`,
          '--channel-id',
          'msteams',
          '--port',
          String(port),
          '--service-url',
          `http://${LOOPBACK}:${port}/_connector`,
          '--disable-telemetry',
        ],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
            TEAMSAPPTESTER_BROWSER: 'none',
            M365_AGENTS_PLAYGROUND_CONFIG_PATH: configFile,
            PLAYGROUND_PARENT_PID: String(process.pid),
            ...(options.logFile ? { M365_AGENTS_PLAYGROUND_LOGFILE: options.logFile } : {}),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const captured = captureLines(child, '[playground]', output);
      const actual = await waitForListening(child, captured, timeout);
      if (actual === port) {
        playground = { child, port, tail: captured.tail };
      } else {
        output(`[playground] asked for port ${port} but it took ${actual}; restarting on another port`);
        if (attempt === 1 && requested) throw new PlaygroundStartError(`PLAYGROUND_PORT ${requested} is in use`);
        await terminate(child);
        children.splice(children.indexOf(child), 1);
      }
    }
    if (!playground) throw new PlaygroundStartError('the Playground kept choosing another port than the one asked for');
    const { child: pg, port: playgroundPort, tail: pgTail } = playground;
    pg.once('exit', (code, signal) => exitResolve({ which: 'playground', code, signal }));
    const url = `http://${LOOPBACK}:${playgroundPort}`;
    await waitUntil(`the Playground at ${url}/_debug/ping`, timeout, pg, pgTail, async () => (await httpGet(`${url}/_debug/ping`)) === 200);

    return { url, botUrl, botPort, playgroundPort, config, directory, exited, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The block `npm run playground` prints once everything runs. */
export function describePlayground(running: Pick<RunningPlayground, 'url' | 'botUrl' | 'config' | 'directory'>): string {
  const people = demoPeople(running.config, running.directory);
  const width = Math.max(...people.map((p) => p.playgroundName.length));
  const lines = [
    '',
    '═══════════════════════════════════════════════════════════════════════════════',
    '  Overlastbot in the Microsoft 365 Agents Playground (offline, loopback only)',
    '═══════════════════════════════════════════════════════════════════════════════',
    `  Open:        ${running.url}`,
    `  Bot:         ${running.botUrl}/api/messages   (health: ${running.botUrl}/healthz)`,
    `  Demo tenant: ${running.config.tenantId}`,
    '',
    '  Demo users (fictional; config/demo-directory.yaml ↔ .m365agentsplayground.yml):',
    ...people.map((p) => {
      const d = p.directory;
      const who = d ? `${d.roles.join(', ')} · ${d.organisation}${d.districts.length ? ` · wijk: ${d.districts.join(', ')}` : ''}` : 'NOT IN THE DIRECTORY';
      return `  ${p.current ? '▶' : ' '} ${p.playgroundName.padEnd(width)}  ${who}`;
    }),
    '',
    `  ▶ = you: messages typed in the Playground come from ${running.config.currentUser.name.replace(/ \(.*$/, '')}.`,
    '    To act as someone else, use "Mock an activity" in the Playground (or its',
    '    /_internal/v1/customActivities API), or change currentUser in .m365agentsplayground.yml.',
    '  Try: help · melding · mijn meldingen · overleg',
    '  Stop with Ctrl-C.',
    '═══════════════════════════════════════════════════════════════════════════════',
    '',
  ];
  return lines.join('\n');
}

// ---- helpers ----------------------------------------------------------------------------------

interface Captured {
  /** The last lines, for error messages. */
  tail: string[];
  /** Subscribes to every further line; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
}

/** Forwards a child's output line by line and keeps the last lines for error messages. */
function captureLines(child: ChildProcess, prefix: string, output: (line: string) => void): Captured {
  const tail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      output(`${prefix} ${line}`);
      for (const l of listeners) l(line);
    });
  }
  return {
    tail,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function exitError(what: string, child: ChildProcess, tail: string[]): PlaygroundStartError {
  return new PlaygroundStartError(
    `${what} exited (code ${child.exitCode ?? child.signalCode}) before it was ready` + (tail.length ? `; its last output:\n  ${tail.join('\n  ')}` : ''),
  );
}

async function waitUntil(what: string, timeoutMs: number, child: ChildProcess, tail: string[], ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw exitError(what, child, tail);
    if (await ready().catch(() => false)) return;
    await sleep(150);
  }
  throw new PlaygroundStartError(`timed out after ${timeoutMs} ms waiting for ${what}` + (tail.length ? `; last output:\n  ${tail.join('\n  ')}` : ''));
}

function waitForListening(child: ChildProcess, captured: Captured, timeoutMs: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new PlaygroundStartError(`timed out after ${timeoutMs} ms waiting for the Playground's "Listening on" line`));
    }, timeoutMs);
    const unsubscribe = captured.onLine((line) => {
      const m = /Listening on (\d+)/.exec(line);
      if (m?.[1]) {
        cleanup();
        resolvePort(Number(m[1]));
      }
    });
    const onExit = () => {
      cleanup();
      reject(exitError('the Playground', child, captured.tail));
    };
    child.once('exit', onExit);
    function cleanup() {
      clearTimeout(timer);
      unsubscribe();
      child.off('exit', onExit);
    }
  });
}

async function httpGet(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

function terminate(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
