import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decide, isAllowed } from '../domain/access.js';
import type { Actor } from '../domain/actor.js';
import { personKey, personPointerKey } from '../domain/case.js';
import type { Registration } from '../domain/kerngroep.js';
import type { Meeting } from '../domain/meeting.js';
import {
  ERASURE_LIMITS,
  nameMatcher,
  redactName,
  redactNameDeep,
  samePerson,
  type DeletionRecord,
  type PersonIdentity,
} from '../domain/retention.js';
import { CASE_REF, SIGNAL_KINDS, parseCalendarDate, type Case, type PoliceContact, type Signal } from '../domain/signal.js';
import { ERASURE_VERBS, erasureCard, erasureDoneCard } from '../cards/admin-cards.js';
import { nl } from '../i18n/nl.js';
import type { OutgoingMessage, Store } from '../ports.js';
import { audit, auditDecision, auditOp, type AuditEvent } from './audit.js';
import type { AppContext } from './context.js';
import { escalationIndexes, escalationKeys, personMarkerKeys, type FiringRecord } from './escalation.js';
import { feedbackKeys } from './feedback.js';
import { kerngroepIndexes, kerngroepKeys, type KgMeeting } from './kerngroep.js';
import { meetingIndexes, meetingKeys } from './meetings.js';
import { noticeKeys } from './outbox-service.js';
import { compactAfterDeletion, deletionRecordOp, DocSet, nextDeletionRef, nonZero, removeFromKerngroepAgendas } from './retention.js';
import type { CardActionResult, Feature } from './routes.js';
import { indexes, keys } from './signals.js';

/**
 * Erasure on request (AVG art. 17): the beheerder erases one person's data across cases. The person
 * is identified the way the signals identify them: name and date of birth (the person key is the
 * HMAC of both). What goes:
 * - in signals about the person: the name, date of birth and person key, and the description (it
 *   is about the person); the signal stays as a fact (place, time, categories, who reported);
 * - the person key on cases, police contacts (the contact stays) and escalation firings; the
 *   pointers and indexes by person key; the escalation markers of the person rules;
 * - the person in Kerngroep registrations (a registration of only this person goes), on Kerngroep
 *   agendas with their questions and answers, the colour per person, and as a family member of
 *   someone else;
 * - the name wherever professionals typed it as free text in the cases concerned (reasons,
 *   preparations, advice, feedback, locations): replaced by "[naam gewist]".
 * Cases, their timeline and non-personal facts stay. One atomic commit with `ifEtag` on every
 * document (a concurrent change: nothing is erased, try again), with a deletion record (kind
 * `verzoek`, the reason without the name, counts) and audit entries for the erasure and each case.
 *
 * Forms: the card id is issued to the beheerder and used once, like the report form's; between
 * looking and erasing, the form remembers the person key it showed (never the name), so the card
 * cannot erase someone other than who was shown.
 */

const t = nl.admin.erasure;

export const erasureKeys = {
  form: (cardId: string) => `erasure-form:${cardId}`,
  formUsed: (cardId: string) => `erasure-form-used:${cardId}`,
} as const;

interface ErasureForm {
  userId: string;
  issuedAt: string;
  /** Person key of the last search that found something (cleared when erasing). */
  previewKey?: string;
}

interface ErasureUsed {
  ref: string;
  signals: number;
  cases: number;
}

/** A form older than this is refused: looking and erasing happen in one sitting. */
const FORM_TTL_MS = 24 * 60 * 60 * 1000;
const ATTEMPTS = 5;
const BATCH = 500;
const ALL = { min: -Infinity, max: Infinity };

const raw = z.string().max(ERASURE_LIMITS.raw).nullish();
const previewData = z.object({ cardId: z.string().uuid(), name: raw, dateOfBirth: raw, reason: raw }).strict();

async function members(store: Store, index: string): Promise<string[]> {
  return (await store.range(index, ALL.min, ALL.max)).map((e) => e.member);
}

// --- finding and planning -------------------------------------------------------------------------

export interface ErasurePlan {
  docs: DocSet;
  /** The person key of the person (undefined: no person signal was ever stored). */
  pKey?: string;
  /** Cases touched, by reference. */
  caseRefs: string[];
  counts: Record<string, number>;
  /** Anything at all to erase. */
  found: boolean;
}

