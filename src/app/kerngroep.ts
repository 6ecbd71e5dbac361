import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decide, isAllowed, type Action, type Resource } from '../domain/access.js';
import { actorFromDirectory, type Actor } from '../domain/actor.js';
import type { OrganisationKind } from '../domain/directory.js';
import type { Colour } from '../domain/escalation.js';
import {
  FIRST_SHELL_KINDS,
  KERNGROEP_LIMITS,
  MIN_DECISION_REASON,
  criterionA,
  criterionAWindow,
  dataForColour,
  isColour,
  isValidBsn,
  type AgendaPerson,
  type DeployedIntervention,
  type Registration,
} from '../domain/kerngroep.js';
import {
  allowedAnswers,
  buildQuestions,
  checkAnswers,
  completion,
  reminderTimes,
  workingDaysBefore,
  type Answer,
  type Question,
} from '../domain/inquiry.js';
import { localDateString, localTimeString, localToInstant, parseCalendarDate, parseClockTime, type Case, type Signal } from '../domain/signal.js';
import { FEEDBACK_EFFECTS, type FeedbackDoc, type FeedbackEffect } from '../domain/feedback.js';
import type { Intervention } from '../domain/intervention.js';
import { caseFacts } from '../domain/case.js';
import { openForAnswers, recordAnswer, type Invitee } from '../domain/meeting.js';
import {
  KERNGROEP_VERBS,
  agendaFormCard,
  chairCard,
  inquiryCard,
  kerngroepSummonsCard,
  matrixCard,
  registerBaseCard,
  registerFormCard,
  type AttendanceRow,
  type InquiryView,
} from '../cards/kerngroep-cards.js';
import { escapeText } from '../cards/escape.js';
import { nl } from '../i18n/nl.js';
import type { AdaptiveCard, JobOutcome, Jobs, OutgoingMessage, WriteOp } from '../ports.js';
import { auditDecision, auditOp, audit } from './audit.js';
import type { AppContext } from './context.js';
import { evaluateEscalations } from './escalation-trigger.js';
import type { Notice } from './outbox.js';
import type { CardActionResult, Feature } from './routes.js';
import { feedbackKeys } from './feedback.js';
import {
  answerRefusal,
  answerView,
  colleagueChoices,
  commitWithNotices,
  meetingIndexes,
  meetingKeys,
  rsvpData,
  substituteData,
  summonsInput,
} from './meetings.js';
import { indexes, keys } from './signals.js';

/**
 * The Kerngroep (§5–6): the wijkmanager registers persons of a case; the chair accepts or returns
 * them, plans a Kerngroep meeting (first shell invited by default), sets the agenda with a colour
 * per person, and the yes/no inquiry goes to each invited organisation's contacts. The chair's
 * matrix shows completion; reminders at T-3 and T-1 days go only to organisations with open
 * questions; answers lock at the meeting's start (the chair can reopen a question). After the
 * meeting the wijkmanager hears only that the Kerngroep discussed the case.
 *
 * Privacy: a BSN is stored only for oranje/rood, never rendered and never logged; names and dates
 * of birth appear only in user-specific views. Logs carry ids and counts only.
 */

const t = nl.kerngroep;
const r = t.refusals;

export const kerngroepKeys = {
  registration: (id: string) => `kg-reg:${id}`,
  meeting: (id: string) => `kg-meeting:${id}`,
  /** Current colour of a person on a Kerngroep agenda (escalation fact). */
  person: (personKey: string) => `kg-person:${personKey}`,
} as const;

export const kerngroepIndexes = {
  registrations: 'kg-registrations',
  meetings: 'kg-meetings',
  caseRegistrations: (caseId: string) => `kg-case-registrations:${caseId}`,
} as const;

export const KERNGROEP_REMINDER_JOB = 'kerngroep.reminder';
export const KERNGROEP_AFTER_JOB = 'kerngroep.after';

export interface KerngroepOptions {
  /** Answer deadline in working days before the meeting (default 2). */
  deadlineWorkingDays: number;
  /** Reminder offsets in days before the meeting (default 3 and 1). */
  reminderDays: readonly number[];
}
export const DEFAULT_KERNGROEP_OPTIONS: KerngroepOptions = { deadlineWorkingDays: 2, reminderDays: [3, 1] };
let options: KerngroepOptions = DEFAULT_KERNGROEP_OPTIONS;

export interface KgMeeting {
  id: string;
  start: string;
  place: string;
  chair: string;
  organisations: string[];
  persons: AgendaPerson[];
  questions: Question[];
  answers: Record<string, Answer>;
  reopened: string[];
  deadline?: string;
  agendaVersion: number;
  createdAt: string;
  /**
   * Who was summoned to the meeting (the invited organisations' contacts, and substitutes they
   * sent), each with their answer: the casusoverleg's invitee model. Absent on meetings planned
   * before the summons existed.
   */
  invitees?: Invitee[];
}

const msg = (text: string): CardActionResult => ({ kind: 'message', text });
const asCard = (card: AdaptiveCard): CardActionResult => ({ kind: 'card', card });
const by = (a: Actor) => ({ userId: a.id, organisation: a.organisation.id });
const when = (ctx: AppContext, iso: string) => `${localDateString(new Date(iso), ctx.timeZone)} ${localTimeString(new Date(iso), ctx.timeZone)}`;
const orgName = (ctx: AppContext, id: string) => ctx.directory.organisation(id)?.name ?? id;
const orgKind = (ctx: AppContext, id: string): OrganisationKind => ctx.directory.organisation(id)?.kind ?? 'overig';

async function allowed(ctx: AppContext, actor: Actor, action: Action, resource: Resource, label: string): Promise<boolean> {
  const d = decide(actor, action, resource);
  if (!isAllowed(d)) await audit(ctx, auditDecision(actor, action, label, d));
  return isAllowed(d);
}

/**
 * Every user-specific view that shows person data (registration form, agenda form, inquiry view,
 * matrix) leaves an audit entry, like the case card's `person-data.read` (src/app/signals.ts). It is
 * written only after the policy allowed the view; `view` says which one.
 */
async function auditPersonView(ctx: AppContext, actor: Actor, resource: string, view: string): Promise<void> {
  await audit(ctx, { actor: actor.id, action: 'person-data.read', resource, outcome: 'allow', reason: view });
}

async function refuse(ctx: AppContext, actor: Actor, action: string, resource: string, reason: string, text: string): Promise<CardActionResult> {
  await audit(ctx, { actor: actor.id, action, resource, outcome: 'refused', reason });
  ctx.log.info({ event: 'kerngroep.refused', userId: actor.id, action, reason }, 'kerngroep input refused');
  return msg(text);
}

async function loadCaseByRef(ctx: AppContext, ref: string) {
  const ptr = await ctx.store.get<{ caseId: string }>(keys.caseRef(ref));
  return ptr ? ctx.store.get<Case>(keys.case(ptr.value.caseId)) : undefined;
}

/** Distinct persons of a case (from its signals), as far as the actor may see person data. */
async function casePersons(ctx: AppContext, actor: Actor, c: Case): Promise<{ key: string; name: string; dateOfBirth: string; choice: string }[]> {
  const entries = await ctx.store.range(indexes.caseSignals(c.id), -Infinity, Infinity, { limit: 500 });
  const signals = (await ctx.store.getMany<Signal>(entries.map((e) => keys.signal(e.member)))).filter((s) => s !== undefined).map((s) => s.value);
  const out = new Map<string, { key: string; name: string; dateOfBirth: string }>();
  for (const s of signals) {
    if (!s.person || !s.personKey || out.has(s.personKey)) continue;
    const d = decide(actor, 'person-data.read', {
      type: 'person-data',
      data: { reporterOrganisation: s.reporter.organisation, fromPolice: s.reporter.fromPolice, district: s.district, level: c.level },
    });
    if (isAllowed(d)) out.set(s.personKey, { key: s.personKey, name: s.person.name, dateOfBirth: s.person.dateOfBirth });
  }
  // Card choices carry the position in this order, never the person key.
  return [...out.values()].sort((x, y) => (x.key < y.key ? -1 : 1)).map((p, i) => ({ ...p, choice: String(i) }));
}

