import path from 'node:path';
import { RedisStore } from '../../src/store/redis.js';
import { startConnectorStub } from '../../test/support/connector-stub.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { visibleText } from '../../test/support/teams.js';
import { startBotProcess, type NodeChild } from '../support/proc.js';
import {
  checkEvaluated,
  checkSignals,
  drillDir,
  DrillReport,
  fatalLogLines,
  Ledger,
  pause,
  readyStatus,
  reportInLoop,
  reporters,
  storedSignals,
  TRY_AGAIN,
  waitUntil,
  type DrillResult,
  runDrill,
} from './common.js';

/**
 * Redis restart: under load (reports and chat messages), redis-server is killed, stays down for a
 * while and is started again on the same port with its append-only file (fsync always, so what it
 * acknowledged is on disk). Meanwhile /readyz must say 503, users must get "probeer het zo opnieuw"
 * instead of silence, and the bot must neither crash nor need a restart; afterwards nothing that
 * was confirmed is lost.
 */
export interface RedisRestartOptions {
  /** Stop Redis once this many submits were confirmed (and at least `minBeforeMs` passed). */
  confirmedBefore: number;
  minBeforeMs: number;
  /** How long Redis stays down. */
  downMs: number;
  /** After recovery, keep the load on until this many more submits were confirmed. */
  confirmedAfter: number;
  workers: number;
  deadlineMs?: number;
}

interface Said {
  id: string;
  command: string;
  at: number;
  status?: number;
  error?: string;
}

