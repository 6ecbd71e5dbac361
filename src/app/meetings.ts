import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decide, isAllowed, type DenyReason } from '../domain/access.js';
import type { Actor } from '../domain/actor.js';
import { caseFacts } from '../domain/case.js';
import {
  INTERVENTION_LIMITS,
  ROW_FIELDS,
  instrumentsOf,
  interventionSchema,
  rowKey,
  validateAgreementRows,
  type Intervention,
} from '../domain/intervention.js';
import {
  DEFAULT_REMINDER_SLOTS,
  MEETING_LIMITS,
  PREP_FIELDS,
  adviceAnswerSchema,
  cleanLine,
  cleanMultiline,
  formatMeetingRef,
  isActive,
  meetingFacts,
  meetingSchema,
  openForAnswers,
  preparationSchema,
  recordAnswer,
  reminderPlan,
  reminderRecipients,
  reminderSkip,
  transition,
  validatePrep,
  validateSchedule,
  type AdviceAnswer,
  type Answer,
  type AnswerError,
  type Invitee,
  type Meeting,
  type PrepField,
  type Preparation,
  type ReminderSlot,
  type ScheduleError,
} from '../domain/meeting.js';
import { suggestInvitees, type CaseProfile, type SuggestionReason } from '../domain/suggestions.js';
import {
  CASE_REF,
  caseEventSchema,
  caseSchema,
  localDateString,
  localParts,
  localTimeString,
  shiftLocal,
  type Case,
  type CaseEvent,
  type Category,
  type Signal,
} from '../domain/signal.js';
import { escapeText } from '../cards/escape.js';
import {
  FOLLOW_UP_FIELDS,
  MEETING_VERBS,
  PLAN_FIELDS,
  adviceRequestCard,
  adviceViewCard,
  agreementCard,
  agreementsFormCard,
  cancelFormCard,
  cancellationCard,
  myMeetingsCard,
  overviewCard,
  planFormCard,
  prepFormCard,
  prepViewCard,
  rescheduleFormCard,
  summonsCard,
  type AgendaCase,
  type AnswerView,
  type Choice,
  type DeliveryLabel,
  type PlanField,
  type PlanFormValues,
  type SummonsView,
} from '../cards/meeting-cards.js';
import { refusalCard } from '../cards/signal-cards.js';
import { nl } from '../i18n/nl.js';
import { formatCalendarDate, formatMoment, formatWeekday } from '../i18n/format.js';
import type { AdaptiveCard, CommitResult, JobOutcome, Jobs, WriteOp } from '../ports.js';
import { auditOp, type AuditEvent } from './audit.js';
import type { AppContext } from './context.js';
import type { Notice } from './outbox.js';
import type { CardActionResult, Feature } from './routes.js';
import { indexes as signalIndexes, keys as signalKeys } from './signals.js';

/**
 * The casusoverleg (§4, §7, §10): the wijkmanager plans a meeting about one or more cases and
 * summons partners; invitees answer (aanwezig · vervanger · verhinderd) and fill in the appendix 1
 * preparation; organisations that are not invited can be asked for advice beforehand; the organiser
 * follows it all on an overview card, reschedules or cancels, and after the meeting records the
 * agreements (interventions) and plans the evaluation meeting.
 *
 * Every proactive message (summons, advice request, reminder, update, cancellation, agreement)
 * goes through the Outbox with a stable id, so a retry or a second instance never delivers twice.
 * Every write is one atomic commit with the audit entry; a meeting is changed with `ifEtag`, so
 * concurrent answers are serialised and nothing is half-stored.
 *
 * Reminders: ONE job per reminder slot per meeting schedule version
 * (`meeting-reminder-slot:<meetingId>:v<version>:<slot>`), whose handler decides the recipients
 * when it fires (T-48 h and T-24 h: who has not answered by then; T-2 h: who will attend). We chose
 * this over per-invitee notices because recipients depend on answers given after planning: with
 * per-invitee notices every answer (and every change of answer, and every substitute) would have
 * to cancel or create notices in step with the meeting's commit, which the Outbox cannot do
 * atomically. The handler sends through the Outbox with ids that include the meeting, the schedule
 * version, the slot and the recipient, so a job that runs twice (at-least-once after a crash, two
 * instances) delivers once. A reschedule cancels the old version's jobs and the handler also checks
 * the version, the state and the start time when it fires: a reminder of an old schedule, of a
 * cancelled or closed meeting or after the start never sends anything.
 */

const t = nl.meetings;
const r = t.refusals;

// --- ports ----------------------------------------------------------------------------------------

/**
 * Commits `ops` and the notices they announce together: with the Outbox's `stage` (transactional
 * outbox) the notices are stored pending in the same commit, so a crash right after it loses no
 * summons; without it they are sent after the commit. Notices that exist already (same stable id)
 * are left out: sending them again would deliver nothing new.
 */
export async function commitWithNotices(ctx: AppContext, ops: WriteOp[], notices: readonly Notice[]): Promise<CommitResult> {
  const fresh: Notice[] = [];
  for (const n of notices) if ((await ctx.outbox.status(n.id)) === undefined) fresh.push(n);
  if (ctx.outbox.stage && fresh.length > 0) {
    const staged = ctx.outbox.stage(fresh);
    const result = await ctx.store.commit([...ops, ...staged.ops]);
    if (result.ok) {
      await staged.dispatch();
      logNotices(ctx, fresh);
    }
    return result;
  }
  const result = await ctx.store.commit(ops);
  if (result.ok) for (const n of fresh) await send(ctx, n);
  return result;
}

function logNotices(ctx: AppContext, notices: readonly Notice[]): void {
  for (const n of notices) ctx.log.info({ event: 'meeting.notice', noticeId: n.id, queued: true }, 'meeting notice queued');
}

// --- store layout ---------------------------------------------------------------------------------

export const meetingKeys = {
  meeting: (id: string) => `meeting:${id}`,
  meetingRef: (ref: string) => `meeting-ref:${ref}`,
  /** An issued planning or agreements card: who got it and when. */
  form: (cardId: string) => `meeting-form:${cardId}`,
  /** Written in the same commit as what the card created: one card, one meeting / one set of agreements. */
  formUsed: (cardId: string) => `meeting-form-used:${cardId}`,
  /** Appendix 1, per partner (organisation) per meeting. */
  prep: (meetingId: string, organisation: string) => `meeting-prep:${meetingId}:${organisation}`,
  /** Advice given beforehand, per organisation per meeting. */
  advice: (meetingId: string, organisation: string) => `meeting-advice:${meetingId}:${organisation}`,
  intervention: (id: string) => `intervention:${id}`,
} as const;

export const meetingIndexes = {
  /** Meetings a user organises, is invited to or advises on, scored by start (ms). */
  userMeetings: (userId: string) => `user-meetings:${userId}`,
  /** Meetings about a case, scored by start (ms). */
  caseMeetings: (caseId: string) => `case-meetings:${caseId}`,
  /** Interventions of a case, scored by feedback due date (UTC midnight ms). */
  caseInterventions: (caseId: string) => `case-interventions:${caseId}`,
  /** Interventions a user is responsible for, scored by feedback due date: for the feedback issue. */
  userInterventions: (userId: string) => `user-interventions:${userId}`,
  /** All interventions by feedback due date: the feedback issue asks for terugkoppeling from here. */
  interventionsByFeedbackDue: 'interventions-feedback-due',
} as const;

/** Outbox notice ids: stable per what they are about, so sending twice delivers once. */
export const noticeIds = {
  summons: (meetingId: string, userId: string) => `summons:${meetingId}:${userId}`,
  update: (meetingId: string, version: number, userId: string) => `meeting-update:${meetingId}:v${version}:${userId}`,
  cancelled: (meetingId: string, userId: string) => `meeting-cancelled:${meetingId}:${userId}`,
  reminder: (meetingId: string, version: number, slot: string, userId: string) => `meeting-reminder:${meetingId}:v${version}:${slot}:${userId}`,
  manualReminder: (meetingId: string, n: number, userId: string) => `meeting-remind:${meetingId}:${n}:${userId}`,
  advice: (meetingId: string, userId: string) => `advice-request:${meetingId}:${userId}`,
  agreement: (interventionId: string, userId: string) => `agreement:${interventionId}:${userId}`,
} as const;

export const REMINDER_JOB = 'meeting.reminder';
export const reminderJobId = (meetingId: string, version: number, slot: string) => `meeting-reminder-slot:${meetingId}:v${version}:${slot}`;

interface FormDoc {
  userId: string;
  kind: 'plan' | 'agreements';
  issuedAt: string;
  meetingId?: string;
  rows?: number;
}

interface FormUsed {
  meetingId: string;
}

export const FORM_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_ATTEMPTS = 5;
const ALL = { min: -Infinity, max: Infinity };
/** Signals read per case for the agenda summary, the suggestions and the details view. */
const SIGNALS_PER_CASE = 200;
/** Open cases offered on the planning card. */
const CASE_CHOICES = 50;
const MY_MEETINGS_LIMIT = 20;
/** The evaluation meeting is prefilled this many days after the first one (§4 step 3). */
export const FOLLOW_UP_DAYS = 42;

// --- helpers --------------------------------------------------------------------------------------

const asCard = (card: AdaptiveCard): CardActionResult => ({ kind: 'card', card });

const dayText = (ctx: AppContext, instant: Date): string => formatWeekday(instant, ctx.timeZone);

function formatWhen(ctx: AppContext, m: Pick<Meeting, 'start' | 'end'>): string {
  const start = new Date(m.start);
  return t.when(dayText(ctx, start), localTimeString(start, ctx.timeZone), localTimeString(new Date(m.end), ctx.timeZone));
}

const formatInstant = (ctx: AppContext, instant: string | Date): string => formatMoment(instant, ctx.timeZone);
const formatDate = formatCalendarDate;

const userName = (ctx: AppContext, id: string) => ctx.directory.user(id)?.name ?? id;
const orgName = (ctx: AppContext, id: string) => ctx.directory.organisation(id)?.name ?? id;

function by(actor: Actor): { userId: string; organisation: string } {
  return { userId: actor.id, organisation: actor.organisation.id };
}

async function commitAudit(ctx: AppContext, events: AuditEvent[]): Promise<void> {
  const result = await ctx.store.commit(events.map(auditOp));
  if (!result.ok) throw new Error('Unexpected: an append-only audit write reported a conflict');
}

/** A refusal: audited (ids and reason only), logged without content, answered with a Dutch card. */
async function refuse(
  ctx: AppContext,
  actor: Actor,
  action: string,
  resource: string,
  reason: string,
  message: string,
  outcome: AuditEvent['outcome'] = 'refused',
): Promise<AdaptiveCard> {
  await commitAudit(ctx, [{ actor: actor.id, action, resource, outcome, reason }]);
  ctx.log.warn({ event: `${action}.refused`, userId: actor.id, resource, reason }, 'meeting request refused');
  return refusalCard(message);
}

type ForgedReason = 'unknown-fields' | 'oversized' | 'bad-shape';

function forgedReason(error: z.ZodError): ForgedReason {
  const codes = error.issues.map((i) => i.code);
  return codes.includes('unrecognized_keys') ? 'unknown-fields' : codes.includes('too_big') ? 'oversized' : 'bad-shape';
}

/** The claimed id of a payload, for the audit line only when it looks like one of ours. */
function claimedResource(data: unknown): string {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const id = typeof d.meetingId === 'string' ? d.meetingId : typeof d.cardId === 'string' ? d.cardId : undefined;
  return id && /^[0-9a-f-]{36}$/i.test(id) ? `${typeof d.meetingId === 'string' ? 'meeting' : 'meeting-form'}:${id}` : 'meeting:?';
}

async function refuseForged(ctx: AppContext, actor: Actor, action: string, data: unknown, error: z.ZodError): Promise<AdaptiveCard> {
  const reason = forgedReason(error);
  return refuse(ctx, actor, action, claimedResource(data), reason, reason === 'oversized' ? r.oversized : r.forged);
}

const rawText = z.string().max(MEETING_LIMITS.raw);
const meetingIdData = z.object({ meetingId: z.string().uuid() }).strict();

function denyReason(decision: ReturnType<typeof decide>): DenyReason {
  return decision.effect === 'deny' ? decision.reason : 'role-required';
}

// --- loading --------------------------------------------------------------------------------------