/** Police contacts of these persons in criterion (a)'s window: the last 6 months in the process's time zone. */
async function policeDates(ctx: AppContext, personKeys: readonly string[]): Promise<{ from: string; dates: string[] }> {
  const w = criterionAWindow(ctx.clock.now(), ctx.timeZone);
  const dates: number[] = [];
  for (const k of personKeys) for (const e of await ctx.store.range(indexes.personPolice(k), w.from.getTime(), w.to.getTime())) dates.push(e.score);
  return { from: localDateString(w.from, ctx.timeZone), dates: dates.sort((a, b) => a - b).map((ms) => localDateString(new Date(ms), ctx.timeZone)) };
}

/**
 * The interventions already deployed on the case (agreed in a casusoverleg), each with organisation,
 * what (the instrument's label) and the effect reported in feedback. No personal data.
 */
async function deployedInterventions(ctx: AppContext, c: Case): Promise<DeployedIntervention[]> {
  const entries = await ctx.store.range(meetingIndexes.caseInterventions(c.id), -Infinity, Infinity, { limit: 100 });
  const ids = entries.map((e) => e.member);
  const [items, feedback] = await Promise.all([
    ctx.store.getMany<Intervention>(ids.map((id) => meetingKeys.intervention(id))),
    ctx.store.getMany<FeedbackDoc>(ids.map((id) => feedbackKeys.feedback(id))),
  ]);
  const labels = nl.meetings.instruments as unknown as Record<string, Record<string, string> | undefined>;
  const out: DeployedIntervention[] = [];
  items.forEach((it, n) => {
    if (!it) return;
    const i = it.value;
    const [kind, key] = (i.instrument ?? '').split(':');
    const instrument = i.instrument ? (labels[kind ?? '']?.[key ?? ''] ?? i.instrument) : undefined;
    // Only the instrument's label: an agreement's own description is free text that may name someone.
    const what = (instrument ?? t.register.ownAgreement).slice(0, 300);
    const effect = feedback[n]?.value.current.effect;
    out.push({
      organisation: i.organisation,
      what,
      agreedOn: localDateString(new Date(i.agreedAt), ctx.timeZone),
      ...(effect && (FEEDBACK_EFFECTS as readonly string[]).includes(effect) ? { effect: effect as FeedbackEffect } : {}),
    });
  });
  return out.sort((a, b) => (a.agreedOn < b.agreedOn ? -1 : a.agreedOn > b.agreedOn ? 1 : 0));
}

/** Criterion (a) from the data: police contacts in the window and interventions without enough effect. */
async function criterionFacts(ctx: AppContext, c: Case, personKeys: readonly string[]) {
  const police = await policeDates(ctx, personKeys);
  const deployed = await deployedInterventions(ctx, c);
  const result = criterionA(police.dates, deployed.map((d) => d.effect));
  return { police, deployed, result };
}

// --- registration -------------------------------------------------------------------------------

/**
 * `kerngroep aanmelden C-…` and the escalation notice's button: the base card, posted in the chat,
 * carries no person data — only the case reference and how many persons. Teams fetches the form
 * with names, dates of birth, criterion (a) and the interventions through the refresh, for this
 * wijkmanager only (`openRegisterDetails`).
 */
export async function openRegisterForm(ctx: AppContext, actor: Actor, c: Case): Promise<CardActionResult> {
  if (!(await allowed(ctx, actor, 'kerngroep.register', { type: 'case', case: caseFacts(c) }, `case:${c.ref}`))) return msg(r.caseNotFound(c.ref));
  const persons = await casePersons(ctx, actor, c);
  if (persons.length === 0) return msg(c.level === 'hinder' ? r.hinderFirst : r.noPersons);
  return asCard(registerBaseCard({ caseRef: c.ref, personCount: persons.length, userId: actor.id }));
}

/** The user-specific registration form (refresh of the base card, or after refused input). Audited. */
async function registerDetails(ctx: AppContext, actor: Actor, c: Case, error?: string): Promise<CardActionResult> {
  if (!(await allowed(ctx, actor, 'kerngroep.register', { type: 'case', case: caseFacts(c) }, `case:${c.ref}`))) return msg(r.caseNotFound(c.ref));
  const persons = await casePersons(ctx, actor, c);
  if (persons.length === 0) return msg(c.level === 'hinder' ? r.hinderFirst : r.noPersons);
  const { police, deployed, result } = await criterionFacts(ctx, c, persons.map((p) => p.key));
  await auditPersonView(ctx, actor, `case:${c.ref}`, KERNGROEP_VERBS.registerForm);
  return asCard(
    registerFormCard({
      caseRef: c.ref,
      userId: actor.id,
      persons,
      windowFrom: police.from,
      policeDates: police.dates,
      ineffective: result.ineffective,
      criterionHolds: result.holds,
      interventions: deployed.map((d) => ({
        organisation: orgName(ctx, d.organisation),
        what: d.what,
        agreedOn: d.agreedOn,
        effect: d.effect ? nl.feedback.effects[d.effect] : t.register.noFeedback,
      })),
      ...(error ? { error } : {}),
    }),
  );
}

async function openRegisterDetails(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = z.object({ caseRef: z.string().max(50) }).strict().safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, KERNGROEP_VERBS.registerForm, 'unknown', 'forged', r.forged);
  const ref = parsed.data.caseRef.trim().toUpperCase();
  const stored = await loadCaseByRef(ctx, ref);
  if (!stored) return msg(r.caseNotFound(escapeText(ref.slice(0, 30))));
  return registerDetails(ctx, actor, stored.value);
}

const registerData = z
  .object({
    caseRef: z.string().max(50),
    reason: z.enum(['a', 'b']),
    justification: z.string().max(KERNGROEP_LIMITS.justification).optional(),
    persons: z.string().max(KERNGROEP_LIMITS.raw).optional(),
  })
  .strict();

