import type { OutgoingMessage, WriteOp } from '../ports.js';

/**
 * The durable outbox: every proactive notice (escalation notices, summons, reminders, feedback
 * requests) is a job, delivered to the recipient's personal chat exactly once or reported as failed.
 * Implemented in src/app/outbox-service.ts on top of the Jobs and Messenger ports.
 *
 * This file is the contract the features code against.
 */
export interface Notice {
  /**
   * Unique and stable for what the notice is about (e.g. `escalation:vaker-op-plek:<caseId>:<userId>`,
   * `summons:<meetingId>:<userId>`): sending the same id twice delivers once.
   */
  id: string;
  /** Directory user id of the recipient. Notices only ever go to personal chats. */
  recipient: string;
  message: OutgoingMessage;
  /** Deliver at this time (reminders); default now. */
  deliverAt?: Date;
  /**
   * Who is told when the notice cannot be delivered (blocked, removed the app, no conversation yet),
   * typically the case's director. Omit for notices whose failure only needs recording.
   */
  reportFailureTo?: string;
  /** A non-personal description for the failure report and logs, e.g. "oproep casusoverleg C-2026-00012". */
  about: string;
  /**
   * What the notice belongs to (e.g. `{ kind: 'pass-on', id }`). When the notice is delivered or has
   * failed, the outbox calls the listener registered for `kind` (at least once), so the feature can
   * record the outcome on its own data.
   */
  ref?: NoticeRef;
}

export interface NoticeRef {
  kind: string;
  id: string;
}

/** What a `ref` listener learns once a notice is settled. */
export interface SettledNotice {
  id: string;
  ref: NoticeRef;
  recipient: string;
  state: 'delivered' | 'failed';
  reason?: string;
}

export type NoticeStatus =
  | { state: 'pending'; attempts: number; waitingForConversation?: boolean }
  | { state: 'delivered'; at: string; activityId?: string }
  | { state: 'failed'; at: string; reason: string }
  | { state: 'cancelled'; at: string };

export interface Outbox {
  /** Durably queues the notice; `queued: false` when a notice with this id exists already. */
  send(notice: Notice): Promise<{ queued: boolean }>;
  /** Cancels a notice that has not been delivered yet (a cancelled meeting's reminders). */
  cancel(id: string): Promise<boolean>;
  status(id: string): Promise<NoticeStatus | undefined>;
  /**
   * Notices waiting for a conversation reference of `userId` are queued again: called when the
   * Teams layer stores one (install, first message). Returns how many were re-queued.
   */
  reachable?(userId: string): Promise<number>;
  /**
   * Transactional outbox: the writes that store `notices` as pending, to be committed in the same
   * commit as the change they announce; after a successful commit call `dispatch()`. A crash in
   * between loses nothing: pending notices are re-queued by the outbox's recovery.
   */
  stage?(notices: readonly Notice[]): { ops: WriteOp[]; dispatch(): Promise<void> };
}

/** The periodic sweep's recovery leaves notices due less than this long ago alone (OutboxService.recover). */
export const RECOVER_GRACE_MS = 60_000;