interface Loaded {
  meeting: Meeting;
  etag: string;
}

async function loadMeeting(ctx: AppContext, id: string): Promise<Loaded | undefined> {
  const stored = await ctx.store.get<Meeting>(meetingKeys.meeting(id));
  return stored ? { meeting: stored.value, etag: stored.etag } : undefined;
}

async function loadCaseByRef(ctx: AppContext, ref: string): Promise<{ value: Case; etag: string } | undefined> {
  const ptr = await ctx.store.get<{ caseId: string }>(signalKeys.caseRef(ref));
  if (!ptr) return undefined;
  return ctx.store.get<Case>(signalKeys.case(ptr.value.caseId));
}

async function caseSignals(ctx: AppContext, caseId: string): Promise<Signal[]> {
  const entries = await ctx.store.range(signalIndexes.caseSignals(caseId), ALL.min, ALL.max, { limit: SIGNALS_PER_CASE, reverse: true });
  return (await ctx.store.getMany<Signal>(entries.map((e) => signalKeys.signal(e.member)))).filter((s) => s !== undefined).map((s) => s.value);
}

function categoriesOf(signals: readonly Signal[]): Category[] {
  return [...new Set(signals.flatMap((s) => s.categories))];
}

/** The agenda as the cards show it: no personal data. */
async function agendaOf(ctx: AppContext, m: Pick<Meeting, 'cases'>): Promise<AgendaCase[]> {
  const cases = await ctx.store.getMany<Case>(m.cases.map((c) => signalKeys.case(c.caseId)));
  const out: AgendaCase[] = [];
  for (const stored of cases) {
    if (!stored) continue;
    const c = stored.value;
    const signals = await caseSignals(ctx, c.id);
    out.push({
      ref: c.ref,
      districtName: ctx.directory.district(c.district)?.name ?? c.district,
      location: c.location,
      level: c.level,
      subject: c.subject,
      signals: Math.max(c.signalCount, signals.length),
      categories: categoriesOf(signals),
    });
  }
  return out;
}

function profileOf(c: Case, signals: readonly Signal[]): CaseProfile {
  return {
    district: c.district,
    kind: c.kind,
    subjects: [...new Set([c.subject, ...signals.map((s) => s.subject)])],
    involvedOrganisations: c.involvedOrganisations,
    categories: categoriesOf(signals),
  };
}

function reasonText(reasons: readonly SuggestionReason[]): string {
  const x = t.plan.reasons;
  return reasons
    .map((reason) => {
      switch (reason.kind) {
        case 'reported':
          return x.reported;
        case 'category':
          return x.category(nl.signals.categories[reason.category]);
        case 'subject':
          return x.subject;
        case 'care':
          return x.care;
      }
    })
    .join(', ');
}

// --- planning: the card ---------------------------------------------------------------------------

const planEnvelope = z
  .object({
    cardId: z.string().uuid(),
    ...(Object.fromEntries(PLAN_FIELDS.map((f) => [f, rawText.nullish()])) as Record<PlanField, z.ZodOptional<z.ZodNullable<typeof rawText>>>),
  })
  .strict();

function planValues(data: z.infer<typeof planEnvelope>): PlanFormValues {
  const values: PlanFormValues = {};
  for (const f of PLAN_FIELDS) {
    const v = data[f];
    if (typeof v === 'string') values[f] = v;
  }
  return values;
}

const splitList = (s: string | undefined) =>
  [...new Set((s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== ''))];

/** Districts the actor may plan meetings for (the access policy, asked per district). */
function planningDistricts(ctx: AppContext, actor: Actor): string[] {
  return ctx.directory.districts
    .map((d) => d.id)
    .filter((d) => isAllowed(decide(actor, 'meeting.plan', { type: 'district', district: d })));
}

async function caseChoices(ctx: AppContext, actor: Actor, include: readonly Case[]): Promise<Choice[]> {
  const seen = new Map<string, Case>();
  for (const c of include) seen.set(c.id, c);
  for (const d of planningDistricts(ctx, actor)) {
    const entries = await ctx.store.range(signalIndexes.districtCases(d), ALL.min, ALL.max, { limit: CASE_CHOICES, reverse: true });
    const cases = await ctx.store.getMany<Case>(entries.map((e) => signalKeys.case(e.member)));
    for (const c of cases) if (c && c.value.status === 'open') seen.set(c.value.id, c.value);
  }
  return [...seen.values()].slice(0, CASE_CHOICES * 2).map((c) => ({
    value: c.ref,
    title: `${c.ref} · ${ctx.directory.district(c.district)?.name ?? c.district} · ${c.location} · ${nlLevel(c.level)}`,
  }));
}

const nlLevel = (level: Case['level']) => nl.signals.levels[level];

function orgChoices(ctx: AppContext): Choice[] {
  return ctx.directory.organisations
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name, 'nl'))
    .map((o) => ({ value: o.id, title: o.covenant ? o.name : `${o.name} (${t.plan.nonCovenantSuffix})` }));
}

function userChoices(ctx: AppContext, exclude: string): Choice[] {
  return ctx.directory.data.users
    .filter((u) => u.id !== exclude)
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name, 'nl'))
    .map((u) => ({ value: u.id, title: `${u.name} — ${orgName(ctx, u.organisation)}` }));
}

/** Cases the actor may put on the agenda, by reference; unknown, closed or foreign ones are left out. */
async function allowedCases(ctx: AppContext, actor: Actor, refs: readonly string[]): Promise<Case[]> {
  const out: Case[] = [];
  for (const ref of refs.slice(0, MEETING_LIMITS.maxCases)) {
    const norm = ref.trim().toUpperCase();
    if (!CASE_REF.test(norm)) continue;
    const c = await loadCaseByRef(ctx, norm);
    if (c && c.value.status === 'open' && isAllowed(decide(actor, 'meeting.plan', { type: 'case', case: caseFacts(c.value) }))) out.push(c.value);
  }
  return out;
}

async function suggestionsFor(ctx: AppContext, actor: Actor, cases: readonly Case[]) {
  const profiles: CaseProfile[] = [];
  for (const c of cases) profiles.push(profileOf(c, await caseSignals(ctx, c.id)));
  return suggestInvitees(profiles, ctx.directory, { exclude: [actor.organisation.id] });
}

async function planFormView(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  values: PlanFormValues,
  errors?: Partial<Record<PlanField, string>>,
  addSuggested = false,
): Promise<AdaptiveCard> {
  const chosen = await allowedCases(ctx, actor, splitList(values.cases));
  const suggestions = await suggestionsFor(ctx, actor, chosen);
  const v = { ...values };
  if (addSuggested) v.orgs = [...new Set([...splitList(v.orgs), ...suggestions.map((s) => s.organisation)])].join(',');
  return planFormCard({
    cardId,
    values: v,
    ...(errors ? { errors } : {}),
    caseChoices: await caseChoices(ctx, actor, chosen),
    orgChoices: orgChoices(ctx),
    userChoices: userChoices(ctx, actor.id),
    suggestions: suggestions.map((s) => ({ organisation: orgName(ctx, s.organisation), reasons: reasonText(s.reasons) })),
    today: localDateString(ctx.clock.now(), ctx.timeZone),
  });
}

/**
 * `overleg plannen [C-…]`, the case card's and a notice's "casusoverleg plannen": a planning card
 * with the case on the agenda and the suggested organisations selected.
 */
export async function openPlanForm(ctx: AppContext, actor: Actor, rawRef?: string): Promise<AdaptiveCard> {
  const districts = planningDistricts(ctx, actor);
  if (districts.length === 0) return refuse(ctx, actor, 'meeting.plan', 'system', 'role-required', r.notAllowedToPlan, 'deny');
  const cases: Case[] = [];
  if (rawRef !== undefined && rawRef.trim() !== '') {
    const ref = rawRef.trim().toUpperCase();
    if (!CASE_REF.test(ref)) return refusalCard(r.badRef(escapeText(rawRef.slice(0, 30))));
    const c = await loadCaseByRef(ctx, ref);
    if (!c) return refuse(ctx, actor, 'meeting.plan', `case:${ref}`, 'not-found', t.errors.caseUnknown(ref));
    if (c.value.status !== 'open') return refuse(ctx, actor, 'meeting.plan', `case:${ref}`, 'case-closed', t.errors.caseClosed(ref));
    const decision = decide(actor, 'meeting.plan', { type: 'case', case: caseFacts(c.value) });
    if (!isAllowed(decision)) return refuse(ctx, actor, 'meeting.plan', `case:${ref}`, denyReason(decision), t.errors.caseDenied(ref), 'deny');
    cases.push(c.value);
  }
  const now = ctx.clock.now();
  const cardId = randomUUID();
  const form: FormDoc = { userId: actor.id, kind: 'plan', issuedAt: now.toISOString() };
  const committed = await ctx.store.commit([{ op: 'put', key: meetingKeys.form(cardId), value: form, ifAbsent: true }]);
  if (!committed.ok) throw new Error('Unexpected: a fresh random card id already exists');
  ctx.log.info({ event: 'meeting.plan-form', userId: actor.id, cardId, cases: cases.length }, 'meeting plan form issued');
  const values: PlanFormValues = { start: '10:00', end: '11:00', ...(cases.length > 0 ? { cases: cases.map((c) => c.ref).join(',') } : {}) };
  return planFormView(ctx, actor, cardId, values, undefined, true);
}

type FormCheck = { ok: true; form: FormDoc; etag: string } | { ok: false; card: AdaptiveCard };

async function checkForm(ctx: AppContext, actor: Actor, action: string, cardId: string, kind: FormDoc['kind']): Promise<FormCheck> {
  const form = await ctx.store.get<FormDoc>(meetingKeys.form(cardId));
  if (!form || form.value.kind !== kind) return { ok: false, card: await refuse(ctx, actor, action, meetingKeys.form(cardId), 'unknown-card', r.unknownCard) };
  if (form.value.userId !== actor.id) return { ok: false, card: await refuse(ctx, actor, action, meetingKeys.form(cardId), 'foreign-card', r.unknownCard) };
  return { ok: true, form: form.value, etag: form.etag };
}

function formExpired(ctx: AppContext, form: FormDoc): boolean {
  return ctx.clock.now().getTime() - new Date(form.issuedAt).getTime() > FORM_TTL_MS;
}

/** `meeting.plan-update`: the same card with suggestions for the cases chosen on it; values kept. */
export async function updatePlanForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = planEnvelope.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.plan', data, parsed.error);
  const check = await checkForm(ctx, actor, 'meeting.plan', parsed.data.cardId, 'plan');
  if (!check.ok) return check.card;
  const used = await ctx.store.get<FormUsed>(meetingKeys.formUsed(parsed.data.cardId));
  if (used) return overviewFor(ctx, actor, used.value.meetingId);
  return planFormView(ctx, actor, parsed.data.cardId, planValues(parsed.data), undefined, true);
}

// --- planning: the submit -------------------------------------------------------------------------

interface PlanInput {
  cases: Case[];
  caseEtags: Map<string, string>;
  start: Date;
  end: Date;
  place: string;
  prepare?: string;
  invitedOrganisations: string[];
  invitees: { userId: string; organisation: string; via: 'person' | 'organisation' }[];
  advisers: { userId: string; organisation: string }[];
  adviceQuestion?: string;
}

const scheduleMessage = (e: ScheduleError) => t.errors[e];