async function register(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = registerData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.register', 'unknown', 'forged', r.forged);
  const ref = parsed.data.caseRef.trim().toUpperCase();
  const stored = await loadCaseByRef(ctx, ref);
  if (!stored) return msg(r.caseNotFound(escapeText(ref.slice(0, 30))));
  const c = stored.value;
  if (!(await allowed(ctx, actor, 'kerngroep.register', { type: 'case', case: caseFacts(c) }, `case:${c.ref}`))) return msg(r.caseNotFound(c.ref));
  const all = await casePersons(ctx, actor, c);
  const wanted = (parsed.data.persons ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.some((k) => !all.some((p) => p.choice === k))) return refuse(ctx, actor, 'kerngroep.register', `case:${c.ref}`, 'unknown-person', r.unknownPerson);
  const persons = wanted.length > 0 ? all.filter((p) => wanted.includes(p.choice)) : all;
  if (persons.length === 0) return msg(c.level === 'hinder' ? r.hinderFirst : r.noPersons);
  const { police, deployed, result } = await criterionFacts(ctx, c, persons.map((p) => p.key));
  const justification = parsed.data.justification?.trim() ?? '';
  if (parsed.data.reason === 'a' && !result.holds) return registerDetails(ctx, actor, c, r.criterionA);
  if (parsed.data.reason === 'b' && justification.length < 10) return registerDetails(ctx, actor, c, r.justification);
  const now = ctx.clock.now();
  const reg: Registration = {
    id: randomUUID(),
    caseId: c.id,
    caseRef: c.ref,
    district: c.district,
    by: by(actor),
    at: now.toISOString(),
    reason: parsed.data.reason,
    ...(justification ? { justification } : {}),
    policeContactDates: police.dates,
    interventions: deployed.length,
    deployed,
    criterionA: { from: police.from, holds: result.holds, ineffective: result.ineffective },
    group: persons.length === all.length && all.length > 1,
    persons: persons.map((p) => ({ personId: randomUUID(), personKey: p.key, name: p.name, dateOfBirth: p.dateOfBirth })),
    status: 'aangemeld',
  };
  const res = await ctx.store.commit([
    { op: 'put', key: kerngroepKeys.registration(reg.id), value: reg, ifAbsent: true },
    { op: 'index', index: kerngroepIndexes.registrations, member: reg.id, score: now.getTime() },
    { op: 'index', index: kerngroepIndexes.caseRegistrations(c.id), member: reg.id, score: now.getTime() },
    auditOp({ actor: actor.id, action: 'kerngroep.register', resource: `case:${c.ref}`, outcome: 'allow' }),
  ]);
  if (!res.ok) return msg(r.busy);
  ctx.log.info({ event: 'kerngroep.registered', userId: actor.id, registrationId: reg.id, caseId: c.id, persons: reg.persons.length }, 'registered with the Kerngroep');
  await evaluateEscalations(ctx, { type: 'registration', caseId: c.id, registrationId: reg.id, at: reg.at });
  return msg(t.register.done(c.ref, reg.persons.length));
}

/** The escalation notice's "Aanmelden bij Kerngroep" opens the registration form for the case. */
export const registerKerngroepHook = (ctx: AppContext, actor: Actor, c: Case) => openRegisterForm(ctx, actor, c);

// --- the chair ------------------------------------------------------------------------------------

async function registrations(ctx: AppContext): Promise<{ value: Registration; etag: string }[]> {
  const entries = await ctx.store.range(kerngroepIndexes.registrations, -Infinity, Infinity, { limit: 500 });
  return (await ctx.store.getMany<Registration>(entries.map((e) => kerngroepKeys.registration(e.member)))).filter((x) => x !== undefined);
}

async function meetings(ctx: AppContext): Promise<KgMeeting[]> {
  const entries = await ctx.store.range(kerngroepIndexes.meetings, -Infinity, Infinity, { limit: 100 });
  return (await ctx.store.getMany<KgMeeting>(entries.map((e) => kerngroepKeys.meeting(e.member)))).filter((x) => x !== undefined).map((x) => x.value);
}

async function chairOverview(ctx: AppContext, banner?: string): Promise<AdaptiveCard> {
  const regs = (await registrations(ctx)).filter((x) => x.value.status === 'aangemeld');
  const ms = await meetings(ctx);
  return chairCard({
    registrations: regs.map(({ value: g }) => ({ id: g.id, line: t.chair.registration(g.caseRef, g.persons.length, g.reason, when(ctx, g.at)) })),
    meetings: ms.map((m) => ({ id: m.id, line: t.chair.meeting(when(ctx, m.start), completion(m.questions, m.answers).overall) })),
    ...(banner ? { banner } : {}),
  });
}

const decideData = z
  .object({ registrationId: z.string().uuid(), decision: z.enum(['accept', 'return']) })
  .catchall(z.string().max(KERNGROEP_LIMITS.raw));

async function notify(ctx: AppContext, notices: Notice[]): Promise<void> {
  for (const n of notices) await ctx.outbox.send(n);
}

async function decideRegistration(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  if (!(await allowed(ctx, actor, 'kerngroep.chair', { type: 'system' }, 'kerngroep'))) return msg(r.notAllowed);
  const parsed = decideData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.decide', 'unknown', 'forged', r.forged);
  const id = parsed.data.registrationId;
  const extra = Object.keys(parsed.data).filter((k) => k !== 'registrationId' && k !== 'decision');
  if (extra.some((k) => !/^reason_[0-9a-f-]{36}$/.test(k))) return refuse(ctx, actor, 'kerngroep.decide', id, 'forged', r.forged);
  const reason = String((parsed.data as Record<string, unknown>)[`reason_${id}`] ?? '').trim();
  if (reason.length < MIN_DECISION_REASON) return asCard(await chairOverview(ctx, r.reasonRequired));
  const stored = await ctx.store.get<Registration>(kerngroepKeys.registration(id));
  if (!stored) return refuse(ctx, actor, 'kerngroep.decide', id, 'unknown', r.forged);
  if (stored.value.status !== 'aangemeld') return msg(r.alreadyDecided);
  const now = ctx.clock.now().toISOString();
  const accept = parsed.data.decision === 'accept';
  const reg: Registration = {
    ...stored.value,
    status: accept ? 'geaccepteerd' : 'teruggegeven',
    decision: { kind: parsed.data.decision, by: by(actor), at: now, reason: reason.slice(0, KERNGROEP_LIMITS.decisionReason) },
  };
  const ops: WriteOp[] = [
    { op: 'put', key: kerngroepKeys.registration(id), value: reg, ifEtag: stored.etag },
    auditOp({ actor: actor.id, action: `kerngroep.${parsed.data.decision}`, resource: `case:${reg.caseRef}`, outcome: 'allow' }),
  ];
  if (accept) {
    const c = await ctx.store.get<Case>(keys.case(reg.caseId));
    if (c && c.value.handledBy !== 'kerngroep') ops.push({ op: 'put', key: keys.case(reg.caseId), value: { ...c.value, handledBy: 'kerngroep', updatedAt: now }, ifEtag: c.etag });
  }
  const res = await ctx.store.commit(ops);
  if (!res.ok) return msg(r.busy);
  const wms = ctx.directory.district(reg.district)?.wijkmanagers ?? [];
  await notify(
    ctx,
    [...new Set([reg.by.userId, ...wms])].map((u) => ({
      id: `kg-decision:${id}:${u}`,
      recipient: u,
      message: { kind: 'text', text: accept ? t.notices.accepted(reg.caseRef) : t.notices.returned(reg.caseRef, escapeText(reg.decision!.reason)) } as OutgoingMessage,
      about: t.notices.about(reg.caseRef),
    })),
  );
  ctx.log.info({ event: 'kerngroep.decided', userId: actor.id, registrationId: id, decision: parsed.data.decision }, 'registration decided');
  return asCard(await chairOverview(ctx, accept ? t.chair.accepted(reg.caseRef) : t.chair.returned(reg.caseRef)));
}

const planData = z
  .object({ date: z.string().max(20), start: z.string().max(10), place: z.string().max(300).optional(), orgs: z.string().max(500).optional() })
  .strict();

