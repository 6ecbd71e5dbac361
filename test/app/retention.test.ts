import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { erasureFeature } from '../../src/app/erasure.js';
import { closeCaseNow, escalationIndexes } from '../../src/app/escalation.js';
import { feedbackKeys } from '../../src/app/feedback.js';
import { kerngroepIndexes, kerngroepKeys, type KgMeeting } from '../../src/app/kerngroep.js';
import { meetingIndexes, meetingKeys } from '../../src/app/meetings.js';
import { DELETIONS_LOG, registerRetentionJobs, runRetention, startRetention } from '../../src/app/retention.js';
import { indexes, keys, listMySignals, openPassOnForm, openSignalForm, passOnCase, submitSignal, viewCase } from '../../src/app/signals.js';
import { ERASURE_VERBS } from '../../src/cards/admin-cards.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { personKey } from '../../src/domain/case.js';
import { feedbackDocSchema } from '../../src/domain/feedback.js';
import { interventionSchema } from '../../src/domain/intervention.js';
import { registrationSchema, type Registration } from '../../src/domain/kerngroep.js';
import { adviceAnswerSchema, meetingSchema, preparationSchema, type Meeting } from '../../src/domain/meeting.js';
import type { DeletionRecord } from '../../src/domain/retention.js';
import type { Case, Signal } from '../../src/domain/signal.js';
import { InProcessJobs } from '../../src/jobs/in-process.js';
import type { AdaptiveCard, Store, WriteOp } from '../../src/ports.js';
import { RedisStore } from '../../src/store/redis.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { requireRedisUrl } from '../support/redis-url.js';
import { deleteRedisKeys, dumpStore } from '../support/store-dump.js';
import { signalForm } from '../support/signal-form.js';

/**
 * Retention and erasure against the real use cases, on both store adapters: what is deleted is gone
 * from every document and index (and, embedded, from the files on disk); what must stay, stays; each
 * deletion leaves a record without personal data; a second run (or instance) deletes nothing twice.
 */

type Kind = 'embedded' | 'redis';

interface World {
  h: Harness;
  ctx: AppContext;
  clock: ReturnType<typeof manualClock>;
  redisUrl?: string;
}

const open: { w: World; cleanup: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const { w, cleanup } of open.splice(0)) {
    await w.h.close();
    await cleanup();
  }
});

async function world(kind: Kind, start: string): Promise<World> {
  const clock = manualClock(new Date(start));
  let store: Store | undefined;
  let cleanup = async () => {};
  let redisUrl: string | undefined;
  if (kind === 'redis') {
    redisUrl = requireRedisUrl();
    const prefix = `test:${randomUUID()}:`;
    store = await RedisStore.connect(redisUrl, { prefix });
    const url = redisUrl;
    cleanup = () => deleteRedisKeys(url, prefix);
  }
  // Without REDIS_URL the jobs are the in-process scheduler, on whichever store is given.
  const h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' }, { clock, ...(store ? { store } : {}) });
  const w: World = { h, ctx: h.bot.ctx, clock, ...(redisUrl ? { redisUrl } : {}) };
  open.push({ w, cleanup });
  return w;
}

const actor = (w: World, id: string): Actor => actorFromDirectory(w.ctx.directory, id)!;

function cardIdOf(card: AdaptiveCard): string {
  const json = JSON.stringify(card);
  const id = /"cardId":"([0-9a-f-]{36})"/.exec(json)?.[1];
  if (!id) throw new Error(`no card id: ${json.slice(0, 200)}`);
  return id;
}

/** A signal through the real form and submit, observed a minute before the clock's now. */
async function report(w: World, userId: string, over: Record<string, string>): Promise<{ signal: Signal; c: Case }> {
  const a = actor(w, userId);
  const cardId = cardIdOf(await openSignalForm(w.ctx, a));
  const result = await submitSignal(w.ctx, a, { cardId, ...signalForm(new Date(w.clock.now().getTime() - 60_000), over) });
  if (result.outcome !== 'created') throw new Error(`signal not created: ${result.outcome} ${JSON.stringify(result).slice(0, 300)}`);
  const ptr = await w.ctx.store.get<{ signalId: string }>(keys.signalRef(result.signalRef));
  const signal = (await w.ctx.store.get<Signal>(keys.signal(ptr!.value.signalId)))!.value;
  const c = (await w.ctx.store.get<Case>(keys.case(signal.caseId)))!.value;
  return { signal, c };
}

