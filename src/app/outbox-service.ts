import type { Directory } from '../domain/directory.js';
import { nl } from '../i18n/nl.js';
import { exponentialJitter } from '../jobs/backoff.js';
import type { Logger } from '../log.js';
import type { Clock, DeliveryResult, JobOutcome, JobRun, Jobs, Messenger, OutgoingMessage, Store, Versioned, WriteOp } from '../ports.js';
import { auditOp } from './audit.js';
import { conversationKey } from './conversations.js';
import type { Notice, NoticeRef, NoticeStatus, Outbox, SettledNotice } from './outbox.js';

/**
 * The durable outbox on the Jobs and Messenger ports.
 *
 * A notice is a document (`notice:<id>`) plus a job (`notice.deliver`). The document is the truth:
 * it is written (pending) before or atomically with the change it announces, and the delivery job
 * reads it, sends, and records the outcome with an etag-conditional write. So:
 * - sending the same notice id twice stores and delivers it once;
 * - a restart between enqueue and send delivers once: the job survives (in the store, or in Redis)
 *   and a notice that is no longer pending is never sent again. The remaining window is a crash
 *   after Teams accepted the message and before the outcome was written: then it is sent again
 *   (Bot Connector has no idempotency key). Pending notices whose job was lost (crash between the
 *   commit and the enqueue) are re-queued by `recover()`, which runs at start (before the workers)
 *   and with every sweep (leaving alone those due within a minute of now);
 * - Teams' answers are classified (`classifyDelivery`): 429/412/502/503/504 and network faults are
 *   retried honouring Retry-After, else with jittered exponential backoff, at most `maxAttempts`
 *   runs; 403 (blocked, MessageWritesBlocked) and 404 fail at once. A failure is recorded with its
 *   reason and `reportFailureTo` (the case's director) is told, in Dutch, who could not be reached;
 * - a recipient without a stored conversation reference: the notice waits (no retries burnt) and is
 *   re-queued by `reachable(userId)` when the Teams layer stores their reference; the director is
 *   told once that the recipient is "nog niet bereikbaar";
 * - pacing: at most 7 messages per second per conversation (SharedConversationPacer in the Store over
 *   all instances in Redis mode; ConversationPacer in memory for the single embedded instance), and
 *   the Jobs adapter's limiter keeps all runs under Teams' 50 requests per second per tenant (shared
 *   over instances with BullMQ).
 */

export const NOTICE_JOB = 'notice.deliver';

export const noticeKeys = {
  notice: (id: string) => `notice:${id}`,
} as const;

export const noticeIndexes = {
  /** Notices to deliver (queued or retrying), scored by deliverAt. */
  pending: 'notices:pending',
  /** Notices parked until the recipient has a conversation reference, scored by createdAt. */
  waiting: (userId: string) => `notices:waiting:${userId}`,
} as const;

export interface NoticeDocument {
  id: string;
  recipient: string;
  message: OutgoingMessage;
  about: string;
  reportFailureTo?: string;
  ref?: NoticeRef;
  createdAt: string;
  deliverAt: string;
  state: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  /** Bumped each time the notice leaves the waiting room: its delivery job gets a fresh id. */
  generation: number;
  waitingForConversation?: boolean;
  unreachableReported?: boolean;
  settledAt?: string;
  activityId?: string;
  reason?: string;
  /** The `ref` listener ran for the settled state. */
  followedUp?: boolean;
}

export type DeliveryVerdict =
  | { kind: 'delivered'; activityId?: string }
  /** No conversation reference yet: park until the recipient installs or talks to the bot. */
  | { kind: 'wait' }
  | { kind: 'retry'; retryAfterMs?: number; code: FailureCode; status?: number }
  | { kind: 'failed'; code: FailureCode; status?: number };

export type FailureCode = keyof typeof nl.escalation.delivery.reasons;