async function plan(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  if (!(await allowed(ctx, actor, 'kerngroep.chair', { type: 'system' }, 'kerngroep'))) return msg(r.notAllowed);
  const parsed = planData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.plan', 'kerngroep', 'forged', r.forged);
  const d = parseCalendarDate(parsed.data.date);
  const tm = parseClockTime(parsed.data.start);
  if (!d || !tm) return msg(r.badWhen);
  const start = localToInstant({ ...d, ...tm }, ctx.timeZone);
  const now = ctx.clock.now();
  if (start.getTime() <= now.getTime()) return msg(r.badWhen);
  const extra = (parsed.data.orgs ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of extra) if (!ctx.directory.organisation(o)) return msg(r.unknownOrg(escapeText(o.slice(0, 100))));
  const first = ctx.directory.organisations.filter((o) => o.covenant && FIRST_SHELL_KINDS.includes(o.kind)).map((o) => o.id);
  const organisations = [...new Set([...first, ...extra])];
  const invitees = summonsList(ctx, organisations, now.toISOString());
  const m: KgMeeting = {
    id: randomUUID(),
    start: start.toISOString(),
    place: parsed.data.place?.trim() || '-',
    chair: actor.id,
    organisations,
    persons: [],
    questions: [],
    answers: {},
    reopened: [],
    agendaVersion: 0,
    createdAt: now.toISOString(),
    invitees,
  };
  // The summons are stored with the meeting (transactional outbox): a crash right after loses none.
  const res = await commitWithNotices(
    ctx,
    [
      { op: 'put', key: kerngroepKeys.meeting(m.id), value: m, ifAbsent: true },
      { op: 'index', index: kerngroepIndexes.meetings, member: m.id, score: start.getTime() },
      auditOp({ actor: actor.id, action: 'kerngroep.plan', resource: `kerngroep-meeting:${m.id}`, outcome: 'allow' }),
    ],
    invitees.map((i) => summonsNotice(ctx, m, i)),
  );
  if (!res.ok) return msg(r.busy);
  await scheduleReminders(ctx, m);
  ctx.log.info({ event: 'kerngroep.planned', userId: actor.id, meetingId: m.id, organisations: organisations.length, invitees: invitees.length }, 'Kerngroep meeting planned');
  const banner = `${t.chair.planned(when(ctx, m.start), organisations.map((o) => orgName(ctx, o)).join(', '))} ${t.summons.sent(invitees.length)}`;
  return asCard(await agendaForm(ctx, actor, m, banner));
}

/** The chair's agenda form: names and dates of birth of the accepted persons, user-specific and audited. */
async function agendaForm(ctx: AppContext, actor: Actor, m: KgMeeting, banner?: string): Promise<AdaptiveCard> {
  const accepted = (await registrations(ctx)).filter((x) => x.value.status === 'geaccepteerd').map((x) => x.value);
  await auditPersonView(ctx, actor, `kerngroep-meeting:${m.id}`, KERNGROEP_VERBS.agendaForm);
  return agendaFormCard({
    meetingId: m.id,
    chairId: actor.id,
    when: when(ctx, m.start),
    persons: accepted.flatMap((g) => g.persons.map((p) => ({ personId: p.personId, name: p.name, dateOfBirth: p.dateOfBirth, caseRef: g.caseRef }))),
    ...(banner ? { banner } : {}),
    ...attendanceOf(ctx, m),
  });
}

/** Validates one person's colour and colour-bound data; the BSN is checked, never echoed. */
function personInput(
  input: { colour?: unknown; address?: unknown; city?: unknown; bsn?: unknown; family?: unknown },
): { ok: true; colour: Colour; address?: string; city?: string; bsn?: string; family?: { name: string; dateOfBirth: string }[] } | { ok: false; error: string } {
  if (!isColour(input.colour)) return { ok: false, error: r.unknownColour };
  const str = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined);
  const address = str(input.address, KERNGROEP_LIMITS.address);
  const city = str(input.city, KERNGROEP_LIMITS.city);
  const bsn = str(input.bsn, 20)?.replace(/\s/g, '');
  const familyText = str(input.family, 2000);
  if (input.colour === 'groen') return address || city || bsn || familyText ? { ok: false, error: r.bsnGroen } : { ok: true, colour: 'groen' };
  if (bsn !== undefined && !isValidBsn(bsn)) return { ok: false, error: r.badBsn };
  // Family members (oranje/rood): one per line, "naam, JJJJ-MM-DD".
  const family: { name: string; dateOfBirth: string }[] = [];
  for (const line of (familyText ?? '').split('\n').map((l) => l.trim()).filter(Boolean)) {
    const fm = /^(.{1,200}?)\s*[,;]\s*(\d{4}-\d{2}-\d{2})$/.exec(line);
    if (!fm || !parseCalendarDate(fm[2]!)) return { ok: false, error: r.badFamily };
    family.push({ name: fm[1]!.trim(), dateOfBirth: fm[2]! });
  }
  return { ok: true, colour: input.colour, ...(address ? { address } : {}), ...(city ? { city } : {}), ...(bsn ? { bsn } : {}), ...(family.length ? { family } : {}) };
}

const meetingIdOnly = z.object({ meetingId: z.string().uuid() }).strict();
const agendaData = z.object({ meetingId: z.string().uuid() }).catchall(z.string().max(2000));

async function loadMeeting(ctx: AppContext, id: string) {
  return ctx.store.get<KgMeeting>(kerngroepKeys.meeting(id));
}

function deadlineOf(ctx: AppContext, m: Pick<KgMeeting, 'start'>): Date {
  return workingDaysBefore(new Date(m.start), options.deadlineWorkingDays, ctx.timeZone);
}

async function setAgenda(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  if (!(await allowed(ctx, actor, 'kerngroep.chair', { type: 'system' }, 'kerngroep'))) return msg(r.notAllowed);
  const parsed = agendaData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.agenda', 'kerngroep', 'forged', r.forged);
  const stored = await loadMeeting(ctx, parsed.data.meetingId);
  if (!stored) return msg(r.meetingNotFound);
  if (stored.value.agendaVersion > 0) return msg(r.agendaSet);
  const fields = Object.entries(parsed.data).filter(([k]) => k !== 'meetingId');
  const byPerson = new Map<string, Record<string, string>>();
  for (const [k, v] of fields) {
    const mm = /^(colour|address|city|bsn|family)_([0-9a-f-]{36})$/.exec(k);
    if (!mm) return refuse(ctx, actor, 'kerngroep.agenda', `kerngroep-meeting:${stored.value.id}`, 'forged', r.forged);
    byPerson.set(mm[2]!, { ...(byPerson.get(mm[2]!) ?? {}), [mm[1]!]: v });
  }
  const regs = await registrations(ctx);
  const persons: AgendaPerson[] = [];
  const touched = new Map<string, { value: Registration; etag: string }>();
  for (const [personId, input] of byPerson) {
    if (!input.colour) continue;
    const reg = regs.find((g) => g.value.status === 'geaccepteerd' && g.value.persons.some((p) => p.personId === personId));
    if (!reg) return refuse(ctx, actor, 'kerngroep.agenda', `kerngroep-meeting:${stored.value.id}`, 'unknown-person', r.notOnAgenda);
    const checked = personInput(input);
    if (!checked.ok) return msg(checked.error);
    const p = reg.value.persons.find((x) => x.personId === personId)!;
    const { ok: _ok, ...colourData } = checked;
    persons.push(dataForColour({ personId, registrationId: reg.value.id, caseId: reg.value.caseId, personKey: p.personKey, name: p.name, dateOfBirth: p.dateOfBirth, family: [], ...colourData }));
    touched.set(reg.value.id, reg);
  }
  if (persons.length === 0) return msg(r.unknownColour);
  const orgs = stored.value.organisations.map((id) => ({ id, kind: orgKind(ctx, id) }));
  const m: KgMeeting = {
    ...stored.value,
    persons,
    questions: buildQuestions(persons, orgs),
    agendaVersion: 1,
    deadline: deadlineOf(ctx, stored.value).toISOString(),
  };
  const notices = inquiryNotices(ctx, m, m.organisations.filter((o) => m.questions.some((q) => q.organisation === o)), false);
  const ops: WriteOp[] = [
    { op: 'put', key: kerngroepKeys.meeting(m.id), value: m, ifEtag: stored.etag },
    ...[...touched.values()].map((g): WriteOp => ({ op: 'put', key: kerngroepKeys.registration(g.value.id), value: { ...g.value, status: 'geagendeerd' }, ifEtag: g.etag })),
    ...persons.map((p): WriteOp => ({ op: 'put', key: kerngroepKeys.person(p.personKey), value: { colour: p.colour, meetingId: m.id } })),
    auditOp({ actor: actor.id, action: 'kerngroep.agenda', resource: `kerngroep-meeting:${m.id}`, outcome: 'allow' }),
  ];
  const staged = ctx.outbox.stage?.(notices);
  const res = await ctx.store.commit([...ops, ...(staged?.ops ?? [])]);
  if (!res.ok) return msg(r.busy);
  if (staged) await staged.dispatch();
  else await notify(ctx, notices);
  await scheduleJobs(ctx, m);
  for (const c of new Set(persons.map((p) => p.caseId))) {
    const personKeys = persons.filter((p) => p.caseId === c).map((p) => p.personKey);
    await evaluateEscalations(ctx, { type: 'colour', caseId: c, personKeys });
  }
  ctx.log.info({ event: 'kerngroep.agenda-set', userId: actor.id, meetingId: m.id, persons: persons.length, questions: m.questions.length }, 'agenda set');
  return asCard(await matrix(ctx, m, actor, t.chair.agendaSet(persons.length, notices.length)));
}

