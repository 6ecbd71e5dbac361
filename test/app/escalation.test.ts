import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import type { AppContext } from '../../src/app/context.js';
import { conversationKey } from '../../src/app/conversations.js';
import {
  changeCaseLevel,
  escalationFeature,
  escalationIndexes,
  escalationKeys,
  evaluateEscalations,
  evaluateEscalationsNow,
  registerEscalations,
  ESCALATION_INBOX,
  INBOX_EVERY_MS,
  INBOX_GRACE_MS,
  startEscalations,
  type EscalationSetup,
  type FiringRecord,
  type LaterFacts,
} from '../../src/app/escalation.js';
import { OutboxService } from '../../src/app/outbox-service.js';
import { keys, openPassOnForm, openSignalForm, passOnCase, submitSignal } from '../../src/app/signals.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { loadDirectory } from '../../src/domain/directory.js';
import { DEFAULT_ESCALATION_RULES, type EscalationRules } from '../../src/domain/escalation.js';
import type { Case } from '../../src/domain/signal.js';
import { InProcessJobs } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import type { AdaptiveCard, DeliveryResult, Messenger, OutgoingMessage, Store, WriteOp } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { signalForm } from '../support/signal-form.js';
import { countingStore } from '../support/counting-store.js';

/**
 * Evaluation, de-duplication, re-arming and the notice actions, on the real signals use cases, the
 * in-process scheduler and the outbox with a recording messenger. Time is a controllable clock.
 */

const TZ = 'Europe/Amsterdam';
const directory = loadDirectory('test/fixtures/directory.yaml');
const WM = 'u-wijkmanager';
const CHAIR = 'u-voorzitter';
const PERSON = { personName: 'Karel Testpersoon', personDob: '2007-02-03' };

interface Delivered {
  userId: string;
  message: OutgoingMessage;
}

interface Instance {
  ctx: AppContext;
  jobs: InProcessJobs;
  outbox: OutboxService;
}

interface World extends Instance {
  dir: string;
  store: EmbeddedStore;
  delivered: Delivered[];
  script: Map<string, DeliveryResult[]>;
  advance(ms: number): void;
  run(): Promise<number>;
  /** A second bot instance on the same store (as two instances share Redis). */
  twin(): Promise<Instance>;
  logs: string[];
}

const worlds: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});