/** The signals that are about the person: every district's signals, plus the person indexes. */
async function matchingSignalIds(ctx: AppContext, who: PersonIdentity, pKey: string | undefined): Promise<string[]> {
  const ids = new Set<string>();
  for (const d of ctx.directory.districts) for (const id of await members(ctx.store, indexes.districtSignals(d.id))) ids.add(id);
  if (pKey) {
    for (const id of await members(ctx.store, indexes.personSignals(pKey))) ids.add(id);
    const contacts = await ctx.store.getMany<PoliceContact>((await members(ctx.store, indexes.personPolice(pKey))).map(keys.policeContact));
    for (const c of contacts) if (c) ids.add(c.value.signalId);
  }
  const all = [...ids];
  const matched: string[] = [];
  for (let i = 0; i < all.length; i += BATCH) {
    const chunk = all.slice(i, i + BATCH);
    const found = await ctx.store.getMany<Signal>(chunk.map(keys.signal));
    found.forEach((s, n) => {
      if (!s) return;
      if ((pKey !== undefined && s.value.personKey === pKey) || (s.value.person && samePerson(s.value.person, who))) matched.push(chunk[n]!);
    });
  }
  return matched;
}

/**
 * Plans the erasure of one person into a DocSet (nothing written yet). Used to show what would be
 * erased (counts only) and, with a fresh DocSet, to erase.
 */