function inquiryNotices(ctx: AppContext, m: KgMeeting, orgs: readonly string[], updated: boolean): Notice[] {
  const out: Notice[] = [];
  for (const org of orgs) {
    const contacts = ctx.directory.contactsOf(org).map((u) => u.id);
    for (const u of contacts)
      out.push({
        id: `kg-inquiry:${m.id}:v${m.agendaVersion}:${org}:${u}`,
        recipient: u,
        message: { kind: 'card', summary: t.inquiry.summary, card: inquiryCard(baseInquiry(ctx, m, org, contacts, updated)) },
        reportFailureTo: m.chair,
        about: t.inquiry.about(orgName(ctx, org)),
      });
  }
  return out;
}

function baseInquiry(ctx: AppContext, m: KgMeeting, org: string, recipients: readonly string[], updated = false): InquiryView {
  const qs = m.questions.filter((q) => q.organisation === org);
  return {
    meetingId: m.id,
    organisationName: orgName(ctx, org),
    deadline: m.deadline ? when(ctx, m.deadline) : '-',
    questionCount: qs.length,
    personCount: new Set(qs.map((q) => q.personId)).size,
    recipients,
    ...(updated ? { updated } : {}),
  };
}

/**
 * The reminders (yes/no questions still open, summons not answered) at the configured days before
 * the start; scheduled when the meeting is planned and again (the same ids: nothing new) with the agenda.
 */
async function scheduleReminders(ctx: AppContext, m: KgMeeting): Promise<void> {
  // Whole days before the start on the wall clock (shiftLocal): no hour's drift across a DST change.
  for (const { days, at } of reminderTimes(new Date(m.start), options.reminderDays, ctx.timeZone, ctx.clock.now()))
    await ctx.jobs.enqueue({ id: `kg-reminder:${m.id}:t-${days}`, type: KERNGROEP_REMINDER_JOB, payload: { meetingId: m.id, slot: `t-${days}` }, runAt: at });
}

async function scheduleJobs(ctx: AppContext, m: KgMeeting): Promise<void> {
  await scheduleReminders(ctx, m);
  await ctx.jobs.enqueue({ id: `kg-after:${m.id}`, type: KERNGROEP_AFTER_JOB, payload: { meetingId: m.id }, runAt: new Date(new Date(m.start).getTime() + 4 * 60 * 60 * 1000) });
}

// --- the inquiry (partners) -----------------------------------------------------------------------

async function inquiryView(ctx: AppContext, actor: Actor, m: KgMeeting, banner?: string): Promise<AdaptiveCard> {
  const org = actor.organisation.id;
  const contacts = ctx.directory.contactsOf(org).map((u) => u.id);
  const qs = m.questions.filter((q) => q.organisation === org);
  const choices = allowedAnswers(actor.organisation.kind);
  const persons = m.persons
    .filter((p) => qs.some((q) => q.personId === p.personId))
    .map((p) => ({
      name: p.name,
      dateOfBirth: p.dateOfBirth,
      questions: qs
        .filter((q) => q.personId === p.personId)
        .map((q) => ({ id: q.id, label: t.questions[q.key], risk: q.key === 'risicosignalen', choices, ...(m.answers[q.id] ? { answer: m.answers[q.id]!.value } : {}) })),
    }));
  if (persons.length > 0) await auditPersonView(ctx, actor, `kerngroep-meeting:${m.id}`, KERNGROEP_VERBS.inquiry);
  return inquiryCard({ ...baseInquiry(ctx, m, org, contacts.includes(actor.id) ? contacts : [actor.id]), details: { persons, ...(banner ? { banner } : {}) } });
}

async function viewInquiry(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = meetingIdOnly.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.inquiry', 'unknown', 'forged', r.forged);
  const stored = await loadMeeting(ctx, parsed.data.meetingId);
  if (!stored) return msg(r.meetingNotFound);
  const asked = stored.value.organisations;
  if (!(await allowed(ctx, actor, 'kerngroep.answer', { type: 'inquiry', organisations: asked }, `kerngroep-meeting:${stored.value.id}`))) return msg(r.notAllowed);
  return asCard(await inquiryView(ctx, actor, stored.value));
}

const answerData = z.object({ meetingId: z.string().uuid() }).catchall(z.string().max(20));

async function answer(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = answerData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.answer', 'unknown', 'forged', r.forged);
  const stored = await loadMeeting(ctx, parsed.data.meetingId);
  if (!stored) return msg(r.meetingNotFound);
  const m = stored.value;
  const resource = `kerngroep-meeting:${m.id}`;
  const asked = m.organisations;
  if (!(await allowed(ctx, actor, 'kerngroep.answer', { type: 'inquiry', organisations: asked }, resource))) return msg(r.notAllowed);
  const input: Record<string, { value: string; domain?: string }> = {};
  const domains: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.data)) {
    if (k === 'meetingId') continue;
    if (k.startsWith('q_')) input[k.slice(2)] = { ...(input[k.slice(2)] ?? {}), value: v };
    else if (k.startsWith('d_')) domains[k.slice(2)] = v;
    else return refuse(ctx, actor, 'kerngroep.answer', resource, 'forged', r.forged);
  }
  for (const [id, dv] of Object.entries(domains)) {
    if (!input[id]) return refuse(ctx, actor, 'kerngroep.answer', resource, 'forged', r.forged);
    if (dv) input[id] = { ...input[id]!, domain: dv };
  }
  for (const id of Object.keys(input)) if (input[id]!.value === '') delete input[id];
  if (Object.keys(input).length === 0) return msg(r.noAnswers);
  const now = ctx.clock.now();
  const checked = checkAnswers(input, { organisation: actor.organisation.id, kind: actor.organisation.kind, questions: m.questions, now, lockAt: new Date(m.start), reopened: m.reopened });
  if (!checked.ok) {
    const text = { 'not-addressed': r.notAddressed, locked: r.locked, 'bad-value': r.badValue, 'domain-not-applicable': r.domain }[checked.error];
    return refuse(ctx, actor, 'kerngroep.answer', resource, checked.error, text);
  }
  const late = m.deadline !== undefined && now.getTime() > new Date(m.deadline).getTime();
  const answers = { ...m.answers };
  for (const [id, a] of Object.entries(input))
    answers[id] = { value: a.value as Answer['value'], ...(a.domain ? { domain: a.domain as NonNullable<Answer['domain']> } : {}), by: actor.id, at: now.toISOString(), late };
  const reopened = m.reopened.filter((id) => !(id in input));
  const updated: KgMeeting = { ...m, answers, reopened };
  const res = await ctx.store.commit([
    { op: 'put', key: kerngroepKeys.meeting(m.id), value: updated, ifEtag: stored.etag },
    auditOp({ actor: actor.id, action: 'kerngroep.answer', resource, outcome: 'allow' }),
  ]);
  if (!res.ok) return msg(r.busy);
  ctx.log.info({ event: 'kerngroep.answered', userId: actor.id, meetingId: m.id, answers: Object.keys(input).length, late }, 'inquiry answered');
  return asCard(await inquiryView(ctx, actor, updated, t.inquiry.saved(Object.keys(input).length, late)));
}