async function close(w: World, c: Case): Promise<void> {
  const r = await closeCaseNow(w.ctx, actor(w, 'u-wijkmanager'), c.id, 'Geen meldingen meer, situatie is rustig.');
  expect(r.outcome).toBe('closed');
}

async function commit(w: World, ops: WriteOp[]): Promise<void> {
  const r = await w.ctx.store.commit(ops);
  expect(r.ok).toBe(true);
}

/** A casusoverleg about `cases`, with a preparation and advice, stored as the meetings feature does. */
async function seedMeeting(w: World, cases: Case[], seq: number, prepText: string): Promise<Meeting> {
  const at = w.clock.now().toISOString();
  const m = meetingSchema.parse({
    id: randomUUID(),
    ref: `O-2025-0000${seq}`,
    kind: 'casusoverleg',
    state: 'afgelopen',
    version: 1,
    start: at,
    end: at,
    place: 'Stadskantoor',
    organiser: { userId: 'u-wijkmanager', organisation: 'gemeente' },
    districts: ['crabbehof'],
    cases: cases.map((c) => ({ caseId: c.id, caseRef: c.ref })),
    invitedOrganisations: ['jongerenwerk'],
    invitees: [{ userId: 'u-jongerenwerk', organisation: 'jongerenwerk', via: 'organisation', invitedAt: at }],
    advisers: [{ userId: 'u-woonbron', organisation: 'woonbron', askedAt: at }],
    createdAt: at,
    updatedAt: at,
    manualReminders: [],
  });
  const score = Date.parse(at);
  await commit(w, [
    { op: 'put', key: meetingKeys.meeting(m.id), value: m },
    { op: 'put', key: meetingKeys.meetingRef(m.ref), value: { meetingId: m.id } },
    { op: 'put', key: meetingKeys.prep(m.id, 'jongerenwerk'), value: preparationSchema.parse({ meetingId: m.id, organisation: 'jongerenwerk', by: { userId: 'u-jongerenwerk', organisation: 'jongerenwerk' }, submittedAt: at, updatedAt: at, fields: { analysis: prepText } }) },
    { op: 'put', key: meetingKeys.advice(m.id, 'woonbron'), value: adviceAnswerSchema.parse({ meetingId: m.id, organisation: 'woonbron', by: { userId: 'u-woonbron', organisation: 'woonbron' }, text: `Advies: ${prepText}`, answeredAt: at, updatedAt: at }) },
    ...['u-wijkmanager', 'u-jongerenwerk', 'u-woonbron'].map((u): WriteOp => ({ op: 'index', index: meetingIndexes.userMeetings(u), member: m.id, score })),
    ...cases.map((c): WriteOp => ({ op: 'index', index: meetingIndexes.caseMeetings(c.id), member: m.id, score })),
  ]);
  return m;
}

/** An intervention agreed at `m` with its feedback. */
async function seedIntervention(w: World, m: Meeting, cases: Case[], text: string): Promise<string> {
  const at = w.clock.now().toISOString();
  const i = interventionSchema.parse({
    id: randomUUID(),
    meetingId: m.id,
    meetingRef: m.ref,
    cases: cases.map((c) => ({ caseId: c.id, caseRef: c.ref })),
    organisation: 'jongerenwerk',
    responsibleUserIds: ['u-jongerenwerk'],
    description: text,
    feedbackDue: '2025-04-01',
    behaviourBy: '2025-05-01',
    status: 'afgesproken',
    agreedAt: at,
    agreedBy: { userId: 'u-wijkmanager', organisation: 'gemeente' },
  });
  const entry = { executed: 'ja', effect: 'voldoende', explanation: `Terugkoppeling: ${text}`, followUp: 'nee', by: { userId: 'u-jongerenwerk', organisation: 'jongerenwerk' }, at, cardId: randomUUID() };
  await commit(w, [
    { op: 'put', key: meetingKeys.intervention(i.id), value: i },
    { op: 'put', key: feedbackKeys.feedback(i.id), value: feedbackDocSchema.parse({ interventionId: i.id, current: entry, history: [] }) },
    { op: 'put', key: feedbackKeys.formUsed(entry.cardId), value: { interventionId: i.id, at } },
    { op: 'index', index: meetingIndexes.interventionsByFeedbackDue, member: i.id, score: Date.UTC(2025, 3, 1) },
    { op: 'index', index: meetingIndexes.userInterventions('u-jongerenwerk'), member: i.id, score: Date.UTC(2025, 3, 1) },
    ...cases.map((c): WriteOp => ({ op: 'index', index: meetingIndexes.caseInterventions(c.id), member: i.id, score: Date.UTC(2025, 3, 1) })),
  ]);
  return i.id;
}

