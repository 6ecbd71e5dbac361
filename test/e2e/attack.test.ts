import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { MEETING_VERBS } from '../../src/cards/meeting-cards.js';
import { SIGNAL_VERBS } from '../../src/cards/signal-cards.js';
import { buildFeatures } from '../../src/main.js';
import type { WriteOp } from '../../src/ports.js';
import { startHarness, type Harness } from '../support/bot.js';
import { BOT_ID, OTHER_TENANT, TEST_TENANT, actionExecute, message, personalConversationId, post, type TestUser, findAll } from '../support/teams.js';

/**
 * The attack suite, over the real HTTP path: malformed, oversized, forged, replayed and cross-tenant
 * input against /api/messages and every registered card verb (taken from the features the bot
 * runs, so a new verb is fuzzed without touching this file). Real ids — case references, meeting
 * ids, card ids issued to other users — are seeded first, so forged payloads are well-formed.
 * Properties: never a 5xx, the process keeps answering, no unauthorised write (every store write
 * during the attack is recorded and checked against what a refused or harmless turn may write),
 * and no personal data reaches an attacker or the chat.
 *
 * ATTACK_RUNS (default 150) sets the runs per property; the total is printed at the end.
 */

const RUNS = Number(process.env.ATTACK_RUNS ?? 150);
const u = (id: string, tenantId?: string): TestUser => ({ aadObjectId: id, ...(tenantId ? { tenantId } : {}) });

/** Owners of the seeded data. */
const politie = u('u-politie');
const woonbron = u('u-woonbron');
const wijkmanager = u('u-wijkmanager');
/** Directory users without any right on the seeded data (non-covenant, uninvolved, other district). */
const KNOWN_ATTACKERS = ['u-school', 'u-jongerenwerk', 'u-swt', 'u-wijkmanager-2'];
const OWNERS = ['u-politie', 'u-woonbron', 'u-wijkmanager'];

const PERSON_A = { personName: 'Annemiek Aanvalsdoel', personDob: '1991-01-19' };
const PERSON_B = { personName: 'Bartholomeus Buitenstaander', personDob: '1979-07-17' };
const SECRETS = ['Annemiek', 'Aanvalsdoel', '1991-01-19', '19-01-1991', 'Bartholomeus', 'Buitenstaander', '1979-07-17', '17-07-1979', 'PL-ATTACK-9911', 'Geheime-omschrijving'];

/** Every verb of every feature the bot registers. */
const VERBS = [...new Set(buildFeatures({ dataDir: '/nonexistent' }).flatMap((f) => f.actions.map((a) => a.verb)))];
/** Field names card data uses; random names are fuzzed too. */
const FIELDS = [
  'cardId', 'caseRef', 'meetingId', 'registrationId', 'noticeId', 'firingId', 'interventionId', 'personId', 'signalRef',
  'organisation', 'version', 'answer', 'reason', 'to', 'decision', 'cases', 'orgs', 'users', 'date', 'start', 'end',
  'place', 'substitute', 'colour', 'command', 'details', 'subject', 'personName', 'personDob', 'district', 'location',
];