// --- the chair's matrix ---------------------------------------------------------------------------

/** The chair's matrix: names and dates of birth, user-specific (refresh for the chair only) and audited. */
async function matrix(ctx: AppContext, m: KgMeeting, chair: Actor, banner?: string): Promise<AdaptiveCard> {
  const comp = completion(m.questions, m.answers);
  await auditPersonView(ctx, chair, `kerngroep-meeting:${m.id}`, KERNGROEP_VERBS.matrix);
  return matrixCard({
    meetingId: m.id,
    when: when(ctx, m.start),
    overall: comp.overall,
    chairId: chair.id,
    ...(ctx.clock.now().getTime() >= new Date(m.start).getTime() ? { locked: true } : {}),
    persons: m.persons.map((p) => ({
      personId: p.personId,
      name: p.name,
      dateOfBirth: p.dateOfBirth,
      colour: t.colours[p.colour],
      pct: comp.perPerson[p.personId] ?? 100,
      cells: m.questions
        .filter((q) => q.personId === p.personId)
        .map((q) => ({ questionId: q.id, org: orgName(ctx, q.organisation), label: t.questions[q.key], value: t.answers[m.answers[q.id]?.value ?? 'open'], late: m.answers[q.id]?.late ?? false })),
    })),
    ...(banner ? { banner } : {}),
    ...attendanceOf(ctx, m),
  });
}

async function chairMeeting(ctx: AppContext, actor: Actor, data: unknown, verb: string) {
  if (!(await allowed(ctx, actor, 'kerngroep.chair', { type: 'system' }, 'kerngroep'))) return { ok: false as const, result: msg(r.notAllowed) };
  const parsed = z.object({ meetingId: z.string().uuid() }).passthrough().safeParse(data);
  if (!parsed.success) return { ok: false as const, result: await refuse(ctx, actor, verb, 'unknown', 'forged', r.forged) };
  const stored = await loadMeeting(ctx, parsed.data.meetingId);
  if (!stored) return { ok: false as const, result: msg(r.meetingNotFound) };
  return { ok: true as const, stored, data: parsed.data as Record<string, unknown> };
}

async function viewMatrix(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const l = await chairMeeting(ctx, actor, data, 'kerngroep.matrix');
  if (!l.ok) return l.result;
  return asCard(await matrix(ctx, l.stored.value, actor));
}

/** Refresh of the chair's agenda form; once the agenda is set, the matrix takes its place. */
async function viewAgendaForm(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const l = await chairMeeting(ctx, actor, data, KERNGROEP_VERBS.agendaForm);
  if (!l.ok) return l.result;
  const m = l.stored.value;
  return asCard(m.agendaVersion > 0 ? await matrix(ctx, m, actor) : await agendaForm(ctx, actor, m));
}

function reminderNotices(ctx: AppContext, m: KgMeeting, slot: string): Notice[] {
  const comp = completion(m.questions, m.answers);
  const deadline = m.deadline ? when(ctx, m.deadline) : '-';
  return comp.missing.flatMap((org) => {
    const open = m.questions.filter((q) => q.organisation === org && !m.answers[q.id]).length;
    return ctx.directory.contactsOf(org).map((u) => ({
      id: `kg-reminder:${m.id}:${slot}:${org}:${u.id}`,
      recipient: u.id,
      message: { kind: 'text', text: t.inquiry.reminder(orgName(ctx, org), open, deadline) } as OutgoingMessage,
      reportFailureTo: m.chair,
      about: t.inquiry.reminderAbout(orgName(ctx, org)),
    }));
  });
}

async function remind(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const l = await chairMeeting(ctx, actor, data, 'kerngroep.remind');
  if (!l.ok) return l.result;
  const m = l.stored.value;
  const notices = reminderNotices(ctx, m, `manual-${ctx.clock.now().getTime()}`);
  await notify(ctx, notices);
  return asCard(await matrix(ctx, m, actor, t.matrix.reminded(completion(m.questions, m.answers).missing.length)));
}

async function reopen(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const l = await chairMeeting(ctx, actor, data, 'kerngroep.reopen');
  if (!l.ok) return l.result;
  const m = l.stored.value;
  const qid = l.data.questionId;
  if (typeof qid !== 'string' || !m.questions.some((q) => q.id === qid)) return refuse(ctx, actor, 'kerngroep.reopen', `kerngroep-meeting:${m.id}`, 'forged', r.forged);
  const res = await ctx.store.commit([
    { op: 'put', key: kerngroepKeys.meeting(m.id), value: { ...m, reopened: [...new Set([...m.reopened, qid])] }, ifEtag: l.stored.etag },
    auditOp({ actor: actor.id, action: 'kerngroep.reopen', resource: `kerngroep-meeting:${m.id}`, outcome: 'allow' }),
  ]);
  if (!res.ok) return msg(r.busy);
  return asCard(await matrix(ctx, { ...m, reopened: [...m.reopened, qid] }, actor, t.matrix.reopened));
}

async function changeColour(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const l = await chairMeeting(ctx, actor, data, 'kerngroep.colour');
  if (!l.ok) return l.result;
  const m = l.stored.value;
  const personId = l.data.personId;
  const person = m.persons.find((p) => p.personId === personId);
  if (!person) return refuse(ctx, actor, 'kerngroep.colour', `kerngroep-meeting:${m.id}`, 'unknown-person', r.notOnAgenda);
  // The matrix card's inputs are suffixed with the person id; plain keys are accepted too.
  const pick = (k: string) => l.data[k] ?? l.data[`${k}_${person.personId}`];
  const checked = personInput({ colour: pick('colour'), address: pick('address'), city: pick('city'), bsn: pick('bsn'), family: pick('family') });
  if (!checked.ok) return msg(checked.error);
  const { ok: _ok, ...colourData } = checked;
  const { address: _a, city: _c, bsn: _b, family: _f, ...base } = person;
  const next = dataForColour({ ...base, family: [], ...colourData });
  const persons = m.persons.map((p) => (p.personId === person.personId ? next : p));
  const questions = buildQuestions(persons, m.organisations.map((id) => ({ id, kind: orgKind(ctx, id) })));
  const ids = new Set(questions.map((q) => q.id));
  const oldIds = new Set(m.questions.map((q) => q.id));
  const changedOrgs = new Set([...questions.filter((q) => !oldIds.has(q.id)), ...m.questions.filter((q) => !ids.has(q.id))].map((q) => q.organisation));
  const answers = Object.fromEntries(Object.entries(m.answers).filter(([id]) => ids.has(id)));
  const updated: KgMeeting = { ...m, persons, questions, answers, reopened: m.reopened.filter((id) => ids.has(id)), agendaVersion: m.agendaVersion + 1 };
  const notices = inquiryNotices(ctx, updated, [...changedOrgs], true);
  const res = await ctx.store.commit([
    { op: 'put', key: kerngroepKeys.meeting(m.id), value: updated, ifEtag: l.stored.etag },
    { op: 'put', key: kerngroepKeys.person(person.personKey), value: { colour: next.colour, meetingId: m.id } },
    auditOp({ actor: actor.id, action: 'kerngroep.colour', resource: `kerngroep-meeting:${m.id}`, outcome: 'allow' }),
  ]);
  if (!res.ok) return msg(r.busy);
  await notify(ctx, notices);
  await evaluateEscalations(ctx, { type: 'colour', caseId: person.caseId, personKeys: [person.personKey] });
  return asCard(await matrix(ctx, updated, actor));
}

