import { escalationIndexes, escalationKeys, type FiringRecord } from '../../src/app/escalation.js';
import { noticeKeys, type NoticeDocument } from '../../src/app/outbox-service.js';
import type { Store, Versioned } from '../../src/ports.js';
import type { FastConnector } from '../support/connector.js';
import { WIJKMANAGER } from '../support/data.js';
import { directoryWithUsers, openForPreparation, sendNotices, storeConversations } from '../support/notices.js';
import type { DrillReport } from './common.js';
import { waitUntil } from './common.js';

/**
 * The notice part of the crash and two-instances drills: "pending notices and reminders are
 * delivered once". Before the bot starts, `count` users get a personal conversation (pointing at
 * the connector stub) and one notice each through the real outbox — half due at once, half as
 * reminders due later. The signals of the drill's load add the escalation notices they trigger
 * (to the wijkmanager). Afterwards every notice must have reached its chat exactly once.
 */
export interface NoticePlan {
  directoryFile: string;
  immediate: string[];
  reminders: string[];
  /** When the first reminder is due (ms since epoch). */
  remindersDueAt: number;
  noticeIds: string[];
}

const conv = (userId: string) => `a:personal-${userId}`;

export async function prepareNotices(options: {
  dir: string;
  dataDir: string;
  redisUrl?: string;
  stubUrl: string;
  count: number;
  reminderDelayMs: number;
}): Promise<NoticePlan> {
  const { file, users } = directoryWithUsers(options.dir, options.count);
  const prepared = await openForPreparation({ dataDir: options.dataDir, directoryFile: file, ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}) });
  try {
    await storeConversations(prepared.ctx, [...users, WIJKMANAGER], options.stubUrl);
    const immediate = users.slice(0, Math.ceil(users.length / 2));
    const reminders = users.slice(immediate.length);
    const remindersDueAt = Date.now() + options.reminderDelayMs;
    const ids = [
      ...(await sendNotices(prepared.ctx, immediate, 'drill-notice')),
      ...(await sendNotices(prepared.ctx, reminders, 'drill-reminder', (i) => new Date(remindersDueAt + i * 10))),
    ];
    return { directoryFile: file, immediate, reminders, remindersDueAt, noticeIds: ids };
  } finally {
    await prepared.close();
  }
}

/** Waits (bounded) until every prepared notice reached its chat and nothing arrived for `quietMs`. */
export async function waitForNotices(plan: NoticePlan, stub: FastConnector, timeoutMs: number, quietMs = 3_000): Promise<boolean> {
  const users = [...plan.immediate, ...plan.reminders];
  const all = await waitUntil(() => users.every((u) => (stub.counts().get(conv(u)) ?? 0) >= 1), timeoutMs);
  // Escalation notices of the last signals, and any second copy, arrive within a few seconds.
  let posted = -1;
  let changedAt = Date.now();
  await waitUntil(() => {
    if (stub.posted() !== posted) {
      posted = stub.posted();
      changedAt = Date.now();
    }
    return Date.now() - changedAt >= quietMs;
  }, 30_000);
  return all;
}

/**
 * What the outbox had recorded when the bot was killed, read from the store before the restart: the
 * recipients whose prepared notice was already `delivered`, and how many escalation notices to the
 * wijkmanager were not. A notice Teams accepted but whose delivery was not yet recorded may be sent
 * again after the restart — the outbox's documented at-least-once window (Bot Connector has no
 * idempotency key); a notice recorded as delivered must never be sent again.
 */
export interface OutboxAtKill {
  delivered: Set<string>;
  escalationOpen: number;
}

export async function outboxAtKill(store: Store, plan: NoticePlan): Promise<OutboxAtKill> {
  const docs = await store.getMany<NoticeDocument>(plan.noticeIds.map((id) => noticeKeys.notice(id)));
  const delivered = new Set(docs.filter((d) => d?.value.state === 'delivered').map((d) => d!.value.recipient));
  const escalation = await wijkmanagerEscalationNotices(store);
  return { delivered, escalationOpen: escalation.docs.filter((d) => d?.value.state !== 'delivered').length };
}

