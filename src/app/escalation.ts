import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decide, isAllowed, type DenyReason, type Level } from '../domain/access.js';
import { actorFromDirectory, hasRole, type Actor } from '../domain/actor.js';
import { caseFacts, changeLevel, closeCase, directorOf, type CloseError, type LevelChangeError } from '../domain/case.js';
import {
  checkAanmelding,
  checkAfschalenSignaal,
  checkDoorgezet,
  checkErnstigAfstemming,
  checkGroepOpgeschaald,
  checkHuisbezoekCriterium,
  checkKerngroepCriterium,
  checkMeerderePartijen,
  checkVakerOpPlek,
  COUNT_RULES,
  formatNoticeDate,
  MAX_SHOWN_DATES,
  windowFor,
  type Colour,
  type Effect,
  type EscalationRules,
  type Explanation,
  type Recipient,
  type RuleDecision,
  type RuleId,
  type Window,
} from '../domain/escalation.js';
import { CASE_REF, LEVELS, LIMITS, caseSchema, type Case, type PassOn, type Signal } from '../domain/signal.js';
import { escapeText } from '../cards/escape.js';
import { ESCALATION_VERBS, REASON_INPUTS, closeCaseCard, noticeCard, ruleTitle, type NoticeAction, type NoticeView } from '../cards/notice-cards.js';
import { nl } from '../i18n/nl.js';
import { formatMoment } from '../i18n/format.js';
import type { AdaptiveCard, JobRun, OutgoingMessage, Versioned, WriteOp } from '../ports.js';
import { auditDecision, auditOp } from './audit.js';
import type { AppContext } from './context.js';
import {
  ESCALATION_EVALUATE_JOB,
  ESCALATION_INBOX,
  ESCALATION_SIGNAL_JOB,
  escalationTriggerSchema,
  evaluateEscalations,
  type CommittedSignal,
  type EscalationTrigger,
  type SignalTrigger,
} from './escalation-trigger.js';
import { RECOVER_GRACE_MS, type Notice, type SettledNotice } from './outbox.js';
import type { CardActionResult, Feature } from './routes.js';
import { indexes, keys } from './signals.js';
import { batchingReads } from './batching-reads.js';

export { evaluateEscalations, ESCALATION_EVALUATE_JOB, ESCALATION_INBOX, type EscalationTrigger };

/**
 * Escalation thresholds (§3–5, §9): evaluation, de-duplication, re-arming, the notices and what
 * their recipients do with them.
 *
 * - Evaluation: after every change that can cross a threshold (`evaluateEscalations`, a job) and by
 *   a periodic sweep (time-based rules). Facts come from time indexes with `store.count` / a bounded
 *   `store.range` — O(log n) per rule whatever the history — and go into the pure checks of
 *   src/domain/escalation.ts.
 * - De-duplication: a rule fires once per (rule, subject): the marker `escalation-fired:<rule>:<subject>`
 *   is written with `ifAbsent` in the same atomic commit as the notices (transactional outbox), so two
 *   instances evaluating at once store one firing and one set of notices. A marker is removed
 *   (re-armed) when an evaluation finds the condition no longer holds (the count fell below the
 *   threshold), and when the case is de-escalated.
 * - A notice proposes; only a human decision with a reason (`changeCaseLevel`) changes a level.
 */

// --- store layout ---------------------------------------------------------------------------------

export const escalationKeys = {
  /** Present while a rule has fired for a subject and is not re-armed. */
  fired: (rule: RuleId, subject: string) => `escalation-fired:${rule}:${subject}`,
  /** One firing: what it explained, to whom, and what was done with it. Kept after re-arming. */
  firing: (firingId: string) => `escalation-firing:${firingId}`,
} as const;

export const escalationIndexes = {
  /** Active markers of count rules (member: marker key), scored by when they fired: what the sweep re-checks. */
  fired: 'escalation-fired',
  /** Active markers per case: re-armed together when the case is de-escalated. */
  caseFired: (caseId: string) => `escalation-fired-case:${caseId}`,
  /** Cases above hinder, scored by their last level change: the afschalen sweep's worklist. */
  escalatedCases: 'cases-escalated',
  /** Every firing about a case (member: firing id), kept after re-arming: what retention deletes with the case. */
  caseFirings: (caseId: string) => `case-firings:${caseId}`,
  /** Closed cases, scored by when they were closed (ms): the retention job's worklist (src/app/retention.ts). */
  closedCases: 'cases-closed',
} as const;

/** The markers of the rules about a person (§5), whatever case they fired for: erasure removes them. */
export function personMarkerKeys(personKey: string): string[] {
  return (['kerngroep-criterium', 'huisbezoek-criterium'] as const).map((rule) => escalationKeys.fired(rule, subjects.person(personKey)));
}

export const ESCALATION_SWEEP_JOB = 'escalation.sweep';
/** How often, and how far apart, a signal's evaluation looks for a signal not stored yet. */
const SIGNAL_WAIT_RUNS = 3;
const SIGNAL_WAIT_MS = 1_000;

/** The inbox recovery (signals whose evaluation did not finish where they were stored). */
export const ESCALATION_INBOX_JOB = 'escalation.inbox';
/** How often the inbox recovery looks. */
export const INBOX_EVERY_MS = 30_000;
/** A signal younger than this is still being evaluated where it was stored: the recovery leaves it. */
export const INBOX_GRACE_MS = 10_000;
/** Inbox entries read at a time by the recovery. */
const INBOX_PAGE = 500;
/** Failed evaluations after which one recovery run gives up (the store is down): the next run goes on. */
const INBOX_MAX_ERRORS = 3;

/** Where the subject of a firing lives, so the sweep can evaluate it again. */
interface SubjectParams {
  district?: string;
  locationKey?: string;
  location?: string;
  personKey?: string;
  passOnId?: string;
}

interface Marker extends SubjectParams {
  rule: RuleId;
  subject: string;
  firingId: string;
  caseId: string;
  firedAt: string;
}

interface FiringAction {
  action: NoticeAction;
  by: string;
  at: string;
  reason?: string;
}

export interface FiringRecord extends SubjectParams {
  firingId: string;
  rule: RuleId;
  subject: string;
  caseId: string;
  caseRef: string;
  levelAtFiring: Level;
  personSubject: boolean;
  /** The explanation with dates as ISO strings. */
  explanation: Record<string, unknown>;
  recipients: string[];
  noticeIds: string[];
  firedAt: string;
  actions: FiringAction[];
  /** The terminal action (take direction, de-escalate, dismiss) and its text for the card. */
  handled?: { action: NoticeAction; by: string; at: string; text: string };
}

// --- setup: rules and the facts later features supply ------------------------------------------------

/** Facts owned by later features; until they exist the rules that need them do not fire. */
export interface LaterFacts {
  /** Effects reported in feedback on the case's interventions (feedback feature). */
  interventionEffects?(ctx: AppContext, caseId: string): Promise<Effect[] | undefined>;
  /** Kerngroep colour of the person with this person key (Kerngroep feature). */
  kerngroepColour?(ctx: AppContext, personKey: string): Promise<Colour | undefined>;
  /** Persons of a group case and how many are registered with the Kerngroep (Kerngroep feature). */
  groupRegistration?(ctx: AppContext, caseId: string): Promise<{ persons: number; registered: number } | undefined>;
}

/** Flows of later features a notice's buttons open; until they exist the request is recorded. */
export interface NoticeHooks {
  planMeeting?(ctx: AppContext, actor: Actor, c: Case): Promise<CardActionResult>;
  registerKerngroep?(ctx: AppContext, actor: Actor, c: Case): Promise<CardActionResult>;
}

export interface EscalationSetup {
  rules: EscalationRules;
  facts?: LaterFacts;
  hooks?: NoticeHooks;
}

// --- helpers --------------------------------------------------------------------------------------

const t = nl.escalation;

/** Opaque, short and log-safe: subjects end up in keys, notice ids and log lines. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 24);
}

const subjects = {
  location: (district: string, locationKey: string) => `loc:${district}:${digest(locationKey)}`,
  person: (personKey: string) => `person:${digest(personKey)}`,
  case: (caseId: string) => `case:${caseId}`,
  passOn: (passOnId: string) => `pass-on:${passOnId}`,
  registration: (id: string) => `registration:${digest(id)}`,
};

const DATE_FIELDS = new Set(['lastAt', 'at', 'lastSignalAt', 'since']);

function storeExplanation(e: Explanation): Record<string, unknown> {
  return JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
}

function reviveExplanation(stored: Record<string, unknown>): Explanation {
  const walk = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, key === 'dates' ? 'dates' : undefined));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, walk(v, k)]));
    }
    if (typeof node === 'string' && key !== undefined && (DATE_FIELDS.has(key) || key === 'dates')) return new Date(node);
    return node;
  };
  return walk(stored) as Explanation;
}

function districtName(ctx: AppContext, id: string): string {
  return ctx.directory.district(id)?.name ?? id;
}

function organisationName(ctx: AppContext, id: string): string {
  return ctx.directory.organisation(id)?.name ?? id;
}

const formatAt = (ctx: AppContext, at: Date | string): string => formatMoment(at, ctx.timeZone);

/** When the case reached its current level: the last level change, else its creation. */
function levelSince(c: Case): Date {
  for (let i = c.events.length - 1; i >= 0; i--) {
    const e = c.events[i]!;
    if (e.type === 'level-changed') return new Date(e.at);
  }
  return new Date(c.createdAt);
}