async function validatePlan(
  ctx: AppContext,
  actor: Actor,
  values: PlanFormValues,
): Promise<{ ok: true; input: PlanInput } | { ok: false; errors: Partial<Record<PlanField, string>> }> {
  const errors: Partial<Record<PlanField, string>> = {};
  const now = ctx.clock.now();

  // Cases: each must exist, be open and be one the actor may plan a meeting for.
  const refs = splitList(values.cases).map((x) => x.toUpperCase());
  const cases: Case[] = [];
  const caseEtags = new Map<string, string>();
  if (refs.length === 0) errors.cases = t.errors.casesRequired;
  else if (refs.length > MEETING_LIMITS.maxCases) errors.cases = t.errors.tooManyCases;
  else {
    for (const ref of refs) {
      const c = CASE_REF.test(ref) ? await loadCaseByRef(ctx, ref) : undefined;
      const shown = escapeText(ref.slice(0, 30));
      if (!c) errors.cases ??= t.errors.caseUnknown(shown);
      else if (c.value.status !== 'open') errors.cases ??= t.errors.caseClosed(ref);
      else if (!isAllowed(decide(actor, 'meeting.plan', { type: 'case', case: caseFacts(c.value) }))) errors.cases ??= t.errors.caseDenied(ref);
      else {
        cases.push(c.value);
        caseEtags.set(c.value.id, c.etag);
      }
    }
  }

  const schedule = validateSchedule(values, now, ctx.timeZone);
  if (!schedule.ok) for (const [f, e] of Object.entries(schedule.errors)) errors[f as PlanField] = scheduleMessage(e);

  // Invitees: organisations (their contact persons) and people, all from the directory.
  const invitees = new Map<string, PlanInput['invitees'][number]>();
  const orgIds = splitList(values.orgs);
  for (const id of orgIds) {
    const org = ctx.directory.organisation(id);
    if (!org) {
      errors.orgs ??= t.errors.inviteeUnknown(escapeText(id.slice(0, 100)));
      continue;
    }
    const contacts = ctx.directory.contactsOf(org.id).filter((u) => u.id !== actor.id);
    if (contacts.length === 0) errors.orgs ??= t.errors.organisationNoContacts(escapeText(org.name));
    for (const u of contacts) if (!invitees.has(u.id)) invitees.set(u.id, { userId: u.id, organisation: u.organisation, via: 'organisation' });
  }
  for (const id of splitList(values.users)) {
    const u = ctx.directory.user(id);
    if (!u) {
      errors.users ??= t.errors.inviteeUnknown(escapeText(id.slice(0, 100)));
      continue;
    }
    if (u.id === actor.id) continue;
    invitees.set(u.id, { userId: u.id, organisation: u.organisation, via: 'person' });
  }
  if (invitees.size === 0 && !errors.orgs && !errors.users) errors.orgs = t.errors.inviteesRequired;
  if (invitees.size > MEETING_LIMITS.maxInvitees) errors.orgs ??= t.errors.tooManyInvitees;

  // Advice beforehand: organisations that are not invited (§4).
  const advisers = new Map<string, PlanInput['advisers'][number]>();
  for (const id of splitList(values.adviceOrgs)) {
    const org = ctx.directory.organisation(id);
    if (!org) {
      errors.adviceOrgs ??= t.errors.inviteeUnknown(escapeText(id.slice(0, 100)));
      continue;
    }
    if (orgIds.includes(org.id) || [...invitees.values()].some((i) => i.organisation === org.id)) {
      errors.adviceOrgs ??= t.errors.adviceInvited(escapeText(org.name));
      continue;
    }
    const contacts = ctx.directory.contactsOf(org.id).filter((u) => u.id !== actor.id);
    if (contacts.length === 0) errors.adviceOrgs ??= t.errors.organisationNoContacts(escapeText(org.name));
    for (const u of contacts) advisers.set(u.id, { userId: u.id, organisation: u.organisation });
  }
  if (advisers.size > MEETING_LIMITS.maxAdvice) errors.adviceOrgs ??= t.errors.tooManyAdvice;

  const prepare = cleanMultiline(values.prepare ?? '');
  if ([...prepare].length > MEETING_LIMITS.prepare) errors.prepare = t.errors.prepareTooLong;
  const adviceQuestion = cleanMultiline(values.adviceQuestion ?? '');
  if ([...adviceQuestion].length > MEETING_LIMITS.adviceQuestion) errors.adviceQuestion = t.errors.adviceQuestionTooLong;

  if (Object.keys(errors).length > 0 || !schedule.ok) return { ok: false, errors };
  return {
    ok: true,
    input: {
      cases,
      caseEtags,
      start: schedule.schedule.start,
      end: schedule.schedule.end,
      place: schedule.schedule.place,
      ...(prepare ? { prepare } : {}),
      invitedOrganisations: orgIds,
      invitees: [...invitees.values()],
      advisers: [...advisers.values()],
      ...(adviceQuestion && advisers.size > 0 ? { adviceQuestion } : {}),
    },
  };
}

function meetingEvent(actor: Actor, m: Pick<Meeting, 'id' | 'ref'>, change: 'planned' | 'rescheduled' | 'cancelled' | 'agreements-recorded', at: string, interventions?: number): CaseEvent {
  return caseEventSchema.parse({
    type: 'meeting',
    at,
    by: by(actor),
    meetingId: m.id,
    meetingRef: m.ref,
    change,
    ...(interventions !== undefined ? { interventions } : {}),
  });
}

/** Ops that append events to cases (re-read for a fresh etag by the caller's retry loop). */
async function caseEventOps(ctx: AppContext, caseIds: readonly string[], events: (c: Case) => CaseEvent[], at: string): Promise<WriteOp[]> {
  const stored = await ctx.store.getMany<Case>(caseIds.map((id) => signalKeys.case(id)));
  const ops: WriteOp[] = [];
  for (const s of stored) {
    if (!s) continue;
    const updated = caseSchema.parse({ ...s.value, updatedAt: at, events: [...s.value.events, ...events(s.value)] });
    ops.push({ op: 'put', key: signalKeys.case(updated.id), value: updated, ifEtag: s.etag });
  }
  return ops;
}

function userIndexOps(m: Meeting): WriteOp[] {
  const score = new Date(m.start).getTime();
  const users = new Set([m.organiser.userId, ...m.invitees.map((i) => i.userId), ...m.advisers.map((a) => a.userId)]);
  return [
    ...[...users].map((u): WriteOp => ({ op: 'index', index: meetingIndexes.userMeetings(u), member: m.id, score })),
    ...m.cases.map((c): WriteOp => ({ op: 'index', index: meetingIndexes.caseMeetings(c.caseId), member: m.id, score })),
  ];
}

async function newMeetingRef(ctx: AppContext, now: Date): Promise<string> {
  const year = localParts(now, ctx.timeZone).year;
  return formatMeetingRef(year, await ctx.store.nextSeq(`meetings:${year}`));
}

/**
 * `meeting.plan`: validates the whole card (nothing is stored when anything is wrong), stores the
 * meeting with the case timeline events in one commit, then sends the summons and advice requests
 * and schedules the reminders. Answers with the organiser's overview.
 */
export async function submitPlan(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = planEnvelope.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.plan', data, parsed.error);
  const { cardId } = parsed.data;
  const check = await checkForm(ctx, actor, 'meeting.plan', cardId, 'plan');
  if (!check.ok) return check.card;
  const used = await ctx.store.get<FormUsed>(meetingKeys.formUsed(cardId));
  if (used) return overviewFor(ctx, actor, used.value.meetingId);
  if (formExpired(ctx, check.form)) return refuse(ctx, actor, 'meeting.plan', meetingKeys.form(cardId), 'expired-card', r.expiredCard);

  const values = planValues(parsed.data);
  const now = ctx.clock.now();
  const ref = await (async () => {
    const validated = await validatePlan(ctx, actor, values);
    if (!validated.ok) return validated;
    return { ok: true as const, input: validated.input, ref: await newMeetingRef(ctx, now) };
  })();
  if (!ref.ok) {
    ctx.log.info({ event: 'meeting.plan.invalid', userId: actor.id, cardId, fields: Object.keys(ref.errors) }, 'meeting plan has errors');
    return planFormView(ctx, actor, cardId, values, ref.errors);
  }

  const meetingId = randomUUID();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // Validate again on a retry: a case may have been closed meanwhile.
    const validated = attempt === 1 ? { ok: true as const, input: ref.input } : await validatePlan(ctx, actor, values);
    if (!validated.ok) return planFormView(ctx, actor, cardId, values, validated.errors);
    const input = validated.input;
    const at = now.toISOString();
    const meeting = meetingSchema.parse({
      id: meetingId,
      ref: ref.ref,
      kind: 'casusoverleg',
      state: 'gepland',
      version: 1,
      start: input.start.toISOString(),
      end: input.end.toISOString(),
      place: input.place,
      ...(input.prepare ? { prepare: input.prepare } : {}),
      organiser: by(actor),
      districts: [...new Set(input.cases.map((c) => c.district))],
      cases: input.cases.map((c) => ({ caseId: c.id, caseRef: c.ref })),
      invitedOrganisations: input.invitedOrganisations,
      invitees: input.invitees.map((i) => ({ ...i, invitedAt: at })),
      advisers: input.advisers.map((a) => ({ ...a, askedAt: at })),
      ...(input.adviceQuestion ? { adviceQuestion: input.adviceQuestion } : {}),
      createdAt: at,
      updatedAt: at,
      manualReminders: [],
    } satisfies Meeting);
    const ops: WriteOp[] = [
      { op: 'put', key: meetingKeys.meeting(meeting.id), value: meeting, ifAbsent: true },
      { op: 'put', key: meetingKeys.meetingRef(meeting.ref), value: { meetingId: meeting.id }, ifAbsent: true },
      { op: 'put', key: meetingKeys.formUsed(cardId), value: { meetingId: meeting.id } satisfies FormUsed, ifAbsent: true },
      ...userIndexOps(meeting),
      ...(await caseEventOps(ctx, meeting.cases.map((c) => c.caseId), () => [meetingEvent(actor, meeting, 'planned', at)], at)),
      auditOp({ actor: actor.id, action: 'meeting.plan', resource: `meeting:${meeting.ref}`, outcome: 'allow' }),
      ...meeting.cases.map((c) => auditOp({ actor: actor.id, action: 'meeting.plan', resource: `case:${c.caseRef}`, outcome: 'allow' })),
    ];
    // The summons are stored with the meeting (transactional outbox): planned means summoned.
    const committed = await commitWithNotices(ctx, ops, await plannedNotices(ctx, meeting));
    if (committed.ok) {
      ctx.log.info(
        { event: 'meeting.planned', userId: actor.id, meetingRef: meeting.ref, invitees: meeting.invitees.length, advisers: meeting.advisers.length },
        'meeting planned',
      );
      await scheduleReminders(ctx, meeting);
      return overviewFor(ctx, actor, meeting.id, t.overview.planned(meeting.invitees.length));
    }
    if (committed.conflict === meetingKeys.formUsed(cardId)) {
      const first = await ctx.store.get<FormUsed>(meetingKeys.formUsed(cardId));
      if (first) return overviewFor(ctx, actor, first.value.meetingId);
    }
    ctx.log.info({ event: 'meeting.plan.retry', userId: actor.id, attempt }, 'case changed concurrently, retrying');
  }
  return refusalCard(r.busy);
}

// --- proactive messages ---------------------------------------------------------------------------

type NoticeKind = keyof typeof nl.meetings.notices;
const summary = (kind: NoticeKind, ref: string) => t.notices[kind].summary(ref);
const about = (kind: NoticeKind, ref: string) => t.notices[kind].about(ref);

/** An invitee's answer as the cards show it (also the Kerngroep's summons and the chair's matrix). */
export function answerView(ctx: AppContext, answer: Answer | undefined): AnswerView | undefined {
  if (!answer) return undefined;
  if (answer.kind === 'vervanger') return { kind: 'vervanger', substituteName: userName(ctx, answer.substitute) };
  if (answer.kind === 'verhinderd') return { kind: 'verhinderd', reason: answer.reason };
  return { kind: 'aanwezig' };
}

async function prepOf(ctx: AppContext, meetingId: string, organisation: string): Promise<Preparation | undefined> {
  return (await ctx.store.get<Preparation>(meetingKeys.prep(meetingId, organisation)))?.value;
}

/**
 * The summons as one invitee sees it. Base view: no personal data, so it can be sent proactively
 * and kept in the chat. It always asks Teams to refresh for the recipient, so an old card shows the
 * current time, place and answer; the refreshed view (`details`) adds personal data only for a
 * covenant organisation and only what the access policy allows per signal.
 */
