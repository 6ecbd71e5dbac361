import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startBot, type RunningBot, type StartOptions } from '../../src/main.js';
import { startConnectorStub, type ConnectorStub } from './connector-stub.js';
import { TEST_TENANT } from './teams.js';

export const TEST_DIRECTORY = 'test/fixtures/directory.yaml';

export interface Harness {
  bot: RunningBot;
  stub: ConnectorStub;
  config: Config;
  /** Every log line the bot wrote, raw, for assertions that personal data never reaches logs. */
  logs: string[];
  dataDir: string;
  close(): Promise<void>;
}

/** The real bot on a free port (embedded store in a temp dir unless REDIS_URL is given) + a connector stub. */
export async function startHarness(env: Record<string, string> = {}, options: StartOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'overlastbot-e2e-'));
  const loaded = loadConfig({ PORT: '0', DATA_DIR: dataDir, DIRECTORY_FILE: TEST_DIRECTORY, TENANT_ID: TEST_TENANT, LOG_LEVEL: 'debug', ...env });
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join('; ')}`);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const stub = await startConnectorStub();
  // Jobs (rule evaluations, notices) run only when a test calls bot.runDueJobs(): deterministic.
  const bot = await startBot(loaded.config, { log: createLogger({ level: 'debug', destination: sink }), jobs: { pollIntervalMs: 0 }, ...options });
  return {
    bot,
    stub,
    config: loaded.config,
    logs,
    dataDir,
    close: async () => {
      await bot.stop();
      await stub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A clock that moves only when told to (jobs' runAt, Retry-After, windows of the escalation rules). */
export function manualClock(start: Date = new Date()): { now(): Date; set(d: Date): void; advance(ms: number): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (d) => void (t = d.getTime()),
    advance: (ms) => void (t += ms),
  };
}