/** Statuses Teams documents as transient: retry, honouring Retry-After. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 503, 504]);

/**
 * What to do with a delivery result. 403 (the user blocked or removed the app; subCode
 * MessageWritesBlocked) and 404 (conversation gone) will not get better by retrying; 429, 412,
 * 502, 503, 504, other 5xx and network faults (no status) might.
 */
export function classifyDelivery(result: DeliveryResult): DeliveryVerdict {
  if (result.ok) return { kind: 'delivered', ...(result.activityId ? { activityId: result.activityId } : {}) };
  const status = result.status;
  const extra = {
    ...(status !== undefined ? { status } : {}),
  };
  const retry = (code: FailureCode): DeliveryVerdict => ({
    kind: 'retry',
    code,
    ...extra,
    ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
  });
  switch (result.reason) {
    case 'no-conversation':
      return { kind: 'wait' };
    case 'blocked':
      return { kind: 'failed', code: 'blocked', ...extra };
    case 'not-found':
      return { kind: 'failed', code: 'not-found', ...extra };
    case 'throttled':
      return retry('throttled');
    case 'error':
      if (status === undefined || RETRY_STATUSES.has(status) || status >= 500) return retry(status === 429 ? 'throttled' : 'error');
      if (status === 403) return { kind: 'failed', code: 'blocked', ...extra };
      if (status === 404) return { kind: 'failed', code: 'not-found', ...extra };
      return { kind: 'failed', code: 'rejected', ...extra };
  }
}

/**
 * At most `max` sends per `windowMs` per conversation (Teams: 7 messages per second per
 * conversation). Sends to one recipient are serialised; different recipients do not wait for each
 * other. Real time by default; tests pass their own `now`/`sleep`.
 */
export class ConversationPacer {
  private readonly sent = new Map<string, number[]>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly max = 7,
    private readonly windowMs = 1_000,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  take(key: string): Promise<void> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const turn = previous.then(() => this.waitForSlot(key));
    const settled = turn.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return turn;
  }

  private async waitForSlot(key: string): Promise<void> {
    for (;;) {
      const now = this.now();
      const recent = (this.sent.get(key) ?? []).filter((t) => t > now - this.windowMs);
      if (recent.length < this.max) {
        recent.push(now);
        this.sent.set(key, recent);
        if (this.sent.size > 10_000) this.prune(now);
        return;
      }
      this.sent.set(key, recent);
      await this.sleep(recent[0]! + this.windowMs - now);
    }
  }

  private prune(now: number): void {
    for (const [k, times] of this.sent) if (!times.some((t) => t > now - this.windowMs)) this.sent.delete(k);
  }
}

/** Paces sends per conversation: `take(recipient)` resolves when a send may go. */
export interface Pacer {
  take(key: string): Promise<void>;
}

/** The shared pacer's document per recipient: start times (ms) of their last sends within the window. */
export const paceKey = (recipient: string) => `pace:${recipient}`;

/**
 * The same limit as ConversationPacer (at most `max` sends per `windowMs` per conversation), held in
 * the Store so it holds over every bot instance on it (Redis mode): per recipient one small document
 * with the times of the sends in the current window, taken with an etag-conditional commit — two
 * instances cannot both take the last slot; the loser re-reads. No expiry is needed: the document
 * never holds more than `max` times, one per recipient. Times are wall-clock ms, so the instances'
 * clocks should agree (NTP); skew shifts the window by that much.
 */
