import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { escapeText } from '../cards/escape.js';
import { afschalenOfferCard, FEEDBACK_VERBS, feedbackFormCard, feedbackListCard, feedbackRequestCard, interventionsOverviewCard, messageCard } from '../cards/feedback-cards.js';
import { ESCALATION_VERBS } from '../cards/notice-cards.js';
import { decide, type Decision, type FeedbackFacts, type Level } from '../domain/access.js';
import type { Actor } from '../domain/actor.js';
import { EFFECTS, type Effect } from '../domain/escalation.js';
import {
  allSufficient,
  DEFAULT_OVERDUE,
  dueSteps,
  feedbackDocSchema,
  feedbackRouting,
  HANDLED_BY,
  interventionStatus,
  sortForOverview,
  validateFeedback,
  type FeedbackDoc,
  type FeedbackEntry,
  type FeedbackField,
  type FeedbackRecipientRole,
  type HandledBy,
  type OverdueConfig,
} from '../domain/feedback.js';
import type { Intervention } from '../domain/intervention.js';
import { CASE_REF, caseSchema, type Case, type CaseEvent } from '../domain/signal.js';
import { nl } from '../i18n/nl.js';
import { formatCalendarDate } from '../i18n/format.js';
import type { AdaptiveCard, JobRun, WriteOp } from '../ports.js';
import { auditDecision, auditOp } from './audit.js';
import type { AppContext } from './context.js';
import { evaluateEscalations } from './escalation-trigger.js';
import { meetingIndexes, meetingKeys } from './meetings.js';
import type { Notice } from './outbox.js';
import type { CardActionResult, Feature } from './routes.js';
import { indexes as signalIndexes, keys as signalKeys } from './signals.js';

/**
 * Terugkoppeling on interventions (§4 step 3, §5, §9). See docs/FEEDBACK.md.
 *
 * - `terugkoppeling`: the partner's interventions, each opening the feedback card;
 *   `terugkoppeling C-…`: the director's overview of a case's interventions (overdue first).
 * - `feedback.open` / `feedback.submit`: the card; zod-validated, errors per field, values kept; one
 *   card records once (`feedback-form-used:<cardId>`); the author may correct (history kept).
 * - Routing by who handles the case (`case-handled-by:<caseId>`, set by the Kerngroep feature): details
 *   to the wijkmanager / chair / regisseur; the wijkmanager of a case handled elsewhere only learns that
 *   feedback was given (access policy `feedback.read` → redact).
 * - `feedback.sweep` (recurring): the card at the due date, a reminder to the partner after
 *   `partnerReminderDays`, the director after `directorDays`; each a notice with a stable id (once).
 * - Effect geen / onvoldoende → `evaluateEscalations({ type: 'feedback' })` (kerngroep-criterium via
 *   `interventionEffects`); all voldoende and no new signals → afschalen offered to the director.
 */

export const feedbackKeys = {
  feedback: (interventionId: string) => `feedback:${interventionId}`,
  form: (cardId: string) => `feedback-form:${cardId}`,
  formUsed: (cardId: string) => `feedback-form-used:${cardId}`,
  /** `{ handledBy }`: written by the Kerngroep feature; absent = wijkmanager. */
  handledBy: (caseId: string) => `case-handled-by:${caseId}`,
} as const;

export const feedbackNoticeIds = {
  request: (iid: string, userId: string) => `feedback-request:${iid}:${userId}`,
  reminder: (iid: string, userId: string) => `feedback-reminder:${iid}:${userId}`,
  overdue: (iid: string, userId: string) => `feedback-overdue:${iid}:${userId}`,
  given: (iid: string, version: number, userId: string) => `feedback-given:${iid}:v${version}:${userId}`,
  afschalen: (caseId: string, interventions: number, userId: string) => `feedback-afschalen:${caseId}:${interventions}:${userId}`,
} as const;

export const FEEDBACK_SWEEP_JOB = 'feedback.sweep';
const SWEEP_EVERY_MS = 60 * 60_000;
const FORM_TTL_MS = 30 * 24 * 60 * 60_000;
const LIST_LIMIT = 50;
const CHANGE_LEVEL_VERB = ESCALATION_VERBS.changeLevel;

