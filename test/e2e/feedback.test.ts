import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseLevel, escalationKeys, type FiringRecord } from '../../src/app/escalation.js';
import { feedbackKeys } from '../../src/app/feedback.js';
import { meetingIndexes, meetingKeys } from '../../src/app/meetings.js';
import { keys as signalKeys } from '../../src/app/signals.js';
import { FEEDBACK_VERBS } from '../../src/cards/feedback-cards.js';
import { actorFromDirectory } from '../../src/domain/actor.js';
import type { FeedbackDoc } from '../../src/domain/feedback.js';
import type { Intervention } from '../../src/domain/intervention.js';
import type { WriteOp } from '../../src/ports.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { actionExecute, installationUpdate, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * Terugkoppeling over real HTTP, the real Outbox and in-process Jobs with a controllable clock:
 * due date → feedback card → submit → the wijkmanager's notice (and the kerngroep-criterium notice when
 * its other facts hold); a Kerngroep case → the chair gets the details, the wijkmanager only that
 * feedback was given; overdue reminders fire once each.
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const wijkmanager = u('u-wijkmanager');
const jongerenwerk = u('u-jongerenwerk');
const politie = u('u-politie');
const handhaving = u('u-handhaving');
const swt = u('u-swt');
const voorzitter = u('u-voorzitter');
const everyone = [wijkmanager, jongerenwerk, politie, handhaving, swt, voorzitter];

// Friday 20 March 2026, 11:00 in Amsterdam (CET). Summer time starts on Sunday 29 March.
const clock = manualClock(new Date('2026-03-20T10:00:00Z'));
const DUE = '2026-03-27';
const SECRET_EXPLANATION = 'Gesprek gevoerd op het plein, jongeren reageerden nauwelijks.';

type Card = Record<string, any>;

