import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobHandler, JobOutcome, JobRun, Jobs } from '../../src/ports.js';
import type { BackoffOptions } from '../../src/jobs/backoff.js';
import type { OnJobFailed, RateLimit } from '../../src/jobs/index.js';

/**
 * The one behavioural contract of the Jobs port, run against every adapter. It pins down what the
 * notices and reminders rely on: a job runs once with its payload, never early, never after it was
 * cancelled, retries count attempts and end in a reported failure, and none of that changes with a
 * restart or with two instances working on the same data.
 *
 * Time: the in-process adapter runs on a controllable clock (`advance` moves it and runs what is
 * due), BullMQ on real time (`advance` sleeps). Tests therefore wait with `eventually` for what must
 * happen and let time pass (`settle`) before checking that nothing more happened; they assert
 * order, counts and occurrence, never durations.
 */

/** Every fixture configures its adapters with these, so the delays below are enough. */
export const CONTRACT_MAX_ATTEMPTS = 3;
export const CONTRACT_BACKOFF: BackoffOptions = { type: 'exponential-jitter', baseMs: 50, capMs: 100 };
/** Longest backoff delay under CONTRACT_BACKOFF. */
const BACKOFF_CAP_MS = 100;
/** Time given to a wrongly scheduled extra run to show up before "nothing more happened" is checked. */
const SETTLE_MS = 300;

export interface JobsFixtureOptions {
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Pacing (Teams: 50 runs per second per tenant); only the pacing test sets a small one. */
  limiter?: RateLimit;
  /** The types the limiter paces (default: all). */
  pacedTypes?: readonly string[];
  /** Must be passed to every adapter instance the fixture creates. */
  onFailed: OnJobFailed;
}

export interface JobsFixture {
  /** A new adapter instance, not started. */
  jobs: Jobs;
  /** The adapter's notion of now (runAt is computed from it). */
  now(): Date;
  /**
   * Lets `ms` pass: the in-process fixture moves its clock and runs what is due on every instance
   * (all of which must be started or stopped by then); the BullMQ fixture waits real time.
   */
  advance(ms: number): Promise<void>;
  /** Stops every instance (as a shutdown does) and returns a new, not started one on the same data. */
  restart(): Promise<Jobs>;
  /** Another instance on the same data (store / Redis prefix), not started: a second bot instance. */
  twin(): Promise<Jobs>;
  /** Stops everything and removes the data. */
  cleanup(): Promise<void>;
}

interface Failure {
  job: JobRun;
  reason: string;
}

/** Waits for something that must happen (immediately true for the in-process adapter). */
async function eventually(assertion: () => void): Promise<void> {
  await vi.waitFor(assertion, { timeout: 10_000, interval: 10 });
}