async function summonsView(
  ctx: AppContext,
  m: Meeting,
  invitee: Invitee,
  options: { agenda?: AgendaCase[]; banner?: string; details?: SummonsView['details'] } = {},
): Promise<SummonsView> {
  const prep = await prepOf(ctx, m.id, invitee.organisation);
  return {
    meetingId: m.id,
    ref: m.ref,
    kind: m.kind,
    state: m.state,
    when: formatWhen(ctx, m),
    place: m.place,
    organiser: userName(ctx, m.organiser.userId),
    cases: options.agenda ?? (await agendaOf(ctx, m)),
    ...(m.prepare ? { prepare: m.prepare } : {}),
    ...(invitee.substituteFor ? { substituteFor: userName(ctx, invitee.substituteFor) } : {}),
    ...(invitee.answer ? { answer: answerView(ctx, invitee.answer)! } : {}),
    open: openForAnswers(m, ctx.clock.now()),
    colleagues: colleagueChoices(ctx, invitee),
    ...(prep ? { prep: { at: formatInstant(ctx, prep.updatedAt), by: userName(ctx, prep.by.userId) } } : {}),
    ...(options.banner ? { banner: options.banner } : {}),
    ...(options.details ? { details: options.details } : {}),
    refreshFor: [invitee.userId],
  };
}

/** Who an invitee can send instead: the other people of their organisation in the directory. */
export function colleagueChoices(ctx: AppContext, invitee: Pick<Invitee, 'userId' | 'organisation'>): Choice[] {
  return ctx.directory
    .usersOf(invitee.organisation)
    .filter((u) => u.id !== invitee.userId)
    .map((u) => ({ value: u.id, title: u.name }));
}

async function summonsNotice(ctx: AppContext, m: Meeting, invitee: Invitee, agenda: AgendaCase[]): Promise<Notice> {
  const card = summonsCard(await summonsView(ctx, m, invitee, { agenda }));
  return {
    id: noticeIds.summons(m.id, invitee.userId),
    recipient: invitee.userId,
    message: { kind: 'card', card, summary: summary('summons', m.ref) },
    reportFailureTo: m.organiser.userId,
    about: about('summons', m.ref),
  };
}

async function send(ctx: AppContext, notice: Notice): Promise<void> {
  const result = await ctx.outbox.send(notice);
  ctx.log.info({ event: 'meeting.notice', noticeId: notice.id, queued: result.queued }, 'meeting notice queued');
}

function adviceNotice(ctx: AppContext, m: Meeting, userId: string, agenda: AgendaCase[]): Notice {
  const card = adviceRequestCard({
    meetingId: m.id,
    ref: m.ref,
    organiser: userName(ctx, m.organiser.userId),
    when: formatWhen(ctx, m),
    cases: agenda,
    ...(m.adviceQuestion ? { question: m.adviceQuestion } : {}),
    open: true,
  });
  return {
    id: noticeIds.advice(m.id, userId),
    recipient: userId,
    message: { kind: 'card', card, summary: summary('advice', m.ref) },
    reportFailureTo: m.organiser.userId,
    about: about('advice', m.ref),
  };
}

/** A new meeting's summons (one per invitee) and advice requests (one per adviser). */
async function plannedNotices(ctx: AppContext, m: Meeting): Promise<Notice[]> {
  const agenda = await agendaOf(ctx, m);
  const notices: Notice[] = [];
  for (const invitee of m.invitees) notices.push(await summonsNotice(ctx, m, invitee, agenda));
  for (const adviser of m.advisers) notices.push(adviceNotice(ctx, m, adviser.userId, agenda));
  return notices;
}

// --- reminders ------------------------------------------------------------------------------------

let reminderSlots: readonly ReminderSlot[] = DEFAULT_REMINDER_SLOTS;

/** Replaces the reminder slots (configuration; tests). Returns the previous ones. */
export function configureReminderSlots(slots: readonly ReminderSlot[]): readonly ReminderSlot[] {
  const previous = reminderSlots;
  reminderSlots = slots;
  return previous;
}

const reminderPayload = z.object({ meetingId: z.string().uuid(), version: z.number().int().min(1), slot: z.string().min(1).max(20) }).strict();

async function scheduleReminders(ctx: AppContext, m: Meeting): Promise<void> {
  for (const { slot, at } of reminderPlan(new Date(m.start), reminderSlots, ctx.clock.now(), ctx.timeZone)) {
    await ctx.jobs.enqueue({
      id: reminderJobId(m.id, m.version, slot.id),
      type: REMINDER_JOB,
      payload: { meetingId: m.id, version: m.version, slot: slot.id },
      runAt: at,
    });
  }
}

async function cancelReminders(ctx: AppContext, m: Pick<Meeting, 'id'>, version: number): Promise<void> {
  for (const slot of reminderSlots) await ctx.jobs.cancel(reminderJobId(m.id, version, slot.id));
}

/**
 * The reminder job: decides the recipients now, from the answers as they are now. Sends nothing
 * for an old schedule version, a cancelled or closed meeting, or after the start.
 */
export async function runReminderJob(ctx: AppContext, payload: unknown): Promise<JobOutcome> {
  const parsed = reminderPayload.safeParse(payload);
  if (!parsed.success) return { status: 'failed', reason: 'bad payload' };
  const { meetingId, version } = parsed.data;
  const slot = reminderSlots.find((s) => s.id === parsed.data.slot);
  const loaded = await loadMeeting(ctx, meetingId);
  if (!loaded || !slot) {
    ctx.log.info({ event: 'meeting.reminder.skip', meetingId, reason: !loaded ? 'no-meeting' : 'no-slot' }, 'reminder skipped');
    return { status: 'done' };
  }
  const m = loaded.meeting;
  const now = ctx.clock.now();
  const skip = reminderSkip(m, { version, slot }, reminderSlots, now, ctx.timeZone);
  if (skip) {
    ctx.log.info({ event: 'meeting.reminder.skip', meetingRef: m.ref, slot: slot.id, version, reason: skip }, 'reminder skipped');
    return { status: 'done' };
  }
  const recipients = reminderRecipients(m, slot.audience);
  const agenda = await agendaOf(ctx, m);
  const start = new Date(m.start);
  const banner =
    slot.audience === 'no-answer'
      ? t.summons.reminderNoAnswer
      : t.summons.reminderAttending(dayText(ctx, start), localTimeString(start, ctx.timeZone));
  for (const userId of recipients) {
    const invitee = m.invitees.find((i) => i.userId === userId)!;
    const card = summonsCard(await summonsView(ctx, m, invitee, { agenda, banner }));
    await send(ctx, {
      id: noticeIds.reminder(m.id, m.version, slot.id, userId),
      recipient: userId,
      message: { kind: 'card', card, summary: summary('reminder', m.ref) },
      reportFailureTo: m.organiser.userId,
      about: about('reminder', m.ref),
    });
  }
  ctx.log.info({ event: 'meeting.reminder.sent', meetingRef: m.ref, slot: slot.id, version, recipients: recipients.length }, 'reminder sent');
  return { status: 'done' };
}

/**
 * Registers the reminder handler; call before `jobs.start()`. `slots` (config `MEETING_REMINDERS`)
 * replace the defaults for this process.
 */
export function registerMeetingJobs(jobs: Jobs, ctx: AppContext, slots?: readonly ReminderSlot[]): void {
  if (slots) configureReminderSlots(slots);
  jobs.register(REMINDER_JOB, (job) => runReminderJob(ctx, job.payload));
}

// --- reading: summons, overview, my meetings ------------------------------------------------------

type Access = { ok: true; loaded: Loaded } | { ok: false; card: AdaptiveCard };

/** Loads the meeting and asks the policy; a refusal is audited. */
async function access(ctx: AppContext, actor: Actor, meetingId: string, action: 'meeting.read' | 'meeting.manage' | 'meeting.respond' | 'meeting.advise'): Promise<Access> {
  const loaded = await loadMeeting(ctx, meetingId);
  if (!loaded) return { ok: false, card: await refuse(ctx, actor, action, `meeting:${meetingId}`, 'not-found', r.notFound) };
  const decision = decide(actor, action, { type: 'meeting', meeting: meetingFacts(loaded.meeting) });
  if (!isAllowed(decision)) {
    const message = action === 'meeting.respond' ? r.notInvited : action === 'meeting.advise' ? r.notAdviser : action === 'meeting.manage' ? r.notOrganiser : r.denied;
    return { ok: false, card: await refuse(ctx, actor, action, `meeting:${loaded.meeting.ref}`, denyReason(decision), message, 'deny') };
  }
  return { ok: true, loaded };
}

/** Person data of the agenda's signals that this actor may see (§4: police data only via the municipality). */
async function personDetails(ctx: AppContext, actor: Actor, m: Meeting): Promise<{ details: NonNullable<SummonsView['details']>; shown: number; withheld: number }> {
  const persons = new Map<string, { name: string; dateOfBirth: string }>();
  let withheld = 0;
  for (const c of m.cases) {
    // The case's current level: at hinder only the reporting organisation sees its persons (§2).
    const level = (await ctx.store.get<Case>(signalKeys.case(c.caseId)))?.value.level;
    for (const s of await caseSignals(ctx, c.caseId)) {
      if (!s.person) continue;
      const decision = decide(actor, 'person-data.read', {
        type: 'person-data',
        // A case that is gone counts as hinder: the strictest level.
        data: { reporterOrganisation: s.reporter.organisation, fromPolice: s.reporter.fromPolice, district: s.district, level: level ?? 'hinder' },
      });
      // Never for a non-covenant organisation, whatever the policy's other rules say.
      if (actor.organisation.covenant && isAllowed(decision)) persons.set(s.personKey ?? `${s.person.name}\n${s.person.dateOfBirth}`, s.person);
      else withheld++;
    }
  }
  return { details: { persons: [...persons.values()], withheld }, shown: persons.size, withheld };
}

/**
 * `meeting.summons` (the refresh of a summons) and `meeting.open` for an invitee: the current
 * summons. `details` adds person data for who may see it (the user-specific view only).
 */
export async function viewSummons(ctx: AppContext, actor: Actor, meetingId: string, options: { details: boolean; banner?: string } = { details: false }): Promise<AdaptiveCard> {
  const a = await access(ctx, actor, meetingId, 'meeting.read');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const invitee = m.invitees.find((i) => i.userId === actor.id);
  if (!invitee) {
    if (m.advisers.some((x) => x.userId === actor.id)) return adviceCardFor(ctx, actor, m);
    return overviewFor(ctx, actor, m.id);
  }
  let details: SummonsView['details'] | undefined;
  if (options.details && actor.organisation.covenant) {
    const d = await personDetails(ctx, actor, m);
    if (d.shown > 0 || d.withheld > 0) details = d.details;
    const audit: AuditEvent[] = [];
    if (d.shown > 0) audit.push({ actor: actor.id, action: 'person-data.read', resource: `meeting:${m.ref}`, outcome: 'allow' });
    if (d.withheld > 0) audit.push({ actor: actor.id, action: 'person-data.read', resource: `meeting:${m.ref}`, outcome: 'redact' });
    if (audit.length > 0) await commitAudit(ctx, audit);
  }
  return summonsCard(await summonsView(ctx, m, invitee, { ...(details ? { details } : {}), ...(options.banner ? { banner: options.banner } : {}) }));
}

async function deliveryLabel(ctx: AppContext, id: string): Promise<DeliveryLabel> {
  const status = await ctx.outbox.status(id);
  if (!status) return 'unknown';
  if (status.state === 'pending') return status.waitingForConversation ? 'waiting' : 'pending';
  return status.state;
}