describe('terugkoppeling over real HTTP with a controllable clock', () => {
  let h: Harness;
  const ids = { personCase: '', personRef: '', kgCase: '', kgRef: '', i1: randomUUID(), i2: randomUUID(), i3: randomUUID() };

  async function say(user: TestUser, text: string): Promise<string[]> {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, text))).status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before).map((p) => visibleText(p.activity));
  }

  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<Card> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    return res.body.value as Card;
  }
  const text = (card: unknown) => visibleText({ attachments: [{ content: card }] });
  const count = (user: TestUser) => h.stub.to(personalConversationId(user)).length;
  const since = (user: TestUser, n: number) => h.stub.to(personalConversationId(user)).slice(n).map((p) => visibleText(p.activity));
  const raw = (user: TestUser, n: number) => h.stub.to(personalConversationId(user)).slice(n).map((p) => JSON.stringify(p.activity));

  async function at(iso: string): Promise<void> {
    clock.set(new Date(iso));
    await h.bot.runDueJobs();
  }

  async function report(user: TestUser, fields: Record<string, unknown>): Promise<string> {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, 'melding'))).status).toBe(200);
    const form = h.stub.to(personalConversationId(user))[before]!;
    const cardId = JSON.stringify(form.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const body = await click(user, 'signal.submit', {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      observedDate: '2026-03-20',
      observedTime: '09:00',
      severity: 'middel',
      source: 'eigen-waarneming',
      ...fields,
    });
    return /C-\d{4}-\d{5}/.exec(JSON.stringify(body))![0];
  }

  async function caseIdOf(ref: string): Promise<string> {
    return (await h.bot.ctx.store.get<{ caseId: string }>(signalKeys.caseRef(ref)))!.value.caseId;
  }

  function intervention(id: string, caseId: string, caseRef: string, organisation: string, responsible: string, description: string): WriteOp[] {
    const i: Intervention = {
      id,
      meetingId: randomUUID(),
      meetingRef: 'O-2026-00001',
      cases: [{ caseId, caseRef }],
      organisation,
      responsibleUserIds: [responsible],
      description,
      feedbackDue: DUE,
      behaviourBy: '2026-04-30',
      status: 'afgesproken',
      agreedAt: clock.now().toISOString(),
      agreedBy: { userId: 'u-wijkmanager', organisation: 'gemeente' },
    };
    const score = Date.parse(`${DUE}T00:00:00Z`);
    return [
      { op: 'put', key: meetingKeys.intervention(id), value: i },
      { op: 'index', index: meetingIndexes.interventionsByFeedbackDue, member: id, score },
      { op: 'index', index: meetingIndexes.caseInterventions(caseId), member: id, score },
      { op: 'index', index: meetingIndexes.userInterventions(responsible), member: id, score },
    ];
  }

  async function formFor(user: TestUser, interventionId: string): Promise<{ cardId: string; card: Card }> {
    const card = await click(user, FEEDBACK_VERBS.open, { interventionId });
    const cardId = JSON.stringify(card).match(/"cardId":"([0-9a-f-]{36})"/)![1]!;
    return { cardId, card };
  }

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    for (const user of everyone) expect((await post(h.bot.url, installationUpdate(user, h.stub.url))).status).toBe(200);

    // A person case with 2 police contacts within 6 months, escalated to overlast (wijkmanager handles it).
    const police = { subject: 'persoon', categories: 'drugs', personName: 'Karel Terugkoppeling', personDob: '2006-06-06', policeContact: 'true', description: 'Dealt bij de bank.' };
    ids.personRef = await report(politie, { ...police, location: 'Sumatraplein', policeReference: 'PL-1' });
    expect(await report(politie, { ...police, location: 'Jacob Marisstraat', policeReference: 'PL-2' })).toBe(ids.personRef);
    ids.personCase = await caseIdOf(ids.personRef);
    const wm = actorFromDirectory(h.bot.ctx.directory, 'u-wijkmanager')!;
    expect((await changeCaseLevel(h.bot.ctx, wm, ids.personCase, 'overlast', 'Persoon veroorzaakt het meeste van de overlast.')).outcome).toBe('changed');

    // A case handled by the Kerngroep (the flag the Kerngroep feature will set).
    ids.kgRef = await report(jongerenwerk, { subject: 'locatie', categories: 'hangjongeren', location: 'Admiraal de Ruyterweg', description: 'Groep bij de snackbar.' });
    ids.kgCase = await caseIdOf(ids.kgRef);
    expect(ids.kgCase).not.toBe(ids.personCase);

    const ok = await h.bot.ctx.store.commit([
      { op: 'put', key: feedbackKeys.handledBy(ids.kgCase), value: { handledBy: 'kerngroep' } },
      ...intervention(ids.i1, ids.personCase, ids.personRef, 'jongerenwerk', 'u-jongerenwerk', 'Gesprek met de jongeren'),
      ...intervention(ids.i2, ids.kgCase, ids.kgRef, 'handhaving', 'u-handhaving', 'Extra surveillance'),
      ...intervention(ids.i3, ids.personCase, ids.personRef, 'swt', 'u-swt', 'Zorgtraject aanbieden'),
    ]);
    expect(ok.ok).toBe(true);
    await h.bot.runDueJobs();
  });
  afterAll(async () => h?.close());

  it('the feedback card arrives at the due date (09:00 local), not before', async () => {
    const n = count(jongerenwerk);
    await at('2026-03-27T07:59:00Z');
    expect(since(jongerenwerk, n)).toEqual([]);
    await at('2026-03-27T08:00:00Z');
    const got = since(jongerenwerk, n);
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('Terugkoppeling gevraagd');
    expect(got[0]).toContain('Gesprek met de jongeren');
    expect(raw(jongerenwerk, n)[0]).toContain(FEEDBACK_VERBS.open);
    // Each responsible partner gets their own; nobody else.
    expect(since(handhaving, 0).filter((t) => t.includes('Terugkoppeling gevraagd'))).toHaveLength(1);
    expect(since(swt, 0).filter((t) => t.includes('Terugkoppeling gevraagd'))).toHaveLength(1);
    // "terugkoppeling" lists the partner's open interventions.
    const [list] = await say(jongerenwerk, 'terugkoppeling');
    expect(list).toContain('Gesprek met de jongeren');
    expect(list).toContain(ids.personRef);
  });

  it('submit → the wijkmanager gets the details; effect geen → kerngroep-criterium; one record per card', async () => {
    const criterium = () => since(wijkmanager, 0).filter((t) => t.includes('Criterium voor aanmelding bij de Kerngroep'));
    expect(criterium()).toHaveLength(0);
    const n = count(wijkmanager);
    const { cardId } = await formFor(jongerenwerk, ids.i1);

    // Errors next to the field, values kept.
    const bad = await click(jongerenwerk, FEEDBACK_VERBS.submit, { cardId, interventionId: ids.i1, executed: 'ja', executedOn: '2026-03-26', effect: 'geen', followUp: 'ja' });
    expect(text(bad)).toContain('Licht toe waarom');
    expect(JSON.stringify(bad)).toContain('"value":"2026-03-26"');
    expect(JSON.stringify(bad)).toContain(cardId);

    const data = { cardId, interventionId: ids.i1, executed: 'ja', executedOn: '2026-03-26', effect: 'geen', followUp: 'ja', explanation: SECRET_EXPLANATION };
    expect(text(await click(jongerenwerk, FEEDBACK_VERBS.submit, data))).toContain('vastgelegd');
    expect(text(await click(jongerenwerk, FEEDBACK_VERBS.submit, data))).toContain('al vastgelegd');
    await h.bot.runDueJobs();

    const got = since(wijkmanager, n).filter((t) => t.includes('Terugkoppeling op'));
    expect(got).toHaveLength(1);
    expect(got[0]).toContain(ids.personRef);
    expect(got[0]).toContain('Effect: Geen');
    expect(got[0]).toContain('Jamal Jongerenwerk');
    expect(criterium()).toHaveLength(1);
    expect(criterium()[0]).toContain('Effect van interventies: geen');

    const doc = (await h.bot.ctx.store.get<FeedbackDoc>(feedbackKeys.feedback(ids.i1)))!.value;
    expect(doc.history).toHaveLength(0);
    // On the case timeline (without the effect or the text).
    const caseCard = (await say(wijkmanager, `casus ${ids.personRef}`)).join('\n');
    expect(caseCard).toContain('Terugkoppeling gegeven op een interventie (Jongerenwerk Dordrecht)');
    expect(caseCard).not.toContain(SECRET_EXPLANATION);
  });

  it('the wijkmanager clicks "Aanmelden bij Kerngroep" on the kerngroep-criterium notice → the registration card', async () => {
    const notice = h.stub
      .to(personalConversationId(wijkmanager))
      .map((p) => JSON.stringify(p.activity))
      .find((j) => j.includes('Criterium voor aanmelding bij de Kerngroep'))!;
    expect(notice).toContain('"verb":"escalation.register-kerngroep"');
    const firingId = /"verb":"escalation\.register-kerngroep","data":\{"firingId":"([0-9a-f-]{36})"\}/.exec(notice)?.[1] ?? /"firingId":"([0-9a-f-]{36})"/.exec(notice)![1]!;
    const card = await click(wijkmanager, 'escalation.register-kerngroep', { firingId });
    const shown = text(card);
    expect(shown).toContain(`Aanmelden bij de Kerngroep — ${ids.personRef}`);
    // The Kerngroep feature's registration flow for this case (its form or the user-specific view of it).
    expect(JSON.stringify(card)).toMatch(new RegExp(`"verb":"kerngroep\\.register[^"]*","data":\\{"caseRef":"${ids.personRef}"`));
    // The card replaces the notice in the chat: no name in what everyone's client keeps.
    expect(JSON.stringify(card)).not.toContain('Karel');
    // The click is recorded on the firing; the notice stays open (registering is not a decision yet).
    const firing = (await h.bot.ctx.store.get<FiringRecord>(escalationKeys.firing(firingId)))!.value;
    expect(firing.actions.map((a) => [a.action, a.by])).toEqual([['registerKerngroep', 'u-wijkmanager']]);
    expect(firing.handled).toBeUndefined();
  });

  it('the author can correct the feedback; the history is kept; others cannot give it', async () => {
    const { cardId, card } = await formFor(jongerenwerk, ids.i1);
    expect(JSON.stringify(card)).toContain(SECRET_EXPLANATION); // prefilled
    const res = await click(jongerenwerk, FEEDBACK_VERBS.submit, { cardId, interventionId: ids.i1, executed: 'ja', executedOn: '2026-03-26', effect: 'onvoldoende', followUp: 'ja', explanation: 'Na een tweede gesprek iets beter.' });
    expect(text(res)).toContain('gecorrigeerd');
    const doc = (await h.bot.ctx.store.get<FeedbackDoc>(feedbackKeys.feedback(ids.i1)))!.value;
    expect(doc.current.effect).toBe('onvoldoende');
    expect(doc.history.map((e) => e.effect)).toEqual(['geen']);
    expect(text(await click(politie, FEEDBACK_VERBS.open, { interventionId: ids.i1 }))).toContain('Alleen de verantwoordelijke partner');
    await h.bot.runDueJobs();
    expect(since(wijkmanager, 0).filter((t) => t.includes('Terugkoppeling op') && t.includes('Na een tweede gesprek'))).toHaveLength(1);
  });

  it('a Kerngroep case: the chair gets the details, the wijkmanager only that feedback was given', async () => {
    const nWm = count(wijkmanager);
    const nVz = count(voorzitter);
    const { cardId } = await formFor(handhaving, ids.i2);
    const res = await click(handhaving, FEEDBACK_VERBS.submit, { cardId, interventionId: ids.i2, executed: 'gedeeltelijk', executedOn: '2026-03-25', effect: 'onvoldoende', followUp: 'ja', explanation: SECRET_EXPLANATION });
    expect(text(res)).toContain('vastgelegd');
    await h.bot.runDueJobs();

    const chair = since(voorzitter, nVz).filter((t) => t.includes(ids.kgRef));
    expect(chair).toHaveLength(1);
    expect(chair[0]).toContain('Hans Handhaving');
    expect(chair[0]).toContain('Extra surveillance');
    expect(chair[0]).toContain(SECRET_EXPLANATION);

    const wm = since(wijkmanager, nWm).filter((t) => t.includes(ids.kgRef));
    expect(wm).toEqual([`Er is terugkoppeling gegeven op casus ${ids.kgRef}.`]);
    const wmRaw = raw(wijkmanager, nWm).join('\n');
    for (const detail of ['Hans', 'Handhaving', 'Stadstoezicht', 'surveillance', SECRET_EXPLANATION, 'onvoldoende', 'Onvoldoende', '2026-03-25', '25 maart', 'edeeltelijk']) {
      expect(wmRaw).not.toContain(detail);
    }
    // The wijkmanager's overview of that case is general too; the chair's has the details.
    const [wmView] = await say(wijkmanager, `terugkoppeling ${ids.kgRef}`);
    expect(wmView).toContain('Terugkoppeling gegeven op 1 van 1 interventies');
    expect(wmView).not.toContain('surveillance');
    expect((await say(wijkmanager, `casus ${ids.kgRef}`)).join('\n')).not.toContain('Terugkoppeling gegeven');
    const [vzView] = await say(voorzitter, `terugkoppeling ${ids.kgRef}`);
    expect(vzView).toContain('Extra surveillance');
  });

  it('overdue: the partner is reminded after 2 days, the director told after 7 — each once', async () => {
    const nSwt = count(swt);
    const nWm = count(wijkmanager);
    await at('2026-03-29T06:59:00Z'); // 08:59 CEST, 2 days after 09:00 CET
    expect(since(swt, nSwt)).toEqual([]);
    await at('2026-03-29T07:00:00Z');
    expect(since(swt, nSwt).filter((t) => t.includes('Herinnering'))).toHaveLength(1);
    await at('2026-03-30T12:00:00Z');
    expect(since(swt, nSwt).filter((t) => t.includes('Herinnering'))).toHaveLength(1);
    // Jongerenwerk gave feedback: no reminder for them.
    expect(since(jongerenwerk, 0).filter((t) => t.includes('Herinnering'))).toHaveLength(0);

    await at('2026-04-03T06:59:00Z');
    expect(since(wijkmanager, nWm).filter((t) => t.includes('te laat'))).toHaveLength(0);
    await at('2026-04-03T07:00:00Z');
    await at('2026-04-05T07:00:00Z');
    const late = since(wijkmanager, nWm).filter((t) => t.includes('Terugkoppeling te laat'));
    expect(late).toHaveLength(1);
    expect(late[0]).toContain('Zorgtraject aanbieden');
    expect(late[0]).toContain('Sociaal Wijkteam Crabbehof');
    expect(late[0]).toContain(ids.personRef);

    // The director's overview: overdue first, with status and effect.
    const view = (await say(wijkmanager, `terugkoppeling ${ids.personRef}`))[0]!;
    expect(view.indexOf('Te laat: Zorgtraject aanbieden')).toBeGreaterThan(-1);
    expect(view.indexOf('Te laat')).toBeLessThan(view.indexOf('Uitgevoerd: Gesprek met de jongeren'));
    expect(view).toContain('effect: Onvoldoende');
  });

  it('the free text of feedback never reaches the bot\'s logs', async () => {
    const logs = h.logs.join('');
    // The bot did log this run (debug level): the absence below is not an empty log.
    expect(logs).toContain('feedback.given');
    for (const free of [SECRET_EXPLANATION, 'Na een tweede gesprek iets beter.', 'reageerden nauwelijks', 'tweede gesprek']) expect(logs).not.toContain(free);
  });
});