function localDay(offsetDays: number): string {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

interface Recorded {
  phase: 'seed' | 'attack';
  op: WriteOp;
}

describe('attack suite: /api/messages under malformed, forged, replayed, oversized and cross-tenant input', () => {
  let h: Harness;
  let tried = 0;
  const statuses = new Map<number, number>();
  const recorded: Recorded[] = [];
  let phase: Recorded['phase'] = 'seed';
  /** What attackers got back (invoke bodies); chat messages are in the stub. */
  const answers: string[] = [];
  const seed = { uuids: [] as string[], refs: [] as string[], caseRefs: [] as string[], meetingIds: [] as string[] };

  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  async function send(body: unknown): Promise<number> {
    tried++;
    const res = await post(h.bot.url, body);
    count(res.status);
    answers.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? ''));
    return res.status;
  }

  async function click(user: TestUser, verb: string, data: Record<string, unknown>) {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    return res.body?.value;
  }
  async function say(user: TestUser, text: string) {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, text))).status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before);
  }
  async function report(user: TestUser, fields: Record<string, unknown>): Promise<string> {
    const [form] = await say(user, 'melding');
    const cardId = JSON.stringify(form!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const body = await click(user, SIGNAL_VERBS.submit, {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      observedDate: localDay(-1),
      observedTime: '21:00',
      severity: 'hoog',
      source: 'eigen-waarneming',
      categories: 'intimidatie',
      description: 'Geheime-omschrijving van het gedrag.',
      ...fields,
    });
    return /C-\d{4}-\d{5}/.exec(JSON.stringify(body))![0];
  }

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
    // Record every write from now on (the store object is shared by the bot and the jobs).
    const store = h.bot.ctx.store;
    const commit = store.commit.bind(store);
    store.commit = async (ops) => {
      for (const op of ops) recorded.push({ phase, op });
      return commit(ops);
    };

    // Seed: two person cases, a casusoverleg, and unused cards issued to their owners.
    const caseA = await report(politie, { subject: 'persoon', ...PERSON_A, location: 'Sumatraplein', policeContact: 'true', policeReference: 'PL-ATTACK-9911' });
    const caseB = await report(woonbron, { subject: 'persoon', ...PERSON_B, location: 'Zuidendijk 3' });
    await say(politie, 'melding'); // an unused signal form of the police user
    const passOnForm = await click(politie, SIGNAL_VERBS.passOnForm, { caseRef: caseA }); // an unused pass-on card
    const [plan] = await say(wijkmanager, `overleg plannen ${caseA}`);
    const planCardId = findAll(plan!.activity, (n) => n.verb === MEETING_VERBS.plan)[0].data.cardId;
    const overview = await click(wijkmanager, MEETING_VERBS.plan, { cardId: planCardId, cases: caseA, date: localDay(14), start: '10:00', end: '11:00', place: 'Stadskantoor', orgs: 'politie' });
    await say(wijkmanager, `overleg plannen ${caseB}`); // an unused planning card
    await h.bot.runDueJobs();

    // Harvest every id the bot handed out: in chats and in the seeding's invoke answers.
    const everything = JSON.stringify(h.stub.posted) + JSON.stringify(overview) + JSON.stringify(passOnForm);
    seed.uuids = [...new Set(everything.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])];
    seed.refs = [...new Set(everything.match(/\b[A-Z]{1,3}-\d{4}-\d{5}\b/g) ?? [])];
    seed.caseRefs = [caseA, caseB];
    seed.meetingIds = [...new Set(findAll(overview, (n) => n.verb === MEETING_VERBS.overview).map((n) => String(n.data.meetingId)))];
    expect(seed.uuids.length).toBeGreaterThan(3);
    expect(seed.meetingIds).toHaveLength(1);
    h.stub.clear();
    phase = 'attack';
  });

  afterAll(async () => {
    const by = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`attack suite: ${tried} cases tried (${VERBS.length} registered verbs fuzzed, ${seed.uuids.length + seed.refs.length} seeded ids; statuses ${by})`);
    await h?.close();
  });

  it('fuzzes every registered verb', () => {
    // Sanity: the list comes from the features and includes the verbs of every capability.
    for (const verb of [SIGNAL_VERBS.submit, SIGNAL_VERBS.passOn, SIGNAL_VERBS.caseDetails, MEETING_VERBS.plan, MEETING_VERBS.rsvp]) expect(VERBS).toContain(verb);
    expect(VERBS.length).toBeGreaterThan(20);
  });

  it('answers arbitrary JSON bodies without a server error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        tried++;
        const res = await fetch(`${h.bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.text();
        count(res.status);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses bodies over the limit with 413 and keeps running; oversized fields get a 4xx or a refusal', async () => {
    const limit = h.config.maxBodyBytes;
    for (const size of [limit + 1, limit * 2, limit * 8]) {
      tried++;
      const res = await fetch(`${h.bot.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...message(politie, h.stub.url, 'help'), padding: 'x'.repeat(size) }),
      });
      await res.text();
      count(res.status);
      expect(res.status).toBe(413);
    }
    // Oversized fields inside the limit: text, names, ids, card data.
    const big = (n: number) => 'Ü'.repeat(n);
    const cases: unknown[] = [
      message(politie, h.stub.url, big(100_001)),
      { ...message(politie, h.stub.url, 'help'), from: { id: big(2000), aadObjectId: big(200) } },
      { ...message(politie, h.stub.url, 'help'), conversation: { id: big(5000), conversationType: 'personal' } },
      { ...message(politie, h.stub.url, 'help'), channelData: { tenant: { id: big(500) } } },
      actionExecute(u('u-school'), h.stub.url, SIGNAL_VERBS.submit, { cardId: big(40_000), description: big(60_000) }),
      actionExecute(u('u-school'), h.stub.url, big(300), {}),
      actionExecute(u('u-jongerenwerk'), h.stub.url, SIGNAL_VERBS.caseDetails, { caseRef: big(50_000) }),
      { ...actionExecute(u('u-jongerenwerk'), h.stub.url, MEETING_VERBS.rsvp, {}), value: { action: { type: 'Action.Execute', verb: MEETING_VERBS.rsvp, data: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i])) } } },
    ];
    for (const body of cases) expect(await send(body)).toBeLessThan(500);
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
  });

  it('forged, replayed and cross-tenant activities and card actions: no 5xx, no unauthorised write, nothing personal sent', async () => {
    const bigString = fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'A'.repeat(n));
    const idValue = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...seed.uuids) },
      { weight: 4, arbitrary: fc.constantFrom(...seed.refs, ...seed.caseRefs) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: bigString },
      { weight: 1, arbitrary: fc.constantFrom(null, 0, -1, true, [], {}, 'C-2026-99999', '../../etc/passwd', '<at>x</at>', '[x](https://evil.example)') },
    );
    const data = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), idValue, { maxKeys: 6 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    /** Who sends it: directory users without rights, owners in shared conversations / other tenant / without object id, strangers. */
    const sender = fc.oneof(
      fc.record({ aad: fc.constantFrom(...KNOWN_ATTACKERS), tenant: fc.constant(TEST_TENANT), conversationType: fc.constantFrom('personal', 'groupChat', 'channel', undefined) }),
      fc.record({ aad: fc.constantFrom(...OWNERS), tenant: fc.constant(TEST_TENANT), conversationType: fc.constantFrom('groupChat', 'channel', undefined, 'bogus') }),
      fc.record({ aad: fc.constantFrom(...OWNERS, ...KNOWN_ATTACKERS), tenant: fc.constantFrom(OTHER_TENANT, '', undefined), conversationType: fc.constantFrom('personal', 'groupChat') }),
      fc.record({ aad: fc.constantFrom(undefined, 'u-intruder', ''), tenant: fc.constantFrom(TEST_TENANT, OTHER_TENANT), conversationType: fc.constantFrom('personal', 'channel') }),
    );
    const text = fc.oneof(
      fc.constantFrom('help', 'melding', 'mijn meldingen', 'audit', 'overleg plannen', 'terugkoppeling', 'kerngroep', '<at>Overlastbot</at> help'),
      fc.constantFrom(...seed.caseRefs).chain((ref) => fc.constantFrom(`casus ${ref}`, `overleg plannen ${ref}`, `kerngroep aanmelden ${ref}`, `casus afsluiten ${ref}`)),
      fc.string({ maxLength: 200 }),
    );
    const activity = fc.record({
      sender,
      kind: fc.constantFrom('execute', 'execute', 'execute', 'message', 'submit', 'invoke-other', 'conversationUpdate', 'installationUpdate'),
      verb: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...VERBS) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
      data,
      text,
      replyToId: fc.oneof(fc.constantFrom(...seed.uuids), fc.string({ maxLength: 20 })),
    });

    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        const { aad, tenant, conversationType } = a.sender;
        const from: Record<string, unknown> = { id: `29:${aad ?? 'anon'}` };
        if (aad !== undefined) from.aadObjectId = aad;
        const body: Record<string, unknown> = {
          id: `attack-${tried}`,
          channelId: 'msteams',
          serviceUrl: h.stub.url,
          from,
          recipient: { id: BOT_ID },
          conversation: { id: `a:attack-${aad ?? 'anon'}-${conversationType ?? 'none'}`, ...(conversationType ? { conversationType } : {}), ...(tenant ? { tenantId: tenant } : {}) },
          ...(tenant !== undefined ? { channelData: { tenant: { id: tenant } } } : {}),
          replyToId: a.replyToId,
        };
        if (a.kind === 'execute') Object.assign(body, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: a.verb, data: a.data }, trigger: 'manual' } });
        else if (a.kind === 'message') Object.assign(body, { type: 'message', text: a.text });
        else if (a.kind === 'submit') Object.assign(body, { type: 'message', value: a.data });
        else if (a.kind === 'invoke-other') Object.assign(body, { type: 'invoke', name: 'task/fetch', value: a.data });
        else if (a.kind === 'conversationUpdate') Object.assign(body, { type: 'conversationUpdate', membersAdded: [{ id: BOT_ID }] });
        else Object.assign(body, { type: 'installationUpdate', action: 'add' });
        expect(await send(body)).toBeLessThan(500);
      }),
      { numRuns: RUNS * 3 },
    );

    // Replays: each issued card id, verbatim, under every registered verb, by a user without rights.
    for (const cardId of seed.uuids) {
      for (const verb of VERBS) {
        const status = await send(actionExecute(u('u-jongerenwerk'), h.stub.url, verb, { cardId, meetingId: cardId, caseRef: seed.caseRefs[0], reason: 'replay', answer: 'aanwezig' }));
        expect(status).toBeLessThan(500);
      }
    }

    // 0 5xx, and the process still answers.
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);

    // 0 unauthorised writes: during the attack the store only got audit entries, the attackers'
    // own conversation references and cards issued to the attackers themselves — never a
    // write to anything that existed before, never an entity, index or other log.
    const seededKeys = new Set(recorded.filter((r) => r.phase === 'seed' && 'key' in r.op).map((r) => (r.op as { key: string }).key));
    const attack = recorded.filter((r) => r.phase === 'attack').map((r) => r.op);
    const unauthorised = attack.filter((op) => {
      if (op.op === 'append') return op.log !== AUDIT_LOG;
      if (op.op !== 'put' && op.op !== 'delete') return true; // index writes
      if (op.key.startsWith('conv:')) return !KNOWN_ATTACKERS.includes(op.key.slice('conv:'.length));
      if (/^[a-z-]*form:/.test(op.key)) {
        const owner = (op as { value?: { userId?: unknown } }).value?.userId;
        return seededKeys.has(op.key) || op.op === 'delete' || !KNOWN_ATTACKERS.includes(String(owner));
      }
      return true;
    });
    expect(unauthorised.map((op) => ('key' in op ? `${op.op} ${op.key}` : JSON.stringify(op).slice(0, 120)))).toEqual([]);
    // The refusals were audited.
    expect(attack.filter((op) => op.op === 'append').length).toBeGreaterThan(RUNS);

    // Nothing personal reached an attacker (invoke answers) or any chat (posted to the stub).
    const sent = answers.join('\n') + JSON.stringify(h.stub.posted);
    for (const secret of SECRETS) expect(sent, secret).not.toContain(secret);
    // Nothing at all was posted into a group chat or channel except the refusal.
    const shared = h.stub.posted.filter((p) => /groupChat|channel|none|bogus/.test(p.conversationId));
    for (const p of shared) expect(JSON.stringify(p.activity)).not.toMatch(/"type":"AdaptiveCard"/);
  });

  it('refuses replies to a non-loopback serviceUrl when authentication is off', async () => {
    const res = await post(h.bot.url, {
      type: 'message',
      text: 'help',
      channelId: 'msteams',
      serviceUrl: 'https://attacker.example',
      from: { id: '29:u-politie', aadObjectId: 'u-politie' },
      recipient: { id: BOT_ID },
      conversation: { id: 'a:x', conversationType: 'personal' },
      channelData: { tenant: { id: TEST_TENANT } },
    });
    tried++;
    expect(res.status).toBe(403);
  });
});