/** The organiser's overview: invitee × answer × preparation, advice, and what can be done now. */
export async function overviewFor(ctx: AppContext, actor: Actor, meetingId: string, notice?: string): Promise<AdaptiveCard> {
  const a = await access(ctx, actor, meetingId, 'meeting.manage');
  if (!a.ok) {
    // An invitee who clicks an overview link gets their summons instead of a refusal.
    const loaded = await loadMeeting(ctx, meetingId);
    if (loaded?.meeting.invitees.some((i) => i.userId === actor.id)) return viewSummons(ctx, actor, meetingId);
    return a.card;
  }
  const m = a.loaded.meeting;
  const now = ctx.clock.now();
  // Repairs a crash between the meeting's commit and the scheduling of its reminders: only slots
  // still ahead are enqueued (one that fired lies in the past) and a pending id is not duplicated.
  if (isActive(m)) await scheduleReminders(ctx, m);
  const orgs = [...new Set(m.invitees.map((i) => i.organisation))];
  const preps = await ctx.store.getMany<Preparation>(orgs.map((o) => meetingKeys.prep(m.id, o)));
  const prepDone = new Set(orgs.filter((_, i) => preps[i] !== undefined));
  const adviceOrgs = [...new Set(m.advisers.map((x) => x.organisation))];
  const advice = await ctx.store.getMany<AdviceAnswer>(adviceOrgs.map((o) => meetingKeys.advice(m.id, o)));
  const adviceDone = new Set(adviceOrgs.filter((_, i) => advice[i] !== undefined));
  const invitees = [];
  for (const i of m.invitees) {
    invitees.push({
      name: userName(ctx, i.userId),
      organisation: orgName(ctx, i.organisation),
      organisationId: i.organisation,
      ...(i.substituteFor ? { substituteFor: userName(ctx, i.substituteFor) } : {}),
      ...(i.answer ? { answer: answerView(ctx, i.answer)! } : {}),
      prepDone: prepDone.has(i.organisation),
      delivery: await deliveryLabel(ctx, noticeIds.summons(m.id, i.userId)),
    });
  }
  let agreements: string[] | undefined;
  if (m.closed) {
    const stored = await ctx.store.getMany<Intervention>(m.closed.interventionIds.map(meetingKeys.intervention));
    agreements = stored.filter((s) => s !== undefined).map((s) => t.agreements.line(escapeText(orgName(ctx, s.value.organisation)), escapeText(interventionWhat(s.value)), formatDate(s.value.feedbackDue)));
  }
  return overviewCard({
    meetingId: m.id,
    ref: m.ref,
    kind: m.kind,
    state: m.state,
    when: formatWhen(ctx, m),
    place: m.place,
    cases: await agendaOf(ctx, m),
    invitees,
    advisers: m.advisers.map((x) => ({ name: userName(ctx, x.userId), organisation: orgName(ctx, x.organisation), organisationId: x.organisation, answered: adviceDone.has(x.organisation) })),
    canRemind: openForAnswers(m, now) && m.invitees.some((i) => !i.answer),
    canReschedule: transition(m, 'reschedule', now).ok,
    canCancel: transition(m, 'cancel', now).ok,
    canRecordAgreements: transition(m, 'close', now).ok,
    refreshFor: [m.organiser.userId],
    ...(notice ? { notice } : {}),
    ...(m.cancelled ? { cancelledReason: m.cancelled.reason } : {}),
    ...(m.followUp ? { followUpRef: m.followUp.meetingRef } : {}),
    ...(m.previous ? { previousRef: m.previous.meetingRef } : {}),
    ...(agreements ? { agreements } : {}),
  });
}

function interventionWhat(i: Pick<Intervention, 'instrument' | 'description'>): string {
  const label = i.instrument ? instrumentLabel(i.instrument) : undefined;
  if (label && i.description) return `${label}: ${i.description}`;
  return label ?? i.description ?? '';
}

function instrumentLabel(id: string): string {
  const [kind, key] = id.split(':');
  const labels = t.instruments as Record<string, Record<string, string> | undefined>;
  return labels[kind ?? '']?.[key ?? ''] ?? id;
}

/** `meeting.open`: the organiser's overview, an invitee's summons or an adviser's advice card. */
export async function openMeeting(ctx: AppContext, actor: Actor, meetingId: string): Promise<AdaptiveCard> {
  const loaded = await loadMeeting(ctx, meetingId);
  if (loaded && isAllowed(decide(actor, 'meeting.manage', { type: 'meeting', meeting: meetingFacts(loaded.meeting) }))) return overviewFor(ctx, actor, meetingId);
  return viewSummons(ctx, actor, meetingId);
}

/** `overleg`: my coming meetings (and those of the last day), earliest first. */
export async function listMyMeetings(ctx: AppContext, actor: Actor): Promise<AdaptiveCard> {
  const decision = decide(actor, 'bot.use', { type: 'system' });
  if (!isAllowed(decision)) return refusalCard(r.denied);
  const from = ctx.clock.now().getTime() - 24 * 3_600_000;
  const entries = await ctx.store.range(meetingIndexes.userMeetings(actor.id), from, Infinity, { limit: MY_MEETINGS_LIMIT });
  const meetings = (await ctx.store.getMany<Meeting>(entries.map((e) => meetingKeys.meeting(e.member)))).filter((x) => x !== undefined).map((x) => x.value);
  const items = meetings.map((m) => {
    const invitee = m.invitees.find((i) => i.userId === actor.id);
    const role = m.organiser.userId === actor.id ? ('organiser' as const) : invitee ? ('invitee' as const) : ('adviser' as const);
    return {
      meetingId: m.id,
      ref: m.ref,
      when: formatWhen(ctx, m),
      state: m.state,
      role,
      ...(role === 'invitee' ? { answer: answerView(ctx, invitee?.answer) ?? ('none' as const) } : {}),
    };
  });
  return myMeetingsCard(items, planningDistricts(ctx, actor).length > 0);
}

// --- answers --------------------------------------------------------------------------------------

/** `meeting.rsvp` data; the Kerngroep's summons (`kerngroep.rsvp`) sends the same. */
export const rsvpData = z
  .object({
    meetingId: z.string().uuid(),
    answer: z.enum(['aanwezig', 'verhinderd']),
    reason: rawText.nullish(),
    // An Action.Execute may carry the other inputs of the card too.
    substitute: rawText.nullish(),
  })
  .strict();

/** `meeting.substitute` data; the Kerngroep's summons (`kerngroep.substitute`) sends the same. */
export const substituteData = z.object({ meetingId: z.string().uuid(), substitute: rawText.nullish(), reason: rawText.nullish() }).strict();

/** What a summons card sent cannot be recorded as, before the answer model (`recordAnswer`) is asked. */
export type SummonsInputError = 'reason-required' | 'reason-too-long' | 'substitute-required' | 'substitute-unknown';

/**
 * A summons answer as the card sends it (aanwezig · verhinderd with a reason · vervanger), for the
 * casusoverleg and the Kerngroep alike: what to record, or why not. The substitute is looked up in
 * the directory; that they are a colleague of the same organisation is `recordAnswer`'s rule.
 */
export function summonsInput(
  ctx: AppContext,
  kind: Answer['kind'],
  raw: { reason?: string | null | undefined; substitute?: string | null | undefined },
): { ok: true; make: (now: Date) => Answer; substituteOrganisation?: string } | { ok: false; error: SummonsInputError } {
  if (kind === 'aanwezig') return { ok: true, make: (now) => ({ kind: 'aanwezig', at: now.toISOString() }) };
  if (kind === 'verhinderd') {
    const reason = cleanLine(raw.reason ?? '');
    if (reason === '') return { ok: false, error: 'reason-required' };
    if ([...reason].length > MEETING_LIMITS.reason) return { ok: false, error: 'reason-too-long' };
    return { ok: true, make: (now) => ({ kind: 'verhinderd', at: now.toISOString(), reason }) };
  }
  const id = (raw.substitute ?? '').trim();
  if (id === '') return { ok: false, error: 'substitute-required' };
  const user = ctx.directory.user(id);
  if (!user) return { ok: false, error: 'substitute-unknown' };
  return { ok: true, make: (now) => ({ kind: 'vervanger', at: now.toISOString(), substitute: user.id }), substituteOrganisation: user.organisation };
}

/** The Dutch refusal of a summons answer (the answer model's errors and the card input's). */
export function answerRefusal(error: AnswerError | SummonsInputError): string {
  const messages: Record<AnswerError | SummonsInputError, string> = {
    closed: r.started,
    'not-invited': r.notInvited,
    'substitute-required': r.substituteRequired,
    'substitute-unknown': r.substituteUnknown,
    'substitute-self': r.substituteSelf,
    'substitute-other-organisation': r.substituteOther,
    'reason-required': r.reasonRequired,
    'reason-too-long': r.reasonTooLong,
  };
  return messages[error];
}

/** Why answering is not possible now, in Dutch; undefined when it is. */
function closedMessage(m: Meeting, now: Date): string | undefined {
  if (m.state === 'geannuleerd') return r.cancelledMeeting;
  if (m.state === 'afgelopen') return r.closedMeeting;
  if (!openForAnswers(m, now)) return r.started;
  return undefined;
}

/**
 * Stores an answer with `ifEtag` (answers of several invitees at once are serialised) and, for a
 * new substitute, the substitute on the invitee list and their own summons.
 */
async function answer(ctx: AppContext, actor: Actor, meetingId: string, make: (now: Date) => Answer, substituteOrg?: string): Promise<AdaptiveCard> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const a = await access(ctx, actor, meetingId, 'meeting.respond');
    if (!a.ok) return a.card;
    const { meeting: m, etag } = a.loaded;
    const now = ctx.clock.now();
    const closed = closedMessage(m, now);
    if (closed) return refuse(ctx, actor, 'meeting.respond', `meeting:${m.ref}`, m.state === 'geannuleerd' ? 'cancelled' : 'closed', closed);
    const given = make(now);
    const result = recordAnswer(m, actor.id, given, now, substituteOrg);
    if (!result.ok) {
      return refuse(ctx, actor, 'meeting.respond', `meeting:${m.ref}`, result.error, answerRefusal(result.error));
    }
    const updated = meetingSchema.parse({ ...m, invitees: result.invitees, updatedAt: now.toISOString() });
    const ops: WriteOp[] = [
      { op: 'put', key: meetingKeys.meeting(m.id), value: updated, ifEtag: etag },
      ...(result.newInvitee ? [{ op: 'index', index: meetingIndexes.userMeetings(result.newInvitee.userId), member: m.id, score: new Date(m.start).getTime() } as const] : []),
      auditOp({ actor: actor.id, action: 'meeting.respond', resource: `meeting:${m.ref}`, outcome: 'allow', reason: given.kind }),
    ];
    // A new substitute's own summons is stored with the answer that names them.
    const notices = result.newInvitee ? [await summonsNotice(ctx, updated, result.newInvitee, await agendaOf(ctx, updated))] : [];
    const committed = await commitWithNotices(ctx, ops, notices);
    if (committed.ok) {
      ctx.log.info({ event: 'meeting.answer', userId: actor.id, meetingRef: m.ref, answer: given.kind, substitute: Boolean(result.newInvitee) }, 'meeting answer stored');
      return summonsCard(await summonsView(ctx, updated, updated.invitees.find((i) => i.userId === actor.id)!));
    }
  }
  return refusalCard(r.busy);
}

/** `meeting.rsvp`: aanwezig, or verhinderd with a reason. The card is replaced by the current summons. */
export async function rsvp(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = rsvpData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.respond', data, parsed.error);
  const { meetingId } = parsed.data;
  const input = summonsInput(ctx, parsed.data.answer, parsed.data);
  if (!input.ok) {
    const a = await access(ctx, actor, meetingId, 'meeting.respond');
    if (!a.ok) return a.card;
    const invitee = a.loaded.meeting.invitees.find((i) => i.userId === actor.id)!;
    return summonsCard(await summonsView(ctx, a.loaded.meeting, invitee, { banner: answerRefusal(input.error) }));
  }
  return answer(ctx, actor, meetingId, input.make);
}

/** `meeting.substitute`: a colleague of the same organisation goes instead, with their own summons. */
export async function sendSubstitute(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = substituteData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.respond', data, parsed.error);
  const { meetingId } = parsed.data;
  const a = await access(ctx, actor, meetingId, 'meeting.respond');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const closed = closedMessage(m, ctx.clock.now());
  if (closed) return refuse(ctx, actor, 'meeting.respond', `meeting:${m.ref}`, m.state === 'geannuleerd' ? 'cancelled' : 'closed', closed);
  const input = summonsInput(ctx, 'vervanger', parsed.data);
  if (!input.ok) return refuse(ctx, actor, 'meeting.respond', `meeting:${m.ref}`, input.error, answerRefusal(input.error));
  return answer(ctx, actor, meetingId, input.make, input.substituteOrganisation);
}

// --- preparation (appendix 1) ---------------------------------------------------------------------

const prepData = z
  .object({
    meetingId: z.string().uuid(),
    ...(Object.fromEntries(PREP_FIELDS.map((f) => [f, rawText.nullish()])) as Record<PrepField, z.ZodOptional<z.ZodNullable<typeof rawText>>>),
    groupSize: z.union([rawText, z.number().finite()]).nullish(),
  })
  .strict();

function prepValues(p: Preparation | undefined): Partial<Record<PrepField, string>> {
  if (!p) return {};
  const out: Partial<Record<PrepField, string>> = {};
  for (const [k, v] of Object.entries(p.fields)) if (v !== undefined) out[k as PrepField] = String(v);
  return out;
}

