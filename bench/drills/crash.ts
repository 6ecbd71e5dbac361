import path from 'node:path';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';
import type { Store } from '../../src/ports.js';
import { startFastConnector } from '../support/connector.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { startBotProcess, type NodeChild } from '../support/proc.js';
import { checkEvaluated, checkSignals, drillDir, DrillReport, fatalLogLines, Ledger, reportInLoop, reporters, pause, storedSignals, waitUntil, type DrillResult, runDrill } from './common.js';
import { checkNotices, outboxAtKill, prepareNotices, waitForNotices, type OutboxAtKill } from './notices.js';

/**
 * Crash: partners report signals under load, the bot gets `kill -9` mid-flight and is started again
 * on the same data. Every signal that got a confirmation must be stored, none twice; a user who got
 * no answer and clicks again gets one signal, not two.
 */
export interface CrashOptions {
  mode: 'embedded' | 'redis';
  /** Kill once this many submits were confirmed (and at least `minLoadMs` passed). */
  killAfterConfirmed: number;
  minLoadMs: number;
  workers: number;
  /** Pause between one worker's reports (ms); keeps the smoke version's rate modest. */
  pauseMs?: number;
  /** Places the signals are about (default 20): each fires two escalation rules, whose notices go out at 7/s. */
  places?: number;
  /** Submits on the restarted bot. */
  afterSubmits: number;
  /** Users with one prepared notice each (half due at once, half reminders due after the restart). */
  notices: number;
  /** When the reminders are due, counted from their preparation (before the first start). */
  reminderDelayMs: number;
  /**
   * Kill once this many of the immediate notices were delivered: less than all means while the
   * outbox is delivering (then notices in flight wait for their job lease, ~60 s, after the restart).
   */
  killAfterNotices: number;
  /**
   * true: kill at a moment no notice is being sent (nothing reached the stub for 1.5 s), so every
   * notice is either delivered or pending — the smoke version. false: kill whenever, notices in
   * flight included, and wait `leaseWaitMs` after the kill for their jobs to be taken up again.
   */
  killWhenQuiet: boolean;
  /** In-process jobs lease 60 s; BullMQ lock 30 s + stalled check 30 s. */
  leaseWaitMs: number;
  deadlineMs?: number;
}

