import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { conversationKey, saveConversation } from '../../src/app/conversations.js';
import { ConversationPacer, OutboxService, SharedConversationPacer, classifyDelivery, noticeIndexes } from '../../src/app/outbox-service.js';
import { RECOVER_GRACE_MS, type Notice, type SettledNotice } from '../../src/app/outbox.js';
import { loadDirectory } from '../../src/domain/directory.js';
import { InProcessJobs } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import type { DeliveryResult, Messenger, OutgoingMessage, Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';

/**
 * The outbox on the in-process scheduler and a scripted messenger: exactly-once delivery, the
 * retry classification of Teams' answers, failure reports, the waiting room for recipients without
 * a conversation, restarts. Time is a controllable clock; nothing here measures wall-clock speed.
 */

const directory = loadDirectory('test/fixtures/directory.yaml');
const WM = 'u-wijkmanager';
const DIRECTOR = 'u-jongerenwerk';

interface Sent {
  userId: string;
  message: OutgoingMessage;
  atMs: number;
}

interface World {
  dir: string;
  store: Store;
  jobs: InProcessJobs;
  outbox: OutboxService;
  ctx: AppContext;
  sent: Sent[];
  /** Answers per call, in order (default: ok). Users without a stored conversation get no-conversation. */
  script: DeliveryResult[];
  settled: SettledNotice[];
  now(): number;
  advance(ms: number): void;
  run(): Promise<number>;
  restart(): Promise<void>;
  logs: string[];
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.jobs.stop();
    await w.store.close();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

async function world(options: { maxAttempts?: number } = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'ovb-outbox-'));
  let t = Date.parse('2026-03-28T10:00:00Z');
  const clock = { now: () => new Date(t) };
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _e, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  const sent: Sent[] = [];
  const script: DeliveryResult[] = [];
  const settled: SettledNotice[] = [];
  const w = { dir, sent, script, settled, logs } as unknown as World;

  const build = async () => {
    const store = await EmbeddedStore.open(dir);
    const messenger: Messenger = {
      async sendToUser(userId, message) {
        if (!(await store.get(conversationKey(userId)))) return { ok: false, reason: 'no-conversation' };
        const answer = script.shift() ?? { ok: true, activityId: `a-${sent.length + 1}` };
        if (answer.ok) sent.push({ userId, message, atMs: t });
        return answer;
      },
    };
    let outbox: OutboxService | undefined;
    const jobs = new InProcessJobs({
      store,
      clock,
      pollIntervalMs: 0,
      maxAttempts: 10,
      onFailed: (job, reason) => outbox?.onJobFailed(job, reason),
    });
    // Deterministic jitter; a pacer on a fake clock so no real waiting happens.
    outbox = new OutboxService({ store, jobs, messenger, directory, clock, log, maxAttempts: options.maxAttempts ?? 5, random: () => 0.5 });
    outbox.register();
    outbox.onSettled('test', async (n) => void settled.push(n));
    await jobs.start();
    w.store = store;
    w.jobs = jobs;
    w.outbox = outbox;
    w.ctx = { store, directory, clock, log, timeZone: 'Europe/Amsterdam', jobs, outbox };
  };
  await build();
  w.now = () => t;
  w.advance = (ms) => void (t += ms);
  w.run = async () => {
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const n = await w.jobs.runDue();
      total += n;
      if (n === 0) break;
    }
    return total;
  };
  w.restart = async () => {
    await w.jobs.stop();
    await w.store.close();
    await build();
  };
  worlds.push(w);
  return w;
}

const reference = (userId: string) => ({ conversation: { id: `a:personal-${userId}` }, serviceUrl: 'http://127.0.0.1:1' });

function notice(over: Partial<Notice> = {}): Notice {
  return {
    id: 'escalation:vaker-op-plek:f1:u-wijkmanager',
    recipient: WM,
    message: { kind: 'text', text: 'Drempel bereikt' },
    about: 'drempel "Vaker overlast op deze plek" voor casus C-2026-00012',
    reportFailureTo: DIRECTOR,
    ...over,
  };
}

