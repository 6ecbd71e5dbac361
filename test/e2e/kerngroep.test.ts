import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNGROEP_VERBS } from '../../src/cards/kerngroep-cards.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Case } from '../../src/domain/signal.js';
import { indexes, keys } from '../../src/app/signals.js';
import { meetingIndexes, meetingKeys } from '../../src/app/meetings.js';
import { feedbackKeys } from '../../src/app/feedback.js';
import { AUDIT_LOG } from '../../src/app/audit.js';
import type { Signal } from '../../src/domain/signal.js';
import { registerKerngroepHook } from '../../src/app/kerngroep.js';
import { actorFromDirectory } from '../../src/domain/actor.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { actionExecute, findAll, installationUpdate, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * The Kerngroep through the real HTTP path, the Bot Connector stub, the real outbox and the
 * in-process jobs with a controllable clock: registration → the chair accepts → plans → sets an
 * agenda of three persons with three colours → five organisations each receive exactly their
 * questions → three answer → the matrix shows 60% → reminders only to the two missing → lock at
 * the meeting's start → late edit refused; the wijkmanager hears only that the case was discussed.
 */

const DIRECTORY = `
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true }
  - { id: swt, name: Sociaal Wijkteam Crabbehof, kind: sociaal-wijkteam, covenant: true }
  - { id: leerplicht, name: Leerplicht Dordrecht, kind: leerplicht, covenant: true }
  - { id: brp, name: BRP Dordrecht, kind: brp, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wijkmanager], hotspots: [Sumatraplein] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-woonbron, name: Wendy Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-swt, name: Sanne Wijkteam, organisation: swt, roles: [partner], districts: [crabbehof] }
  - { id: u-leerplicht, name: Lars Leerplicht, organisation: leerplicht, roles: [partner] }
  - { id: u-brp, name: Bram BRP, organisation: brp, roles: [partner] }
  - { id: u-wijkmanager, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-voorzitter, name: Vera Voorzitter, organisation: gemeente, roles: [voorzitter] }
`;

const u = (id: string): TestUser => ({ aadObjectId: id });
const politie = u('u-politie');
const woonbron = u('u-woonbron');
const swt = u('u-swt');
const leerplicht = u('u-leerplicht');
const brp = u('u-brp');
const wijkmanager = u('u-wijkmanager');
const chair = u('u-voorzitter');
const partners = [politie, woonbron, swt, leerplicht, brp];

const GREEN = 'Gerrit Groen';
const ORANGE = 'Olga Oranje';
const RED = 'Rob Rood';
const BSN_ORANGE = '123456782';
const BSN_RED = '111222333';

// Wednesday 1 April 2026, 10:00 in Amsterdam (CEST).
const clock = manualClock(new Date('2026-04-01T08:00:00Z'));

type Card = Record<string, any>;
const cardText = (card: unknown) => visibleText({ attachments: [{ content: card }] });
const DOBS = ['2010-05-05', '2008-06-06', '2005-07-07'];