const t = nl.feedback;

interface FormDoc {
  userId: string;
  interventionId: string;
  issuedAt: string;
}

// --- loading ----------------------------------------------------------------------------------------

async function loadIntervention(ctx: AppContext, id: string): Promise<Intervention | undefined> {
  return (await ctx.store.get<Intervention>(meetingKeys.intervention(id)))?.value;
}

async function loadFeedback(ctx: AppContext, id: string) {
  return ctx.store.get<FeedbackDoc>(feedbackKeys.feedback(id));
}

async function loadCase(ctx: AppContext, caseId: string): Promise<Case | undefined> {
  return (await ctx.store.get<Case>(signalKeys.case(caseId)))?.value;
}

/**
 * Who handles the case: the case's `handledBy` (set by the Kerngroep feature), else the
 * `case-handled-by:<caseId>` document, else the wijkmanager.
 */
export async function handledByOf(ctx: AppContext, c: Case): Promise<HandledBy> {
  const onCase = (c as { handledBy?: string }).handledBy;
  const v = onCase ?? (await ctx.store.get<{ handledBy?: string }>(feedbackKeys.handledBy(c.id)))?.value?.handledBy;
  return (HANDLED_BY as readonly string[]).includes(v ?? '') ? (v as HandledBy) : 'wijkmanager';
}

async function factsOf(ctx: AppContext, i: Intervention): Promise<{ facts: FeedbackFacts; cases: Case[] }> {
  const cases = (await Promise.all(i.cases.map((c) => loadCase(ctx, c.caseId)))).filter((c): c is Case => c !== undefined);
  const first = cases[0];
  const handledBy = first ? await handledByOf(ctx, first) : 'wijkmanager';
  return { facts: { district: first?.district ?? '', handledBy, responsible: i.responsibleUserIds }, cases };
}

const caseRefsOf = (i: Intervention) => i.cases.map((c) => c.caseRef).join(', ');
const orgName = (ctx: AppContext, id: string) => ctx.directory.organisation(id)?.name ?? id;
/** "Name (Organisation)" for a notice's text, both escaped (text messages render markdown too). */
const whoText = (name: string, org: string) => `${escapeText(name)} (${escapeText(org)})`;

function whatOf(ctx: AppContext, i: Intervention): string {
  const [kind, key] = (i.instrument ?? '').split(':');
  const labels = (nl.meetings.instruments as unknown as Record<string, Record<string, string> | undefined>)[kind ?? ''];
  const instrument = i.instrument ? (labels?.[key ?? ''] ?? i.instrument) : undefined;
  return [instrument, i.description].filter(Boolean).join(': ') || orgName(ctx, i.organisation);
}

const formatDate = formatCalendarDate;

/** Directory users of a routing role for the district. */
function usersFor(ctx: AppContext, role: FeedbackRecipientRole, district: string): string[] {
  if (role === 'wijkmanager') return [...(ctx.directory.district(district)?.wijkmanagers ?? [])];
  return ctx.directory.usersWithRole(role).map((u) => u.id);
}

/** Recipients of feedback on `i`, each with what the access policy lets them see. */
function recipientsOf(ctx: AppContext, facts: FeedbackFacts): { userId: string; decision: Decision }[] {
  const routing = feedbackRouting(facts.handledBy);
  const ids = new Set([...usersFor(ctx, routing.details, facts.district), ...routing.general.flatMap((r) => usersFor(ctx, r, facts.district))]);
  const out: { userId: string; decision: Decision }[] = [];
  for (const id of ids) {
    const actor = actorOf(ctx, id);
    if (!actor || facts.responsible.includes(id)) continue;
    const decision = decide(actor, 'feedback.read', { type: 'feedback', feedback: facts });
    if (decision.effect !== 'deny') out.push({ userId: id, decision });
  }
  return out;
}