export class SharedConversationPacer implements Pacer {
  constructor(
    private readonly store: Store,
    private readonly max = 7,
    private readonly windowMs = 1_000,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async take(key: string): Promise<void> {
    for (let conflicts = 0; ; ) {
      const doc = await this.store.get<{ sent: number[] }>(paceKey(key));
      const now = this.now();
      const recent = (doc?.value.sent ?? []).filter((t) => t > now - this.windowMs).sort((a, b) => a - b);
      if (recent.length < this.max) {
        const result = await this.store.commit([
          { op: 'put', key: paceKey(key), value: { sent: [...recent, now] }, ...(doc ? { ifEtag: doc.etag } : { ifAbsent: true }) },
        ]);
        if (result.ok) return;
        // Another instance took a slot meanwhile: look again (bounded only by that instance's progress).
        if (++conflicts > 1_000) throw new Error(`pacer: could not take a slot for ${key}`);
        continue;
      }
      await this.sleep(Math.max(1, recent[0]! + this.windowMs - now));
    }
  }
}

export interface OutboxServiceOptions {
  store: Store;
  jobs: Jobs;
  messenger: Messenger;
  directory: Directory;
  clock: Clock;
  log: Logger;
  /** Delivery runs before a notice is failed (default 5); keep it ≤ the Jobs adapter's maxAttempts. */
  maxAttempts?: number;
  /** Jittered exponential backoff when Teams gives no Retry-After (default 2 s .. 15 min). */
  backoff?: { baseMs: number; capMs: number };
  /** Longest Retry-After honoured (default 1 hour). */
  maxRetryAfterMs?: number;
  /** Default: shared over instances through the Store in Redis mode, in memory with the embedded store (one instance). */
  pacer?: Pacer;
  random?: () => number;
}

export type SettledListener = (notice: SettledNotice) => Promise<void>;

const MAX_ID = 400;
const MAX_ABOUT = 300;
const CONFLICT_RETRIES = 5;
const RECOVER_BATCH = 10_000;

export class OutboxService implements Outbox {
  private readonly store: Store;
  private readonly jobs: Jobs;
  private readonly messenger: Messenger;
  private readonly directory: Directory;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly maxRetryAfterMs: number;
  private readonly pacer: Pacer;
  private readonly random: () => number;
  private readonly listeners = new Map<string, SettledListener>();

