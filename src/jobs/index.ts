import type { Logger } from '../log.js';
import type { Clock, JobRun, Jobs, Store } from '../ports.js';
import type { BackoffOptions, BackoffStrategy } from './backoff.js';
import { BullMqJobs } from './bullmq.js';
import { InProcessJobs } from './in-process.js';

export { InProcessJobs, type InProcessJobsOptions } from './in-process.js';
export { BullMqJobs, type BullMqJobsOptions } from './bullmq.js';
export { backoffStrategy, exponential, exponentialJitter, fixed, type BackoffOptions, type BackoffStrategy } from './backoff.js';

/** What the adapters log through: the app's pino logger, or anything with the same methods. */
export type JobsLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Called once when a job is given up on (attempts exhausted, or the handler returned `failed`),
 * after that state is stored. This is where "reported as failed" happens: the use case that
 * enqueued a notice learns it was never delivered.
 */
export type OnJobFailed = (job: JobRun, reason: string) => void;

/** Pacing: at most `max` job runs start in any window of `durationMs` (a sliding window), over all of this adapter's runs — with BullMQ, over every instance. */
export interface RateLimit {
  max: number;
  durationMs: number;
}

/** Options both adapters understand the same way. */
export interface CommonJobsOptions {
  /** Runs per job before it is marked failed; `retry` outcomes count (default 5). */
  maxAttempts?: number;
  /** Delay after a handler threw (default: exponential with jitter, 2 s .. 15 min). */
  backoff?: BackoffOptions | BackoffStrategy;
  /** Parallel runs per instance (default 10). */
  concurrency?: number;
  /** Default 50 per second: Teams' limit per bot per tenant. */
  limiter?: RateLimit;
  /**
   * The job types whose runs `limiter` paces: those that call Teams (default: every type). Other
   * work — evaluating the rules after a burst of signals — must not queue up in front of the
   * notices and eat their share of Teams' limit.
   */
  pacedTypes?: readonly string[];
  onFailed?: OnJobFailed;
  log?: JobsLog;
}

export interface OpenJobsOptions extends CommonJobsOptions {
  store: Store;
  clock: Clock;
  /** When set (and not blank) jobs go to BullMQ on this Redis; otherwise they live in `store`. */
  redisUrl?: string;
  /** BullMQ key prefix (Redis mode only), e.g. to separate environments on one Redis. */
  prefix?: string;
}

/**
 * BullMQ when Redis is configured (several bot instances share the queue), otherwise the
 * in-process scheduler on the embedded store. The store must be the matching one: jobs in Redis
 * next to data in a local file (or the other way round) would survive a restart only half.
 */
export function openJobs(options: OpenJobsOptions): Jobs {
  const { store, clock, redisUrl: rawUrl, prefix, ...common } = options;
  // An empty REDIS_URL= in an env file means "not configured", as in openStore.
  const redisUrl = rawUrl?.trim();
  if (redisUrl) {
    if (store.kind !== 'redis') {
      throw new Error(`openJobs: a Redis URL is configured but the store is '${store.kind}'; open the store with the same REDIS_URL`);
    }
    return new BullMqJobs({ ...common, redisUrl, clock, ...(prefix !== undefined ? { prefix } : {}) });
  }
  if (store.kind !== 'embedded') {
    throw new Error(`openJobs: the store is '${store.kind}' but no Redis URL is configured for the jobs; pass the same REDIS_URL`);
  }
  return new InProcessJobs({ ...common, store, clock });
}