function actorOf(ctx: AppContext, userId: string): Actor | undefined {
  const u = ctx.directory.user(userId);
  const org = u ? ctx.directory.organisation(u.organisation) : undefined;
  if (!u || !org) return undefined;
  return { id: u.id, name: u.name, roles: u.roles, organisation: { id: org.id, name: org.name, kind: org.kind, covenant: org.covenant }, districts: u.districts };
}

// --- the partner's list and the card ------------------------------------------------------------------

export async function listMyInterventions(ctx: AppContext, actor: Actor): Promise<AdaptiveCard> {
  const entries = await ctx.store.range(meetingIndexes.userInterventions(actor.id), -Infinity, Infinity, { limit: LIST_LIMIT });
  const items = [];
  for (const { member } of entries) {
    const i = await loadIntervention(ctx, member);
    if (!i) continue;
    const fb = (await loadFeedback(ctx, i.id))?.value;
    items.push({ interventionId: i.id, what: whatOf(ctx, i), caseRefs: caseRefsOf(i), due: formatDate(i.feedbackDue), given: fb !== undefined });
  }
  return feedbackListCard(items);
}

const openData = z.object({ interventionId: z.string().uuid() }).passthrough();

async function issueForm(ctx: AppContext, actor: Actor, i: Intervention, values: Partial<Record<FeedbackField, string>>, notice?: string): Promise<AdaptiveCard> {
  const cardId = randomUUID();
  const form: FormDoc = { userId: actor.id, interventionId: i.id, issuedAt: ctx.clock.now().toISOString() };
  await ctx.store.commit([{ op: 'put', key: feedbackKeys.form(cardId), value: form, ifAbsent: true }]);
  return feedbackFormCard({ cardId, interventionId: i.id, meetingRef: i.meetingRef, what: whatOf(ctx, i), caseRefs: caseRefsOf(i), due: formatDate(i.feedbackDue), values, ...(notice ? { notice } : {}) });
}

function valuesOf(e: FeedbackEntry): Partial<Record<FeedbackField, string>> {
  return { executed: e.executed, ...(e.executedOn ? { executedOn: e.executedOn } : {}), effect: e.effect, ...(e.explanation ? { explanation: e.explanation } : {}), followUp: e.followUp };
}

export async function openFeedbackForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = openData.safeParse(data);
  if (!parsed.success) return messageCard(t.notFound);
  const i = await loadIntervention(ctx, parsed.data.interventionId);
  if (!i) return messageCard(t.notFound);
  const { facts } = await factsOf(ctx, i);
  const decision = decide(actor, 'feedback.give', { type: 'feedback', feedback: facts });
  if (decision.effect !== 'allow') {
    await ctx.store.commit([auditOp(auditDecision(actor, 'feedback.give', `intervention:${i.id}`, decision))]);
    return messageCard(t.notYours);
  }
  const existing = (await loadFeedback(ctx, i.id))?.value;
  if (existing && existing.current.by.userId !== actor.id) return messageCard(t.notAuthor);
  return issueForm(ctx, actor, i, existing ? valuesOf(existing.current) : {});
}

const submitData = z
  .object({
    cardId: z.string().uuid(),
    interventionId: z.string().uuid(),
    executed: z.string().max(50).optional(),
    executedOn: z.string().max(50).optional(),
    effect: z.string().max(50).optional(),
    explanation: z.string().max(5000).optional(),
    followUp: z.string().max(50).optional(),
  })
  .passthrough();

const MAX_ATTEMPTS = 5;

