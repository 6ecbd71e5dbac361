import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decide, isAllowed, type Decision, type DenyReason } from '../domain/access.js';
import type { Actor } from '../domain/actor.js';
import { assess, type AssessedSignal } from '../domain/assessment.js';
import {
  caseFacts,
  directorOf,
  hinderDirectorFor,
  locationPointerKey,
  matchCase,
  personKey,
  personPointerKey,
} from '../domain/case.js';
import {
  CASE_REF,
  CATEGORIES,
  LIMITS,
  SEVERITIES,
  caseSchema,
  defaultFormValues,
  formatRef,
  localDateString,
  localParts,
  passOnSchema,
  readFormEnvelope,
  shiftLocal,
  validateSignalForm,
  type Case,
  type CaseEvent,
  type Category,
  type Severity,
  type FieldErrors,
  type FieldId,
  type ForgedReason,
  type PassOn,
  type PoliceContact,
  type Signal,
  type SignalErrorCode,
  type SignalFormValues,
  type SignalInput,
} from '../domain/signal.js';
import { escapeText } from '../cards/escape.js';
import { meetingEventText } from '../cards/meeting-cards.js';
import {
  CASE_CARD_LIMITS,
  SIGNAL_VERBS,
  caseCard,
  confirmationCard,
  mySignalsCard,
  passOnDoneCard,
  passOnFormCard,
  refusalCard,
  signalFormCard,
  type CaseSignalItem,
  type NextStep,
} from '../cards/signal-cards.js';
import { nl } from '../i18n/nl.js';
import { formatDay, formatMoment } from '../i18n/format.js';
import type { AdaptiveCard, Store, Versioned, WriteOp } from '../ports.js';
import { batchingReads } from './batching-reads.js';
import { auditDecision, auditOp, type AuditEvent } from './audit.js';
import type { AppContext } from './context.js';
import type { CardActionResult, Feature } from './routes.js';
import { evaluateEscalations, evaluateSignalSoon, signalInboxOp } from './escalation-trigger.js';

/**
 * Signals (meldingen) and the cases they form — §2–3 of the process. Partners report through the
 * signal card; a signal joins the open case for the same person or the same district + location,
 * or starts a new case at level hinder directed by the reporting partner (a zorgmelding: by the
 * care partner of the district). The case card shows the assessment of the ten criteria as far as
 * the data allows, with person data only for whom the access policy allows it.
 *
 * Every write of a submit is one atomic commit (signal, case, pointers, indexes, audit), so a
 * failure leaves nothing half-written; concurrent submits on one case are serialised with etags.
 */

// --- store layout ---------------------------------------------------------------------------------

export const keys = {
  /** An issued card instance: who got it and when (forged/replayed submits are refused). */
  form: (cardId: string) => `form:${cardId}`,
  /** Set in the same commit as what the card created: one card, one signal (idempotency). */
  formUsed: (cardId: string) => `form-used:${cardId}`,
  signal: (id: string) => `signal:${id}`,
  signalRef: (ref: string) => `signal-ref:${ref}`,
  case: (id: string) => `case:${id}`,
  caseRef: (ref: string) => `case-ref:${ref}`,
  policeContact: (id: string) => `police-contact:${id}`,
  passOn: (id: string) => `pass-on:${id}`,
  /** HMAC secret for person keys; created with the first person signal. */
  personKeySecret: 'secret:person-key',
} as const;

export const indexes = {
  /** Signals of a case, scored by observedAt (ms): the case timeline and the assessment windows. */
  caseSignals: (caseId: string) => `case-signals:${caseId}`,
  /**
   * The same signals with what the assessment needs in the member (signalFactsMember: ids of the
   * signal, organisation and reporter, severity, categories; no names, no free text), scored by
   * observedAt: the case card assesses hundreds of signals without reading their documents.
   */
  caseSignalFacts: (caseId: string) => `case-signal-facts:${caseId}`,
  /** A user's signals, scored by reportedAt (ms): "mijn meldingen". */
  userSignals: (userId: string) => `user-signals:${userId}`,
  /** Signals per normalised location, scored by observedAt: "a place has had nuisance more often" (§3). */
  locationSignals: (district: string, locKey: string) => `location-signals:${district}:${locKey}`,
  /** The same per reporting organisation: "several parties received reports" (§3) with one ZCOUNT each. */
  locationOrgSignals: (district: string, locKey: string, org: string) => `location-org-signals:${district}:${locKey}:${org}`,
  /** Overlast signals about a person, scored by observedAt: the home-visit criterion (§5). */
  personSignals: (pKey: string) => `person-signals:${pKey}`,
  /** Signals per district, scored by observedAt: for the district's overview (leefbaarheidsoverleg). */
  districtSignals: (district: string) => `district-signals:${district}`,
  /** Cases per district, scored by createdAt. */
  districtCases: (district: string) => `district-cases:${district}`,
  /** Police contacts per person, scored by observedAt: "2 police contacts in 6 months" (§5). */
  personPolice: (pKey: string) => `person-police:${pKey}`,
  /** Police contacts per case, scored by observedAt. */
  casePolice: (caseId: string) => `case-police:${caseId}`,
  /** Pass-on requests waiting for the escalation outbox to notify the wijkmanager. */
  passOnPending: 'pass-on-pending',
} as const;

/** The member of `caseSignalFacts` for a signal. */
export function signalFactsMember(s: Pick<Signal, 'id' | 'reporter' | 'severity' | 'categories'>): string {
  return JSON.stringify([s.id, s.reporter.organisation, s.reporter.userId, s.severity, s.categories]);
}

const SEVERITY_SET: ReadonlySet<unknown> = new Set(SEVERITIES);
const CATEGORY_SET: ReadonlySet<unknown> = new Set(CATEGORIES);

function parseSignalFacts(member: string, observedAt: number): (AssessedSignal & { id: string }) | undefined {
  try {
    const [id, organisation, userId, severity, categories] = JSON.parse(member) as unknown[];
    if (typeof id !== 'string' || typeof organisation !== 'string' || typeof userId !== 'string') return undefined;
    if (!SEVERITY_SET.has(severity) || !Array.isArray(categories) || !categories.every((c) => CATEGORY_SET.has(c))) return undefined;
    return { id, observedAt, reporterOrganisation: organisation, reporterUserId: userId, severity: severity as Severity, categories: categories as Category[] };
  } catch {
    return undefined;
  }
}

interface FormDoc {
  userId: string;
  kind: 'signal' | 'pass-on';
  issuedAt: string;
  /** For a pass-on card: the case it is about. */
  caseRef?: string;
}

