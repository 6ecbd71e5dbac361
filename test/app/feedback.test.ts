import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { changeCaseLevel } from '../../src/app/escalation.js';
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

  async function caseAtOverlast(location: string): Promise<Case> {
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
        observedTime: '09:00',
        severity: 'middel',
        source: 'eigen-waarneming',
        subject: 'locatie',
        categories: 'hangjongeren',
        description: 'Groep jongeren.',
      }),
    );
    const ref = /C-\d{4}-\d{5}/.exec(JSON.stringify(res.body))![0];
    const caseId = (await hh.bot.ctx.store.get<{ caseId: string }>(signalKeys.caseRef(ref)))!.value.caseId;
    expect((await changeCaseLevel(hh.bot.ctx, actor('u-wijkmanager'), caseId, 'overlast', 'Aanhoudende overlast op deze plek.')).outcome).toBe('changed');
    return (await hh.bot.ctx.store.get<Case>(signalKeys.case(caseId)))!.value;
  }

  async function addIntervention(c: Case, responsible: string, organisation: string): Promise<string> {
    const id = randomUUID();
    const i: Intervention = {
      id,
      meetingId: randomUUID(),
      meetingRef: 'O-2026-00001',
      cases: [{ caseId: c.id, caseRef: c.ref }],
      organisation,
      responsibleUserIds: [responsible],
      description: `Interventie ${organisation}`,
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

  return { h: hh, clock, actor, received, caseAtOverlast, addIntervention, give };
}

const voldoende = { executed: 'ja', executedOn: '2026-03-25', effect: 'voldoende', followUp: 'nee' };

describe('feedback use cases', () => {
  it('Interventieteam: the regisseur gets the details, the wijkmanager only the general notice', async () => {
    const w = await world();
    const c = await w.caseAtOverlast('Sumatraplein');
    await w.h.bot.ctx.store.commit([{ op: 'put', key: signalKeys.case(c.id), value: { ...c, handledBy: 'interventieteam' } }]);
    const iid = await w.addIntervention(c, 'u-handhaving', 'handhaving');
    w.clock.set(new Date('2026-03-27T10:00:00Z'));
    expect(text(await w.give('u-handhaving', iid, { ...voldoende, effect: 'onvoldoende', explanation: 'Geen verbetering te zien.' }))).toContain('vastgelegd');
    await w.h.bot.runDueJobs();
    expect(w.received('u-regisseur').filter((t) => t.includes('Geen verbetering te zien.'))).toHaveLength(1);
    const wm = w.received('u-wijkmanager').filter((t) => t.includes(c.ref) && t.includes('terugkoppeling'));
    expect(wm).toEqual([`Er is terugkoppeling gegeven op casus ${c.ref}.`]);
    expect(w.received('u-voorzitter').filter((t) => t.includes(c.ref))).toHaveLength(0);
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