export async function planErasure(ctx: AppContext, who: PersonIdentity): Promise<ErasurePlan> {
  const { store } = ctx;
  const docs = new DocSet(store);
  const secret = (await store.get<{ secret: string }>(keys.personKeySecret))?.value.secret;
  const pKey = secret ? personKey(secret, who.name, who.dateOfBirth) : undefined;
  const isPerson = (p: PersonIdentity | undefined, key: string | undefined) => (pKey !== undefined && key === pKey) || (p !== undefined && samePerson(p, who));
  const matcher = nameMatcher(who.name);
  const caseIds = new Set<string>();
  let textHits = 0;

  // Signals about the person: the person data goes, the fact stays.
  const signalIds = await matchingSignalIds(ctx, who, pKey);
  const signals = (await docs.load<Signal>(signalIds.map(keys.signal))).filter((s): s is Signal => s !== undefined);
  const contactIds = new Set<string>();
  const personKeys = new Set<string>(pKey ? [pKey] : []);
  for (const s of signals) {
    const { person: _p, personKey: k, ...rest } = s;
    docs.set(keys.signal(s.id), { ...rest, description: t.erasedDescription });
    if (k) {
      personKeys.add(k);
      docs.unindex(indexes.personSignals(k), s.id);
    }
    caseIds.add(s.caseId);
    if (s.policeContactId) contactIds.add(s.policeContactId);
  }
  for (const k of personKeys) {
    for (const id of await members(store, indexes.personSignals(k))) docs.unindex(indexes.personSignals(k), id);
    for (const id of await members(store, indexes.personPolice(k))) {
      docs.unindex(indexes.personPolice(k), id);
      contactIds.add(id);
    }
  }
  const contacts = (await docs.load<PoliceContact>([...contactIds].map(keys.policeContact))).filter((c): c is PoliceContact => c !== undefined);
  let contactsChanged = 0;
  for (const c of contacts) {
    if (c.personKey === undefined || !personKeys.has(c.personKey)) continue;
    const { personKey: _k, ...rest } = c;
    docs.set(keys.policeContact(c.id), rest);
    contactsChanged++;
  }

  // Pointers, markers and the colour by person key.
  const keyed = [...personKeys];
  const pointerKeys = keyed.flatMap((k) => SIGNAL_KINDS.map((kind) => personPointerKey(kind, k)));
  await docs.load(pointerKeys);
  for (const k of pointerKeys) docs.remove(k);
  const markerKeys = keyed.flatMap(personMarkerKeys);
  const markers = await docs.load<{ caseId: string; firingId: string }>(markerKeys);
  const firingIds = new Set<string>();
  markerKeys.forEach((k, i) => {
    const m = markers[i];
    if (!m) return;
    docs.remove(k);
    docs.unindex(escalationIndexes.fired, k);
    docs.unindex(escalationIndexes.caseFired(m.caseId), k);
    firingIds.add(m.firingId);
  });
  const colourKeys = keyed.map(kerngroepKeys.person);
  await docs.load(colourKeys);
  for (const k of colourKeys) docs.remove(k);

  // Kerngroep registrations: the person goes; a registration of only this person goes entirely.
  const regIds = await members(store, kerngroepIndexes.registrations);
  let registrations = 0;
  const touchedRegistrations: Registration[] = [];
  for (let i = 0; i < regIds.length; i += BATCH) {
    const chunk = regIds.slice(i, i + BATCH);
    const found = await store.getMany<Registration>(chunk.map(kerngroepKeys.registration));
    const hits = found.filter((g): g is NonNullable<typeof g> => g !== undefined && g.value.persons.some((p) => isPerson(p, p.personKey)));
    const loaded = await docs.load<Registration>(hits.map((g) => kerngroepKeys.registration(g.value.id)));
    for (const g of loaded) {
      if (!g) continue;
      touchedRegistrations.push(g);
      registrations++;
      caseIds.add(g.caseId);
      const persons = g.persons.filter((p) => !isPerson(p, p.personKey));
      if (persons.length === 0) {
        docs.remove(kerngroepKeys.registration(g.id));
        docs.unindex(kerngroepIndexes.registrations, g.id);
        docs.unindex(kerngroepIndexes.caseRegistrations(g.caseId), g.id);
      } else {
        docs.set(kerngroepKeys.registration(g.id), { ...g, persons, group: g.group && persons.length > 1 });
      }
    }
  }

  // Kerngroep agendas: the person with their questions and answers; as a family member of others.
  const agenda = await removeFromKerngroepAgendas(ctx, docs, (p) => {
    const hit = isPerson(p, p.personKey);
    if (hit) caseIds.add(p.caseId);
    return hit;
  });
  let family = 0;
  for (const [key, m] of docs.entries<KgMeeting>('kg-meeting:')) {
    let changed = false;
    const persons = m.persons.map((p) => {
      const kept = p.family.filter((f) => !samePerson(f, who));
      if (kept.length === p.family.length) return p;
      family += p.family.length - kept.length;
      changed = true;
      caseIds.add(p.caseId);
      return { ...p, family: kept };
    });
    if (changed) docs.set(key, { ...m, persons });
  }

  // The cases concerned: the person key on the case, and the name in free text anywhere in them.
  const cases = (await docs.load<Case>([...caseIds].map(keys.case))).filter((c): c is Case => c !== undefined);
  for (const c of cases) {
    if (c.personKey !== undefined && personKeys.has(c.personKey)) {
      const { personKey: _k, ...rest } = c;
      docs.set(keys.case(c.id), rest);
    }
  }
  const textKeys: string[] = [];
  for (const c of cases) {
    textKeys.push(keys.case(c.id), ...c.passOns.map((p) => keys.passOn(p.id)));
    textKeys.push(...(await members(store, indexes.caseSignals(c.id))).map(keys.signal));
    for (const id of await members(store, escalationIndexes.caseFirings(c.id))) firingIds.add(id);
    const meetings = (await docs.load<Meeting>((await members(store, meetingIndexes.caseMeetings(c.id))).map(meetingKeys.meeting))).filter((m): m is Meeting => m !== undefined);
    for (const m of meetings) {
      textKeys.push(meetingKeys.meeting(m.id));
      textKeys.push(...[...new Set([...m.invitedOrganisations, ...m.invitees.map((i) => i.organisation)])].map((o) => meetingKeys.prep(m.id, o)));
      textKeys.push(...[...new Set(m.advisers.map((a) => a.organisation))].map((o) => meetingKeys.advice(m.id, o)));
    }
    const interventionIds = await members(store, meetingIndexes.caseInterventions(c.id));
    textKeys.push(...interventionIds.map(meetingKeys.intervention), ...interventionIds.map(feedbackKeys.feedback));
    textKeys.push(...(await members(store, kerngroepIndexes.caseRegistrations(c.id))).map(kerngroepKeys.registration));
  }
  textKeys.push(...[...firingIds].map(escalationKeys.firing));
  const redactAll = async (wanted: readonly string[]) => {
    await docs.load(wanted);
    for (const key of new Set(wanted)) {
      let value = docs.value<Record<string, unknown>>(key);
      if (!value) continue;
      if (key.startsWith('escalation-firing:') && typeof value.personKey === 'string' && personKeys.has(value.personKey)) {
        const { personKey: _k, ...rest } = value;
        value = rest;
        docs.set(key, value);
      }
      const r = redactNameDeep(value, matcher, t.erasedName);
      if (r.count > 0) {
        textHits += r.count;
        docs.set(key, r.value);
      }
    }
  };
  await redactAll([...textKeys, ...docs.entries('kg-meeting:').map(([k]) => k)]);
  // Notices name no person by design, but some carry text typed by a professional (the chair's
  // reason for returning a registration): those of the firings and registrations concerned.
  const noticeIds = [
    ...docs.entries<FiringRecord>('escalation-firing:').flatMap(([, f]) => f.noticeIds),
    ...[...touchedRegistrations, ...docs.entries<Registration>('kg-reg:').map(([, g]) => g)].flatMap((g) =>
      [...new Set([g.by.userId, ...(ctx.directory.district(g.district)?.wijkmanagers ?? [])])].map((u) => `kg-decision:${g.id}:${u}`),
    ),
  ];
  await redactAll(noticeIds.map(noticeKeys.notice));

  const found = signals.length + registrations + agenda.persons + family + textHits + contactsChanged > 0 || docs.ops().length > 0;
  return {
    docs,
    ...(pKey ? { pKey } : {}),
    caseRefs: cases.map((c) => c.ref).filter((ref) => CASE_REF.test(ref)).sort(),
    counts: nonZero({
      signals: signals.length,
      cases: cases.length,
      policeContacts: contactsChanged,
      kerngroepRegistrations: registrations,
      kerngroepAgendaPersons: agenda.persons,
      kerngroepAnswers: agenda.answers,
      familyMembers: family,
      nameInText: textHits,
      escalationMarkers: docs.removed('escalation-fired:'),
    }),
    found,
  };
}