/** Most recent scores in [from, to], newest first, at most `limit`. */
async function recentScores(ctx: AppContext, index: string, from: Date, to: Date, limit = MAX_SHOWN_DATES): Promise<Date[]> {
  const entries = await ctx.store.range(index, from.getTime(), to.getTime(), { limit, reverse: true });
  return entries.map((e) => new Date(e.score));
}

/** The number of scores in [from, to] and the most recent of them, in one question to the store. */
async function countAndRecent(ctx: AppContext, index: string, from: Date, to: Date): Promise<{ count: number; recent: Date[] }> {
  const [summary] = await ctx.store.summarise([{ index, min: from.getTime(), max: to.getTime(), latest: MAX_SHOWN_DATES }]);
  return { count: summary!.count, recent: summary!.latest.map((e) => new Date(e.score)) };
}

/** Users behind symbolic recipients, each checked against the access policy for this case. */
function resolveRecipients(ctx: AppContext, notify: readonly Recipient[], c: Case): string[] {
  const ids = new Set<string>();
  for (const r of notify) {
    if (r === 'wijkmanager') ctx.directory.district(c.district)?.wijkmanagers.forEach((u) => ids.add(u));
    else if (r === 'voorzitter' || r === 'regisseur-it') ctx.directory.usersWithRole(r).forEach((u) => ids.add(u.id));
    else if (r === 'regievoerder') directorUsers(ctx, c).forEach((u) => ids.add(u));
    else ids.add(r.slice('user:'.length));
  }
  const facts = { type: 'case' as const, case: caseFacts(c) };
  return [...ids].filter((id) => {
    const actor = actorFromDirectory(ctx.directory, id);
    const ok = actor !== undefined && isAllowed(decide(actor, 'escalation.receive', facts));
    if (!ok) ctx.log.warn({ event: 'escalation.recipient-skipped', userId: id, caseRef: c.ref }, 'recipient may not receive notices about this case');
    return ok;
  });
}

/** The people who direct the case at its current level (§1). */
function directorUsers(ctx: AppContext, c: Case): string[] {
  const d = directorOf(c);
  return d.kind === 'organisation' ? ctx.directory.contactsOf(d.organisation).map((u) => u.id) : [...(ctx.directory.district(d.district)?.wijkmanagers ?? [])];
}

/** Who hears about a notice that cannot be delivered: a director of the case other than the recipient. */
function failureContact(ctx: AppContext, c: Case, recipient: string, preferred?: string): string | undefined {
  if (preferred && preferred !== recipient && ctx.directory.user(preferred)) return preferred;
  return directorUsers(ctx, c).find((u) => u !== recipient);
}

const RULE_ACTIONS: Record<RuleId, readonly NoticeAction[]> = {
  'meerdere-partijen': ['takeDirection', 'planMeeting', 'dismiss'],
  'vaker-op-plek': ['takeDirection', 'planMeeting', 'dismiss'],
  doorgezet: ['takeDirection', 'planMeeting', 'dismiss'],
  'kerngroep-criterium': ['registerKerngroep', 'planMeeting', 'dismiss'],
  aanmelding: ['planMeeting', 'dismiss'],
  // §5: the chair hands the person's case to the Interventieteam (the button is the chair's only).
  'huisbezoek-criterium': ['handToInterventieteam', 'planMeeting', 'dismiss'],
  'groep-opgeschaald': ['takeDirection', 'planMeeting', 'dismiss'],
  'ernstig-afstemming': ['planMeeting', 'dismiss'],
  'afschalen-signaal': ['deescalate', 'planMeeting', 'dismiss'],
};

/** Who may hand a case to the Interventieteam: a decision of the Kerngroep chair (§5; access policy 'kerngroep.chair'). */
const mayHandOver = (viewer: Actor | undefined) => viewer !== undefined && isAllowed(decide(viewer, 'kerngroep.chair', { type: 'system' }));

function actionsFor(rule: RuleId, level: Level, viewer?: Actor): NoticeAction[] {
  // Taking over direction is escalating to overlast (§3); for a whole group it is the chair's procesregie (§5).
  return RULE_ACTIONS[rule]
    .filter((a) => a !== 'takeDirection' || level === 'hinder' || rule === 'groep-opgeschaald')
    .filter((a) => a !== 'handToInterventieteam' || mayHandOver(viewer));
}

/** The notice as `viewer` sees it (the buttons depend on their role); without a viewer, no role-bound buttons. */
function viewOf(ctx: AppContext, firing: FiringRecord, level: Level, extra: Partial<Pick<NoticeView, 'error' | 'handled'>> = {}, viewer?: Actor): NoticeView {
  return {
    firingId: firing.firingId,
    explanation: reviveExplanation(firing.explanation),
    caseRef: firing.caseRef,
    districtName: districtName(ctx, firing.district ?? ''),
    ...(firing.location !== undefined ? { location: firing.location } : {}),
    level,
    personSubject: firing.personSubject,
    actions: actionsFor(firing.rule, level, viewer),
    ...(firing.handled ? { handled: firing.handled.text } : {}),
    ...extra,
    formatDate: (d) => formatNoticeDate(d, ctx.timeZone),
    organisationName: (id) => organisationName(ctx, id),
  };
}

// --- firing and re-arming ---------------------------------------------------------------------------

interface FireContext extends SubjectParams {
  c: Case;
  personSubject?: boolean;
  /** For doorgezet: the partner who passed it on hears about delivery problems. */
  reportTo?: string;
  ref?: Notice['ref'];
}

type ApplyResult = 'fired' | 'already-fired' | 'no-recipients' | 'rearmed' | 'nothing';

/**
 * Fires (once per rule and subject) or re-arms, as the decision says. The decision may still be
 * coming (its facts being read): the marker is read meanwhile, so a rule costs one round trip to
 * the store for its facts and marker together.
 */
async function apply(
  ctx: AppContext,
  setup: EscalationSetup,
  rule: RuleId,
  subject: string,
  pending: RuleDecision | Promise<RuleDecision>,
  fc: FireContext,
): Promise<ApplyResult> {
  const markerKey = escalationKeys.fired(rule, subject);
  const [marker, decision] = await Promise.all([ctx.store.get<Marker>(markerKey), pending]);
  if (!decision.fire) {
    if (marker && (decision.why === 'below-threshold' || decision.why === 'not-applicable')) {
      await rearm(ctx, markerKey, marker, 'condition-cleared');
      return 'rearmed';
    }
    return 'nothing';
  }
  if (marker) return 'already-fired';

  const { c } = fc;
  const recipients = resolveRecipients(ctx, setup.rules.rules[rule].notify, c);
  if (recipients.length === 0) {
    ctx.log.warn({ event: 'escalation.no-recipients', rule, caseRef: c.ref }, 'threshold reached but nobody to tell');
    return 'no-recipients';
  }
  const now = ctx.clock.now();
  const firingId = randomUUID();
  const params: SubjectParams = {
    district: fc.district ?? c.district,
    ...(fc.locationKey !== undefined ? { locationKey: fc.locationKey } : {}),
    ...(fc.location !== undefined ? { location: fc.location } : {}),
    ...(fc.personKey !== undefined ? { personKey: fc.personKey } : {}),
    ...(fc.passOnId !== undefined ? { passOnId: fc.passOnId } : {}),
  };
  const noticeIds = recipients.map((u) => `escalation:${rule}:${firingId}:${u}`);
  const firing: FiringRecord = {
    firingId,
    rule,
    subject,
    caseId: c.id,
    caseRef: c.ref,
    levelAtFiring: c.level,
    personSubject: fc.personSubject ?? false,
    explanation: storeExplanation(decision.explanation),
    recipients,
    noticeIds,
    firedAt: now.toISOString(),
    actions: [],
    ...params,
  };
  const about = t.delivery.about(ruleTitle(rule), c.ref);
  const notices: Notice[] = recipients.map((u, i) => {
    const reportTo = failureContact(ctx, c, u, fc.reportTo);
    // One card per recipient: some buttons are bound to a role (handing over: the chair's).
    const card = noticeCard(viewOf(ctx, firing, c.level, {}, actorFromDirectory(ctx.directory, u)));
    return {
      id: noticeIds[i]!,
      recipient: u,
      message: { kind: 'card', card, summary: t.card.summary(ruleTitle(rule), c.ref) },
      about,
      ...(reportTo ? { reportFailureTo: reportTo } : {}),
      ...(fc.ref ? { ref: fc.ref } : {}),
    };
  });
  const markerValue: Marker = { rule, subject, firingId, caseId: c.id, firedAt: firing.firedAt, ...params };
  const staged = ctx.outbox.stage?.(notices);
  const result = await ctx.store.commit([
    { op: 'put', key: markerKey, value: markerValue, ifAbsent: true },
    { op: 'put', key: escalationKeys.firing(firingId), value: firing, ifAbsent: true },
    // Only rules whose count can fall again need the sweep; the others re-arm with the case.
    ...(COUNT_RULES.includes(rule) ? [{ op: 'index', index: escalationIndexes.fired, member: markerKey, score: now.getTime() } as const] : []),
    { op: 'index', index: escalationIndexes.caseFired(c.id), member: markerKey, score: now.getTime() },
    { op: 'index', index: escalationIndexes.caseFirings(c.id), member: firingId, score: now.getTime() },
    ...(staged?.ops ?? []),
    auditOp({ actor: 'system', action: 'escalation.fire', resource: `case:${c.ref}`, outcome: 'allow', reason: rule }),
  ]);
  if (!result.ok) {
    // Another instance fired this rule for this subject at the same moment: its notices go out.
    ctx.log.info({ event: 'escalation.fire-lost', rule, caseRef: c.ref }, 'rule fired concurrently elsewhere');
    return 'already-fired';
  }
  if (staged) await staged.dispatch();
  else for (const n of notices) await ctx.outbox.send(n);
  ctx.log.info({ event: 'escalation.fired', rule, caseRef: c.ref, firingId, recipients: recipients.length }, 'escalation notice queued');
  return 'fired';
}