async function world(options: { rules?: EscalationRules; facts?: LaterFacts; start?: Date; storeCalls?: string[] } = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'ovb-escalation-'));
  const store = await EmbeddedStore.open(dir);
  // What the bot instances call on the store, by method name (when asked for).
  const botStore: Store = options.storeCalls ? countingStore(store, options.storeCalls) : store;
  let t = (options.start ?? new Date('2026-03-20T10:00:00Z')).getTime();
  const clock = { now: () => new Date(t) };
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _e, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  const delivered: Delivered[] = [];
  const script = new Map<string, DeliveryResult[]>();
  // Everyone has talked to the bot already (conversation references exist).
  for (const u of directory.data.users) await store.commit([{ op: 'put', key: conversationKey(u.id), value: { reference: {}, updatedAt: '' } }]);
  const messenger: Messenger = {
    async sendToUser(userId, message) {
      const answer = script.get(userId)?.shift() ?? { ok: true };
      if (answer.ok) delivered.push({ userId, message });
      return answer;
    },
  };
  const setup: EscalationSetup = { rules: options.rules ?? DEFAULT_ESCALATION_RULES, ...(options.facts ? { facts: options.facts } : {}) };
  const instances: Instance[] = [];
  const instance = async (): Promise<Instance> => {
    const jobs = new InProcessJobs({ store, clock, pollIntervalMs: 0 });
    const outbox = new OutboxService({ store: botStore, jobs, messenger, directory, clock, log, random: () => 0.5 });
    const ctx: AppContext = { store: botStore, directory, clock, log, timeZone: TZ, jobs, outbox };
    outbox.register();
    registerEscalations(ctx, setup, outbox);
    await jobs.start();
    const i = { ctx, jobs, outbox };
    instances.push(i);
    return i;
  };
  const first = await instance();
  const w: World = {
    ...first,
    dir,
    store,
    delivered,
    script,
    logs,
    advance: (ms) => void (t += ms),
    run: async () => {
      let total = 0;
      for (let i = 0; i < 20; i++) {
        const n = (await Promise.all(instances.map((x) => x.jobs.runDue()))).reduce((a, b) => a + b, 0);
        total += n;
        if (n === 0) break;
      }
      return total;
    },
    twin: instance,
  };
  worlds.push({
    stop: async () => {
      for (const i of instances) await i.jobs.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return w;
}

const actor = (id: string): Actor => actorFromDirectory(directory, id)!;

function cardIdOf(card: AdaptiveCard, verb: string): string {
  let found: string | undefined;
  const walk = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Record<string, any>;
    if (o.type === 'Action.Execute' && o.verb === verb && typeof o.data?.cardId === 'string') found = o.data.cardId;
    else Object.values(o).forEach(walk);
  };
  walk(card);
  if (!found) throw new Error(`no ${verb} action`);
  return found;
}

/** A signal through the real use case, observed an hour before the clock's now. */
async function report(w: World, userId: string, over: Record<string, unknown> = {}, ctx: AppContext = w.ctx): Promise<{ caseRef: string; signalRef: string }> {
  const a = actor(userId);
  const cardId = cardIdOf(await openSignalForm(ctx, a), 'signal.submit');
  const observed = new Date(ctx.clock.now().getTime() - 60 * 60_000);
  const result = await submitSignal(ctx, a, { cardId, ...signalForm(observed, over) });
  if (result.outcome !== 'created') throw new Error(`signal not stored: ${result.outcome}`);
  return { caseRef: result.caseRef, signalRef: result.signalRef };
}

/** The world's context in a process that does not get to evaluate what it stores (runHere refused). */
function notHere(w: World): AppContext {
  const jobs = new Proxy(w.jobs, {
    get(target, prop) {
      if (prop === 'runHere') return () => false;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...w.ctx, jobs };
}

const inboxSize = (w: World) => w.store.count(ESCALATION_INBOX, -Infinity, Infinity);

async function caseByRef(w: World, ref: string): Promise<Case> {
  const ptr = await w.store.get<{ caseId: string }>(keys.caseRef(ref));
  return (await w.store.get<Case>(keys.case(ptr!.value.caseId)))!.value;
}

const noticesTo = (w: World, userId: string) => w.delivered.filter((d) => d.userId === userId);
const json = (d: Delivered) => JSON.stringify(d.message);
const ruleOf = (d: Delivered) => /Drempel bereikt: ([^"]+)"/.exec(json(d))?.[1];

async function firings(w: World, caseId: string): Promise<FiringRecord[]> {
  const all = await w.store.range(escalationIndexes.caseFired(caseId), -Infinity, Infinity);
  const markers = await w.store.getMany<{ firingId: string }>(all.map((m) => m.member));
  const recs = await w.store.getMany<FiringRecord>(markers.map((m) => escalationKeys.firing(m!.value.firingId)));
  return recs.map((r) => r!.value);
}

function firingIdIn(d: Delivered): string {
  const m = /"firingId":"([0-9a-f-]{36})"/.exec(json(d));
  if (!m) throw new Error('no firing id on the card');
  return m[1]!;
}

const DAY = 86_400_000;

describe('location rules: meerdere-partijen and vaker-op-plek', () => {
  it('two organisations at one place → exactly one notice to the wijkmanager; a third signal → vaker-op-plek, not the first again', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-politie');
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    await report(w, 'u-jongerenwerk');
    await w.run();
    const first = noticesTo(w, WM);
    expect(first).toHaveLength(1);
    expect(ruleOf(first[0]!)).toBe('Meerdere partijen melden over één plek');
    expect(json(first[0]!)).toContain(caseRef);
    expect(json(first[0]!)).toContain('2 partners binnen 28 dagen');
    // The same place again, a third organisation: the count rule fires, the other does not repeat.
    await report(w, 'u-handhaving');
    await w.run();
    const all = noticesTo(w, WM).map(ruleOf);
    expect(all).toEqual(['Meerdere partijen melden over één plek', 'Vaker overlast op deze plek']);
    expect(noticesTo(w, CHAIR)).toHaveLength(0);
  });

  it('the rules after a stored signal ask the store once for documents and once for counts, then take it out of the inbox', async () => {
    const calls: string[] = [];
    const w = await world({ storeCalls: calls });
    await report(w, 'u-handhaving');
    calls.length = 0;
    // The evaluation the submit started in this process (held until now): nothing fires at a first signal.
    await w.run();
    expect(calls.sort()).toEqual(['commit', 'getMany', 'summarise']);
    expect(await inboxSize(w)).toBe(0);
    expect(w.delivered).toEqual([]);
  });

  it('two instances evaluating the same change at once store one firing and send one notice', async () => {
    const w = await world();
    const b = await w.twin();
    await report(w, 'u-politie');
    const { signalRef } = await report(w, 'u-jongerenwerk');
    const signalId = (await w.store.get<{ signalId: string }>(keys.signalRef(signalRef)))!.value.signalId;
    const setup = { rules: DEFAULT_ESCALATION_RULES };
    await Promise.all([
      evaluateEscalationsNow(w.ctx, setup, { type: 'signal', signalId }),
      evaluateEscalationsNow(b.ctx, setup, { type: 'signal', signalId }),
      evaluateEscalationsNow(b.ctx, setup, { type: 'signal', signalId }),
    ]);
    await w.run();
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Meerdere partijen melden over één plek']);
  });

  it("the stored signal is the truth: a trigger naming another place is evaluated at the signal's own place", async () => {
    const w = await world();
    await report(w, 'u-politie');
    const { signalRef, caseRef } = await report(w, 'u-jongerenwerk');
    const signalId = (await w.store.get<{ signalId: string }>(keys.signalRef(signalRef)))!.value.signalId;
    const caseId = (await caseByRef(w, caseRef)).id;
    // A stale or tampered job payload: the read-ahead asks about the wrong place, the evaluation does not.
    const place = { district: 'crabbehof', locationKey: 'elders', location: 'Elders' };
    await evaluateEscalationsNow(w.ctx, { rules: DEFAULT_ESCALATION_RULES }, { type: 'signal', signalId, caseId, place });
    // Fired by this evaluation: the submit's own evaluation job has not run yet.
    const fired = await firings(w, caseId);
    expect(fired.map((f) => [f.rule, f.location])).toEqual([['meerdere-partijen', 'Sumatraplein']]);
    await w.run();
    const notices = noticesTo(w, WM);
    expect(notices.map(ruleOf)).toEqual(['Meerdere partijen melden over één plek']);
    expect(json(notices[0]!)).toContain('Sumatraplein');
    expect(json(notices[0]!)).not.toContain('Elders');
  });

  it('a signal whose evaluation did not run where it was stored waits in the inbox until the recovery evaluates it: one notice, the inbox empties', async () => {
    const w = await world();
    await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES });
    await report(w, 'u-politie');
    await w.run();
    expect(await inboxSize(w)).toBe(0);
    // The process that stores the second signal does not evaluate it (it stops, or too much is pending).
    await report(w, 'u-jongerenwerk', {}, notHere(w));
    expect(await inboxSize(w)).toBe(1);
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    // Too young for the recovery at first (it may still be under way where it was stored) ...
    w.advance(INBOX_GRACE_MS / 2);
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    // ... then the recovery, which runs every INBOX_EVERY_MS, takes it.
    w.advance(INBOX_EVERY_MS + INBOX_GRACE_MS);
    await w.run();
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Meerdere partijen melden over één plek']);
    expect(await inboxSize(w)).toBe(0);
    w.advance(INBOX_EVERY_MS);
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(1);
  });

  it('after a restart, every signal stored before it is evaluated at once, however young', async () => {
    const w = await world();
    await report(w, 'u-politie');
    await w.run();
    await report(w, 'u-jongerenwerk', {}, notHere(w));
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    // The bot starts again, a moment later (src/main.ts calls startEscalations at every start).
    w.advance(1);
    await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES });
    await w.run();
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Meerdere partijen melden over één plek']);
    expect(await inboxSize(w)).toBe(0);
  });

  it('a signal erased before its evaluation leaves the inbox without a notice', async () => {
    const w = await world();
    await report(w, 'u-politie');
    await w.run();
    const { signalRef } = await report(w, 'u-jongerenwerk', {}, notHere(w));
    const signalId = (await w.store.get<{ signalId: string }>(keys.signalRef(signalRef)))!.value.signalId;
    await w.store.commit([{ op: 'delete', key: keys.signal(signalId) }]);
    w.advance(1);
    await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES });
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    expect(await inboxSize(w)).toBe(0);
  });

  it('the evaluation of a signal that is never stored (its submit failed) stops after three looks', async () => {
    const w = await world();
    await evaluateEscalations(w.ctx, { type: 'signal', signalId: 'never-stored' });
    let runs = 0;
    for (let i = 0; i < 6; i++) {
      runs += await w.run();
      w.advance(1_000);
    }
    expect(runs).toBe(3);
  });

  it('re-arms when the count fell below the threshold (sweep), then fires again', async () => {
    const w = await world();
    await report(w, 'u-politie');
    const { caseRef } = await report(w, 'u-jongerenwerk');
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(1);
    const c = await caseByRef(w, caseRef);
    expect(await firings(w, c.id)).toHaveLength(1);

    // Four weeks and a bit without signals: the sweep finds fewer than 2 organisations → re-armed.
    w.advance(29 * DAY);
    await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES });
    await w.run();
    expect(await firings(w, c.id)).toHaveLength(0);
    expect(noticesTo(w, WM)).toHaveLength(1);

    await report(w, 'u-politie');
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(1);
    await report(w, 'u-handhaving');
    await w.run();
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Meerdere partijen melden over één plek', 'Meerdere partijen melden over één plek']);
  });

  it('de-escalation re-arms every rule of the case', async () => {
    const w = await world();
    await report(w, 'u-politie');
    const { caseRef } = await report(w, 'u-jongerenwerk');
    await w.run();
    const c = await caseByRef(w, caseRef);
    const up = await changeCaseLevel(w.ctx, actor(WM), c.id, 'overlast', 'Meerdere partners melden, interventies werken niet.');
    expect(up.outcome).toBe('changed');
    expect(await firings(w, c.id)).toHaveLength(1);
    const down = await changeCaseLevel(w.ctx, actor(WM), c.id, 'hinder', 'Rustig geworden na de gesprekken.');
    expect(down.outcome).toBe('changed');
    expect(await firings(w, c.id)).toHaveLength(0);
    // The timeline records both decisions with their reasons.
    const after = await caseByRef(w, caseRef);
    expect(after.events.filter((e) => e.type === 'level-changed').map((e) => e.type === 'level-changed' && e.reason)).toEqual([
      'Meerdere partners melden, interventies werken niet.',
      'Rustig geworden na de gesprekken.',
    ]);
    await report(w, 'u-handhaving');
    await w.run();
    // Fires again for the place (2+ organisations still within 28 days), as a new episode.
    expect(noticesTo(w, WM).filter((d) => ruleOf(d) === 'Meerdere partijen melden over één plek')).toHaveLength(2);
  });

  it('only the municipal roles may change a level', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-jongerenwerk');
    const c = await caseByRef(w, caseRef);
    expect(await changeCaseLevel(w.ctx, actor('u-jongerenwerk'), c.id, 'overlast', 'Ik wil dit graag opschalen nu.')).toEqual({ outcome: 'denied', reason: 'role-required' });
    expect(await changeCaseLevel(w.ctx, actor(WM), c.id, 'overlast', 'kort')).toEqual({ outcome: 'invalid', error: 'reason-required' });
  });
});