// --- the card -------------------------------------------------------------------------------------

function readIdentity(data: z.infer<typeof previewData>): { ok: true; who: PersonIdentity } | { ok: false; error: string } {
  const name = (data.name ?? '').replace(/\s+/g, ' ').trim();
  if (name === '' || name.length > ERASURE_LIMITS.name || !/\p{L}/u.test(name)) return { ok: false, error: t.badName };
  const dob = (data.dateOfBirth ?? '').trim();
  if (!parseCalendarDate(dob)) return { ok: false, error: t.badDate };
  return { ok: true, who: { name, dateOfBirth: dob } };
}

function foundLines(plan: ErasurePlan): string[] {
  const c = plan.counts;
  if (!plan.found) return [t.nothingFound];
  const lines = [t.found(c.signals ?? 0, c.cases ?? 0, c.kerngroepRegistrations ?? 0, c.kerngroepAgendaPersons ?? 0)];
  if (c.familyMembers) lines.push(t.foundFamily(c.familyMembers));
  if (c.nameInText) lines.push(t.foundText(c.nameInText));
  if (plan.caseRefs.length > 0) lines.push(t.caseRefs(plan.caseRefs.join(', ')));
  return lines;
}

async function refuse(ctx: AppContext, actor: Actor, resource: string, reason: string): Promise<CardActionResult> {
  await audit(ctx, { actor: actor.id, action: 'person.erase', resource, outcome: 'refused', reason });
  ctx.log.warn({ event: 'erasure.refused', userId: actor.id, resource, reason }, 'erasure request refused');
  return { kind: 'message', text: t.forged };
}

/** Access first (audited when denied); then the form must be this beheerder's, unused and fresh. */
async function checkRequest(
  ctx: AppContext,
  actor: Actor,
  data: unknown,
): Promise<
  | { ok: true; parsed: z.infer<typeof previewData>; form: { value: ErasureForm; etag: string } }
  | { ok: false; result: CardActionResult }