/** `meeting.prep-form`: the appendix 1 card of the actor's organisation, read-only once the meeting started. */
export async function openPrepForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.respond', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.respond');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const prep = await prepOf(ctx, m.id, actor.organisation.id);
  return prepFormCard({
    meetingId: m.id,
    ref: m.ref,
    values: prepValues(prep),
    readOnly: !openForAnswers(m, ctx.clock.now()),
    ...(prep ? { filledIn: { at: formatInstant(ctx, prep.submittedAt), by: userName(ctx, prep.by.userId) } } : {}),
  });
}

/** `meeting.prep`: stores the organisation's preparation (one per partner per meeting). */
export async function submitPrep(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = prepData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.prep', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.respond');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const now = ctx.clock.now();
  const closed = closedMessage(m, now);
  if (closed) return refuse(ctx, actor, 'meeting.prep', `meeting:${m.ref}`, 'closed', closed);
  const values: Partial<Record<PrepField, string>> = {};
  for (const f of PREP_FIELDS) {
    const v = parsed.data[f];
    if (v !== undefined && v !== null) values[f] = String(v);
  }
  const result = validatePrep(values);
  if (!result.ok) {
    const errors: Partial<Record<PrepField | 'form', string>> = {};
    for (const [k, code] of Object.entries(result.errors)) errors[k as PrepField | 'form'] = t.prep.errors[code];
    return prepFormCard({ meetingId: m.id, ref: m.ref, values, errors, readOnly: false });
  }
  const key = meetingKeys.prep(m.id, actor.organisation.id);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const existing = await ctx.store.get<Preparation>(key);
    const at = now.toISOString();
    const prep = preparationSchema.parse({
      meetingId: m.id,
      organisation: actor.organisation.id,
      by: by(actor),
      submittedAt: existing?.value.submittedAt ?? at,
      updatedAt: at,
      fields: result.fields,
    } satisfies Preparation);
    const committed = await ctx.store.commit([
      existing ? { op: 'put', key, value: prep, ifEtag: existing.etag } : { op: 'put', key, value: prep, ifAbsent: true },
      auditOp({ actor: actor.id, action: 'meeting.prep', resource: `meeting:${m.ref}`, outcome: 'allow' }),
    ]);
    if (committed.ok) {
      ctx.log.info({ event: 'meeting.prep', userId: actor.id, meetingRef: m.ref, fields: Object.keys(result.fields).length }, 'preparation stored');
      return prepFormCard({
        meetingId: m.id,
        ref: m.ref,
        values: prepValues(prep),
        readOnly: false,
        saved: t.prep.saved(formatInstant(ctx, now)),
        filledIn: { at: formatInstant(ctx, prep.submittedAt), by: userName(ctx, prep.by.userId) },
      });
    }
  }
  return refusalCard(r.busy);
}

const orgData = z.object({ meetingId: z.string().uuid(), organisation: z.string().min(1).max(100) }).strict();

/** `meeting.prep-view`: one invited partner's preparation, for the organiser. */
export async function viewPrep(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = orgData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  if (!m.invitees.some((i) => i.organisation === parsed.data.organisation)) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'not-invited', r.forged);
  const prep = await prepOf(ctx, m.id, parsed.data.organisation);
  await commitAudit(ctx, [{ actor: actor.id, action: 'meeting.prep-view', resource: `meeting:${m.ref}`, outcome: 'allow' }]);
  return prepViewCard({
    meetingId: m.id,
    ref: m.ref,
    organisation: orgName(ctx, parsed.data.organisation),
    ...(prep ? { values: prepValues(prep), filledIn: { at: formatInstant(ctx, prep.submittedAt), by: userName(ctx, prep.by.userId) } } : {}),
  });
}

// --- advice beforehand ----------------------------------------------------------------------------

const adviceData = z.object({ meetingId: z.string().uuid(), answer: rawText.nullish() }).strict();

async function adviceCardFor(ctx: AppContext, actor: Actor, m: Meeting, extra: { error?: string; saved?: string; answer?: string } = {}): Promise<AdaptiveCard> {
  const existing = (await ctx.store.get<AdviceAnswer>(meetingKeys.advice(m.id, actor.organisation.id)))?.value;
  const answerText = extra.answer ?? existing?.text;
  return adviceRequestCard({
    meetingId: m.id,
    ref: m.ref,
    organiser: userName(ctx, m.organiser.userId),
    when: formatWhen(ctx, m),
    cases: await agendaOf(ctx, m),
    ...(m.adviceQuestion ? { question: m.adviceQuestion } : {}),
    ...(answerText !== undefined ? { answer: answerText } : {}),
    ...(extra.error ? { error: extra.error } : {}),
    ...(extra.saved ? { saved: extra.saved } : {}),
    open: openForAnswers(m, ctx.clock.now()),
  });
}

/** `meeting.advice`: an organisation asked beforehand answers with text (editable until the start). */
export async function submitAdvice(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = adviceData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.advise', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.advise');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const now = ctx.clock.now();
  const closed = closedMessage(m, now);
  if (closed) return refuse(ctx, actor, 'meeting.advise', `meeting:${m.ref}`, 'closed', closed);
  const text = cleanMultiline(parsed.data.answer ?? '');
  if (text === '') return adviceCardFor(ctx, actor, m, { error: t.advice.required, answer: '' });
  if ([...text].length > MEETING_LIMITS.adviceAnswer) return adviceCardFor(ctx, actor, m, { error: t.advice.tooLong, answer: parsed.data.answer ?? '' });
  const key = meetingKeys.advice(m.id, actor.organisation.id);
  const existing = await ctx.store.get<AdviceAnswer>(key);
  const at = now.toISOString();
  const value = adviceAnswerSchema.parse({
    meetingId: m.id,
    organisation: actor.organisation.id,
    by: by(actor),
    text,
    answeredAt: existing?.value.answeredAt ?? at,
    updatedAt: at,
  } satisfies AdviceAnswer);
  const committed = await ctx.store.commit([
    existing ? { op: 'put', key, value, ifEtag: existing.etag } : { op: 'put', key, value, ifAbsent: true },
    auditOp({ actor: actor.id, action: 'meeting.advise', resource: `meeting:${m.ref}`, outcome: 'allow' }),
  ]);
  if (!committed.ok) return refusalCard(r.busy);
  ctx.log.info({ event: 'meeting.advice', userId: actor.id, meetingRef: m.ref }, 'advice stored');
  return adviceCardFor(ctx, actor, m, { saved: t.advice.saved(formatInstant(ctx, now)) });
}

/** `meeting.advice-view`: one organisation's advice, for the organiser. */
export async function viewAdvice(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = orgData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  if (!m.advisers.some((x) => x.organisation === parsed.data.organisation)) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'not-adviser', r.forged);
  const advice = (await ctx.store.get<AdviceAnswer>(meetingKeys.advice(m.id, parsed.data.organisation)))?.value;
  return adviceViewCard({
    meetingId: m.id,
    ref: m.ref,
    organisation: orgName(ctx, parsed.data.organisation),
    ...(advice ? { answer: { text: advice.text, by: userName(ctx, advice.by.userId), at: formatInstant(ctx, advice.updatedAt) } } : {}),
  });
}

// --- the organiser: remind, reschedule, cancel ----------------------------------------------------

/** `meeting.remind`: a reminder now to invitees without an answer; at most once an hour. */
export async function remindNow(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
    if (!a.ok) return a.card;
    const { meeting: m, etag } = a.loaded;
    const now = ctx.clock.now();
    const closed = closedMessage(m, now);
    if (closed) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'closed', closed);
    const last = m.manualReminders.at(-1);
    if (last && now.getTime() - new Date(last.at).getTime() < MEETING_LIMITS.manualReminderGapMs) {
      return overviewFor(ctx, actor, m.id, t.overview.remindTooSoon(localTimeString(new Date(last.at), ctx.timeZone)));
    }
    const recipients = reminderRecipients(m, 'no-answer');
    if (recipients.length === 0) return overviewFor(ctx, actor, m.id, t.overview.remindedNobody);
    const updated = meetingSchema.parse({ ...m, manualReminders: [...m.manualReminders, { at: now.toISOString(), by: actor.id }], updatedAt: now.toISOString() });
    const n = updated.manualReminders.length;
    const agenda = await agendaOf(ctx, updated);
    const notices: Notice[] = [];
    for (const userId of recipients) {
      const invitee = updated.invitees.find((i) => i.userId === userId)!;
      const card = summonsCard(await summonsView(ctx, updated, invitee, { agenda, banner: t.summons.reminderManual(escapeText(actor.name)) }));
      notices.push({
        id: noticeIds.manualReminder(m.id, n, userId),
        recipient: userId,
        message: { kind: 'card', card, summary: summary('reminder', m.ref) },
        reportFailureTo: m.organiser.userId,
        about: about('reminder', m.ref),
      });
    }
    const committed = await commitWithNotices(
      ctx,
      [
        { op: 'put', key: meetingKeys.meeting(m.id), value: updated, ifEtag: etag },
        auditOp({ actor: actor.id, action: 'meeting.remind', resource: `meeting:${m.ref}`, outcome: 'allow' }),
      ],
      notices,
    );
    if (!committed.ok) continue;
    ctx.log.info({ event: 'meeting.remind', userId: actor.id, meetingRef: m.ref, recipients: recipients.length }, 'manual reminder sent');
    return overviewFor(ctx, actor, m.id, t.overview.reminded(recipients.length));
  }
  return refusalCard(r.busy);
}

/** `meeting.reschedule-form`. */
export async function openRescheduleForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const now = ctx.clock.now();
  if (!transition(m, 'reschedule', now).ok) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'not-allowed', r.cannotReschedule);
  const start = new Date(m.start);
  return rescheduleFormCard({
    meetingId: m.id,
    ref: m.ref,
    version: m.version,
    values: { date: localDateString(start, ctx.timeZone), start: localTimeString(start, ctx.timeZone), end: localTimeString(new Date(m.end), ctx.timeZone), place: m.place },
    today: localDateString(now, ctx.timeZone),
  });
}

const rescheduleData = z
  .object({
    meetingId: z.string().uuid(),
    version: z.number().int().min(1).max(10_000),
    date: rawText.nullish(),
    start: rawText.nullish(),
    end: rawText.nullish(),
    place: rawText.nullish(),
  })
  .strict();

/**
 * `meeting.reschedule`: a new time (and place) for an active meeting. The schedule version goes up;
 * the old version's reminder jobs are cancelled (and would find a version mismatch if they ran
 * anyway), the new ones scheduled; every invitee gets an update card.
 */
export async function reschedule(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = rescheduleData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const d = parsed.data;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const a = await access(ctx, actor, d.meetingId, 'meeting.manage');
    if (!a.ok) return a.card;
    const { meeting: m, etag } = a.loaded;
    const now = ctx.clock.now();
    if (!transition(m, 'reschedule', now).ok) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'not-allowed', r.cannotReschedule);
    const values = { date: d.date ?? undefined, start: d.start ?? undefined, end: d.end ?? undefined, place: d.place ?? undefined };
    const schedule = validateSchedule(values, now, ctx.timeZone);
    const form = (errors: Partial<Record<'date' | 'start' | 'end' | 'place', string>>) =>
      rescheduleFormCard({ meetingId: m.id, ref: m.ref, version: m.version, values, errors, today: localDateString(now, ctx.timeZone) });
    if (!schedule.ok) {
      const errors: Partial<Record<'date' | 'start' | 'end' | 'place', string>> = {};
      for (const [f, e] of Object.entries(schedule.errors)) errors[f as 'date'] = scheduleMessage(e);
      return form(errors);
    }
    const same =
      schedule.schedule.start.toISOString() === new Date(m.start).toISOString() &&
      schedule.schedule.end.toISOString() === new Date(m.end).toISOString() &&
      schedule.schedule.place === m.place;
    if (d.version !== m.version) {
      // A double click, or someone else rescheduled meanwhile.
      if (same) return overviewFor(ctx, actor, m.id);
      return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'stale-version', r.changedMeanwhile);
    }
    if (same) return form({ date: t.reschedule.unchanged });
    const to = transition(m, 'reschedule', now);
    if (!to.ok) return refusalCard(r.cannotReschedule);
    const at = now.toISOString();
    const updated = meetingSchema.parse({
      ...m,
      state: to.to,
      version: m.version + 1,
      start: schedule.schedule.start.toISOString(),
      end: schedule.schedule.end.toISOString(),
      place: schedule.schedule.place,
      updatedAt: at,
    });
    const agenda = await agendaOf(ctx, updated);
    const banner = t.summons.rescheduledBanner(formatWhen(ctx, updated));
    const notices: Notice[] = [];
    for (const invitee of updated.invitees) {
      const card = summonsCard(await summonsView(ctx, updated, invitee, { agenda, banner }));
      notices.push({
        id: noticeIds.update(m.id, updated.version, invitee.userId),
        recipient: invitee.userId,
        message: { kind: 'card', card, summary: summary('update', m.ref) },
        reportFailureTo: m.organiser.userId,
        about: about('update', m.ref),
      });
    }
    const committed = await commitWithNotices(
      ctx,
      [
        { op: 'put', key: meetingKeys.meeting(m.id), value: updated, ifEtag: etag },
        ...userIndexOps(updated),
        ...(await caseEventOps(ctx, m.cases.map((c) => c.caseId), () => [meetingEvent(actor, m, 'rescheduled', at)], at)),
        auditOp({ actor: actor.id, action: 'meeting.reschedule', resource: `meeting:${m.ref}`, outcome: 'allow' }),
      ],
      notices,
    );
    if (!committed.ok) continue;
    ctx.log.info({ event: 'meeting.rescheduled', userId: actor.id, meetingRef: m.ref, version: updated.version }, 'meeting rescheduled');
    await cancelReminders(ctx, m, m.version);
    await scheduleReminders(ctx, updated);
    return overviewFor(ctx, actor, m.id);
  }
  return refusalCard(r.busy);
}