async function rearm(ctx: AppContext, markerKey: string, stored: Versioned<Marker>, why: string): Promise<void> {
  const marker = stored.value;
  // ifEtag: only the marker this evaluation looked at; one that fired again meanwhile stays.
  const result = await ctx.store.commit([
    { op: 'delete', key: markerKey, ifEtag: stored.etag },
    { op: 'unindex', index: escalationIndexes.fired, member: markerKey },
    { op: 'unindex', index: escalationIndexes.caseFired(marker.caseId), member: markerKey },
    auditOp({ actor: 'system', action: 'escalation.rearm', resource: `case-id:${marker.caseId}`, outcome: 'allow', reason: `${marker.rule}: ${why}` }),
  ]);
  if (!result.ok) return;
  ctx.log.info({ event: 'escalation.rearmed', rule: marker.rule, why }, 'rule re-armed');
}

/** The writes that re-arm every rule fired about a case (de-escalation), for the level change's commit. */
async function rearmCaseOps(ctx: AppContext, caseId: string): Promise<WriteOp[]> {
  const markers = await ctx.store.range(escalationIndexes.caseFired(caseId), -Infinity, Infinity, { limit: 1000 });
  return markers.flatMap(({ member }): WriteOp[] => [
    { op: 'delete', key: member },
    { op: 'unindex', index: escalationIndexes.fired, member },
    { op: 'unindex', index: escalationIndexes.caseFired(caseId), member },
  ]);
}

// --- evaluation per subject -------------------------------------------------------------------------

async function loadCase(ctx: AppContext, caseId: string): Promise<Case | undefined> {
  return (await ctx.store.get<Case>(keys.case(caseId)))?.value;
}

/** §3 rules about a place: distinct reporting organisations and the number of signals. */
type Place = { district: string; locationKey: string; location: string };

async function evaluateLocation(ctx: AppContext, setup: EscalationSetup, c: Case, place: Place): Promise<void> {
  const { district, locationKey, location } = place;
  const fc: FireContext = { c, district, locationKey, location };
  await Promise.all(locationChecks(ctx, setup, place).map((check) => apply(ctx, setup, check.rule, check.subject, check.decision, fc)));
}

/** The location rules' decisions, their facts being read (one question per count). */
function locationChecks(ctx: AppContext, setup: EscalationSetup, place: Place): { rule: RuleId; subject: string; decision: Promise<RuleDecision> }[] {
  const now = ctx.clock.now();
  const { district, locationKey } = place;
  const subject = subjects.location(district, locationKey);
  const checks: { rule: RuleId; subject: string; decision: Promise<RuleDecision> }[] = [];

  const cfgP = setup.rules.rules['meerdere-partijen'];
  if (cfgP.enabled) {
    const w = windowFor(now, cfgP.window, ctx.timeZone);
    // One ZCOUNT per organisation in the directory (tens), each O(log n), asked as one question.
    const organisations = ctx.directory.organisations;
    const [min, max] = [w.from.getTime(), w.to.getTime()];
    const facts = ctx.store
      .summarise(organisations.map((o) => ({ index: indexes.locationOrgSignals(district, locationKey, o.id), min, max, latest: 1 })))
      .then((answers) =>
        checkMeerderePartijen(cfgP, {
          organisations: answers.map(({ count, latest }, i) => ({
            organisation: organisations[i]!.id,
            count,
            ...(count > 0 && latest[0] ? { lastAt: new Date(latest[0].score) } : {}),
          })),
        }),
      );
    checks.push({ rule: 'meerdere-partijen', subject, decision: facts });
  }

  const cfgV = setup.rules.rules['vaker-op-plek'];
  if (cfgV.enabled) {
    const w = windowFor(now, cfgV.window, ctx.timeZone);
    const facts = countAndRecent(ctx, indexes.locationSignals(district, locationKey), w.from, w.to).then((f) => checkVakerOpPlek(cfgV, f));
    checks.push({ rule: 'vaker-op-plek', subject, decision: facts });
  }
  return checks;
}

/** Most signals of a case read to find its persons (a case has tens, rarely hundreds). */
const CASE_PERSONS_SCAN = 2_000;

/**
 * Every person of a case: the distinct person keys of its signals (a signal about a second person
 * joins the case of the place, so `c.personKey` is only the first person's).
 */
export async function casePersonKeys(ctx: AppContext, c: Case): Promise<string[]> {
  const entries = await ctx.store.range(indexes.caseSignals(c.id), -Infinity, Infinity, { limit: CASE_PERSONS_SCAN });
  const signals = await ctx.store.getMany<Signal>(entries.map((e) => keys.signal(e.member)));
  const found = new Set<string>(c.personKey ? [c.personKey] : []);
  for (const s of signals) if (s?.value.personKey) found.add(s.value.personKey);
  return [...found].sort();
}

/**
 * §5 rules about persons of a case, for each affected person (`personKeys`; default: every person of
 * the case): the Kerngroep criterion and the home-visit criterion. Each person is its own subject.
 */
async function evaluatePersons(ctx: AppContext, setup: EscalationSetup, c: Case, personKeys?: readonly string[]): Promise<void> {
  const persons = personKeys ?? (await casePersonKeys(ctx, c));
  for (const personKey of new Set(persons)) await evaluatePerson(ctx, setup, c, personKey);
}

async function evaluatePerson(ctx: AppContext, setup: EscalationSetup, c: Case, personKey: string): Promise<void> {
  const now = ctx.clock.now();
  const subject = subjects.person(personKey);
  const fc: FireContext = { c, personKey, personSubject: true };
  const checks: Promise<unknown>[] = [];

  const cfgK = setup.rules.rules['kerngroep-criterium'];
  if (cfgK.enabled) {
    const w = windowFor(now, cfgK.window, ctx.timeZone);
    const facts = Promise.all([
      countAndRecent(ctx, indexes.personPolice(personKey), w.from, w.to),
      c.level === 'overlast' ? setup.facts?.interventionEffects?.(ctx, c.id) : undefined,
    ]).then(([policeContacts, effects]) => checkKerngroepCriterium(cfgK, { level: c.level, policeContacts, ...(effects ? { effects } : {}) }));
    checks.push(apply(ctx, setup, 'kerngroep-criterium', subject, facts, fc));
  }

  const cfgH = setup.rules.rules['huisbezoek-criterium'];
  if (cfgH.enabled) {
    const w = windowFor(now, cfgH.window, ctx.timeZone);
    const facts = Promise.all([setup.facts?.kerngroepColour?.(ctx, personKey), countAndRecent(ctx, indexes.personSignals(personKey), w.from, w.to)]).then(
      ([colour, signals]) => checkHuisbezoekCriterium(cfgH, { ...(colour ? { colour } : {}), signals: colour === undefined ? { count: 0, recent: [] } : signals }),
    );
    checks.push(apply(ctx, setup, 'huisbezoek-criterium', subject, facts, fc));
  }
  await Promise.all(checks);
}

/** §9 no new signals on an escalated case for the quiet period. */
async function evaluateAfschalen(ctx: AppContext, setup: EscalationSetup, c: Case): Promise<void> {
  const cfg = setup.rules.rules['afschalen-signaal'];
  if (!cfg.enabled) return;
  const { window, counts } = afschalenFacts(ctx, setup, c.id);
  const facts = counts.then(([signalsInWindow, [lastSignalAt]]) =>
    checkAfschalenSignaal(cfg, {
      level: c.level,
      signalsInWindow,
      ...(lastSignalAt ? { lastSignalAt } : {}),
      levelSince: levelSince(c),
      window,
    }),
  );
  await apply(ctx, setup, 'afschalen-signaal', subjects.case(c.id), facts, { c });
}

