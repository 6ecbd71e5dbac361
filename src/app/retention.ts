import { randomUUID } from 'node:crypto';
import { locationPointerKey, personPointerKey } from '../domain/case.js';
import type { FeedbackDoc } from '../domain/feedback.js';
import type { Intervention } from '../domain/intervention.js';
import type { Registration } from '../domain/kerngroep.js';
import { DEFAULT_REMINDER_SLOTS, type Meeting } from '../domain/meeting.js';
import {
  deletionRecordSchema,
  formatDeletionRef,
  isDueForDeletion,
  retentionCutoff,
  type DeletionKind,
  type DeletionRecord,
} from '../domain/retention.js';
import { localDateString, localParts, localToInstant, shiftLocal, type Case, type PoliceContact, type Signal } from '../domain/signal.js';
import { nl } from '../i18n/nl.js';
import type { JobOutcome, Store, WriteOp } from '../ports.js';
import { auditOp } from './audit.js';
import type { AppContext } from './context.js';
import { escalationIndexes, escalationKeys, type FiringRecord } from './escalation.js';
import { feedbackKeys, feedbackNoticeIds } from './feedback.js';
import { kerngroepIndexes, kerngroepKeys, type KgMeeting } from './kerngroep.js';
import { meetingIndexes, meetingKeys, noticeIds as meetingNoticeIds } from './meetings.js';
import { noticeIndexes, noticeKeys, type NoticeDocument } from './outbox-service.js';
import { indexes, keys } from './signals.js';

/**
 * Retention (bewaartermijn): a daily job deletes every case closed more than RETENTION_MONTHS ago,
 * with everything that hangs off it, and leaves a metadata record per deletion.
 *
 * What "everything" is, per case (the store has no key listing, so every document is reached from
 * the case through its indexes and the ids the documents carry):
 * - the case, its reference pointer, the location / person pointers that lead to it;
 * - its signals (`case-signals`), with every time-index entry (user, location, location ×
 *   organisation, person, district), their reference pointers and their form documents;
 * - police contacts (from the signals and `case-police`) and their indexes;
 * - pass-on requests; escalation markers (`escalation-fired-case`) and firings (`case-firings`) with
 *   the notices they sent;
 * - meetings about only this case, with preparations (appendix 1), advice and notices; a meeting
 *   about several cases stays, without this case;
 * - interventions of only this case with their feedback, feedback forms and notices (shared ones
 *   stay, without this case);
 * - Kerngroep registrations, the case's persons on Kerngroep agendas with their questions and
 *   answers, and the colour per person when nobody else on an agenda has it.
 *
 * Atomic per case: one commit with `ifEtag` on every document read, so nothing half-deleted remains
 * and a concurrent change (or a second instance deleting the same case) makes the commit fail; it
 * is then re-read and retried, and a case that is gone is simply done. The audit log and the
 * deletion records are append-only logs and are never deleted.
 *
 * Embedded mode: after deleting, the store is compacted, so the deleted data is also gone from the
 * journal on disk. Redis mode: a rewrite of the append-only file (BGREWRITEAOF, normally automatic)
 * does the same on the server.
 */

/** The deletion records (what kind, when, why, how much): append-only, kept with the audit log. */
export const DELETIONS_LOG = 'deletions';
export const RETENTION_JOB = 'retention.run';
/** Local hour of the daily run: quiet, after midnight, before people start work. */
export const RETENTION_HOUR = 3;

const ALL = { min: -Infinity, max: Infinity };
/** Cases handled per run at most (a backlog is worked off over following days). */
const MAX_CASES_PER_RUN = 5_000;
const BATCH = 500;
const ATTEMPTS = 5;

export interface RetentionOptions {
  /** RETENTION_MONTHS. */
  months: number;
}

// --- documents read for one commit ----------------------------------------------------------------

interface Loaded {
  value: unknown;
  etag: string;
  state: 'same' | 'changed' | 'removed';
}