interface SignalFormUsed {
  signalId: string;
  signalRef: string;
  caseIsNew: boolean;
}

interface PassOnFormUsed {
  passOnId: string;
  caseRef: string;
}

/** A card older than this is refused: a week covers a report started on Friday and sent on Monday. */
export const FORM_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Read-modify-write attempts when another submit changed the same case in between. */
const MAX_ATTEMPTS = 5;
const MY_SIGNALS_LIMIT = 10;
/** The case card shows at most this many (most recent) signals: src/cards/signal-cards.ts. */
const CASE_CARD_SIGNALS = CASE_CARD_LIMITS.signals;
/** The assessment covers at most this many most recent signals of a case (bounded work per read). */
const MAX_ASSESSED_SIGNALS = 2000;
const ALL = { min: -Infinity, max: Infinity };
/** Longest case reference echoed back in a refusal. */
const MAX_REF_ECHO = 30;

const t = nl.signals;

// --- results --------------------------------------------------------------------------------------

export type SubmitOutcome =
  | { outcome: 'created'; card: AdaptiveCard; signalRef: string; caseRef: string; caseIsNew: boolean }
  | { outcome: 'duplicate'; card: AdaptiveCard; signalRef: string; caseRef: string }
  | { outcome: 'invalid'; card: AdaptiveCard; errors: FieldErrors; codes: Partial<Record<FieldId, SignalErrorCode>> }
  | { outcome: 'refused'; card: AdaptiveCard; reason: RefusalReason };

export type RefusalReason =
  | ForgedReason
  | 'unknown-card'
  | 'foreign-card'
  | 'expired-card'
  | 'busy'
  | 'not-found'
  | 'bad-ref'
  | 'pass-on-pending'
  | DenyReason;

export type CaseViewOutcome =
  | { outcome: 'allowed'; card: AdaptiveCard; personDataShown: boolean }
  | { outcome: 'refused'; card: AdaptiveCard; reason: RefusalReason };

export type PassOnOutcome =
  | { outcome: 'form'; card: AdaptiveCard; error?: string }
  | { outcome: 'recorded' | 'duplicate'; card: AdaptiveCard; passOnId: string }
  | { outcome: 'refused'; card: AdaptiveCard; reason: RefusalReason };

// --- helpers --------------------------------------------------------------------------------------

const formatInstant = (ctx: AppContext, instant: Date | string): string => formatMoment(instant, ctx.timeZone);

function organisationName(ctx: AppContext, id: string): string {
  return ctx.directory.organisation(id)?.name ?? id;
}

function districtName(ctx: AppContext, id: string): string {
  return ctx.directory.district(id)?.name ?? id;
}

function directorName(ctx: AppContext, c: Case): string {
  const d = directorOf(c);
  return d.kind === 'organisation' ? organisationName(ctx, d.organisation) : nl.signals.directors.wijkmanager(districtName(ctx, d.district));
}

function isPolice(actor: Actor): boolean {
  return isAllowed(decide(actor, 'police-contact.create', { type: 'system' }));
}

function by(actor: Actor): { userId: string; organisation: string } {
  return { userId: actor.id, organisation: actor.organisation.id };
}

async function commitAudit(ctx: AppContext, events: AuditEvent[]): Promise<void> {
  const result = await ctx.store.commit(events.map(auditOp));
  if (!result.ok) throw new Error('Unexpected: an append-only audit write reported a conflict');
}

/** A refusal: audited (ids and reason only) and logged without any submitted content. */
async function refuse(
  ctx: AppContext,
  actor: Actor,
  action: string,
  resource: string,
  reason: RefusalReason,
  message: string,
  outcome: AuditEvent['outcome'] = 'refused',
): Promise<{ outcome: 'refused'; card: AdaptiveCard; reason: RefusalReason }> {
  await commitAudit(ctx, [{ actor: actor.id, action, resource, outcome, reason }]);
  ctx.log.warn({ event: `${action}.refused`, userId: actor.id, resource, reason }, 'request refused');
  return { outcome: 'refused', card: refusalCard(message), reason };
}

function denyMessage(reason: DenyReason): string {
  return t.refusals.denyReasons[reason];
}

type FormCheck = { ok: true; form: FormDoc } | { ok: false; reason: 'unknown-card' | 'foreign-card' };

/** The card must be one we issued, to this user, for this purpose. */
async function checkForm(ctx: AppContext, actor: Actor, cardId: string, kind: FormDoc['kind']): Promise<FormCheck> {
  const form = await ctx.store.get<FormDoc>(keys.form(cardId));
  if (!form || form.value.kind !== kind) return { ok: false, reason: 'unknown-card' };
  if (form.value.userId !== actor.id) return { ok: false, reason: 'foreign-card' };
  return { ok: true, form: form.value };
}

function expired(ctx: AppContext, form: FormDoc): boolean {
  return ctx.clock.now().getTime() - new Date(form.issuedAt).getTime() > FORM_TTL_MS;
}

async function issueForm(ctx: AppContext, doc: FormDoc): Promise<string> {
  const cardId = randomUUID();
  const result = await ctx.store.commit([{ op: 'put', key: keys.form(cardId), value: doc, ifAbsent: true }]);
  if (!result.ok) throw new Error('Unexpected: a fresh random card id already exists');
  return cardId;
}

function formView(ctx: AppContext, actor: Actor, cardId: string, values: SignalFormValues, errors?: FieldErrors) {
  const now = ctx.clock.now();
  const district = values.district ? ctx.directory.district(values.district) : undefined;
  return signalFormCard({
    cardId,
    values,
    ...(errors ? { errors } : {}),
    districts: ctx.directory.districts.map((d) => ({ id: d.id, name: d.name })),
    hotspots: district?.hotspots ?? [],
    isPolice: isPolice(actor),
    today: localDateString(now, ctx.timeZone),
    earliest: localDateString(shiftLocal(now, { years: -1 }, ctx.timeZone), ctx.timeZone),
  });
}

// --- the report form ------------------------------------------------------------------------------

/** `melding` / `nieuwe melding` / the help card's button: a fresh form with a new card id. */
export async function openSignalForm(ctx: AppContext, actor: Actor): Promise<AdaptiveCard> {
  const decision = decide(actor, 'signal.create', { type: 'system' });
  if (!isAllowed(decision)) {
    return (await refuse(ctx, actor, 'signal.create', 'system', decision.effect === 'deny' ? decision.reason : 'role-required', t.refusals.notAllowedToReport, decision.effect)).card;
  }
  const now = ctx.clock.now();
  const cardId = await issueForm(ctx, { userId: actor.id, kind: 'signal', issuedAt: now.toISOString() });
  const ownDistrict = actor.districts.find((d) => ctx.directory.district(d) !== undefined);
  const values = defaultFormValues(now, ctx.timeZone, ownDistrict, isPolice(actor));
  ctx.log.info({ event: 'signal.form-issued', userId: actor.id, cardId }, 'signal form issued');
  return formView(ctx, actor, cardId, values);
}