> {
  const decision = decide(actor, 'person.erase', { type: 'system' });
  if (!isAllowed(decision)) {
    await audit(ctx, auditDecision(actor, 'person.erase', 'system', decision));
    ctx.log.warn({ event: 'erasure.denied', userId: actor.id }, 'erasure denied');
    return { ok: false, result: { kind: 'message', text: t.denied } };
  }
  const parsed = previewData.safeParse(data);
  if (!parsed.success) return { ok: false, result: await refuse(ctx, actor, 'erasure-form:?', 'bad-shape') };
  const resource = erasureKeys.form(parsed.data.cardId);
  const form = await ctx.store.get<ErasureForm>(resource);
  if (!form) return { ok: false, result: await refuse(ctx, actor, resource, 'unknown-card') };
  if (form.value.userId !== actor.id) return { ok: false, result: await refuse(ctx, actor, resource, 'foreign-card') };
  const used = await ctx.store.get<ErasureUsed>(erasureKeys.formUsed(parsed.data.cardId));
  if (used) return { ok: false, result: { kind: 'card', card: erasureDoneCard(t.alreadyDone(used.value.ref)) } };
  if (ctx.clock.now().getTime() - new Date(form.value.issuedAt).getTime() > FORM_TTL_MS) {
    return { ok: false, result: await refuse(ctx, actor, resource, 'expired-card') };
  }
  return { ok: true, parsed: parsed.data, form };
}

/** `wissen` / `persoon wissen`: a fresh card for the beheerder; anyone else is refused (audited). */
export async function openErasureForm(ctx: AppContext, actor: Actor): Promise<OutgoingMessage> {
  const decision = decide(actor, 'person.erase', { type: 'system' });
  if (!isAllowed(decision)) {
    await audit(ctx, auditDecision(actor, 'person.erase', 'system', decision));
    ctx.log.warn({ event: 'erasure.denied', userId: actor.id }, 'erasure denied');
    return { kind: 'text', text: t.denied };
  }
  const cardId = randomUUID();
  const form: ErasureForm = { userId: actor.id, issuedAt: ctx.clock.now().toISOString() };
  const result = await ctx.store.commit([{ op: 'put', key: erasureKeys.form(cardId), value: form, ifAbsent: true }]);
  if (!result.ok) throw new Error('Unexpected: a fresh random card id already exists');
  return { kind: 'card', card: erasureCard({ cardId }), summary: t.title };
}

/** "Zoeken": what would be erased, as counts and case references; audited as a read. */
export async function previewErasure(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const checked = await checkRequest(ctx, actor, data);
  if (!checked.ok) return checked.result;
  const { parsed, form } = checked;
  const cardId = parsed.cardId;
  const typed = { cardId, ...(parsed.name ? { name: parsed.name.slice(0, ERASURE_LIMITS.name) } : {}), ...(parsed.dateOfBirth ? { dateOfBirth: parsed.dateOfBirth.slice(0, 10) } : {}) };
  const identity = readIdentity(parsed);
  if (!identity.ok) return { kind: 'card', card: erasureCard({ ...typed, error: identity.error }) };
  const plan = await planErasure(ctx, identity.who);
  const { previewKey: _old, ...rest } = form.value;
  const updated: ErasureForm = { ...rest, ...(plan.found && plan.pKey ? { previewKey: plan.pKey } : {}) };
  await ctx.store.commit([
    { op: 'put', key: erasureKeys.form(cardId), value: updated, ifEtag: form.etag },
    auditOp({ actor: actor.id, action: 'person.erase.preview', resource: erasureKeys.form(cardId), outcome: 'allow', reason: `cases:${plan.caseRefs.length}` }),
  ]);
  ctx.log.info({ event: 'erasure.previewed', userId: actor.id, cardId, counts: plan.counts }, 'erasure previewed');
  return { kind: 'card', card: erasureCard({ ...typed, found: { lines: foundLines(plan), canErase: plan.found && plan.pKey !== undefined } }) };
}