/**
 * The documents one deletion (or erasure) reads, each read once, changed or removed in memory, and
 * written back in one commit with `ifEtag` on every one of them: if anything changed in between,
 * nothing is written.
 */
export class DocSet {
  private readonly docs = new Map<string, Loaded>();
  private readonly extra: WriteOp[] = [];
  private readonly extraKeys = new Set<string>();

  constructor(private readonly store: Store) {}

  /** Loads the keys not loaded yet; returns the current values (undefined: absent or removed). */
  async load<T>(wanted: readonly string[]): Promise<(T | undefined)[]> {
    const missing = [...new Set(wanted.filter((k) => !this.docs.has(k)))];
    for (let i = 0; i < missing.length; i += BATCH) {
      const chunk = missing.slice(i, i + BATCH);
      const found = await this.store.getMany(chunk);
      chunk.forEach((key, n) => {
        const doc = found[n];
        if (doc) this.docs.set(key, { value: doc.value, etag: doc.etag, state: 'same' });
      });
    }
    return wanted.map((k) => this.value<T>(k));
  }

  value<T>(key: string): T | undefined {
    const d = this.docs.get(key);
    return d && d.state !== 'removed' ? (d.value as T) : undefined;
  }

  /** All loaded, not removed documents whose key starts with `prefix`. */
  entries<T>(prefix: string): [string, T][] {
    return [...this.docs].filter(([k, d]) => k.startsWith(prefix) && d.state !== 'removed').map(([k, d]) => [k, d.value as T]);
  }

  set(key: string, value: unknown): void {
    const d = this.docs.get(key);
    if (!d || d.state === 'removed') throw new Error(`Unexpected: ${key} changed without being loaded`);
    d.value = value;
    d.state = 'changed';
  }

  /** Removes a loaded document; true when it was there. */
  remove(key: string): boolean {
    const d = this.docs.get(key);
    if (!d || d.state === 'removed') return false;
    d.state = 'removed';
    return true;
  }

  unindex(index: string, member: string): void {
    const k = `u\u0000${index}\u0000${member}`;
    if (this.extraKeys.has(k)) return;
    this.extraKeys.add(k);
    this.extra.push({ op: 'unindex', index, member });
  }

  append(op: WriteOp): void {
    this.extra.push(op);
  }

  removed(prefix: string): number {
    return [...this.docs].filter(([k, d]) => k.startsWith(prefix) && d.state === 'removed').length;
  }

  changed(prefix: string): number {
    return [...this.docs].filter(([k, d]) => k.startsWith(prefix) && d.state === 'changed').length;
  }

  ops(): WriteOp[] {
    const writes: WriteOp[] = [];
    for (const [key, d] of this.docs) {
      if (d.state === 'removed') writes.push({ op: 'delete', key, ifEtag: d.etag });
      else if (d.state === 'changed') writes.push({ op: 'put', key, value: d.value, ifEtag: d.etag });
    }
    return [...writes, ...this.extra];
  }
}

async function members(store: Store, index: string): Promise<string[]> {
  return (await store.range(index, ALL.min, ALL.max)).map((e) => e.member);
}

// --- the deletion records ---------------------------------------------------------------------------

export async function nextDeletionRef(ctx: AppContext, now: Date): Promise<string> {
  const year = localParts(now, ctx.timeZone).year;
  return formatDeletionRef(year, await ctx.store.nextSeq(`deletions:${year}`));
}

export function deletionRecordOp(record: DeletionRecord): WriteOp {
  return { op: 'append', log: DELETIONS_LOG, entry: deletionRecordSchema.parse(record) };
}

/** Drops zero counts, so a record lists what was really there. */
export function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/** Embedded mode: rewrite the snapshot and empty the journal, so deleted data is gone from disk too. */
export async function compactAfterDeletion(ctx: AppContext): Promise<void> {
  const compact = (ctx.store as { compact?: () => Promise<void> }).compact;
  if (typeof compact !== 'function') return;
  try {
    await compact.call(ctx.store);
  } catch (err) {
    ctx.log.error({ event: 'retention.compact-failed', err: { message: (err as Error).message } }, 'compaction after deletion failed');
  }
}