export async function redisRestartDrill(options: RedisRestartOptions): Promise<DrillResult> {
  const report = new DrillReport('redis restart');
  const tmp = drillDir('redis-restart');
  const stub = await startConnectorStub();
  let redis: RedisServer | undefined;
  let bot: NodeChild | undefined;
  return runDrill(report, options.deadlineMs ?? 120_000, run, async () => {
    await bot?.kill9();
    await stub.close();
    await redis?.stop();
    tmp.remove();
  });

  async function run(): Promise<void> {
    redis = await startRedisServer({ persistent: true });
    bot = await startBotProcess('bot', { dataDir: path.join(tmp.dir, 'data'), redisUrl: redis.url }, path.join(tmp.dir, 'bot.log'));
    const url = bot.url;
    const pid = bot.pid;
    const ledger = new Ledger();
    const users = reporters(stub.url);

    // Readiness, polled throughout.
    const readiness: { at: number; status: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        readiness.push({ at: Date.now(), status: await readyStatus(url) });
        await pause(100);
      }
    })();

    // Chat: users type `mijn meldingen` (which reads the store) and `help` (which needs nothing from
    // it) in turn; every message must get an answer — "try again" where the store is needed.
    const said: Said[] = [];
    let chatting = true;
    const chatters = Array.from({ length: Math.max(1, Math.floor(options.workers / 2)) }, async (_, w) => {
      const user = users[w % users.length]!;
      for (let n = 0; chatting; n++) {
        const at = Date.now();
        const command = n % 2 === 0 ? 'mijn meldingen' : 'help';
        const r = await user.say(url, command);
        said.push({ id: r.id, command, at, ...('status' in r ? { status: r.status } : { error: r.error }) });
        await pause(30);
      }
    });
    const load = reportInLoop({ reporters: users, workers: Math.max(1, Math.ceil(options.workers / 2)), target: () => url, ledger, pauseMs: 10 });

    await pause(options.minBeforeMs);
    await waitUntil(() => ledger.confirmed.size >= options.confirmedBefore, 30_000);
    // Forms opened before the outage and sent while Redis is down: refused with "try again".
    const opened: { user: (typeof users)[number]; cardId: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const user = users[i % users.length]!;
      const form = await user.openForm(url);
      if (form.cardId) opened.push({ user, cardId: form.cardId });
    }
    const confirmedBefore = ledger.confirmed.size;
    const downAt = Date.now();
    redis.kill9();
    await pause(Math.min(500, options.downMs / 2));
    for (const { user, cardId } of opened) ledger.record(user.userId, cardId, await user.submit(url, cardId));
    await pause(options.downMs - Math.min(500, options.downMs / 2));
    const upAt = Date.now();
    await redis.restart();
    const restartedAt = Date.now();
    const tryAgainDuring = ledger.tryAgain;
    const confirmedAtRestart = ledger.confirmed.size;
    await waitUntil(() => readiness.some((r) => r.at >= restartedAt && r.status === 200), 20_000);
    await waitUntil(() => ledger.confirmed.size >= confirmedAtRestart + options.confirmedAfter, 30_000);
    await pause(300);
    chatting = false;
    await Promise.all(chatters);
    await load.stop();
    polling = false;
    await poller;
    report.figure('redis down (ms)', restartedAt - downAt);

    // /readyz: 503 while Redis was down (after a short grace for the connection loss to be seen), 200 again after.
    const during = readiness.filter((r) => r.at >= downAt + 500 && r.at < upAt);
    report.check(
      '/readyz reports 503 while Redis is down',
      during.length > 0 && during.every((r) => r.status === 503),
      `${during.length} polls while down: ${summarise(during.map((r) => r.status))}`,
    );
    const recovered = readiness.find((r) => r.at >= restartedAt && r.status === 200);
    report.check('/readyz reports 200 again by itself', recovered !== undefined, recovered ? `${recovered.at - restartedAt} ms after redis-server was back` : 'never');
    if (recovered) report.figure('ready again after redis back (ms)', recovered.at - restartedAt);
    report.check('the bot did not crash or restart', bot!.alive() && bot!.pid === pid, `pid ${bot!.pid}, alive ${bot!.alive()}`);

    // Users got an answer, never silence: every message sent while Redis was down has a reply.
    const replies = new Map<string, string[]>();
    for (const p of stub.posted) if (p.activityId) replies.set(p.activityId, [...(replies.get(p.activityId) ?? []), visibleText(p.activity)]);
    const whileDown = said.filter((s) => s.at >= downAt + 200 && s.at < upAt);
    const unanswered = whileDown.filter((s) => !replies.has(s.id));
    const needingStore = whileDown.filter((s) => s.command === 'mijn meldingen');
    const tryAgain = needingStore.filter((s) => replies.get(s.id)?.some((t) => TRY_AGAIN.test(t)));
    const helpWhileDown = whileDown.filter((s) => s.command === 'help');
    const helpAnswered = helpWhileDown.filter((s) => replies.get(s.id)?.some((t) => TRY_AGAIN.test(t) || t.includes('Wat je kunt doen')));
    const httpFailures = said.filter((s) => s.error !== undefined || (s.status ?? 0) >= 500);
    report.check(
      'messages that need the store while Redis is down are answered with "probeer het zo opnieuw"',
      needingStore.length > 0 && tryAgain.length === needingStore.length,
      `${needingStore.length} "mijn meldingen" while down: ${tryAgain.length} "probeer het zo opnieuw"`,
    );
    report.check(
      'every message while Redis is down is answered, none with silence',
      whileDown.length > 0 && unanswered.length === 0 && helpAnswered.length === helpWhileDown.length,
      `${whileDown.length} messages while down, ${unanswered.length} without reply; "help": ${helpWhileDown.length - helpAnswered.length} of ${helpWhileDown.length} with neither the help card nor "probeer het zo opnieuw"`,
    );
    report.check(
      'card actions while Redis is down are answered with "probeer het zo opnieuw"',
      tryAgainDuring > 0,
      `${tryAgainDuring} card actions answered "probeer het zo opnieuw"`,
    );
    report.check('every request got an HTTP answer (no hang, no 5xx)', httpFailures.length === 0 && ledger.noAnswer === 0, `${httpFailures.length + ledger.noAnswer} without`);
    const helpAfter = said.filter((s) => s.at >= (recovered?.at ?? Infinity)).filter((s) => replies.get(s.id)?.some((t) => t.includes('Wat je kunt doen')));
    report.check('help works again after recovery', helpAfter.length > 0, `${helpAfter.length} help cards after recovery`);

    // Cards that got "try again": the user clicks again after recovery.
    const retried = [...ledger.unconfirmed.entries()];
    for (const [cardId, { userId }] of retried) ledger.record(userId, cardId, await users.find((u) => u.userId === userId)!.submit(url, cardId));
    report.check(
      'cards refused during the outage succeed when clicked again',
      retried.length >= opened.length && ledger.unconfirmed.size === 0,
      `${retried.length} clicked again (${opened.length} of them opened before the outage and sent during it), ${ledger.unconfirmed.size} still failing`,
    );
    report.check('new signals are confirmed after recovery', ledger.confirmed.size > confirmedBefore + retried.length, `${confirmedBefore} before the outage, ${ledger.confirmed.size} in total`);
    report.figure('confirmed', ledger.confirmed.size);
    report.figure('try-again answers', ledger.tryAgain + whileDown.filter((s) => replies.get(s.id)?.some((t) => TRY_AGAIN.test(t))).length);

    const store = await RedisStore.connect(redis.url);
    try {
      const stored = await storedSignals(store);
      report.figure('stored', stored.length);
      // "try again" answers are expected here, nothing else.
      checkSignals(report, ledger, stored);
      // An evaluation that failed while Redis was down waits in the inbox for the recovery (≤ 40 s).
      await checkEvaluated(report, store, 45_000);
    } finally {
      await store.close();
    }
    const fatal = fatalLogLines(bot!);
    report.check('no unhandled rejections or uncaught errors', fatal.length === 0, fatal[0]?.slice(0, 200) ?? 'none');
  }
}

function summarise(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n}× ${s || 'no answer'}`).join(', ') || 'none';
}