/** `meeting.cancel-form`. */
export async function openCancelForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  if (!transition(m, 'cancel', ctx.clock.now()).ok) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'not-allowed', r.cannotCancel);
  return cancelFormCard({ meetingId: m.id, ref: m.ref, version: m.version });
}

const cancelData = z.object({ meetingId: z.string().uuid(), version: z.number().int().min(1).max(10_000), reason: rawText.nullish() }).strict();

/**
 * `meeting.cancel`: the meeting will not take place. Reminder jobs are cancelled (and would find
 * the state if they ran anyway); summons and advice requests still waiting in the outbox are
 * withdrawn; who may have seen a summons gets the cancellation.
 */
export async function cancelMeeting(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = cancelData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
    if (!a.ok) return a.card;
    const { meeting: m, etag } = a.loaded;
    const now = ctx.clock.now();
    if (m.state === 'geannuleerd') return overviewFor(ctx, actor, m.id);
    const to = transition(m, 'cancel', now);
    if (!to.ok) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, to.error, r.cannotCancel);
    const reason = cleanLine(parsed.data.reason ?? '');
    if (reason === '' || [...reason].length > MEETING_LIMITS.cancelReason) {
      return cancelFormCard({ meetingId: m.id, ref: m.ref, version: m.version, reason: parsed.data.reason ?? '', error: reason === '' ? t.cancel.reasonRequired : t.cancel.reasonTooLong });
    }
    if (parsed.data.version !== m.version) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, 'stale-version', r.changedMeanwhile);
    const at = now.toISOString();
    const updated = meetingSchema.parse({ ...m, state: to.to, cancelled: { at, by: by(actor), reason }, updatedAt: at });
    const card = cancellationCard({ ref: m.ref, when: formatWhen(ctx, m), organiser: userName(ctx, m.organiser.userId), reason });
    const cancellation = (userId: string): Notice => ({
      id: noticeIds.cancelled(m.id, userId),
      recipient: userId,
      message: { kind: 'card', card, summary: summary('cancelled', m.ref) },
      about: about('cancelled', m.ref),
    });
    // Who may have seen a summons gets the cancellation in the same commit; a summons still
    // waiting in the outbox is withdrawn after it instead (no cancellation of an unseen meeting).
    const waiting: string[] = [];
    for (const invitee of m.invitees) {
      if ((await ctx.outbox.status(noticeIds.summons(m.id, invitee.userId)))?.state === 'pending') waiting.push(invitee.userId);
    }
    const committed = await commitWithNotices(
      ctx,
      [
        { op: 'put', key: meetingKeys.meeting(m.id), value: updated, ifEtag: etag },
        ...(await caseEventOps(ctx, m.cases.map((c) => c.caseId), () => [meetingEvent(actor, m, 'cancelled', at)], at)),
        auditOp({ actor: actor.id, action: 'meeting.cancel', resource: `meeting:${m.ref}`, outcome: 'allow' }),
      ],
      m.invitees.filter((i) => !waiting.includes(i.userId)).map((i) => cancellation(i.userId)),
    );
    if (!committed.ok) continue;
    ctx.log.info({ event: 'meeting.cancelled', userId: actor.id, meetingRef: m.ref }, 'meeting cancelled');
    await cancelReminders(ctx, m, m.version);
    for (const adviser of m.advisers) await ctx.outbox.cancel(noticeIds.advice(m.id, adviser.userId));
    for (const userId of waiting) {
      // Delivered in the meantime: then the cancellation is needed after all.
      if (!(await ctx.outbox.cancel(noticeIds.summons(m.id, userId)))) await send(ctx, cancellation(userId));
    }
    return overviewFor(ctx, actor, m.id);
  }
  return refusalCard(r.busy);
}

// --- agreements -----------------------------------------------------------------------------------

const agreementsEnvelope = z
  .object({
    cardId: z.string().uuid(),
    ...(Object.fromEntries(
      Array.from({ length: INTERVENTION_LIMITS.maxRows }, (_, i) => ROW_FIELDS.map((f) => [rowKey(f, i + 1), rawText.nullish()])).flat(),
    ) as Record<string, z.ZodOptional<z.ZodNullable<typeof rawText>>>),
    ...(Object.fromEntries(FOLLOW_UP_FIELDS.map((f) => [f, z.union([rawText, z.boolean()]).nullish()])) as Record<
      (typeof FOLLOW_UP_FIELDS)[number],
      z.ZodOptional<z.ZodNullable<z.ZodUnion<[typeof rawText, z.ZodBoolean]>>>
    >),
  })
  .strict();

function agreementValues(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'cardId' || v === undefined || v === null) continue;
    out[k] = String(v);
  }
  return out;
}

function instrumentChoices(ctx: AppContext): Choice[] {
  const kinds = [...new Set(ctx.directory.organisations.map((o) => o.kind))];
  return kinds.flatMap((kind) =>
    instrumentsOf(kind).map((id) => ({ value: id, title: `${t.partnerKinds[kind as keyof typeof t.partnerKinds] ?? kind}: ${instrumentLabel(id)}` })),
  );
}

function agreementsView(ctx: AppContext, m: Meeting, cardId: string, rows: number, values: Record<string, string>, errors?: Record<string, string>, formError?: string): AdaptiveCard {
  // The meeting's organisations first: they are who usually takes an intervention on.
  const first = new Set(m.invitees.map((i) => i.organisation));
  const orgs = orgChoices(ctx);
  return agreementsFormCard({
    cardId,
    ref: m.ref,
    rows,
    values,
    ...(errors ? { errors } : {}),
    ...(formError ? { formError } : {}),
    orgChoices: [...orgs.filter((o) => first.has(o.value)), ...orgs.filter((o) => !first.has(o.value))],
    userChoices: userChoices(ctx, ''),
    instrumentChoices: instrumentChoices(ctx),
    today: localDateString(ctx.clock.now(), ctx.timeZone),
  });
}

/** `meeting.agreements-form`: after the start, the organiser records interventions and the follow-up. */
export async function openAgreementsForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return refuseForged(ctx, actor, 'meeting.manage', data, parsed.error);
  const a = await access(ctx, actor, parsed.data.meetingId, 'meeting.manage');
  if (!a.ok) return a.card;
  const m = a.loaded.meeting;
  const now = ctx.clock.now();
  if (m.state === 'afgelopen') return overviewFor(ctx, actor, m.id, t.agreements.already);
  const to = transition(m, 'close', now);
  if (!to.ok) return refuse(ctx, actor, 'meeting.manage', `meeting:${m.ref}`, to.error, to.error === 'not-started' ? r.notStarted : r.cancelledMeeting);
  const cardId = randomUUID();
  const rows = INTERVENTION_LIMITS.defaultRows;
  const form: FormDoc = { userId: actor.id, kind: 'agreements', issuedAt: now.toISOString(), meetingId: m.id, rows };
  const committed = await ctx.store.commit([{ op: 'put', key: meetingKeys.form(cardId), value: form, ifAbsent: true }]);
  if (!committed.ok) throw new Error('Unexpected: a fresh random card id already exists');
  // §4 step 3: the evaluation meeting is scheduled at the first one; prefilled six weeks later.
  const start = new Date(m.start);
  const fuStart = shiftLocal(start, { days: FOLLOW_UP_DAYS }, ctx.timeZone);
  const fuEnd = shiftLocal(new Date(m.end), { days: FOLLOW_UP_DAYS }, ctx.timeZone);
  const values: Record<string, string> = {
    followUp: 'true',
    fuDate: localDateString(fuStart, ctx.timeZone),
    fuStart: localTimeString(fuStart, ctx.timeZone),
    fuEnd: localTimeString(fuEnd, ctx.timeZone),
    fuPlace: m.place,
  };
  return agreementsView(ctx, m, cardId, rows, values);
}

async function agreementsForm(ctx: AppContext, actor: Actor, data: unknown): Promise<{ ok: true; form: FormDoc; etag: string; values: Record<string, string>; cardId: string; loaded: Loaded } | { ok: false; card: AdaptiveCard }> {
  const parsed = agreementsEnvelope.safeParse(data);
  if (!parsed.success) return { ok: false, card: await refuseForged(ctx, actor, 'meeting.agreements', data, parsed.error) };
  const { cardId } = parsed.data;
  const check = await checkForm(ctx, actor, 'meeting.agreements', cardId, 'agreements');
  if (!check.ok) return check;
  const a = await access(ctx, actor, check.form.meetingId!, 'meeting.manage');
  if (!a.ok) return a;
  return { ok: true, form: check.form, etag: check.etag, values: agreementValues(parsed.data), cardId, loaded: a.loaded };
}

/** `meeting.agreements-add-row`: the same card with one more intervention row; values kept. */
export async function addAgreementRow(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const f = await agreementsForm(ctx, actor, data);
  if (!f.ok) return f.card;
  const rows = Math.min((f.form.rows ?? INTERVENTION_LIMITS.defaultRows) + 1, INTERVENTION_LIMITS.maxRows);
  await ctx.store.commit([{ op: 'put', key: meetingKeys.form(f.cardId), value: { ...f.form, rows } satisfies FormDoc, ifEtag: f.etag }]);
  return agreementsView(ctx, f.loaded.meeting, f.cardId, rows, f.values);
}

const dateScore = (date: string) => Date.parse(`${date}T00:00:00Z`);

/**
 * `meeting.agreements`: records the interventions, closes the meeting (afgelopen), plans the
 * follow-up meeting and puts it all on the case timeline — one commit. Then each responsible
 * person gets their agreement and the follow-up's invitees their summons.
 */