// --- what hangs off a case ----------------------------------------------------------------------------

/**
 * Plans the deletion of case `caseId` into `docs`: every document removed or changed, every index
 * entry removed. Returns the counts per kind of record, or undefined when the case is gone.
 */
export async function planCaseDeletion(ctx: AppContext, docs: DocSet, caseId: string): Promise<{ c: Case; counts: Record<string, number> } | undefined> {
  const { store } = ctx;
  const caseKey = keys.case(caseId);
  const [c] = await docs.load<Case>([caseKey]);
  if (!c) return undefined;
  docs.remove(caseKey);
  const [refPtr] = await docs.load<{ caseId: string }>([keys.caseRef(c.ref)]);
  if (refPtr?.caseId === caseId) docs.remove(keys.caseRef(c.ref));
  docs.unindex(indexes.districtCases(c.district), caseId);
  docs.unindex(escalationIndexes.closedCases, caseId);
  docs.unindex(escalationIndexes.escalatedCases, caseId);
  await docs.load([feedbackKeys.handledBy(caseId)]);
  docs.remove(feedbackKeys.handledBy(caseId));

  // Signals and everything they are indexed under.
  const signalIds = await members(store, indexes.caseSignals(caseId));
  const signals = (await docs.load<Signal>(signalIds.map(keys.signal))).filter((s): s is Signal => s !== undefined);
  const pointerKeys = new Set<string>([locationPointerKey(c.kind, c.district, c.locationKey)]);
  if (c.personKey) pointerKeys.add(personPointerKey(c.kind, c.personKey));
  const contactIds = new Set(await members(store, indexes.casePolice(caseId)));
  for (const id of signalIds) docs.unindex(indexes.caseSignals(caseId), id);
  for (const member of await members(store, indexes.caseSignalFacts(caseId))) docs.unindex(indexes.caseSignalFacts(caseId), member);
  for (const s of signals) {
    docs.remove(keys.signal(s.id));
    docs.unindex(indexes.userSignals(s.reporter.userId), s.id);
    docs.unindex(indexes.locationSignals(s.district, s.locationKey), s.id);
    docs.unindex(indexes.locationOrgSignals(s.district, s.locationKey, s.reporter.organisation), s.id);
    docs.unindex(indexes.districtSignals(s.district), s.id);
    if (s.personKey) {
      docs.unindex(indexes.personSignals(s.personKey), s.id);
      pointerKeys.add(personPointerKey(s.kind, s.personKey));
    }
    pointerKeys.add(locationPointerKey(s.kind, s.district, s.locationKey));
    if (s.policeContactId) contactIds.add(s.policeContactId);
  }
  const refPtrs = await docs.load<{ signalId: string }>(signals.map((s) => keys.signalRef(s.ref)));
  signals.forEach((s, i) => {
    if (refPtrs[i]?.signalId === s.id) docs.remove(keys.signalRef(s.ref));
  });
  const formKeys = signals.flatMap((s) => [keys.form(s.cardId), keys.formUsed(s.cardId)]);
  await docs.load(formKeys);
  for (const k of formKeys) docs.remove(k);

  const contacts = (await docs.load<PoliceContact>([...contactIds].map(keys.policeContact))).filter((x): x is PoliceContact => x !== undefined);
  for (const id of contactIds) docs.unindex(indexes.casePolice(caseId), id);
  for (const p of contacts) {
    docs.remove(keys.policeContact(p.id));
    if (p.personKey) docs.unindex(indexes.personPolice(p.personKey), p.id);
  }

  // Pointers that lead the next signal to this case (only those still pointing here).
  const ptrKeys = [...pointerKeys];
  const ptrs = await docs.load<{ caseId: string }>(ptrKeys);
  ptrKeys.forEach((k, i) => {
    if (ptrs[i]?.caseId === caseId) docs.remove(k);
  });

  // Pass-on requests.
  await docs.load(c.passOns.map((p) => keys.passOn(p.id)));
  for (const p of c.passOns) {
    docs.remove(keys.passOn(p.id));
    docs.unindex(indexes.passOnPending, p.id);
  }

  // Escalation: markers of this case and every firing (with the notices it sent).
  const markerKeys = await members(store, escalationIndexes.caseFired(caseId));
  const markers = await docs.load<{ firingId: string }>(markerKeys);
  const firingIds = new Set(await members(store, escalationIndexes.caseFirings(caseId)));
  markerKeys.forEach((k, i) => {
    docs.remove(k);
    docs.unindex(escalationIndexes.fired, k);
    docs.unindex(escalationIndexes.caseFired(caseId), k);
    const m = markers[i];
    if (m) firingIds.add(m.firingId);
  });
  const firings = (await docs.load<FiringRecord>([...firingIds].map(escalationKeys.firing))).filter((f): f is FiringRecord => f !== undefined);
  for (const id of firingIds) docs.unindex(escalationIndexes.caseFirings(caseId), id);
  const noticeIds = new Set<string>();
  for (const f of firings) {
    if (f.caseId !== caseId) continue;
    docs.remove(escalationKeys.firing(f.firingId));
    f.noticeIds.forEach((n) => noticeIds.add(n));
  }

  // Casusoverleg: a meeting about only this case goes, with its preparations and advice.
  const meetingIds = await members(store, meetingIndexes.caseMeetings(caseId));
  const meetings = (await docs.load<Meeting>(meetingIds.map(meetingKeys.meeting))).filter((m): m is Meeting => m !== undefined);
  for (const id of meetingIds) docs.unindex(meetingIndexes.caseMeetings(caseId), id);
  let meetingsKept = 0;
  for (const m of meetings) {
    const others = m.cases.filter((x) => x.caseId !== caseId);
    if (others.length > 0) {
      docs.set(meetingKeys.meeting(m.id), { ...m, cases: others });
      meetingsKept++;
      continue;
    }
    docs.remove(meetingKeys.meeting(m.id));
    const [mref] = await docs.load<{ meetingId: string }>([meetingKeys.meetingRef(m.ref)]);
    if (mref?.meetingId === m.id) docs.remove(meetingKeys.meetingRef(m.ref));
    for (const u of new Set([m.organiser.userId, ...m.invitees.map((i) => i.userId), ...m.advisers.map((a) => a.userId)])) {
      docs.unindex(meetingIndexes.userMeetings(u), m.id);
    }
    const prepKeys = [...new Set([...m.invitedOrganisations, ...m.invitees.map((i) => i.organisation)])].map((o) => meetingKeys.prep(m.id, o));
    const adviceKeys = [...new Set(m.advisers.map((a) => a.organisation))].map((o) => meetingKeys.advice(m.id, o));
    await docs.load([...prepKeys, ...adviceKeys]);
    for (const k of [...prepKeys, ...adviceKeys]) docs.remove(k);
    for (const i of m.invitees) {
      noticeIds.add(meetingNoticeIds.summons(m.id, i.userId));
      noticeIds.add(meetingNoticeIds.cancelled(m.id, i.userId));
      for (let v = 1; v <= m.version; v++) {
        noticeIds.add(meetingNoticeIds.update(m.id, v, i.userId));
        for (const slot of DEFAULT_REMINDER_SLOTS) noticeIds.add(meetingNoticeIds.reminder(m.id, v, slot.id, i.userId));
      }
      for (let n = 1; n <= m.manualReminders.length; n++) noticeIds.add(meetingNoticeIds.manualReminder(m.id, n, i.userId));
    }
    for (const a of m.advisers) noticeIds.add(meetingNoticeIds.advice(m.id, a.userId));
  }

  // Interventions and their feedback (terugkoppeling).
  const interventionIds = await members(store, meetingIndexes.caseInterventions(caseId));
  const interventions = (await docs.load<Intervention>(interventionIds.map(meetingKeys.intervention))).filter((i): i is Intervention => i !== undefined);
  for (const id of interventionIds) docs.unindex(meetingIndexes.caseInterventions(caseId), id);
  let interventionsKept = 0;
  for (const i of interventions) {
    const others = i.cases.filter((x) => x.caseId !== caseId);
    if (others.length > 0) {
      docs.set(meetingKeys.intervention(i.id), { ...i, cases: others });
      interventionsKept++;
      continue;
    }
    docs.remove(meetingKeys.intervention(i.id));
    docs.unindex(meetingIndexes.interventionsByFeedbackDue, i.id);
    for (const u of i.responsibleUserIds) {
      docs.unindex(meetingIndexes.userInterventions(u), i.id);
      noticeIds.add(meetingNoticeIds.agreement(i.id, u));
      noticeIds.add(feedbackNoticeIds.request(i.id, u));
      noticeIds.add(feedbackNoticeIds.reminder(i.id, u));
      noticeIds.add(feedbackNoticeIds.overdue(i.id, u));
    }
    const [fb] = await docs.load<FeedbackDoc>([feedbackKeys.feedback(i.id)]);
    if (fb) {
      docs.remove(feedbackKeys.feedback(i.id));
      const cardIds = [fb.current, ...fb.history].map((e) => e.cardId);
      const fkeys = cardIds.flatMap((id) => [feedbackKeys.form(id), feedbackKeys.formUsed(id)]);
      await docs.load(fkeys);
      for (const k of fkeys) docs.remove(k);
    }
  }

  // Kerngroep: registrations, the case's persons on agendas (with their questions and answers).
  const wijkmanagers = ctx.directory.district(c.district)?.wijkmanagers ?? [];
  const regIds = await members(store, kerngroepIndexes.caseRegistrations(caseId));
  const regs = (await docs.load<Registration>(regIds.map(kerngroepKeys.registration))).filter((r): r is Registration => r !== undefined);
  for (const id of regIds) docs.unindex(kerngroepIndexes.caseRegistrations(caseId), id);
  for (const g of regs) {
    docs.remove(kerngroepKeys.registration(g.id));
    docs.unindex(kerngroepIndexes.registrations, g.id);
    for (const u of new Set([g.by.userId, ...wijkmanagers])) noticeIds.add(`kg-decision:${g.id}:${u}`);
  }
  const agenda = await removeFromKerngroepAgendas(ctx, docs, (p) => p.caseId === caseId);
  for (const mid of agenda.meetingIds) for (const u of wijkmanagers) noticeIds.add(`kg-discussed:${mid}:${caseId}:${u}`);

  const notices = await deleteNotices(docs, [...noticeIds]);

  const counts = nonZero({
    cases: 1,
    signals: signals.length,
    personSignals: signals.filter((s) => s.person !== undefined).length,
    policeContacts: contacts.length,
    passOns: c.passOns.length,
    escalationMarkers: markerKeys.length,
    escalationFirings: docs.removed('escalation-firing:'),
    meetings: meetings.length - meetingsKept,
    meetingsWithoutThisCase: meetingsKept,
    preparations: docs.removed('meeting-prep:'),
    advice: docs.removed('meeting-advice:'),
    interventions: interventions.length - interventionsKept,
    interventionsWithoutThisCase: interventionsKept,
    feedback: docs.removed('feedback:'),
    kerngroepRegistrations: regs.length,
    kerngroepAgendaPersons: agenda.persons,
    kerngroepAnswers: agenda.answers,
    notices,
  });
  return { c, counts };
}

