import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { kerngroepFacts, kerngroepFeature, kerngroepIndexes, kerngroepKeys, type KgMeeting } from '../../src/app/kerngroep.js';
import type { Notice, Outbox } from '../../src/app/outbox.js';
import type { CardActionResult } from '../../src/app/routes.js';
import { KERNGROEP_VERBS } from '../../src/cards/kerngroep-cards.js';
import { actorFromDirectory } from '../../src/domain/actor.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Registration } from '../../src/domain/kerngroep.js';
import { indexes, keys } from '../../src/app/signals.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';

/**
 * Kerngroep use cases against the real store and jobs, with a recording outbox: colour changes send
 * the new questions and withdraw the obsolete ones, Meldpunt answers only ja/nee, the BSN is dropped
 * when a person becomes groen, the escalation facts (colour per person) follow the agenda.
 */

const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie, kind: politie, covenant: true }
  - { id: woonbron, name: Woonbron, kind: woningcorporatie, covenant: true }
  - { id: swt, name: Sociaal Wijkteam, kind: sociaal-wijkteam, covenant: true }
  - { id: mzo, name: Meldpunt Zorg en Overlast, kind: meldpunt-zorg-overlast, covenant: true }
  - { id: gemeente, name: Gemeente, kind: gemeente, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wm] }
users:
  - { id: u-pol, name: P, organisation: politie, roles: [partner] }
  - { id: u-wb, name: W, organisation: woonbron, roles: [partner] }
  - { id: u-swt, name: S, organisation: swt, roles: [partner] }
  - { id: u-mzo, name: M, organisation: mzo, roles: [partner] }
  - { id: u-wm, name: WM, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-vz, name: VZ, organisation: gemeente, roles: [voorzitter] }
