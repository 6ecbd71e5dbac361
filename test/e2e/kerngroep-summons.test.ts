import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { kerngroepIndexes, kerngroepKeys, type KgMeeting } from '../../src/app/kerngroep.js';
import { KERNGROEP_VERBS } from '../../src/cards/kerngroep-cards.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Registration } from '../../src/domain/kerngroep.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { actionExecute, findAll, installationUpdate, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * The summons (oproep) for the Kerngroep meeting, over real HTTP with the Bot Connector stub, the
 * real outbox and a controllable clock: the chair plans → each first-shell organisation's contact
 * gets exactly one summons without personal data → one answers aanwezig, one sends a substitute
 * (who gets a summons of their own), one is verhinderd with a reason → the chair's matrix and agenda
 * form show this per organisation → an answer after the start is refused → someone not invited is
 * refused.
 */

const DIRECTORY = `
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true, contacts: [u-politie] }
  - { id: jongerenwerk, name: Jongerenwerk Dordrecht, kind: jongerenwerk, covenant: true }
  - { id: handhaving, name: Stadstoezicht Dordrecht, kind: handhaving, covenant: true }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true, contacts: [u-woonbron] }
  - { id: leerplicht, name: Leerplicht Dordrecht, kind: leerplicht, covenant: true }
  - { id: werkshop, name: Werkshop Dordrecht, kind: werkshop, covenant: true }
  - { id: swt, name: Sociaal Wijkteam Crabbehof, kind: sociaal-wijkteam, covenant: true }
  - { id: brp, name: BRP Dordrecht, kind: brp, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wijkmanager], hotspots: [Sumatraplein] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner] }
  - { id: u-politie-2, name: Pieter Politie, organisation: politie, roles: [partner] }
  - { id: u-jongerenwerk, name: Jamal Jongerenwerk, organisation: jongerenwerk, roles: [partner] }
  - { id: u-handhaving, name: Hans Handhaving, organisation: handhaving, roles: [partner] }
  - { id: u-woonbron, name: Wendy Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-woonbron-2, name: Wim Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-leerplicht, name: Lars Leerplicht, organisation: leerplicht, roles: [partner] }
  - { id: u-werkshop, name: Willemijn Werkshop, organisation: werkshop, roles: [partner] }
  - { id: u-swt, name: Sanne Wijkteam, organisation: swt, roles: [partner] }
  - { id: u-brp, name: Bram BRP, organisation: brp, roles: [partner] }
  - { id: u-wijkmanager, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-voorzitter, name: Vera Voorzitter, organisation: gemeente, roles: [voorzitter] }
`;

const u = (id: string): TestUser => ({ aadObjectId: id });
const chair = u('u-voorzitter');
const politie = u('u-politie');
const woonbron = u('u-woonbron');
const jongerenwerk = u('u-jongerenwerk');
const handhaving = u('u-handhaving');
/** One contact per first-shell organisation (politie and woonbron name theirs; the others have one user). */
const contacts = [politie, jongerenwerk, handhaving, woonbron, u('u-leerplicht'), u('u-werkshop'), u('u-swt')];
const substitute = u('u-woonbron-2');
const colleagueNotInvited = u('u-politie-2');
const brp = u('u-brp');
const wijkmanager = u('u-wijkmanager');
const everyone = [chair, ...contacts, substitute, colleagueNotInvited, brp, wijkmanager];

const PERSON = 'Karel Testpersoon';
const DOB = '2008-01-01';
// Wednesday 1 April 2026, 10:00 in Amsterdam; the meeting is Thursday 16 April 10:00 (08:00 UTC).
const clock = manualClock(new Date('2026-04-01T08:00:00Z'));

type Card = Record<string, any>;
const cardText = (card: unknown) => visibleText({ attachments: [{ content: card }] });
/** The card's Action.Execute buttons (not its refresh). */
const buttons = (card: unknown) => findAll(card, (n) => n.type === 'Action.Execute' && n.verb !== KERNGROEP_VERBS.summons);
const factsOf = (card: unknown): Record<string, string> =>
  Object.fromEntries(findAll(card, (n) => n.type === 'FactSet').flatMap((f) => f.facts.map((x: Card) => [x.title, x.value])));

describe('the Kerngroep summons over real HTTP', () => {
  let h: Harness;
  let meetingId = '';

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock, directory: parseDirectory(DIRECTORY) });
    for (const user of everyone) expect((await post(h.bot.url, installationUpdate(user, h.stub.url))).status).toBe(200);
    // An accepted registration, so the agenda form has a person the summons must never name.
    const reg: Registration = {
      id: randomUUID(),
      caseId: randomUUID(),
      caseRef: 'C-2026-00077',
      district: 'crabbehof',
      by: { userId: 'u-wijkmanager', organisation: 'gemeente' },
      at: clock.now().toISOString(),
      reason: 'b',
      justification: 'Acute ernstige overlast op het plein.',
      policeContactDates: [],
      interventions: 0,
      group: false,
      persons: [{ personId: randomUUID(), personKey: 'pk-summons', name: PERSON, dateOfBirth: DOB }],
      status: 'geaccepteerd',
    };
    await h.bot.ctx.store.commit([
      { op: 'put', key: kerngroepKeys.registration(reg.id), value: reg },
      { op: 'index', index: kerngroepIndexes.registrations, member: reg.id, score: 1 },
    ]);
  });
  afterAll(async () => h?.close());

  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<{ card?: Card; text: string }> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    if (res.body.type === 'application/vnd.microsoft.card.adaptive') return { card: res.body.value, text: cardText(res.body.value) };
    return { text: String(res.body.value) };
  }
  const posted = (user: TestUser) => h.stub.to(personalConversationId(user));
  const count = (user: TestUser) => posted(user).length;
  const auditEntries = async () => (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, 8.64e15)).map((e) => e.entry as Record<string, string>);
  const stored = async () => (await h.bot.ctx.store.get<KgMeeting>(kerngroepKeys.meeting(meetingId)))!.value;
  const allPosted = () => JSON.stringify(everyone.flatMap((p) => posted(p).map((x) => x.activity)));

  it('the chair plans: each first-shell organisation\'s contact gets exactly one summons, without personal data', async () => {
    const marks = new Map(everyone.map((p) => [p.aadObjectId, count(p)]));
    const planned = await click(chair, KERNGROEP_VERBS.plan, { date: '2026-04-16', start: '10:00', place: 'Stadskantoor, kamer 3.12' });
    expect(planned.text).toContain('Uitgenodigd: Politie basisteam Dordrecht, Jongerenwerk Dordrecht, Stadstoezicht Dordrecht, Woningcorporatie Woonbron');
    expect(planned.text).toContain('7 contactpersonen krijgen een oproep.');
    meetingId = findAll(planned.card, (n) => n.verb === KERNGROEP_VERBS.agenda)[0]!.data.meetingId;
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();

    for (const user of contacts) {
      const got = posted(user).slice(marks.get(user.aadObjectId)!);
      expect(got, user.aadObjectId).toHaveLength(1);
      const text = visibleText(got[0]!.activity);
      expect(text).toContain('Oproep Kerngroep-overleg');
      expect(text).toContain('Vera Voorzitter, voorzitter van de Kerngroep, nodigt je namens');
      expect(text).toContain('2026-04-16 10:00');
      expect(text).toContain('Stadskantoor, kamer 3.12');
      expect(text).toContain('De ja/nee-vragen over de personen op de agenda volgen in een aparte kaart');
      // No personal data at all: the agenda is not even set.
      const raw = JSON.stringify(got[0]!.activity);
      for (const secret of [PERSON, DOB, 'C-2026-00077', 'pk-summons']) expect(raw, user.aadObjectId).not.toContain(secret);
      // Answer buttons (the casusoverleg's answer part with the Kerngroep's verbs); the card refreshes for this recipient only.
      // (A substitute can be chosen where the organisation has colleagues in the directory: politie and woonbron.)
      const withColleagues = user === politie || user === woonbron;
      expect(buttons(got[0]!.activity).map((n) => n.verb)).toEqual(
        withColleagues ? [KERNGROEP_VERBS.rsvp, KERNGROEP_VERBS.substitute, KERNGROEP_VERBS.rsvp] : [KERNGROEP_VERBS.rsvp, KERNGROEP_VERBS.rsvp],
      );
      expect(findAll(got[0]!.activity, (n) => !!n.refresh)[0]!.refresh).toEqual({
        action: { type: 'Action.Execute', verb: KERNGROEP_VERBS.summons, data: { meetingId } },
        userIds: [user.aadObjectId],
      });
    }
    // Politie and Woonbron name their contact: the colleague is not summoned. BRP (not in the first shell), the wijkmanager and the chair get nothing.
    for (const user of [substitute, colleagueNotInvited, brp, wijkmanager, chair]) expect(count(user), user.aadObjectId).toBe(marks.get(user.aadObjectId));
    expect((await stored()).invitees!.map((i) => i.userId)).toEqual(contacts.map((c) => c.aadObjectId));
    // The chair's agenda form already shows who has not answered yet.
    expect(factsOf(planned.card)['Politie basisteam Dordrecht · Petra Politie']).toBe('Nog niet gereageerd');
  });

  it('one answers aanwezig, one sends a colleague (who gets a summons of their own), one is verhinderd with a reason: the card updates in place', async () => {
    // Aanwezig: the answer is the updated summons (Action.Execute replaces the card), nothing is posted.
    const before = count(politie);
    const present = await click(politie, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' });
    expect(present.text).toContain('Je bent aanwezig.');
    expect(present.text).toContain('Je kunt je antwoord wijzigen tot het overleg begint.');
    expect(count(politie)).toBe(before);
    // Changeable until the start: verhinderd, then aanwezig again.
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: 'Dienst' })).text).toContain('Je bent verhinderd: Dienst');
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' })).text).toContain('Je bent aanwezig.');

    // A substitute must be a colleague of the same organisation, and not oneself; nothing stored otherwise.
    expect((await click(woonbron, KERNGROEP_VERBS.substitute, { meetingId, substitute: 'u-politie-2' })).text).toBe('Een vervanger moet een collega van je eigen organisatie zijn.');
    expect((await click(woonbron, KERNGROEP_VERBS.substitute, { meetingId, substitute: 'u-woonbron' })).text).toBe('Je kunt jezelf niet als vervanger sturen.');
    expect((await click(woonbron, KERNGROEP_VERBS.substitute, { meetingId, substitute: 'u-onbekend' })).text).toContain('Deze vervanger staat niet in het adresboek.');
    expect((await stored()).invitees!.find((i) => i.userId === 'u-woonbron')!.answer).toBeUndefined();

    const subBefore = count(substitute);
    const sent = await click(woonbron, KERNGROEP_VERBS.substitute, { meetingId, substitute: 'u-woonbron-2' });
    expect(sent.text).toContain('Je stuurt Wim Woonbron als vervanger.');
    await h.bot.runDueJobs();
    const own = posted(substitute).slice(subBefore);
    expect(own).toHaveLength(1);
    expect(visibleText(own[0]!.activity)).toContain('nodigt je uit voor het Kerngroep-overleg, als vervanger van Wendy Woonbron.');
    expect(JSON.stringify(own[0]!.activity)).not.toContain(PERSON);
    expect(findAll(own[0]!.activity, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual(['u-woonbron-2']);
    // The substitute is an invitee now and answers for themselves.
    expect((await click(substitute, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' })).text).toContain('Je bent aanwezig.');

    // Verhinderd needs a reason: the card comes back with the Dutch error, nothing stored.
    const noReason = await click(jongerenwerk, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: '  ' });
    expect(noReason.text).toContain('Vul een reden in waarom je verhinderd bent.');
    expect((await stored()).invitees!.find((i) => i.userId === 'u-jongerenwerk')!.answer).toBeUndefined();
    const absent = await click(jongerenwerk, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: 'Andere verplichting' });
    expect(absent.text).toContain('Je bent verhinderd: Andere verplichting');

    // The summons' refresh shows the current answer to its recipient.
    expect((await click(jongerenwerk, KERNGROEP_VERBS.summons, { meetingId })).text).toContain('Je bent verhinderd: Andere verplichting');
    const audit = await auditEntries();
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'u-woonbron', action: 'kerngroep.respond', outcome: 'allow', reason: 'vervanger' }));
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'u-woonbron', action: 'kerngroep.respond', outcome: 'refused', reason: 'substitute-other-organisation' }));
  });

  it("the chair's matrix and agenda form show the answers per organisation", async () => {
    const m = await click(chair, KERNGROEP_VERBS.matrix, { meetingId });
    expect(m.text).toContain('Aanwezigheid per organisatie');
    expect(m.text).toContain('2 aanwezig · 1 vervanger · 1 verhinderd · 4 nog niet gereageerd');
    const facts = factsOf(m.card);
    expect(facts['Politie basisteam Dordrecht · Petra Politie']).toBe('Aanwezig');
    expect(facts['Woningcorporatie Woonbron · Wendy Woonbron']).toBe('Stuurt een vervanger (Wim Woonbron)');
    expect(facts['Woningcorporatie Woonbron · Wim Woonbron (vervangt Wendy Woonbron)']).toBe('Aanwezig');
    expect(facts['Jongerenwerk Dordrecht · Jamal Jongerenwerk']).toBe('Verhinderd (Andere verplichting)');
    expect(facts['Stadstoezicht Dordrecht · Hans Handhaving']).toBe('Nog niet gereageerd');
    expect(findAll(m.card, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual(['u-voorzitter']);
    const form = await click(chair, KERNGROEP_VERBS.agendaForm, { meetingId });
    expect(factsOf(form.card)['Jongerenwerk Dordrecht · Jamal Jongerenwerk']).toBe('Verhinderd (Andere verplichting)');
    // Only the chair sees it.
    expect((await click(politie, KERNGROEP_VERBS.matrix, { meetingId })).text).toBe('Dat mag je niet in de Kerngroep.');
  });

  it('three days and one day before, whoever has not answered the summons gets it again with a reminder, once each time', async () => {
    const marks = new Map(everyone.map((p) => [p.aadObjectId, count(p)]));
    const silent = [handhaving, u('u-leerplicht'), u('u-werkshop'), u('u-swt')];
    const answered = [politie, woonbron, substitute, jongerenwerk];
    const reminders = (user: TestUser) =>
      posted(user)
        .slice(marks.get(user.aadObjectId)!)
        .filter((p) => visibleText(p.activity).includes('Herinnering: je hebt nog niet op deze oproep gereageerd.'));
    // Thursday 16 April 10:00 (CEST): the reminders are due Monday 13 and Wednesday 15 April at 10:00.
    clock.set(new Date('2026-04-13T08:00:00Z'));
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    for (const user of silent) {
      const got = reminders(user);
      expect(got, user.aadObjectId).toHaveLength(1);
      // The summons itself, answerable from the reminder, for this recipient only; still no personal data.
      expect(visibleText(got[0]!.activity)).toContain('Oproep Kerngroep-overleg');
      expect(buttons(got[0]!.activity).map((n) => n.verb)).toContain(KERNGROEP_VERBS.rsvp);
      expect(findAll(got[0]!.activity, (n) => !!n.refresh)[0]!.refresh.userIds).toEqual([user.aadObjectId]);
      for (const secret of [PERSON, DOB, 'C-2026-00077', 'pk-summons']) expect(JSON.stringify(got[0]!.activity)).not.toContain(secret);
    }
    for (const user of [...answered, colleagueNotInvited, brp, wijkmanager, chair]) expect(count(user), user.aadObjectId).toBe(marks.get(user.aadObjectId));

    // Leerplicht answers meanwhile: one day before only the other three are reminded.
    expect((await click(u('u-leerplicht'), KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' })).text).toContain('Je bent aanwezig.');
    clock.set(new Date('2026-04-15T08:00:00Z'));
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    expect(reminders(u('u-leerplicht'))).toHaveLength(1);
    for (const user of [handhaving, u('u-werkshop'), u('u-swt')]) expect(reminders(user), user.aadObjectId).toHaveLength(2);
    for (const user of answered) expect(count(user), user.aadObjectId).toBe(marks.get(user.aadObjectId));
  });

  it('someone not invited is refused (another organisation, or a colleague who was not summoned); forged data too; audited', async () => {
    for (const user of [brp, colleagueNotInvited, wijkmanager]) {
      expect((await click(user, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' })).text, user.aadObjectId).toBe('Je bent niet uitgenodigd voor dit Kerngroep-overleg.');
      expect((await click(user, KERNGROEP_VERBS.summons, { meetingId })).text, user.aadObjectId).toBe('Je bent niet uitgenodigd voor dit Kerngroep-overleg.');
      expect((await click(user, KERNGROEP_VERBS.substitute, { meetingId, substitute: user.aadObjectId })).card).toBeUndefined();
    }
    expect((await stored()).invitees!.map((i) => i.userId)).not.toContain('u-politie-2');
    const audit = await auditEntries();
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'u-brp', action: 'kerngroep.answer', outcome: 'deny' }));
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'u-politie-2', action: KERNGROEP_VERBS.summons, outcome: 'refused', reason: 'not-invited' }));
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'misschien' })).text).toBe('Deze kaart is niet (meer) geldig. Open hem opnieuw.');
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId: 'x', answer: 'aanwezig' })).text).toBe('Deze kaart is niet (meer) geldig. Open hem opnieuw.');
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId: randomUUID(), answer: 'aanwezig' })).text).toBe('Dit Kerngroepoverleg bestaat niet.');
  });

  it('after the start an answer is refused and nothing changes; the summons shows it is closed', async () => {
    const before = JSON.stringify((await stored()).invitees);
    clock.set(new Date('2026-04-16T08:00:00Z'));
    expect((await click(handhaving, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'aanwezig' })).text).toBe('Het Kerngroep-overleg is begonnen: je antwoord wijzigen kan niet meer.');
    expect((await click(politie, KERNGROEP_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: 'Toch niet' })).text).toBe('Het Kerngroep-overleg is begonnen: je antwoord wijzigen kan niet meer.');
    expect((await click(woonbron, KERNGROEP_VERBS.substitute, { meetingId, substitute: 'u-woonbron-2' })).text).toBe('Het Kerngroep-overleg is begonnen: je antwoord wijzigen kan niet meer.');
    expect(JSON.stringify((await stored()).invitees)).toBe(before);
    const view = await click(politie, KERNGROEP_VERBS.summons, { meetingId });
    expect(view.text).toContain('Het Kerngroep-overleg is begonnen');
    expect(view.text).toContain('Je bent aanwezig.');
    expect(buttons(view.card)).toEqual([]);
    expect(await auditEntries()).toContainEqual(expect.objectContaining({ actor: 'u-handhaving', action: 'kerngroep.respond', outcome: 'refused', reason: 'closed' }));
    // Nothing the bot posted in the whole scenario names the person on the Kerngroep's list.
    for (const secret of [PERSON, DOB, 'pk-summons']) expect(allPosted()).not.toContain(secret);
    for (const secret of [PERSON, DOB]) expect(h.logs.join('')).not.toContain(secret);
  });
});
