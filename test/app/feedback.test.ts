import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { changeCaseLevel, evaluateEscalations } from '../../src/app/escalation.js';
import { kerngroepKeys } from '../../src/app/kerngroep.js';
import { feedbackSweep, interventionEffects, openFeedbackForm, submitFeedback } from '../../src/app/feedback.js';
import { meetingIndexes, meetingKeys } from '../../src/app/meetings.js';
import { keys as signalKeys } from '../../src/app/signals.js';
import { actorFromDirectory } from '../../src/domain/actor.js';
import type { Intervention } from '../../src/domain/intervention.js';
import type { Case } from '../../src/domain/signal.js';
import type { AdaptiveCard, WriteOp } from '../../src/ports.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { actionExecute, installationUpdate, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * The feedback use cases on the real bot (embedded store, in-process jobs): Interventieteam routing,
 * afschalen offered when every intervention is voldoende, the sweep's idempotency, escalation facts.
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const text = (card: AdaptiveCard) => visibleText({ attachments: [{ content: card }] });
const DUE = '2026-03-27';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function world() {
  const clock = manualClock(new Date('2026-03-20T10:00:00Z'));
  h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  const hh = h;
  for (const id of ['u-wijkmanager', 'u-jongerenwerk', 'u-regisseur', 'u-voorzitter', 'u-handhaving']) await post(hh.bot.url, installationUpdate(u(id), hh.stub.url));
  const actor = (id: string) => actorFromDirectory(hh.bot.ctx.directory, id)!;
  const received = (id: string) => hh.stub.to(personalConversationId(u(id))).map((p) => visibleText(p.activity));

  async function caseAtOverlast(location: string, about: Record<string, string> = { subject: 'locatie' }): Promise<Case> {
    const ref = await report(location, about);
    const caseId = (await hh.bot.ctx.store.get<{ caseId: string }>(signalKeys.caseRef(ref)))!.value.caseId;
    expect((await changeCaseLevel(hh.bot.ctx, actor('u-wijkmanager'), caseId, 'overlast', 'Aanhoudende overlast op deze plek.')).outcome).toBe('changed');
    return (await hh.bot.ctx.store.get<Case>(signalKeys.case(caseId)))!.value;
  }

  async function report(location: string, about: Record<string, string>, observedTime = '09:00'): Promise<string> {
    const user = u('u-jongerenwerk');
    const before = hh.stub.to(personalConversationId(user)).length;
    await post(hh.bot.url, message(user, hh.stub.url, 'melding'));
    const cardId = JSON.stringify(hh.stub.to(personalConversationId(user))[before]!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const res = await post(
      hh.bot.url,
      actionExecute(user, hh.stub.url, 'signal.submit', {
        cardId,
        kind: 'overlast',
        district: 'crabbehof',
        location,
        observedDate: '2026-03-20',
        observedTime,
        severity: 'middel',
        source: 'eigen-waarneming',
        categories: 'hangjongeren',
        description: 'Groep jongeren.',
        ...about,
      }),
    );
    return /C-\d{4}-\d{5}/.exec(JSON.stringify(res.body))![0];
  }

  async function addIntervention(c: Case, responsible: string, organisation: string, description = `Interventie ${organisation}`): Promise<string> {
    const id = randomUUID();
    const i: Intervention = {
      id,
      meetingId: randomUUID(),
      meetingRef: 'O-2026-00001',
      cases: [{ caseId: c.id, caseRef: c.ref }],
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
    const ops: WriteOp[] = [
      { op: 'put', key: meetingKeys.intervention(id), value: i },
      { op: 'index', index: meetingIndexes.interventionsByFeedbackDue, member: id, score },
      { op: 'index', index: meetingIndexes.caseInterventions(c.id), member: id, score },
      { op: 'index', index: meetingIndexes.userInterventions(responsible), member: id, score },
    ];
    expect((await hh.bot.ctx.store.commit(ops)).ok).toBe(true);
    return id;
  }

  async function give(userId: string, interventionId: string, values: Record<string, string>): Promise<AdaptiveCard> {
    const form = await openFeedbackForm(hh.bot.ctx, actor(userId), { interventionId });
    const cardId = JSON.stringify(form).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    return submitFeedback(hh.bot.ctx, actor(userId), { cardId, interventionId, ...values });
  }

  return { h: hh, clock, actor, received, caseAtOverlast, report, addIntervention, give };
}

const voldoende = { executed: 'ja', executedOn: '2026-03-25', effect: 'voldoende', followUp: 'nee' };

describe('feedback use cases', () => {
  it('Interventieteam: the chair hands the case over from the huisbezoek notice; then the regisseur gets the details, the wijkmanager only the general notice', async () => {
    const w = await world();
    const person = { subject: 'persoon', personName: 'Rik Rood', personDob: '2004-04-04' };
    const c = await w.caseAtOverlast('Sumatraplein', person);
    expect(await w.report('Sumatraplein', person, '09:30')).toBe(c.ref);
    // The Kerngroep gave the person colour rood: huisbezoek-criterium (2 nuisance signals in 6 months).
    await w.h.bot.ctx.store.commit([{ op: 'put', key: kerngroepKeys.person(c.personKey!), value: { colour: 'rood', meetingId: randomUUID() } }]);
    await evaluateEscalations(w.h.bot.ctx, { type: 'colour', caseId: c.id, personKeys: [c.personKey!] });
    await w.h.bot.runDueJobs();
    const noticeOf = (id: string) => w.h.stub.to(personalConversationId(u(id))).map((p) => JSON.stringify(p.activity)).find((j) => j.includes('Criterium voor een huisbezoek'))!;
    const chairNotice = noticeOf('u-voorzitter');
    // The button is the chair's: the regisseur's copy of the notice has none.
    expect(chairNotice).toContain('Overdragen aan Interventieteam');
    expect(noticeOf('u-regisseur')).not.toContain('escalation.hand-to-interventieteam');
    const firingId = /"firingId":"([0-9a-f-]{36})"/.exec(chairNotice)![1];
    const handOver = (id: string, reasonHandover: string) => post(w.h.bot.url, actionExecute(u(id), w.h.stub.url, 'escalation.hand-to-interventieteam', { firingId, reasonHandover }));
    // Someone else than the chair cannot hand over (refused and audited).
    expect(JSON.stringify((await handOver('u-regisseur', 'Ik wil dit graag zelf oppakken.')).body)).toContain('Alleen de voorzitter van de Kerngroep');
    const res = await handOver('u-voorzitter', 'Kerngroep-interventies hadden onvoldoende effect.');
    expect(res.status).toBe(200);
    expect(visibleText({ attachments: [{ content: res.body.value }] })).toContain('Overgedragen aan het Interventieteam door Vera Voorzitter');
    const after = (await w.h.bot.ctx.store.get<Case>(signalKeys.case(c.id)))!.value;
    expect(after.handledBy).toBe('interventieteam');
    expect(after.events.at(-1)).toMatchObject({ type: 'handed-over', to: 'interventieteam', by: { userId: 'u-voorzitter' } });
    const audit = await w.h.bot.ctx.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER);
    expect(audit.filter((e) => e.entry.action === 'case.hand-over').map((e) => [e.entry.actor, e.entry.outcome])).toEqual([
      ['u-regisseur', 'deny'],
      ['u-voorzitter', 'allow'],
    ]);
    await w.h.bot.runDueJobs();
    // The regisseur and the wijkmanager are told (no names); the case timeline shows the handover.
    for (const id of ['u-regisseur', 'u-wijkmanager']) expect(w.received(id).filter((t) => t.includes(`Casus ${c.ref} is door de voorzitter`))).toHaveLength(1);
    await post(w.h.bot.url, message(u('u-wijkmanager'), w.h.stub.url, `casus ${c.ref}`));
    expect(w.received('u-wijkmanager').at(-1)).toContain('Overgedragen aan het Interventieteam');

    const iid = await w.addIntervention(c, 'u-handhaving', 'handhaving');
    w.clock.set(new Date('2026-03-27T10:00:00Z'));
    expect(text(await w.give('u-handhaving', iid, { ...voldoende, effect: 'onvoldoende', explanation: 'Geen verbetering te zien.' }))).toContain('vastgelegd');
    await w.h.bot.runDueJobs();
    expect(w.received('u-regisseur').filter((t) => t.includes('Geen verbetering te zien.'))).toHaveLength(1);
    const wm = w.received('u-wijkmanager').filter((t) => t.includes(c.ref) && /terugkoppeling (gegeven|op)/i.test(t));
    expect(wm).toEqual([`Er is terugkoppeling gegeven op casus ${c.ref}.`]);
    expect(w.received('u-wijkmanager').join('\n')).not.toContain('Geen verbetering te zien.');
    // The chair handed the case over: the details no longer go to the chair.
    expect(w.received('u-voorzitter').filter((t) => t.includes('Terugkoppeling op') || t.includes('Geen verbetering'))).toHaveLength(0);
  });

  it('all interventions voldoende and no new signals → the director is offered afschalen, with a reason', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    const a = await w.addIntervention(c, 'u-jongerenwerk', 'jongerenwerk');
    const b = await w.addIntervention(c, 'u-handhaving', 'handhaving');
    w.clock.set(new Date('2026-03-27T10:00:00Z'));
    await w.give('u-jongerenwerk', a, voldoende);
    await w.h.bot.runDueJobs();
    const offers = () => w.h.stub.to(personalConversationId(u('u-wijkmanager'))).filter((p) => JSON.stringify(p.activity).includes('case.change-level'));
    expect(offers()).toHaveLength(0);
    await w.give('u-handhaving', b, voldoende);
    await w.h.bot.runDueJobs();
    expect(offers()).toHaveLength(1);
    const offer = JSON.stringify(offers()[0]!.activity);
    expect(offer).toContain(c.ref);
    expect(offer).toContain('"to":"hinder"');
    expect(offer).toContain('"id":"reason"');
    // The offer's action de-escalates through the escalation feature's verb.
    const res = await post(w.h.bot.url, actionExecute(u('u-wijkmanager'), w.h.stub.url, 'case.change-level', { caseRef: c.ref, to: 'hinder', reason: 'Alle interventies hadden voldoende effect.' }));
    expect(res.status).toBe(200);
    expect((await w.h.bot.ctx.store.get<Case>(signalKeys.case(c.id)))!.value.level).toBe('hinder');
  });

  it('no afschalen offer when a signal came in after the interventions were agreed, although all are voldoende', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    const a = await w.addIntervention(c, 'u-jongerenwerk', 'jongerenwerk'); // agreed 20 March, 11:00
    w.clock.set(new Date('2026-03-25T12:00:00Z'));
    expect(await w.report('Sumatraplein', { subject: 'locatie', observedDate: '2026-03-25', observedTime: '11:00' })).toBe(c.ref);
    w.clock.set(new Date('2026-03-27T10:00:00Z'));
    expect(text(await w.give('u-jongerenwerk', a, voldoende))).toContain('vastgelegd');
    await w.h.bot.runDueJobs();
    // The feedback itself reached the wijkmanager; the afschalen offer did not come.
    expect(w.received('u-wijkmanager').filter((t) => t.includes('Terugkoppeling op'))).toHaveLength(1);
    const posted = w.h.stub.to(personalConversationId(u('u-wijkmanager'))).map((p) => JSON.stringify(p.activity));
    expect(posted.filter((j) => j.includes('case.change-level'))).toHaveLength(0);
    expect(posted.join('\n')).not.toContain('Je kunt de casus afschalen');
    expect((await w.h.bot.ctx.store.get<Case>(signalKeys.case(c.id)))!.value.level).toBe('overlast');
  });

  it('hostile text in the agreement and the explanation shows as typed: no links, mentions or markup in the notices', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    const what = 'Gesprek [klik hier](https://evil.example/x) **nu** <at>Iedereen</at>';
    const explanation = 'Zie [formulier](https://evil.example/f) en _dit_ <at>Wijkmanager</at>';
    const iid = await w.addIntervention(c, 'u-jongerenwerk', 'jongerenwerk', what);
    w.clock.set(new Date('2026-03-27T08:00:00Z'));
    expect(await feedbackSweep(w.h.bot.ctx)).toBe(1);
    await w.h.bot.runDueJobs();
    const request = w.received('u-jongerenwerk').find((t) => t.includes('Terugkoppeling gevraagd'))!;
    expect(request).toContain('Gesprek \\[klik hier\\]\\(https://evil.example/x\\) \\*\\*nu\\*\\* &lt;at\\>Iedereen&lt;/at\\>');
    await w.give('u-jongerenwerk', iid, { ...voldoende, effect: 'onvoldoende', explanation });
    await w.h.bot.runDueJobs();
    const notice = w.received('u-wijkmanager').find((t) => t.includes('Terugkoppeling op'))!;
    expect(notice).toContain('Zie \\[formulier\\]\\(https://evil.example/f\\) en \\_dit\\_ &lt;at\\>Wijkmanager&lt;/at\\>');
    for (const got of [request, notice]) {
      expect(got).not.toMatch(/\]\(https:/);
      expect(got).not.toContain('<at>');
      expect(got).not.toContain('**');
    }
  });

  it('after an outage longer than the look-back window every owed step is still sent, once', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    await w.addIntervention(c, 'u-jongerenwerk', 'jongerenwerk');
    // The bot ran (and swept) until the day before the due date, then was down for 3½ weeks.
    w.clock.set(new Date('2026-03-26T12:00:00Z'));
    expect(await feedbackSweep(w.h.bot.ctx)).toBe(0);
    w.clock.set(new Date('2026-04-20T10:00:00Z')); // 24 days after the due date: far beyond 7 + 3 days
    await w.h.bot.runDueJobs(); // the hourly sweep job catches up
    const partner = w.received('u-jongerenwerk');
    expect(partner.filter((t) => t.includes('Vandaag (27 maart 2026) is de terugkoppeling'))).toHaveLength(1);
    expect(partner.filter((t) => t.includes('Herinnering'))).toHaveLength(1);
    expect(w.received('u-wijkmanager').filter((t) => t.includes('Terugkoppeling te laat'))).toHaveLength(1);
    // Sweeping again (another hour, another instance) sends nothing more.
    expect(await feedbackSweep(w.h.bot.ctx)).toBe(0);
    w.clock.set(new Date('2026-04-20T12:00:00Z'));
    await w.h.bot.runDueJobs();
    expect(w.received('u-jongerenwerk').filter((t) => t.includes('Terugkoppeling gevraagd'))).toHaveLength(2); // request + reminder cards
    expect(w.received('u-wijkmanager').filter((t) => t.includes('Terugkoppeling te laat'))).toHaveLength(1);
  });

  it('the sweep sends each step once however often it runs; effects feed the escalation facts', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    const iid = await w.addIntervention(c, 'u-jongerenwerk', 'jongerenwerk');
    expect(await interventionEffects(w.h.bot.ctx, c.id)).toBeUndefined();
    w.clock.set(new Date('2026-04-04T10:00:00Z'));
    expect(await feedbackSweep(w.h.bot.ctx)).toBe(3); // request, reminder, director (catch-up)
    expect(await feedbackSweep(w.h.bot.ctx)).toBe(0);
    await w.give('u-jongerenwerk', iid, { ...voldoende, effect: 'nog-niet' });
    expect(await interventionEffects(w.h.bot.ctx, c.id)).toBeUndefined();
    const form = await openFeedbackForm(w.h.bot.ctx, w.actor('u-jongerenwerk'), { interventionId: iid });
    const cardId = JSON.stringify(form).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    await submitFeedback(w.h.bot.ctx, w.actor('u-jongerenwerk'), { cardId, interventionId: iid, ...voldoende, effect: 'geen', explanation: 'Geen effect.' });
    expect(await interventionEffects(w.h.bot.ctx, c.id)).toEqual(['geen']);
    // Another partner cannot correct it.
    expect(text(await openFeedbackForm(w.h.bot.ctx, w.actor('u-handhaving'), { interventionId: iid }))).toContain('Alleen de verantwoordelijke partner');
  });
});
