import { randomUUID } from 'node:crypto';
import type { Clock, JobHandler, JobOutcome, JobRun, JobSpec, Jobs, Store, WriteOp } from '../ports.js';
import { backoffStrategy, type BackoffStrategy } from './backoff.js';
import { LocalRuns, Slots } from './local-runs.js';
import type { CommonJobsOptions, JobsLog, OnJobFailed, RateLimit } from './index.js';

/**
 * InProcessJobs: the scheduler of the embedded mode. Pending jobs are documents in the Store, so a
 * notice or reminder survives a restart and `kill -9`: `enqueue` resolves only after the commit,
 * which the Store makes durable before it resolves.
 *
 * Data (all written with atomic, conditional commits):
 * - `job:<id>`: the job (type, payload, status, attempt, runAt, lease).
 * - `jobs:due`: index of pending and running jobs. A pending job is scored by `runAt`, a running one
 *   by the end of its lease, so "due" is one range query: jobs whose time has come, plus jobs whose
 *   runner stopped renewing its lease (the process died mid-run).
 * - `jobs:failed`: index of given-up jobs by time; their `job:<id>` stays (status 'failed' + reason)
 *   so they can be reported. Enqueuing the same id again replaces a failed job.
 *
 * A finished job is deleted, not kept as a `job-done:<id>` marker: de-duplication in the Jobs port
 * is about *pending* ids (a reminder that fired may be scheduled again under the same id), and
 * BullMQ with `removeOnComplete` behaves the same. Use cases that must never repeat something
 * de-duplicate on their own data (e.g. "this rule already fired for this case").
 *
 * Claiming is safe with several schedulers on one store: a job moves to 'running' only through a
 * commit with `ifEtag`, so exactly one claimer wins; every later write of the run (lease renewal,
 * outcome) is conditional on the etag of the winner's last write.
 *
 * Guarantees and their limits:
 * - A job whose commit resolved runs, and runs once, unless a process dies (or hangs longer than
 *   the lease) after the handler started and before its outcome was committed: then the job runs
 *   again after the lease expires (at-least-once in that window; that rerun counts as an attempt).
 * - A cancelled job (cancel resolved true) never starts again. A running job cannot be cancelled.
 * - `maxAttempts` bounds the runs; then the job is failed and `onFailed` is called once, by the
 *   scheduler that committed the failure.
 */

export interface InProcessJobsOptions extends CommonJobsOptions {
  store: Store;
  /** Decides when jobs are due (tests and e2e runs pass a controllable clock). */
  clock: Clock;
  /** Real ms between looks for due jobs (default 1000). 0: no loop, only `runDue()` runs jobs. */
  pollIntervalMs?: number;
  /**
   * Clock ms a claimed job stays reserved for its runner (default 60 s). Renewed every third of it
   * while the handler runs, so it only runs out when the runner is gone: it is how long a job
   * waits after a crash before another scheduler (or the restarted process) runs it again.
   */
  leaseMs?: number;
}

/** Defaults both adapters share (except the concurrency, see below); the in-process adapter is the reference. */
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_CONCURRENCY = 10;
/**
 * The in-process scheduler's own default. Its runs are chains of durable commits (claim, the
 * handler's writes, the outcome), and under load each waits for a group fsync and for its turn on a
 * busy event loop: a run is tens of ms of waiting and well under a millisecond of CPU. With 10 slots it managed ~50 runs/s while the
 * benchmark submitted ~800 reports/s, each with a rule evaluation, so evaluations fell behind for
 * as long as the load lasted. 64 slots keep up; BullMQ's runs wait on Redis round trips, not the
 * disk, and keep up with 10.
 */
export const IN_PROCESS_CONCURRENCY = 64;
/** Teams throttles a bot at 50 requests per second per tenant; every job sends at most one message. */
export const TEAMS_TENANT_LIMIT: RateLimit = { max: 50, durationMs: 1_000 };

const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** The shortest wait between two looks for due jobs (see `nextTickDelay`). */
const MIN_TICK_MS = 50;
const DEFAULT_LEASE_MS = 60_000;
const JOB_KEY_PREFIX = 'job:';
const DUE_INDEX = 'jobs:due';
const FAILED_INDEX = 'jobs:failed';
/** Conditional writes that lose a race are re-read and retried this often before giving up. */
const CONFLICT_RETRIES = 5;