/** A handler that records its runs and answers with `outcome(run)` (default: done). */
function recorder(outcome: (run: JobRun) => JobOutcome | Promise<JobOutcome> = () => ({ status: 'done' })) {
  const runs: JobRun[] = [];
  const handler: JobHandler = async (run) => {
    runs.push(run);
    return outcome(run);
  };
  return { runs, handler };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function jobsContract(name: string, make: (options: JobsFixtureOptions) => Promise<JobsFixture>): void {
  describe(`Jobs contract: ${name}`, () => {
    let fixture: JobsFixture | undefined;
    let failures: Failure[] = [];

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    async function setup(extra: { limiter?: RateLimit; pacedTypes?: readonly string[] } = {}): Promise<JobsFixture> {
      failures = [];
      fixture = await make({
        maxAttempts: CONTRACT_MAX_ATTEMPTS,
        backoff: CONTRACT_BACKOFF,
        onFailed: (job, reason) => failures.push({ job, reason }),
        ...extra,
      });
      return fixture;
    }

    /** A started instance with one handler for type 'notice'. */
    async function started(outcome?: (run: JobRun) => JobOutcome | Promise<JobOutcome>) {
      const fx = await setup();
      const rec = recorder(outcome);
      fx.jobs.register('notice', rec.handler);
      await fx.jobs.start();
      return { fx, jobs: fx.jobs, runs: rec.runs };
    }

    const inMs = (fx: JobsFixture, ms: number) => new Date(fx.now().getTime() + ms);

    describe('running', () => {
      it('runs a job once, with its id, type, payload and attempt 1', async () => {
        const { fx, jobs, runs } = await started();
        const payload = { caseId: 'C-2026-00012', userId: 'aad-1', facts: { count: 2, dates: ['2026-01-05'] }, none: null };
        expect(await jobs.enqueue({ id: 'notice:C-2026-00012:aad-1', type: 'notice', payload })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs).toEqual([{ id: 'notice:C-2026-00012:aad-1', type: 'notice', payload, attempt: 1 }]);
        expect(failures).toEqual([]);
      });

      it('a job whose id the caller vouches is new (newId) is enqueued and runs once', async () => {
        const { fx, jobs, runs } = await started();
        expect(await jobs.enqueue({ id: 'escalation-eval:signal:fresh-1', type: 'notice', payload: { n: 1 }, newId: true })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs).toEqual([{ id: 'escalation-eval:signal:fresh-1', type: 'notice', payload: { n: 1 }, attempt: 1 }]);
        await expect(jobs.enqueue({ id: 'x', type: 'notice', payload: {}, newId: 'yes' as unknown as boolean })).rejects.toThrow(TypeError);
      });

      it('takes any id: digits only, colons, percent signs, unicode', async () => {
        const { fx, jobs, runs } = await started();
        const ids = ['42', 'a:b:c', 'a%3Ab:c', 'a%253Ab', 'herinnering:overleg:ü😀'];
        for (const id of ids) expect(await jobs.enqueue({ id, type: 'notice', payload: { id } })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(ids.length));
        await fx.advance(SETTLE_MS);
        expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
        expect(runs.every((r) => r.payload.id === r.id)).toBe(true);
      });

      it('a delayed job does not run before its time, and runs after it', async () => {
        const { fx, jobs, runs } = await started();
        await jobs.enqueue({ id: 'reminder:meeting-1', type: 'notice', payload: {}, runAt: inMs(fx, 1_000) });
        await fx.advance(300);
        expect(runs).toHaveLength(0);
        await fx.advance(900);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(1);
      });

      it('a job due in the past runs right away', async () => {
        const { fx, jobs, runs } = await started();
        await jobs.enqueue({ id: 'late', type: 'notice', payload: {}, runAt: inMs(fx, -60_000) });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
      });

      it('rejects a malformed spec without scheduling anything', async () => {
        const { fx, jobs, runs } = await started();
        await expect(jobs.enqueue({ id: '', type: 'notice', payload: {} })).rejects.toThrow(TypeError);
        await expect(jobs.enqueue({ id: 'x', type: '', payload: {} })).rejects.toThrow(TypeError);
        await expect(jobs.enqueue({ id: 'x', type: 'notice', payload: [] as unknown as Record<string, unknown> })).rejects.toThrow(TypeError);
        await expect(jobs.enqueue({ id: 'x', type: 'notice', payload: {}, runAt: new Date(Number.NaN) })).rejects.toThrow(TypeError);
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(0);
        expect(await jobs.enqueue({ id: 'x', type: 'notice', payload: {} })).toEqual({ enqueued: true });
      });

      it('handlers are registered before start(), once per type', async () => {
        const fx = await setup();
        fx.jobs.register('notice', recorder().handler);
        expect(() => fx.jobs.register('notice', recorder().handler)).toThrow(/already registered/);
        await fx.jobs.start();
        expect(() => fx.jobs.register('late', recorder().handler)).toThrow(/before start/);
      });
    });

    describe('running here (runHere)', () => {
      it('runs the handler in this process once, with the payload and attempt 1, and stores nothing: no restart or twin runs it again', async () => {
        const { fx, jobs, runs } = await started();
        expect(jobs.runHere('notice', { signalId: 's-1' })).toBe(true);
        await eventually(() => expect(runs).toHaveLength(1));
        expect(runs[0]).toMatchObject({ type: 'notice', payload: { signalId: 's-1' }, attempt: 1 });
        const twin = await fx.twin();
        const twinRuns = recorder();
        twin.register('notice', twinRuns.handler);
        await twin.start();
        const again = await fx.restart();
        const afterRestart = recorder();
        again.register('notice', afterRestart.handler);
        await again.start();
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(1);
        expect(twinRuns.runs).toHaveLength(0);
        expect(afterRestart.runs).toHaveLength(0);
      });

      it('a run that throws or asks for a retry is not retried and not reported as a failed job (the caller recovers it)', async () => {
        let n = 0;
        const { fx, jobs, runs } = await started(() => {
          n++;
          if (n === 1) throw new Error('store unreachable');
          return { status: 'retry', delayMs: 10, reason: 'later' };
        });
        expect(jobs.runHere('notice', { n: 1 })).toBe(true);
        expect(jobs.runHere('notice', { n: 2 })).toBe(true);
        await eventually(() => expect(runs).toHaveLength(2));
        await fx.advance(SETTLE_MS + BACKOFF_CAP_MS);
        expect(runs).toHaveLength(2);
        expect(failures).toEqual([]);
      });

      it('is refused before start() and after stop(); an unknown type is a programming error', async () => {
        const fx = await setup();
        const rec = recorder();
        fx.jobs.register('notice', rec.handler);
        expect(fx.jobs.runHere('notice', {})).toBe(false);
        await fx.jobs.start();
        expect(() => fx.jobs.runHere('unknown', {})).toThrow(/no handler/);
        await fx.jobs.stop();
        expect(fx.jobs.runHere('notice', {})).toBe(false);
        await fx.advance(SETTLE_MS);
        expect(rec.runs).toHaveLength(0);
      });

      it('stop() waits for a local run that is under way', async () => {
        const gate = deferred();
        let finished = false;
        const { jobs, runs } = await started(async () => {
          await gate.promise;
          finished = true;
          return { status: 'done' };
        });
        jobs.runHere('notice', {});
        await eventually(() => expect(runs).toHaveLength(1));
        const stopping = jobs.stop();
        setTimeout(gate.resolve, 50);
        await stopping;
        expect(finished).toBe(true);
      });
    });

    describe('pacing', () => {
      it('the limiter: no more than `max` runs start in any window of `durationMs` (Teams: 50 per second per tenant)', async () => {
        const limit: RateLimit = { max: 5, durationMs: 1_000 };
        // Timer and Redis round-trip slack: a token bucket (burst + refill) would be off by 800 ms here.
        const SLACK_MS = 100;
        const fx = await setup({ limiter: limit });
        const starts: number[] = [];
        fx.jobs.register('notice', async () => {
          starts.push(performance.now());
          return { status: 'done' };
        });
        await fx.jobs.start();
        const total = 3 * limit.max - 2;
        for (let i = 0; i < total; i++) await fx.jobs.enqueue({ id: `paced-${i}`, type: 'notice', payload: { i } });
        await fx.advance(0);
        await vi.waitFor(() => expect(starts).toHaveLength(total), { timeout: 15_000, interval: 20 });
        starts.sort((a, b) => a - b);
        // Any `max + 1` consecutive starts span at least one window.
        const spans = starts.slice(limit.max).map((t, i) => t - starts[i]!);
        for (const span of spans) expect(span).toBeGreaterThanOrEqual(limit.durationMs - SLACK_MS);
        // And the limiter does not simply serialise everything: the first `max` start together.
        expect(starts[limit.max - 1]! - starts[0]!).toBeLessThan(limit.durationMs / 2);
        expect(failures).toEqual([]);
      });

      it('only the paced types wait for the limiter: a burst of other work does not hold up the notices', async () => {
        const limit: RateLimit = { max: 2, durationMs: 1_000 };
        const fx = await setup({ limiter: limit, pacedTypes: ['notice'] });
        const starts: { notice: number[]; evaluate: number[] } = { notice: [], evaluate: [] };
        for (const type of ['notice', 'evaluate'] as const) {
          fx.jobs.register(type, async () => {
            starts[type].push(performance.now());
            return { status: 'done' };
          });
        }
        await fx.jobs.start();
        const t0 = performance.now();
        for (let i = 0; i < 6; i++) {
          await fx.jobs.enqueue({ id: `evaluate-${i}`, type: 'evaluate', payload: {} });
          await fx.jobs.enqueue({ id: `notice-${i}`, type: 'notice', payload: {} });
        }
        // A delayed unpaced job can be cancelled like any other.
        await fx.jobs.enqueue({ id: 'evaluate-later', type: 'evaluate', payload: {}, runAt: inMs(fx, 60_000) });
        expect(await fx.jobs.cancel('evaluate-later')).toBe(true);
        await fx.advance(0);
        await vi.waitFor(() => expect(starts.notice).toHaveLength(6), { timeout: 15_000, interval: 20 });
        expect(starts.evaluate).toHaveLength(6);
        // Six notices at two per second span at least two windows; the evaluations did not wait for them.
        expect(Math.max(...starts.notice) - Math.min(...starts.notice)).toBeGreaterThanOrEqual(2 * limit.durationMs - 100);
        expect(Math.max(...starts.evaluate) - t0).toBeLessThan(limit.durationMs);
        await fx.advance(100);
        expect(failures).toEqual([]);
      });
    });

    describe('de-duplication', () => {
      it('enqueuing an id that is pending schedules nothing new', async () => {
        const { fx, jobs, runs } = await started();
        const runAt = inMs(fx, 300);
        expect(await jobs.enqueue({ id: 'notice:1', type: 'notice', payload: { v: 1 }, runAt })).toEqual({ enqueued: true });
        expect(await jobs.enqueue({ id: 'notice:1', type: 'notice', payload: { v: 2 }, runAt })).toEqual({ enqueued: false });
        expect(await jobs.enqueue({ id: 'notice:1', type: 'notice', payload: { v: 3 } })).toEqual({ enqueued: false });
        await fx.advance(400);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs.map((r) => r.payload)).toEqual([{ v: 1 }]);
      });

      it('of concurrent enqueues of one id exactly one is enqueued', async () => {
        const { fx, jobs, runs } = await started();
        const runAt = inMs(fx, 300);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => jobs.enqueue({ id: 'notice:race', type: 'notice', payload: { i }, runAt })),
        );
        expect(results.filter((r) => r.enqueued)).toHaveLength(1);
        await fx.advance(400);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(1);
      });

      it('an id is free again once its job is done', async () => {
        const { fx, jobs, runs } = await started();
        await jobs.enqueue({ id: 'reminder:feedback', type: 'notice', payload: { round: 1 } });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(await jobs.enqueue({ id: 'reminder:feedback', type: 'notice', payload: { round: 2 } })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(2));
        expect(runs.map((r) => [r.payload.round, r.attempt])).toEqual([
          [1, 1],
          [2, 1],
        ]);
      });
    });

    describe('cancel', () => {
      it('a job cancelled before it is due never runs; the id is free again', async () => {
        const { fx, jobs, runs } = await started();
        await jobs.enqueue({ id: 'reminder:inquiry', type: 'notice', payload: { v: 1 }, runAt: inMs(fx, 300) });
        expect(await jobs.cancel('reminder:inquiry')).toBe(true);
        expect(await jobs.cancel('reminder:inquiry')).toBe(false);
        expect(await jobs.cancel('never-enqueued')).toBe(false);
        await fx.advance(400);
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(0);

        expect(await jobs.enqueue({ id: 'reminder:inquiry', type: 'notice', payload: { v: 2 } })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        expect(runs[0]!.payload).toEqual({ v: 2 });
      });

      it('a running job cannot be cancelled (false) and finishes once', async () => {
        const entered = deferred();
        const gate = deferred();
        const { fx, jobs, runs } = await started(async () => {
          entered.resolve();
          await gate.promise;
          return { status: 'done' };
        });
        await jobs.enqueue({ id: 'notice:busy', type: 'notice', payload: {} });
        // Not awaited: for the in-process adapter, advance waits for the run it starts.
        const advancing = fx.advance(0);
        await entered.promise;
        expect(await jobs.cancel('notice:busy')).toBe(false);
        expect(await jobs.enqueue({ id: 'notice:busy', type: 'notice', payload: {} })).toEqual({ enqueued: false });
        gate.resolve();
        await advancing;
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(1);
        expect(failures).toEqual([]);
      });

      it('a job waiting for its retry can be cancelled and never runs again', async () => {
        const { fx, jobs, runs } = await started(() => ({ status: 'retry', delayMs: 300, reason: 'throttled (429)' }));
        await jobs.enqueue({ id: 'notice:throttled', type: 'notice', payload: {} });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        await eventually(async () => expect(await jobs.cancel('notice:throttled')).toBe(true));
        await fx.advance(400);
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(1);
        expect(failures).toEqual([]);
      });
    });

    describe('retries and failure', () => {
      it("a 'retry' outcome runs the job again after its delay, with the next attempt number", async () => {
        const { fx, jobs, runs } = await started((run) =>
          run.attempt === 1 ? { status: 'retry', delayMs: 600, reason: 'Retry-After: 0.6' } : { status: 'done' },
        );
        await jobs.enqueue({ id: 'notice:retry', type: 'notice', payload: { p: 1 } });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));
        await fx.advance(200);
        expect(runs).toHaveLength(1);
        await fx.advance(500);
        await eventually(() => expect(runs).toHaveLength(2));
        await fx.advance(SETTLE_MS);
        expect(runs.map((r) => [r.id, r.attempt, r.payload])).toEqual([
          ['notice:retry', 1, { p: 1 }],
          ['notice:retry', 2, { p: 1 }],
        ]);
        expect(failures).toEqual([]);
      });

      it("'retry' counts as an attempt: after maxAttempts the job fails with the last reason", async () => {
        const { fx, jobs, runs } = await started((run) => ({ status: 'retry', delayMs: 50, reason: `throttled ${run.attempt}` }));
        await jobs.enqueue({ id: 'notice:always-throttled', type: 'notice', payload: {} });
        await fx.advance(0);
        for (let n = 1; n < CONTRACT_MAX_ATTEMPTS; n++) {
          await eventually(() => expect(runs).toHaveLength(n));
          await fx.advance(100);
        }
        await eventually(() => expect(failures).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
        expect(failures).toEqual([
          { job: { id: 'notice:always-throttled', type: 'notice', payload: {}, attempt: CONTRACT_MAX_ATTEMPTS }, reason: 'throttled 3' },
        ]);
      });

      it('a thrown error is retried with backoff, then failed after maxAttempts and reported once', async () => {
        const { fx, jobs, runs } = await started(() => {
          throw new Error('Bot Connector unreachable');
        });
        await jobs.enqueue({ id: 'notice:down', type: 'notice', payload: { caseId: 'C-1' } });
        await fx.advance(0);
        for (let n = 1; n < CONTRACT_MAX_ATTEMPTS; n++) {
          await eventually(() => expect(runs).toHaveLength(n));
          await fx.advance(BACKOFF_CAP_MS);
        }
        await eventually(() => expect(failures).toHaveLength(1));
        await fx.advance(BACKOFF_CAP_MS + SETTLE_MS);
        expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
        expect(failures).toEqual([
          { job: { id: 'notice:down', type: 'notice', payload: { caseId: 'C-1' }, attempt: 3 }, reason: 'Bot Connector unreachable' },
        ]);
        // Failed is not pending: nothing to cancel, and the id can be scheduled afresh.
        expect(await jobs.cancel('notice:down')).toBe(false);
        expect(await jobs.enqueue({ id: 'notice:down', type: 'notice', payload: { caseId: 'C-1' } })).toEqual({ enqueued: true });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(4));
        expect(runs[3]!.attempt).toBe(1);
      });

      it("a 'failed' outcome ends the job at once and reports its reason", async () => {
        const { fx, jobs, runs } = await started(() => ({ status: 'failed', reason: '403 MessageWritesBlocked' }));
        await jobs.enqueue({ id: 'notice:blocked', type: 'notice', payload: {} });
        await fx.advance(0);
        await eventually(() => expect(failures).toHaveLength(1));
        await fx.advance(BACKOFF_CAP_MS + SETTLE_MS);
        expect(runs).toHaveLength(1);
        expect(failures).toEqual([{ job: { id: 'notice:blocked', type: 'notice', payload: {}, attempt: 1 }, reason: '403 MessageWritesBlocked' }]);
      });

      it('a job of a type nobody handles fails after its attempts, naming the type', async () => {
        const { fx, jobs, runs } = await started();
        await jobs.enqueue({ id: 'orphan', type: 'unknown-type', payload: {} });
        await fx.advance(0);
        for (let n = 1; n < CONTRACT_MAX_ATTEMPTS; n++) await fx.advance(BACKOFF_CAP_MS);
        await eventually(() => expect(failures).toHaveLength(1));
        expect(failures[0]!.reason).toContain('unknown-type');
        expect(failures[0]!.job.attempt).toBe(CONTRACT_MAX_ATTEMPTS);
        expect(runs).toHaveLength(0);
      });
    });

    describe('restarts', () => {
      it('jobs pending at a restart run exactly once afterwards', async () => {
        const fx = await setup();
        const before = recorder();
        fx.jobs.register('notice', before.handler);
        // Enqueued, but the process goes down before anything is sent.
        await fx.jobs.enqueue({ id: 'notice:due', type: 'notice', payload: { n: 1 } });
        await fx.jobs.enqueue({ id: 'reminder:later', type: 'notice', payload: { n: 2 }, runAt: inMs(fx, 400) });

        const after = await fx.restart();
        const rec = recorder();
        after.register('notice', rec.handler);
        await after.start();
        await fx.advance(0);
        await eventually(() => expect(rec.runs.map((r) => r.id)).toEqual(['notice:due']));
        await fx.advance(500);
        await eventually(() => expect(rec.runs).toHaveLength(2));
        await fx.advance(SETTLE_MS);
        expect(rec.runs.map((r) => [r.id, r.payload, r.attempt])).toEqual([
          ['notice:due', { n: 1 }, 1],
          ['reminder:later', { n: 2 }, 1],
        ]);
        expect(before.runs).toHaveLength(0);
      });

      it('a job waiting for its retry keeps its attempt count over a restart', async () => {
        const { fx, jobs, runs } = await started(() => ({ status: 'retry', delayMs: 300, reason: '429' }));
        await jobs.enqueue({ id: 'notice:429', type: 'notice', payload: {} });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(1));

        const after = await fx.restart();
        const rec = recorder();
        after.register('notice', rec.handler);
        await after.start();
        await fx.advance(400);
        await eventually(() => expect(rec.runs).toHaveLength(1));
        await fx.advance(SETTLE_MS);
        expect(rec.runs.map((r) => r.attempt)).toEqual([2]);
        expect(runs).toHaveLength(1);
      });

      it('a job cancelled before a restart stays cancelled', async () => {
        const fx = await setup();
        await fx.jobs.enqueue({ id: 'reminder:cancelled', type: 'notice', payload: {}, runAt: inMs(fx, 200) });
        expect(await fx.jobs.cancel('reminder:cancelled')).toBe(true);
        const after = await fx.restart();
        const rec = recorder();
        after.register('notice', rec.handler);
        await after.start();
        await fx.advance(300);
        await fx.advance(SETTLE_MS);
        expect(rec.runs).toHaveLength(0);
      });
    });

    describe('two instances on the same data', () => {
      async function pair(outcome?: (run: JobRun) => JobOutcome) {
        const fx = await setup();
        const second = await fx.twin();
        const runs: (JobRun & { by: string })[] = [];
        for (const [by, jobs] of [
          ['one', fx.jobs],
          ['two', second],
        ] as const) {
          jobs.register('notice', async (run) => {
            runs.push({ ...run, by });
            return outcome ? outcome(run) : { status: 'done' };
          });
        }
        await Promise.all([fx.jobs.start(), second.start()]);
        return { fx, one: fx.jobs, two: second, runs };
      }

      it('every job runs exactly once, whichever instance enqueued it', async () => {
        const { fx, one, two, runs } = await pair();
        const ids = Array.from({ length: 24 }, (_, i) => `notice:${i}`);
        await Promise.all(
          ids.map((id, i) =>
            (i % 2 ? one : two).enqueue({ id, type: 'notice', payload: { i }, ...(i % 3 === 0 ? { runAt: inMs(fx, 200) } : {}) }),
          ),
        );
        await fx.advance(0);
        await fx.advance(300);
        await eventually(() => expect(runs).toHaveLength(ids.length));
        await fx.advance(SETTLE_MS);
        expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
      });

      it('reminders with a retry fire once per attempt, also with two instances', async () => {
        const { fx, one, runs } = await pair((run) =>
          run.attempt === 1 ? { status: 'retry', delayMs: 100, reason: 'not yet' } : { status: 'done' },
        );
        const ids = Array.from({ length: 10 }, (_, i) => `reminder:${i}`);
        for (const id of ids) await one.enqueue({ id, type: 'notice', payload: {} });
        await fx.advance(0);
        await eventually(() => expect(runs).toHaveLength(ids.length));
        await fx.advance(200);
        await eventually(() => expect(runs).toHaveLength(2 * ids.length));
        await fx.advance(SETTLE_MS);
        const seen = runs.map((r) => `${r.id}#${r.attempt}`).sort();
        expect(seen).toEqual(ids.flatMap((id) => [`${id}#1`, `${id}#2`]).sort());
        expect(failures).toEqual([]);
      });

      it('a reminder cancelled through the other instance never fires', async () => {
        const { fx, one, two, runs } = await pair();
        await one.enqueue({ id: 'reminder:meeting', type: 'notice', payload: {}, runAt: inMs(fx, 300) });
        expect(await two.enqueue({ id: 'reminder:meeting', type: 'notice', payload: {} })).toEqual({ enqueued: false });
        expect(await two.cancel('reminder:meeting')).toBe(true);
        expect(await one.cancel('reminder:meeting')).toBe(false);
        await fx.advance(400);
        await fx.advance(SETTLE_MS);
        expect(runs).toHaveLength(0);
      });
    });
  });
}