/**
 * Removes the agenda persons `which` selects from every Kerngroep meeting, with their questions,
 * answers and reopened marks; the colour per person (`kg-person`) goes when nobody left on any
 * agenda has that person key.
 */
export async function removeFromKerngroepAgendas(
  ctx: AppContext,
  docs: DocSet,
  which: (p: KgMeeting['persons'][number]) => boolean,
): Promise<{ persons: number; answers: number; meetingIds: string[]; personKeys: string[] }> {
  const ids = await members(ctx.store, kerngroepIndexes.meetings);
  const loaded = await docs.load<KgMeeting>(ids.map(kerngroepKeys.meeting));
  let persons = 0;
  let answers = 0;
  const meetingIds: string[] = [];
  const removedKeys = new Set<string>();
  const remainingKeys = new Set<string>();
  ids.forEach((id, n) => {
    const m = loaded[n];
    if (!m) return;
    const gone = m.persons.filter(which);
    m.persons.filter((p) => !which(p)).forEach((p) => remainingKeys.add(p.personKey));
    if (gone.length === 0) return;
    const goneIds = new Set(gone.map((p) => p.personId));
    const goneQuestions = new Set(m.questions.filter((q) => goneIds.has(q.personId)).map((q) => q.id));
    answers += Object.keys(m.answers).filter((q) => goneQuestions.has(q)).length;
    persons += gone.length;
    gone.forEach((p) => removedKeys.add(p.personKey));
    meetingIds.push(m.id);
    docs.set(kerngroepKeys.meeting(m.id), {
      ...m,
      persons: m.persons.filter((p) => !goneIds.has(p.personId)),
      questions: m.questions.filter((q) => !goneQuestions.has(q.id)),
      answers: Object.fromEntries(Object.entries(m.answers).filter(([q]) => !goneQuestions.has(q))),
      reopened: m.reopened.filter((q) => !goneQuestions.has(q)),
    });
  });
  const colourKeys = [...removedKeys].filter((k) => !remainingKeys.has(k)).map(kerngroepKeys.person);
  await docs.load(colourKeys);
  for (const k of colourKeys) docs.remove(k);
  return { persons, answers, meetingIds, personKeys: [...removedKeys] };
}