type JobStatus = 'pending' | 'running' | 'failed';

interface JobDocument {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  status: JobStatus;
  /** The attempt that runs next (pending) or now (running); 1 for the first. */
  attempt: number;
  /** Clock ms. */
  runAt: number;
  enqueuedAt: number;
  /** Running only: clock ms until which `owner` holds the job. */
  leaseUntil?: number;
  owner?: string;
  /** Why the previous attempt did not finish (retry reason, error message). */
  lastReason?: string;
  /** Failed only. */
  reason?: string;
  failedAt?: number;
}

/** A claimed job: the document as this scheduler wrote it and the etag of that write. */
interface Claim {
  doc: JobDocument;
  etag: string;
}

/** What a run comes down to; `error` is a handler that threw. */
type RunResult = JobOutcome | { status: 'error'; reason: string };

type NextState =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'failed'; reason: string };

const silentLog: JobsLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export class InProcessJobs implements Jobs {
  readonly kind = 'in-process' as const;

  private readonly store: Store;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffStrategy;
  private readonly slots: Slots;
  private readonly pacedSlots: Slots;
  private readonly limiter: SlidingWindowLimiter;
  private readonly paced: (type: string) => boolean;
  private readonly onFailed: OnJobFailed | undefined;
  private readonly log: JobsLog;
  /** Written into leases, so a log line tells which scheduler holds a job. */
  private readonly instanceId = randomUUID();

  private readonly handlers = new Map<string, JobHandler>();
  private state: 'created' | 'started' | 'stopping' | 'stopped' = 'created';
  private stopped: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly passes = new Set<Promise<number>>();
  private readonly runs = new Set<Promise<void>>();
  private readonly local: LocalRuns;

  constructor(options: InProcessJobsOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.pollIntervalMs = nonNegative(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, 'pollIntervalMs');
    this.leaseMs = positive(options.leaseMs ?? DEFAULT_LEASE_MS, 'leaseMs');
    this.maxAttempts = positiveInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'maxAttempts');
    this.backoff = backoffStrategy(options.backoff);
    const concurrency = positiveInteger(options.concurrency ?? IN_PROCESS_CONCURRENCY, 'concurrency');
    this.slots = new Slots(concurrency);
    this.pacedSlots = new Slots(Math.min(concurrency, DEFAULT_CONCURRENCY));
    this.limiter = new SlidingWindowLimiter(options.limiter ?? TEAMS_TENANT_LIMIT);
    this.paced = pacedPredicate(options.pacedTypes);
    this.onFailed = options.onFailed;
    this.log = options.log ?? silentLog;
    // With polling off (tests), local runs wait for runDue() too.
    this.local = new LocalRuns(this.handlers, concurrency, this.log, this.pollIntervalMs === 0);
  }

  async enqueue(spec: JobSpec): Promise<{ enqueued: boolean }> {
    assertJobSpec(spec);
    const now = this.now();
    const doc: JobDocument = {
      id: spec.id,
      type: spec.type,
      payload: spec.payload,
      status: 'pending',
      attempt: 1,
      runAt: spec.runAt ? spec.runAt.getTime() : now,
      enqueuedAt: now,
    };
    const key = jobKey(spec.id);
    for (let i = 0; i < CONFLICT_RETRIES; i++) {
      const current = await this.store.get<JobDocument>(key);
      if (current && current.value.status !== 'failed') return { enqueued: false };
      // ifAbsent / ifEtag: of two concurrent enqueues of one id exactly one commit succeeds; the
      // loser re-reads and finds the job pending.
      const ops: WriteOp[] = current
        ? [
            { op: 'put', key, value: doc, ifEtag: current.etag },
            { op: 'unindex', index: FAILED_INDEX, member: spec.id },
          ]
        : [{ op: 'put', key, value: doc, ifAbsent: true }];
      ops.push({ op: 'index', index: DUE_INDEX, member: spec.id, score: doc.runAt });
      const result = await this.store.commit(ops);
      if (result.ok) return { enqueued: true };
    }
    throw new Error(`InProcessJobs.enqueue: job ${JSON.stringify(spec.id)} kept changing while enqueuing; try again`);
  }

  async cancel(id: string): Promise<boolean> {
    if (typeof id !== 'string') throw new TypeError('cancel: id must be a string');
    const key = jobKey(id);
    for (let i = 0; i < CONFLICT_RETRIES; i++) {
      const current = await this.store.get<JobDocument>(key);
      if (!current || !isJobDocument(current.value)) return false;
      const doc = current.value;
      // A running job whose lease ran out has no runner any more (crash): it is pending again.
      const abandoned = doc.status === 'running' && (doc.leaseUntil ?? 0) <= this.now();
      if (doc.status !== 'pending' && !abandoned) return false;
      // ifEtag: if a scheduler claimed it meanwhile, the delete fails and we look again.
      const result = await this.store.commit([
        { op: 'delete', key, ifEtag: current.etag },
        { op: 'unindex', index: DUE_INDEX, member: id },
      ]);
      if (result.ok) return true;
    }
    return false;
  }

  register(type: string, handler: JobHandler): void {
    if (this.state !== 'created') throw new Error(`InProcessJobs.register('${type}'): handlers must be registered before start()`);
    if (this.handlers.has(type)) throw new Error(`InProcessJobs.register('${type}'): a handler for this type is already registered`);
    this.handlers.set(type, handler);
  }

  runHere(type: string, payload: Record<string, unknown>): boolean {
    if (this.state !== 'started') return false;
    return this.local.submit(type, payload);
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`InProcessJobs.start: already ${this.state}`);
    this.state = 'started';
    // First look right away: jobs that came due while the bot was down are sent now.
    if (this.pollIntervalMs > 0) this.scheduleTick(0);
  }

  /**
   * Runs every job that is due at `clock.now()` once (a job rescheduled during this call is left
   * for the next one) and resolves when those runs — and any the poll loop has going — finished.
   * Returns how many runs this call started. For tests that move a controllable clock. With polling
   * off, the local runs (`runHere`) held until now run too, after the due jobs.
   */
  async runDue(): Promise<number> {
    if (this.state === 'created') throw new Error('InProcessJobs.runDue: call start() first');
    if (this.state !== 'started') return 0;
    const started = await this.trackPass();
    await this.idle();
    // After the pass: what a local run enqueues is left for the next call, as with jobs.
    const here = await this.local.drain();
    return started + here;
  }

  async stop(): Promise<void> {
    if (this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.stopped ??= (async () => {
      this.state = 'stopping';
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      // Passes waiting for a slot see the state and stop claiming; claimed runs finish.
      await Promise.allSettled([...this.passes]);
      await Promise.all([this.idle(), this.local.stop()]);
      this.state = 'stopped';
    })();
    return this.stopped;
  }

  // ------------------------------------------------------------------ loop

  private scheduleTick(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delayMs);
    // The loop alone must not keep the process alive (shutdown, tests).
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.state !== 'started') return;
    try {
      await this.trackPass();
    } catch (error) {
      // E.g. the store is unreachable: nothing is lost, the next tick tries again.
      this.log.error({ err: error }, 'jobs: looking for due jobs failed');
    }
    if (this.state === 'started') this.scheduleTick(await this.nextTickDelay());
  }

  /**
   * Until the next look: the poll interval, or sooner when a job comes due before that (a retry
   * after a 429's Retry-After, a reminder), so no job waits up to a whole interval for its turn.
   */
  private async nextTickDelay(): Promise<number> {
    try {
      const [next] = await this.store.range(DUE_INDEX, -Infinity, Infinity, { limit: 1 });
      // Not below MIN_TICK_MS: an entry it cannot claim (a leftover) must not make the loop spin.
      if (next) return Math.min(this.pollIntervalMs, Math.max(MIN_TICK_MS, next.score - this.now()));
    } catch {
      // The store is unreachable: the next tick at the usual interval tries again (and logs).
    }
    return this.pollIntervalMs;
  }

  private trackPass(): Promise<number> {
    const pass = this.pass();
    this.passes.add(pass);
    void pass.then(
      () => this.passes.delete(pass),
      () => this.passes.delete(pass),
    );
    return pass;
  }

  private async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
  }

  /**
   * Claims and starts every job due now, at most `concurrency` at a time. A claim holds its slot
   * and is not waited for before the next one starts: a claim is a durable commit, and claiming one
   * job after another made the claims, not the slots, the limit (under load ~50 jobs/s, while
   * reports came in at hundreds per second). Resolves once every claim is decided, with how many
   * jobs started; rejects with the first failed claim (e.g. the store is unreachable) after that.
   */
  private async pass(): Promise<number> {
    // Only ids are held, so even a backlog of many thousands (after an outage) is cheap; working
    // through it is paced by the slots and the rate limit, not by the size of this list.
    const due = await this.store.range(DUE_INDEX, -Infinity, this.now());
    let started = 0;
    let failure: { error: unknown } | undefined;
    const claims: Promise<void>[] = [];
    for (const { member: id } of due) {
      await this.slots.acquire();
      if (this.state !== 'started' || failure) {
        this.slots.release();
        break;
      }
      let settled!: () => void;
      claims.push(new Promise<void>((resolve) => (settled = resolve)));
      const run = (async () => {
        let claim: Claim | undefined;
        try {
          claim = await this.claim(id);
        } catch (error) {
          failure ??= { error };
        } finally {
          settled();
        }
        if (!claim) return;
        started++;
        await this.execute(claim);
      })().finally(() => {
        this.slots.release();
        this.runs.delete(run);
      });
      this.runs.add(run);
    }
    await Promise.all(claims);
    if (failure) throw failure.error;
    return started;
  }

  /** Moves a due job to 'running' under a lease; undefined if it is not due or another scheduler won. */
  private async claim(id: string): Promise<Claim | undefined> {
    const key = jobKey(id);
    const current = await this.store.get<JobDocument>(key);
    if (!current) return undefined;
    const doc = current.value;
    if (!isJobDocument(doc)) {
      this.log.error({ jobId: id }, 'jobs: malformed job document skipped');
      return undefined;
    }
    const now = this.now();
    let attempt = doc.attempt;
    let lastReason = doc.lastReason;
    if (doc.status === 'pending') {
      if (doc.runAt > now) return undefined;
    } else if (doc.status === 'running') {
      if ((doc.leaseUntil ?? 0) > now) return undefined;
      // Its runner stopped renewing: it died (or hung) mid-run, maybe after the message went out.
      // Running it again is the at-least-once side of the guarantee; it counts as an attempt, so
      // a job that takes its process down cannot loop forever.
      lastReason = 'the previous run did not finish (lease expired)';
      this.log.warn({ jobId: id, type: doc.type, attempt, owner: doc.owner }, 'jobs: taking over a job whose lease expired');
      if (attempt >= this.maxAttempts) {
        await this.settle({ doc, etag: current.etag }, { kind: 'failed', reason: lastReason });
        return undefined;
      }
      attempt += 1;
    } else {
      return undefined;
    }
    const next: JobDocument = { ...doc, status: 'running', attempt, leaseUntil: now + this.leaseMs, owner: this.instanceId };
    if (lastReason !== undefined) next.lastReason = lastReason;
    const result = await this.store.commit([
      { op: 'put', key, value: next, ifEtag: current.etag },
      { op: 'index', index: DUE_INDEX, member: id, score: next.leaseUntil! },
    ]);
    if (!result.ok) return undefined;
    return { doc: next, etag: result.etags[key]! };
  }

  /** Runs a claimed job and commits its outcome. Never rejects. */
  private async execute(claim: Claim): Promise<void> {
    const { doc } = claim;
    const lease = this.keepLease(claim);
    const paced = this.paced(doc.type);
    // At most 10 paced runs (messages to Teams) at once, as with BullMQ's paced worker, however many
    // slots there are: a crash can send again what was sent but not yet recorded, and that window
    // is the number of sends in flight.
    if (paced) await this.pacedSlots.acquire();
    try {
      await this.runAndSettle(claim, lease, paced);
    } finally {
      if (paced) this.pacedSlots.release();
    }
  }

  private async runAndSettle(claim: Claim, lease: { release(): Promise<Claim | undefined> }, paced: boolean): Promise<void> {
    const { doc } = claim;
    const run: JobRun = { id: doc.id, type: doc.type, payload: doc.payload, attempt: doc.attempt };
    let result: RunResult;
    try {
      if (paced) await this.limiter.take();
      const handler = this.handlers.get(doc.type);
      if (!handler) throw new Error(`no handler registered for job type "${doc.type}"`);
      const outcome: unknown = await handler(run);
      if (!isJobOutcome(outcome)) throw new Error(`handler for "${doc.type}" returned no valid outcome`);
      result = outcome;
    } catch (error) {
      result = { status: 'error', reason: errorMessage(error) };
    }
    try {
      const held = await lease.release();
      if (!held) {
        this.log.warn({ jobId: doc.id, type: doc.type }, 'jobs: lease lost during the run; outcome not stored');
        return;
      }
      await this.settle(held, this.nextState(doc.attempt, result));
    } catch (error) {
      // The job stays 'running' and runs again when its lease expires (at-least-once).
      this.log.error({ err: error, jobId: doc.id, type: doc.type }, 'jobs: could not store the outcome of a run');
    }
  }

  private nextState(attempt: number, result: RunResult): NextState {
    switch (result.status) {
      case 'done':
        return { kind: 'done' };
      case 'failed':
        return { kind: 'failed', reason: result.reason };
      case 'retry':
        // A retry counts as an attempt: a notice throttled forever must end up reported, not queued forever.
        if (attempt >= this.maxAttempts) return { kind: 'failed', reason: result.reason };
        return { kind: 'retry', delayMs: Math.max(0, Number.isFinite(result.delayMs) ? result.delayMs : 0), reason: result.reason };
      case 'error':
        if (attempt >= this.maxAttempts) return { kind: 'failed', reason: result.reason };
        return { kind: 'retry', delayMs: this.backoff(attempt), reason: result.reason };
    }
  }

  /** Commits the outcome, conditional on still holding the job; reports a failure afterwards. */
  private async settle(claim: Claim, next: NextState): Promise<void> {
    const { doc, etag } = claim;
    const key = jobKey(doc.id);
    const now = this.now();
    const { leaseUntil: _lease, owner: _owner, ...rest } = doc;
    let ops: WriteOp[];
    switch (next.kind) {
      case 'done':
        ops = [
          { op: 'delete', key, ifEtag: etag },
          { op: 'unindex', index: DUE_INDEX, member: doc.id },
        ];
        break;
      case 'retry': {
        const pending: JobDocument = { ...rest, status: 'pending', attempt: doc.attempt + 1, runAt: now + next.delayMs, lastReason: next.reason };
        ops = [
          { op: 'put', key, value: pending, ifEtag: etag },
          { op: 'index', index: DUE_INDEX, member: doc.id, score: pending.runAt },
        ];
        break;
      }
      case 'failed': {
        const failed: JobDocument = { ...rest, status: 'failed', reason: next.reason, failedAt: now };
        ops = [
          { op: 'put', key, value: failed, ifEtag: etag },
          { op: 'unindex', index: DUE_INDEX, member: doc.id },
          { op: 'index', index: FAILED_INDEX, member: doc.id, score: now },
        ];
        break;
      }
    }
    const result = await this.store.commit(ops);
    if (!result.ok) {
      // Another scheduler took the job over after our lease ran out; its run decides.
      this.log.warn({ jobId: doc.id, type: doc.type, outcome: next.kind }, 'jobs: job changed hands; outcome not stored');
      return;
    }
    if (next.kind === 'retry') {
      this.log.info({ jobId: doc.id, type: doc.type, attempt: doc.attempt, delayMs: next.delayMs }, 'jobs: run will be retried');
    }
    if (next.kind === 'failed') {
      this.log.warn({ jobId: doc.id, type: doc.type, attempt: doc.attempt }, 'jobs: job failed');
      this.reportFailed({ id: doc.id, type: doc.type, payload: doc.payload, attempt: doc.attempt }, next.reason);
    }
  }

  private reportFailed(job: JobRun, reason: string): void {
    if (!this.onFailed) return;
    try {
      this.onFailed(job, reason);
    } catch (error) {
      this.log.error({ err: error, jobId: job.id }, 'jobs: onFailed threw');
    }
  }

  /**
   * Renews the lease while the handler runs (real-time timer: the lease must outlive slow sends,
   * whatever the app clock does). `release()` stops renewing and gives the claim to write the
   * outcome with, or undefined when the job was taken over meanwhile.
   */
  private keepLease(claim: Claim): { release(): Promise<Claim | undefined> } {
    const key = jobKey(claim.doc.id);
    let held: Claim | undefined = { ...claim };
    let chain = Promise.resolve();
    const renew = async (): Promise<void> => {
      if (!held) return;
      const doc: JobDocument = { ...held.doc, leaseUntil: this.now() + this.leaseMs };
      try {
        const result = await this.store.commit([
          { op: 'put', key, value: doc, ifEtag: held.etag },
          { op: 'index', index: DUE_INDEX, member: doc.id, score: doc.leaseUntil! },
        ]);
        held = result.ok ? { doc, etag: result.etags[key]! } : undefined;
      } catch (error) {
        // Keep the old lease; the next renewal tries again.
        this.log.warn({ err: error, jobId: doc.id }, 'jobs: could not renew a lease');
      }
    };
    const timer = setInterval(() => {
      chain = chain.then(renew);
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await chain;
        return held;
      },
    };
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

// ------------------------------------------------------------------ helpers

function jobKey(id: string): string {
  return `${JOB_KEY_PREFIX}${id}`;
}

/** Which types the limiter paces: the listed ones, or every type when there is no list. */
export function pacedPredicate(types: readonly string[] | undefined): (type: string) => boolean {
  if (types === undefined) return () => true;
  const set = new Set(types);
  return (type) => set.has(type);
}

/** Rejects malformed specs before anything is written, the same way in both adapters. */
export function assertJobSpec(spec: JobSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError('enqueue: spec must be an object');
  if (typeof spec.id !== 'string' || spec.id === '') throw new TypeError('enqueue: id must be a non-empty string');
  if (typeof spec.type !== 'string' || spec.type === '') throw new TypeError('enqueue: type must be a non-empty string');
  if (spec.payload === null || typeof spec.payload !== 'object' || Array.isArray(spec.payload)) {
    throw new TypeError('enqueue: payload must be an object');
  }
  if (spec.runAt !== undefined && !(spec.runAt instanceof Date && Number.isFinite(spec.runAt.getTime()))) {
    throw new TypeError('enqueue: runAt must be a valid Date');
  }
  if (spec.newId !== undefined && typeof spec.newId !== 'boolean') throw new TypeError('enqueue: newId must be a boolean');
}

export function isJobOutcome(value: unknown): value is JobOutcome {
  if (value === null || typeof value !== 'object') return false;
  const outcome = value as { status?: unknown; delayMs?: unknown; reason?: unknown };
  switch (outcome.status) {
    case 'done':
      return true;
    case 'retry':
      return typeof outcome.delayMs === 'number' && typeof outcome.reason === 'string';
    case 'failed':
      return typeof outcome.reason === 'string';
    default:
      return false;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function isJobDocument(value: unknown): value is JobDocument {
  if (value === null || typeof value !== 'object') return false;
  const doc = value as Partial<JobDocument>;
  return (
    typeof doc.id === 'string' &&
    typeof doc.type === 'string' &&
    (doc.status === 'pending' || doc.status === 'running' || doc.status === 'failed') &&
    Number.isInteger(doc.attempt) &&
    typeof doc.runAt === 'number' &&
    doc.payload !== null &&
    typeof doc.payload === 'object'
  );
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`InProcessJobs: ${what} must be >= 0, got ${value}`);
  return value;
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`InProcessJobs: ${what} must be > 0, got ${value}`);
  return value;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}


/**
 * Sliding-window limiter on real time (it paces real requests to Teams, whatever the app clock says):
 * at most `max` starts in ANY window of `durationMs` — a token bucket would allow a burst of `max`
 * plus the refill within one window (up to 2×). Takers are served in order.
 */
export class SlidingWindowLimiter {
  /** Start times (performance.now) of the last `max` takes, oldest first. */
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly limit: RateLimit) {
    positiveInteger(limit.max, 'limiter.max');
    positive(limit.durationMs, 'limiter.durationMs');
  }

  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = performance.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.limit.durationMs) this.starts.shift();
      if (this.starts.length < this.limit.max) {
        this.starts.push(now);
        return;
      }
      const waitMs = Math.max(1, Math.ceil(this.starts[0]! + this.limit.durationMs - now));
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
