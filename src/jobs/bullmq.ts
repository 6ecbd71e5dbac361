import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { systemClock, type Clock, type JobHandler, type JobRun, type JobSpec, type Jobs } from '../ports.js';
import { backoffStrategy, type BackoffStrategy } from './backoff.js';
import { LocalRuns } from './local-runs.js';
import type { CommonJobsOptions, JobsLog, OnJobFailed, RateLimit } from './index.js';
import {
  assertJobSpec,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ATTEMPTS,
  errorMessage,
  isJobOutcome,
  pacedPredicate,
  TEAMS_TENANT_LIMIT,
} from './in-process.js';

/**
 * BullMqJobs: the scheduler of the Redis mode, where several bot instances share one queue.
 *
 * - Every job is added with `attempts: 1`: BullMQ never retries on its own. Retries are ours, so
 *   that both outcomes that mean "again later" behave alike: the handler's `retry` (e.g. a 429's
 *   Retry-After) and a thrown error (our backoff). Both move the active job back to delayed with
 *   `job.moveToDelayed(ts, token)` + `throw new DelayedError()` (BullMQ's documented way to delay a
 *   job from inside its processor); giving up throws `UnrecoverableError`, which lands the job in
 *   'failed' with the reason, kept for `keepFailedForMs` so it can be reported.
 * - The attempt number is BullMQ's `attemptsStarted`: incremented atomically each time a worker
 *   takes the job, so a run that was interrupted (worker died, job stalled and was recovered) counts
 *   as an attempt, as with the in-process adapter's expired lease.
 * - Port ids may contain ':' or be all digits; BullMQ rejects both as custom job ids, so the id is
 *   escaped into the BullMQ jobId and kept verbatim in the job data.
 *
 * Guarantees and their limits: BullMQ delivers at least once. A job runs once unless its worker
 * dies (or blocks its event loop past `lockDurationMs`) between starting the handler and storing the
 * outcome; then the stalled-job check runs it again. A removed (cancelled) job never runs again.
 */

export interface BullMqJobsOptions extends CommonJobsOptions {
  redisUrl: string;
  /**
   * Key prefix of the queue in Redis (default 'ovb'; keys are `<prefix>:<queueName>:…`, beside the
   * RedisStore's `ovb:doc:…`/`ovb:idx:…` without overlap). Tests use a unique one each.
   */
  prefix?: string;
  /** Default 'jobs'. */
  queueName?: string;
  /** Turns `runAt` into BullMQ's delay; BullMQ itself always runs on real time. */
  clock?: Clock;
  /** How long failed jobs stay in Redis for reporting (default 30 days). */
  keepFailedForMs?: number;
  /** How long a worker's claim on a running job lasts without renewal (default 30 s, BullMQ's). */
  lockDurationMs?: number;
}

/** What each BullMQ job carries. */
interface JobData {
  /** The port's id, unescaped. */
  id: string;
  payload: Record<string, unknown>;
  /** Tells this enqueue's job apart from one that already had the id (see `enqueue`). */
  enqueueId: string;
}

/** States in which a job has yet to run or is running: an enqueue of its id is a duplicate. */
const PENDING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'paused', 'active']);
/** States in which no worker holds the job, so removing it is a cancel. */
const CANCELLABLE_STATES = new Set(['waiting', 'delayed', 'prioritized', 'paused']);

const DEFAULT_KEEP_FAILED_MS = 30 * 24 * 60 * 60_000;
/**
 * The pace of the paced queue, kept in Redis so that it holds over every bot instance: at most `max`
 * starts in any window of `window` ms (a sliding window, as Teams may count). BullMQ's own limiter
 * is a fixed window — a counter that expires `duration` after its first run — which lets up to twice
 * the limit through around a window boundary. Returns 0 when a start is granted (and recorded),
 * else the ms until the oldest start in the window leaves it. Redis' clock, not the instances'.
 */