describe('person rules with the facts of later features', () => {
  async function personCaseAtOverlast(w: World): Promise<Case> {
    const police = { subject: 'persoon', ...PERSON, policeContact: 'true', description: 'Persoon valt voorbijgangers lastig.' };
    const { caseRef } = await report(w, 'u-politie', { ...police, policeReference: 'PL-1' });
    w.advance(20 * DAY);
    await report(w, 'u-politie', { ...police, policeReference: 'PL-2', location: 'Jacob Marisstraat' });
    const c = await caseByRef(w, caseRef);
    await changeCaseLevel(w.ctx, actor(WM), c.id, 'overlast', 'Persoon veroorzaakt het meeste van de overlast.');
    return caseByRef(w, caseRef);
  }

  it('kerngroep-criterium: 2 police contacts in 6 months at overlast and effect onvoldoende → the wijkmanager, without the name', async () => {
    let effects: ('geen' | 'onvoldoende' | 'voldoende')[] | undefined;
    const w = await world({ facts: { interventionEffects: async () => effects } });
    const c = await personCaseAtOverlast(w);
    await w.run();
    // No feedback yet: the criterion is not met.
    expect(noticesTo(w, WM).filter((d) => ruleOf(d) === 'Criterium voor aanmelding bij de Kerngroep')).toHaveLength(0);
    effects = ['onvoldoende'];
    await evaluateEscalations(w.ctx, { type: 'feedback', caseId: c.id });
    await w.run();
    const notice = noticesTo(w, WM).filter((d) => ruleOf(d) === 'Criterium voor aanmelding bij de Kerngroep');
    expect(notice).toHaveLength(1);
    const text = json(notice[0]!);
    expect(text).toContain('2 politiecontacten binnen 6 maanden: 20-03-2026 en 09-04-2026');
    expect(text).toContain('Effect van interventies: onvoldoende');
    expect(text).toContain('escalation.register-kerngroep');
    expect(text).not.toContain('Karel');
    expect(text).not.toContain('2007-02-03');
    expect(text).not.toContain('PL-1');
    // The person key is not in any log line either.
    expect(w.logs.join('')).not.toContain(c.personKey!);
  });

  it('huisbezoek-criterium: colour rood and 2 nuisance signals in 6 months → the chair and the regisseur', async () => {
    let colour: 'groen' | 'oranje' | 'rood' | undefined = 'oranje';
    const w = await world({ facts: { kerngroepColour: async () => colour } });
    const c = await personCaseAtOverlast(w);
    await w.run();
    expect(noticesTo(w, CHAIR)).toHaveLength(0);
    colour = 'rood';
    await evaluateEscalations(w.ctx, { type: 'colour', caseId: c.id });
    await w.run();
    expect(noticesTo(w, CHAIR).map(ruleOf)).toEqual(['Criterium voor een huisbezoek']);
    expect(noticesTo(w, 'u-regisseur').map(ruleOf)).toEqual(['Criterium voor een huisbezoek']);
  });

  describe('a case with two persons: each person is checked, not only the first', () => {
    const ANNA = { personName: 'Anna Eerstepersoon', personDob: '2005-05-05' };
    const BERT = { personName: 'Bert Tweedepersoon', personDob: '2006-06-06' };
    const policeAbout = (p: typeof ANNA, ref: string) => ({ subject: 'persoon', ...p, policeContact: 'true', policeReference: ref, description: 'Persoon valt voorbijgangers lastig.' });
    const personKeyOf = async (w: World, signalRef: string) => {
      const id = (await w.store.get<{ signalId: string }>(keys.signalRef(signalRef)))!.value.signalId;
      return (await w.store.get<{ personKey?: string }>(keys.signal(id)))!.value.personKey!;
    };

    it('kerngroep-criterium fires for the second person when only they have 2 police contacts', async () => {
      const w = await world({ facts: { interventionEffects: async () => ['onvoldoende'] } });
      // Anna first: the case's personKey is hers. Bert joins the same case (same place).
      const { caseRef } = await report(w, 'u-politie', policeAbout(ANNA, 'PL-A1'));
      const bert1 = await report(w, 'u-politie', policeAbout(BERT, 'PL-B1'));
      expect(bert1.caseRef).toBe(caseRef);
      const c = await caseByRef(w, caseRef);
      const bertKey = await personKeyOf(w, bert1.signalRef);
      expect(c.personKey).not.toBe(bertKey);
      await changeCaseLevel(w.ctx, actor(WM), c.id, 'overlast', 'Twee personen veroorzaken de overlast hier.');
      await w.run();
      const criterium = () => noticesTo(w, WM).filter((d) => ruleOf(d) === 'Criterium voor aanmelding bij de Kerngroep');
      expect(criterium()).toHaveLength(0);

      // Bert's second police contact (the signal trigger names his person): the criterion holds for him.
      w.advance(20 * DAY);
      expect((await report(w, 'u-politie', policeAbout(BERT, 'PL-B2'))).caseRef).toBe(caseRef);
      await w.run();
      expect(criterium()).toHaveLength(1);
      const text = json(criterium()[0]!);
      expect(text).toContain('2 politiecontacten binnen 6 maanden: 20-03-2026 en 09-04-2026');
      expect(text).not.toContain('Bert');
      expect(text).not.toContain('Anna');

      // Feedback (every person of the case) and the sweep check both persons again: no second notice.
      await evaluateEscalations(w.ctx, { type: 'feedback', caseId: c.id });
      await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES, facts: { interventionEffects: async () => ['onvoldoende'] } });
      await w.run();
      expect(criterium()).toHaveLength(1);
      const fired = await firings(w, c.id);
      expect(fired.filter((f) => f.rule === 'kerngroep-criterium').map((f) => f.personKey)).toEqual([bertKey]);
    });

    it('huisbezoek-criterium: a colour change of the second person reaches the chair', async () => {
      let bertKey = '';
      let rood = false;
      const w = await world({ facts: { kerngroepColour: async (_ctx, key) => (rood && key === bertKey ? 'rood' : key === bertKey ? 'oranje' : 'groen') } });
      const { caseRef } = await report(w, 'u-jongerenwerk', { subject: 'persoon', ...ANNA });
      const bert1 = await report(w, 'u-jongerenwerk', { subject: 'persoon', ...BERT });
      bertKey = await personKeyOf(w, bert1.signalRef);
      w.advance(10 * DAY);
      await report(w, 'u-jongerenwerk', { subject: 'persoon', ...BERT });
      const c = await caseByRef(w, caseRef);
      await w.run();
      expect(noticesTo(w, CHAIR)).toHaveLength(0);
      rood = true;
      // The Kerngroep names the person whose colour changed.
      await evaluateEscalations(w.ctx, { type: 'colour', caseId: c.id, personKeys: [bertKey] });
      await w.run();
      expect(noticesTo(w, CHAIR).map(ruleOf)).toEqual(['Criterium voor een huisbezoek']);
      expect(noticesTo(w, 'u-regisseur').map(ruleOf)).toEqual(['Criterium voor een huisbezoek']);
      // Without person keys (every person of the case): still once.
      await evaluateEscalations(w.ctx, { type: 'colour', caseId: c.id });
      await w.run();
      expect(noticesTo(w, CHAIR)).toHaveLength(1);
    });
  });

  it('aanmelding → the chair; groep-opgeschaald at 80 % → wijkmanager and chair', async () => {
    const w = await world({ facts: { groupRegistration: async () => ({ persons: 5, registered: 4 }) } });
    const { caseRef } = await report(w, 'u-jongerenwerk', { subject: 'groep', groupSize: '5' });
    const c = await caseByRef(w, caseRef);
    await evaluateEscalations(w.ctx, { type: 'registration', caseId: c.id, registrationId: 'reg-1', at: new Date().toISOString() });
    await evaluateEscalations(w.ctx, { type: 'registration', caseId: c.id, registrationId: 'reg-1', at: new Date().toISOString() });
    await w.run();
    expect(noticesTo(w, CHAIR).map(ruleOf).sort()).toEqual(['Aanmelding bij de Kerngroep', 'Groep (bijna) helemaal opgeschaald']);
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Groep (bijna) helemaal opgeschaald']);
  });
});

