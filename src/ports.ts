/**
 * The interfaces the use cases need. Adapters live in src/store, src/jobs and src/teams;
 * nothing here knows about Teams, Redis or the file system.
 */

/** A stored document with its version tag (optimistic concurrency, like MemoryStorage's eTag). */
export interface Versioned<T = unknown> {
  value: T;
  etag: string;
}

/**
 * One write inside an atomic commit. Conditions (`ifEtag`, `ifAbsent`) are checked for every op
 * before anything is applied; if one fails, nothing of the commit is applied.
 */
export type WriteOp =
  | { op: 'put'; key: string; value: unknown; ifEtag?: string; ifAbsent?: boolean }
  | { op: 'delete'; key: string; ifEtag?: string }
  /** Add or move `member` in a time (or any numeric) index: a Redis sorted set. */
  | { op: 'index'; index: string; member: string; score: number }
  | { op: 'unindex'; index: string; member: string }
  /** Append an entry to an append-only log (audit trail). */
  | { op: 'append'; log: string; entry: Record<string, unknown> };

export type CommitResult =
  | { ok: true; etags: Record<string, string> }
  /** `key` is the first key whose condition failed. */
  | { ok: false; conflict: string };

export interface IndexEntry {
  member: string;
  score: number;
}

/** One question `summarise` answers about an index. */
export interface IndexQuery {
  index: string;
  min: number;
  max: number;
  /** How many of the highest-scored members in [min, max] to return as well (default 0). */
  latest?: number;
}

export interface IndexSummary {
  /** Members with min <= score <= max. */
  count: number;
  /** The `latest` highest-scored of them, descending (by score, then member). */
  latest: IndexEntry[];
}

export interface LogEntry {
  /** Monotonic id within the log; ordering follows append order. */
  id: string;
  /** Milliseconds since epoch, taken by the store when appending. */
  at: number;
  entry: Record<string, unknown>;
}

/**
 * The one storage port. Two adapters implement it with the same contract
 * (test/contract/store.contract.ts): embedded (memory + durable journal) and Redis.
 *
 * Once a `commit` resolves, the data is durable: it survives `kill -9` of the process.
 */
export interface Store {
  readonly kind: 'embedded' | 'redis';
  get<T = unknown>(key: string): Promise<Versioned<T> | undefined>;
  getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | undefined)[]>;
  commit(ops: readonly WriteOp[]): Promise<CommitResult>;
  /** Members with min <= score <= max, ascending by score (descending with `reverse`). */
  range(
    index: string,
    min: number,
    max: number,
    options?: { limit?: number; reverse?: boolean },
  ): Promise<IndexEntry[]>;
  /** Number of members with min <= score <= max: O(log n) in Redis (ZCOUNT). */
  count(index: string, min: number, max: number): Promise<number>;
  /**
   * `count` and the newest members of several indexes in one go and one snapshot: what the rule
   * check needs about a place, a person and a case, in one round trip to Redis.
   */
  summarise(queries: readonly IndexQuery[]): Promise<IndexSummary[]>;
  /**
   * Atomically increments and returns a named counter (starts at 1). The number is durable at the
   * latest together with the next commit that completes after it (use it in that commit before
   * telling anyone): a crash that loses the number loses that commit too, so no number that was
   * shown is ever issued twice.
   */
  nextSeq(name: string): Promise<number>;
  /** Entries of a log with from <= at <= to, in append order. */
  readLog(log: string, from: number, to: number, options?: { limit?: number }): Promise<LogEntry[]>;
  /** Rejects when the backing service cannot be reached (for /readyz). */
  ping(): Promise<void>;
  /** Flushes pending writes and releases resources. */
  close(): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * How the bot reaches a person outside of a turn (proactive message). Implemented in src/teams.
 * `address` is whatever the Teams layer stored as the person's personal conversation reference.
 */
export interface Messenger {
  sendToUser(userId: string, message: OutgoingMessage): Promise<DeliveryResult>;
}

export type DeliveryResult =
  | { ok: true; activityId?: string }
  | { ok: false; reason: 'no-conversation' | 'blocked' | 'not-found' | 'throttled' | 'error'; status?: number; retryAfterMs?: number; detail?: string };

/** A message the use cases produce; the Teams layer turns it into an activity. */
export type OutgoingMessage =
  | { kind: 'text'; text: string }
  | { kind: 'card'; card: AdaptiveCard; summary?: string };

/** Adaptive Card JSON (schema 1.5). Built by src/cards; kept opaque to the use cases. */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard' };

/**
 * Delayed and retried work (notices, reminders). Two adapters with one contract
 * (test/contract/jobs.contract.ts): an in-process scheduler whose pending jobs persist in the Store
 * (embedded mode) and BullMQ (Redis mode).
 */
export interface JobSpec {
  /** Unique id: enqueuing an id that is already pending schedules nothing new (de-duplication). */
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** When to run (default: now). */
  runAt?: Date;
  /**
   * The caller vouches that no job with this id was ever enqueued (the id contains a random part
   * made for it, e.g. the id of a signal just stored): an adapter may skip looking for a duplicate
   * and answer `enqueued: true`. Saves BullMQ a round trip on the submit path.
   */
  newId?: boolean;
}

export interface JobRun {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** 1 for the first attempt. */
  attempt: number;
}

export type JobOutcome =
  | { status: 'done' }
  /** Run again after `delayMs` (e.g. a 429's Retry-After), counting as an attempt. */
  | { status: 'retry'; delayMs: number; reason: string }
  /** Give up: the handler has recorded why. */
  | { status: 'failed'; reason: string };

export type JobHandler = (job: JobRun) => Promise<JobOutcome>;

export interface Jobs {
  readonly kind: 'in-process' | 'bullmq';
  /** Resolves once the job is durably scheduled. `enqueued: false` when the id was already pending. */
  enqueue(spec: JobSpec): Promise<{ enqueued: boolean }>;
  /** Removes a pending job; false when there was none. */
  cancel(id: string): Promise<boolean>;
  /**
   * Runs `type`'s handler in this process soon (attempt 1, at most `concurrency` at once), storing
   * nothing: for work whose trace the caller stored itself, with the change it follows, and that a
   * recovery job redoes when this process stops first or the run does not end in `done` (which is
   * logged, not retried). A queued job costs a store round trip or three (BullMQ: add, fetch,
   * finish); this costs none. False before start(), after stop(), or when too many runs are pending.
   */
  runHere(type: string, payload: Record<string, unknown>): boolean;
  /** Handlers must be registered before start(). A handler that throws counts as a retry with backoff. */
  register(type: string, handler: JobHandler): void;
  start(): Promise<void>;
  /** Stops taking new jobs and waits for running ones. */
  stop(): Promise<void>;
}