/** A Kerngroep registration of `persons` of case `c`, as the Kerngroep feature stores it. */
async function seedRegistration(w: World, c: Case, persons: { personKey: string; name: string; dateOfBirth: string }[], justification: string): Promise<Registration> {
  const at = w.clock.now().toISOString();
  const reg = registrationSchema.parse({
    id: randomUUID(),
    caseId: c.id,
    caseRef: c.ref,
    district: c.district,
    by: { userId: 'u-wijkmanager', organisation: 'gemeente' },
    at,
    reason: 'b',
    justification,
    policeContactDates: [],
    interventions: 1,
    group: persons.length > 1,
    persons: persons.map((p) => ({ personId: randomUUID(), ...p })),
    status: 'geagendeerd',
  });
  await commit(w, [
    { op: 'put', key: kerngroepKeys.registration(reg.id), value: reg },
    { op: 'index', index: kerngroepIndexes.registrations, member: reg.id, score: Date.parse(at) },
    { op: 'index', index: kerngroepIndexes.caseRegistrations(c.id), member: reg.id, score: Date.parse(at) },
  ]);
  return reg;
}

/** A Kerngroep meeting with `persons` (from registrations) on the agenda, each with an answered question. */
async function seedKerngroepMeeting(w: World, persons: { reg: Registration; index: number; family?: { name: string; dateOfBirth: string }[] }[]): Promise<KgMeeting> {
  const at = w.clock.now().toISOString();
  const agenda = persons.map(({ reg, index, family }) => {
    const p = reg.persons[index]!;
    return { personId: p.personId, registrationId: reg.id, caseId: reg.caseId, personKey: p.personKey, name: p.name, dateOfBirth: p.dateOfBirth, colour: 'oranje' as const, address: 'Dorpsweg 1', city: 'Dordrecht', family: family ?? [] };
  });
  const questions = agenda.map((p) => ({ id: `${p.personId}:politie:risicosignalen`, personId: p.personId, organisation: 'politie', key: 'risicosignalen' as const }));
  const m: KgMeeting = {
    id: randomUUID(),
    start: at,
    place: 'Stadskantoor',
    chair: 'u-voorzitter',
    organisations: ['politie'],
    persons: agenda,
    questions,
    answers: Object.fromEntries(questions.map((q) => [q.id, { value: 'ja' as const, by: 'u-politie', at, late: false }])),
    reopened: [],
    agendaVersion: 1,
    createdAt: at,
  };
  await commit(w, [
    { op: 'put', key: kerngroepKeys.meeting(m.id), value: m },
    { op: 'index', index: kerngroepIndexes.meetings, member: m.id, score: Date.parse(at) },
    ...agenda.map((p): WriteOp => ({ op: 'put', key: kerngroepKeys.person(p.personKey), value: { colour: p.colour, meetingId: m.id } })),
  ]);
  return m;
}

async function passOn(w: World, userId: string, c: Case, reason: string): Promise<void> {
  const a = actor(w, userId);
  const form = await openPassOnForm(w.ctx, a, { caseRef: c.ref });
  expect(form.outcome).toBe('form');
  const r = await passOnCase(w.ctx, a, { cardId: cardIdOf(form.card), caseRef: c.ref, reason });
  expect(r.outcome).toBe('recorded');
}