/** afschalen-signaal's facts, being read: signals in the quiet window and the newest signal. */
function afschalenFacts(ctx: AppContext, setup: EscalationSetup, caseId: string): { window: Window; counts: Promise<[number, Date[]]> } {
  const now = ctx.clock.now();
  const window = windowFor(now, setup.rules.rules['afschalen-signaal'].quiet, ctx.timeZone);
  const index = indexes.caseSignals(caseId);
  return { window, counts: Promise.all([ctx.store.count(index, window.from.getTime(), window.to.getTime()), recentScores(ctx, index, new Date(0), now, 1)]) };
}

/**
 * Issues the reads the location rules and afschalen-signaal will make for a new signal, while the
 * signal and its case are read: with a view that remembers (`batchingReads(…, { remember: true })`)
 * and a clock that stands still, the evaluation then finds every answer in, one round trip in all.
 * Nothing is decided here; a signal that turns out gone (or a closed case) just wasted the reads.
 */
function readAhead(ctx: AppContext, setup: EscalationSetup, place: Place, caseId: string): void {
  const reads: Promise<unknown>[] = [];
  for (const check of locationChecks(ctx, setup, place)) reads.push(check.decision, ctx.store.get(escalationKeys.fired(check.rule, check.subject)));
  if (setup.rules.rules['afschalen-signaal'].enabled) {
    reads.push(afschalenFacts(ctx, setup, caseId).counts, ctx.store.get(escalationKeys.fired('afschalen-signaal', subjects.case(caseId))));
  }
  // Whoever asks again gets the same answer, failures included; these copies are not waited for.
  Promise.all(reads).catch(() => undefined);
}

async function evaluateCaseLevel(ctx: AppContext, setup: EscalationSetup, c: Case): Promise<void> {
  const cfg = setup.rules.rules['ernstig-afstemming'];
  await apply(ctx, setup, 'ernstig-afstemming', subjects.case(c.id), checkErnstigAfstemming(cfg, { level: c.level, since: levelSince(c) }), { c });
}

async function evaluateGroup(ctx: AppContext, setup: EscalationSetup, c: Case): Promise<void> {
  const cfg = setup.rules.rules['groep-opgeschaald'];
  if (!cfg.enabled || c.subject !== 'groep') return;
  const group = await setup.facts?.groupRegistration?.(ctx, c.id);
  await apply(ctx, setup, 'groep-opgeschaald', subjects.case(c.id), checkGroepOpgeschaald(cfg, { ...(group ? { group } : {}) }), { c });
}

interface StoredPassOn extends PassOn {
  caseId: string;
  caseRef: string;
  district: string;
}

/** §3 a partner passed the case on: the wijkmanager is told, through the outbox. */
async function evaluatePassOn(ctx: AppContext, setup: EscalationSetup, passOnId: string): Promise<void> {
  const stored = await ctx.store.get<StoredPassOn>(keys.passOn(passOnId));
  if (!stored) return;
  const c = await loadCase(ctx, stored.value.caseId);
  if (!c) return;
  const passOn = c.passOns.find((p) => p.id === passOnId);
  if (!passOn) return;
  const decision = checkDoorgezet(setup.rules.rules.doorgezet, {
    passOn: { at: new Date(passOn.at), organisation: passOn.by.organisation, status: passOn.status },
  });
  if (!decision.fire) {
    if (passOn.status !== 'pending-delivery') await ctx.store.commit([{ op: 'unindex', index: indexes.passOnPending, member: passOnId }]);
    return;
  }
  const result = await apply(ctx, setup, 'doorgezet', subjects.passOn(passOnId), decision, {
    c,
    passOnId,
    reportTo: passOn.by.userId,
    ref: { kind: 'pass-on', id: passOnId },
  });
  // Nobody to deliver to (no wijkmanager for the district): the request cannot wait forever.
  if (result === 'no-recipients') await settlePassOn(ctx, passOnId, 'failed');
}

/** Sets a pass-on's delivery status on the case (its timeline shows it) and leaves the pending list. */
async function settlePassOn(ctx: AppContext, passOnId: string, status: 'delivered' | 'failed'): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await ctx.store.get<StoredPassOn>(keys.passOn(passOnId));
    if (!stored) return;
    const current = await ctx.store.get<Case>(keys.case(stored.value.caseId));
    if (!current) return;
    const passOn = current.value.passOns.find((p) => p.id === passOnId);
    if (!passOn || passOn.status !== 'pending-delivery') {
      await ctx.store.commit([{ op: 'unindex', index: indexes.passOnPending, member: passOnId }]);
      return;
    }
    const updated: Case = { ...current.value, passOns: current.value.passOns.map((p) => (p.id === passOnId ? { ...p, status } : p)) };
    const result = await ctx.store.commit([
      { op: 'put', key: keys.case(updated.id), value: updated, ifEtag: current.etag },
      { op: 'put', key: keys.passOn(passOnId), value: { ...stored.value, status }, ifEtag: stored.etag },
      { op: 'unindex', index: indexes.passOnPending, member: passOnId },
      auditOp({ actor: 'system', action: 'case.pass-on.deliver', resource: `case:${updated.ref}`, outcome: status === 'delivered' ? 'allow' : 'error' }),
    ]);
    if (result.ok) {
      ctx.log.info({ event: 'case.pass-on.settled', caseRef: updated.ref, passOnId, status }, 'pass-on delivery settled');
      return;
    }
  }
  throw new Error(`Unexpected: pass-on ${passOnId} kept changing while recording its delivery`);
}

/** Outbox listener: a doorgezet notice was delivered or failed. Delivered to anyone counts as delivered. */
async function onPassOnNoticeSettled(ctx: AppContext, settled: SettledNotice): Promise<void> {
  if (settled.state === 'delivered') return settlePassOn(ctx, settled.ref.id, 'delivered');
  const marker = await ctx.store.get<Marker>(escalationKeys.fired('doorgezet', subjects.passOn(settled.ref.id)));
  const firing = marker ? await ctx.store.get<FiringRecord>(escalationKeys.firing(marker.value.firingId)) : undefined;
  const ids = firing?.value.noticeIds ?? [settled.id];
  const statuses = await Promise.all(ids.map((id) => ctx.outbox.status(id)));
  if (statuses.some((s) => s?.state === 'delivered')) return settlePassOn(ctx, settled.ref.id, 'delivered');
  if (statuses.every((s) => s?.state === 'failed' || s?.state === 'cancelled')) return settlePassOn(ctx, settled.ref.id, 'failed');
}

// --- the entry point ----------------------------------------------------------------------------------

/**
 * Evaluates the rules a trigger can affect, now. The job handler calls this; tests and later
 * features may too (`evaluateEscalations` schedules it as a job instead).
 */
/**
 * `signal-not-stored`: the trigger's signal is not in the store — its submit failed, or its commit
 * has not landed yet (the submit schedules the evaluation together with the commit).
 */
export type EvaluationOutcome = 'evaluated' | 'signal-not-stored';

export async function evaluateEscalationsNow(ctx: AppContext, setup: EscalationSetup, trigger: EscalationTrigger): Promise<EvaluationOutcome> {
  switch (trigger.type) {
    case 'signal': {
      // Reads issued together go out together: signal and case, then every count and marker — or,
      // when the trigger names the place and case, all of them at once (readAhead), at one instant.
      const now = ctx.clock.now();
      ctx = { ...ctx, clock: { now: () => new Date(now) }, store: batchingReads(ctx.store, { remember: true }) };
      const signalRead = ctx.store.get<Signal>(keys.signal(trigger.signalId));
      const caseRead = trigger.caseId ? loadCase(ctx, trigger.caseId) : undefined;
      if (trigger.place && trigger.caseId) readAhead(ctx, setup, trigger.place, trigger.caseId);
      const [stored, named] = await Promise.all([signalRead, caseRead]);
      const signal = stored?.value;
      if (!signal) return 'signal-not-stored';
      const c = named?.id === signal.caseId ? named : await loadCase(ctx, signal.caseId);
      await evaluateSignalRules(ctx, setup, signal, c);
      return 'evaluated';
    }
    case 'pass-on':
      await evaluatePassOn(ctx, setup, trigger.passOnId);
      return 'evaluated';
    case 'level-change':
    case 'feedback':
    case 'colour': {
      const c = await loadCase(ctx, trigger.caseId);
      if (!c) return 'evaluated';
      if (trigger.type === 'level-change') {
        await evaluateCaseLevel(ctx, setup, c);
        await evaluateAfschalen(ctx, setup, c);
      }
      await evaluatePersons(ctx, setup, c, trigger.personKeys);
      return 'evaluated';
    }
    case 'registration': {
      const c = await loadCase(ctx, trigger.caseId);
      if (!c) return 'evaluated';
      const decision = checkAanmelding(setup.rules.rules.aanmelding, { registeredAt: new Date(trigger.at) });
      await apply(ctx, setup, 'aanmelding', subjects.registration(trigger.registrationId), decision, { c, ...(c.personKey ? { personSubject: true } : {}) });
      await evaluateGroup(ctx, setup, c);
      await evaluatePersons(ctx, setup, c, trigger.personKeys);
      return 'evaluated';
    }
    case 'sweep':
      await sweep(ctx, setup);
      return 'evaluated';
  }
}