/** Removes the notice documents among `ids` that exist (and their outbox index entries). */
export async function deleteNotices(docs: DocSet, ids: readonly string[]): Promise<number> {
  const found = await docs.load<NoticeDocument>(ids.map(noticeKeys.notice));
  let n = 0;
  ids.forEach((id, i) => {
    const doc = found[i];
    if (!doc) return;
    docs.remove(noticeKeys.notice(id));
    docs.unindex(noticeIndexes.pending, id);
    docs.unindex(noticeIndexes.waiting(doc.recipient), id);
    n++;
  });
  return n;
}

// --- deleting one case ------------------------------------------------------------------------------

export type CaseDeletionOutcome =
  | { outcome: 'deleted'; record: DeletionRecord }
  /** Already deleted (by another instance, or an earlier run): nothing to do. */
  | { outcome: 'gone' }
  | { outcome: 'not-due' }
  | { outcome: 'busy' };

/**
 * Deletes one closed case that is due, atomically: the case with everything hanging off it, the
 * deletion record and the audit entry in one commit. Safe to run twice and on two instances at once.
 */
export async function deleteDueCase(ctx: AppContext, caseId: string, options: RetentionOptions): Promise<CaseDeletionOutcome> {
  let ref: string | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const now = ctx.clock.now();
    const docs = new DocSet(ctx.store);
    const current = (await docs.load<Case>([keys.case(caseId)]))[0];
    if (!current) {
      await ctx.store.commit([{ op: 'unindex', index: escalationIndexes.closedCases, member: caseId }]);
      return { outcome: 'gone' };
    }
    if (!isDueForDeletion(current, now, options.months, ctx.timeZone)) {
      // Re-opened or re-indexed: the index is only a worklist, the case itself decides.
      if (current.status !== 'closed') await ctx.store.commit([{ op: 'unindex', index: escalationIndexes.closedCases, member: caseId }]);
      return { outcome: 'not-due' };
    }
    const planned = await planCaseDeletion(ctx, docs, caseId);
    if (!planned) return { outcome: 'gone' };
    const { c, counts } = planned;
    ref ??= await nextDeletionRef(ctx, now);
    const closedOn = localDateString(new Date(c.closed?.at ?? c.updatedAt), ctx.timeZone);
    const record: DeletionRecord = {
      id: randomUUID(),
      ref,
      kind: 'retentie',
      at: now.toISOString(),
      by: 'system',
      reason: nl.admin.deletions.retentionReason(options.months, closedOn),
      caseRefs: [c.ref],
      counts,
    };
    const result = await ctx.store.commit([
      ...docs.ops(),
      deletionRecordOp(record),
      auditOp({ actor: 'system', action: 'retention.delete', resource: `case:${c.ref}`, outcome: 'allow', reason: ref }),
    ]);
    if (result.ok) {
      ctx.log.info({ event: 'retention.deleted', caseRef: c.ref, deletionRef: ref, counts }, 'closed case deleted after its retention period');
      return { outcome: 'deleted', record };
    }
    ctx.log.info({ event: 'retention.retry', caseRef: c.ref, attempt, conflict: result.conflict.split(':')[0] }, 'case changed while deleting, retrying');
  }
  ctx.log.warn({ event: 'retention.busy', caseId }, 'case not deleted after retries; the next run tries again');
  return { outcome: 'busy' };
}