const deletions = async (w: World) => (await w.ctx.store.readLog(DELETIONS_LOG, 0, Number.MAX_SAFE_INTEGER)).map((e) => e.entry as DeletionRecord);

// --- retention ------------------------------------------------------------------------------------

for (const kind of ['embedded', 'redis'] as const) {
  describe(`retention on the ${kind} store`, () => {
    it('deletes a case closed more than 12 months ago with everything hanging off it; a recent closed case and open cases stay', async () => {
      // Monday 3 March 2025, 10:00 in Amsterdam.
      const w = await world(kind, '2025-03-03T09:00:00Z');
      const OLD_NAME = 'Karel Oudgeval';
      const a1 = await report(w, 'u-politie', {
        subject: 'persoon',
        personName: OLD_NAME,
        personDob: '2001-02-03',
        description: 'OUD-BESCHRIJVING bij de speeltuin.',
        policeContact: 'true',
        policeReference: 'MUT-OUD-1',
      });
      const a2 = await report(w, 'u-jongerenwerk', { description: 'OUD-TWEEDE melding, zelfde plek.' });
      expect(a2.c.id).toBe(a1.c.id);
      await passOn(w, 'u-politie', a1.c, 'OUD-DOORZETREDEN: interventies werken niet.');
      await w.h.bot.runDueJobs();
      // Open case in another district, and a meeting and an intervention about both cases.
      const cOpen = await report(w, 'u-handhaving', { district: 'binnenstad', location: 'Statenplein', description: 'Open casus, blijft.' });
      const oldCase = (await w.ctx.store.get<Case>(keys.case(a1.c.id)))!.value;
      const onlyOld = await seedMeeting(w, [oldCase], 1, 'OUD-VOORBEREIDING');
      const shared = await seedMeeting(w, [oldCase, cOpen.c], 2, 'Gedeelde voorbereiding');
      const oldIntervention = await seedIntervention(w, onlyOld, [oldCase], 'OUD-INTERVENTIE');
      const sharedIntervention = await seedIntervention(w, shared, [oldCase, cOpen.c], 'Gedeelde interventie');
      const oldReg = await seedRegistration(w, oldCase, [{ personKey: a1.signal.personKey!, name: OLD_NAME, dateOfBirth: '2001-02-03' }], 'OUD-AANMELDING');
      const otherReg = await seedRegistration(w, cOpen.c, [{ personKey: 'pk-ander', name: 'Anne Ander', dateOfBirth: '1990-09-09' }], 'Blijft staan');
      const kgm = await seedKerngroepMeeting(w, [{ reg: oldReg, index: 0 }, { reg: otherReg, index: 0 }]);
      await close(w, oldCase);

      // Nine months later: a case that is closed now, and stays (closed less than 12 months ago).
      w.clock.set(new Date('2025-12-01T10:00:00Z'));
      const recent = await report(w, 'u-handhaving', { location: 'Jacob Marisstraat', description: 'Recent afgesloten, blijft.' });
      await close(w, recent.c);

      // 3 March 2026 09:58 local: not yet 12 months.
      w.clock.set(new Date('2026-03-03T08:58:00Z'));
      expect((await runRetention(w.ctx, { months: 12 })).deleted).toEqual([]);
      expect(await w.ctx.store.get(keys.case(oldCase.id))).toBeDefined();

      // A day later: due. Two runs at once (two instances) delete it once.
      w.clock.set(new Date('2026-03-04T02:00:00Z'));
      const [r1, r2] = await Promise.all([runRetention(w.ctx, { months: 12 }), runRetention(w.ctx, { months: 12 })]);
      expect(r1.deleted.length + r2.deleted.length).toBe(1);
      expect((await runRetention(w.ctx, { months: 12 })).deleted).toEqual([]);

      // The case and its signals are gone for users.
      const wm = actor(w, 'u-wijkmanager');
      expect((await viewCase(w.ctx, wm, oldCase.ref, { details: false })).outcome).toBe('refused');
      expect(JSON.stringify(await listMySignals(w.ctx, actor(w, 'u-politie')))).not.toContain(a1.signal.ref);
      const mine = JSON.stringify(await listMySignals(w.ctx, actor(w, 'u-handhaving')));
      expect(mine).toContain(recent.signal.ref);
      expect(mine).toContain(cOpen.signal.ref);
      expect((await viewCase(w.ctx, wm, recent.c.ref, { details: false })).outcome).toBe('allowed');
      expect((await w.ctx.store.get<Case>(keys.case(cOpen.c.id)))?.value.status).toBe('open');

      // Shared things stay without the deleted case; the other person stays on the Kerngroep agenda.
      expect((await w.ctx.store.get<Meeting>(meetingKeys.meeting(shared.id)))?.value.cases.map((c) => c.caseRef)).toEqual([cOpen.c.ref]);
      expect(await w.ctx.store.get(meetingKeys.prep(shared.id, 'jongerenwerk'))).toBeDefined();
      expect((await w.ctx.store.get<{ cases: unknown[] }>(meetingKeys.intervention(sharedIntervention)))?.value.cases).toHaveLength(1);
      const kgAfter = (await w.ctx.store.get<KgMeeting>(kerngroepKeys.meeting(kgm.id)))!.value;
      expect(kgAfter.persons.map((p) => p.name)).toEqual(['Anne Ander']);
      expect(Object.keys(kgAfter.answers)).toHaveLength(1);
      expect(await w.ctx.store.get(kerngroepKeys.registration(otherReg.id))).toBeDefined();
      expect(await w.ctx.store.get(kerngroepKeys.person('pk-ander'))).toBeDefined();

      // Nothing of the deleted case is left in any document or index; its person nowhere at all.
      const dump = await dumpStore(w.ctx.store, { ...(w.redisUrl ? { redisUrl: w.redisUrl } : {}) });
      const gone = [oldCase.id, a1.signal.id, a2.signal.id, a1.signal.policeContactId!, onlyOld.id, oldIntervention, oldReg.id, a1.signal.personKey!, a1.signal.cardId];
      for (const id of gone) expect(dump.data, id).not.toContain(id);
      for (const text of [OLD_NAME, '2001-02-03', 'MUT-OUD-1', 'OUD-BESCHRIJVING', 'OUD-TWEEDE', 'OUD-DOORZETREDEN', 'OUD-VOORBEREIDING', 'OUD-INTERVENTIE', 'OUD-AANMELDING']) {
        expect(dump.raw, text).not.toContain(text);
      }
      // What stays is still there.
      for (const text of ['Open casus, blijft.', 'Recent afgesloten, blijft.', 'Anne Ander', 'Gedeelde voorbereiding']) expect(dump.data, text).toContain(text);

      // One record per deletion: kind, when, why, counts; no personal data.
      const records = await deletions(w);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ kind: 'retentie', by: 'system', caseRefs: [oldCase.ref], at: '2026-03-04T02:00:00.000Z' });
      expect(records[0]!.reason).toContain('12 maanden');
      expect(records[0]!.counts).toMatchObject({
        cases: 1,
        signals: 2,
        personSignals: 1,
        policeContacts: 1,
        passOns: 1,
        meetings: 1,
        meetingsWithoutThisCase: 1,
        preparations: 1,
        advice: 1,
        interventions: 1,
        interventionsWithoutThisCase: 1,
        feedback: 1,
        kerngroepRegistrations: 1,
        kerngroepAgendaPersons: 1,
        kerngroepAnswers: 1,
      });
      expect(records[0]!.counts.escalationFirings).toBeGreaterThanOrEqual(1);
      const audit = await w.ctx.store.readLog('audit', 0, Number.MAX_SAFE_INTEGER);
      expect(audit.map((e) => e.entry)).toContainEqual({ actor: 'system', action: 'retention.delete', resource: `case:${oldCase.ref}`, outcome: 'allow', reason: records[0]!.ref });
      // The audit log itself is kept: the old case's history is still in it.
      expect(audit.some((e) => e.entry.resource === `case:${oldCase.ref}` && e.entry.action === 'case.close')).toBe(true);
      // The worklist is empty of it; the recent case is still on it.
      expect((await w.ctx.store.range(escalationIndexes.closedCases, -Infinity, Infinity)).map((e) => e.member)).toEqual([recent.c.id]);
      expect(await w.ctx.store.range(indexes.districtSignals('crabbehof'), -Infinity, Infinity)).toHaveLength(1);
    });
  });
}