export async function submitFeedback(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = submitData.safeParse(data);
  if (!parsed.success) return messageCard(t.expired);
  const d = parsed.data;
  const form = (await ctx.store.get<FormDoc>(feedbackKeys.form(d.cardId)))?.value;
  if (!form || form.userId !== actor.id || form.interventionId !== d.interventionId) {
    await ctx.store.commit([auditOp({ actor: actor.id, action: 'feedback.give', resource: `intervention:${d.interventionId}`, outcome: 'refused', reason: 'unknown-card' })]);
    return messageCard(t.expired);
  }
  if (await ctx.store.get(feedbackKeys.formUsed(d.cardId))) return messageCard(t.already);
  const now = ctx.clock.now();
  if (now.getTime() - Date.parse(form.issuedAt) > FORM_TTL_MS) return messageCard(t.expired);
  const i = await loadIntervention(ctx, d.interventionId);
  if (!i) return messageCard(t.notFound);
  const { facts, cases } = await factsOf(ctx, i);
  const decision = decide(actor, 'feedback.give', { type: 'feedback', feedback: facts });
  if (decision.effect !== 'allow') {
    await ctx.store.commit([auditOp(auditDecision(actor, 'feedback.give', `intervention:${i.id}`, decision))]);
    return messageCard(t.notYours);
  }

  const raw = { executed: d.executed, executedOn: d.executedOn, effect: d.effect, explanation: d.explanation, followUp: d.followUp };
  const kept: Partial<Record<FeedbackField, string>> = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Partial<Record<FeedbackField, string>>;
  const validated = validateFeedback(raw, now, ctx.timeZone);
  if (!validated.ok) {
    const errors = Object.fromEntries(Object.entries(validated.errors).map(([k, code]) => [k, t.errors[code]]));
    return feedbackFormCard({ cardId: d.cardId, interventionId: i.id, meetingRef: i.meetingRef, what: whatOf(ctx, i), caseRefs: caseRefsOf(i), due: formatDate(i.feedbackDue), values: kept, errors, notice: t.fixErrors });
  }

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await loadFeedback(ctx, i.id);
    if (existing && existing.value.current.by.userId !== actor.id) return messageCard(t.notAuthor);
    const entry: FeedbackEntry = { ...validated.values, by: { userId: actor.id, organisation: actor.organisation.id }, at: now.toISOString(), cardId: d.cardId };
    const doc = feedbackDocSchema.parse(
      existing ? { interventionId: i.id, current: entry, history: [...existing.value.history, existing.value.current] } : { interventionId: i.id, current: entry, history: [] },
    );
    const version = doc.history.length + 1;
    const notices = givenNotices(ctx, i, facts, entry, version);
    const ops: WriteOp[] = [
      ...(facts.handledBy === 'wijkmanager' ? await timelineOps(ctx, i, entry) : []),
      { op: 'put', key: feedbackKeys.feedback(i.id), value: doc, ...(existing ? { ifEtag: existing.etag } : { ifAbsent: true }) },
      { op: 'put', key: feedbackKeys.formUsed(d.cardId), value: { interventionId: i.id, at: entry.at }, ifAbsent: true },
      auditOp({ actor: actor.id, action: 'feedback.give', resource: `intervention:${i.id}`, outcome: 'allow', reason: existing ? `correction v${version}` : 'v1' }),
    ];
    const staged = ctx.outbox.stage?.(notices);
    const result = await ctx.store.commit([...ops, ...(staged?.ops ?? [])]);
    if (!result.ok) {
      if (result.conflict === feedbackKeys.formUsed(d.cardId)) return messageCard(t.already);
      continue;
    }
    if (staged) await staged.dispatch();
    else for (const n of notices) await ctx.outbox.send(n);
    ctx.log.info({ event: 'feedback.given', userId: actor.id, interventionId: i.id, version }, 'feedback recorded');
    for (const c of cases) {
      if (entry.effect === 'geen' || entry.effect === 'onvoldoende') await evaluateEscalations(ctx, { type: 'feedback', caseId: c.id });
      if (entry.effect === 'voldoende') await offerAfschalen(ctx, c);
    }
    return messageCard(existing ? t.corrected(caseRefsOf(i)) : t.recorded(caseRefsOf(i)));
  }
  return messageCard(t.already);
}

/**
 * The case timeline gets "feedback given (organisation)" — only for cases the wijkmanager handles
 * (the Kerngroep's and Interventieteam's feedback stays with the chair / regisseur, §5).
 */
async function timelineOps(ctx: AppContext, i: Intervention, e: FeedbackEntry): Promise<WriteOp[]> {
  const stored = await ctx.store.getMany<Case>(i.cases.map((c) => signalKeys.case(c.caseId)));
  const ops: WriteOp[] = [];
  for (const s of stored) {
    if (!s) continue;
    const event: CaseEvent = { type: 'feedback-given', at: e.at, by: e.by, interventionId: i.id, organisation: e.by.organisation };
    const updated = caseSchema.parse({ ...s.value, updatedAt: e.at, events: [...s.value.events, event] });
    ops.push({ op: 'put', key: signalKeys.case(updated.id), value: updated, ifEtag: s.etag });
  }
  return ops;
}

