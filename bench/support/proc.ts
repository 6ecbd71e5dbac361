import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Processes under test: the bot (`node --import tsx src/main.ts`) or the echo bot, each a child of
 * the bench/drill process with its own env, its stdout+stderr going to a log file (so the parent
 * does not pay for reading them and the logs can be searched afterwards).
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_TENANT = '11111111-2222-3333-4444-555555555555';
export const TEST_DIRECTORY = path.join(ROOT, 'test/fixtures/directory.yaml');

export interface NodeChild {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  logFile: string;
  /** Resolves when the process has exited (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL, and wait until the process is reaped. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after `timeoutMs`; resolves with the exit. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size in bytes (Linux /proc), 0 when unavailable. */
  rss(): number;
  /** The log file's content. */
  log(): string;
}

const LISTEN_RE = /(http:\/\/127\.0\.0\.1:(\d+))/;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Never leave a bot behind when the parent dies (a failed assertion, Ctrl-C). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export interface StartOptions {
  name: string;
  /** Script path relative to the repo root, run with `node --import tsx`. */
  script: string;
  env: Record<string, string>;
  /** Extra node flags before `--import tsx` (e.g. --cpu-prof for a profile). */
  nodeArgs?: string[];
  logFile: string;
  /** How long to wait for the "listening on http://127.0.0.1:<port>" line (default 30 s). */
  readyTimeoutMs?: number;
}

/** Starts the script with PORT=0 and waits for its first line naming the address it listens on. */
export async function startNode(options: StartOptions): Promise<NodeChild> {
  installExitHook();
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = fs.openSync(options.logFile, 'a');
  const startOffset = fs.fstatSync(fd).size;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const readLog = () => {
    try {
      return fs.readFileSync(options.logFile, 'utf8').slice(startOffset);
    } catch {
      return '';
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let match: RegExpExecArray | null = null;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exit = e));
  while (!(match = LISTEN_RE.exec(readLog()))) {
    if (exit) throw new Error(`${options.name} exited before listening (${JSON.stringify(exit)}):\n${readLog().slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start listening within ${options.readyTimeoutMs ?? 30_000} ms:\n${readLog().slice(-3000)}`);
    }
    await sleep(50);
  }
  const url = match[1]!;
  const port = Number(match[2]);
  const pid = child.pid!;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    child,
    pid,
    url,
    port,
    logFile: options.logFile,
    exited,
    alive,
    kill9: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (timeoutMs = 15_000) => {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
    rss: () => rssOf(pid),
    log: readLog,
  };
}

export interface BotEnv {
  dataDir: string;
  redisUrl?: string;
  directoryFile?: string;
  logLevel?: string;
  /** Per-user actions per minute; 0 (default here) turns the limit off for load. */
  rateLimitPerMinute?: number;
  extra?: Record<string, string>;
}

/**
 * What `npm start` gives Node, read from package.json: the NODE_OPTIONS it sets by default (heap
 * limit, young generation) and the flags it passes on the command line (Node refuses some of them
 * in NODE_OPTIONS, e.g. `--initial-old-space-size`).
 */
const NPM_START = (() => {
  const start: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const found = /^NODE_OPTIONS="([^"$]*?)\s*\$\{NODE_OPTIONS:-\}" tsx((?: --[^ ]+)*) src\/main\.ts$/.exec(start);
  if (!found) throw new Error(`bench: cannot read the node options of npm start from: ${start}`);
  return { nodeOptions: found[1]!, nodeArgs: found[2]!.split(' ').filter(Boolean) };
})();
export const NPM_START_NODE_OPTIONS = NPM_START.nodeOptions;

/**
 * The command-line flags of a process that runs bot code: npm start's, then, for investigations
 * only, BOT_NODE_ARGS (a later flag wins), e.g. BOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
export function botNodeArgs(): string[] {
  return [...NPM_START.nodeArgs, ...(process.env.BOT_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/** The bot as `npm start` runs it: `node <npm start's flags> --import tsx src/main.ts` with the given environment and NODE_OPTIONS. */
export function startBotProcess(name: string, env: BotEnv, logFile: string): Promise<NodeChild> {
  return startNode({
    name,
    script: 'src/main.ts',
    logFile,
    nodeArgs: botNodeArgs(),
    env: {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: env.dataDir,
      // Empty means "not configured" (embedded store), whatever the parent's environment says.
      REDIS_URL: env.redisUrl ?? '',
      DIRECTORY_FILE: env.directoryFile ?? TEST_DIRECTORY,
      TENANT_ID: TEST_TENANT,
      MICROSOFT_APP_ID: '',
      MICROSOFT_APP_PASSWORD: '',
      MICROSOFT_APP_TENANT_ID: '',
      LOG_LEVEL: env.logLevel ?? 'info',
      RATE_LIMIT_PER_MINUTE: String(env.rateLimitPerMinute ?? 0),
      // The heap limit `npm start` sets (package.json); BOT_NODE_OPTIONS replaces it, for
      // investigations, e.g. BOT_NODE_OPTIONS=--max-old-space-size=128 npm run drills.
      NODE_OPTIONS: process.env.BOT_NODE_OPTIONS ?? NPM_START_NODE_OPTIONS,
      ...env.extra,
    },
  });
}

/** CPU time (user + system) a process has used so far, ms (Linux: /proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuTimeMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, in parentheses): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The machine's CPU counters so far (Linux: the `cpu` line of /proc/stat, ticks): `steal` is time
 * the hypervisor gave this VM's CPUs to someone else — the noise of a shared host, made visible.
 */
export function cpuCounters(): { total: number; steal: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: values.reduce((a, b) => a + b, 0), steal: values[7] ?? 0 };
}

export function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after `ms` with a message naming what took too long; the drills are bounded in time. */
export async function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