/** The rules a stored signal can affect, for the case it joined (nothing when that case is closed or gone). */
async function evaluateSignalRules(ctx: AppContext, setup: EscalationSetup, signal: Signal, c: Case | undefined): Promise<void> {
  if (!c || c.status !== 'open') return;
  // Each rule has its own subject and marker, so they are checked side by side.
  await Promise.all([
    evaluateLocation(ctx, setup, c, { district: signal.district, locationKey: signal.locationKey, location: signal.location }),
    // The signal's (and its police contact's) person: the only one whose counts changed.
    signal.personKey ? evaluatePerson(ctx, setup, c, signal.personKey) : undefined,
    // A new signal ends the quiet period: re-arms a fired afschalen proposal.
    evaluateAfschalen(ctx, setup, c),
  ]);
}

/**
 * A signal's evaluation right after its commit, in the process that made it: the signal and its case
 * as committed are at hand, so they are not read back (one round trip and two parses less). What
 * changed after the commit has its own evaluation (a level change, a later signal).
 */
async function evaluateCommittedSignal(ctx: AppContext, setup: EscalationSetup, signal: Signal, c: Case): Promise<void> {
  const now = ctx.clock.now();
  // Nothing to read first: every rule issues its reads (counts, markers) in the same synchronous
  // stretch, so they leave together without reading ahead — and without remembering answers,
  // which would only cost a key per question here.
  ctx = { ...ctx, clock: { now: () => new Date(now) }, store: batchingReads(ctx.store) };
  await evaluateSignalRules(ctx, setup, signal, c);
}

/**
 * The periodic sweep: the time-based rule (afschalen-signaal) for every escalated case; every fired
 * count rule re-checked (re-armed when its count fell below the threshold while nothing happened at
 * its subject); pass-on requests still waiting; pending notices whose job was lost.
 */
export async function sweep(ctx: AppContext, setup: EscalationSetup): Promise<void> {
  const escalated = await ctx.store.range(escalationIndexes.escalatedCases, -Infinity, Infinity, { limit: 10_000 });
  for (const { member } of escalated) {
    const c = await loadCase(ctx, member);
    if (!c || c.status !== 'open' || c.level === 'hinder') {
      await ctx.store.commit([{ op: 'unindex', index: escalationIndexes.escalatedCases, member }]);
      continue;
    }
    await evaluateAfschalen(ctx, setup, c);
  }

  const fired = await ctx.store.range(escalationIndexes.fired, -Infinity, Infinity, { limit: 10_000 });
  const seen = new Set<string>();
  for (const { member } of fired) {
    const marker = (await ctx.store.get<Marker>(member))?.value;
    if (!marker) {
      await ctx.store.commit([{ op: 'unindex', index: escalationIndexes.fired, member }]);
      continue;
    }
    const c = await loadCase(ctx, marker.caseId);
    if (!c) continue;
    const once = (key: string) => (seen.has(key) ? false : (seen.add(key), true));
    if ((marker.rule === 'meerdere-partijen' || marker.rule === 'vaker-op-plek') && marker.district && marker.locationKey) {
      if (once(`loc:${marker.subject}`)) {
        await evaluateLocation(ctx, setup, c, { district: marker.district, locationKey: marker.locationKey, location: marker.location ?? c.location });
      }
    } else if ((marker.rule === 'kerngroep-criterium' || marker.rule === 'huisbezoek-criterium') && once(`person:${c.id}`)) {
      // Every person of the case (the marker's own person included, even if its signals are gone).
      const persons = await casePersonKeys(ctx, c);
      await evaluatePersons(ctx, setup, c, marker.personKey && !persons.includes(marker.personKey) ? [...persons, marker.personKey] : persons);
    }
  }

  const pending = await ctx.store.range(indexes.passOnPending, -Infinity, Infinity, { limit: 10_000 });
  for (const { member } of pending) await evaluatePassOn(ctx, setup, member);

  const recover = (ctx.outbox as { recover?: (options: { graceMs: number }) => Promise<number> }).recover;
  if (recover) await recover.call(ctx.outbox, { graceMs: RECOVER_GRACE_MS });
}

// --- jobs -------------------------------------------------------------------------------------------

function sweepSlot(now: Date, everyMs: number): number {
  return Math.floor(now.getTime() / everyMs) * everyMs;
}

/**
 * Registers the evaluation and sweep jobs and the pass-on delivery listener. Call before
 * `jobs.start()`; then `startEscalations` schedules the first sweep.
 */
export function registerEscalations(
  ctx: AppContext,
  setup: EscalationSetup,
  outbox: { onSettled(kind: string, listener: (n: SettledNotice) => Promise<void>): void },
): void {
  const everyMs = setup.rules.sweep.everyMinutes * 60_000;
  ctx.jobs.register(ESCALATION_EVALUATE_JOB, async (run: JobRun) => {
    const parsed = escalationTriggerSchema.safeParse(run.payload.trigger);
    if (!parsed.success) return { status: 'failed', reason: 'malformed escalation trigger' };
    const outcome = await evaluateEscalationsNow(ctx, setup, parsed.data);
    // Scheduled together with the signal's commit, the job can be quicker than the commit: it
    // looks again a little later. A signal still missing then was never stored (the submit failed).
    if (outcome === 'signal-not-stored' && run.attempt < SIGNAL_WAIT_RUNS) return { status: 'retry', delayMs: SIGNAL_WAIT_MS, reason: 'signal not stored (yet)' };
    return { status: 'done' };
  });
  // Local runs (evaluateSignalSoon) take the signal out of the inbox when done; those that end
  // together share one commit.
  const leaveInbox = groupedUnindex(ctx, ESCALATION_INBOX);
  ctx.jobs.register(ESCALATION_SIGNAL_JOB, async (run: JobRun) => {
    // From this process's own evaluateSignalSoon (local runs are never stored or sent anywhere).
    const { trigger, committed } = run.payload as { trigger: SignalTrigger; committed?: CommittedSignal };
    if (committed) await evaluateCommittedSignal(ctx, setup, committed.signal, committed.case);
    else await evaluateEscalationsNow(ctx, setup, trigger);
    await leaveInbox(trigger.signalId);
    return { status: 'done' };
  });
  ctx.jobs.register(ESCALATION_INBOX_JOB, async (run: JobRun) => {
    const before = typeof run.payload.before === 'number' ? run.payload.before : undefined;
    if (before === undefined) {
      // The next run first, so that a run that fails does not end the chain (one id per slot).
      const next = sweepSlot(ctx.clock.now(), INBOX_EVERY_MS) + INBOX_EVERY_MS;
      await ctx.jobs.enqueue({ id: `escalation-inbox:${next}`, type: ESCALATION_INBOX_JOB, payload: {}, runAt: new Date(next) });
    }
    // `before` (a start's run): what was stored before this process started, however young.
    await recoverInbox(ctx, setup, before !== undefined ? before - 1 : ctx.clock.now().getTime() - INBOX_GRACE_MS, leaveInbox);
    return { status: 'done' };
  });
  ctx.jobs.register(ESCALATION_SWEEP_JOB, async () => {
    // The next sweep first, so that a sweep that fails does not end the chain. One id per slot:
    // instances that schedule it at the same time schedule it once.
    const next = sweepSlot(ctx.clock.now(), everyMs) + everyMs;
    await ctx.jobs.enqueue({ id: `escalation-sweep:${next}`, type: ESCALATION_SWEEP_JOB, payload: {}, runAt: new Date(next) });
    await evaluateEscalationsNow(ctx, setup, { type: 'sweep' });
    return { status: 'done' };
  });
  outbox.onSettled('pass-on', (n) => onPassOnNoticeSettled(ctx, n));
}

/**
 * Schedules a sweep now (catches up after downtime: recovery, time-based rules), the inbox recovery's
 * chain, and one recovery of every signal stored before this start (a crash's leftovers, however
 * young: their evaluation died with the process).
 */
export async function startEscalations(ctx: AppContext, setup: EscalationSetup): Promise<void> {
  const now = ctx.clock.now();
  const slot = sweepSlot(now, setup.rules.sweep.everyMinutes * 60_000);
  await ctx.jobs.enqueue({ id: `escalation-sweep:${slot}`, type: ESCALATION_SWEEP_JOB, payload: {} });
  const nextInbox = sweepSlot(now, INBOX_EVERY_MS) + INBOX_EVERY_MS;
  await ctx.jobs.enqueue({ id: `escalation-inbox:${nextInbox}`, type: ESCALATION_INBOX_JOB, payload: {}, runAt: new Date(nextInbox) });
  await ctx.jobs.enqueue({ id: `escalation-inbox:start:${randomUUID()}`, type: ESCALATION_INBOX_JOB, payload: { before: now.getTime() } });
}