/** The detail notice to whoever handles the case, the general notice to the wijkmanager otherwise. */
function givenNotices(ctx: AppContext, i: Intervention, facts: FeedbackFacts, e: FeedbackEntry, version: number): Notice[] {
  const refs = caseRefsOf(i);
  const who = whoText(ctx.directory.user(e.by.userId)?.name ?? e.by.userId, orgName(ctx, e.by.organisation));
  return recipientsOf(ctx, facts).map(({ userId, decision }) => ({
    id: feedbackNoticeIds.given(i.id, version, userId),
    recipient: userId,
    message: {
      kind: 'text' as const,
      text:
        decision.effect === 'allow'
          ? // User text (the agreement, the explanation) is escaped: a link or mention typed in it stays text.
            t.detailsNotice(refs, who, escapeText(whatOf(ctx, i)), t.executed[e.executed], t.effects[e.effect], t.yesNo[e.followUp], e.explanation ? escapeText(e.explanation) : undefined)
          : t.generalNotice(refs),
    },
    about: t.about.feedback(refs).slice(0, 300),
  }));
}

// --- escalation facts and afschalen ------------------------------------------------------------------

async function interventionsOfCase(ctx: AppContext, caseId: string): Promise<{ i: Intervention; fb: FeedbackDoc | undefined }[]> {
  const entries = await ctx.store.range(meetingIndexes.caseInterventions(caseId), -Infinity, Infinity, { limit: 500 });
  const out = [];
  for (const { member } of entries) {
    const i = await loadIntervention(ctx, member);
    if (i) out.push({ i, fb: (await loadFeedback(ctx, member))?.value });
  }
  return out;
}

/** `LaterFacts.interventionEffects` of the escalation rules: the effects reported on a case's interventions. */
export async function interventionEffects(ctx: AppContext, caseId: string): Promise<Effect[] | undefined> {
  const effects = (await interventionsOfCase(ctx, caseId))
    .map(({ fb }) => fb?.current.effect)
    .filter((e): e is Effect => e !== undefined && (EFFECTS as readonly string[]).includes(e));
  return effects.length > 0 ? effects : undefined;
}

const LOWER: Partial<Record<Level, Level>> = { overlast: 'hinder', ernstig: 'overlast' };

/** §9: every intervention of the case voldoende and no new signals since they were agreed → offer afschalen. */
async function offerAfschalen(ctx: AppContext, c: Case): Promise<void> {
  const to = LOWER[c.level];
  if (!to || c.status !== 'open') return;
  const all = await interventionsOfCase(ctx, c.id);
  if (!allSufficient(all.map(({ fb }) => fb?.current.effect))) return;
  const since = Math.min(...all.map(({ i }) => Date.parse(i.agreedAt)));
  if ((await ctx.store.count(signalIndexes.caseSignals(c.id), since, ctx.clock.now().getTime())) > 0) return;
  const handledBy = await handledByOf(ctx, c);
  const recipients = usersFor(ctx, feedbackRouting(handledBy).details, c.district);
  for (const userId of recipients) {
    await ctx.outbox.send({
      id: feedbackNoticeIds.afschalen(c.id, all.length, userId),
      recipient: userId,
      message: { kind: 'card', card: afschalenOfferCard(t.afschalenOffer(c.ref), c.ref, to, CHANGE_LEVEL_VERB), summary: t.afschalen },
      about: t.about.afschalen(c.ref),
    });
  }
}

// --- the director's overview ------------------------------------------------------------------------