export interface RetentionRun {
  cutoff: Date;
  deleted: DeletionRecord[];
  busy: number;
}

/** One run: every case closed before the cutoff (RETENTION_MONTHS before now, local wall clock). */
export async function runRetention(ctx: AppContext, options: RetentionOptions): Promise<RetentionRun> {
  const now = ctx.clock.now();
  const cutoff = retentionCutoff(now, options.months, ctx.timeZone);
  // Scores are whole ms: "closed before the cutoff" is at most cutoff - 1.
  const due = await ctx.store.range(escalationIndexes.closedCases, ALL.min, cutoff.getTime() - 1, { limit: MAX_CASES_PER_RUN });
  const deleted: DeletionRecord[] = [];
  let busy = 0;
  for (const { member } of due) {
    const r = await deleteDueCase(ctx, member, options);
    if (r.outcome === 'deleted') deleted.push(r.record);
    if (r.outcome === 'busy') busy++;
  }
  if (deleted.length > 0) await compactAfterDeletion(ctx);
  ctx.log.info({ event: 'retention.run', cutoff: cutoff.toISOString(), candidates: due.length, deleted: deleted.length, busy }, 'retention run finished');
  return { cutoff, deleted, busy };
}

// --- the daily job --------------------------------------------------------------------------------

/** The next 03:00 on the local wall clock strictly after `now` (DST-aware). */
export function nextRetentionRun(now: Date, timeZone: string): Date {
  const p = localParts(now, timeZone);
  const today = localToInstant({ year: p.year, month: p.month, day: p.day, hour: RETENTION_HOUR, minute: 0 }, timeZone);
  return today.getTime() > now.getTime() ? today : shiftLocal(today, { days: 1 }, timeZone);
}