/** The form again with the hotspots of the district chosen on it; everything typed is kept. */
export async function updateSignalForm(ctx: AppContext, actor: Actor, data: unknown): Promise<AdaptiveCard> {
  const envelope = readFormEnvelope(data, isPolice(actor));
  if (!envelope.ok) return (await refuseForged(ctx, actor, data, envelope.reason)).card;
  const check = await checkForm(ctx, actor, envelope.cardId, 'signal');
  if (!check.ok) return (await refuseCard(ctx, actor, envelope.cardId, check.reason)).card;
  const used = await ctx.store.get<SignalFormUsed>(keys.formUsed(envelope.cardId));
  if (used) return (await confirmationFor(ctx, actor, used.value)).card;
  return formView(ctx, actor, envelope.cardId, envelope.values);
}

async function refuseForged(ctx: AppContext, actor: Actor, data: unknown, reason: ForgedReason) {
  // The claimed card id is worth recording (it may be someone else's); nothing else of the payload is.
  const claimed = typeof data === 'object' && data !== null ? (data as { cardId?: unknown }).cardId : undefined;
  const resource = typeof claimed === 'string' && /^[0-9a-f-]{36}$/i.test(claimed) ? `form:${claimed}` : 'form:?';
  return refuse(ctx, actor, 'signal.create', resource, reason, reason === 'oversized' ? t.refusals.oversized : t.refusals.forged);
}

async function refuseCard(ctx: AppContext, actor: Actor, cardId: string, reason: 'unknown-card' | 'foreign-card' | 'expired-card') {
  return refuse(
    ctx,
    actor,
    'signal.create',
    keys.form(cardId),
    reason,
    reason === 'expired-card' ? t.refusals.expiredCard : t.refusals.unknownCard,
  );
}

/**
 * Submit of the report card (`signal.submit`). Forged or replayed data is refused and audited;
 * field errors return the same card with the values kept and nothing stored; a second submit of
 * the same card returns the first submit's confirmation.
 */
export async function submitSignal(ctx: AppContext, actor: Actor, data: unknown): Promise<SubmitOutcome> {
  const now = ctx.clock.now();
  const decision = decide(actor, 'signal.create', { type: 'system' });
  if (!isAllowed(decision)) {
    return refuse(ctx, actor, 'signal.create', 'system', decision.effect === 'deny' ? decision.reason : 'role-required', t.refusals.notAllowedToReport, decision.effect);
  }
  const police = isPolice(actor);
  const envelope = readFormEnvelope(data, police);
  if (!envelope.ok) return refuseForged(ctx, actor, data, envelope.reason);
  const { cardId } = envelope;

  // Reads issued together go out as one: the card, whether it was used and — for a valid report
  // about a place — the case pointer of that place. The form is validated first (it reads nothing),
  // but its answer, like what was used, counts only once the card is the actor's.
  ctx = { ...ctx, store: batchingReads(ctx.store) };
  const result = validateSignalForm(data, { now, timeZone: ctx.timeZone, districts: ctx.directory.districts, isPolice: police }, envelope);
  const placePointer = result.ok && !result.input.person ? ctx.store.get<{ caseId: string }>(locationPointerKey(result.input.kind, result.input.district, result.input.locationKey)) : undefined;
  placePointer?.catch(() => undefined);
  const [check, used] = await Promise.all([checkForm(ctx, actor, cardId, 'signal'), ctx.store.get<SignalFormUsed>(keys.formUsed(cardId))]);
  if (!check.ok) return refuseCard(ctx, actor, cardId, check.reason);
  if (used) return confirmationFor(ctx, actor, used.value);
  if (expired(ctx, check.form)) return refuseCard(ctx, actor, cardId, 'expired-card');

  if (!result.ok && result.kind === 'forged') return refuseForged(ctx, actor, data, result.reason);
  if (!result.ok) {
    ctx.log.info({ event: 'signal.invalid', userId: actor.id, cardId, fields: Object.keys(result.codes) }, 'signal form has errors');
    return { outcome: 'invalid', card: formView(ctx, actor, cardId, result.values, result.errors), errors: result.errors, codes: result.codes };
  }

  // §2: a zorgmelding is the care partner's case; without one in the directory it cannot be routed.
  const director = hinderDirectorFor(ctx.directory, result.input.kind, result.input.district, actor.organisation.id);
  if (!director.ok) {
    const codes = { kind: 'noCarePartner' as const };
    const errors = { kind: t.errors.noCarePartner };
    ctx.log.warn({ event: 'signal.no-care-partner', userId: actor.id, cardId, district: result.input.district }, 'no care partner for district');
    return { outcome: 'invalid', card: formView(ctx, actor, cardId, result.values, errors), errors, codes };
  }
  return storeSignal(ctx, actor, cardId, result.input, director.organisation, now, placePointer);
}

async function personKeySecret(store: Store): Promise<{ secret: string; ops: WriteOp[] }> {
  const existing = await store.get<{ secret: string }>(keys.personKeySecret);
  if (existing) return { secret: existing.value.secret, ops: [] };
  const secret = randomBytes(32).toString('hex');
  // Created in the same commit as the first person signal; a concurrent creator wins and we retry.
  return { secret, ops: [{ op: 'put', key: keys.personKeySecret, value: { secret }, ifAbsent: true }] };
}

