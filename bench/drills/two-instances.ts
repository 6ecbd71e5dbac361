import path from 'node:path';
import { RedisStore } from '../../src/store/redis.js';
import { startFastConnector } from '../support/connector.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { startBotProcess, type NodeChild } from '../support/proc.js';
import { checkEvaluated, checkSignals, drillDir, DrillReport, fatalLogLines, Ledger, reportInLoop, reporters, storedSignals, type DrillResult, runDrill } from './common.js';
import { checkNotices, prepareNotices, waitForNotices } from './notices.js';

/**
 * Two instances on one Redis behind a round-robin of requests: a card opened on one instance is
 * submitted on the other, double clicks land on both at once, and still every signal is stored
 * exactly once with a reference of its own.
 */
export interface TwoInstancesOptions {
  submits: number;
  doubleSubmits: number;
  workers: number;
  /** Users with one prepared notice each (half due at once, half reminders due `reminderDelayMs` later). */
  notices: number;
  reminderDelayMs: number;
  deadlineMs?: number;
}

export async function twoInstancesDrill(options: TwoInstancesOptions): Promise<DrillResult> {
  const report = new DrillReport('two instances on one Redis');
  const tmp = drillDir('two-instances');
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
    redis = await startRedisServer();
    const plan = await prepareNotices({ dir: tmp.dir, dataDir: path.join(tmp.dir, 'prep'), redisUrl: redis.url, stubUrl: stub.url, count: options.notices, reminderDelayMs: options.reminderDelayMs });
    for (const n of [1, 2]) {
      bots.push(
        await startBotProcess(`bot-${n}`, { dataDir: path.join(tmp.dir, `data-${n}`), redisUrl: redis.url, directoryFile: plan.directoryFile }, path.join(tmp.dir, `bot-${n}.log`)),
      );
    }
    const served = [0, 0];
    let next = 0;
    const roundRobin = () => {
      const i = next++ % bots.length;
      served[i]!++;
      return bots[i]!.url;
    };
    const ledger = new Ledger();
    const users = reporters(stub.url);

    // Round-robin load: open the form on one instance, submit it on the other.
    const load = reportInLoop({ reporters: users, workers: options.workers, target: roundRobin, ledger, maxSubmits: options.submits });
    await load.finished();

    // Double clicks: the same card submitted to both instances at the same moment.
    let sameAnswer = 0;
    const doubles: string[] = [];
    for (let i = 0; i < options.doubleSubmits; i++) {
      const user = users[i % users.length]!;
      const form = await user.openForm(bots[i % 2]!.url);
      if (!form.cardId) {
        doubles.push(`form ${i}: ${JSON.stringify(form.answer).slice(0, 120)}`);
        continue;
      }
      const [a, b] = await Promise.all(bots.map((bot) => user.submit(bot.url, form.cardId!, { location: `Dubbelklikstraat ${i % 10}` })));
      ledger.record(user.userId, form.cardId, a!);
      ledger.record(user.userId, form.cardId, b!);
      if (a!.kind === 'confirmed' && b!.kind === 'confirmed' && a!.ref === b!.ref) sameAnswer++;
      else if (doubles.length < 5) doubles.push(`${JSON.stringify(a).slice(0, 80)} / ${JSON.stringify(b).slice(0, 80)}`);
    }
    report.check(
      'a double click on both instances gives one reference, shown twice',
      sameAnswer === options.doubleSubmits,
      `${sameAnswer}/${options.doubleSubmits}${doubles.length ? `; e.g. ${doubles.join(' | ')}` : ''}`,
    );
    report.check('both instances served requests', served.every((n) => n > 0), `requests per instance: ${served.join(' / ')}`);
    report.check('every submit was confirmed', ledger.unconfirmed.size === 0, `${ledger.confirmed.size} confirmed, ${ledger.unconfirmed.size} not`);
    report.figure('requests per instance', served.join('/'));
    report.figure('confirmed', ledger.confirmed.size);

    // Notices and reminders (prepared, and those the signals triggered): both instances deliver, each once.
    await waitForNotices(plan, stub, Math.max(10_000, plan.remindersDueAt - Date.now() + 20_000));
    const store = await RedisStore.connect(redis.url);
    try {
      const stored = await storedSignals(store);
      report.figure('stored', stored.length);
      checkSignals(report, ledger, stored);
      await checkEvaluated(report, store, 45_000);
      await checkNotices(report, plan, stub, store);
    } finally {
      await store.close();
    }
    for (const bot of bots) {
      const fatal = fatalLogLines(bot);
      report.check(`${bot.name}: alive, no unhandled rejections or uncaught errors`, bot.alive() && fatal.length === 0, fatal[0]?.slice(0, 200) ?? 'none');
    }
  }
}
