import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { MEETING_VERBS } from '../../src/cards/meeting-cards.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import type { PostedActivity } from '../support/connector-stub.js';
import { actionExecute, installationUpdate, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';

/**
 * The casusoverleg through the real HTTP path, the real Outbox and the in-process Jobs with a
 * controllable clock: the wijkmanager plans → three invitees receive summons → answers update the
 * overview → reminders at the right times only to those who should get them → a reschedule moves
 * them → a cancellation stops them; agreements → the responsible partners get their cards.
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const wijkmanager = u('u-wijkmanager');
const jongerenwerk = u('u-jongerenwerk');
const politie = u('u-politie');
const school = u('u-school');
const handhaving = u('u-handhaving');
const invitees = [jongerenwerk, politie, school];

const PERSON_NAME = 'Karel Casusoverleg';

// Friday 20 March 2026, 11:00 in Amsterdam (CET). Summer time starts on Sunday 29 March.
const clock = manualClock(new Date('2026-03-20T10:00:00Z'));

type Card = Record<string, any>;

const cardText = (card: unknown) => visibleText({ attachments: [{ content: card }] });

describe('casusoverleg over real HTTP with a controllable clock', () => {
  let h: Harness;
  let caseRef = '';
  let meetingId = '';

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    // Everyone installs the app: the bot stores their personal conversation reference.
    for (const user of [wijkmanager, ...invitees, handhaving]) expect((await post(h.bot.url, installationUpdate(user, h.stub.url))).status).toBe(200);
  });
  afterAll(async () => h?.close());

  async function say(user: TestUser, text: string): Promise<PostedActivity[]> {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, text))).status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before);
  }

  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<Card> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    expect(res.body.type, JSON.stringify(res.body).slice(0, 300)).toBe('application/vnd.microsoft.card.adaptive');
    return res.body.value as Card;
  }

  /** Everything proactively delivered to a user since `mark`, as text per activity. */
  function received(user: TestUser, since: number): string[] {
    return h.stub
      .to(personalConversationId(user))
      .slice(since)
      .map((p) => visibleText(p.activity));
  }

  const mark = () => Object.fromEntries([wijkmanager, ...invitees].map((x) => [x.aadObjectId, h.stub.to(personalConversationId(x)).length]));

  async function at(iso: string): Promise<void> {
    clock.set(new Date(iso));
    await h.bot.runDueJobs();
  }

  async function report(user: TestUser, fields: Record<string, unknown>): Promise<string> {
    const [form] = await say(user, 'melding');
    const cardId = JSON.stringify(form!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const body = await click(user, 'signal.submit', {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      observedDate: '2026-03-20',
      observedTime: '09:00',
      severity: 'middel',
      source: 'eigen-waarneming',
      ...fields,
    });
    return /C-\d{4}-\d{5}/.exec(JSON.stringify(body))![0];
  }

  it('the wijkmanager plans from "overleg plannen <casus>" with the suggested partners; three invitees get a summons', async () => {
    caseRef = await report(jongerenwerk, { categories: 'hangjongeren', subject: 'locatie', description: 'Groep jongeren bij de bank.' });
    expect(await report(politie, { categories: 'drugs', subject: 'persoon', personName: PERSON_NAME, personDob: '2007-07-07', description: 'Dealt bij de bank.' })).toBe(caseRef);

    const [formActivity] = await say(wijkmanager, `overleg plannen ${caseRef}`);
    const form = formActivity!.activity.attachments![0]!.content;
    const text = visibleText(formActivity!.activity);
    expect(text).toContain('Casusoverleg plannen');
    expect(text).toContain('Jongerenwerk Dordrecht: meldde signalen, past bij "Hangjongeren / groep"');
    expect(text).toContain('Politie basisteam Dordrecht: meldde signalen, past bij "Drugs"');
    const cardId = findAll(form, (n) => n.verb === MEETING_VERBS.plan)[0]!.data.cardId;

    // Bad input: nothing stored, nobody summoned.
    const before = mark();
    const past = await click(wijkmanager, MEETING_VERBS.plan, { cardId, cases: caseRef, date: '2026-03-19', start: '10:00', end: '11:00', place: 'Stadskantoor', orgs: 'jongerenwerk' });
    expect(cardText(past)).toContain('Dit tijdstip ligt in het verleden.');
    const nobody = await click(wijkmanager, MEETING_VERBS.plan, { cardId, cases: caseRef, date: '2026-03-30', start: '10:00', end: '11:30', place: 'Stadskantoor' });
    expect(cardText(nobody)).toContain('Nodig ten minste één organisatie of persoon uit.');
    await h.bot.runDueJobs();
    for (const user of invitees) expect(received(user, before[user.aadObjectId]!)).toEqual([]);

    // Monday 30 March 10:00–11:30 (summer time), three invitees: two organisations and a school by name.
    const overview = await click(wijkmanager, MEETING_VERBS.plan, {
      cardId,
      cases: caseRef,
      date: '2026-03-30',
      start: '10:00',
      end: '11:30',
      place: 'Stadskantoor, kamer 3.12',
      orgs: 'jongerenwerk,politie',
      users: 'u-school',
    });
    expect(cardText(overview)).toContain('Oproep verstuurd aan 3 personen.');
    expect(overview.refresh.userIds).toEqual(['u-wijkmanager']);
    meetingId = findAll(overview, (n) => n.verb === MEETING_VERBS.overview)[0]!.data.meetingId;

    await h.bot.runDueJobs();
    for (const user of invitees) {
      const got = received(user, before[user.aadObjectId]!).filter((x) => x.includes('Oproep casusoverleg'));
      expect(got, user.aadObjectId).toHaveLength(1);
      expect(got[0]).toContain('maandag 30 maart 2026, 10:00–11:30');
      expect(got[0]).toContain(caseRef);
      // The summons itself never carries the case's personal data (Teams keeps it in the chat).
      expect(got[0]).not.toContain(PERSON_NAME);
    }
    // The overview shows the deliveries.
    expect(cardText(await click(wijkmanager, MEETING_VERBS.overview, { meetingId }))).toContain('oproep afgeleverd');
  });

  it('the escalation notice\'s "casusoverleg plannen" opens the planning card for its case', async () => {
    // Two partners reported at one place: the wijkmanager got a notice (escalation feature).
    const notice = h.stub
      .to(personalConversationId(wijkmanager))
      .flatMap((p) => findAll(p.activity, (n) => n.type === 'Action.Execute' && n.verb === 'escalation.plan-meeting'))[0];
    expect(notice, 'an escalation notice with "casusoverleg plannen"').toBeTruthy();
    const form = await click(wijkmanager, 'escalation.plan-meeting', notice!.data);
    expect(cardText(form)).toContain('Casusoverleg plannen');
    expect(findAll(form, (n) => n.id === 'cases')[0]!.value).toBe(caseRef);
  });

  it('answers update the card and the organiser overview; person data only in the allowed user-specific view', async () => {
    expect(cardText(await click(jongerenwerk, MEETING_VERBS.rsvp, { meetingId, answer: 'aanwezig' }))).toContain('Je bent aanwezig.');
    const overview = cardText(await click(wijkmanager, MEETING_VERBS.overview, { meetingId }));
    expect(overview).toContain('1 aanwezig · 0 vervanger · 0 verhinderd · 2 nog niet gereageerd');
    // Police reported the person: the police invitee sees the name in the refreshed view, the others do not.
    expect(JSON.stringify(await click(politie, MEETING_VERBS.summons, { meetingId }))).toContain(PERSON_NAME);
    expect(JSON.stringify(await click(jongerenwerk, MEETING_VERBS.summons, { meetingId }))).not.toContain(PERSON_NAME);
    expect(JSON.stringify(await click(school, MEETING_VERBS.summons, { meetingId }))).not.toContain(PERSON_NAME);
    // Someone not invited cannot answer; a forged payload is refused.
    expect(cardText(await click(handhaving, MEETING_VERBS.rsvp, { meetingId, answer: 'aanwezig' }))).toContain('niet (meer) uitgenodigd');
    expect(cardText(await click(jongerenwerk, MEETING_VERBS.rsvp, { meetingId, answer: 'aanwezig', organiser: 'u-jongerenwerk' }))).toContain('niet (meer) geldig');
  });

  it('reminders fire at T-48 h and T-24 h to who has not answered, at T-2 h to who attends — only then', async () => {
    const start = mark();
    const reminders = (user: TestUser) => received(user, start[user.aadObjectId]!).filter((x) => x.includes('Herinnering'));

    await at('2026-03-28T08:59:00Z');
    for (const user of invitees) expect(reminders(user)).toEqual([]);
    // T-48: Saturday 28 March 10:00 CET.
    await at('2026-03-28T09:00:00Z');
    expect(reminders(jongerenwerk)).toEqual([]);
    expect(reminders(politie)).toHaveLength(1);
    expect(reminders(school)).toHaveLength(1);
    expect(reminders(school)[0]).toContain('je hebt nog niet op deze oproep gereageerd');

    expect(cardText(await click(politie, MEETING_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: 'Andere inzet' }))).toContain('Je bent verhinderd');
    // T-24: Sunday 29 March 10:00 CEST = 08:00 UTC (23 real hours later: the clocks moved).
    await at('2026-03-29T07:59:00Z');
    expect(reminders(school)).toHaveLength(1);
    await at('2026-03-29T08:00:00Z');
    expect(reminders(politie)).toHaveLength(1);
    expect(reminders(school)).toHaveLength(2);
    expect(reminders(jongerenwerk)).toEqual([]);
    // Running the jobs again delivers nothing twice.
    await at('2026-03-29T08:05:00Z');
    expect(reminders(school)).toHaveLength(2);
  });

  it('a reschedule sends an update card and moves the reminders; the old T-2 h never fires', async () => {
    const start = mark();
    const overview = await click(wijkmanager, MEETING_VERBS.reschedule, { meetingId, version: 1, date: '2026-04-02', start: '14:00', end: '15:00', place: 'Wijkcentrum Crabbehof' });
    expect(cardText(overview)).toContain('donderdag 2 april 2026, 14:00–15:00');
    await h.bot.runDueJobs();
    for (const user of invitees) {
      const got = received(user, start[user.aadObjectId]!);
      expect(got.filter((x) => x.includes('Het overleg is verplaatst naar donderdag 2 april 2026, 14:00–15:00'))).toHaveLength(1);
    }
    // The old T-2 h (30 March 08:00 CEST): nothing.
    await at('2026-03-30T06:00:00Z');
    const afterOldT2 = mark();
    for (const user of invitees) expect(received(user, start[user.aadObjectId]!).filter((x) => x.includes('Herinnering'))).toEqual([]);
    // The new T-48 h (Tuesday 31 March 14:00 CEST): only the school has not answered.
    await at('2026-03-31T12:00:00Z');
    expect(received(school, afterOldT2['u-school']!).filter((x) => x.includes('Herinnering'))).toHaveLength(1);
    expect(received(politie, afterOldT2['u-politie']!).filter((x) => x.includes('Herinnering'))).toEqual([]);
    expect(received(jongerenwerk, afterOldT2['u-jongerenwerk']!).filter((x) => x.includes('Herinnering'))).toEqual([]);
  });

  it('a cancellation tells everyone and stops the reminders; an RSVP afterwards is refused', async () => {
    const start = mark();
    const form = await click(wijkmanager, MEETING_VERBS.cancelForm, { meetingId });
    expect(cardText(form)).toContain('annuleren');
    const overview = await click(wijkmanager, MEETING_VERBS.cancel, { meetingId, version: 2, reason: 'De groep is verdwenen' });
    expect(cardText(overview)).toContain('Geannuleerd: De groep is verdwenen');
    await h.bot.runDueJobs();
    for (const user of invitees) expect(received(user, start[user.aadObjectId]!).filter((x) => x.includes('geannuleerd'))).toHaveLength(1);
    // New T-24 and T-2: nothing.
    await at('2026-04-01T12:00:00Z');
    await at('2026-04-02T10:00:00Z');
    for (const user of invitees) expect(received(user, start[user.aadObjectId]!).filter((x) => x.includes('Herinnering'))).toEqual([]);
    expect(cardText(await click(school, MEETING_VERBS.rsvp, { meetingId, answer: 'aanwezig' }))).toContain('geannuleerd');
  });

  it('after a meeting, agreements reach the responsible partners and the case timeline', async () => {
    // A new meeting tomorrow 09:00, then the clock passes its start.
    const [formActivity] = await say(wijkmanager, `overleg plannen ${caseRef}`);
    const cardId = findAll(formActivity!.activity.attachments![0]!.content, (n) => n.verb === MEETING_VERBS.plan)[0]!.data.cardId;
    const overview = await click(wijkmanager, MEETING_VERBS.plan, {
      cardId,
      cases: caseRef,
      date: '2026-04-03',
      start: '09:00',
      end: '10:00',
      place: 'Stadskantoor',
      orgs: 'jongerenwerk,politie',
    });
    const id = findAll(overview, (n) => n.verb === MEETING_VERBS.overview)[0]!.data.meetingId;
    await h.bot.runDueJobs();
    // Planned 21 hours ahead: T-48 h and T-24 h have passed and never fire; T-2 h goes to who attends.
    const beforeT2 = mark();
    await click(jongerenwerk, MEETING_VERBS.rsvp, { meetingId: id, answer: 'aanwezig' });
    await at('2026-04-03T04:59:00Z');
    expect(received(jongerenwerk, beforeT2['u-jongerenwerk']!).filter((x) => x.includes('Herinnering'))).toEqual([]);
    await at('2026-04-03T05:00:00Z');
    expect(received(jongerenwerk, beforeT2['u-jongerenwerk']!).filter((x) => x.includes('Herinnering: het overleg begint vrijdag 3 april 2026 om 09:00.'))).toHaveLength(1);
    expect(received(politie, beforeT2['u-politie']!).filter((x) => x.includes('Herinnering'))).toEqual([]);
    await at('2026-04-03T08:30:00Z');
    const start = mark();
    const form = await click(wijkmanager, MEETING_VERBS.agreementsForm, { meetingId: id });
    const agreementsCardId = findAll(form, (n) => n.verb === MEETING_VERBS.agreements)[0]!.data.cardId;
    const done = await click(wijkmanager, MEETING_VERBS.agreements, {
      cardId: agreementsCardId,
      org_1: 'jongerenwerk',
      instrument_1: 'jongerenwerk:gesprek',
      feedbackDue_1: '2026-04-17',
      behaviourBy_1: '2026-05-15',
      org_2: 'politie',
      instrument_2: 'politie:toezicht',
      what_2: 'Extra toezicht op vrijdagavond',
      feedbackDue_2: '2026-04-24',
      behaviourBy_2: '2026-05-15',
      followUp: 'true',
      fuDate: '2026-05-15',
      fuStart: '09:00',
      fuEnd: '10:00',
      fuPlace: 'Stadskantoor',
    });
    expect(cardText(done)).toContain('2 afspraken vastgelegd');
    await h.bot.runDueJobs();
    const jw = received(jongerenwerk, start['u-jongerenwerk']!);
    expect(jw.filter((x) => x.includes('Afspraak uit casusoverleg'))).toHaveLength(1);
    expect(jw.find((x) => x.includes('Afspraak uit casusoverleg'))).toContain('Gesprek met jongeren over oorzaken');
    const pol = received(politie, start['u-politie']!);
    expect(pol.find((x) => x.includes('Afspraak uit casusoverleg'))).toContain('Extra toezicht op vrijdagavond');
    expect(received(school, start['u-school']!).filter((x) => x.includes('Afspraak'))).toEqual([]);
    // The evaluation meeting's summons went out too.
    expect(jw.filter((x) => x.includes('Oproep casusoverleg') && x.includes('vrijdag 15 mei 2026'))).toHaveLength(1);
    // The case timeline.
    const [caseCard] = await say(wijkmanager, `casus ${caseRef}`);
    const timeline = visibleText(caseCard!.activity);
    expect(timeline).toContain('Afspraken vastgelegd in casusoverleg');
    expect(timeline).toContain('Interventie afgesproken met Jongerenwerk Dordrecht');
    expect(timeline).toContain('geannuleerd');
  });

  it('"overleg" lists my meetings; personal data never reached the logs; refusals are audited', async () => {
    const [mine] = await say(school, 'overleg');
    expect(visibleText(mine!.activity)).toContain('Mijn overleggen');
    const [help] = await say(wijkmanager, 'help');
    expect(visibleText(help!.activity)).toContain('Casusoverleg plannen');
    expect(h.logs.join('\n')).not.toContain(PERSON_NAME);
    const audit = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Infinity);
    expect(audit.some((e) => e.entry.action === 'meeting.respond' && e.entry.outcome === 'deny' && e.entry.actor === 'u-handhaving')).toBe(true);
  });
});