async function storeSignal(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: SignalInput,
  hinderDirector: string,
  now: Date,
  /** The place's case pointer, already asked for (a report without a person): the first attempt's. */
  placePointer?: Promise<Versioned<{ caseId: string }> | undefined>,
): Promise<SubmitOutcome> {
  const { store } = ctx;
  const year = localParts(now, ctx.timeZone).year;
  const signalId = randomUUID();
  let sequence: Promise<number> | undefined;
  let signalRef: string | undefined;
  const policeContactId = input.policeContact ? randomUUID() : undefined;
  // Allocated at most once per submit, also when a retry ends up joining an existing case.
  let newCase: { id: string; ref: string } | undefined;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) {
      // A concurrent submit of the same card may have won meanwhile: then that is the answer.
      const first = await store.get<SignalFormUsed>(keys.formUsed(cardId));
      if (first) return confirmationFor(ctx, actor, first.value);
    }
    const ops: WriteOp[] = [];
    let pKey: string | undefined;
    if (input.person) {
      const s = await personKeySecret(store);
      ops.push(...s.ops);
      pKey = personKey(s.secret, input.person.name, input.person.dateOfBirth);
    }

    const locKey = locationPointerKey(input.kind, input.district, input.locationKey);
    const perKey = pKey ? personPointerKey(input.kind, pKey) : undefined;
    const [locPtr, perPtr] = attempt === 1 && placePointer && !perKey ? [await placePointer] : await store.getMany<{ caseId: string }>(perKey ? [locKey, perKey] : [locKey]);
    // The signal's number is drawn while the case is read (same round trip); awaited below, so a
    // failure still counts.
    if (!signalRef && !sequence) {
      sequence = store.nextSeq(`signals:${year}`);
      sequence.catch(() => undefined);
    }
    const [locCase, perCase] = await Promise.all([
      locPtr ? store.get<Case>(keys.case(locPtr.value.caseId)) : undefined,
      perPtr ? store.get<Case>(keys.case(perPtr.value.caseId)) : undefined,
    ]);
    signalRef ??= formatRef('M', year, await sequence!);
    const match = matchCase({
      ...(perCase ? { byPerson: perCase.value } : {}),
      ...(locCase ? { byLocation: locCase.value } : {}),
    });

    const at = now.toISOString();
    let theCase: Case;
    let caseIsNew: boolean;
    if (match.kind === 'existing') {
      const existing = (match.by === 'person' ? perCase : locCase)!;
      const involved = new Set(existing.value.involvedOrganisations);
      involved.add(actor.organisation.id);
      theCase = {
        ...existing.value,
        involvedOrganisations: [...involved],
        signalCount: existing.value.signalCount + 1,
        updatedAt: at,
        ...(existing.value.personKey === undefined && pKey ? { personKey: pKey } : {}),
      };
      caseIsNew = false;
      ops.push({ op: 'put', key: keys.case(theCase.id), value: theCase, ifEtag: existing.etag });
    } else {
      newCase ??= { id: randomUUID(), ref: formatRef('C', year, await store.nextSeq(`cases:${year}`)) };
      theCase = {
        id: newCase.id,
        ref: newCase.ref,
        kind: input.kind,
        district: input.district,
        subject: input.subject,
        level: 'hinder',
        status: 'open',
        hinderDirector,
        location: input.location,
        locationKey: input.locationKey,
        ...(pKey ? { personKey: pKey } : {}),
        involvedOrganisations: [...new Set([hinderDirector, actor.organisation.id])],
        signalCount: 1,
        createdAt: at,
        updatedAt: at,
        events: [{ type: 'created', at, by: by(actor), signalRef }],
        passOns: [],
      };
      caseIsNew = true;
      ops.push(
        { op: 'put', key: keys.case(theCase.id), value: theCase, ifAbsent: true },
        { op: 'put', key: keys.caseRef(theCase.ref), value: { caseId: theCase.id }, ifAbsent: true },
        { op: 'index', index: indexes.districtCases(theCase.district), member: theCase.id, score: now.getTime() },
      );
    }

    // Pointers lead the next signal here. A pointer to a closed or vanished case is replaced; one
    // to another open case (the person's case elsewhere) is left alone. `ifEtag` on an unchanged
    // pointer makes the commit fail if it moved since we read it.
    if (theCase.district === input.district) pointTo(ops, theCase.id, locKey, locPtr, locCase);
    if (perKey) pointTo(ops, theCase.id, perKey, perPtr, perCase);

    // Built from the validated form and typed: the hot path skips a zod pass over what it just built
    // (test/app/signals.test.ts checks stored signals, cases and police contacts against their schemas).
    const signal: Signal = {
      id: signalId,
      ref: signalRef,
      kind: input.kind,
      district: input.district,
      location: input.location,
      locationKey: input.locationKey,
      observedAt: input.observedAt.toISOString(),
      reportedAt: at,
      categories: input.categories,
      ...(input.categoryOther !== undefined ? { categoryOther: input.categoryOther } : {}),
      severity: input.severity,
      subject: input.subject,
      ...(input.groupSize !== undefined ? { groupSize: input.groupSize } : {}),
      ...(input.person ? { person: input.person, personKey: pKey } : {}),
      source: input.source,
      description: input.description,
      ...(policeContactId ? { policeContactId } : {}),
      reporter: { userId: actor.id, organisation: actor.organisation.id, fromPolice: actor.organisation.kind === 'politie' },
      caseId: theCase.id,
      caseRef: theCase.ref,
      cardId,
    };
    const observedMs = input.observedAt.getTime();
    const used: SignalFormUsed = { signalId, signalRef, caseIsNew };
    ops.push(
      { op: 'put', key: keys.signal(signalId), value: signal, ifAbsent: true },
      { op: 'put', key: keys.signalRef(signalRef), value: { signalId }, ifAbsent: true },
      { op: 'put', key: keys.formUsed(cardId), value: used, ifAbsent: true },
      { op: 'index', index: indexes.caseSignals(theCase.id), member: signalId, score: observedMs },
      { op: 'index', index: indexes.caseSignalFacts(theCase.id), member: signalFactsMember(signal), score: observedMs },
      { op: 'index', index: indexes.userSignals(actor.id), member: signalId, score: now.getTime() },
      { op: 'index', index: indexes.locationSignals(input.district, input.locationKey), member: signalId, score: observedMs },
      { op: 'index', index: indexes.locationOrgSignals(input.district, input.locationKey, actor.organisation.id), member: signalId, score: observedMs },
      ...(pKey && input.kind === 'overlast' ? [{ op: 'index', index: indexes.personSignals(pKey), member: signalId, score: observedMs } as const] : []),
      { op: 'index', index: indexes.districtSignals(input.district), member: signalId, score: observedMs },
    );
    if (policeContactId && input.policeContact) {
      const contact: PoliceContact = {
        id: policeContactId,
        reference: input.policeContact.reference,
        signalId,
        signalRef,
        caseId: theCase.id,
        ...(pKey ? { personKey: pKey } : {}),
        observedAt: input.observedAt.toISOString(),
        recordedAt: at,
        recordedBy: by(actor),
      };
      ops.push(
        { op: 'put', key: keys.policeContact(policeContactId), value: contact, ifAbsent: true },
        { op: 'index', index: indexes.casePolice(theCase.id), member: policeContactId, score: observedMs },
        ...(pKey ? [{ op: 'index', index: indexes.personPolice(pKey), member: policeContactId, score: observedMs } as const] : []),
      );
    }
    ops.push(auditOp({ actor: actor.id, action: 'signal.create', resource: `signal:${signalRef}`, outcome: 'allow' }));
    if (caseIsNew) ops.push(auditOp({ actor: actor.id, action: 'case.create', resource: `case:${theCase.ref}`, outcome: 'allow' }));
    if (policeContactId) {
      ops.push(auditOp({ actor: actor.id, action: 'police-contact.create', resource: `signal:${signalRef}`, outcome: 'allow' }));
    }

    // The signal waits for its rule evaluation from the moment it is stored (the inbox, in the same
    // commit): a crash right after the commit cannot lose it. The evaluation itself runs after the
    // commit, in this process (evaluateSignalSoon), or else by the inbox recovery.
    ops.push(signalInboxOp(signalId, now));
    const committed = await store.commit(ops);
    if (committed.ok) {
      evaluateSignalSoon(ctx, { type: 'signal', signalId, caseId: theCase.id }, { signal, case: theCase });
      ctx.log.info(
        { event: 'signal.created', userId: actor.id, signalRef, caseRef: theCase.ref, caseIsNew, policeContact: Boolean(policeContactId) },
        'signal stored',
      );
      return {
        outcome: 'created',
        card: confirmationCard(confirmationView(ctx, actor, signal, theCase, caseIsNew)),
        signalRef,
        caseRef: theCase.ref,
        caseIsNew,
      };
    }
    // The same card was submitted concurrently and that submit won: answer with its confirmation.
    if (committed.conflict === keys.formUsed(cardId)) {
      const first = await store.get<SignalFormUsed>(keys.formUsed(cardId));
      if (first) return confirmationFor(ctx, actor, first.value);
    }
    ctx.log.info({ event: 'signal.retry', userId: actor.id, signalRef, attempt, conflict: conflictKind(committed.conflict) }, 'case changed concurrently, retrying');
  }
  ctx.log.warn({ event: 'signal.busy', userId: actor.id, signalRef }, 'signal not stored after retries');
  return { outcome: 'refused', card: refusalCard(t.refusals.busy), reason: 'busy' };
}