async function withConversations(w: World, ...users: string[]) {
  for (const u of users) await saveConversation(w.ctx, u, reference(u));
}

const to = (w: World, userId: string) => w.sent.filter((s) => s.userId === userId);
const textOf = (s: Sent) => (s.message.kind === 'text' ? s.message.text : JSON.stringify(s.message.card));

describe('outbox: delivery exactly once', () => {
  it('delivers a notice once, also when it is sent twice', async () => {
    const w = await world();
    await withConversations(w, WM);
    expect(await w.outbox.send(notice())).toEqual({ queued: true });
    expect(await w.outbox.send(notice())).toEqual({ queued: false });
    expect(await w.outbox.status(notice().id)).toEqual({ state: 'pending', attempts: 0 });
    await w.run();
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'delivered', activityId: 'a-1' });
    // Sent again after delivery: still once.
    expect(await w.outbox.send(notice())).toEqual({ queued: false });
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('delivers at deliverAt, not before', async () => {
    const w = await world();
    await withConversations(w, WM);
    await w.outbox.send(notice({ deliverAt: new Date(w.now() + 60 * 60_000) }));
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    w.advance(60 * 60_000);
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('a restart between enqueue and send delivers once', async () => {
    const w = await world();
    await withConversations(w, WM);
    await w.outbox.send(notice());
    await w.restart();
    await w.run();
    await w.restart();
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('a notice stored without its job (crash before the enqueue) is recovered and delivered once', async () => {
    const w = await world();
    await withConversations(w, WM);
    const staged = w.outbox.stage([notice()]);
    expect((await w.store.commit(staged.ops)).ok).toBe(true);
    // No dispatch(): the process "died". The next start's recovery finds it.
    await w.restart();
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    expect(await w.outbox.recover()).toBe(1);
    expect(await w.outbox.recover()).toBe(0);
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it("the sweep's recovery leaves a notice due less than a minute ago to its own job; later it recovers it", async () => {
    const w = await world();
    await withConversations(w, WM);
    const staged = w.outbox.stage([notice()]);
    expect((await w.store.commit(staged.ops)).ok).toBe(true);
    // While the workers run, a notice this fresh may be in flight: a new job for it would be a wasted run.
    expect(await w.outbox.recover({ graceMs: RECOVER_GRACE_MS })).toBe(0);
    w.advance(RECOVER_GRACE_MS);
    expect(await w.outbox.recover({ graceMs: RECOVER_GRACE_MS })).toBe(1);
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('a notice due later whose job was lost is recovered at start-up and by the sweep, and delivered when due', async () => {
    for (const graceMs of [undefined, RECOVER_GRACE_MS]) {
      const w = await world();
      await withConversations(w, WM);
      const staged = w.outbox.stage([notice({ deliverAt: new Date(w.ctx.clock.now().getTime() + 2 * 60 * 60_000) })]);
      expect((await w.store.commit(staged.ops)).ok).toBe(true);
      expect(await w.outbox.recover(graceMs === undefined ? {} : { graceMs })).toBe(1);
      await w.run();
      expect(to(w, WM)).toHaveLength(0);
      w.advance(2 * 60 * 60_000);
      await w.run();
      expect(to(w, WM)).toHaveLength(1);
    }
  });

  it('a cancelled notice is never delivered', async () => {
    const w = await world();
    await withConversations(w, WM);
    await w.outbox.send(notice({ deliverAt: new Date(w.now() + 1000) }));
    expect(await w.outbox.cancel(notice().id)).toBe(true);
    expect(await w.outbox.cancel(notice().id)).toBe(false);
    w.advance(2000);
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'cancelled' });
  });

  it('tells the ref listener once a notice is delivered', async () => {
    const w = await world();
    await withConversations(w, WM);
    await w.outbox.send(notice({ ref: { kind: 'test', id: 'x-1' } }));
    await w.run();
    expect(w.settled).toEqual([{ id: notice().id, ref: { kind: 'test', id: 'x-1' }, recipient: WM, state: 'delivered' }]);
  });
});

describe('outbox: retries honour Retry-After, otherwise jittered backoff, capped', () => {
  it('a 429 with Retry-After is delivered once, after the wait', async () => {
    const w = await world();
    await withConversations(w, WM);
    w.script.push({ ok: false, reason: 'throttled', status: 429, retryAfterMs: 30_000 });
    const start = w.now();
    await w.outbox.send(notice());
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    expect(await w.outbox.status(notice().id)).toEqual({ state: 'pending', attempts: 1 });
    w.advance(29_999);
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    w.advance(1);
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
    expect(to(w, WM)[0]!.atMs - start).toBeGreaterThanOrEqual(30_000);
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'delivered' });
  });

  it.each([412, 502, 503, 504, 500])('retries a %i (no Retry-After) with jittered exponential backoff', async (status) => {
    const w = await world();
    await withConversations(w, WM);
    w.script.push({ ok: false, reason: 'error', status }, { ok: false, reason: 'error', status });
    await w.outbox.send(notice());
    await w.run();
    // Attempt 1: base 2 s, equal jitter with random 0.5 → 1.5 s. Attempt 2: 3 s.
    w.advance(1_499);
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    w.advance(1);
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
    w.advance(3_000);
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('gives up after maxAttempts, records the reason and tells the director once', async () => {
    const w = await world({ maxAttempts: 3 });
    await withConversations(w, WM, DIRECTOR);
    for (let i = 0; i < 3; i++) w.script.push({ ok: false, reason: 'error', status: 503, retryAfterMs: 1_000 });
    await w.outbox.send(notice());
    for (let i = 0; i < 5; i++) {
      await w.run();
      w.advance(1_000);
    }
    expect(to(w, WM)).toHaveLength(0);
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^error \(503\)/) });
    const reports = to(w, DIRECTOR);
    expect(reports).toHaveLength(1);
    expect(textOf(reports[0]!)).toContain('Willem Wijkmanager (Gemeente Dordrecht) kon niet worden bereikt');
  });
});

describe('outbox: 403 and 404 fail at once and the director is told who could not be reached', () => {
  it.each([
    [403, 'blocked' as const, /geblokkeerd of verwijderd/],
    [404, 'not-found' as const, /bestaat niet meer/],
  ])('%i', async (status, reason, text) => {
    const w = await world();
    await withConversations(w, WM, DIRECTOR);
    w.script.push({ ok: false, reason, status, detail: 'MessageWritesBlocked' });
    await w.outbox.send(notice({ ref: { kind: 'test', id: 'x' } }));
    await w.run();
    const status1 = await w.outbox.status(notice().id);
    expect(status1).toMatchObject({ state: 'failed', reason: `${reason} (${status}): MessageWritesBlocked` });
    expect(to(w, WM)).toHaveLength(0);
    const report = to(w, DIRECTOR);
    expect(report).toHaveLength(1);
    expect(textOf(report[0]!)).toMatch(text);
    expect(textOf(report[0]!)).toContain('Willem Wijkmanager');
    expect(textOf(report[0]!)).toContain('C-2026-00012');
    expect(w.settled).toMatchObject([{ state: 'failed' }]);
    // No retry follows.
    w.advance(60 * 60_000);
    await w.run();
    expect(to(w, WM)).toHaveLength(0);
  });

  it('another 4xx is refused without retries; a failure report itself reports to no one', async () => {
    const w = await world();
    await withConversations(w, WM);
    w.script.push({ ok: false, reason: 'error', status: 400 });
    await w.outbox.send(notice({ reportFailureTo: 'u-nobody' }));
    await w.run();
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'failed', reason: 'rejected (400)' });
  });
});

describe('outbox: a recipient without a conversation reference', () => {
  it('waits without burning attempts, the director hears "nog niet bereikbaar" once, delivery follows the first conversation', async () => {
    const w = await world();
    await withConversations(w, DIRECTOR);
    await w.outbox.send(notice());
    await w.run();
    expect(await w.outbox.status(notice().id)).toEqual({ state: 'pending', attempts: 1, waitingForConversation: true });
    expect(await w.store.count(noticeIndexes.waiting(WM), -Infinity, Infinity)).toBe(1);
    const told = to(w, DIRECTOR);
    expect(told).toHaveLength(1);
    expect(textOf(told[0]!)).toContain('Willem Wijkmanager (Gemeente Dordrecht) is nog niet bereikbaar');

    // Time passes, sweeps recover: nothing is sent while the recipient cannot be reached.
    w.advance(24 * 60 * 60_000);
    await w.outbox.recover();
    await w.run();
    expect(to(w, WM)).toHaveLength(0);

    // The wijkmanager installs the app: the Teams layer stores the reference.
    await saveConversation(w.ctx, WM, reference(WM));
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
    expect(await w.outbox.status(notice().id)).toMatchObject({ state: 'delivered' });
    expect(to(w, DIRECTOR)).toHaveLength(1);
    // A second message of the wijkmanager changes nothing.
    await saveConversation(w.ctx, WM, reference(WM));
    await w.run();
    expect(to(w, WM)).toHaveLength(1);
  });

  it('several waiting notices survive a restart and are all delivered once', async () => {
    const w = await world();
    await w.outbox.send(notice({ id: 'n-1', reportFailureTo: undefined }));
    await w.outbox.send(notice({ id: 'n-2', reportFailureTo: undefined }));
    await w.run();
    await w.restart();
    await saveConversation(w.ctx, WM, reference(WM));
    await w.run();
    await w.run();
    expect(to(w, WM)).toHaveLength(2);
  });
});

describe('conversation references', () => {
  it('a changed reference is stored at once; an unchanged one is read again only after a minute', async () => {
    const w = await world();
    const stored = async () => ((await w.store.get<{ reference: { serviceUrl: string } }>(conversationKey(WM)))?.value.reference.serviceUrl);
    await saveConversation(w.ctx, WM, reference(WM));
    expect(await stored()).toBe('http://127.0.0.1:1');
    // Teams moved the user to another service URL: the next message stores it, however soon.
    await saveConversation(w.ctx, WM, { ...reference(WM), serviceUrl: 'http://127.0.0.1:2' });
    expect(await stored()).toBe('http://127.0.0.1:2');

    // The same reference within a minute is not even read (nothing in the bot deletes one; this
    // stands for a store changed behind the bot's back) …
    await w.store.commit([{ op: 'delete', key: conversationKey(WM) }]);
    w.advance(30_000);
    await saveConversation(w.ctx, WM, { ...reference(WM), serviceUrl: 'http://127.0.0.1:2' });
    expect(await stored()).toBeUndefined();
    // … a minute after it was last confirmed, it is, and stored again.
    w.advance(31_000);
    await saveConversation(w.ctx, WM, { ...reference(WM), serviceUrl: 'http://127.0.0.1:2' });
    expect(await stored()).toBe('http://127.0.0.1:2');
  });
});

describe('classifyDelivery', () => {
  it.each([
    [{ ok: true } as DeliveryResult, 'delivered'],
    [{ ok: false, reason: 'no-conversation' } as DeliveryResult, 'wait'],
    [{ ok: false, reason: 'throttled', status: 429, retryAfterMs: 5000 } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'error', status: 412 } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'error', status: 502 } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'error', status: 503 } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'error', status: 504 } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'error' } as DeliveryResult, 'retry'],
    [{ ok: false, reason: 'blocked', status: 403 } as DeliveryResult, 'failed'],
    [{ ok: false, reason: 'not-found', status: 404 } as DeliveryResult, 'failed'],
    [{ ok: false, reason: 'error', status: 401 } as DeliveryResult, 'failed'],
  ])('%j → %s', (result, kind) => expect(classifyDelivery(result).kind).toBe(kind));

  it('keeps Retry-After', () => {
    expect(classifyDelivery({ ok: false, reason: 'throttled', status: 429, retryAfterMs: 5000 })).toEqual({
      kind: 'retry',
      code: 'throttled',
      status: 429,
      retryAfterMs: 5000,
    });
  });
});

