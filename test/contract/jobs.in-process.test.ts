import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffStrategy, exponential, exponentialJitter, fixed } from '../../src/jobs/backoff.js';
import { openJobs } from '../../src/jobs/index.js';
import { InProcessJobs, type InProcessJobsOptions } from '../../src/jobs/in-process.js';
import type { Clock, JobRun, Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { jobsContract, type JobsFixture, type JobsFixtureOptions } from './jobs.contract.js';

/** A clock that only moves when told to. */
function manualClock(start = Date.parse('2030-03-04T09:00:00Z')) {
  let t = start;
  const clock: Clock = { now: () => new Date(t) };
  return { clock, advance: (ms: number) => void (t += ms) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-jobs-'));
}

async function inProcessFixture(options: JobsFixtureOptions): Promise<JobsFixture> {
  const dir = tempDir();
  let store: Store = await EmbeddedStore.open(dir);
  const time = manualClock();
  let live: InProcessJobs[] = [];
  const create = (): InProcessJobs => {
    // A short real-time poll keeps the loop racing runDue(): claims must stay exclusive anyway.
    const jobs = new InProcessJobs({ ...options, store, clock: time.clock, pollIntervalMs: 20 });
    live.push(jobs);
    return jobs;
  };
  const stopAll = async () => {
    await Promise.all(live.map((jobs) => jobs.stop()));
    live = [];
  };
  return {
    jobs: create(),
    now: () => time.clock.now(),
    async advance(ms) {
      time.advance(ms);
      await Promise.all(live.map((jobs) => jobs.runDue()));
    },
    async restart() {
      await stopAll();
      await store.close();
      store = await EmbeddedStore.open(dir);
      return create();
    },
    async twin() {
      return create();
    },
    async cleanup() {
      await stopAll();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

jobsContract('in-process on the embedded store', inProcessFixture);

describe('InProcessJobs', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function openStore(): Promise<Store> {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    cleanups.push(async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return store;
  }

  function scheduler(options: InProcessJobsOptions): InProcessJobs {
    const jobs = new InProcessJobs(options);
    cleanups.push(() => jobs.stop());
    return jobs;
  }

  it('the poll loop runs due jobs by itself', async () => {
    const store = await openStore();
    const { clock } = manualClock();
    const runs: string[] = [];
    const jobs = scheduler({ store, clock, pollIntervalMs: 10 });
    jobs.register('notice', async (run) => {
      runs.push(run.id);
      return { status: 'done' };
    });
    await jobs.start();
    await jobs.enqueue({ id: 'notice:loop', type: 'notice', payload: {} });
    await vi.waitFor(() => expect(runs).toEqual(['notice:loop']), { timeout: 5_000, interval: 10 });
  });

  it('keeps a failed job as job:<id> with its reason, for reporting', async () => {
    const store = await openStore();
    const time = manualClock();
    const jobs = scheduler({ store, clock: time.clock, pollIntervalMs: 0 });
    jobs.register('notice', async () => ({ status: 'failed', reason: '403 MessageWritesBlocked' }));
    await jobs.start();
    await jobs.enqueue({ id: 'notice:gone', type: 'notice', payload: { userId: 'aad-9' } });
    expect(await jobs.runDue()).toBe(1);
    const doc = await store.get<Record<string, unknown>>('job:notice:gone');
    expect(doc?.value).toMatchObject({ status: 'failed', reason: '403 MessageWritesBlocked', attempt: 1, payload: { userId: 'aad-9' } });
    expect((await store.range('jobs:failed', -Infinity, Infinity)).map((e) => e.member)).toEqual(['notice:gone']);
    expect(await store.count('jobs:due', -Infinity, Infinity)).toBe(0);
  });

  it('with polling off, local runs (runHere) wait for runDue(), which runs and counts them', async () => {
    const store = await openStore();
    const time = manualClock();
    const jobs = scheduler({ store, clock: time.clock, pollIntervalMs: 0 });
    const runs: unknown[] = [];
    jobs.register('evaluate', async (run) => {
      runs.push(run.payload);
      return { status: 'done' };
    });
    await jobs.start();
    expect(jobs.runHere('evaluate', { signalId: 's-1' })).toBe(true);
    expect(jobs.runHere('evaluate', { signalId: 's-2' })).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toEqual([]);
    expect(await jobs.runDue()).toBe(2);
    expect(runs).toEqual([{ signalId: 's-1' }, { signalId: 's-2' }]);
    expect(await jobs.runDue()).toBe(0);
    expect(await store.count('jobs:due', -Infinity, Infinity)).toBe(0);
  });

  it('a done job leaves nothing behind', async () => {
    const store = await openStore();
    const time = manualClock();
    const jobs = scheduler({ store, clock: time.clock, pollIntervalMs: 0 });
    jobs.register('notice', async () => ({ status: 'done' }));
    await jobs.start();
    await jobs.enqueue({ id: 'notice:ok', type: 'notice', payload: {} });
    expect(await jobs.runDue()).toBe(1);
    expect(await store.get('job:notice:ok')).toBeUndefined();
    expect(await store.count('jobs:due', -Infinity, Infinity)).toBe(0);
    expect(await jobs.runDue()).toBe(0);
  });

  it('a job whose runner stopped renewing its lease runs again elsewhere, as the next attempt; the stale outcome is dropped', async () => {
    const store = await openStore();
    const time = manualClock();
    const leaseMs = 60_000;
    const runs: (JobRun & { by: string })[] = [];
    const entered = deferred();
    const hung = deferred();
    const failures: string[] = [];
    const one = scheduler({ store, clock: time.clock, pollIntervalMs: 0, leaseMs, onFailed: (_, reason) => failures.push(reason) });
    const two = scheduler({ store, clock: time.clock, pollIntervalMs: 0, leaseMs, onFailed: (_, reason) => failures.push(reason) });
    one.register('notice', async (run) => {
      runs.push({ ...run, by: 'one' });
      entered.resolve();
      await hung.promise; // e.g. a process frozen mid-send
      return { status: 'retry', delayMs: 1, reason: 'stale' };
    });
    two.register('notice', async (run) => {
      runs.push({ ...run, by: 'two' });
      return { status: 'done' };
    });
    await one.start();
    await two.start();
    await one.enqueue({ id: 'notice:lease', type: 'notice', payload: {} });

    const first = one.runDue();
    await entered.promise;
    expect(await two.runDue()).toBe(0); // leased: not due elsewhere
    time.advance(leaseMs + 1);
    expect(await two.runDue()).toBe(1);
    hung.resolve();
    await first;

    expect(runs.map((r) => [r.by, r.attempt])).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
    // two's 'done' stands: the job is gone, and one's late 'retry' did not bring it back.
    expect(await store.get('job:notice:lease')).toBeUndefined();
    time.advance(10);
    expect(await one.runDue()).toBe(0);
    expect(await two.runDue()).toBe(0);
    expect(failures).toEqual([]);
  });

  it('stop() waits for running jobs and starts no new ones', async () => {
    const store = await openStore();
    const time = manualClock();
    const gate = deferred();
    const entered = deferred();
    const runs: string[] = [];
    const jobs = new InProcessJobs({ store, clock: time.clock, pollIntervalMs: 0, concurrency: 1 });
    jobs.register('notice', async (run) => {
      runs.push(run.id);
      entered.resolve();
      await gate.promise;
      return { status: 'done' };
    });
    await jobs.start();
    await jobs.enqueue({ id: 'a', type: 'notice', payload: {} });
    await jobs.enqueue({ id: 'b', type: 'notice', payload: {} });
    const due = jobs.runDue();
    await entered.promise;
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    await due;
    expect(runs).toHaveLength(1);
    expect(await jobs.runDue()).toBe(0);
    // The job it did not start is still pending for the next process.
    expect((await store.range('jobs:due', -Infinity, Infinity)).map((e) => e.member)).toEqual([runs[0] === 'a' ? 'b' : 'a']);
  });

  it('claims due jobs side by side: a slow disk delays each claim, not the whole queue one claim after another', async () => {
    const real = await openStore();
    const JOBS = 40;
    // Claim commits (a job put to 'running') are held until all of them are waiting at once. A
    // scheduler that claimed one job after another would wait here for ever (and the test time out).
    let waiting: (() => void)[] = [];
    const commit = async (ops: Parameters<Store['commit']>[0]) => {
      const claim = ops.some((op) => op.op === 'put' && (op.value as { status?: string } | undefined)?.status === 'running');
      if (claim) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === JOBS) for (const go of waiting.splice(0)) go();
        });
      }
      return real.commit(ops);
    };
    const store = new Proxy(real, {
      get: (target, prop) => {
        if (prop === 'commit') return commit;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const jobs = new InProcessJobs({ store, clock: manualClock().clock, pollIntervalMs: 0 });
    const ran: string[] = [];
    jobs.register('evaluate', async (run) => {
      ran.push(run.id);
      return { status: 'done' };
    });
    await jobs.start();
    for (let i = 0; i < JOBS; i++) await jobs.enqueue({ id: `e${i}`, type: 'evaluate', payload: {} });
    expect(await jobs.runDue()).toBe(JOBS);
    expect(ran).toHaveLength(JOBS);
    waiting = [];
    await jobs.stop();
  });

  it('sends at most 10 paced messages at once, however many slots: a crash can repeat only what is in flight', async () => {
    const store = await openStore();
    const jobs = new InProcessJobs({ store, clock: manualClock().clock, pollIntervalMs: 0, pacedTypes: ['notice'], limiter: { max: 1_000, durationMs: 1_000 } });
    const gate = deferred();
    let running = 0;
    let most = 0;
    let evaluations = 0;
    jobs.register('notice', async () => {
      running++;
      most = Math.max(most, running);
      await gate.promise;
      running--;
      return { status: 'done' };
    });
    jobs.register('evaluate', async () => {
      evaluations++;
      return { status: 'done' };
    });
    await jobs.start();
    for (let i = 0; i < 30; i++) await jobs.enqueue({ id: `n${i}`, type: 'notice', payload: {} });
    for (let i = 0; i < 5; i++) await jobs.enqueue({ id: `e${i}`, type: 'evaluate', payload: {} });
    const due = jobs.runDue();
    // Unpaced jobs are not held up by the paced ones waiting for their turn.
    while (evaluations < 5 || running < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(running).toBe(10);
    gate.resolve();
    expect(await due).toBe(35);
    expect(most).toBe(10);
    await jobs.stop();
  });

  it('runDue() before start() is a wiring error', async () => {
    const store = await openStore();
    const jobs = new InProcessJobs({ store, clock: manualClock().clock });
    await expect(jobs.runDue()).rejects.toThrow(/start\(\) first/);
  });

  it('rejects nonsensical options', async () => {
    const store = await openStore();
    const { clock } = manualClock();
    expect(() => new InProcessJobs({ store, clock, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => new InProcessJobs({ store, clock, concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => new InProcessJobs({ store, clock, limiter: { max: 0, durationMs: 1000 } })).toThrow(/limiter/);
    expect(() => new InProcessJobs({ store, clock, backoff: { type: 'linear' as 'fixed', baseMs: 1 } })).toThrow(/Unknown backoff strategy "linear"/);
  });
});

describe('openJobs', () => {
  it('chooses the in-process adapter without a Redis URL (blank counts as none)', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    try {
      const { clock } = manualClock();
      expect(openJobs({ store, clock }).kind).toBe('in-process');
      expect(openJobs({ store, clock, redisUrl: '  ' }).kind).toBe('in-process');
      // Jobs in Redis next to data in a local file would survive a restart only half.
      expect(() => openJobs({ store, clock, redisUrl: 'redis://127.0.0.1:1' })).toThrow(/store is 'embedded'/);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backoff strategies', () => {
  it('exponential doubles up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => exponential(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000]);
    expect(exponential(5_000, 100, 1_000)).toBe(1_000);
  });

  it('exponential jitter stays between half and all of the exponential delay', () => {
    expect(exponentialJitter(3, 100, 1_000, () => 0)).toBe(200);
    expect(exponentialJitter(3, 100, 1_000, () => 0.999_999)).toBe(400);
    for (let n = 1; n < 20; n++) {
      const delay = exponentialJitter(n, 100, 1_000);
      expect(delay).toBeGreaterThanOrEqual(exponential(n, 100, 1_000) / 2);
      expect(delay).toBeLessThanOrEqual(exponential(n, 100, 1_000));
    }
  });

  it('fixed is fixed; strategies are chosen by name and an unknown name throws', () => {
    expect(fixed(7, 250)).toBe(250);
    expect(backoffStrategy({ type: 'fixed', baseMs: 250 })(3)).toBe(250);
    expect(backoffStrategy({ type: 'exponential', baseMs: 10, capMs: 100 })(4)).toBe(80);
    const custom = (attempt: number) => attempt * 7;
    expect(backoffStrategy(custom)).toBe(custom);
    expect(() => backoffStrategy({ type: 'nope' as 'fixed', baseMs: 1 })).toThrow(/Unknown backoff strategy "nope"/);
    expect(() => exponential(0, 10)).toThrow(RangeError);
  });
});