const SLIDING_WINDOW_SCRIPT = `
local key = KEYS[1]
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < max then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

/** BullMQ priorities on the paced queue (lower runs first). */
const RETRY_PRIORITY = 1;
const FRESH_PRIORITY = 2;

const silentLog: JobsLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class BullMqJobs implements Jobs {
  readonly kind = 'bullmq' as const;

  private readonly options: BullMqJobsOptions;
  /** The paced queue (its runs wait for pace()) and, when only some types are paced, the rest. */
  private readonly queue: Queue<JobData, void, string>;
  private readonly unpacedQueue: Queue<JobData, void, string> | undefined;
  private readonly paced: (type: string) => boolean;
  private readonly queueName: string;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly limit: RateLimit;
  private readonly backoff: BackoffStrategy;
  private readonly onFailed: OnJobFailed | undefined;
  private readonly log: JobsLog;
  private readonly handlers = new Map<string, JobHandler>();
  private workers: Worker<JobData, void, string>[] = [];
  private readonly local: LocalRuns;
  private state: 'created' | 'started' | 'stopped' = 'created';
  private stopped: Promise<void> | undefined;

  constructor(options: BullMqJobsOptions) {
    if (!options.redisUrl) throw new Error('BullMqJobs: redisUrl is required');
    this.options = options;
    this.queueName = options.queueName ?? 'jobs';
    this.prefix = options.prefix ?? 'ovb';
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = positiveInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'maxAttempts');
    this.limit = options.limiter ?? TEAMS_TENANT_LIMIT;
    positiveInteger(this.limit.max, 'limiter.max');
    positiveInteger(this.limit.durationMs, 'limiter.durationMs');
    this.backoff = backoffStrategy(options.backoff);
    this.onFailed = options.onFailed;
    this.log = options.log ?? silentLog;
    this.local = new LocalRuns(this.handlers, positiveInteger(options.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency'), this.log);
    // The producer side keeps ioredis' default retries per request: an enqueue while Redis is down
    // rejects (the use case reports it) instead of hanging.
    const queue = (name: string) => {
      const q = new Queue<JobData, void, string>(name, { connection: { url: options.redisUrl }, prefix: this.prefix });
      q.on('error', (error) => this.log.error({ err: error }, 'jobs: queue connection error'));
      return q;
    };
    this.queue = queue(this.queueName);
    this.paced = pacedPredicate(options.pacedTypes);
    // The pace is the paced queue's: unpaced types get a queue of their own.
    this.unpacedQueue = options.pacedTypes === undefined ? undefined : queue(`${this.queueName}-unpaced`);
  }

  private queueFor(type: string): Queue<JobData, void, string> {
    return this.unpacedQueue && !this.paced(type) ? this.unpacedQueue : this.queue;
  }

  async enqueue(spec: JobSpec): Promise<{ enqueued: boolean }> {
    assertJobSpec(spec);
    const jobId = toBullMqId(spec.id);
    if (spec.newId === true) {
      await this.add(spec, jobId, randomUUID());
      return { enqueued: true };
    }
    // Usually the id is new: add, then one read tells whether the job that holds the id is ours.
    // Only when it is someone else's finished leftover (failed jobs are kept for reporting) does it
    // take more: the id is free again, as in the in-process adapter.
    const first = await this.addOnce(spec, jobId);
    if (first.ours) return { enqueued: true };
    const state = await first.stored!.getState();
    if (PENDING_STATES.has(state)) return { enqueued: false };
    // Removing fails only if it changed meanwhile; the second add() sorts that out.
    await first.stored!.remove().catch(() => undefined);
    return { enqueued: (await this.addOnce(spec, jobId)).ours };
  }

  /**
   * add() with a jobId that exists returns without adding and without saying so; the job that
   * holds the id tells whose it is. Gone already means it ran and completed: ours (a job of
   * someone else's concurrent enqueue finishing in these few ms is the window we accept).
   */
  private async addOnce(spec: JobSpec, jobId: string): Promise<{ ours: boolean; stored?: Job<JobData, void, string> }> {
    const enqueueId = randomUUID();
    await this.add(spec, jobId, enqueueId);
    const stored = await this.queueFor(spec.type).getJob(jobId);
    if (stored === undefined || stored.data?.enqueueId === enqueueId) return { ours: true };
    return { ours: false, stored };
  }

  private async add(spec: JobSpec, jobId: string, enqueueId: string): Promise<void> {
    const runAt = spec.runAt ? spec.runAt.getTime() : this.clock.now().getTime();
    const queue = this.queueFor(spec.type);
    await queue.add(
      spec.type,
      { id: spec.id, payload: spec.payload, enqueueId },
      {
        jobId,
        delay: Math.max(0, runAt - this.clock.now().getTime()),
        attempts: 1,
        removeOnComplete: true,
        // On the paced queue a retry goes before fresh jobs (see process()); that takes priorities.
        ...(queue === this.queue ? { priority: FRESH_PRIORITY } : {}),
        removeOnFail: { age: Math.ceil((this.options.keepFailedForMs ?? DEFAULT_KEEP_FAILED_MS) / 1000) },
      },
    );
  }

  async cancel(id: string): Promise<boolean> {
    if (typeof id !== 'string') throw new TypeError('cancel: id must be a string');
    // The id does not say its type: look in both queues.
    const found = await Promise.all([this.queue, this.unpacedQueue].map((q) => q?.getJob(toBullMqId(id))));
    const job = found.find((j) => j !== undefined);
    if (!job) return false;
    if (!CANCELLABLE_STATES.has(await job.getState())) return false;
    try {
      // Atomic in Redis: fails when a worker locked the job in between (then it is running).
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  register(type: string, handler: JobHandler): void {
    if (this.state !== 'created') throw new Error(`BullMqJobs.register('${type}'): handlers must be registered before start()`);
    if (this.handlers.has(type)) throw new Error(`BullMqJobs.register('${type}'): a handler for this type is already registered`);
    this.handlers.set(type, handler);
  }

  runHere(type: string, payload: Record<string, unknown>): boolean {
    if (this.state !== 'started') return false;
    return this.local.submit(type, payload);
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`BullMqJobs.start: already ${this.state}`);
    this.state = 'started';
    const worker = (name: string) => {
      const w = new Worker<JobData, void, string>(name, (job, token) => this.process(job, token), {
        // Blocking commands must wait for Redis to come back rather than fail: BullMQ requires null here.
        connection: { url: this.options.redisUrl, maxRetriesPerRequest: null },
        prefix: this.prefix,
        concurrency: positiveInteger(this.options.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency'),
        // The paced queue's pace is a sliding window in Redis (pace()), not BullMQ's fixed-window limiter.
        // Our own attempt budget decides when an interrupted job gives up (see process()).
        maxStalledCount: this.maxAttempts,
        ...(this.options.lockDurationMs !== undefined ? { lockDuration: this.options.lockDurationMs } : {}),
      });
      w.on('failed', (job, error) => {
        if (!job) return;
        this.log.warn({ jobId: job.data.id, type: job.name, attempt: job.attemptsStarted }, 'jobs: job failed');
        this.reportFailed(toRun(job), error.message);
      });
      w.on('error', (error) => this.log.error({ err: error }, 'jobs: worker error'));
      return w;
    };
    this.workers = [worker(this.queueName), ...(this.unpacedQueue ? [worker(this.unpacedQueue.name)] : [])];
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.state = 'stopped';
      // close() without force waits for the running jobs.
      await Promise.all([...this.workers.map((w) => w.close()), this.local.stop()]);
      await Promise.all([this.queue.close(), this.unpacedQueue?.close()]);
    })();
    return this.stopped;
  }

  private async pace(): Promise<void> {
    const client = (await this.queue.client) as unknown as PaceClient;
    await paceIn(client, `${this.prefix}:${this.queueName}:pace`, this.limit);
  }

  private async process(job: Job<JobData, void, string>, token: string | undefined): Promise<void> {
    const run = toRun(job);
    if (run.attempt > this.maxAttempts) {
      // Only reachable when earlier runs were interrupted (stalled): it never got an outcome.
      throw new UnrecoverableError(`the previous run did not finish (attempt ${run.attempt - 1} stalled)`);
    }
    let delayMs: number;
    let reason: string;
    try {
      // Stored in Redis, so the pace holds over all bot instances: Teams counts per bot per tenant.
      if (job.queueName === this.queue.name) await this.pace();
      const handler = this.handlers.get(run.type);
      if (!handler) throw new Error(`no handler registered for job type "${run.type}"`);
      const outcome: unknown = await handler(run);
      if (!isJobOutcome(outcome)) throw new Error(`handler for "${run.type}" returned no valid outcome`);
      if (outcome.status === 'done') return;
      if (outcome.status === 'failed') throw new UnrecoverableError(outcome.reason);
      delayMs = Math.max(0, Number.isFinite(outcome.delayMs) ? outcome.delayMs : 0);
      reason = outcome.reason;
    } catch (error) {
      if (error instanceof UnrecoverableError) throw error;
      reason = errorMessage(error);
      delayMs = this.backoff(run.attempt);
    }
    // A retry counts as an attempt: a notice throttled forever must end up reported.
    if (run.attempt >= this.maxAttempts) throw new UnrecoverableError(reason);
    this.log.info({ jobId: run.id, type: run.type, attempt: run.attempt, delayMs }, 'jobs: run will be retried');
    try {
      // A notice retried after a 429 has waited longest: when its Retry-After is over it goes before
      // the fresh notices (BullMQ would put it behind all of them), so a burst does not end with a
      // chain of retries that each waited for the whole queue.
      if (job.queueName === this.queue.name && job.priority !== RETRY_PRIORITY) await job.changePriority({ priority: RETRY_PRIORITY });
      await job.moveToDelayed(Date.now() + delayMs, token);
    } catch (error) {
      // Not failing the job for a hiccup: without the move it stays active, its lock expires and
      // the stalled-job check runs it again (as an attempt).
      this.log.warn({ err: error, jobId: run.id }, 'jobs: could not delay a job for its retry');
    }
    throw new DelayedError();
  }

  private reportFailed(job: JobRun, reason: string): void {
    if (!this.onFailed) return;
    try {
      this.onFailed(job, reason);
    } catch (error) {
      this.log.error({ err: error, jobId: job.id }, 'jobs: onFailed threw');
    }
  }
}

/** Waits until the paced queue's sliding window has room for one more start, and takes it. */
async function paceIn(client: PaceClient, key: string, limit: RateLimit): Promise<void> {
  for (;;) {
    const waitMs = Number(await client.eval(SLIDING_WINDOW_SCRIPT, 1, key, limit.max, limit.durationMs, randomUUID()));
    if (!(waitMs > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, limit.durationMs)));
  }
}

interface PaceClient {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

function toRun(job: Job<JobData, void, string>): JobRun {
  return {
    id: job.data.id,
    type: job.name,
    payload: job.data.payload,
    // Incremented by BullMQ when the job was taken, so the current run is included.
    attempt: Math.max(1, job.attemptsStarted),
  };
}

/**
 * BullMQ refuses custom ids that contain ':' or parse as integers. `j-` keeps it non-numeric and
 * percent-escaping ':' (and '%' itself, so the mapping stays one-to-one) removes the colons.
 */
export function toBullMqId(id: string): string {
  return `j-${id.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`BullMqJobs: ${what} must be an integer >= 1, got ${value}`);
  return value;
}