export async function submitAgreements(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const f = await agreementsForm(ctx, actor, data);
  if (!f.ok) return f.card;
  const { cardId, values } = f;
  const used = await ctx.store.get<FormUsed>(meetingKeys.formUsed(cardId));
  if (used) return overviewFor(ctx, actor, used.value.meetingId, t.agreements.already);
  if (formExpired(ctx, f.form)) return refuse(ctx, actor, 'meeting.agreements', meetingKeys.form(cardId), 'expired-card', r.expiredCard);
  const rows = f.form.rows ?? INTERVENTION_LIMITS.defaultRows;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const loaded = attempt === 1 ? f.loaded : await loadMeeting(ctx, f.loaded.meeting.id);
    if (!loaded) return refusalCard(r.notFound);
    const { meeting: m, etag } = loaded;
    const now = ctx.clock.now();
    if (m.state === 'afgelopen') return overviewFor(ctx, actor, m.id, t.agreements.already);
    const to = transition(m, 'close', now);
    if (!to.ok) return refuse(ctx, actor, 'meeting.agreements', `meeting:${m.ref}`, to.error, to.error === 'not-started' ? r.notStarted : r.cancelledMeeting);

    const validated = validateAgreementRows(values, rows, ctx.directory, now, ctx.timeZone);
    const errors: Record<string, string> = {};
    for (const [k, code] of Object.entries(validated.errors)) errors[k] = t.agreements.errors[code];
    const followUp = values.followUp !== 'false';
    let schedule: { start: Date; end: Date; place: string } | undefined;
    if (followUp) {
      const s = validateSchedule({ date: values.fuDate, start: values.fuStart, end: values.fuEnd, place: values.fuPlace }, now, ctx.timeZone);
      if (!s.ok) {
        const map = { date: 'fuDate', start: 'fuStart', end: 'fuEnd', place: 'fuPlace' } as const;
        for (const [k, e] of Object.entries(s.errors)) errors[map[k as keyof typeof map]] = scheduleMessage(e);
      } else schedule = s.schedule;
    }
    const noRows = validated.rows.length === 0 && Object.keys(validated.errors).length === 0;
    if (Object.keys(errors).length > 0 || noRows) {
      return agreementsView(ctx, m, cardId, rows, values, errors, noRows ? t.agreements.rowsRequired : undefined);
    }

    const at = now.toISOString();
    const interventions: Intervention[] = validated.rows.map((row) =>
      interventionSchema.parse({
        id: randomUUID(),
        meetingId: m.id,
        meetingRef: m.ref,
        cases: m.cases,
        organisation: row.organisation,
        ...(row.person ? { person: row.person } : {}),
        responsibleUserIds: row.responsibleUserIds,
        ...(row.instrument ? { instrument: row.instrument } : {}),
        ...(row.description ? { description: row.description } : {}),
        feedbackDue: row.feedbackDue,
        behaviourBy: row.behaviourBy,
        status: 'afgesproken',
        agreedAt: at,
        agreedBy: by(actor),
      } satisfies Intervention),
    );

    let next: Meeting | undefined;
    if (schedule) {
      // The evaluation meeting: same cases, same invited organisations and people (not the substitutes).
      next = meetingSchema.parse({
        id: randomUUID(),
        ref: await newMeetingRef(ctx, now),
        kind: m.kind,
        state: 'gepland',
        version: 1,
        start: schedule.start.toISOString(),
        end: schedule.end.toISOString(),
        place: schedule.place,
        ...(m.prepare ? { prepare: m.prepare } : {}),
        organiser: by(actor),
        districts: m.districts,
        cases: m.cases,
        invitedOrganisations: m.invitedOrganisations,
        invitees: m.invitees.filter((i) => i.via !== 'substitute').map((i) => ({ userId: i.userId, organisation: i.organisation, via: i.via, invitedAt: at })),
        advisers: [],
        createdAt: at,
        updatedAt: at,
        previous: { meetingId: m.id, meetingRef: m.ref },
        manualReminders: [],
      } satisfies Meeting);
    }
    const closed = meetingSchema.parse({
      ...m,
      state: to.to,
      closed: { at, by: by(actor), interventionIds: interventions.map((i) => i.id) },
      ...(next ? { followUp: { meetingId: next.id, meetingRef: next.ref } } : {}),
      updatedAt: at,
    });
    const caseEvents = (): CaseEvent[] => [
      meetingEvent(actor, m, 'agreements-recorded', at, interventions.length),
      ...interventions.map((i) =>
        caseEventSchema.parse({ type: 'intervention-agreed', at, by: by(actor), interventionId: i.id, meetingRef: m.ref, organisation: i.organisation, feedbackDue: i.feedbackDue }),
      ),
      ...(next ? [meetingEvent(actor, next, 'planned', at)] : []),
    ];
    const ops: WriteOp[] = [
      { op: 'put', key: meetingKeys.meeting(m.id), value: closed, ifEtag: etag },
      { op: 'put', key: meetingKeys.formUsed(cardId), value: { meetingId: m.id } satisfies FormUsed, ifAbsent: true },
      ...interventions.flatMap((i): WriteOp[] => [
        { op: 'put', key: meetingKeys.intervention(i.id), value: i, ifAbsent: true },
        { op: 'index', index: meetingIndexes.interventionsByFeedbackDue, member: i.id, score: dateScore(i.feedbackDue) },
        ...i.cases.map((c): WriteOp => ({ op: 'index', index: meetingIndexes.caseInterventions(c.caseId), member: i.id, score: dateScore(i.feedbackDue) })),
        ...i.responsibleUserIds.map((u): WriteOp => ({ op: 'index', index: meetingIndexes.userInterventions(u), member: i.id, score: dateScore(i.feedbackDue) })),
      ]),
      ...(next
        ? [
            { op: 'put', key: meetingKeys.meeting(next.id), value: next, ifAbsent: true } as const,
            { op: 'put', key: meetingKeys.meetingRef(next.ref), value: { meetingId: next.id }, ifAbsent: true } as const,
            ...userIndexOps(next),
          ]
        : []),
      ...(await caseEventOps(ctx, m.cases.map((c) => c.caseId), caseEvents, at)),
      auditOp({ actor: actor.id, action: 'meeting.agreements', resource: `meeting:${m.ref}`, outcome: 'allow' }),
      ...(next ? [auditOp({ actor: actor.id, action: 'meeting.plan', resource: `meeting:${next.ref}`, outcome: 'allow' })] : []),
    ];
    // Each responsible person's agreement, and the follow-up's summons, go with the same commit.
    const agenda = await agendaOf(ctx, m);
    const notices: Notice[] = [];
    for (const i of interventions) {
      for (const userId of i.responsibleUserIds) {
        const card = agreementCard({
          ref: m.ref,
          organiser: userName(ctx, m.organiser.userId),
          cases: agenda,
          what: interventionWhat(i),
          responsible: i.person ? `${userName(ctx, i.person)} (${orgName(ctx, i.organisation)})` : orgName(ctx, i.organisation),
          feedbackDue: formatDate(i.feedbackDue),
          behaviourBy: formatDate(i.behaviourBy),
        });
        notices.push({
          id: noticeIds.agreement(i.id, userId),
          recipient: userId,
          message: { kind: 'card', card, summary: summary('agreement', m.ref) },
          reportFailureTo: m.organiser.userId,
          about: about('agreement', m.ref),
        });
      }
    }
    if (next) notices.push(...(await plannedNotices(ctx, next)));
    const committed = await commitWithNotices(ctx, ops, notices);
    if (!committed.ok) {
      if (committed.conflict === meetingKeys.formUsed(cardId)) return overviewFor(ctx, actor, m.id, t.agreements.already);
      continue;
    }
    ctx.log.info(
      { event: 'meeting.agreements', userId: actor.id, meetingRef: m.ref, interventions: interventions.length, followUp: next?.ref },
      'agreements recorded',
    );
    await cancelReminders(ctx, m, m.version);
    if (next) await scheduleReminders(ctx, next);
    const notice = [t.agreements.done(interventions.length, m.ref), ...(next ? [t.agreements.doneFollowUp(next.ref, formatWhen(ctx, next))] : [])].join(' ');
    return overviewFor(ctx, actor, m.id, notice);
  }
  return refusalCard(r.busy);
}

// --- routes ---------------------------------------------------------------------------------------

/**
 * The escalation notice's "casusoverleg plannen" (`NoticeHooks.planMeeting` of src/app/escalation.ts):
 * the planning card with the notice's case on the agenda.
 */
export async function planMeetingForCase(ctx: AppContext, actor: Actor, c: Pick<Case, 'ref'>): Promise<CardActionResult> {
  return asCard(await openPlanForm(ctx, actor, c.ref));
}

async function withMeetingId(ctx: AppContext, actor: Actor, data: unknown, action: string, run: (id: string) => Promise<AdaptiveCard>): Promise<CardActionResult> {
  const parsed = meetingIdData.safeParse(data);
  if (!parsed.success) return asCard(await refuseForged(ctx, actor, action, data, parsed.error));
  return asCard(await run(parsed.data.meetingId));
}

const planFormData = z.object({ caseRef: z.string().max(50).optional() }).strict();

/**
 * The feature as the Teams layer registers it. Commands: `overleg plannen [C-…]`, `overleg`.
 * Action.Execute data shapes: see MEETING_VERBS in src/cards/meeting-cards.ts.
 */
export const meetingsFeature: Feature = {
  commands: [
    {
      name: 'meetings.plan',
      match: /^overleg\s+plannen(\s+\S+)?$/,
      run: async (ctx, actor, text) => {
        const ref = text.trim().split(/\s+/)[2];
        return [{ kind: 'card', card: await openPlanForm(ctx, actor, ref), summary: t.plan.title }];
      },
    },
    {
      name: 'meetings.mine',
      match: /^(mijn\s+)?overleg(gen)?$/,
      run: async (ctx, actor) => [{ kind: 'card', card: await listMyMeetings(ctx, actor), summary: t.mine.title }],
    },
  ],
  actions: [
    {
      verb: MEETING_VERBS.planForm,
      run: async (ctx, actor, data) => {
        const parsed = planFormData.safeParse(data ?? {});
        if (!parsed.success) return asCard(await refuseForged(ctx, actor, 'meeting.plan', data, parsed.error));
        return asCard(await openPlanForm(ctx, actor, parsed.data.caseRef));
      },
    },
    { verb: MEETING_VERBS.planUpdate, run: async (ctx, actor, data) => asCard(await updatePlanForm(ctx, actor, data)) },
    { verb: MEETING_VERBS.plan, run: async (ctx, actor, data) => asCard(await submitPlan(ctx, actor, data)) },
    { verb: MEETING_VERBS.open, run: (ctx, actor, data) => withMeetingId(ctx, actor, data, 'meeting.read', (id) => openMeeting(ctx, actor, id)) },
    { verb: MEETING_VERBS.summons, run: (ctx, actor, data) => withMeetingId(ctx, actor, data, 'meeting.read', (id) => viewSummons(ctx, actor, id, { details: true })) },
    { verb: MEETING_VERBS.rsvp, run: async (ctx, actor, data) => asCard(await rsvp(ctx, actor, data)) },
    { verb: MEETING_VERBS.substitute, run: async (ctx, actor, data) => asCard(await sendSubstitute(ctx, actor, data)) },
    { verb: MEETING_VERBS.prepForm, run: async (ctx, actor, data) => asCard(await openPrepForm(ctx, actor, data)) },
    { verb: MEETING_VERBS.prep, run: async (ctx, actor, data) => asCard(await submitPrep(ctx, actor, data)) },
    { verb: MEETING_VERBS.prepView, run: async (ctx, actor, data) => asCard(await viewPrep(ctx, actor, data)) },
    { verb: MEETING_VERBS.overview, run: (ctx, actor, data) => withMeetingId(ctx, actor, data, 'meeting.manage', (id) => overviewFor(ctx, actor, id)) },
    { verb: MEETING_VERBS.remind, run: async (ctx, actor, data) => asCard(await remindNow(ctx, actor, data)) },
    { verb: MEETING_VERBS.rescheduleForm, run: async (ctx, actor, data) => asCard(await openRescheduleForm(ctx, actor, data)) },
    { verb: MEETING_VERBS.reschedule, run: async (ctx, actor, data) => asCard(await reschedule(ctx, actor, data)) },
    { verb: MEETING_VERBS.cancelForm, run: async (ctx, actor, data) => asCard(await openCancelForm(ctx, actor, data)) },
    { verb: MEETING_VERBS.cancel, run: async (ctx, actor, data) => asCard(await cancelMeeting(ctx, actor, data)) },
    { verb: MEETING_VERBS.agreementsForm, run: async (ctx, actor, data) => asCard(await openAgreementsForm(ctx, actor, data)) },
    { verb: MEETING_VERBS.agreementsAddRow, run: async (ctx, actor, data) => asCard(await addAgreementRow(ctx, actor, data)) },
    { verb: MEETING_VERBS.agreements, run: async (ctx, actor, data) => asCard(await submitAgreements(ctx, actor, data)) },
    { verb: MEETING_VERBS.advice, run: async (ctx, actor, data) => asCard(await submitAdvice(ctx, actor, data)) },
    { verb: MEETING_VERBS.adviceView, run: async (ctx, actor, data) => asCard(await viewAdvice(ctx, actor, data)) },
    { verb: MEETING_VERBS.mine, run: async (ctx, actor) => asCard(await listMyMeetings(ctx, actor)) },
  ],
};