describe('level and time rules', () => {
  it('ernstig-afstemming: the chair gets the checklist once the case reaches ernstige overlast', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-jongerenwerk');
    const c = await caseByRef(w, caseRef);
    await changeCaseLevel(w.ctx, actor(WM), c.id, 'ernstig', 'Ernstige intimidatie van bewoners, direct opschalen.');
    await w.run();
    const notice = noticesTo(w, CHAIR);
    expect(notice.map(ruleOf)).toEqual(['Ernstige overlast: afstemmen']);
    expect(json(notice[0]!)).toContain('Meldpunt Zorg & Overlast');
    expect(json(notice[0]!)).toContain('Zorg- en Veiligheidshuis (ZVH)');
  });

  it('afschalen-signaal: 90 quiet days on an escalated case → its director, proposing afschalen; a new signal re-arms', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-jongerenwerk');
    const c = await caseByRef(w, caseRef);
    await changeCaseLevel(w.ctx, actor(WM), c.id, 'overlast', 'Overlast houdt aan, casusoverleg nodig.');
    await w.run();
    w.advance(89 * DAY);
    await startEscalations(w.ctx, { rules: DEFAULT_ESCALATION_RULES });
    await w.run();
    expect(noticesTo(w, WM).filter((d) => ruleOf(d) === 'Geen nieuwe meldingen: afschalen?')).toHaveLength(0);
    w.advance(2 * DAY);
    // The recurring sweep job scheduled itself; it is due now.
    await w.run();
    const proposal = noticesTo(w, WM).filter((d) => ruleOf(d) === 'Geen nieuwe meldingen: afschalen?');
    expect(proposal).toHaveLength(1);
    expect(json(proposal[0]!)).toContain('escalation.deescalate');
    // Another sweep: not again.
    w.advance(DAY);
    await w.run();
    expect(noticesTo(w, WM).filter((d) => ruleOf(d) === 'Geen nieuwe meldingen: afschalen?')).toHaveLength(1);
    // A new signal ends the quiet: the proposal is re-armed.
    await report(w, 'u-jongerenwerk');
    await w.run();
    const fired = await firings(w, c.id);
    expect(fired.map((f) => f.rule)).not.toContain('afschalen-signaal');
  });
});