/**
 * Evaluates the signals in the inbox stored up to `upTo` (ms) and takes them out; a signal that is
 * gone (erased) leaves the inbox too. Stops after a few failed evaluations (the store is down): they
 * stay for the next run.
 */
async function recoverInbox(ctx: AppContext, setup: EscalationSetup, upTo: number, leaveInbox: (member: string) => Promise<void>): Promise<void> {
  let recovered = 0;
  let errors = 0;
  const failed = new Set<string>();
  for (;;) {
    const page = (await ctx.store.range(ESCALATION_INBOX, -Infinity, upTo, { limit: INBOX_PAGE + failed.size })).filter((e) => !failed.has(e.member));
    if (page.length === 0) break;
    for (const { member } of page.slice(0, INBOX_PAGE)) {
      try {
        await evaluateEscalationsNow(ctx, setup, { type: 'signal', signalId: member });
        await leaveInbox(member);
        recovered++;
      } catch (err) {
        failed.add(member);
        ctx.log.error({ event: 'escalation.inbox-failed', err: { message: (err as Error).message } }, 'a signal from the inbox could not be evaluated; the next run tries again');
        if (++errors >= INBOX_MAX_ERRORS) break;
      }
    }
    if (errors >= INBOX_MAX_ERRORS || page.length < INBOX_PAGE) break;
  }
  if (recovered > 0) ctx.log.info({ event: 'escalation.inbox-recovered', count: recovered }, 'signals evaluated from the inbox');
}

/**
 * `unindex` of `index` for members that come in at once, in one commit: a member given while a
 * commit is under way goes with the next one. Resolves when the member's commit is done.
 */
function groupedUnindex(ctx: AppContext, index: string): (member: string) => Promise<void> {
  let batch: string[] | undefined;
  let last: Promise<void> = Promise.resolve();
  return (member) => {
    if (!batch) {
      const mine: string[] = (batch = []);
      last = last.then(
        () => commitBatch(mine),
        () => commitBatch(mine),
      );
    }
    batch.push(member);
    return last;
  };
  async function commitBatch(members: string[]): Promise<void> {
    batch = undefined;
    await ctx.store.commit(members.map((member) => ({ op: 'unindex', index, member })));
  }
}

// --- level changes (human decisions) ------------------------------------------------------------------

export type ChangeLevelOutcome =
  | { outcome: 'changed'; case: Case; from: Level; to: Level }
  | { outcome: 'invalid'; error: LevelChangeError }
  | { outcome: 'denied'; reason: DenyReason }
  | { outcome: 'not-found' }
  | { outcome: 'busy' };

/**
 * Opschalen / afschalen (§1): a decision of the municipality's roles, with a reason, recorded on
 * the case timeline. Keeps the escalated-cases index for the afschalen sweep; a de-escalation
 * re-arms every rule that fired about the case, in the same commit. Then the rules are evaluated
 * (e.g. ernstig-afstemming when the case reaches ernstige overlast).
 */
/**
 * The optimistic loop that level changes and closing share: load the case, ask the policy
 * (`case.change-level`; a denial is audited under `action`), build the commit from the current
 * version, and start again when someone else changed the case in between.
 */
async function updateCase<R>(
  ctx: AppContext,
  actor: Actor,
  caseId: string,
  action: string,
  build: (current: Versioned<Case>, now: Date) => Promise<{ ops: WriteOp[]; after: () => Promise<R> } | { result: R }>,
): Promise<R | { outcome: 'not-found' } | { outcome: 'denied'; reason: DenyReason } | { outcome: 'busy' }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await ctx.store.get<Case>(keys.case(caseId));
    if (!current) return { outcome: 'not-found' };
    const c = current.value;
    const decision = decide(actor, 'case.change-level', { type: 'case', case: caseFacts(c) });
    if (!isAllowed(decision)) {
      await ctx.store.commit([auditOp(auditDecision(actor, action, `case:${c.ref}`, decision))]);
      return { outcome: 'denied', reason: decision.effect === 'deny' ? decision.reason : 'role-required' };
    }
    const plan = await build(current, ctx.clock.now());
    if ('result' in plan) return plan.result;
    if ((await ctx.store.commit(plan.ops)).ok) return plan.after();
  }
  return { outcome: 'busy' };
}

export async function changeCaseLevel(ctx: AppContext, actor: Actor, caseId: string, to: Level, reason: string, via?: string): Promise<ChangeLevelOutcome> {
  return updateCase<ChangeLevelOutcome>(ctx, actor, caseId, 'case.change-level', async (current, now) => {
    const c = current.value;
    const changed = changeLevel(c, { to, reason, by: { userId: actor.id, organisation: actor.organisation.id }, at: now });
    if (!changed.ok) return { result: { outcome: 'invalid', error: changed.error } };
    const ops: WriteOp[] = [
      { op: 'put', key: keys.case(c.id), value: changed.case, ifEtag: current.etag },
      to === 'hinder'
        ? { op: 'unindex', index: escalationIndexes.escalatedCases, member: c.id }
        : { op: 'index', index: escalationIndexes.escalatedCases, member: c.id, score: now.getTime() },
      ...(changed.transition === 'deescalate' ? await rearmCaseOps(ctx, c.id) : []),
      auditOp({ actor: actor.id, action: 'case.change-level', resource: `case:${c.ref}`, outcome: 'allow', reason: `${c.level}->${to}${via ? ` via ${via}` : ''}` }),
    ];
    return {
      ops,
      after: async () => {
        ctx.log.info({ event: 'case.level-changed', userId: actor.id, caseRef: c.ref, from: c.level, to, transition: changed.transition }, 'case level changed');
        await evaluateEscalations(ctx, { type: 'level-change', caseId: c.id });
        return { outcome: 'changed', case: changed.case, from: c.level, to };
      },
    };
  });
}

export type CloseCaseOutcome =
  | { outcome: 'closed'; case: Case }
  | { outcome: 'invalid'; error: CloseError }
  | { outcome: 'denied'; reason: DenyReason }
  | { outcome: 'not-found' }
  | { outcome: 'busy' };

/**
 * Afsluiten (§9): the last afschalen step, from hinder, by the same people and with the same recorded
 * reason as a level change ('case.change-level'). In one commit: the closed case, the closed-cases
 * index the retention job works from (scored by `closed.at`), every rule that fired about the case
 * re-armed, and the audit entry.
 */
export async function closeCaseNow(ctx: AppContext, actor: Actor, caseId: string, reason: string): Promise<CloseCaseOutcome> {
  return updateCase<CloseCaseOutcome>(ctx, actor, caseId, 'case.close', async (current, now) => {
    const c = current.value;
    const closed = closeCase(c, { reason, by: { userId: actor.id, organisation: actor.organisation.id }, at: now });
    if (!closed.ok) return { result: { outcome: 'invalid', error: closed.error } };
    return {
      ops: [
        { op: 'put', key: keys.case(c.id), value: caseSchema.parse(closed.case), ifEtag: current.etag },
        { op: 'index', index: escalationIndexes.closedCases, member: c.id, score: now.getTime() },
        { op: 'unindex', index: escalationIndexes.escalatedCases, member: c.id },
        ...(await rearmCaseOps(ctx, c.id)),
        auditOp({ actor: actor.id, action: 'case.close', resource: `case:${c.ref}`, outcome: 'allow' }),
      ],
      after: async () => {
        ctx.log.info({ event: 'case.closed', userId: actor.id, caseRef: c.ref }, 'case closed');
        return { outcome: 'closed', case: closed.case };
      },
    };
  });
}

// --- notice actions ---------------------------------------------------------------------------------

const MAX_REF = 50;

const actionData = z
  .object({
    firingId: z.string().uuid(),
    [REASON_INPUTS.takeDirection]: z.string().max(LIMITS.raw).nullish(),
    [REASON_INPUTS.deescalate]: z.string().max(LIMITS.raw).nullish(),
    [REASON_INPUTS.dismiss]: z.string().max(LIMITS.raw).nullish(),
    [REASON_INPUTS.handToInterventieteam]: z.string().max(LIMITS.raw).nullish(),
  })
  .strict();

const changeLevelData = z
  .object({ caseRef: z.string().min(1).max(MAX_REF), to: z.enum(LEVELS), reason: z.string().max(LIMITS.raw).nullish() })
  .strict();

const reasonSchema = z.string().trim().min(10, t.errors.reasonRequired).max(LIMITS.passOnReason, t.errors.reasonTooLong);

const message = (text: string): CardActionResult => ({ kind: 'message', text });
const asCard = (card: AdaptiveCard): CardActionResult => ({ kind: 'card', card });

type Loaded = { ok: true; firing: FiringRecord; etag: string; c: Case; data: z.infer<typeof actionData> } | { ok: false; result: CardActionResult };