export async function crashDrill(options: CrashOptions): Promise<DrillResult> {
  const report = new DrillReport(`crash (${options.mode})`);
  const tmp = drillDir(`crash-${options.mode}`);
  const stub = await startFastConnector({ recordTimes: true });
  let redis: RedisServer | undefined;
  const bots: NodeChild[] = [];
  return runDrill(report, options.deadlineMs ?? 180_000, run, async () => {
    for (const b of bots) await b.kill9();
    await stub.close();
    await redis?.stop();
    tmp.remove();
  });

  async function run(): Promise<void> {
    if (options.mode === 'redis') redis = await startRedisServer();
    const dataDir = path.join(tmp.dir, 'data');
    const plan = await prepareNotices({ dir: tmp.dir, dataDir, ...(redis ? { redisUrl: redis.url } : {}), stubUrl: stub.url, count: options.notices, reminderDelayMs: options.reminderDelayMs });
    const env = { dataDir, directoryFile: plan.directoryFile, ...(redis ? { redisUrl: redis.url } : {}) };
    const start = async (n: number) => {
      const bot = await startBotProcess(`bot-${n}`, env, path.join(tmp.dir, `bot-${n}.log`));
      bots.push(bot);
      return bot;
    };

    const location = (n: number) => `Drillstraat ${n % (options.places ?? 20)}`;
    const first = await start(1);
    const ledger = new Ledger();
    const users = reporters(stub.url);
    const load = reportInLoop({ reporters: users, workers: options.workers, target: () => first.url, ledger, location, ...(options.pauseMs ? { pauseMs: options.pauseMs } : {}) });
    await pause(options.minLoadMs);
    const delivered = () => plan.immediate.filter((u) => stub.counts().has(`a:personal-${u}`)).length;
    await waitUntil(() => ledger.confirmed.size >= options.killAfterConfirmed && delivered() >= options.killAfterNotices, (options.deadlineMs ?? 180_000) / 2);
    if (options.killWhenQuiet) {
      let posted = -1;
      let changedAt = Date.now();
      await waitUntil(() => {
        if (stub.posted() !== posted) [posted, changedAt] = [stub.posted(), Date.now()];
        return Date.now() - changedAt >= 1_500;
      }, 30_000);
    }
    const confirmedBeforeKill = ledger.confirmed.size;
    const noticesBeforeKill = delivered();
    const killedAt = Date.now();
    await first.kill9();
    await load.stop();
    report.check('bot killed with SIGKILL under load', first.child.signalCode === 'SIGKILL', `after ${confirmedBeforeKill} confirmed submits`);
    const inFlight = [...ledger.unconfirmed.values()].filter((u) => u.answer.kind === 'no-answer').length;
    report.figure('confirmed before kill', ledger.confirmed.size);
    report.figure('notices delivered before kill', `${noticesBeforeKill}/${plan.immediate.length}`);
    report.figure('reminders due before kill', plan.remindersDueAt <= killedAt ? 'yes' : 'no');
    report.figure('submits without answer at kill', inFlight);
    // What the outbox had recorded at the kill, read from the data the dead bot left behind.
    const atKill = await readAtKill();

    async function readAtKill(): Promise<OutboxAtKill> {
      // The embedded store's LOCK names the dead process, so it is taken over (and released again).
      const snapshot = options.mode === 'embedded' ? await EmbeddedStore.open(dataDir) : await RedisStore.connect(redis!.url);
      try {
        return await outboxAtKill(snapshot, plan);
      } finally {
        await snapshot.close();
      }
    }

    const second = await start(2);
    report.figure('restart to listening (ms)', Date.now() - killedAt);
    report.check('restarted bot listens', second.alive(), second.url);

    // Users who got no answer click the same card again: one signal per card, never two.
    const retried = [...ledger.unconfirmed.entries()];
    for (const [cardId, { userId }] of retried) {
      const user = users.find((u) => u.userId === userId)!;
      ledger.record(userId, cardId, await user.submit(second.url, cardId));
    }
    report.check(
      'every unanswered card, clicked again, gets a confirmation',
      ledger.unconfirmed.size === 0,
      `${retried.length} clicked again, ${ledger.unconfirmed.size} still without confirmation`,
    );

    const confirmedAfterRetry = ledger.confirmed.size;
    const after = reportInLoop({ reporters: users, workers: options.workers, target: () => second.url, ledger, location, maxSubmits: options.afterSubmits });
    await after.finished();
    report.check(
      'the restarted bot takes new signals',
      ledger.confirmed.size - confirmedAfterRetry >= options.afterSubmits && ledger.unconfirmed.size === 0,
      `${ledger.confirmed.size - confirmedAfterRetry} new, ${ledger.confirmed.size} confirmed in total`,
    );
    // Pending notices and reminders: wait for them (a job that was running at the kill waits for its lease).
    await waitForNotices(plan, stub, Math.max(20_000, (options.deadlineMs ?? 180_000) - (Date.now() - killedAt) - 30_000));
    if (options.leaseWaitMs > 0) await pause(Math.max(0, killedAt + options.leaseWaitMs - Date.now()));
    const fatal = fatalLogLines(second);
    report.check('no unhandled rejections or uncaught errors after restart', fatal.length === 0, fatal[0]?.slice(0, 200) ?? 'none');

    // Verify on the data itself. The embedded store is one process's: stop the bot first.
    let store: Store;
    if (options.mode === 'embedded') {
      const exit = await second.stop();
      report.check('restarted bot stops gracefully', exit.code === 0, JSON.stringify(exit));
      store = await EmbeddedStore.open(dataDir);
    } else {
      store = await RedisStore.connect(redis!.url);
    }
    try {
      const stored = await storedSignals(store);
      report.figure('confirmed', ledger.confirmed.size);
      report.figure('stored', stored.length);
      checkSignals(report, ledger, stored);
      // Redis: the bot still runs; a signal's evaluation cut off by the kill was redone at the restart.
      await checkEvaluated(report, store, options.mode === 'redis' ? 45_000 : 0);
      await checkNotices(report, plan, stub, store, atKill);
    } finally {
      await store.close();
    }
  }
}
