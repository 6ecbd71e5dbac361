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
import { meetingsFeature, planMeetingForCase, registerMeetingJobs } from './app/meetings.js';
import { adminFeature } from './app/admin.js';
import { erasureFeature } from './app/erasure.js';
import { registerRetentionJobs, startRetention } from './app/retention.js';
import { kerngroepFacts, kerngroepFeature, registerKerngroepHook, registerKerngroepJobs } from './app/kerngroep.js';
import { feedbackFeature, interventionEffects, registerFeedbackJobs, startFeedback } from './app/feedback.js';
import type { Feature } from './app/routes.js';
import { systemClock, type Clock, type Jobs, type Messenger, type Store } from './ports.js';
import { InProcessJobs, openJobs } from './jobs/index.js';
import { NOTICE_JOB, OutboxService } from './app/outbox-service.js';
import { escalationFeature, registerEscalations, startEscalations } from './app/escalation.js';
import { DEFAULT_ESCALATION_RULES, EscalationRulesError, loadEscalationRules, type EscalationRules } from './domain/escalation.js';
import { nl } from './i18n/nl.js';
import { tuneHeap } from './runtime.js';

/** Composition root: config → adapters → app → server. */

export interface RunningBot {
  url: string;
  port: number;
  ctx: AppContext;
  messenger: Messenger;
  jobs: Jobs;
  outbox: OutboxService;
  /**
   * In-process scheduler only (embedded mode): runs every job due at the clock's now, again until
   * nothing is due (a run may enqueue the next job, e.g. evaluation → notice). Returns the runs.
   */
  runDueJobs(): Promise<number>;
  /** Graceful stop: refuse new requests, finish in-flight turns, flush and close the store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Replace parts for tests (a controllable clock, a prepared store or directory, a log sink). */
  clock?: Clock;
  store?: Store;
  directory?: Directory;
  log?: Logger;
  /** Escalation thresholds; default: ESCALATION_RULES_FILE, else the built-in defaults. */
  escalationRules?: EscalationRules;
  /**
   * Jobs tuning for tests: `pollIntervalMs: 0` (embedded mode) runs jobs only on `runDueJobs()`;
   * `prefix` separates BullMQ queues of tests sharing one Redis.
   */
  jobs?: { pollIntervalMs?: number; prefix?: string };
}

/** The features of the bot, in route order; help's catch-all is added by the Teams layer last. */
export function buildFeatures(config: Pick<Config, 'dataDir'>): Feature[] {
  const features: Feature[] = [];
  const all = () => features.flatMap((f) => f.commands);
  // Escalation first: its `casus afsluiten` is more specific than the signals feature's `casus <ref>`.
  features.push(escalationFeature({ hooks: { planMeeting: planMeetingForCase, registerKerngroep: registerKerngroepHook } }), signalsFeature, adminFeature({ exportDir: join(config.dataDir, 'exports') }), meetingsFeature, feedbackFeature, kerngroepFeature, erasureFeature, helpFeature(all));
  return features;
}

export async function startBot(config: Config, options: StartOptions = {}): Promise<RunningBot> {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const directory = options.directory ?? loadDirectory(config.directoryFile);
  const store = options.store ?? (await openStore({ dataDir: config.dataDir, ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}) }));
  const clock = options.clock ?? systemClock;
  const rules =
    options.escalationRules ??
    (config.escalationRulesFile ? loadEscalationRules(config.escalationRulesFile, (id) => directory.user(id) !== undefined) : DEFAULT_ESCALATION_RULES);
  // The messenger lives in the Teams layer, created with the bot below; jobs only run after that.
  let teamsMessenger: Messenger | undefined;
  const messenger: Messenger = {
    sendToUser: (userId, message) => {
      if (!teamsMessenger) throw new Error('Unexpected: a notice was sent before the Teams layer was created');
      return teamsMessenger.sendToUser(userId, message);
    },
  };
  let outbox: OutboxService | undefined;
  const jobsCommon = {
    log: log.child({ component: 'jobs' }),
    // Only notice delivery talks to Teams; reminders and evaluations enqueue notices.
    pacedTypes: [NOTICE_JOB],
    onFailed: (job: Parameters<OutboxService['onJobFailed']>[0], reason: string) => outbox?.onJobFailed(job, reason),
  };
  const jobs: Jobs =
    !config.redisUrl && options.jobs?.pollIntervalMs !== undefined
      ? new InProcessJobs({ ...jobsCommon, store, clock, pollIntervalMs: options.jobs.pollIntervalMs })
      : openJobs({ ...jobsCommon, store, clock, ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}), ...(options.jobs?.prefix ? { prefix: options.jobs.prefix } : {}) });
  outbox = new OutboxService({ store, jobs, messenger, directory, clock, log });
  const ctx: AppContext = { store, directory, clock, log, timeZone: config.timeZone, jobs, outbox };
  const bot = createTeamsBot({ ctx, config, features: buildFeatures(config) });
  teamsMessenger = bot.messenger;
  outbox.register();
  registerEscalations(ctx, { rules, facts: { interventionEffects, ...kerngroepFacts } }, outbox);
  registerFeedbackJobs(ctx, config.feedbackOverdue);
  registerMeetingJobs(jobs, ctx, config.meetingReminders);
  registerKerngroepJobs(jobs, ctx, config.kerngroep);
  registerRetentionJobs(ctx, { months: config.retentionMonths });
  const http = createHttpServer({ handleMessage: bot.handle, store, log, maxBodyBytes: config.maxBodyBytes });
  const { port, url } = await http.listen(config.port, config.host);
  // Pending notices whose job was lost (a crash between commit and enqueue), re-queued before the
  // workers start: every job that exists is still there, so none is queued twice.
  await outbox.recover();
  await jobs.start();
  await startEscalations(ctx, { rules });
  await startFeedback(ctx);
  await startRetention(ctx);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    ctx,
    messenger: bot.messenger,
    jobs,
    outbox,
    runDueJobs: async () => {
      if (!(jobs instanceof InProcessJobs)) throw new Error('runDueJobs: only the in-process scheduler (embedded mode) runs jobs on demand');
      let total = 0;
      for (let round = 0; round < 20; round++) {
        const ran = await jobs.runDue();
        total += ran;
        if (ran === 0) break;
      }
      return total;
    },
    stop: () =>
      (stopping ??= (async () => {
        await http.close(config.shutdownTimeoutMs);
        // Running jobs finish (a notice in flight records its outcome) before the store closes.
        await jobs.stop();
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
  tuneHeap(config.heapGrowingPercent);
  let directory: Directory;
  try {
    directory = loadDirectory(config.directoryFile);
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    console.error(nl.ops.directoryInvalid);
    for (const p of err.problems) console.error(`  - ${p}`);
    process.exit(2);
  }
  let escalationRules: EscalationRules = DEFAULT_ESCALATION_RULES;
  try {
    if (config.escalationRulesFile) escalationRules = loadEscalationRules(config.escalationRulesFile, (id) => directory.user(id) !== undefined);
  } catch (err) {
    if (!(err instanceof EscalationRulesError)) throw err;
    console.error(nl.escalation.rulesInvalid);
    for (const p of err.problems) console.error(`  - ${p}`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel });
  let bot: RunningBot;
  try {
    bot = await startBot(config, { directory, log, escalationRules });
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