async function loadForAction(ctx: AppContext, actor: Actor, verb: string, data: unknown): Promise<Loaded> {
  const parsed = actionData.safeParse(data);
  if (!parsed.success) {
    await ctx.store.commit([auditOp({ actor: actor.id, action: 'escalation.act', resource: 'escalation:?', outcome: 'refused', reason: 'bad-shape' })]);
    return { ok: false, result: message(t.errors.forged) };
  }
  const stored = await ctx.store.get<FiringRecord>(escalationKeys.firing(parsed.data.firingId));
  if (!stored) return { ok: false, result: message(t.errors.unknownNotice) };
  const firing = stored.value;
  const resource = `escalation:${firing.firingId}`;
  const c = await loadCase(ctx, firing.caseId);
  if (!c) return { ok: false, result: message(t.errors.caseGone) };
  const decision = decide(actor, 'escalation.act', { type: 'case', case: caseFacts(c) });
  // Only the people a notice went to act on it; the policy decides whether they still may.
  const recipient = firing.recipients.includes(actor.id);
  if (!recipient || !isAllowed(decision)) {
    const denied = recipient ? decision : ({ effect: 'deny', reason: 'not-involved' } as const);
    await ctx.store.commit([auditOp(auditDecision(actor, 'escalation.act', resource, denied))]);
    ctx.log.warn({ event: 'escalation.act.denied', userId: actor.id, verb, firingId: firing.firingId }, 'notice action denied');
    return { ok: false, result: message(recipient ? nl.signals.refusals.denyReasons[denied.effect === 'deny' ? denied.reason : 'role-required'] : t.errors.notRecipient) };
  }
  return { ok: true, firing, etag: stored.etag, c, data: parsed.data };
}

/** Records an action on the firing (and, for a terminal one, that the notice is handled). */
async function recordAction(ctx: AppContext, firingId: string, action: FiringAction, handledText?: string): Promise<FiringRecord | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await ctx.store.get<FiringRecord>(escalationKeys.firing(firingId));
    if (!stored) return undefined;
    if (handledText && stored.value.handled) return stored.value;
    const updated: FiringRecord = {
      ...stored.value,
      actions: [...stored.value.actions, action],
      ...(handledText ? { handled: { action: action.action, by: action.by, at: action.at, text: handledText } } : {}),
    };
    const result = await ctx.store.commit([
      { op: 'put', key: escalationKeys.firing(firingId), value: updated, ifEtag: stored.etag },
      auditOp({ actor: action.by, action: 'escalation.act', resource: `escalation:${firingId}`, outcome: 'allow', reason: action.action }),
    ]);
    if (result.ok) return updated;
  }
  return undefined;
}

function reasonOf(data: z.infer<typeof actionData>, action: keyof typeof REASON_INPUTS): { ok: true; reason: string } | { ok: false; error: string } {
  const r = reasonSchema.safeParse(data[REASON_INPUTS[action]] ?? '');
  return r.success ? { ok: true, reason: r.data } : { ok: false, error: r.error.issues[0]?.message ?? t.errors.reasonRequired };
}

function levelErrorText(outcome: Exclude<ChangeLevelOutcome, { outcome: 'changed' }>, ref: string): string {
  switch (outcome.outcome) {
    case 'invalid':
      return t.errors.levelErrors[outcome.error];
    case 'denied':
      return `${t.levelChange.denied(ref)} ${nl.signals.refusals.denyReasons[outcome.reason]}`;
    case 'not-found':
      return t.errors.caseGone;
    case 'busy':
      return nl.signals.refusals.busy;
  }
}

async function levelAction(ctx: AppContext, actor: Actor, data: unknown, kind: 'takeDirection' | 'deescalate'): Promise<CardActionResult> {
  const verb = kind === 'takeDirection' ? ESCALATION_VERBS.takeDirection : ESCALATION_VERBS.deescalate;
  const loaded = await loadForAction(ctx, actor, verb, data);
  if (!loaded.ok) return loaded.result;
  const { firing, c } = loaded;
  if (firing.handled) return asCard(noticeCard(viewOf(ctx, firing, c.level, {}, actor)));
  const reason = reasonOf(loaded.data, kind);
  if (!reason.ok) return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: reason.error }, actor)));
  const now = ctx.clock.now();
  const at = formatAt(ctx, now);

  // §5: when (almost) the whole group is escalated, the chair can take the procesregie; the level stays.
  if (kind === 'takeDirection' && c.level !== 'hinder') {
    if (firing.rule === 'groep-opgeschaald' && hasRole(actor, 'voorzitter')) {
      const updated = await recordAction(ctx, firing.firingId, { action: kind, by: actor.id, at: now.toISOString(), reason: reason.reason }, t.outcomes.tookProcessDirection(escapeText(actor.name), at));
      return asCard(noticeCard(viewOf(ctx, updated ?? firing, c.level, {}, actor)));
    }
    return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: t.errors.levelErrors['same-level'] }, actor)));
  }
  const to: Level = kind === 'takeDirection' ? 'overlast' : c.level === 'ernstig' ? 'overlast' : 'hinder';
  const changed = await changeCaseLevel(ctx, actor, c.id, to, reason.reason, `escalation:${firing.firingId}`);
  if (changed.outcome !== 'changed') return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: levelErrorText(changed, c.ref) }, actor)));
  const levelName = nl.signals.levels[to].toLowerCase();
  const text = kind === 'takeDirection' ? t.outcomes.tookDirection(escapeText(actor.name), at, levelName) : t.outcomes.deescalated(escapeText(actor.name), at, levelName);
  const updated = await recordAction(ctx, firing.firingId, { action: kind, by: actor.id, at: now.toISOString(), reason: reason.reason }, text);
  return asCard(noticeCard(viewOf(ctx, updated ?? firing, to, {}, actor)));
}

async function dismissAction(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const loaded = await loadForAction(ctx, actor, ESCALATION_VERBS.dismiss, data);
  if (!loaded.ok) return loaded.result;
  const { firing, c } = loaded;
  if (firing.handled) return asCard(noticeCard(viewOf(ctx, firing, c.level, {}, actor)));
  const reason = reasonOf(loaded.data, 'dismiss');
  if (!reason.ok) return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: reason.error }, actor)));
  const now = ctx.clock.now();
  const text = t.outcomes.dismissed(escapeText(actor.name), formatAt(ctx, now), escapeText(reason.reason));
  const updated = await recordAction(ctx, firing.firingId, { action: 'dismiss', by: actor.id, at: now.toISOString(), reason: reason.reason }, text);
  ctx.log.info({ event: 'escalation.dismissed', userId: actor.id, firingId: firing.firingId, rule: firing.rule }, 'notice dismissed');
  return asCard(noticeCard(viewOf(ctx, updated ?? firing, c.level, {}, actor)));
}

async function flowAction(ctx: AppContext, actor: Actor, data: unknown, kind: 'planMeeting' | 'registerKerngroep', hooks: NoticeHooks | undefined): Promise<CardActionResult> {
  const loaded = await loadForAction(ctx, actor, ESCALATION_VERBS[kind], data);
  if (!loaded.ok) return loaded.result;
  const { firing, c } = loaded;
  const now = ctx.clock.now();
  await recordAction(ctx, firing.firingId, { action: kind, by: actor.id, at: now.toISOString() });
  const hook = kind === 'planMeeting' ? hooks?.planMeeting : hooks?.registerKerngroep;
  if (hook) return hook(ctx, actor, c);
  const at = formatAt(ctx, now);
  return message(kind === 'planMeeting' ? t.outcomes.meetingRequested(actor.name, at) : t.outcomes.registrationRequested(actor.name, at));
}

export type HandOverOutcome = { outcome: 'handed-over'; case: Case } | { outcome: 'already' } | { outcome: 'closed' } | { outcome: 'not-found' } | { outcome: 'busy' };

/**
 * §5: the Kerngroep chair hands a case to the Interventieteam. In one commit: the case's `handledBy`
 * ('interventieteam': from now on feedback goes to the regisseur, the wijkmanager gets the general
 * notice only), a 'handed-over' event on its timeline, the audit entry, and a notice (no names) to the
 * regisseur(s) and the district's wijkmanager(s) — who must know before the team enters the district.
 * The caller checks that `actor` is the chair.
 */
export async function handCaseToInterventieteam(ctx: AppContext, actor: Actor, caseId: string, via: string): Promise<HandOverOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await ctx.store.get<Case>(keys.case(caseId));
    if (!current) return { outcome: 'not-found' };
    const c = current.value;
    if (c.status !== 'open') return { outcome: 'closed' };
    if (c.handledBy === 'interventieteam') return { outcome: 'already' };
    const now = ctx.clock.now();
    const at = now.toISOString();
    const updated = caseSchema.parse({
      ...c,
      handledBy: 'interventieteam',
      updatedAt: at,
      events: [...c.events, { type: 'handed-over', at, by: { userId: actor.id, organisation: actor.organisation.id }, to: 'interventieteam' }],
    });
    const told = new Set([...ctx.directory.usersWithRole('regisseur-it').map((u) => u.id), ...(ctx.directory.district(c.district)?.wijkmanagers ?? [])]);
    told.delete(actor.id);
    const notices: Notice[] = [...told].map((userId) => ({
      id: `handover:${c.id}:${now.getTime()}:${userId}`,
      recipient: userId,
      message: { kind: 'text', text: t.handover.notice(c.ref) },
      about: t.handover.about(c.ref),
      reportFailureTo: actor.id,
    }));
    const staged = ctx.outbox.stage?.(notices);
    const result = await ctx.store.commit([
      { op: 'put', key: keys.case(c.id), value: updated, ifEtag: current.etag },
      ...(staged?.ops ?? []),
      auditOp({ actor: actor.id, action: 'case.hand-over', resource: `case:${c.ref}`, outcome: 'allow', reason: `interventieteam via ${via}` }),
    ]);
    if (!result.ok) continue;
    if (staged) await staged.dispatch();
    else for (const n of notices) await ctx.outbox.send(n);
    ctx.log.info({ event: 'case.handed-over', userId: actor.id, caseRef: c.ref, to: 'interventieteam' }, 'case handed to the Interventieteam');
    return { outcome: 'handed-over', case: updated };
  }
  return { outcome: 'busy' };
}