/** The pointer op for `key` (see storeSignal): a new pointer, the unchanged one (guarded), or a replaced one. */
function pointTo(
  ops: WriteOp[],
  caseId: string,
  key: string,
  ptr: Versioned<{ caseId: string }> | undefined,
  pointed: Versioned<Case> | undefined,
): void {
  if (!ptr) ops.push({ op: 'put', key, value: { caseId }, ifAbsent: true });
  else if (ptr.value.caseId === caseId) ops.push({ op: 'put', key, value: ptr.value, ifEtag: ptr.etag });
  else if (!pointed || pointed.value.status !== 'open') ops.push({ op: 'put', key, value: { caseId }, ifEtag: ptr.etag });
}

/** Which kind of key conflicted, for the log: the key itself may contain a person key. */
function conflictKind(key: string): string {
  return key.split(':')[0] ?? '?';
}

function confirmationView(ctx: AppContext, actor: Actor, signal: Signal, c: Case, caseIsNew: boolean) {
  const next: NextStep =
    c.level === 'overlast'
      ? { kind: 'overlast', district: districtName(ctx, c.district) }
      : c.level === 'ernstig'
        ? { kind: 'ernstig', district: districtName(ctx, c.district) }
        : c.kind === 'zorg'
          ? { kind: 'zorg', organisation: organisationName(ctx, c.hinderDirector) }
          : c.hinderDirector === actor.organisation.id
            ? { kind: 'hinder-own' }
            : { kind: 'hinder-other', organisation: organisationName(ctx, c.hinderDirector) };
  return {
    signalRef: signal.ref,
    kind: signal.kind,
    districtName: districtName(ctx, signal.district),
    location: signal.location,
    observedAt: formatInstant(ctx, signal.observedAt),
    categories: signal.categories,
    severity: signal.severity,
    subject: signal.subject,
    policeContact: signal.policeContactId !== undefined,
    caseRef: c.ref,
    caseIsNew,
    level: c.level,
    director: directorName(ctx, c),
    next,
  };
}

/** The confirmation of an earlier submit of the same card (idempotency), with the case as it is now. */
async function confirmationFor(ctx: AppContext, actor: Actor, used: SignalFormUsed): Promise<SubmitOutcome> {
  const signal = await ctx.store.get<Signal>(keys.signal(used.signalId));
  if (!signal) throw new Error(`Unexpected: form-used points to missing signal ${used.signalRef}`);
  const c = await ctx.store.get<Case>(keys.case(signal.value.caseId));
  if (!c) throw new Error(`Unexpected: signal ${used.signalRef} points to a missing case`);
  ctx.log.info({ event: 'signal.duplicate', userId: actor.id, signalRef: used.signalRef }, 'same card submitted again');
  return {
    outcome: 'duplicate',
    card: confirmationCard(confirmationView(ctx, actor, signal.value, c.value, used.caseIsNew)),
    signalRef: used.signalRef,
    caseRef: c.value.ref,
  };
}

// --- mijn meldingen -------------------------------------------------------------------------------

/** `mijn meldingen`: the user's own recent signals with their case reference and level. */
export async function listMySignals(ctx: AppContext, actor: Actor): Promise<AdaptiveCard> {
  const decision = decide(actor, 'bot.use', { type: 'system' });
  if (!isAllowed(decision)) return refusalCard(t.refusals.denyReasons['role-required']);
  const entries = await ctx.store.range(indexes.userSignals(actor.id), ALL.min, ALL.max, { limit: MY_SIGNALS_LIMIT, reverse: true });
  const signals = (await ctx.store.getMany<Signal>(entries.map((e) => keys.signal(e.member)))).filter((s) => s !== undefined);
  const caseIds = [...new Set(signals.map((s) => s.value.caseId))];
  const cases = new Map(
    (await ctx.store.getMany<Case>(caseIds.map(keys.case))).filter((c) => c !== undefined).map((c) => [c.value.id, c.value]),
  );
  return mySignalsCard(
    signals.map((s) => ({
      signalRef: s.value.ref,
      observedAt: formatInstant(ctx, s.value.observedAt),
      kind: s.value.kind,
      location: s.value.location,
      caseRef: s.value.caseRef,
      level: cases.get(s.value.caseId)?.level ?? 'hinder',
    })),
  );
}

// --- casus <ref> ----------------------------------------------------------------------------------

async function loadCaseByRef(ctx: AppContext, ref: string): Promise<{ value: Case; etag: string } | undefined> {
  const ptr = await ctx.store.get<{ caseId: string }>(keys.caseRef(ref));
  if (!ptr) return undefined;
  return ctx.store.get<Case>(keys.case(ptr.value.caseId));
}