/** "Definitief wissen": erases, records and audits in one commit; a second click answers with the record. */
export async function confirmErasure(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult> {
  const checked = await checkRequest(ctx, actor, data);
  if (!checked.ok) return checked.result;
  const { parsed } = checked;
  const cardId = parsed.cardId;
  const typed = { cardId, ...(parsed.name ? { name: parsed.name.slice(0, ERASURE_LIMITS.name) } : {}), ...(parsed.dateOfBirth ? { dateOfBirth: parsed.dateOfBirth.slice(0, 10) } : {}) };
  const identity = readIdentity(parsed);
  if (!identity.ok) return { kind: 'card', card: erasureCard({ ...typed, error: identity.error }) };
  const who = identity.who;
  const matcher = nameMatcher(who.name);
  // The reason is kept in the record: the name (if typed in it anyway) is taken out first.
  const reason = redactName((parsed.reason ?? '').replace(/\s+/g, ' ').trim(), matcher, t.erasedName).text;
  const reasonOk = reason.length >= ERASURE_LIMITS.minReason && reason.length <= ERASURE_LIMITS.reason;

  let ref: string | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const form = await ctx.store.get<ErasureForm>(erasureKeys.form(cardId));
    if (!form) return refuse(ctx, actor, erasureKeys.form(cardId), 'unknown-card');
    const plan = await planErasure(ctx, who);
    if (!plan.pKey || plan.pKey !== form.value.previewKey || !plan.found) {
      return { kind: 'card', card: erasureCard({ ...typed, error: t.changed, found: { lines: foundLines(plan), canErase: false } }) };
    }
    if (!reasonOk) return { kind: 'card', card: erasureCard({ ...typed, ...(parsed.reason ? { reason: parsed.reason.slice(0, ERASURE_LIMITS.reason) } : {}), error: t.reasonRequired, found: { lines: foundLines(plan), canErase: true } }) };
    const now = ctx.clock.now();
    ref ??= await nextDeletionRef(ctx, now);
    const record: DeletionRecord = {
      id: randomUUID(),
      ref,
      kind: 'verzoek',
      at: now.toISOString(),
      by: actor.id,
      reason,
      caseRefs: plan.caseRefs,
      counts: plan.counts,
    };
    const used: ErasureUsed = { ref, signals: plan.counts.signals ?? 0, cases: plan.caseRefs.length };
    const { previewKey: _k, ...formRest } = form.value;
    const audits: AuditEvent[] = [
      { actor: actor.id, action: 'person.erase', resource: `deletion:${ref}`, outcome: 'allow' },
      ...plan.caseRefs.map((c): AuditEvent => ({ actor: actor.id, action: 'person.erase', resource: `case:${c}`, outcome: 'allow', reason: ref })),
    ];
    const result = await ctx.store.commit([
      ...plan.docs.ops(),
      { op: 'put', key: erasureKeys.form(cardId), value: formRest, ifEtag: form.etag },
      { op: 'put', key: erasureKeys.formUsed(cardId), value: used, ifAbsent: true },
      deletionRecordOp(record),
      ...audits.map(auditOp),
    ]);
    if (result.ok) {
      ctx.log.info({ event: 'erasure.done', userId: actor.id, deletionRef: ref, counts: plan.counts }, 'person erased on request');
      await compactAfterDeletion(ctx);
      return { kind: 'card', card: erasureDoneCard(t.done(ref, used.signals, used.cases)) };
    }
    if (result.conflict === erasureKeys.formUsed(cardId)) {
      const first = await ctx.store.get<ErasureUsed>(erasureKeys.formUsed(cardId));
      if (first) return { kind: 'card', card: erasureDoneCard(t.alreadyDone(first.value.ref)) };
    }
    ctx.log.info({ event: 'erasure.retry', userId: actor.id, attempt, conflict: result.conflict.split(':')[0] }, 'data changed while erasing, retrying');
  }
  ctx.log.warn({ event: 'erasure.busy', userId: actor.id }, 'erasure not stored after retries');
  return { kind: 'message', text: t.busy };
}

/**
 * The feature as the Teams layer registers it. Command `wissen` / `persoon wissen` (beheerder);
 * Action.Execute data: `erasure.preview` `{ cardId, name, dateOfBirth }`, `erasure.confirm`
 * `{ cardId, name, dateOfBirth, reason }`.
 */
export const erasureFeature: Feature = {
  commands: [{ name: 'erasure', match: /^(persoon\s+)?wissen$/, run: async (ctx, actor) => [await openErasureForm(ctx, actor)] }],
  actions: [
    { verb: ERASURE_VERBS.preview, run: previewErasure },
    { verb: ERASURE_VERBS.confirm, run: confirmErasure },
  ],
};