/** "Overdragen aan Interventieteam" on a huisbezoek-criterium notice: the chair only, with a reason. */
async function handOverAction(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const loaded = await loadForAction(ctx, actor, ESCALATION_VERBS.handToInterventieteam, data);
  if (!loaded.ok) return loaded.result;
  const { firing, c } = loaded;
  if (firing.handled) return asCard(noticeCard(viewOf(ctx, firing, c.level, {}, actor)));
  if (firing.rule !== 'huisbezoek-criterium' || !mayHandOver(actor)) {
    const decision = firing.rule !== 'huisbezoek-criterium' ? ({ effect: 'deny', reason: 'unknown-action' } as const) : decide(actor, 'kerngroep.chair', { type: 'system' });
    await ctx.store.commit([auditOp(auditDecision(actor, 'case.hand-over', `case:${c.ref}`, decision))]);
    ctx.log.warn({ event: 'escalation.act.denied', userId: actor.id, verb: ESCALATION_VERBS.handToInterventieteam, firingId: firing.firingId }, 'hand-over denied');
    return message(t.errors.chairOnly);
  }
  const reason = reasonOf(loaded.data, 'handToInterventieteam');
  if (!reason.ok) return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: reason.error }, actor)));
  const result = await handCaseToInterventieteam(ctx, actor, c.id, `escalation:${firing.firingId}`);
  switch (result.outcome) {
    case 'handed-over':
    case 'already': {
      const now = ctx.clock.now();
      const text = result.outcome === 'already' ? t.errors.alreadyInterventieteam : t.outcomes.handedToInterventieteam(escapeText(actor.name), formatAt(ctx, now));
      const updated = await recordAction(ctx, firing.firingId, { action: 'handToInterventieteam', by: actor.id, at: now.toISOString(), reason: reason.reason }, text);
      return asCard(noticeCard(viewOf(ctx, updated ?? firing, c.level, {}, actor)));
    }
    case 'closed':
      return asCard(noticeCard(viewOf(ctx, firing, c.level, { error: t.errors.levelErrors['case-closed'] }, actor)));
    case 'not-found':
      return message(t.errors.caseGone);
    case 'busy':
      return message(nl.signals.refusals.busy);
  }
}

async function changeLevelAction(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = changeLevelData.safeParse(data);
  if (!parsed.success) return message(t.errors.forged);
  const ref = parsed.data.caseRef.trim().toUpperCase();
  const ptr = await ctx.store.get<{ caseId: string }>(keys.caseRef(ref));
  if (!ptr) return message(nl.signals.refusals.caseNotFound(escapeText(ref.slice(0, 30))));
  const result = await changeCaseLevel(ctx, actor, ptr.value.caseId, parsed.data.to, parsed.data.reason ?? '');
  if (result.outcome !== 'changed') return message(levelErrorText(result, ref));
  return message(t.levelChange.done(ref, nl.signals.levels[result.from], nl.signals.levels[result.to]));
}

/** Verb of the general level-change action (a case card can offer it with `{ caseRef, to, reason }`). */
export const CHANGE_LEVEL_VERB = ESCALATION_VERBS.changeLevel;

const closeData = z.object({ caseRef: z.string().min(1).max(MAX_REF), reason: z.string().max(LIMITS.raw).nullish() }).strict();

async function caseIdByRef(ctx: AppContext, ref: string): Promise<string | undefined> {
  return (await ctx.store.get<{ caseId: string }>(keys.caseRef(ref)))?.value.caseId;
}

/** `casus afsluiten C-…`: the form with a reason, for those who may change the case's level. */
async function openCloseForm(ctx: AppContext, actor: Actor, rawRef: string | undefined): Promise<OutgoingMessage> {
  if (!rawRef) return { kind: 'text', text: t.close.usage };
  const ref = rawRef.trim().toUpperCase();
  const caseId = CASE_REF.test(ref) ? await caseIdByRef(ctx, ref) : undefined;
  const c = caseId ? await loadCase(ctx, caseId) : undefined;
  if (!c) return { kind: 'text', text: nl.signals.refusals.caseNotFound(escapeText(ref.slice(0, 30))) };
  const decision = decide(actor, 'case.change-level', { type: 'case', case: caseFacts(c) });
  if (!isAllowed(decision)) {
    await ctx.store.commit([auditOp(auditDecision(actor, 'case.close', `case:${c.ref}`, decision))]);
    return { kind: 'text', text: `${t.close.denied(c.ref)} ${nl.signals.refusals.denyReasons[decision.effect === 'deny' ? decision.reason : 'role-required']}` };
  }
  if (c.status !== 'open') return { kind: 'text', text: t.errors.levelErrors['case-closed'] };
  return { kind: 'card', card: closeCaseCard({ caseRef: c.ref, ...(c.level !== 'hinder' ? { error: t.close.notHinder } : {}) }), summary: t.close.title(c.ref) };
}

async function closeAction(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const parsed = closeData.safeParse(data);
  if (!parsed.success) return message(t.errors.forged);
  const ref = parsed.data.caseRef.trim().toUpperCase();
  const caseId = CASE_REF.test(ref) ? await caseIdByRef(ctx, ref) : undefined;
  if (!caseId) return message(nl.signals.refusals.caseNotFound(escapeText(ref.slice(0, 30))));
  const reason = parsed.data.reason ?? '';
  const result = await closeCaseNow(ctx, actor, caseId, reason);
  switch (result.outcome) {
    case 'closed':
      return asCard(closeCaseCard({ caseRef: ref, done: t.close.done(ref, formatAt(ctx, result.case.closed!.at)) }));
    case 'invalid':
      return asCard(closeCaseCard({ caseRef: ref, reason, error: result.error === 'not-allowed' ? t.close.notHinder : t.errors.levelErrors[result.error] }));
    case 'denied':
      return message(`${t.close.denied(ref)} ${nl.signals.refusals.denyReasons[result.reason]}`);
    case 'not-found':
      return message(t.errors.caseGone);
    case 'busy':
      return message(nl.signals.refusals.busy);
  }
}

/**
 * The notice actions as the Teams layer registers them. Action.Execute data shapes:
 * - `escalation.take-direction` / `escalation.deescalate` / `escalation.dismiss`: `{ firingId, reason… }`
 * - `escalation.plan-meeting` / `escalation.register-kerngroep`: `{ firingId }`
 * - `escalation.hand-to-interventieteam`: `{ firingId, reasonHandover }` (huisbezoek-criterium; the chair)
 * - `case.change-level`: `{ caseRef, to, reason }`
 * - `case.close`: `{ caseRef, reason }` (afsluiten; the command `casus afsluiten C-…` offers it)
 */
export function escalationFeature(setup: Pick<EscalationSetup, 'hooks'> = {}): Feature {
  return {
    commands: [
      {
        name: 'case.close',
        match: /^casus\s+afsluiten(\s+\S+)?$/,
        run: async (ctx, actor, text) => [await openCloseForm(ctx, actor, text.trim().split(/\s+/)[2])],
      },
    ],
    actions: [
      { verb: ESCALATION_VERBS.takeDirection, run: (ctx, actor, data) => levelAction(ctx, actor, data, 'takeDirection') },
      { verb: ESCALATION_VERBS.deescalate, run: (ctx, actor, data) => levelAction(ctx, actor, data, 'deescalate') },
      { verb: ESCALATION_VERBS.dismiss, run: (ctx, actor, data) => dismissAction(ctx, actor, data) },
      { verb: ESCALATION_VERBS.handToInterventieteam, run: (ctx, actor, data) => handOverAction(ctx, actor, data) },
      { verb: ESCALATION_VERBS.planMeeting, run: (ctx, actor, data) => flowAction(ctx, actor, data, 'planMeeting', setup.hooks) },
      { verb: ESCALATION_VERBS.registerKerngroep, run: (ctx, actor, data) => flowAction(ctx, actor, data, 'registerKerngroep', setup.hooks) },
      { verb: CHANGE_LEVEL_VERB, run: (ctx, actor, data) => changeLevelAction(ctx, actor, data) },
      { verb: ESCALATION_VERBS.closeCase, run: (ctx, actor, data) => closeAction(ctx, actor, data) },
    ],
  };
}