function normaliseCaseRef(raw: string): string {
  return raw.trim().toUpperCase();
}

/**
 * The case card. `details: false` (the `casus` command, a click) gives the base card: no names or
 * dates of birth, because Teams keeps chat history. When the viewer may see person data, the base
 * card asks Teams for a user-specific view (`refresh.userIds`), answered with `details: true`.
 * Every read is audited; so is every showing or withholding of person data.
 */
export async function viewCase(ctx: AppContext, actor: Actor, rawRef: string, options: { details: boolean }): Promise<CaseViewOutcome> {
  const ref = normaliseCaseRef(rawRef);
  if (!CASE_REF.test(ref)) {
    return { outcome: 'refused', card: refusalCard(t.refusals.badCaseRef(escapeText(rawRef.slice(0, MAX_REF_ECHO)))), reason: 'bad-ref' };
  }
  const stored = await loadCaseByRef(ctx, ref);
  if (!stored) return refuse(ctx, actor, 'case.read', `case:${ref}`, 'not-found', t.refusals.caseNotFound(ref));
  const c = stored.value;
  const decision = decide(actor, 'case.read', { type: 'case', case: caseFacts(c) });
  if (!isAllowed(decision)) {
    const reason = decision.effect === 'deny' ? decision.reason : 'not-involved';
    await commitAudit(ctx, [auditDecision(actor, 'case.read', `case:${ref}`, decision)]);
    ctx.log.warn({ event: 'case.read.denied', userId: actor.id, caseRef: ref, reason }, 'case read denied');
    return { outcome: 'refused', card: refusalCard(t.refusals.caseDenied(ref), denyMessage(reason)), reason };
  }

  const now = ctx.clock.now();
  // The most recent signals, whole; the assessment's facts of all of them.
  const { assessed, recent: signals } = await caseSignalsForView(ctx, c.id);
  const assessment = assess(assessed, now, ctx.timeZone);

  let shown = 0;
  let withheld = 0;
  let detailsAvailable = false;
  const items: CaseSignalItem[] = signals.slice(0, CASE_CARD_SIGNALS).map((s) => {
    // Person data and police references (WPG) follow the same rule: the policy decides per signal.
    const sensitive = s.person !== undefined || s.policeContactId !== undefined;
    const personDecision: Decision | undefined = sensitive
      ? decide(actor, 'person-data.read', {
          type: 'person-data',
          data: { reporterOrganisation: s.reporter.organisation, fromPolice: s.reporter.fromPolice, district: s.district, level: c.level },
        })
      : undefined;
    const mayShow = personDecision !== undefined && isAllowed(personDecision);
    if (mayShow) detailsAvailable = true;
    const show = mayShow && options.details;
    if (s.person) {
      if (show) shown++;
      else if (options.details) withheld++;
    }
    return {
      ref: s.ref,
      observedAt: formatInstant(ctx, s.observedAt),
      organisation: organisationName(ctx, s.reporter.organisation),
      categories: s.categories,
      severity: s.severity,
      subject: s.subject,
      ...(s.person ? { person: show ? s.person : ('hidden' as const) } : {}),
      // A description about a person can name them: it goes with the person data.
      description: s.person && !show ? 'hidden' : s.description,
      policeContact: s.policeContactId !== undefined,
    };
  });
  // Police references are read in one batch, only for the signals whose details are shown.
  if (options.details) await attachPoliceReferences(ctx, actor, signals.slice(0, CASE_CARD_SIGNALS), items, c.level);

  const pending = c.passOns.some((p) => p.status === 'pending-delivery');
  const canPassOn = !pending && c.status === 'open' && isAllowed(decide(actor, 'case.pass-on', { type: 'case', case: caseFacts(c) }));
  const card = caseCard({
    ref: c.ref,
    kind: c.kind,
    level: c.level,
    status: c.status,
    director: directorName(ctx, c),
    districtName: districtName(ctx, c.district),
    location: c.location,
    subject: c.subject,
    signals: items,
    totalSignals: Math.max(c.signalCount, signals.length),
    events: c.events.map((e) => ({ at: formatInstant(ctx, e.at), text: eventText(e, (id) => organisationName(ctx, id)) })),
    passOns: c.passOns.map((p) => ({ at: formatInstant(ctx, p.at), organisation: organisationName(ctx, p.by.organisation), reason: p.reason, status: p.status })),
    assessment,
    organisationName: (id) => organisationName(ctx, id),
    formatDate: (d) => formatDay(d, ctx.timeZone),
    canPassOn,
    canPlanMeeting: c.status === 'open' && isAllowed(decide(actor, 'meeting.plan', { type: 'case', case: caseFacts(c) })),
    canChangeLevel: c.status === 'open' && isAllowed(decide(actor, 'case.change-level', { type: 'case', case: caseFacts(c) })),
    ...(detailsAvailable ? { refreshFor: [actor.id] } : {}),
  });

  const auditEvents: AuditEvent[] = [auditDecision(actor, 'case.read', `case:${c.ref}`, decision)];
  if (shown > 0) auditEvents.push({ actor: actor.id, action: 'person-data.read', resource: `case:${c.ref}`, outcome: 'allow' });
  if (withheld > 0) auditEvents.push({ actor: actor.id, action: 'person-data.read', resource: `case:${c.ref}`, outcome: 'redact' });
  await commitAudit(ctx, auditEvents);
  ctx.log.info({ event: 'case.read', userId: actor.id, caseRef: c.ref, details: options.details, personDataShown: shown > 0 }, 'case read');
  return { outcome: 'allowed', card, personDataShown: shown > 0 };
}

/**
 * What the case card needs of the signals: the assessment's facts of the most recent
 * MAX_ASSESSED_SIGNALS, from the facts index (one short member per signal, no document reads), and
 * the documents of the few it shows. A case whose facts index is incomplete (signals stored before
 * the index existed) is assessed from the documents, as before.
 */