describe('ConversationPacer: at most 7 messages per second per conversation', () => {
  it('lets 7 through at once, holds the 8th until the oldest leaves the window, other conversations go on', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const pacer = new ConversationPacer(7, 1000, () => now, async (ms) => {
      sleeps.push(ms);
      now += ms;
    });
    for (let i = 0; i < 7; i++) await pacer.take('a');
    expect(sleeps).toEqual([]);
    await pacer.take('b');
    expect(sleeps).toEqual([]);
    await pacer.take('a');
    expect(sleeps).toEqual([1000]);
  });
});

describe('SharedConversationPacer: the 7-per-second limit holds over two bot instances on one store', () => {
  async function twoInstances() {
    const dir = mkdtempSync(join(tmpdir(), 'ovb-pacer-'));
    const store = await EmbeddedStore.open(dir);
    let now = 1_000_000;
    const sleeps: number[] = [];
    const clock = () => now;
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    };
    const close = async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { store, clock, sleep, sleeps, close, advance: (ms: number) => void (now += ms) };
  }

  it('in memory each instance would let 7 through (14 together); shared, the 8th waits for the window', async () => {
    const t = await twoInstances();
    try {
      // Per-instance pacers: 4 + 4 sends to one conversation within a second, nobody waits.
      const memA = new ConversationPacer(7, 1000, t.clock, t.sleep);
      const memB = new ConversationPacer(7, 1000, t.clock, t.sleep);
      for (let i = 0; i < 4; i++) await memA.take('u-1');
      for (let i = 0; i < 4; i++) await memB.take('u-1');
      expect(t.sleeps).toEqual([]);

      const a = new SharedConversationPacer(t.store, 7, 1000, t.clock, t.sleep);
      const b = new SharedConversationPacer(t.store, 7, 1000, t.clock, t.sleep);
      for (let i = 0; i < 4; i++) await a.take('u-2');
      t.advance(100);
      for (let i = 0; i < 3; i++) await b.take('u-2');
      expect(t.sleeps).toEqual([]);
      // Another conversation is not held up.
      await b.take('u-3');
      expect(t.sleeps).toEqual([]);
      // The 8th send to u-2 within the second, from either instance, waits until the oldest leaves the window.
      await b.take('u-2');
      expect(t.sleeps).toEqual([900]); // the first 4 (100 ms before the other 3) leave the window
      // Now 4 are in the window (3 from b, the 8th): 3 more may go, the 4th waits again.
      for (let i = 0; i < 3; i++) await a.take('u-2');
      expect(t.sleeps).toEqual([900]);
      await a.take('u-2');
      expect(t.sleeps).toEqual([900, 100]);
    } finally {
      await t.close();
    }
  });

  it('concurrent takes on both instances: exactly 7 go at once, the rest wait', async () => {
    const t = await twoInstances();
    try {
      const a = new SharedConversationPacer(t.store, 7, 1000, t.clock, t.sleep);
      const b = new SharedConversationPacer(t.store, 7, 1000, t.clock, t.sleep);
      const start = t.clock();
      const at: number[] = [];
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).take('u-4').then(() => at.push(t.clock() - start))));
      expect(at.filter((ms) => ms === 0)).toHaveLength(7);
      expect(at.filter((ms) => ms >= 1000)).toHaveLength(3);
    } finally {
      await t.close();
    }
  });

  it('is the default of an outbox on a Redis store (several instances); in memory on the embedded store', () => {
    const base = { jobs: {} as never, messenger: {} as never, directory, clock: { now: () => new Date() }, log: createLogger({ level: 'silent' }) };
    const onRedis = new OutboxService({ ...base, store: { kind: 'redis' } as Store });
    const embedded = new OutboxService({ ...base, store: { kind: 'embedded' } as Store });
    expect((onRedis as unknown as { pacer: unknown }).pacer).toBeInstanceOf(SharedConversationPacer);
    expect((embedded as unknown as { pacer: unknown }).pacer).toBeInstanceOf(ConversationPacer);
  });
});