for (const kind of ['embedded', 'redis'] as const) {
  describe(`the daily retention job on the ${kind} store`, () => {
    it('is scheduled once and runs once with two instances, and schedules the next night', async () => {
      const w = await world(kind, '2026-03-03T09:00:00Z');
      // A second instance on the same store: its own scheduler, the same job.
      const jobs2 = new InProcessJobs({ store: w.ctx.store, clock: w.clock, pollIntervalMs: 0 });
      const ctx2: AppContext = { ...w.ctx, jobs: jobs2 };
      registerRetentionJobs(ctx2, { months: 12 });
      await jobs2.start();
      try {
        await startRetention(ctx2);
        const scheduled = async () => (await w.ctx.store.range('jobs:due', -Infinity, Infinity)).map((e) => e.member).filter((m) => m.startsWith('retention:'));
        expect(await scheduled()).toEqual(['retention:2026-03-04']);
        w.clock.set(new Date('2026-03-04T02:01:00Z'));
        await Promise.all([w.h.bot.runDueJobs(), jobs2.runDue(), jobs2.runDue()]);
        expect(w.h.logs.filter((l) => l.includes('"event":"retention.run"'))).toHaveLength(1);
        expect(await scheduled()).toEqual(['retention:2026-03-05']);
      } finally {
        await jobs2.stop();
      }
    });
  });
}