async function caseSignalsForView(ctx: AppContext, caseId: string): Promise<{ assessed: AssessedSignal[]; recent: Signal[] }> {
  const [factEntries, signalCount] = await Promise.all([
    ctx.store.range(indexes.caseSignalFacts(caseId), ALL.min, ALL.max, { limit: MAX_ASSESSED_SIGNALS, reverse: true }),
    ctx.store.count(indexes.caseSignals(caseId), ALL.min, ALL.max),
  ]);
  const facts = factEntries.map((e) => parseSignalFacts(e.member, e.score));
  if (facts.length === Math.min(signalCount, MAX_ASSESSED_SIGNALS) && facts.every((f) => f !== undefined)) {
    const docs = await ctx.store.getMany<Signal>(facts.slice(0, CASE_CARD_SIGNALS).map((f) => keys.signal(f.id)));
    return { assessed: facts, recent: docs.filter((d) => d !== undefined).map((d) => d.value) };
  }
  const entries = await ctx.store.range(indexes.caseSignals(caseId), ALL.min, ALL.max, { limit: MAX_ASSESSED_SIGNALS, reverse: true });
  const signals = (await ctx.store.getMany<Signal>(entries.map((e) => keys.signal(e.member)))).filter((d) => d !== undefined).map((d) => d.value);
  return {
    assessed: signals.map((s) => ({
      observedAt: Date.parse(s.observedAt),
      reporterOrganisation: s.reporter.organisation,
      reporterUserId: s.reporter.userId,
      categories: s.categories,
      severity: s.severity,
    })),
    recent: signals.slice(0, CASE_CARD_SIGNALS),
  };
}

async function attachPoliceReferences(ctx: AppContext, actor: Actor, signals: readonly Signal[], items: CaseSignalItem[], level: Case['level']): Promise<void> {
  const wanted = signals
    .map((s, i) => ({ s, i }))
    .filter(
      ({ s }) =>
        s.policeContactId !== undefined &&
        isAllowed(
          decide(actor, 'person-data.read', {
            type: 'person-data',
            data: { reporterOrganisation: s.reporter.organisation, fromPolice: s.reporter.fromPolice, district: s.district, level },
          }),
        ),
    );
  if (wanted.length === 0) return;
  const contacts = await ctx.store.getMany<PoliceContact>(wanted.map(({ s }) => keys.policeContact(s.policeContactId!)));
  wanted.forEach(({ i }, n) => {
    const contact = contacts[n];
    const item = items[i];
    if (contact && item) item.policeReference = contact.value.reference;
  });
}

function eventText(e: CaseEvent, orgName: (id: string) => string): string {
  const x = t.caseCard.events;
  switch (e.type) {
    case 'meeting':
    case 'intervention-agreed':
      return meetingEventText(e, orgName);
    case 'created':
      return x.created(e.signalRef);
    case 'pass-on-requested':
      return x.passOnRequested;
    case 'level-changed':
      return x.levelChanged(t.levels[e.from], t.levels[e.to]);
    case 'feedback-given':
      return nl.feedback.timeline(escapeText(orgName(e.organisation)));
    case 'handed-over':
      return nl.escalation.handover.timeline;
  }
}

/** Police contacts (mutaties) about one person in [from, to]: the input of the §5 threshold. */
export async function countPoliceContacts(store: Store, pKey: string, from: Date, to: Date): Promise<number> {
  return store.count(indexes.personPolice(pKey), from.getTime(), to.getTime());
}

// --- doorzetten naar wijkmanager ------------------------------------------------------------------

/** A case reference is `C-2026-00012`; anything much longer is not one. */
const MAX_CASE_REF = 50;
const caseRefData = z.object({ caseRef: z.string().min(1).max(MAX_CASE_REF) }).strict();

const passOnData = z
  .object({
    cardId: z.string().uuid(),
    caseRef: z.string().min(1).max(MAX_CASE_REF),
    reason: z.string().max(LIMITS.raw).optional(),
  })
  .strict();

const passOnReason = z
  .string({ required_error: t.refusals.passOnReasonRequired })
  .trim()
  .min(1, t.refusals.passOnReasonRequired)
  .max(LIMITS.passOnReason, t.refusals.passOnReasonTooLong);

async function refusePassOnData(ctx: AppContext, actor: Actor, data: unknown) {
  const claimed = typeof data === 'object' && data !== null ? (data as { cardId?: unknown }).cardId : undefined;
  const resource = typeof claimed === 'string' && /^[0-9a-f-]{36}$/i.test(claimed) ? `form:${claimed}` : 'form:?';
  return refuse(ctx, actor, 'case.pass-on', resource, 'bad-shape', t.refusals.forged);
}

/** `case.pass-on-form`: the form with a reason field, for those who may pass the case on. */
export async function openPassOnForm(ctx: AppContext, actor: Actor, data: unknown): Promise<PassOnOutcome> {
  const parsed = caseRefData.safeParse(data);
  if (!parsed.success) return refusePassOnData(ctx, actor, data);
  const ref = normaliseCaseRef(parsed.data.caseRef);
  const stored = CASE_REF.test(ref) ? await loadCaseByRef(ctx, ref) : undefined;
  if (!stored) return refuse(ctx, actor, 'case.pass-on', `case:${ref}`, 'not-found', t.refusals.caseNotFound(escapeText(ref.slice(0, MAX_REF_ECHO))));
  const denied = await passOnDenied(ctx, actor, stored.value);
  if (denied) return denied;
  const cardId = await issueForm(ctx, { userId: actor.id, kind: 'pass-on', issuedAt: ctx.clock.now().toISOString(), caseRef: ref });
  return { outcome: 'form', card: passOnFormCard({ cardId, caseRef: ref }) };
}

async function passOnDenied(ctx: AppContext, actor: Actor, c: Case) {
  const decision = decide(actor, 'case.pass-on', { type: 'case', case: caseFacts(c) });
  if (!isAllowed(decision)) {
    const reason = decision.effect === 'deny' ? decision.reason : 'role-required';
    const involvedButNotHinder = reason === 'role-required' && c.level !== 'hinder';
    return refuse(
      ctx,
      actor,
      'case.pass-on',
      `case:${c.ref}`,
      reason,
      involvedButNotHinder ? t.refusals.passOnNotHinder : `${t.refusals.caseDenied(c.ref)} ${denyMessage(reason)}`,
      'deny',
    );
  }
  if (c.passOns.some((p) => p.status === 'pending-delivery')) {
    return refuse(ctx, actor, 'case.pass-on', `case:${c.ref}`, 'pass-on-pending', t.refusals.passOnPending);
  }
  return undefined;
}

/**
 * `case.pass-on`: §3 "pass the case to the wijkmanager when interventions do not work". The request
 * is recorded on the case timeline and stored as waiting for delivery; the escalation rule doorgezet
 * (src/app/escalation.ts) delivers the notice through the outbox and records delivered/failed.
 */