export async function caseOverview(ctx: AppContext, actor: Actor, rawRef: string): Promise<AdaptiveCard> {
  const ref = rawRef.trim().toUpperCase();
  if (!CASE_REF.test(ref)) return messageCard(t.caseNotFound);
  const ptr = await ctx.store.get<{ caseId: string }>(signalKeys.caseRef(ref));
  const c = ptr ? await loadCase(ctx, ptr.value.caseId) : undefined;
  if (!c) return messageCard(t.caseNotFound);
  const facts: FeedbackFacts = { district: c.district, handledBy: await handledByOf(ctx, c), responsible: [] };
  const decision = decide(actor, 'feedback.read', { type: 'feedback', feedback: facts });
  await ctx.store.commit([auditOp(auditDecision(actor, 'feedback.read', `case:${c.ref}`, decision))]);
  if (decision.effect === 'deny') return messageCard(t.caseNotFound);
  const all = await interventionsOfCase(ctx, c.id);
  if (decision.effect === 'redact') return interventionsOverviewCard(c.ref, [], t.overviewGiven(all.filter((x) => x.fb).length, all.length));
  const now = ctx.clock.now();
  const rows = sortForOverview(
    all.map(({ i, fb }) => {
      const status = interventionStatus(i, fb?.current, now, ctx.timeZone);
      return { status, feedbackDue: i.feedbackDue, what: whatOf(ctx, i), organisation: orgName(ctx, i.organisation), effect: fb ? t.effects[fb.current.effect] : undefined };
    }),
  ).map((r) => ({ status: t.statuses[r.status], what: r.what, organisation: r.organisation, due: formatDate(r.feedbackDue), ...(r.effect ? { effect: r.effect } : {}) }));
  return interventionsOverviewCard(c.ref, rows);
}

// --- follow-through: the sweep ------------------------------------------------------------------------

let overdueConfig: OverdueConfig = DEFAULT_OVERDUE;

/** `{ at }` (ms): when a sweep last completed. The next sweep looks back from there, so an outage skips nothing. */
export const FEEDBACK_SWEEP_CURSOR = 'feedback-sweep:cursor';
const SWEEP_PAGE = 5_000;

/** Interventions due in [from, to], page by page (a catch-up after a long outage may be large). */
async function* dueInterventions(ctx: AppContext, from: number, to: number): AsyncGenerator<string> {
  const seen = new Set<string>();
  let min = from;
  for (;;) {
    const page = await ctx.store.range(meetingIndexes.interventionsByFeedbackDue, min, to, { limit: SWEEP_PAGE });
    const fresh = page.filter((e) => !seen.has(e.member));
    for (const e of fresh) {
      seen.add(e.member);
      yield e.member;
    }
    if (page.length < SWEEP_PAGE || fresh.length === 0) return;
    min = page[page.length - 1]!.score;
  }
}

/**
 * Runs the due-date card, the partner reminder and the director notice for every intervention with a
 * step due. It looks back `directorDays + 3` days from the last completed sweep (not from now): after
 * an outage of any length every step still owed is sent — late, once (stable notice ids) — instead of
 * being skipped.
 */
