import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.js';
import { DirectoryError, loadDirectory, type Directory } from './domain/directory.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/index.js';
import { createHttpServer } from './http/server.js';
import { createTeamsBot } from './teams/bot.js';
import type { AppContext } from './app/context.js';
import { helpFeature } from './app/help.js';
import { signalsFeature } from './app/signals.js';
import { adminFeature } from './app/admin.js';
import type { Feature } from './app/routes.js';
import { systemClock, type Clock, type Messenger, type Store } from './ports.js';
import { nl } from './i18n/nl.js';

/** Composition root: config → adapters → app → server. */

export interface RunningBot {
  url: string;
  port: number;
  ctx: AppContext;
  messenger: Messenger;
  /** Graceful stop: refuse new requests, finish in-flight turns, flush and close the store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Replace parts for tests (a controllable clock, a prepared store or directory, a log sink). */
  clock?: Clock;
  store?: Store;
  directory?: Directory;
  log?: Logger;
}

/** The features of the bot, in route order; help's catch-all is added by the Teams layer last. */
export function buildFeatures(config: Pick<Config, 'dataDir'>): Feature[] {
  const features: Feature[] = [];
  const all = () => features.flatMap((f) => f.commands);
  features.push(signalsFeature, adminFeature({ exportDir: join(config.dataDir, 'exports') }), helpFeature(all));
  return features;
}

export async function startBot(config: Config, options: StartOptions = {}): Promise<RunningBot> {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const directory = options.directory ?? loadDirectory(config.directoryFile);
  const store = options.store ?? (await openStore({ dataDir: config.dataDir, ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}) }));
  const ctx: AppContext = { store, directory, clock: options.clock ?? systemClock, log, timeZone: config.timeZone };
  const bot = createTeamsBot({ ctx, config, features: buildFeatures(config) });
  const http = createHttpServer({ handleMessage: bot.handle, store, log, maxBodyBytes: config.maxBodyBytes });
  const { port, url } = await http.listen(config.port, config.host);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    ctx,
    messenger: bot.messenger,
    stop: () =>
      (stopping ??= (async () => {
        await http.close(config.shutdownTimeoutMs);
        await store.close();
      })()),
  };
}

/** `npm start`: one listening line, clear lines for bad config, graceful shutdown on signals. */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    console.error(nl.ops.configInvalid);
    for (const p of loaded.problems) console.error(`  - ${p}`);
    process.exit(2);
  }
  const config = loaded.config;
  let directory: Directory;
  try {
    directory = loadDirectory(config.directoryFile);
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    console.error(nl.ops.directoryInvalid);
    for (const p of err.problems) console.error(`  - ${p}`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel });
  let bot: RunningBot;
  try {
    bot = await startBot(config, { directory, log });
  } catch (err) {
    console.error(nl.ops.storeFailed((err as Error).message));
    process.exit(1);
  }
  const storeLabel = config.redisUrl ? `Redis (${redactUrl(config.redisUrl)})` : `embedded (${config.dataDir})`;
  console.log(nl.ops.listening(bot.url, storeLabel, !!config.auth));

  const shutdown = (signal: string) => {
    log.info({ event: 'shutdown', signal }, nl.ops.shuttingDown);
    bot.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ event: 'shutdown.error', err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    log.error({ event: 'unhandled-rejection', err: { message: (reason as Error)?.message } }, 'unhandled rejection');
  });
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