export async function passOnCase(ctx: AppContext, actor: Actor, data: unknown): Promise<PassOnOutcome> {
  const parsed = passOnData.safeParse(data);
  if (!parsed.success) return refusePassOnData(ctx, actor, data);
  const { cardId } = parsed.data;
  const ref = normaliseCaseRef(parsed.data.caseRef);
  const form = await ctx.store.get<FormDoc>(keys.form(cardId));
  if (!form || form.value.kind !== 'pass-on' || form.value.caseRef !== ref) {
    return refuse(ctx, actor, 'case.pass-on', keys.form(cardId), 'unknown-card', t.refusals.unknownCard);
  }
  if (form.value.userId !== actor.id) return refuse(ctx, actor, 'case.pass-on', keys.form(cardId), 'foreign-card', t.refusals.unknownCard);
  const used = await ctx.store.get<PassOnFormUsed>(keys.formUsed(cardId));
  if (used) return { outcome: 'duplicate', card: passOnDoneCard(used.value.caseRef), passOnId: used.value.passOnId };
  if (expired(ctx, form.value)) return refuse(ctx, actor, 'case.pass-on', keys.form(cardId), 'expired-card', t.refusals.expiredCard);

  const reason = passOnReason.safeParse(parsed.data.reason ?? '');
  if (!reason.success) {
    const error = reason.error.issues[0]?.message ?? t.refusals.passOnReasonRequired;
    return { outcome: 'form', card: passOnFormCard({ cardId, caseRef: ref, reason: parsed.data.reason ?? '', error }), error };
  }

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await loadCaseByRef(ctx, ref);
    if (!stored) return refuse(ctx, actor, 'case.pass-on', `case:${ref}`, 'not-found', t.refusals.caseNotFound(ref));
    const denied = await passOnDenied(ctx, actor, stored.value);
    if (denied) return denied;

    const now = ctx.clock.now();
    const at = now.toISOString();
    const passOn: PassOn = passOnSchema.parse({
      id: randomUUID(),
      at,
      by: by(actor),
      reason: reason.data,
      status: 'pending-delivery',
    } satisfies PassOn);
    const event: CaseEvent = { type: 'pass-on-requested', at, by: by(actor), passOnId: passOn.id };
    const updated: Case = caseSchema.parse({
      ...stored.value,
      updatedAt: at,
      events: [...stored.value.events, event],
      passOns: [...stored.value.passOns, passOn],
    });
    const usedValue: PassOnFormUsed = { passOnId: passOn.id, caseRef: ref };
    const committed = await ctx.store.commit([
      { op: 'put', key: keys.case(updated.id), value: updated, ifEtag: stored.etag },
      {
        op: 'put',
        key: keys.passOn(passOn.id),
        value: { ...passOn, caseId: updated.id, caseRef: updated.ref, district: updated.district },
        ifAbsent: true,
      },
      { op: 'index', index: indexes.passOnPending, member: passOn.id, score: now.getTime() },
      { op: 'put', key: keys.formUsed(cardId), value: usedValue, ifAbsent: true },
      auditOp({ actor: actor.id, action: 'case.pass-on', resource: `case:${updated.ref}`, outcome: 'allow' }),
    ]);
    if (committed.ok) {
      ctx.log.info({ event: 'case.pass-on', userId: actor.id, caseRef: updated.ref, passOnId: passOn.id }, 'pass-on requested');
      await evaluateEscalations(ctx, { type: 'pass-on', passOnId: passOn.id });
      return { outcome: 'recorded', card: passOnDoneCard(updated.ref), passOnId: passOn.id };
    }
    if (committed.conflict === keys.formUsed(cardId)) {
      const first = await ctx.store.get<PassOnFormUsed>(keys.formUsed(cardId));
      if (first) return { outcome: 'duplicate', card: passOnDoneCard(first.value.caseRef), passOnId: first.value.passOnId };
    }
  }
  ctx.log.warn({ event: 'case.pass-on.busy', userId: actor.id, caseRef: ref }, 'pass-on not stored after retries');
  return { outcome: 'refused', card: refusalCard(t.refusals.busy), reason: 'busy' };
}

// --- routes ---------------------------------------------------------------------------------------

const asCard = (card: AdaptiveCard): CardActionResult => ({ kind: 'card', card });

async function caseFromAction(ctx: AppContext, actor: Actor, data: unknown, details: boolean): Promise<CardActionResult> {
  const parsed = caseRefData.safeParse(data);
  if (!parsed.success) return asCard((await refuse(ctx, actor, 'case.read', 'case:?', 'bad-shape', t.refusals.forged)).card);
  return asCard((await viewCase(ctx, actor, parsed.data.caseRef, { details })).card);
}

/**
 * The feature as the Teams layer registers it. Action.Execute data shapes:
 * - `signal.open-form`: `{}` · `signal.update-form` / `signal.submit`: `{ cardId, …the form's inputs }`
 * - `case.open` / `case.details` (refresh) / `case.pass-on-form`: `{ caseRef }`
 * - `case.pass-on`: `{ cardId, caseRef, reason }`
 */
export const signalsFeature: Feature = {
  commands: [
    {
      name: 'signals.new',
      match: /^(nieuwe\s+)?melding$/,
      run: async (ctx, actor) => [{ kind: 'card', card: await openSignalForm(ctx, actor), summary: t.form.title }],
    },
    {
      name: 'signals.mine',
      match: /^mijn\s+meldingen$/,
      run: async (ctx, actor) => [{ kind: 'card', card: await listMySignals(ctx, actor), summary: t.mine.title }],
    },
    {
      name: 'signals.case',
      match: /^casus(\s+\S+)?$/,
      run: async (ctx, actor, text) => {
        const ref = text.trim().split(/\s+/)[1];
        if (!ref) return [{ kind: 'text', text: nl.help.actions.casus.description }];
        const result = await viewCase(ctx, actor, ref, { details: false });
        return [{ kind: 'card', card: result.card, summary: t.caseCard.title(normaliseCaseRef(ref).slice(0, 20)) }];
      },
    },
  ],
  actions: [
    { verb: SIGNAL_VERBS.openForm, run: async (ctx, actor) => asCard(await openSignalForm(ctx, actor)) },
    { verb: SIGNAL_VERBS.updateForm, run: async (ctx, actor, data) => asCard(await updateSignalForm(ctx, actor, data)) },
    { verb: SIGNAL_VERBS.submit, run: async (ctx, actor, data) => asCard((await submitSignal(ctx, actor, data)).card) },
    { verb: SIGNAL_VERBS.openCase, run: (ctx, actor, data) => caseFromAction(ctx, actor, data, false) },
    { verb: SIGNAL_VERBS.caseDetails, run: (ctx, actor, data) => caseFromAction(ctx, actor, data, true) },
    { verb: SIGNAL_VERBS.passOnForm, run: async (ctx, actor, data) => asCard((await openPassOnForm(ctx, actor, data)).card) },
    { verb: SIGNAL_VERBS.passOn, run: async (ctx, actor, data) => asCard((await passOnCase(ctx, actor, data)).card) },
  ],
};