describe('Kerngroep over real HTTP with a controllable clock', () => {
  let h: Harness;
  let caseRef = '';
  let meetingId = '';
  const personIds: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock, directory: parseDirectory(DIRECTORY) });
    for (const user of [...partners, wijkmanager, chair]) expect((await post(h.bot.url, installationUpdate(user, h.stub.url))).status).toBe(200);
  });
  afterAll(async () => h?.close());

  async function say(user: TestUser, text: string) {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, text))).status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before);
  }
  /** An Action.Execute: the card that replaces the clicked one, or the short text. */
  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<{ card?: Card; text: string }> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    if (res.body.type === 'application/vnd.microsoft.card.adaptive') return { card: res.body.value, text: cardText(res.body.value) };
    return { text: String(res.body.value) };
  }
  const count = (user: TestUser) => h.stub.to(personalConversationId(user)).length;
  const auditEntries = async () => (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, 8.64e15)).map((e) => e.entry as Record<string, string>);
  /** Everything the bot posted to the Bot Connector (what Teams keeps in chat history). */
  const allPosted = () => JSON.stringify([...partners, wijkmanager, chair].flatMap((p) => h.stub.to(personalConversationId(p)).map((x) => x.activity)));
  const received = (user: TestUser, since: number) => h.stub.to(personalConversationId(user)).slice(since).map((p) => visibleText(p.activity));
  async function at(iso: string) {
    clock.set(new Date(iso));
    await h.bot.runDueJobs();
  }
  async function report(person: string, dob: string): Promise<string> {
    const [form] = await say(politie, 'melding');
    const cardId = JSON.stringify(form!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const res = await click(politie, 'signal.submit', {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      observedDate: '2026-04-01',
      observedTime: '09:00',
      severity: 'hoog',
      source: 'eigen-waarneming',
      categories: 'intimidatie',
      subject: 'persoon',
      personName: person,
      personDob: dob,
      description: 'Intimideert bewoners bij het plein.',
    });
    return /C-\d{4}-\d{5}/.exec(JSON.stringify(res))![0];
  }
  /** Question keys per person name in a partner's user-specific inquiry view. */
  function questionsIn(card: Card): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const byId = Object.fromEntries(Object.entries(personIds).map(([name, id]) => [id, name]));
    for (const input of findAll(card, (n) => typeof n.id === 'string' && n.id.startsWith('q_'))) {
      const [personId, , key] = (input.id as string).slice(2).split(':');
      (out[byId[personId!]!] ??= []).push(key!);
    }
    return out;
  }
  async function inquiry(user: TestUser) {
    const res = await click(user, KERNGROEP_VERBS.inquiry, { meetingId });
    expect(res.card, res.text).toBeDefined();
    return res.card!;
  }
  async function answerAll(user: TestUser, value = 'nee', extra: Record<string, string> = {}) {
    const card = await inquiry(user);
    const data: Record<string, string> = { meetingId };
    for (const input of findAll(card, (n) => typeof n.id === 'string' && n.id.startsWith('q_'))) data[input.id] = value;
    return click(user, KERNGROEP_VERBS.answer, { ...data, ...extra });
  }

  it('the wijkmanager registers the persons of a case: the posted card names nobody; the form with names and criterion (a) is for the wijkmanager only', async () => {
    caseRef = await report(GREEN, DOBS[0]!);
    expect(await report(ORANGE, DOBS[1]!)).toBe(caseRef);
    expect(await report(RED, DOBS[2]!)).toBe(caseRef);

    // At hinder nothing personal is shared (§2): the wijkmanager first takes direction.
    expect(visibleText((await say(wijkmanager, `kerngroep aanmelden ${caseRef}`))[0]!.activity)).toContain('Schaal de casus eerst op naar overlast');
    expect((await click(wijkmanager, 'case.change-level', { caseRef, to: 'overlast', reason: 'Drie personen, intimidatie bij het plein.' })).text).toMatch(/van Hinder naar Overlast/);

    // What is posted (and stays in the chat history) carries no names or dates of birth.
    const [form] = await say(wijkmanager, `kerngroep aanmelden ${caseRef}`);
    const text = visibleText(form!.activity);
    expect(text).toContain(`Aanmelden bij de Kerngroep — ${caseRef}`);
    expect(text).toContain('Deze casus heeft 3 personen');
    for (const secret of [GREEN, ORANGE, RED, ...DOBS]) expect(JSON.stringify(form!.activity)).not.toContain(secret);
    const refresh = findAll(form!.activity, (n) => !!n.refresh)[0]!.refresh;
    expect(refresh.userIds).toEqual([wijkmanager.aadObjectId]);
    expect(refresh.action.verb).toBe(KERNGROEP_VERBS.registerForm);

    // Teams fetches the user-specific view for the wijkmanager: names, dates of birth, criterion (a).
    const posted = count(wijkmanager);
    const auditBefore = (await auditEntries()).length;
    const view = await click(wijkmanager, refresh.action.verb, refresh.action.data);
    expect(view.card, view.text).toBeDefined();
    for (const name of [GREEN, ORANGE, RED]) expect(view.text).toContain(name);
    expect(view.text).toContain(`${ORANGE} (2008-06-06)`);
    expect(view.text).toContain('Criterium (a): 0 politiecontacten (mutaties) in de afgelopen 6 maanden (sinds 2025-10-01).');
    expect(view.text).toContain('geldt criterium (a) niet');
    expect(findAll(view.card, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual([wijkmanager.aadObjectId]);
    // The view is the invoke answer to this user only: nothing new was posted in the chat.
    expect(count(wijkmanager)).toBe(posted);
    const audited = (await auditEntries()).slice(auditBefore);
    expect(audited).toContainEqual(expect.objectContaining({ actor: 'u-wijkmanager', action: 'person-data.read', resource: `case:${caseRef}`, outcome: 'allow' }));

    // Anyone else asking for that view (a forged refresh) is refused, sees no names, and it is audited.
    for (const other of [politie, woonbron]) {
      const res = await click(other, refresh.action.verb, refresh.action.data);
      expect(res.card).toBeUndefined();
      expect(res.text).toBe(`Casus ${caseRef} bestaat niet of je hebt er geen toegang toe.`);
    }
    expect(await auditEntries()).toContainEqual(expect.objectContaining({ actor: 'u-woonbron', action: 'kerngroep.register', resource: `case:${caseRef}`, outcome: 'deny' }));

    // The escalation notice's "Aanmelden bij Kerngroep" (hook) gives the same base card; person keys never reach a card.
    const ptr = await h.bot.ctx.store.get<{ caseId: string }>(keys.caseRef(caseRef));
    const kase = (await h.bot.ctx.store.get<Case>(keys.case(ptr!.value.caseId)))!.value;
    const viaHook = await registerKerngroepHook(h.bot.ctx, actorFromDirectory(h.bot.ctx.directory, 'u-wijkmanager')!, kase);
    expect(viaHook.kind === 'card' && cardText(viaHook.card)).toContain(`Aanmelden bij de Kerngroep — ${caseRef}`);
    expect(viaHook.kind === 'card' && JSON.stringify(viaHook.card)).not.toContain(GREEN);
    const signalIds = await h.bot.ctx.store.range(indexes.caseSignals(kase.id), -Infinity, Infinity);
    const signals = (await h.bot.ctx.store.getMany<Signal>(signalIds.map((e) => keys.signal(e.member)))).map((x) => x!.value);
    for (const sgn of signals) expect(JSON.stringify(view.card)).not.toContain(sgn.personKey!);
    const viaHookPartner = await registerKerngroepHook(h.bot.ctx, actorFromDirectory(h.bot.ctx.directory, 'u-woonbron')!, kase);
    expect(viaHookPartner).toEqual({ kind: 'message', text: `Casus ${caseRef} bestaat niet of je hebt er geen toegang toe.` });

    // Bad input: reason (a) does not hold, (b) without justification, a forged payload → nothing stored.
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'a' })).text).toContain('criterium (a) niet. Kies (b)');
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'kort' })).text).toContain('Vul een onderbouwing in');
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'c' })).text).toContain('niet (meer) geldig');
    expect((await click(politie, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'Acute ernstige overlast op het plein.' })).text).toContain('geen toegang');

    // Criterion (a) from the data: two police contacts in the last 6 months (one older one does not count) ...
    const greenKey = signals.find((x) => x.person?.name === GREEN)!.personKey!;
    const redKey = signals.find((x) => x.person?.name === RED)!.personKey!;
    await h.bot.ctx.store.commit([
      { op: 'index', index: indexes.personPolice(greenKey), member: 'pc-1', score: Date.parse('2026-01-05T10:00:00Z') },
      { op: 'index', index: indexes.personPolice(redKey), member: 'pc-2', score: Date.parse('2026-03-01T10:00:00Z') },
      { op: 'index', index: indexes.personPolice(redKey), member: 'pc-3', score: Date.parse('2025-09-30T10:00:00Z') },
    ]);
    // ... is not enough on its own: the earlier phases must have been tried without enough effect.
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'a' })).text).toContain('criterium (a) niet. Kies (b)');
    const i1 = crypto.randomUUID();
    const i2 = crypto.randomUUID();
    await h.bot.ctx.store.commit([
      { op: 'put', key: meetingKeys.intervention(i1), value: { id: i1, organisation: 'woonbron', instrument: 'woningcorporatie:waarschuwingsbrief', agreedAt: '2026-02-10T10:00:00.000Z' } },
      { op: 'put', key: meetingKeys.intervention(i2), value: { id: i2, organisation: 'politie', description: 'Extra toezicht op het plein, let op Rob Rood', agreedAt: '2026-02-12T10:00:00.000Z' } },
      { op: 'index', index: meetingIndexes.caseInterventions(kase.id), member: i1, score: 1 },
      { op: 'index', index: meetingIndexes.caseInterventions(kase.id), member: i2, score: 2 },
      { op: 'put', key: feedbackKeys.feedback(i1), value: { interventionId: i1, current: { effect: 'onvoldoende' }, history: [] } },
    ]);
    const holds = await click(wijkmanager, refresh.action.verb, refresh.action.data);
    expect(holds.text).toContain('Criterium (a): 2 politiecontacten (mutaties) in de afgelopen 6 maanden (sinds 2025-10-01): 2026-01-05, 2026-03-01.');
    expect(holds.text).toContain('Interventies zonder voldoende effect (geen of onvoldoende): 1.');
    expect(holds.text).toContain('Volgens de gegevens geldt criterium (a):');
    // The interventions already deployed, each with organisation, what and effect.
    expect(holds.text).toContain('Al ingezette interventies: 2.');
    expect(holds.text).toContain('Woningcorporatie Woonbron — Waarschuwingsbrief over de huurovereenkomst (afgesproken 2026-02-10) — effect: Onvoldoende');
    // An agreement without an instrument: its free-text description (which may name someone) is not shown.
    expect(holds.text).toContain('Politie basisteam Dordrecht — eigen afspraak zonder instrument, zie het casusoverleg (afgesproken 2026-02-12) — effect: nog niet teruggekoppeld');
    expect(holds.text).not.toContain('Extra toezicht');

    const before = count(chair);
    const done = await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'a', persons: '' });
    expect(done.text).toContain(`3 personen van ${caseRef} aangemeld bij de Kerngroep`);
    const regs = await h.bot.ctx.store.range('kg-registrations', -Infinity, Infinity);
    const reg = (await h.bot.ctx.store.get<Record<string, any>>(`kg-reg:${regs[0]!.member}`))!.value;
    expect(reg).toMatchObject({ reason: 'a', policeContactDates: ['2026-01-05', '2026-03-01'], criterionA: { from: '2025-10-01', holds: true, ineffective: 1 }, interventions: 2 });
    expect(reg.deployed).toEqual([
      { organisation: 'woonbron', what: 'Waarschuwingsbrief over de huurovereenkomst', agreedOn: '2026-02-10', effect: 'onvoldoende' },
      { organisation: 'politie', what: 'eigen afspraak zonder instrument, zie het casusoverleg', agreedOn: '2026-02-12' },
    ]);
    await h.bot.runDueJobs();
    const notices = received(chair, before);
    expect(notices.join('\n')).toContain('Aanmelding bij de Kerngroep');
    for (const secret of [GREEN, ORANGE, RED, ...DOBS]) expect(allPosted()).not.toContain(secret);
  });

  it('the chair accepts (recorded, case handled by the Kerngroep) and plans with the first shell plus BRP', async () => {
    const [overview] = await say(chair, 'kerngroep');
    const accept = findAll(overview!.activity, (n) => n.verb === KERNGROEP_VERBS.decide && n.data?.decision === 'accept')[0]!;
    const registrationId = accept.data.registrationId as string;
    expect((await click(chair, KERNGROEP_VERBS.decide, { registrationId, decision: 'accept' })).text).toContain('ten minste 5 tekens');
    expect((await click(wijkmanager, KERNGROEP_VERBS.decide, { registrationId, decision: 'accept', [`reason_${registrationId}`]: 'Past bij de Kerngroep.' })).text).toContain('Dat mag je niet');
    const wm = count(wijkmanager);
    const decided = await click(chair, KERNGROEP_VERBS.decide, { registrationId, decision: 'accept', [`reason_${registrationId}`]: 'Past bij de Kerngroep.' });
    expect(decided.text).toContain(`Aanmelding ${caseRef} geaccepteerd`);
    expect((await click(chair, KERNGROEP_VERBS.decide, { registrationId, decision: 'return', [`reason_${registrationId}`]: 'Toch niet doen.' })).text).toContain('al besloten');
    await h.bot.runDueJobs();
    expect(received(wijkmanager, wm).join('\n')).toContain(`De Kerngroep heeft de aanmelding voor ${caseRef} geaccepteerd.`);
    const ptr = await h.bot.ctx.store.get<{ caseId: string }>(keys.caseRef(caseRef));
    expect((await h.bot.ctx.store.get<Case>(keys.case(ptr!.value.caseId)))!.value.handledBy).toBe('kerngroep');

    // Thursday 16 April 2026 10:00 (CEST): deadline two working days before, Tuesday 14 April 10:00.
    const beforePlan = Object.fromEntries(partners.map((p) => [p.aadObjectId, count(p)]));
    const planned = await click(chair, KERNGROEP_VERBS.plan, { date: '2026-04-16', start: '10:00', place: 'Stadskantoor', orgs: 'brp' });
    // Each invited organisation's contact gets one summons for the meeting itself (test/e2e/kerngroep-summons.test.ts).
    await h.bot.runDueJobs();
    for (const p of partners) expect(received(p, beforePlan[p.aadObjectId]!), p.aadObjectId).toEqual([expect.stringContaining('Oproep Kerngroep-overleg')]);
    expect(planned.text).toContain('Uitgenodigd: Politie basisteam Dordrecht, Woningcorporatie Woonbron, Sociaal Wijkteam Crabbehof, Leerplicht Dordrecht, BRP Dordrecht');
    meetingId = findAll(planned.card, (n) => n.verb === KERNGROEP_VERBS.agenda)[0]!.data.meetingId;
    // The agenda form names the persons: the chair's own user-specific view (refresh for the chair only), audited.
    expect(planned.text).toContain(`${ORANGE} (2008-06-06)`);
    expect(findAll(planned.card, (n) => !!n.refresh)[0]!.refresh).toEqual({ action: { type: 'Action.Execute', verb: KERNGROEP_VERBS.agendaForm, data: { meetingId } }, userIds: [chair.aadObjectId] });
    expect(await auditEntries()).toContainEqual({ actor: 'u-voorzitter', action: 'person-data.read', resource: `kerngroep-meeting:${meetingId}`, outcome: 'allow', reason: KERNGROEP_VERBS.agendaForm });
    expect((await click(politie, KERNGROEP_VERBS.agendaForm, { meetingId })).text).toContain('Dat mag je niet');
    expect(cardText((await click(chair, KERNGROEP_VERBS.agendaForm, { meetingId })).card)).toContain(`${RED} (2005-07-07)`);
    for (const secret of [GREEN, ORANGE, RED, ...DOBS]) expect(allPosted()).not.toContain(secret);
    let last = '';
    for (const el of findAll(planned.card, (n) => n.type === 'TextBlock' || n.type === 'Input.ChoiceSet')) {
      if (el.type === 'TextBlock') last = el.text;
      else if (String(el.id).startsWith('colour_')) personIds[[GREEN, ORANGE, RED].find((n) => last.startsWith(n))!] = String(el.id).slice('colour_'.length);
    }
    expect(Object.keys(personIds).sort()).toEqual([GREEN, ORANGE, RED].sort());
  });

  it('bad agenda input is refused and nothing is sent; a valid agenda sends each organisation exactly its questions', async () => {
    const g = personIds[GREEN]!;
    const o = personIds[ORANGE]!;
    const r = personIds[RED]!;
    const marks = Object.fromEntries(partners.map((p) => [p.aadObjectId, count(p)]));
    expect((await click(chair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${g}`]: 'paars' })).text).toContain('Kies een kleur');
    expect((await click(chair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${o}`]: 'oranje', [`bsn_${o}`]: '123456789' })).text).toContain('elfproef');
    expect((await click(chair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${g}`]: 'groen', [`bsn_${g}`]: BSN_ORANGE })).text).toContain('niet vastgelegd');
    expect((await click(chair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${g}`]: 'groen', evil: 'x' })).text).toContain('niet (meer) geldig');
    expect((await click(chair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${o}`]: 'oranje', [`family_${o}`]: 'Oma zonder datum' })).text).toContain('Gezinsleden: één per regel');
    await h.bot.runDueJobs();
    for (const p of partners) expect(received(p, marks[p.aadObjectId]!)).toEqual([]);

    const set = await click(chair, KERNGROEP_VERBS.agenda, {
      meetingId,
      [`colour_${g}`]: 'groen',
      [`colour_${o}`]: 'oranje',
      [`address_${o}`]: 'Sumatraplein 1',
      [`city_${o}`]: 'Dordrecht',
      [`bsn_${o}`]: BSN_ORANGE,
      [`family_${o}`]: 'Oma Oranje, 1950-01-01\nBroer Oranje; 2012-02-02',
      [`colour_${r}`]: 'rood',
      [`bsn_${r}`]: BSN_RED,
    });
    expect(set.text).toContain('Agenda vastgesteld: 3 personen. De uitvraag is naar 5 organisaties verstuurd.');
    expect(set.text).not.toContain(BSN_ORANGE);
    await h.bot.runDueJobs();
    const stored = (await h.bot.ctx.store.get<{ persons: { name: string; family: unknown[]; bsn?: string }[] }>(`kg-meeting:${meetingId}`))!.value;
    expect(stored.persons.find((p) => p.name === ORANGE)!.family).toEqual([
      { name: 'Oma Oranje', dateOfBirth: '1950-01-01' },
      { name: 'Broer Oranje', dateOfBirth: '2012-02-02' },
    ]);
    expect(stored.persons.find((p) => p.name === GREEN)!.bsn).toBeUndefined();

    for (const p of partners) {
      const got = h.stub.to(personalConversationId(p)).slice(marks[p.aadObjectId]!);
      expect(got, p.aadObjectId).toHaveLength(1);
      const base = JSON.stringify(got[0]!.activity);
      // The base card names nobody; names appear only in the user-specific view.
      for (const secret of [GREEN, ORANGE, RED, '2008-06-06', BSN_ORANGE, BSN_RED, 'Sumatraplein 1']) expect(base).not.toContain(secret);
      expect(findAll(got[0]!.activity, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual([p.aadObjectId]);
    }
    const expected: [TestUser, Record<string, string[]>][] = [
      [leerplicht, { [GREEN]: ['schooluitval'], [ORANGE]: ['schooluitval'], [RED]: ['schooluitval'] }],
      [swt, { [GREEN]: ['begeleiding'], [ORANGE]: ['begeleiding', 'gezin'], [RED]: ['begeleiding', 'gezin'] }],
      [politie, { [ORANGE]: ['risicosignalen', 'gezin'], [RED]: ['risicosignalen', 'gezin'] }],
      [woonbron, { [ORANGE]: ['overlastsignalen'], [RED]: ['overlastsignalen', 'huurachterstand', 'bijzonderheden'] }],
      [brp, { [ORANGE]: ['adresgegevens'], [RED]: ['adresgegevens', 'rijbewijs', 'reisdocumenten'] }],
    ];
    for (const [user, qs] of expected) {
      const view = await inquiry(user);
      expect(questionsIn(view), user.aadObjectId).toEqual(qs);
      const text = JSON.stringify(view);
      for (const secret of [BSN_ORANGE, BSN_RED, 'Sumatraplein 1', 'Oma Oranje']) expect(text).not.toContain(secret);
    }
  });

  it('answers for another organisation, forged fields or bad values are refused, nothing stored; three organisations answer → 60%', async () => {
    const r = personIds[RED]!;
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:politie:gezin`]: 'ja' })).text).toContain('niet aan jouw organisatie gesteld');
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:woonbron:huurachterstand`]: 'misschien' })).text).toContain('Ongeldig antwoord');
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, hack: 'ja' })).text).toContain('niet (meer) geldig');
    expect((await click(politie, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:politie:gezin`]: 'ja', [`d_${r}:politie:gezin`]: 'wonen' })).text).toContain('leefdomein');
    expect((await click(politie, KERNGROEP_VERBS.matrix, { meetingId })).text).toContain('Dat mag je niet');
    expect((await click(chair, KERNGROEP_VERBS.matrix, { meetingId })).text).toContain('Compleet: 0%');

    expect((await answerAll(leerplicht, 'nee')).text).toContain('3 antwoorden opgeslagen');
    expect((await answerAll(swt, 'onbekend')).text).toContain('5 antwoorden opgeslagen');
    expect((await answerAll(politie, 'ja', { [`d_${r}:politie:risicosignalen`]: 'justitie' })).text).toContain('4 antwoorden opgeslagen');

    const m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    expect(m.text).toContain('Compleet: 60%');
    expect(m.text).toContain(`${GREEN} (2010-05-05) — groen — 100%`);
    expect(m.text).toContain(`${ORANGE} (2008-06-06) — oranje — 71%`);
    expect(m.text).toContain(`${RED} (2005-07-07) — rood — 45%`);
    const facts = Object.fromEntries(findAll(m.card, (n) => n.type === 'FactSet').flatMap((f) => f.facts.map((x: Card) => [x.title, x.value])));
    expect(facts['Politie basisteam Dordrecht · Risicosignalen (bij ja: het leefdomein)']).toBe('ja');
    expect(facts['Leerplicht Dordrecht · Leerplicht/RMC: schooluitval en inschrijving']).toBe('nee');
    expect(facts['Woningcorporatie Woonbron · Woningcorporatie: huurachterstand']).toBe('open');
    expect(findAll(m.card, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual([chair.aadObjectId]);
    expect(m.text).not.toContain(BSN_RED);
    expect(m.text).not.toContain('Vraag heropenen');
    // Each view with person data was allowed first and audited: the partner's inquiry, the chair's matrix.
    const audit = await auditEntries();
    expect(audit).toContainEqual({ actor: 'u-leerplicht', action: 'person-data.read', resource: `kerngroep-meeting:${meetingId}`, outcome: 'allow', reason: KERNGROEP_VERBS.inquiry });
    expect(audit).toContainEqual({ actor: 'u-voorzitter', action: 'person-data.read', resource: `kerngroep-meeting:${meetingId}`, outcome: 'allow', reason: KERNGROEP_VERBS.matrix });
    expect(audit.filter((e) => e.action === 'person-data.read' && e.actor === 'u-politie' && e.outcome === 'allow').length).toBeGreaterThan(0);
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'u-politie', action: 'kerngroep.chair', outcome: 'deny' }));
  });

  it('"herinner ontbrekende partners": only the organisations with open questions get a reminder, exactly once', async () => {
    const marks = Object.fromEntries(partners.map((p) => [p.aadObjectId, count(p)]));
    const m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    const button = findAll(m.card, (n) => n.verb === KERNGROEP_VERBS.remind)[0]!;
    expect(button.title).toBe('Herinner ontbrekende partners');
    const reminded = await click(chair, button.verb, button.data);
    expect(reminded.text).toContain('Herinnering verstuurd aan 2 organisaties.');
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    expect(received(woonbron, marks[woonbron.aadObjectId]!)).toEqual([
      'Herinnering: Woningcorporatie Woonbron heeft nog 4 open vragen voor de Kerngroep (deadline 2026-04-14 10:00).',
    ]);
    expect(received(brp, marks[brp.aadObjectId]!)).toEqual(['Herinnering: BRP Dordrecht heeft nog 4 open vragen voor de Kerngroep (deadline 2026-04-14 10:00).']);
    for (const p of [politie, swt, leerplicht]) expect(received(p, marks[p.aadObjectId]!), p.aadObjectId).toEqual([]);
    // Someone else cannot send them.
    expect((await click(woonbron, KERNGROEP_VERBS.remind, { meetingId })).text).toContain('Dat mag je niet');
  });

  it('reminders at T-3 and T-1 go only to the two missing organisations; a late answer is marked late', async () => {
    const marks = Object.fromEntries(partners.map((p) => [p.aadObjectId, count(p)]));
    await at('2026-04-13T08:00:00Z');
    const reminders = (p: TestUser) => received(p, marks[p.aadObjectId]!).filter((x) => x.includes('open vragen voor de Kerngroep'));
    // Nobody here answered the summons to the meeting itself: that reminder goes to every contact
    // (its own test: test/e2e/kerngroep-summons.test.ts).
    const summonsReminders = (p: TestUser) => received(p, marks[p.aadObjectId]!).filter((x) => x.includes('nog niet op deze oproep gereageerd'));
    expect(reminders(woonbron)).toHaveLength(1);
    expect(reminders(brp)).toHaveLength(1);
    expect(reminders(woonbron)[0]).toContain('4 open vragen');
    for (const p of [politie, swt, leerplicht]) expect(reminders(p)).toEqual([]);
    for (const p of partners) expect(summonsReminders(p), p.aadObjectId).toHaveLength(1);
    for (const p of partners) expect(received(p, marks[p.aadObjectId]!), p.aadObjectId).toHaveLength(reminders(p).length + 1);

    await at('2026-04-15T08:00:00Z');
    expect(reminders(woonbron)).toHaveLength(2);
    expect(reminders(brp)).toHaveLength(2);
    for (const p of [politie, swt, leerplicht]) expect(reminders(p)).toEqual([]);
    for (const p of partners) expect(summonsReminders(p), p.aadObjectId).toHaveLength(2);

    // After the deadline (Tuesday 14 April) but before the meeting: accepted and marked late.
    expect((await answerAll(brp, 'nee')).text).toContain('gemarkeerd als te laat');
    const m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    expect(m.text).toContain('nee (te laat)');
    expect(m.text).toContain('Compleet: 80%');
  });

  it('answers lock at the meeting start; only a question the chair reopens can be answered; the wijkmanager hears only that it was discussed', async () => {
    const r = personIds[RED]!;
    const wm = count(wijkmanager);
    await at('2026-04-16T08:00:00Z');
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:woonbron:huurachterstand`]: 'ja' })).text).toContain('vergrendeld');
    expect((await click(politie, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:politie:gezin`]: 'nee' })).text).toContain('vergrendeld');
    let m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    expect(m.text).toContain('Compleet: 80%');
    expect(m.text).toContain('Vraag heropenen');

    expect((await click(woonbron, KERNGROEP_VERBS.reopen, { meetingId, questionId: `${r}:woonbron:huurachterstand` })).text).toContain('Dat mag je niet');
    expect((await click(chair, KERNGROEP_VERBS.reopen, { meetingId, questionId: `${r}:woonbron:huurachterstand` })).text).toContain('heropend');
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:woonbron:huurachterstand`]: 'ja' })).text).toContain('1 antwoord opgeslagen');
    expect((await click(woonbron, KERNGROEP_VERBS.answer, { meetingId, [`q_${r}:woonbron:huurachterstand`]: 'nee' })).text).toContain('vergrendeld');
    m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    expect(m.text).toContain('Compleet: 85%');

    await at('2026-04-16T12:30:00Z');
    const after = received(wijkmanager, wm);
    expect(after).toEqual([`De Kerngroep heeft de casus ${caseRef} besproken.`]);

    const logs = h.logs.join('');
    for (const secret of [BSN_ORANGE, BSN_RED, GREEN, ORANGE, RED, 'Sumatraplein 1']) expect(logs).not.toContain(secret);
    // Nothing the bot posted in the whole scenario (what Teams keeps in chat history) names a person.
    for (const secret of [BSN_ORANGE, BSN_RED, GREEN, ORANGE, RED, ...DOBS, 'Sumatraplein 1', 'Oma Oranje', '1950-01-01']) expect(allPosted()).not.toContain(secret);
  });
});