describe('doorgezet: pass-on requests are delivered through the outbox', () => {
  async function passOn(w: World, caseRef: string, userId = 'u-jongerenwerk') {
    const a = actor(userId);
    const form = await openPassOnForm(w.ctx, a, { caseRef });
    if (form.outcome !== 'form') throw new Error('no pass-on form');
    const cardId = cardIdOf(form.card, 'case.pass-on');
    const done = await passOnCase(w.ctx, a, { cardId, caseRef, reason: 'Onze gesprekken met de groep helpen niet meer.' });
    expect(done.outcome).toBe('recorded');
  }

  it('notifies the wijkmanager and marks the request delivered', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-jongerenwerk');
    await passOn(w, caseRef);
    expect((await caseByRef(w, caseRef)).passOns[0]!.status).toBe('pending-delivery');
    await w.run();
    expect(noticesTo(w, WM).map(ruleOf)).toEqual(['Casus doorgezet naar de wijkmanager']);
    expect((await caseByRef(w, caseRef)).passOns[0]!.status).toBe('delivered');
    expect(await w.store.count('pass-on-pending', -Infinity, Infinity)).toBe(0);
  });

  it('a blocked wijkmanager: the request is marked failed and the partner who passed it on is told', async () => {
    const w = await world();
    const { caseRef } = await report(w, 'u-jongerenwerk');
    w.script.set(WM, [{ ok: false, reason: 'blocked', status: 403, detail: 'MessageWritesBlocked' }]);
    await passOn(w, caseRef);
    await w.run();
    expect(noticesTo(w, WM)).toHaveLength(0);
    expect((await caseByRef(w, caseRef)).passOns[0]!.status).toBe('failed');
    const told = noticesTo(w, 'u-jongerenwerk');
    expect(told).toHaveLength(1);
    expect(json(told[0]!)).toContain('Willem Wijkmanager (Gemeente Dordrecht) kon niet worden bereikt');
  });
});