// --- erasure on request ---------------------------------------------------------------------------

const ANNA = { name: 'Anna de Wit', dateOfBirth: '1999-05-05' };

async function click(w: World, userId: string, verb: string, data: Record<string, unknown>) {
  const route = erasureFeature.actions.find((a) => a.verb === verb)!;
  return route.run(w.ctx, actor(w, userId), data);
}

async function erasureCardId(w: World, userId: string): Promise<string> {
  const [msg] = await erasureFeature.commands[0]!.run(w.ctx, actor(w, userId), 'wissen');
  expect(msg!.kind).toBe('card');
  return cardIdOf((msg as { card: AdaptiveCard }).card);
}

for (const kind of ['embedded', 'redis'] as const) {
  describe(`erasure on request on the ${kind} store`, () => {
    it("erases one person's data across cases and keeps the cases, the facts and everyone else", async () => {
      const w = await world(kind, '2026-02-02T09:00:00Z');
      // Anna in an overlast case (police, with a police contact) and in a zorg case; Bert in the first case too.
      const s1 = await report(w, 'u-politie', { subject: 'persoon', personName: ANNA.name, personDob: ANNA.dateOfBirth, description: 'Anna bedreigde voorbijgangers.', policeContact: 'true', policeReference: 'MUT-9' });
      const s2 = await report(w, 'u-jongerenwerk', { subject: 'persoon', personName: 'Bert Blijft', personDob: '2000-01-01', description: 'Bert hing rond.' });
      const s3 = await report(w, 'u-jongerenwerk', { description: 'Groep met anna DE wit erbij.' });
      const zorg = await report(w, 'u-swt', { kind: 'zorg', subject: 'persoon', personName: 'anna  de wit', personDob: ANNA.dateOfBirth, location: 'Jacob Marisstraat', description: 'Zorgen over haar.' });
      expect(zorg.c.id).not.toBe(s1.c.id);
      await passOn(w, 'u-politie', s1.c, 'Anna de Wit blijft overlast geven.');
      await w.h.bot.runDueJobs();
      const case1 = (await w.ctx.store.get<Case>(keys.case(s1.c.id)))!.value;
      const pKey = s1.signal.personKey!;
      const bertKey = (await w.ctx.store.get<Signal>(keys.signal(s2.signal.id)))!.value.personKey!;
      const reg = await seedRegistration(w, case1, [{ personKey: pKey, name: ANNA.name, dateOfBirth: ANNA.dateOfBirth }, { personKey: bertKey, name: 'Bert Blijft', dateOfBirth: '2000-01-01' }], 'Anna de Wit en Bert: aanhoudend.');
      const kgm = await seedKerngroepMeeting(w, [{ reg, index: 0 }, { reg, index: 1, family: [{ name: 'Anna de Wit', dateOfBirth: ANNA.dateOfBirth }, { name: 'Carla Blijft', dateOfBirth: '1970-01-01' }] }]);
      const m = await seedMeeting(w, [case1], 1, 'Rond Anna de Wit hangt een groep.');

      // A partner is refused, and that is audited.
      const denied = await click(w, 'u-politie', ERASURE_VERBS.confirm, { cardId: randomUUID(), name: ANNA.name, dateOfBirth: ANNA.dateOfBirth, reason: 'Ik wil dit wissen, graag.' });
      expect(denied).toEqual({ kind: 'message', text: expect.stringContaining('Alleen een beheerder') });
      const auditAfterDenial = await w.ctx.store.readLog('audit', 0, Number.MAX_SAFE_INTEGER);
      expect(auditAfterDenial.at(-1)!.entry).toMatchObject({ actor: 'u-politie', action: 'person.erase', outcome: 'deny', reason: 'role-required' });
      expect(await w.ctx.store.get<Signal>(keys.signal(s1.signal.id))).toMatchObject({ value: { person: { name: ANNA.name } } });

      // The beheerder looks: counts and case references, no names.
      const cardId = await erasureCardId(w, 'u-beheerder');
      const preview = await click(w, 'u-beheerder', ERASURE_VERBS.preview, { cardId, name: 'ANNA DE WIT', dateOfBirth: ANNA.dateOfBirth });
      const previewText = JSON.stringify(preview);
      expect(previewText).toContain('Gevonden: 2 meldingen in 2 casussen, 1 aanmelding bij de Kerngroep, 1 keer op de agenda van de Kerngroep.');
      expect(previewText).toContain('genoemd als gezinslid');
      expect(previewText).toContain(case1.ref);
      expect(previewText).toContain('erasure.confirm');
      // Erasing someone other than who was shown is refused.
      const switched = JSON.stringify(await click(w, 'u-beheerder', ERASURE_VERBS.confirm, { cardId, name: 'Bert Blijft', dateOfBirth: '2000-01-01', reason: 'Verzoek van 1 februari, kenmerk 12.' }));
      expect(switched).toContain('gewijzigd sinds het zoeken');
      expect(await w.ctx.store.get<Signal>(keys.signal(s2.signal.id))).toMatchObject({ value: { person: { name: 'Bert Blijft' } } });
      // A reason is required; then the erasure.
      await click(w, 'u-beheerder', ERASURE_VERBS.preview, { cardId, name: 'ANNA DE WIT', dateOfBirth: ANNA.dateOfBirth });
      expect(JSON.stringify(await click(w, 'u-beheerder', ERASURE_VERBS.confirm, { cardId, name: 'ANNA DE WIT', dateOfBirth: ANNA.dateOfBirth, reason: 'kort' }))).toContain('minimaal 10 tekens');
      const done = await click(w, 'u-beheerder', ERASURE_VERBS.confirm, { cardId, name: 'ANNA DE WIT', dateOfBirth: ANNA.dateOfBirth, reason: 'Verzoek van Anna de Wit, 1 februari, kenmerk 2026-0142.' });
      const doneText = JSON.stringify(done);
      expect(doneText).toMatch(/Gewist\. Verwijderingsrecord V-2026-\d{5}: persoonsgegevens verwijderd uit 2 meldingen in 2 casussen/);
      expect(doneText.toLowerCase()).not.toContain('anna');
      // A second click answers with the same record.
      expect(JSON.stringify(await click(w, 'u-beheerder', ERASURE_VERBS.confirm, { cardId, name: ANNA.name, dateOfBirth: ANNA.dateOfBirth, reason: 'Verzoek nogmaals verstuurd.' }))).toContain('al uitgevoerd');

      // The person is nowhere in the store (embedded: nor in the files on disk), nor in the logs.
      const dump = await dumpStore(w.ctx.store, { ...(w.redisUrl ? { redisUrl: w.redisUrl } : {}) });
      expect(dump.raw.toLowerCase()).not.toContain('anna');
      expect(dump.raw).not.toContain(ANNA.dateOfBirth);
      expect(dump.raw).not.toContain(pKey);
      expect(w.h.logs.join('').toLowerCase()).not.toContain('anna');

      // The cases, the signals as facts, the police contact and everyone else stay.
      for (const s of [s1, s2, s3, zorg]) expect(await w.ctx.store.get(keys.signal(s.signal.id))).toBeDefined();
      const erased = (await w.ctx.store.get<Signal>(keys.signal(s1.signal.id)))!.value;
      expect(erased.person).toBeUndefined();
      expect(erased.personKey).toBeUndefined();
      expect(erased.description).toBe('[beschrijving gewist op verzoek van de betrokkene]');
      expect(erased).toMatchObject({ ref: s1.signal.ref, categories: ['geluid'], location: 'Sumatraplein', caseId: case1.id });
      expect((await w.ctx.store.get<Signal>(keys.signal(s3.signal.id)))!.value.description).toBe('Groep met [naam gewist] erbij.');
      expect(await w.ctx.store.get(keys.policeContact(s1.signal.policeContactId!))).toMatchObject({ value: { reference: 'MUT-9' } });
      expect(await w.ctx.store.get(keys.case(case1.id))).toBeDefined();
      expect(await w.ctx.store.get(keys.case(zorg.c.id))).toBeDefined();
      expect(await w.ctx.store.get<Signal>(keys.signal(s2.signal.id))).toMatchObject({ value: { person: { name: 'Bert Blijft' }, description: 'Bert hing rond.' } });
      const regAfter = (await w.ctx.store.get<Registration>(kerngroepKeys.registration(reg.id)))!.value;
      expect(regAfter.persons.map((p) => p.name)).toEqual(['Bert Blijft']);
      const kgAfter = (await w.ctx.store.get<KgMeeting>(kerngroepKeys.meeting(kgm.id)))!.value;
      expect(kgAfter.persons.map((p) => [p.name, p.family.map((f) => f.name)])).toEqual([['Bert Blijft', ['Carla Blijft']]]);
      expect(Object.keys(kgAfter.answers)).toHaveLength(1);
      expect(await w.ctx.store.get(kerngroepKeys.person(bertKey))).toBeDefined();
      expect(await w.ctx.store.get(kerngroepKeys.person(pKey))).toBeUndefined();
      expect(await w.ctx.store.range(indexes.personPolice(pKey), -Infinity, Infinity)).toEqual([]);
      expect(await w.ctx.store.get(meetingKeys.prep(m.id, 'jongerenwerk'))).toMatchObject({ value: { fields: { analysis: 'Rond [naam gewist] hangt een groep.' } } });

      // One record (reason without the name), and the erasure and every case in the audit log.
      const records = await deletions(w);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ kind: 'verzoek', by: 'u-beheerder', reason: 'Verzoek van [naam gewist], 1 februari, kenmerk 2026-0142.' });
      expect(s3.c.id).toBe(case1.id);
      expect([...records[0]!.caseRefs].sort()).toEqual([case1.ref, zorg.c.ref].sort());
      expect(records[0]!.counts).toMatchObject({ signals: 2, policeContacts: 1, kerngroepRegistrations: 1, kerngroepAgendaPersons: 1, kerngroepAnswers: 1, familyMembers: 1 });
      const audit = (await w.ctx.store.readLog('audit', 0, Number.MAX_SAFE_INTEGER)).map((e) => e.entry);
      expect(audit).toContainEqual({ actor: 'u-beheerder', action: 'person.erase', resource: `deletion:${records[0]!.ref}`, outcome: 'allow' });
      for (const ref of records[0]!.caseRefs) expect(audit).toContainEqual({ actor: 'u-beheerder', action: 'person.erase', resource: `case:${ref}`, outcome: 'allow', reason: records[0]!.ref });
    });
  });
}