`);
const clock = manualClock(new Date('2026-04-01T08:00:00Z'));
const sent: Notice[] = [];
const outbox: Outbox = { send: async (n) => (sent.push(n), { queued: true }), cancel: async () => true, status: async () => undefined };
const actor = (id: string) => actorFromDirectory(directory, id)!;
const verb = (v: string) => kerngroepFeature.actions.find((a) => a.verb === v)!;
const text = (r: CardActionResult) => (r.kind === 'message' ? r.text : JSON.stringify(r.card));

describe('Kerngroep use cases', () => {
  let h: Harness;
  let ctx: AppContext;
  let meetingId = '';
  const personId = randomUUID();
  const caseId = randomUUID();

  /** A registration by the wijkmanager (criterion b) of one person, by default awaiting the chair's decision. */
  async function storeRegistration(
    caseRef: string,
    personKey: string,
    name: string,
    score: number,
    more: { caseId?: string; personId?: string; dateOfBirth?: string; status?: Registration['status'] } = {},
  ): Promise<string> {
    const id = randomUUID();
    const reg: Registration = {
      id,
      caseId: more.caseId ?? randomUUID(),
      caseRef,
      district: 'crabbehof',
      by: { userId: 'u-wm', organisation: 'gemeente' },
      at: clock.now().toISOString(),
      reason: 'b',
      justification: 'Acute ernstige overlast.',
      policeContactDates: [],
      interventions: 0,
      group: false,
      persons: [{ personId: more.personId ?? randomUUID(), personKey, name, dateOfBirth: more.dateOfBirth ?? '2006-01-01' }],
      status: more.status ?? 'aangemeld',
    };
    await ctx.store.commit([
      { op: 'put', key: kerngroepKeys.registration(id), value: reg },
      { op: 'index', index: kerngroepIndexes.registrations, member: id, score },
    ]);
    return id;
  }

  beforeAll(async () => {
    // Configured: answers due 3 working days before the meeting, reminders 5 and 2 days before.
    h = await startHarness({ KERNGROEP_DEADLINE_WORKING_DAYS: '3', KERNGROEP_REMINDER_DAYS: '5,2' }, { clock, directory });
    ctx = { ...h.bot.ctx, outbox };
    await storeRegistration('C-2026-00077', 'pk-1', 'Test Persoon', 1, { caseId, personId, dateOfBirth: '2007-01-01', status: 'geaccepteerd' });
  });
  afterAll(async () => h?.close());

  const load = async () => (await ctx.store.get<KgMeeting>(kerngroepKeys.meeting(meetingId)))!.value;

  it('plans with the first shell, adds Meldpunt, sets the agenda: only organisations with questions get a card', async () => {
    const planned = await verb(KERNGROEP_VERBS.plan).run(ctx, actor('u-vz'), { date: '2026-04-16', start: '10:00', place: 'Stadskantoor', orgs: 'mzo' });
    meetingId = /"meetingId":"([0-9a-f-]{36})"/.exec(text(planned))![1]!;
    expect((await load()).organisations).toEqual(['politie', 'woonbron', 'swt', 'mzo']);
    // Planning summons each invited organisation's contact once, without person data (the agenda comes later).
    expect(sent.map((n) => n.recipient)).toEqual(['u-pol', 'u-wb', 'u-swt', 'u-mzo']);
    for (const n of sent) expect(JSON.stringify(n.message)).not.toMatch(/Test Persoon|2007-01-01/);
    sent.length = 0;
    const res = await verb(KERNGROEP_VERBS.agenda).run(ctx, actor('u-vz'), { meetingId, [`colour_${personId}`]: 'groen' });
    expect(text(res)).toContain('Agenda vastgesteld: 1 personen');
    // groen: only the Sociaal Wijkteam is asked (active guidance).
    expect(sent.map((n) => n.recipient)).toEqual(['u-swt']);
    expect(await kerngroepFacts.kerngroepColour(ctx, 'pk-1')).toBe('groen');
  });

  it('the deadline and the reminders follow the configuration (KERNGROEP_DEADLINE_WORKING_DAYS, KERNGROEP_REMINDER_DAYS)', async () => {
    // Thursday 16 April 10:00 CEST: three working days before is Monday 13 April 10:00.
    expect((await load()).deadline).toBe('2026-04-13T08:00:00.000Z');
    const job = async (slot: string) => (await ctx.store.get<{ runAt: number }>(`job:kg-reminder:${meetingId}:${slot}`))?.value.runAt;
    expect(await job('t-5')).toBe(Date.parse('2026-04-11T08:00:00.000Z'));
    expect(await job('t-2')).toBe(Date.parse('2026-04-14T08:00:00.000Z'));
    expect(await job('t-3')).toBeUndefined();
    expect(await job('t-1')).toBeUndefined();
    // The partner's card says the configured deadline.
    expect(JSON.stringify(sent[0]!.message)).toContain('Antwoord graag vóór 2026-04-13 10:00');
  });

  it('a colour change sends the new questions to the organisations concerned and withdraws obsolete ones', async () => {
    sent.length = 0;
    expect(text(await verb(KERNGROEP_VERBS.colour).run(ctx, actor('u-vz'), { meetingId, personId, colour: 'paars' }))).toContain('Kies een kleur');
    expect(text(await verb(KERNGROEP_VERBS.colour).run(ctx, actor('u-pol'), { meetingId, personId, colour: 'rood' }))).toContain('Dat mag je niet');
    await verb(KERNGROEP_VERBS.colour).run(ctx, actor('u-vz'), { meetingId, personId, [`colour_${personId}`]: 'rood', [`bsn_${personId}`]: '123456782', [`address_${personId}`]: 'Straat 1', [`city_${personId}`]: 'Dordrecht' });
    let m = await load();
    expect(m.questions.map((q) => `${q.organisation}:${q.key}`).sort()).toEqual(
      ['mzo:meldpunt', 'politie:gezin', 'politie:risicosignalen', 'swt:begeleiding', 'swt:gezin', 'woonbron:bijzonderheden', 'woonbron:huurachterstand', 'woonbron:overlastsignalen'].sort(),
    );
    expect(m.persons[0]).toMatchObject({ colour: 'rood', bsn: '123456782' });
    expect(sent.map((n) => n.recipient).sort()).toEqual(['u-mzo', 'u-pol', 'u-swt', 'u-wb']);
    for (const n of sent) expect(JSON.stringify(n.message)).not.toMatch(/123456782|Straat 1|Test Persoon/);
    expect(await kerngroepFacts.kerngroepColour(ctx, 'pk-1')).toBe('rood');

    // Meldpunt answers only whether the person is known.
    const q = `${personId}:mzo:meldpunt`;
    expect(text(await verb(KERNGROEP_VERBS.answer).run(ctx, actor('u-mzo'), { meetingId, [`q_${q}`]: 'onbekend' }))).toContain('Ongeldig antwoord');
    expect(text(await verb(KERNGROEP_VERBS.answer).run(ctx, actor('u-mzo'), { meetingId, [`q_${q}`]: 'ja' }))).toContain('1 antwoord opgeslagen');
    expect(text(await verb(KERNGROEP_VERBS.answer).run(ctx, actor('u-wb'), { meetingId, [`q_${personId}:woonbron:huurachterstand`]: 'ja' }))).toContain('1 antwoord');

    // Back to groen: woonbron's, police's and Meldpunt's questions are withdrawn with their answers; the BSN is dropped.
    sent.length = 0;
    await verb(KERNGROEP_VERBS.colour).run(ctx, actor('u-vz'), { meetingId, personId, colour: 'groen' });
    m = await load();
    expect(m.questions.map((q) => `${q.organisation}:${q.key}`)).toEqual(['swt:begeleiding']);
    expect(m.answers).toEqual({});
    expect(m.persons[0]).not.toHaveProperty('bsn');
    expect(m.persons[0]).not.toHaveProperty('address');
    expect(sent.map((n) => n.recipient).sort()).toEqual(['u-mzo', 'u-pol', 'u-swt', 'u-wb']);
    expect(text(await verb(KERNGROEP_VERBS.answer).run(ctx, actor('u-wb'), { meetingId, [`q_${personId}:woonbron:huurachterstand`]: 'ja' }))).toContain('niet aan jouw organisatie');
    const logs = h.logs.join('');
    expect(logs).not.toContain('123456782');
  });

  it('the chair returns a registration to the wijkmanager with advice; both the decision and the reason are recorded', async () => {
    const id = await storeRegistration('C-2026-00078', 'pk-2', 'Ander Persoon', 2);
    sent.length = 0;
    expect(text(await verb(KERNGROEP_VERBS.decide).run(ctx, actor('u-vz'), { registrationId: id, decision: 'return', [`reason_${id}`]: 'x', evil: 'y' }))).toContain('niet (meer) geldig');
    const res = await verb(KERNGROEP_VERBS.decide).run(ctx, actor('u-vz'), { registrationId: id, decision: 'return', [`reason_${id}`]: 'Eerst een casusoverleg met de school.' });
    expect(text(res)).toContain('teruggegeven');
    const stored = (await ctx.store.get<Registration>(kerngroepKeys.registration(id)))!.value;
    expect(stored).toMatchObject({ status: 'teruggegeven', decision: { kind: 'return', by: { userId: 'u-vz' }, reason: 'Eerst een casusoverleg met de school.' } });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ recipient: 'u-wm' });
    expect(JSON.stringify(sent[0]!.message)).toContain('kansen in het voortraject. Advies: Eerst een casusoverleg met de school.');
  });

  it("the chair's advice and other typed text are escaped: no markdown links or mentions in what the bot sends", async () => {
    const id = await storeRegistration('C-2026-00079', 'pk-3', 'Derde Persoon', 3);
    sent.length = 0;
    const hostile = 'Bel [de helpdesk](https://evil.example/login) <at>Iedereen</at> **nu**';
    await verb(KERNGROEP_VERBS.decide).run(ctx, actor('u-vz'), { registrationId: id, decision: 'return', [`reason_${id}`]: hostile });
    const notice = (sent[0]!.message as { text: string }).text;
    expect(notice).toContain('Advies: Bel \\[de helpdesk\\]\\(https://evil.example/login\\) &lt;at\\>Iedereen&lt;/at\\> \\*\\*nu\\*\\*');
    expect(notice).not.toContain('[de helpdesk](');
    expect(notice).not.toContain('<at>');
    // The stored advice is what the chair typed; only its display is escaped.
    expect((await ctx.store.get<Registration>(kerngroepKeys.registration(id)))!.value.decision!.reason).toBe(hostile);

    // An unknown organisation id typed in the plan form is echoed escaped.
    const planned = await verb(KERNGROEP_VERBS.plan).run(ctx, actor('u-vz'), { date: '2026-05-20', start: '10:00', orgs: '[klik](https://evil.example)' });
    expect(text(planned)).toBe('Organisatie "\\[klik\\]\\(https://evil.example\\)" staat niet in het adresboek.');
    // A case reference typed after "kerngroep aanmelden" is echoed escaped.
    const [reply] = await kerngroepFeature.commands[0]!.run(ctx, actor('u-wm'), 'kerngroep aanmelden [x](https://evil.example)');
    expect(reply).toEqual({ kind: 'text', text: 'Casus \\[X\\]\\(HTTPS://EVIL.EXAMPLE\\) bestaat niet of je hebt er geen toegang toe.' });
  });

  it('a registration the chair returned does not count as registered for groep-opgeschaald', async () => {
    const groupCase = randomUUID();
    const ops = [
      { op: 'put' as const, key: keys.case(groupCase), value: { id: groupCase, ref: 'C-2026-00080', subject: 'groep', district: 'crabbehof' } },
      ...['g-1', 'g-2'].flatMap((pk, n) => [
        { op: 'put' as const, key: keys.signal(`s-${pk}`), value: { id: `s-${pk}`, personKey: pk } },
        { op: 'index' as const, index: indexes.caseSignals(groupCase), member: `s-${pk}`, score: n },
      ]),
    ];
    await ctx.store.commit(ops);
    const registration = (status: Registration['status'], keysOf: string[]): Registration => ({
      id: randomUUID(),
      caseId: groupCase,
      caseRef: 'C-2026-00080',
      district: 'crabbehof',
      by: { userId: 'u-wm', organisation: 'gemeente' },
      at: clock.now().toISOString(),
      reason: 'b',
      policeContactDates: [],
      interventions: 0,
      group: keysOf.length === 2,
      persons: keysOf.map((pk) => ({ personId: randomUUID(), personKey: pk, name: 'Groepslid', dateOfBirth: '2008-01-01' })),
      status,
    });
    const add = async (g: Registration) =>
      ctx.store.commit([
        { op: 'put', key: kerngroepKeys.registration(g.id), value: g },
        { op: 'index', index: kerngroepIndexes.caseRegistrations(groupCase), member: g.id, score: 1 },
      ]);
    // The whole group was registered, and returned to the wijkmanager: nobody counts as registered.
    await add(registration('teruggegeven', ['g-1', 'g-2']));
    expect(await kerngroepFacts.groupRegistration(ctx, groupCase)).toEqual({ persons: 2, registered: 0 });
    // One member registered again (pending the chair's decision): one of two.
    await add(registration('aangemeld', ['g-1']));
    expect(await kerngroepFacts.groupRegistration(ctx, groupCase)).toEqual({ persons: 2, registered: 1 });
  });
});