// --- the summons (oproep) for the Kerngroep meeting ---------------------------------------------

/**
 * Who is summoned when the chair plans: the contacts of every invited organisation (`contactsOf`,
 * as the inquiry finds them) whom the Kerngroep's own rule lets take part (`kerngroep.answer`: a
 * covenant partner of an invited organisation). Each gets one summons; answers follow the
 * casusoverleg's model (`recordAnswer`: aanwezig · vervanger · verhinderd, until the start).
 */
function summonsList(ctx: AppContext, organisations: readonly string[], at: string): Invitee[] {
  const out = new Map<string, Invitee>();
  for (const org of organisations)
    for (const u of ctx.directory.contactsOf(org)) {
      const a = actorFromDirectory(ctx.directory, u.id);
      if (out.has(u.id) || !a || !isAllowed(decide(a, 'kerngroep.answer', { type: 'inquiry', organisations }))) continue;
      out.set(u.id, { userId: u.id, organisation: u.organisation, via: 'organisation', invitedAt: at });
    }
  return [...out.values()];
}

/** The Kerngroep meeting as the shared answer model sees it: planned until it starts. */
const answerModel = (m: KgMeeting) => ({ state: 'gepland' as const, start: m.start, invitees: m.invitees ?? [] });

function summonsCardFor(ctx: AppContext, m: KgMeeting, invitee: Invitee, banner?: string): AdaptiveCard {
  const answer = answerView(ctx, invitee.answer);
  return kerngroepSummonsCard({
    meetingId: m.id,
    when: when(ctx, m.start),
    place: m.place,
    chair: ctx.directory.user(m.chair)?.name ?? m.chair,
    organisation: orgName(ctx, invitee.organisation),
    ...(invitee.substituteFor ? { substituteFor: ctx.directory.user(invitee.substituteFor)?.name ?? invitee.substituteFor } : {}),
    ...(answer ? { answer } : {}),
    open: openForAnswers(answerModel(m), ctx.clock.now()),
    colleagues: colleagueChoices(ctx, invitee),
    recipient: invitee.userId,
    ...(banner ? { banner } : {}),
  });
}

function summonsNotice(ctx: AppContext, m: KgMeeting, invitee: Invitee): Notice {
  return {
    id: `kg-summons:${m.id}:${invitee.userId}`,
    recipient: invitee.userId,
    message: { kind: 'card', summary: t.summons.summary, card: summonsCardFor(ctx, m, invitee) },
    reportFailureTo: m.chair,
    about: t.summons.about(when(ctx, m.start)),
  };
}

/** The answers to the summons, per organisation, for the chair's agenda form and matrix. */
function attendanceOf(ctx: AppContext, m: KgMeeting): { attendance?: AttendanceRow[] } {
  if (!m.invitees) return {};
  const name = (id: string) => ctx.directory.user(id)?.name ?? id;
  const rows = m.organisations.flatMap((org): AttendanceRow[] => {
    const invited = m.invitees!.filter((i) => i.organisation === org);
    if (invited.length === 0) return [{ organisation: orgName(ctx, org) }];
    return invited.map((i) => {
      const answer = answerView(ctx, i.answer);
      return { organisation: orgName(ctx, org), name: name(i.userId), ...(i.substituteFor ? { substituteFor: name(i.substituteFor) } : {}), ...(answer ? { answer } : {}) };
    });
  });
  return { attendance: rows };
}

type SummonsGate = { ok: true; stored: { value: KgMeeting; etag: string }; invitee: Invitee } | { ok: false; result: CardActionResult };

/** The Kerngroep's rule (`kerngroep.answer` over the invited organisations), then: summoned by name. */
async function summonsGate(ctx: AppContext, actor: Actor, meetingId: string): Promise<SummonsGate> {
  const stored = await loadMeeting(ctx, meetingId);
  if (!stored) return { ok: false, result: msg(r.meetingNotFound) };
  const resource = `kerngroep-meeting:${stored.value.id}`;
  if (!(await allowed(ctx, actor, 'kerngroep.answer', { type: 'inquiry', organisations: stored.value.organisations }, resource))) return { ok: false, result: msg(r.notInvited) };
  const invitee = stored.value.invitees?.find((i) => i.userId === actor.id);
  if (!invitee) return { ok: false, result: await refuse(ctx, actor, KERNGROEP_VERBS.summons, resource, 'not-invited', r.notInvited) };
  return { ok: true, stored, invitee };
}

/** `kerngroep.summons`: the invitee's current summons (the card's refresh, for the invitee only). */
async function viewSummons(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = meetingIdOnly.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, KERNGROEP_VERBS.summons, 'unknown', 'forged', r.forged);
  const g = await summonsGate(ctx, actor, parsed.data.meetingId);
  return g.ok ? asCard(summonsCardFor(ctx, g.stored.value, g.invitee)) : g.result;
}

/**
 * Records an answer to the summons with `ifEtag` (several invitees answering at once are
 * serialised) and, for a new substitute, stores their own summons in the same commit. The card is
 * replaced in place by the current summons.
 */
async function respond(ctx: AppContext, actor: Actor, meetingId: string, input: ReturnType<typeof summonsInput>): Promise<CardActionResult> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const g = await summonsGate(ctx, actor, meetingId);
    if (!g.ok) return g.result;
    const m = g.stored.value;
    const resource = `kerngroep-meeting:${m.id}`;
    const now = ctx.clock.now();
    if (!openForAnswers(answerModel(m), now)) return refuse(ctx, actor, 'kerngroep.respond', resource, 'closed', t.summons.started);
    if (!input.ok) return asCard(summonsCardFor(ctx, m, g.invitee, answerRefusal(input.error)));
    const given = input.make(now);
    const result = recordAnswer(answerModel(m), actor.id, given, now, input.substituteOrganisation);
    if (!result.ok) return refuse(ctx, actor, 'kerngroep.respond', resource, result.error, result.error === 'not-invited' ? r.notInvited : answerRefusal(result.error));
    const updated: KgMeeting = { ...m, invitees: result.invitees };
    const res = await commitWithNotices(
      ctx,
      [
        { op: 'put', key: kerngroepKeys.meeting(m.id), value: updated, ifEtag: g.stored.etag },
        auditOp({ actor: actor.id, action: 'kerngroep.respond', resource, outcome: 'allow', reason: given.kind }),
      ],
      result.newInvitee ? [summonsNotice(ctx, updated, result.newInvitee)] : [],
    );
    if (!res.ok) continue;
    ctx.log.info({ event: 'kerngroep.summons-answer', userId: actor.id, meetingId: m.id, answer: given.kind, substitute: Boolean(result.newInvitee) }, 'summons answered');
    return asCard(summonsCardFor(ctx, updated, result.invitees.find((i) => i.userId === actor.id)!));
  }
  return msg(r.busy);
}

