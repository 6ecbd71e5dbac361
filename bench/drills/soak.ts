import path from 'node:path';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';
import { startConnectorStub } from '../../test/support/connector-stub.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { actionExecute, installationUpdate, membersAdded, message, post } from '../../test/support/teams.js';
import { amsterdam, benchContext, cardIdOf, prepareCase, REPORTERS, signalInputs, WIJKMANAGER } from '../support/data.js';
import { startBotProcess, type NodeChild } from '../support/proc.js';
import { drillDir, DrillReport, fatalLogLines, type DrillResult, runDrill } from './common.js';

/**
 * Soak: a long run of mixed activities (installs, help, unknown text, the report form, submits —
 * valid and invalid —, "mijn meldingen", case cards and their details view, strangers) from a few
 * users at once. Every activity must be answered, the bot must not log unhandled rejections, and
 * its resident memory must not keep growing: RSS in the last 10 % of the run (the last thousand of
 * 10,000) within 10 % of the first 10 %.
 */
export interface SoakOptions {
  activities: number;
  /** Store of the bot (default embedded: its data then lives in the bot's memory and grows by design). */
  mode?: 'embedded' | 'redis';
  concurrency: number;
  /** The RSS criterion needs a long run to mean anything; the smoke version only reports RSS. */
  checkRss: boolean;
  /**
   * Activities before the measured ones (same mix, not counted): the first seconds of a Node
   * process are JIT warm-up and V8 growing its heap to the allocation rate, which is not a leak.
   */
  warmup?: number;
  deadlineMs?: number;
}

type Step = { kind: string; expectReply: boolean; activity: () => Promise<Record<string, unknown>> | Record<string, unknown>; expectInvoke?: RegExp };