export async function feedbackSweep(ctx: AppContext, cfg: OverdueConfig = overdueConfig): Promise<number> {
  const now = ctx.clock.now();
  const lookBackMs = (cfg.directorDays + 3) * 86_400_000;
  const cursor = (await ctx.store.get<{ at: number }>(FEEDBACK_SWEEP_CURSOR))?.value.at;
  const from = Math.min(now.getTime(), cursor ?? now.getTime()) - lookBackMs;
  let sent = 0;
  for await (const member of dueInterventions(ctx, from, now.getTime() + 86_400_000)) {
    const i = await loadIntervention(ctx, member);
    if (!i) continue;
    const has = (await loadFeedback(ctx, i.id)) !== undefined;
    const steps = dueSteps(i.feedbackDue, has, now, cfg, ctx.timeZone);
    if (steps.length === 0) continue;
    const { facts } = await factsOf(ctx, i);
    const refs = caseRefsOf(i);
    const what = escapeText(whatOf(ctx, i));
    const due = formatDate(i.feedbackDue);
    const directors = usersFor(ctx, feedbackRouting(facts.handledBy).details, facts.district);
    const notices: Notice[] = [];
    for (const step of steps) {
      if (step === 'request' || step === 'partnerReminder') {
        for (const userId of i.responsibleUserIds) {
          notices.push({
            id: step === 'request' ? feedbackNoticeIds.request(i.id, userId) : feedbackNoticeIds.reminder(i.id, userId),
            recipient: userId,
            message:
              step === 'request'
                ? { kind: 'card', card: feedbackRequestCard(i.id, t.request(what, refs, due)), summary: t.requestTitle }
                : { kind: 'card', card: feedbackRequestCard(i.id, t.reminder(what, refs, due)), summary: t.requestTitle },
            ...(directors[0] ? { reportFailureTo: directors[0] } : {}),
            about: t.about.feedback(refs).slice(0, 300),
          });
        }
      } else {
        const who = i.person ? whoText(ctx.directory.user(i.person)?.name ?? i.person, orgName(ctx, i.organisation)) : escapeText(orgName(ctx, i.organisation));
        for (const userId of directors) {
          notices.push({ id: feedbackNoticeIds.overdue(i.id, userId), recipient: userId, message: { kind: 'text', text: t.overdueDirector(what, refs, due, who) }, about: t.about.overdue(refs).slice(0, 300) });
        }
      }
    }
    for (const n of notices) if ((await ctx.outbox.send(n)).queued) sent++;
  }
  // Only a sweep that got through everything moves the cursor (never backwards).
  const latest = await ctx.store.get<{ at: number }>(FEEDBACK_SWEEP_CURSOR);
  if (!latest || latest.value.at < now.getTime()) {
    await ctx.store.commit([{ op: 'put', key: FEEDBACK_SWEEP_CURSOR, value: { at: now.getTime() }, ...(latest ? { ifEtag: latest.etag } : { ifAbsent: true }) }]);
  }
  if (cursor !== undefined && now.getTime() - cursor > lookBackMs) ctx.log.warn({ event: 'feedback.sweep-caught-up', sinceMs: now.getTime() - cursor, sent }, 'feedback sweep caught up after a long pause');
  return sent;
}

function slot(now: Date): number {
  return Math.floor(now.getTime() / SWEEP_EVERY_MS) * SWEEP_EVERY_MS;
}

/** Registers the sweep job (call before jobs.start()); `startFeedback` schedules the first run. */
export function registerFeedbackJobs(ctx: AppContext, cfg: Partial<OverdueConfig> = {}): void {
  overdueConfig = { ...DEFAULT_OVERDUE, ...cfg };
  ctx.jobs.register(FEEDBACK_SWEEP_JOB, async (_run: JobRun) => {
    const next = slot(ctx.clock.now()) + SWEEP_EVERY_MS;
    await ctx.jobs.enqueue({ id: `feedback-sweep:${next}`, type: FEEDBACK_SWEEP_JOB, payload: {}, runAt: new Date(next) });
    await feedbackSweep(ctx);
    return { status: 'done' };
  });
}

export async function startFeedback(ctx: AppContext): Promise<void> {
  await ctx.jobs.enqueue({ id: `feedback-sweep:${slot(ctx.clock.now())}`, type: FEEDBACK_SWEEP_JOB, payload: {} });
}

// --- routes -----------------------------------------------------------------------------------------

const asCard = (card: AdaptiveCard): CardActionResult => ({ kind: 'card', card });

export const feedbackFeature: Feature = {
  commands: [
    {
      name: 'feedback.case',
      match: /^terugkoppeling\s+c-\d{4}-\d{5,}$/,
      run: async (ctx, actor, text) => [{ kind: 'card', card: await caseOverview(ctx, actor, text.replace(/^terugkoppeling\s+/, '')) }],
    },
    {
      name: 'feedback.list',
      match: /^terugkoppeling( geven)?$/,
      run: async (ctx, actor) => [{ kind: 'card', card: await listMyInterventions(ctx, actor) }],
    },
  ],
  actions: [
    { verb: FEEDBACK_VERBS.open, run: async (ctx, actor, data) => asCard(await openFeedbackForm(ctx, actor, data)) },
    { verb: FEEDBACK_VERBS.submit, run: async (ctx, actor, data) => asCard(await submitFeedback(ctx, actor, data)) },
  ],
};