describe('notice actions', () => {
  async function noticed(w: World) {
    await report(w, 'u-politie');
    const { caseRef } = await report(w, 'u-jongerenwerk');
    await w.run();
    const notice = noticesTo(w, WM)[0]!;
    return { caseRef, firingId: firingIdIn(notice) };
  }
  const feature = escalationFeature();
  const act = (w: World, userId: string, verb: string, data: unknown) => feature.actions.find((a) => a.verb === verb)!.run(w.ctx, actor(userId), data);
  const cardText = (r: Awaited<ReturnType<typeof act>>) => (r.kind === 'card' ? JSON.stringify(r.card) : r.text);

  it('dismiss needs a reason, is recorded and ends the notice; a second dismissal changes nothing', async () => {
    const w = await world();
    const { firingId } = await noticed(w);
    const empty = await act(w, WM, 'escalation.dismiss', { firingId, reasonDismiss: 'x' });
    expect(cardText(empty)).toContain('Geef een reden op van minimaal 10 tekens.');
    const ok = await act(w, WM, 'escalation.dismiss', { firingId, reasonDismiss: 'Al besproken in het leefbaarheidsoverleg.' });
    expect(cardText(ok)).toContain('Afgewezen door Willem Wijkmanager');
    expect(cardText(ok)).not.toContain('escalation.dismiss');
    const again = await act(w, WM, 'escalation.dismiss', { firingId, reasonDismiss: 'Nog een keer afwijzen graag.' });
    expect(cardText(again)).toContain('Al besproken in het leefbaarheidsoverleg.');
    const firing = (await w.store.get<FiringRecord>(escalationKeys.firing(firingId)))!.value;
    expect(firing.actions).toHaveLength(1);
    expect(firing.handled).toMatchObject({ action: 'dismiss', by: WM });
    const audit = await w.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER);
    expect(audit.some((e) => e.entry.action === 'escalation.act' && e.entry.reason === 'dismiss' && e.entry.actor === WM)).toBe(true);
  });

  it('take over direction escalates the case to overlast with the reason on its timeline', async () => {
    const w = await world();
    const { caseRef, firingId } = await noticed(w);
    const r = await act(w, WM, 'escalation.take-direction', { firingId, reasonDirection: 'Twee partners melden, ik neem de regie.' });
    expect(cardText(r)).toContain('Regie overgenomen door Willem Wijkmanager');
    const c = await caseByRef(w, caseRef);
    expect(c.level).toBe('overlast');
    expect(c.events.at(-1)).toMatchObject({ type: 'level-changed', from: 'hinder', to: 'overlast', reason: 'Twee partners melden, ik neem de regie.' });
  });

  it('plan a casusoverleg / register with the Kerngroep: recorded on the firing, then the flow wired through NoticeHooks (text without a hook); the notice stays open', async () => {
    const w = await world();
    const { firingId } = await noticed(w);
    expect(cardText(await act(w, WM, 'escalation.plan-meeting', { firingId }))).toContain('casusoverleg plannen');
    const hooked = escalationFeature({ hooks: { registerKerngroep: async (_ctx, a, c) => ({ kind: 'message', text: `flow for ${c.ref} by ${a.id}` }) } });
    const viaHook = await hooked.actions.find((x) => x.verb === 'escalation.register-kerngroep')!.run(w.ctx, actor(WM), { firingId });
    expect(cardText(viaHook)).toMatch(/^flow for C-\d{4}-\d{5} by u-wijkmanager$/);
    const firing = (await w.store.get<FiringRecord>(escalationKeys.firing(firingId)))!.value;
    expect(firing.actions.map((a) => a.action)).toEqual(['planMeeting', 'registerKerngroep']);
    expect(firing.handled).toBeUndefined();
  });

  it('refuses someone the notice was not sent to, and forged data', async () => {
    const w = await world();
    const { firingId } = await noticed(w);
    expect(cardText(await act(w, 'u-wijkmanager-2', 'escalation.dismiss', { firingId, reasonDismiss: 'Niet mijn wijk, maar toch.' }))).toBe(
      'Deze melding is niet aan jou gericht.',
    );
    expect(cardText(await act(w, 'u-politie', 'escalation.dismiss', { firingId, reasonDismiss: 'Politie wil dit afwijzen.' }))).toBe(
      'Deze melding is niet aan jou gericht.',
    );
    expect(cardText(await act(w, WM, 'escalation.dismiss', { firingId, reasonDismiss: 'Goede reden hier.', extra: 1 }))).toContain('geweigerd');
    const audit = await w.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER);
    expect(audit.filter((e) => e.entry.action === 'escalation.act' && e.entry.outcome === 'deny')).toHaveLength(2);
  });
});