  constructor(options: OutboxServiceOptions) {
    this.store = options.store;
    this.jobs = options.jobs;
    this.messenger = options.messenger;
    this.directory = options.directory;
    this.clock = options.clock;
    this.log = options.log;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoff = options.backoff ?? { baseMs: 2_000, capMs: 15 * 60_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60_000;
    this.pacer = options.pacer ?? (options.store.kind === 'redis' ? new SharedConversationPacer(options.store) : new ConversationPacer());
    this.random = options.random ?? Math.random;
  }

  /** Registers the delivery job handler; call before `jobs.start()`. */
  register(): void {
    this.jobs.register(NOTICE_JOB, (run) => this.deliver(run));
  }

  /** Called (at least once) when a notice with `ref.kind === kind` is delivered or has failed. */
  onSettled(kind: string, listener: SettledListener): void {
    if (this.listeners.has(kind)) throw new Error(`OutboxService.onSettled('${kind}'): a listener is already registered`);
    this.listeners.set(kind, listener);
  }

  // --- the Outbox contract --------------------------------------------------------------------------

  async send(notice: Notice): Promise<{ queued: boolean }> {
    const existing = await this.store.get<NoticeDocument>(noticeKeys.notice(notice.id));
    if (existing) {
      // Same id again: nothing new is stored; make sure a pending one has its job (idempotent).
      if (existing.value.state === 'pending' && !existing.value.waitingForConversation) await this.enqueue(existing.value);
      return { queued: false };
    }
    const staged = this.stage([notice]);
    const result = await this.store.commit(staged.ops);
    if (!result.ok) return { queued: false };
    await staged.dispatch();
    return { queued: true };
  }

  stage(notices: readonly Notice[]): { ops: WriteOp[]; dispatch(): Promise<void> } {
    const now = this.clock.now();
    const docs = notices.map((n) => this.document(n, now));
    const ops: WriteOp[] = docs.flatMap((doc): WriteOp[] => [
      { op: 'put', key: noticeKeys.notice(doc.id), value: doc, ifAbsent: true },
      { op: 'index', index: noticeIndexes.pending, member: doc.id, score: Date.parse(doc.deliverAt) },
    ]);
    return {
      ops,
      dispatch: async () => {
        for (const doc of docs) await this.enqueue(doc);
      },
    };
  }

  async cancel(id: string): Promise<boolean> {
    for (let i = 0; i < CONFLICT_RETRIES; i++) {
      const current = await this.store.get<NoticeDocument>(noticeKeys.notice(id));
      if (!current || current.value.state !== 'pending') return false;
      const doc = current.value;
      const { waitingForConversation: _w, ...rest } = doc;
      const cancelled: NoticeDocument = { ...rest, state: 'cancelled', settledAt: this.clock.now().toISOString() };
      const result = await this.store.commit([
        { op: 'put', key: noticeKeys.notice(id), value: cancelled, ifEtag: current.etag },
        { op: 'unindex', index: noticeIndexes.pending, member: id },
        { op: 'unindex', index: noticeIndexes.waiting(doc.recipient), member: id },
      ]);
      if (result.ok) {
        await this.jobs.cancel(jobIdOf(doc)).catch(() => false);
        this.log.info({ event: 'notice.cancelled', noticeId: id }, 'notice cancelled');
        return true;
      }
    }
    return false;
  }

  async status(id: string): Promise<NoticeStatus | undefined> {
    const doc = (await this.store.get<NoticeDocument>(noticeKeys.notice(id)))?.value;
    if (!doc) return undefined;
    const at = doc.settledAt ?? doc.createdAt;
    switch (doc.state) {
      case 'pending':
        return { state: 'pending', attempts: doc.attempts, ...(doc.waitingForConversation ? { waitingForConversation: true } : {}) };
      case 'delivered':
        return { state: 'delivered', at, ...(doc.activityId ? { activityId: doc.activityId } : {}) };
      case 'failed':
        return { state: 'failed', at, reason: doc.reason ?? 'unknown' };
      case 'cancelled':
        return { state: 'cancelled', at };
    }
  }

  async reachable(userId: string): Promise<number> {
    const waiting = await this.store.range(noticeIndexes.waiting(userId), -Infinity, Infinity, { limit: RECOVER_BATCH });
    let requeued = 0;
    for (const { member: id } of waiting) {
      for (let i = 0; i < CONFLICT_RETRIES; i++) {
        const current = await this.store.get<NoticeDocument>(noticeKeys.notice(id));
        if (!current || current.value.state !== 'pending' || !current.value.waitingForConversation) {
          await this.store.commit([{ op: 'unindex', index: noticeIndexes.waiting(userId), member: id }]);
          break;
        }
        const { waitingForConversation: _w, ...rest } = current.value;
        const doc: NoticeDocument = { ...rest, generation: current.value.generation + 1 };
        const result = await this.store.commit([
          { op: 'put', key: noticeKeys.notice(id), value: doc, ifEtag: current.etag },
          { op: 'unindex', index: noticeIndexes.waiting(userId), member: id },
          { op: 'index', index: noticeIndexes.pending, member: id, score: this.clock.now().getTime() },
        ]);
        if (result.ok) {
          await this.enqueue(doc, true);
          requeued++;
          break;
        }
      }
    }
    if (requeued > 0) this.log.info({ event: 'notice.reachable', userId, requeued }, 'waiting notices queued again');
    return requeued;
  }

  /**
   * Re-queues pending notices whose job was lost (idempotent: a job that exists is not duplicated).
   * Returns how many. `graceMs` skips notices due within that long of now (before or after): while
   * the workers run, a notice delivered between this read and its enqueue would otherwise get a job
   * again — a run that sends nothing but still takes a slot of the 50/s limiter. Notices due later
   * (delayed jobs) and long overdue are looked at either way. The start-up recovery runs before the
   * workers start and needs no grace; the periodic sweep passes `RECOVER_GRACE_MS` (src/app/outbox.ts).
   */
  async recover(options: { graceMs?: number } = {}): Promise<number> {
    const now = this.clock.now().getTime();
    const grace = Math.max(0, options.graceMs ?? 0);
    const [overdue, later] = await Promise.all([
      this.store.range(noticeIndexes.pending, -Infinity, now - grace, { limit: RECOVER_BATCH }),
      // Both ends are inclusive: without a grace, "now" is already in the first range.
      this.store.range(noticeIndexes.pending, now + Math.max(grace, 1), Infinity, { limit: RECOVER_BATCH }),
    ]);
    const pending = [...overdue, ...later];
    const docs = await this.store.getMany<NoticeDocument>(pending.map((p) => noticeKeys.notice(p.member)));
    let enqueued = 0;
    for (const [i, d] of docs.entries()) {
      if (!d) {
        await this.store.commit([{ op: 'unindex', index: noticeIndexes.pending, member: pending[i]!.member }]);
        continue;
      }
      if (d.value.state !== 'pending' || d.value.waitingForConversation) continue;
      if (await this.enqueue(d.value)) enqueued++;
    }
    if (enqueued > 0) this.log.warn({ event: 'notice.recovered', count: enqueued }, 'pending notices without a job queued again');
    return enqueued;
  }

  /** For the Jobs adapter's onFailed: a delivery job given up on (e.g. it kept throwing). */
  onJobFailed(run: JobRun, reason: string): void {
    if (run.type !== NOTICE_JOB) return;
    const id = typeof run.payload.noticeId === 'string' ? run.payload.noticeId : undefined;
    if (!id) return;
    void (async () => {
      const current = await this.store.get<NoticeDocument>(noticeKeys.notice(id));
      if (current && current.value.state === 'pending') await this.fail(current, 'error', undefined, reason);
    })().catch((err: unknown) => this.log.error({ event: 'notice.fail-record-error', noticeId: id, err: { message: (err as Error).message } }, 'could not record a failed notice'));
  }

  // --- delivery --------------------------------------------------------------------------------------

  private document(n: Notice, now: Date): NoticeDocument {
    if (typeof n.id !== 'string' || n.id.length === 0 || n.id.length > MAX_ID) throw new TypeError('Outbox: a notice needs an id of 1..400 characters');
    if (typeof n.recipient !== 'string' || n.recipient.length === 0) throw new TypeError('Outbox: a notice needs a recipient');
    if (typeof n.about !== 'string' || n.about.length === 0 || n.about.length > MAX_ABOUT) throw new TypeError('Outbox: a notice needs an "about" of 1..300 characters');
    const deliverAt = n.deliverAt && n.deliverAt.getTime() > now.getTime() ? n.deliverAt : now;
    return {
      id: n.id,
      recipient: n.recipient,
      message: n.message,
      about: n.about,
      ...(n.reportFailureTo && n.reportFailureTo !== n.recipient ? { reportFailureTo: n.reportFailureTo } : {}),
      ...(n.ref ? { ref: { kind: n.ref.kind, id: n.ref.id } } : {}),
      createdAt: now.toISOString(),
      deliverAt: deliverAt.toISOString(),
      state: 'pending',
      attempts: 0,
      generation: 0,
    };
  }

  /** `enqueued: false` when the job of this generation is still pending (de-duplication). */
  private async enqueue(doc: NoticeDocument, now = false): Promise<boolean> {
    const runAt = new Date(Math.max(Date.parse(doc.deliverAt), 0));
    const result = await this.jobs.enqueue({
      id: jobIdOf(doc),
      type: NOTICE_JOB,
      payload: { noticeId: doc.id },
      ...(now ? {} : { runAt }),
    });
    return result.enqueued;
  }

  private async deliver(run: JobRun): Promise<JobOutcome> {
    const id = typeof run.payload.noticeId === 'string' ? run.payload.noticeId : undefined;
    if (!id) return { status: 'failed', reason: 'notice job without noticeId' };
    const current = await this.store.get<NoticeDocument>(noticeKeys.notice(id));
    if (!current) {
      this.log.warn({ event: 'notice.missing', noticeId: id }, 'delivery job for a notice that does not exist');
      return { status: 'done' };
    }
    const doc = current.value;
    if (doc.state !== 'pending') {
      // Delivered, failed or cancelled already (a restart, a duplicate job): never send twice.
      await this.followUp(current);
      return { status: 'done' };
    }
    if (doc.waitingForConversation) return { status: 'done' };
    if (!this.directory.user(doc.recipient)) return this.fail(current, 'unknownRecipient', undefined, undefined, run.attempt);

    await this.pacer.take(doc.recipient);
    const result = await this.messenger.sendToUser(doc.recipient, doc.message);
    const verdict = classifyDelivery(result);
    const detail = result.ok ? undefined : result.detail;
    switch (verdict.kind) {
      case 'delivered':
        await this.settleDelivered(current, run.attempt, verdict.activityId);
        return { status: 'done' };
      case 'wait':
        await this.park(current, run.attempt);
        return { status: 'done' };
      case 'failed':
        return this.fail(current, verdict.code, verdict.status, detail, run.attempt);
      case 'retry': {
        if (run.attempt >= this.maxAttempts) return this.fail(current, verdict.code, verdict.status, detail, run.attempt);
        const delayMs =
          verdict.retryAfterMs !== undefined
            ? Math.min(Math.max(0, verdict.retryAfterMs), this.maxRetryAfterMs)
            : exponentialJitter(run.attempt, this.backoff.baseMs, this.backoff.capMs, this.random);
        // Only the attempt count changes; a conflict (cancelled meanwhile) is seen by the next run.
        await this.store.commit([{ op: 'put', key: noticeKeys.notice(id), value: { ...doc, attempts: run.attempt }, ifEtag: current.etag }]);
        const reason = `${verdict.code}${verdict.status ? ` ${verdict.status}` : ''}`;
        this.log.info({ event: 'notice.retry', noticeId: id, attempt: run.attempt, status: verdict.status, delayMs }, 'notice delivery will be retried');
        return { status: 'retry', delayMs, reason };
      }
    }
  }

  private async settleDelivered(current: Versioned<NoticeDocument>, attempt: number, activityId?: string): Promise<void> {
    const doc = current.value;
    const delivered: NoticeDocument = {
      ...doc,
      state: 'delivered',
      attempts: attempt,
      settledAt: this.clock.now().toISOString(),
      ...(activityId ? { activityId } : {}),
    };
    const result = await this.store.commit([
      { op: 'put', key: noticeKeys.notice(doc.id), value: delivered, ifEtag: current.etag },
      { op: 'unindex', index: noticeIndexes.pending, member: doc.id },
    ]);
    if (!result.ok) {
      // Cancelled while the message was on its way: it was delivered all the same; say so in the log.
      this.log.warn({ event: 'notice.delivered-after-change', noticeId: doc.id }, 'notice delivered but its record changed meanwhile');
      return;
    }
    this.log.info({ event: 'notice.delivered', noticeId: doc.id, recipient: doc.recipient, attempt }, 'notice delivered');
    const stored = await this.store.get<NoticeDocument>(noticeKeys.notice(doc.id));
    if (stored) await this.followUp(stored);
  }

  private async park(current: Versioned<NoticeDocument>, attempt: number): Promise<void> {
    const doc = current.value;
    const parked: NoticeDocument = { ...doc, attempts: attempt, waitingForConversation: true, unreachableReported: true };
    const result = await this.store.commit([
      { op: 'put', key: noticeKeys.notice(doc.id), value: parked, ifEtag: current.etag },
      { op: 'unindex', index: noticeIndexes.pending, member: doc.id },
      { op: 'index', index: noticeIndexes.waiting(doc.recipient), member: doc.id, score: Date.parse(doc.createdAt) },
    ]);
    if (!result.ok) return;
    this.log.info({ event: 'notice.waiting', noticeId: doc.id, recipient: doc.recipient }, 'recipient has no conversation yet; notice waits');
    if (!doc.unreachableReported) await this.report(doc, 'unreachable');
    // The reference may have been stored between the send and the park: then nobody would wake us.
    if (await this.store.get(conversationKey(doc.recipient))) await this.reachable(doc.recipient);
  }

  private async fail(
    current: Versioned<NoticeDocument>,
    code: FailureCode,
    status: number | undefined,
    detail: string | undefined,
    attempt?: number,
  ): Promise<JobOutcome> {
    const doc = current.value;
    const reason = `${code}${status !== undefined ? ` (${status})` : ''}${detail ? `: ${detail}` : ''}`.slice(0, 300);
    const { waitingForConversation: _w, ...rest } = doc;
    const failed: NoticeDocument = {
      ...rest,
      state: 'failed',
      attempts: attempt ?? doc.attempts,
      settledAt: this.clock.now().toISOString(),
      reason,
    };
    const result = await this.store.commit([
      { op: 'put', key: noticeKeys.notice(doc.id), value: failed, ifEtag: current.etag },
      { op: 'unindex', index: noticeIndexes.pending, member: doc.id },
      { op: 'unindex', index: noticeIndexes.waiting(doc.recipient), member: doc.id },
      auditOp({ actor: 'system', action: 'notice.deliver', resource: `notice:${doc.id}`, outcome: 'error', reason: code }),
    ]);
    if (!result.ok) return { status: 'done' };
    this.log.warn({ event: 'notice.failed', noticeId: doc.id, recipient: doc.recipient, code, status }, 'notice could not be delivered');
    await this.report(failed, 'failed', code);
    const stored = await this.store.get<NoticeDocument>(noticeKeys.notice(doc.id));
    if (stored) await this.followUp(stored);
    return { status: 'failed', reason };
  }

  /** Tells `reportFailureTo` (in Dutch) who could not be reached; the report itself reports to no one. */
  private async report(doc: NoticeDocument, kind: 'failed' | 'unreachable', code?: FailureCode): Promise<void> {
    const to = doc.reportFailureTo;
    if (!to || to === doc.recipient || !this.directory.user(to)) return;
    const user = this.directory.user(doc.recipient);
    const name = user?.name ?? doc.recipient;
    const org = user ? (this.directory.organisation(user.organisation)?.name ?? user.organisation) : '?';
    const d = nl.escalation.delivery;
    const text = kind === 'failed' ? d.failed(doc.about, name, org, d.reasons[code ?? 'error']) : d.unreachable(doc.about, name, org);
    await this.send({
      id: `delivery-${kind}:${doc.id}`,
      recipient: to,
      message: { kind: 'text', text },
      about: d.reportAbout(doc.about).slice(0, MAX_ABOUT),
    });
  }

  private async followUp(current: Versioned<NoticeDocument>): Promise<void> {
    const doc = current.value;
    if ((doc.state !== 'delivered' && doc.state !== 'failed') || !doc.ref || doc.followedUp) return;
    const listener = this.listeners.get(doc.ref.kind);
    if (!listener) return;
    await listener({ id: doc.id, ref: doc.ref, recipient: doc.recipient, state: doc.state, ...(doc.reason ? { reason: doc.reason } : {}) });
    await this.store.commit([{ op: 'put', key: noticeKeys.notice(doc.id), value: { ...doc, followedUp: true }, ifEtag: current.etag }]);
  }
}

function jobIdOf(doc: Pick<NoticeDocument, 'id' | 'generation'>): string {
  return `notice:${doc.id}:${doc.generation}`;
}