/** One job id per local day: instances that schedule the same run schedule it once. */
export const retentionJobId = (runAt: Date, timeZone: string) => `retention:${localDateString(runAt, timeZone)}`;

async function scheduleNext(ctx: AppContext): Promise<void> {
  const next = nextRetentionRun(ctx.clock.now(), ctx.timeZone);
  await ctx.jobs.enqueue({ id: retentionJobId(next, ctx.timeZone), type: RETENTION_JOB, payload: {}, runAt: next });
}

/**
 * Registers the daily job (call before `jobs.start()`). Like the escalation sweep, a run first
 * schedules the next one, so a failing run does not end the chain; the job lives in the store
 * (embedded) or in BullMQ (Redis), so it survives restarts, and one id per day means one run per
 * day whatever the number of instances.
 */
export function registerRetentionJobs(ctx: AppContext, options: RetentionOptions): void {
  ctx.jobs.register(RETENTION_JOB, async (): Promise<JobOutcome> => {
    await scheduleNext(ctx);
    await runRetention(ctx, options);
    return { status: 'done' };
  });
}

/** Schedules the next run (a run missed during downtime is still pending and runs at start). */
export async function startRetention(ctx: AppContext): Promise<void> {
  await scheduleNext(ctx);
}

export type { DeletionKind };