describe('terugkoppeling on interventions recorded by "afspraken vastleggen"', () => {
  // Wednesday 1 April 2026, 12:00 in Amsterdam (CEST).
  const clock2 = manualClock(new Date('2026-04-01T10:00:00Z'));
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock: clock2 });
    for (const user of [wijkmanager, jongerenwerk, politie]) expect((await post(h.bot.url, installationUpdate(user, h.stub.url))).status).toBe(200);
  });
  afterAll(async () => h?.close());

  const find = (node: unknown, verb: string): Card | undefined => {
    const s = JSON.stringify(node);
    const m = new RegExp(`"verb":"${verb.replace('.', '\\.')}","data":(\\{[^}]*\\})`).exec(s) ?? new RegExp(`"data":(\\{[^}]*\\}),"verb":"${verb.replace('.', '\\.')}"`).exec(s);
    return m ? (JSON.parse(m[1]!) as Card) : undefined;
  };
  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<Card> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    return res.body.value as Card;
  }
  const texts = (user: TestUser) => h.stub.to(personalConversationId(user)).map((p) => visibleText(p.activity));

  it('due date → card → submit → the wijkmanager is told', async () => {
    const before = h.stub.to(personalConversationId(jongerenwerk)).length;
    await post(h.bot.url, message(jongerenwerk, h.stub.url, 'melding'));
    const signalCardId = JSON.stringify(h.stub.to(personalConversationId(jongerenwerk))[before]!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const reported = await click(jongerenwerk, 'signal.submit', {
      cardId: signalCardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      observedDate: '2026-04-01',
      observedTime: '09:00',
      severity: 'middel',
      source: 'eigen-waarneming',
      subject: 'locatie',
      categories: 'hangjongeren',
      description: 'Groep jongeren bij de bank.',
    });
    const caseRef = /C-\d{4}-\d{5}/.exec(JSON.stringify(reported))![0];

    const n0 = h.stub.to(personalConversationId(wijkmanager)).length;
    await post(h.bot.url, message(wijkmanager, h.stub.url, `overleg plannen ${caseRef}`));
    const planForm = h.stub.to(personalConversationId(wijkmanager))[n0]!.activity;
    const planCardId = find(planForm, 'meeting.plan')!.cardId as string;
    const overview = await click(wijkmanager, 'meeting.plan', { cardId: planCardId, cases: caseRef, date: '2026-04-02', start: '09:00', end: '10:00', place: 'Stadskantoor', orgs: 'jongerenwerk' });
    const meetingId = find(overview, 'meeting.overview')!.meetingId as string;
    clock2.set(new Date('2026-04-02T08:30:00Z'));
    await h.bot.runDueJobs();
    const form = await click(wijkmanager, 'meeting.agreements-form', { meetingId });
    const agreementsCardId = find(form, 'meeting.agreements')!.cardId as string;
    const done = await click(wijkmanager, 'meeting.agreements', {
      cardId: agreementsCardId,
      org_1: 'jongerenwerk',
      instrument_1: 'jongerenwerk:gesprek',
      feedbackDue_1: '2026-04-10',
      behaviourBy_1: '2026-05-01',
      followUp: 'false',
    });
    expect(visibleText({ attachments: [{ content: done }] })).toContain('vastgelegd');
    await h.bot.runDueJobs();
    expect(texts(jongerenwerk).filter((t) => t.includes('Terugkoppeling gevraagd'))).toHaveLength(0);

    clock2.set(new Date('2026-04-10T07:00:00Z')); // 09:00 CEST on the due date
    await h.bot.runDueJobs();
    const requests = h.stub.to(personalConversationId(jongerenwerk)).filter((p) => visibleText(p.activity).includes('Terugkoppeling gevraagd'));
    expect(requests).toHaveLength(1);
    const interventionId = find(requests[0]!.activity, FEEDBACK_VERBS.open)!.interventionId as string;
    const card = await click(jongerenwerk, FEEDBACK_VERBS.open, { interventionId });
    const cardId = JSON.stringify(card).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const res = await click(jongerenwerk, FEEDBACK_VERBS.submit, { cardId, interventionId, executed: 'ja', executedOn: '2026-04-08', effect: 'nog-niet', followUp: 'nee' });
    expect(visibleText({ attachments: [{ content: res }] })).toContain('vastgelegd');
    await h.bot.runDueJobs();
    const told = texts(wijkmanager).filter((t) => t.includes('Terugkoppeling op'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(caseRef);
    expect(told[0]).toContain('Effect: Nog niet te beoordelen');
  });
});