/** `kerngroep.rsvp`: aanwezig, or verhinderd with a reason (the casusoverleg's `meeting.rsvp` data). */
async function rsvp(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = rsvpData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.respond', 'unknown', 'forged', r.forged);
  return respond(ctx, actor, parsed.data.meetingId, summonsInput(ctx, parsed.data.answer, parsed.data));
}

/** `kerngroep.substitute`: a colleague of the same organisation goes instead, with a summons of their own. */
async function sendSubstitute(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = substituteData.safeParse(data);
  if (!parsed.success) return refuse(ctx, actor, 'kerngroep.respond', 'unknown', 'forged', r.forged);
  return respond(ctx, actor, parsed.data.meetingId, summonsInput(ctx, 'vervanger', parsed.data));
}

// --- jobs -----------------------------------------------------------------------------------------

const reminderPayload = z.object({ meetingId: z.string().uuid(), slot: z.string().min(1).max(20) }).strict();

async function runReminder(ctx: AppContext, payload: unknown): Promise<JobOutcome> {
  const parsed = reminderPayload.safeParse(payload);
  if (!parsed.success) return { status: 'failed', reason: 'malformed kerngroep reminder' };
  const m = await loadMeeting(ctx, parsed.data.meetingId);
  if (!m) return { status: 'done' };
  await notify(ctx, [...reminderNotices(ctx, m.value, parsed.data.slot), ...summonsReminders(ctx, m.value, parsed.data.slot)]);
  return { status: 'done' };
}

/**
 * The summons again, with a reminder on top, for every invitee who has not answered it (attend,
 * send a substitute, or decline) — at the same moments as the yes/no reminders, while answers are open.
 */
function summonsReminders(ctx: AppContext, m: KgMeeting, slot: string): Notice[] {
  if (!openForAnswers(answerModel(m), ctx.clock.now())) return [];
  return (m.invitees ?? [])
    .filter((i) => !i.answer)
    .map((i) => ({
      id: `kg-summons-reminder:${m.id}:${slot}:${i.userId}`,
      recipient: i.userId,
      message: { kind: 'card', summary: t.summons.reminderSummary, card: summonsCardFor(ctx, m, i, nl.meetings.summons.reminderNoAnswer) },
      reportFailureTo: m.chair,
      about: t.summons.reminderAbout(when(ctx, m.start)),
    }));
}

async function runAfter(ctx: AppContext, payload: unknown): Promise<JobOutcome> {
  const parsed = z.object({ meetingId: z.string().uuid() }).strict().safeParse(payload);
  if (!parsed.success) return { status: 'failed', reason: 'malformed kerngroep after-meeting job' };
  const m = await loadMeeting(ctx, parsed.data.meetingId);
  if (!m) return { status: 'done' };
  const cases = (await ctx.store.getMany<Case>([...new Set(m.value.persons.map((p) => p.caseId))].map(keys.case))).filter((c) => c !== undefined).map((c) => c.value);
  const notices: Notice[] = cases.flatMap((c) =>
    (ctx.directory.district(c.district)?.wijkmanagers ?? []).map((u) => ({
      id: `kg-discussed:${m.value.id}:${c.id}:${u}`,
      recipient: u,
      message: { kind: 'text', text: t.notices.discussed(c.ref) } as OutgoingMessage,
      about: t.notices.about(c.ref),
    })),
  );
  await notify(ctx, notices);
  return { status: 'done' };
}

export function registerKerngroepJobs(jobs: Jobs, ctx: AppContext, opts: Partial<KerngroepOptions> = {}): void {
  options = { ...DEFAULT_KERNGROEP_OPTIONS, ...opts };
  jobs.register(KERNGROEP_REMINDER_JOB, (run) => runReminder(ctx, run.payload));
  jobs.register(KERNGROEP_AFTER_JOB, (run) => runAfter(ctx, run.payload));
}

// --- facts for the escalation rules ---------------------------------------------------------------

export const kerngroepFacts = {
  kerngroepColour: async (ctx: AppContext, personKey: string): Promise<Colour | undefined> =>
    (await ctx.store.get<{ colour: Colour }>(kerngroepKeys.person(personKey)))?.value.colour,
  groupRegistration: async (ctx: AppContext, caseId: string): Promise<{ persons: number; registered: number } | undefined> => {
    const c = await ctx.store.get<Case>(keys.case(caseId));
    if (!c || c.value.subject !== 'groep') return undefined;
    const entries = await ctx.store.range(indexes.caseSignals(caseId), -Infinity, Infinity, { limit: 500 });
    const signals = (await ctx.store.getMany<Signal>(entries.map((e) => keys.signal(e.member)))).filter((s) => s !== undefined);
    const persons = new Set(signals.map((s) => s.value.personKey).filter((k): k is string => !!k));
    const regEntries = await ctx.store.range(kerngroepIndexes.caseRegistrations(caseId), -Infinity, Infinity);
    const regs = (await ctx.store.getMany<Registration>(regEntries.map((e) => kerngroepKeys.registration(e.member)))).filter((x) => x !== undefined);
    // A registration the chair returned to the wijkmanager does not count as registered.
    const registered = new Set(regs.filter((g) => g.value.status !== 'teruggegeven').flatMap((g) => g.value.persons.map((p) => p.personKey)));
    if (persons.size === 0) return undefined;
    return { persons: persons.size, registered: [...persons].filter((k) => registered.has(k)).length };
  },
};

// --- the feature ----------------------------------------------------------------------------------

export const kerngroepFeature: Feature = {
  commands: [
    {
      name: 'kerngroep',
      match: /^kerngroep(\s+aanmelden(\s+\S+)?)?$/,
      run: async (ctx, actor, text) => {
        const ref = /^kerngroep\s+aanmelden\s+(\S+)$/.exec(text)?.[1]?.toUpperCase();
        if (ref) {
          const c = await loadCaseByRef(ctx, ref);
          if (!c) return [{ kind: 'text', text: r.caseNotFound(escapeText(ref.slice(0, 30))) }];
          const res = await openRegisterForm(ctx, actor, c.value);
          return [res.kind === 'card' ? { kind: 'card', card: res.card } : { kind: 'text', text: res.text }];
        }
        if (isAllowed(decide(actor, 'kerngroep.chair', { type: 'system' }))) return [{ kind: 'card', card: await chairOverview(ctx) }];
        return [{ kind: 'text', text: t.help }];
      },
    },
  ],
  actions: [
    { verb: KERNGROEP_VERBS.registerForm, run: openRegisterDetails },
    { verb: KERNGROEP_VERBS.register, run: register },
    { verb: KERNGROEP_VERBS.decide, run: decideRegistration },
    { verb: KERNGROEP_VERBS.plan, run: plan },
    { verb: KERNGROEP_VERBS.agendaForm, run: viewAgendaForm },
    { verb: KERNGROEP_VERBS.agenda, run: setAgenda },
    { verb: KERNGROEP_VERBS.colour, run: changeColour },
    { verb: KERNGROEP_VERBS.inquiry, run: viewInquiry },
    { verb: KERNGROEP_VERBS.answer, run: answer },
    { verb: KERNGROEP_VERBS.matrix, run: viewMatrix },
    { verb: KERNGROEP_VERBS.remind, run: remind },
    { verb: KERNGROEP_VERBS.reopen, run: reopen },
    { verb: KERNGROEP_VERBS.summons, run: viewSummons },
    { verb: KERNGROEP_VERBS.rsvp, run: rsvp },
    { verb: KERNGROEP_VERBS.substitute, run: sendSubstitute },
  ],
};