export async function soakDrill(options: SoakOptions): Promise<DrillResult> {
  const mode = options.mode ?? 'embedded';
  const report = new DrillReport(`soak (${options.activities.toLocaleString('en')} activities, ${mode})`);
  const tmp = drillDir('soak');
  const stub = await startConnectorStub();
  let bot: NodeChild | undefined;
  let redis: RedisServer | undefined;
  return runDrill(report, options.deadlineMs ?? 300_000, run, async () => {
    await bot?.kill9();
    await stub.close();
    await redis?.stop();
    tmp.remove();
  });

  async function run(): Promise<void> {
    const dataDir = path.join(tmp.dir, 'data');
    if (mode === 'redis') redis = await startRedisServer();
    const prepared = redis ? await RedisStore.connect(redis.url) : await EmbeddedStore.open(dataDir);
    const caseRef = await prepareCase(benchContext(prepared), 20);
    await prepared.close();
    bot = await startBotProcess('bot', { dataDir, ...(redis ? { redisUrl: redis.url } : {}) }, path.join(tmp.dir, 'bot.log'));
    const url = bot.url;
    const s = stub.url;

    let n = 0;
    const reporter = () => ({ aadObjectId: REPORTERS[n++ % REPORTERS.length]! });
    const wijkmanager = { aadObjectId: WIJKMANAGER };
    const future = amsterdam(24 * 60 + 60);
    /** Card ids handed out by `signal.open-form`, waiting to be submitted (by their own user). */
    const openCards: { userId: string; cardId: string }[] = [];
    /** Cards to put back on the pile once the answer to the activity with this id is in. */
    const returnAfter = new Map<string, { userId: string; cardId: string }>();
    const steps: Step[] = [
      { kind: 'help', expectReply: true, activity: () => message(reporter(), s, 'help') },
      { kind: 'unknown text', expectReply: true, activity: () => message(reporter(), s, 'wat kan ik hier allemaal') },
      { kind: 'melding', expectReply: true, activity: () => message(reporter(), s, 'melding') },
      { kind: 'open form', expectReply: false, activity: () => actionExecute(reporter(), s, 'signal.open-form', {}), expectInvoke: /signal\.submit/ },
      {
        kind: 'submit',
        expectReply: false,
        expectInvoke: /Melding ontvangen/,
        activity: () => {
          const card = openCards.shift();
          if (!card) return actionExecute(reporter(), s, 'signal.open-form', {});
          return actionExecute({ aadObjectId: card.userId }, s, 'signal.submit', { cardId: card.cardId, ...signalInputs({ location: `Soakstraat ${n % 50}` }) });
        },
      },
      {
        kind: 'invalid submit',
        expectReply: false,
        expectInvoke: /toekomst/,
        activity: () => {
          const card = openCards.shift();
          if (!card) return actionExecute(reporter(), s, 'signal.open-form', {});
          // Invalid (observed tomorrow): the form comes back with the error, and the card stays
          // usable — it goes back to the pile once this answer is in (not before: a valid submit of
          // the same card racing it would turn this answer into the confirmation).
          const activity = actionExecute({ aadObjectId: card.userId }, s, 'signal.submit', { cardId: card.cardId, ...signalInputs({ observedDate: future.date }) });
          returnAfter.set(activity.id, card);
          return activity;
        },
      },
      { kind: 'mijn meldingen', expectReply: true, activity: () => message(reporter(), s, 'mijn meldingen') },
      { kind: 'casus', expectReply: true, activity: () => message(wijkmanager, s, `casus ${caseRef}`) },
      { kind: 'case details', expectReply: false, activity: () => actionExecute(wijkmanager, s, 'case.details', { caseRef }), expectInvoke: /Beoordeling/ },
      { kind: 'install', expectReply: false, activity: () => installationUpdate(reporter(), s) },
      { kind: 'welcome', expectReply: true, activity: () => membersAdded(reporter(), s) },
      { kind: 'stranger', expectReply: true, activity: () => message({ aadObjectId: `u-stranger-${n++ % 7}` }, s, 'hallo') },
    ];
    // Weights: mostly reporting and reading, some of everything else.
    const plan = ['help', 'open form', 'submit', 'casus', 'mijn meldingen', 'open form', 'submit', 'unknown text', 'case details', 'melding',
      'open form', 'invalid submit', 'submit', 'help', 'install', 'welcome', 'stranger', 'casus', 'open form', 'submit'];
    const byKind = new Map(steps.map((st) => [st.kind, st]));

    const rss: { at: number; bytes: number }[] = [];
    const sent: { id: string; kind: string; expectReply: boolean }[] = [];
    const failures: string[] = [];
    const perKind = new Map<string, number>();
    const warmup = options.warmup ?? 0;
    const total = warmup + options.activities;
    let next = 0;
    let started = Date.now();
    const workers = Array.from({ length: options.concurrency }, async () => {
      while (next < total) {
        const i = next++;
        if (i === warmup) started = Date.now();
        const step = byKind.get(plan[i % plan.length]!)!;
        const activity = await step.activity();
        const res = await post(url, activity).catch((error: Error) => ({ status: 0, body: error.message }));
        const kind = activity.type === 'invoke' && (activity.value as any)?.action?.verb === 'signal.open-form' ? 'open form' : step.kind;
        if (i >= warmup) perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
        const body = JSON.stringify(res.body ?? '');
        if (res.status !== 200) failures.push(`${kind}: HTTP ${res.status} ${body.slice(0, 120)}`);
        else if (kind === 'open form') openCards.push({ userId: (activity.from as { aadObjectId: string }).aadObjectId, cardId: cardIdOf(res.body) });
        else if (step.expectInvoke && !step.expectInvoke.test(body)) failures.push(`${kind}: unexpected answer ${body.slice(0, 160)}`);
        sent.push({ id: String(activity.id), kind, expectReply: kind === 'open form' ? false : step.expectReply });
        const back = returnAfter.get(String(activity.id));
        if (back) {
          returnAfter.delete(String(activity.id));
          openCards.push(back);
        }
        if ((i + 1) % 100 === 0) rss.push({ at: i + 1 - warmup, bytes: bot!.rss() });
      }
    });
    await Promise.all(workers);
    const elapsed = (Date.now() - started) / 1000;
    report.figure('activities', `${options.activities}${warmup ? ` after ${warmup} warm-up` : ''}`);
    report.figure('activities/s', Math.round(options.activities / elapsed));
    report.figure('mix', [...perKind].map(([k, v]) => `${k} ${v}`).join(' · '));

    report.check('every activity was answered 200 with the expected content', failures.length === 0, failures.length ? `${failures.length} failures, e.g. ${failures.slice(0, 3).join(' | ')}` : `${sent.length} activities`);
    // Give the last replies a moment to reach the stub (they are posted before the HTTP answer, so this is a formality).
    const replied = new Set(stub.posted.map((p) => p.activityId).filter(Boolean));
    const silent = sent.filter((x) => x.expectReply && !replied.has(x.id));
    report.check('every message got its reply in the chat', silent.length === 0, `${sent.filter((x) => x.expectReply).length} messages, ${silent.length} without reply`);
    const fatal = fatalLogLines(bot!);
    const turnErrors = bot!.log().split('\n').filter((l) => /"event":"(turn\.error|http\.error)"/.test(l));
    report.check('no unhandled rejections', fatal.length === 0, fatal[0]?.slice(0, 200) ?? 'none');
    report.check('no failed turns', turnErrors.length === 0, turnErrors[0]?.slice(0, 200) ?? 'none');
    report.check('bot alive at the end', bot!.alive(), `pid ${bot!.pid}`);

    const window = Math.max(100, Math.floor(options.activities / 10));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const meanRss = (from: number, to: number) => mean(rss.filter((r) => r.at > from && r.at <= to).map((r) => r.bytes));
    const first = meanRss(0, window);
    const last = meanRss(options.activities - window, options.activities);
    const growth = first > 0 ? (last - first) / first : NaN;
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    if (warmup) report.figure('rss first 1000 from cold (MiB)', mib(meanRss(-warmup, -warmup + Math.min(1000, warmup))));
    report.figure('rss first (MiB)', mib(first));
    report.figure('rss last (MiB)', mib(last));
    report.figure('rss max (MiB)', mib(Math.max(...rss.map((r) => r.bytes))));
    report.figure('rss growth (%)', (growth * 100).toFixed(1));
    // With the heap probe preloaded (see bench/support/heap-probe.cjs): the live heap after a full GC.
    const probes = bot!
      .log()
      .split('\n')
      .filter((l) => l.startsWith('HEAP_PROBE '))
      .map((l) => JSON.parse(l.slice('HEAP_PROBE '.length)) as { at: number; heapUsed: number });
    if (probes.length >= 4) {
      const measured = probes.filter((p) => p.at >= started);
      const firstHeap = measured[0]?.heapUsed ?? NaN;
      const lastHeap = measured.at(-1)?.heapUsed ?? NaN;
      report.figure('live heap after GC first→last (MiB)', `${mib(firstHeap)}→${mib(lastHeap)}`);
    }
    if (options.checkRss) {
      report.check(
        `RSS growth between the first and last ${window} activities < 10 %`,
        Number.isFinite(growth) && growth < 0.1,
        `${mib(first)} MiB → ${mib(last)} MiB (${(growth * 100).toFixed(1)} %, mean of samples every 100 activities)`,
      );
    }
  }
}
