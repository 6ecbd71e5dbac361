import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNGROEP_VERBS } from '../../src/cards/kerngroep-cards.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Case } from '../../src/domain/signal.js';
import { keys } from '../../src/app/signals.js';
import { registerKerngroepHook } from '../../src/app/kerngroep.js';
import { actorFromDirectory } from '../../src/domain/actor.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { actionExecute, installationUpdate, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

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
function findAll(node: unknown, pred: (n: Card) => boolean, out: Card[] = []): Card[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((n) => findAll(n, pred, out));
    return out;
  }
  if (pred(node as Card)) out.push(node as Card);
  Object.values(node as Card).forEach((v) => findAll(v, pred, out));
  return out;
}
const cardText = (card: unknown) => visibleText({ attachments: [{ content: card }] });

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

  it('the wijkmanager registers the persons of a case; the bot shows criterion (a) from the data; the chair is told', async () => {
    caseRef = await report(GREEN, '2010-05-05');
    expect(await report(ORANGE, '2008-06-06')).toBe(caseRef);
    expect(await report(RED, '2005-07-07')).toBe(caseRef);

    const [form] = await say(wijkmanager, `kerngroep aanmelden ${caseRef}`);
    const text = visibleText(form!.activity);
    expect(text).toContain(`Aanmelden bij de Kerngroep — ${caseRef}`);
    expect(text).toContain('Criterium (a): 0 politiecontacten');
    expect(text).toContain('geldt criterium (a) niet');
    for (const name of [GREEN, ORANGE, RED]) expect(text).toContain(name);
    // The escalation notice's "Aanmelden bij Kerngroep" (hook) opens the same form; person keys never reach the card.
    const ptr = await h.bot.ctx.store.get<{ caseId: string }>(keys.caseRef(caseRef));
    const kase = (await h.bot.ctx.store.get<Case>(keys.case(ptr!.value.caseId)))!.value;
    const viaHook = await registerKerngroepHook(h.bot.ctx, actorFromDirectory(h.bot.ctx.directory, 'u-wijkmanager')!, kase);
    expect(viaHook.kind === 'card' && cardText(viaHook.card)).toContain(`Aanmelden bij de Kerngroep — ${caseRef}`);
    expect(JSON.stringify(form!.activity)).not.toContain(kase.personKey ?? 'no-person-key');
    const viaHookPartner = await registerKerngroepHook(h.bot.ctx, actorFromDirectory(h.bot.ctx.directory, 'u-woonbron')!, kase);
    expect(viaHookPartner).toEqual({ kind: 'message', text: `Casus ${caseRef} bestaat niet of je hebt er geen toegang toe.` });

    // Bad input: reason (a) does not hold, (b) without justification, a forged payload → nothing stored.
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'a' })).text).toContain('criterium (a) niet. Kies (b)');
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'kort' })).text).toContain('Vul een onderbouwing in');
    expect((await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'c' })).text).toContain('niet (meer) geldig');
    expect((await click(politie, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'Acute ernstige overlast op het plein.' })).text).toContain('geen toegang');

    const before = count(chair);
    const done = await click(wijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'Acute ernstige overlast op het plein, bewoners bedreigd.', persons: '' });
    expect(done.text).toContain(`3 personen van ${caseRef} aangemeld bij de Kerngroep`);
    await h.bot.runDueJobs();
    const notices = received(chair, before);
    expect(notices.join('\n')).toContain('Aanmelding bij de Kerngroep');
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
    const planned = await click(chair, KERNGROEP_VERBS.plan, { date: '2026-04-16', start: '10:00', place: 'Stadskantoor', orgs: 'brp' });
    expect(planned.text).toContain('Uitgenodigd: Politie basisteam Dordrecht, Woningcorporatie Woonbron, Sociaal Wijkteam Crabbehof, Leerplicht Dordrecht, BRP Dordrecht');
    meetingId = findAll(planned.card, (n) => n.verb === KERNGROEP_VERBS.agenda)[0]!.data.meetingId;
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
  });

  it('reminders at T-3 and T-1 go only to the two missing organisations; a late answer is marked late', async () => {
    const marks = Object.fromEntries(partners.map((p) => [p.aadObjectId, count(p)]));
    await at('2026-04-13T08:00:00Z');
    const reminders = (p: TestUser) => received(p, marks[p.aadObjectId]!).filter((x) => x.includes('Herinnering'));
    expect(reminders(woonbron)).toHaveLength(1);
    expect(reminders(brp)).toHaveLength(1);
    expect(reminders(woonbron)[0]).toContain('4 open vragen');
    for (const p of [politie, swt, leerplicht]) expect(received(p, marks[p.aadObjectId]!)).toEqual([]);

    await at('2026-04-15T08:00:00Z');
    expect(reminders(woonbron)).toHaveLength(2);
    expect(reminders(brp)).toHaveLength(2);
    for (const p of [politie, swt, leerplicht]) expect(received(p, marks[p.aadObjectId]!)).toEqual([]);

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
  });
});