/** Escalation notices the load's signals triggered for the wijkmanager: their firings and documents. */
async function wijkmanagerEscalationNotices(store: Store): Promise<{ firings: FiringRecord[]; docs: (Versioned<NoticeDocument> | undefined)[] }> {
  const markers = await store.range(escalationIndexes.fired, -Infinity, Infinity, { limit: 10_000 });
  const firings = (
    await Promise.all(
      markers.map(async ({ member }) => {
        const marker = await store.get<{ firingId: string }>(member);
        return marker ? (await store.get<FiringRecord>(escalationKeys.firing(marker.value.firingId)))?.value : undefined;
      }),
    )
  ).filter((f): f is FiringRecord => f !== undefined);
  const ids = firings.flatMap((f) => f.noticeIds.filter((_, i) => f.recipients[i] === WIJKMANAGER));
  return { firings, docs: await store.getMany<NoticeDocument>(ids.map((id) => noticeKeys.notice(id))) };
}

/**
 * The checks, on the stub's counts and the stored data (the bot stopped, or Redis). `atKill`: what
 * the outbox had recorded at a kill -9 (see `outboxAtKill`); a second copy of a notice not yet
 * recorded as delivered then is the documented at-least-once window and counted apart.
 */
export async function checkNotices(report: DrillReport, plan: NoticePlan, stub: FastConnector, store: Store, atKill?: OutboxAtKill): Promise<void> {
  const counts = stub.counts();
  const check = (label: string, users: string[]) => {
    const missing = users.filter((u) => !counts.get(conv(u)));
    const twice = users.filter((u) => (counts.get(conv(u)) ?? 0) > 1);
    const inWindow = atKill ? twice.filter((u) => !atKill.delivered.has(u)) : [];
    report.check(`every ${label} delivered`, missing.length === 0, `${users.length - missing.length}/${users.length}`);
    report.check(
      `no ${label} delivered twice${atKill ? ' once recorded as delivered' : ''}`,
      twice.length === inWindow.length,
      `${twice.length} twice${atKill ? `, ${inWindow.length} of them not yet recorded as delivered at the kill (documented at-least-once window)` : ''}`,
    );
    return { twice: twice.length, inWindow: inWindow.length };
  };
  const n = check('pending notice', plan.immediate);
  const r = check('reminder', plan.reminders);
  report.figure('notices+reminders delivered twice in crash window', n.inWindow + r.inWindow);

  const docs = await store.getMany<NoticeDocument>(plan.noticeIds.map((id) => noticeKeys.notice(id)));
  const notDelivered = docs.filter((d) => d?.value.state !== 'delivered');
  report.check('the outbox records every prepared notice as delivered', notDelivered.length === 0, `${docs.length - notDelivered.length}/${docs.length}`);

  // Escalation notices the load's signals triggered: one firing per rule and place, its notices once.
  const { firings, docs: escalationDocs } = await wijkmanagerEscalationNotices(store);
  const delivered = escalationDocs.filter((d) => d?.value.state === 'delivered').length;
  const received = counts.get(conv(WIJKMANAGER)) ?? 0;
  const allowedExtra = atKill?.escalationOpen ?? 0;
  report.figure('escalation firings', firings.length);
  report.check(
    'escalation notices: one firing per rule and place, each notice delivered exactly once',
    firings.length > 0 && delivered === escalationDocs.length && received >= escalationDocs.length && received - escalationDocs.length <= allowedExtra,
    `${firings.length} firings, ${escalationDocs.length} notices to the wijkmanager, ${delivered} recorded delivered, ${received} received` +
      (atKill ? ` (${atKill.escalationOpen} not yet recorded as delivered at the kill)` : ''),
  );
}
