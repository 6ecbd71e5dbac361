import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { KERNGROEP_VERBS } from '../../src/cards/kerngroep-cards.js';
import { parseDirectory } from '../../src/domain/directory.js';
import { startHarness, type Harness } from '../support/bot.js';
import { nl } from '../../src/i18n/nl.js';
import { TEST_TENANT, actionExecute, findAll, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * One scenario per need-to-know rule, through the real HTTP path: every forbidden read is refused,
 * audited, and the personal data appears nowhere in what the bot sent — not in chat messages posted
 * to the connector, not in invoke responses, not in the logs.
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const politie = u('u-politie');
const handhaving = u('u-handhaving');
const jongerenwerk = u('u-jongerenwerk');
const woonbron = u('u-woonbron');
const school = u('u-school');
const wijkmanager = u('u-wijkmanager');
const otherWijkmanager = u('u-wijkmanager-2');
const voorzitter = u('u-voorzitter');
const beheerder = u('u-beheerder');

const POLICE_PERSON = { personName: 'Pieter Politiegeval', personDob: '2006-06-06' };
const PARTNER_PERSON = { personName: 'Hanna Huurder', personDob: '1990-09-09' };

function today(offsetMinutes = -30) {
  const d = new Date(Date.now() + offsetMinutes * 60_000);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return { observedDate: `${p.year}-${p.month}-${p.day}`, observedTime: `${p.hour}:${p.minute}` };
}

describe('need-to-know scenarios over real HTTP', () => {
  let h: Harness;
  /** Everything any user received, as text, to search for leaks. */
  const received = new Map<string, string[]>();
  const record = (user: TestUser, what: unknown) => {
    const list = received.get(user.aadObjectId) ?? [];
    list.push(JSON.stringify(what));
    received.set(user.aadObjectId, list);
  };

  async function say(user: TestUser, text: string) {
    const before = h.stub.to(personalConversationId(user)).length;
    const res = await post(h.bot.url, message(user, h.stub.url, text));
    expect(res.status).toBe(200);
    const posted = h.stub.to(personalConversationId(user)).slice(before);
    posted.forEach((p) => record(user, p.activity));
    return posted.map((p) => visibleText(p.activity)).join('\n');
  }

  async function click(user: TestUser, verb: string, data: Record<string, unknown>) {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    record(user, res.body);
    return res.body;
  }

  async function report(user: TestUser, fields: Record<string, unknown>): Promise<string> {
    await say(user, 'melding');
    const card = h.stub.to(personalConversationId(user)).at(-1)!.activity.attachments![0]!.content;
    const cardId = JSON.stringify(card).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const body = await click(user, 'signal.submit', {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      ...today(),
      categories: 'intimidatie',
      severity: 'hoog',
      subject: 'locatie',
      source: 'eigen-waarneming',
      description: `Intimiderend gedrag richting buurtbewoners (gemeld door ${user.aadObjectId}).`,
      ...fields,
    });
    const ref = /C-\d{4}-\d{5}/.exec(JSON.stringify(body))?.[0];
    expect(ref, JSON.stringify(body).slice(0, 400)).toBeTruthy();
    return ref!;
  }

  async function lastAudit(actor: string) {
    const entries = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000);
    return entries.filter((e) => e.entry.actor === actor).at(-1)?.entry;
  }
  async function audits(actor: string) {
    return (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000)).map((e) => e.entry).filter((e) => e.actor === actor);
  }

  let policeCase: string;
  let partnerCase: string;

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
    policeCase = await report(politie, {
      subject: 'persoon',
      ...POLICE_PERSON,
      policeContact: 'true',
      policeReference: 'PL-2026-777',
      location: 'Jacob Marisstraat',
    });
    // Handhaving reports on the same person: involved in the case, yet police data stays WPG.
    await report(handhaving, { subject: 'persoon', ...POLICE_PERSON, location: 'Jacob Marisstraat' });
    partnerCase = await report(woonbron, { subject: 'persoon', ...PARTNER_PERSON, location: 'Zuidendijk 12' });
  });
  afterAll(async () => h?.close());

  it('an uninvolved partner cannot open a case: refusal, audited as deny', async () => {
    const text = await say(jongerenwerk, `casus ${partnerCase}`);
    expect(text).toContain(`Je hebt geen toegang tot casus ${partnerCase}`);
    expect(await lastAudit('u-jongerenwerk')).toMatchObject({ outcome: 'deny', reason: 'not-involved' });
    const details = await click(jongerenwerk, 'case.details', { caseRef: partnerCase });
    expect(JSON.stringify(details)).not.toContain('Hanna');
  });

  it('a wijkmanager of another district cannot open the case', async () => {
    const text = await say(otherWijkmanager, `casus ${partnerCase}`);
    expect(text).toContain('geen toegang');
    expect(await lastAudit('u-wijkmanager-2')).toMatchObject({ outcome: 'deny' });
  });

  it('the beheerder administers, but does not read cases', async () => {
    const text = await say(beheerder, `casus ${policeCase}`);
    expect(text).toContain('geen toegang');
    expect(await lastAudit('u-beheerder')).toMatchObject({ outcome: 'deny' });
  });

  it('police data about a person reaches the municipality only (WPG), even for an involved partner', async () => {
    const base = await say(handhaving, `casus ${policeCase}`);
    expect(base).toContain(`Casus ${policeCase}`);
    await click(handhaving, 'case.details', { caseRef: policeCase });
    const all = (received.get('u-handhaving') ?? []).join('\n');
    expect(all).not.toContain('PL-2026-777');
    expect(all).not.toContain('gemeld door u-politie');
    // The withheld police data is audited as a refusal (redact) of person-data.read on the case.
    expect(await audits('u-handhaving')).toContainEqual(expect.objectContaining({ action: 'person-data.read', resource: `case:${policeCase}`, outcome: 'redact' }));
  });

  it('at hinder level nobody but the reporting organisation sees the person, not even the municipality (§2)', async () => {
    for (const viewer of [wijkmanager, voorzitter]) {
      const view = await click(viewer, 'case.details', { caseRef: policeCase });
      expect(JSON.stringify(view)).not.toContain('Pieter');
      expect(JSON.stringify(view)).not.toContain('PL-2026-777');
      expect(await lastAudit(viewer.aadObjectId)).toMatchObject({ action: 'person-data.read', resource: `case:${policeCase}`, outcome: 'redact' });
    }
    // The police see what they reported themselves.
    expect(JSON.stringify(await click(politie, 'case.details', { caseRef: policeCase }))).toContain('Pieter Politiegeval');
  });

  it("from overlast on, the district's wijkmanager and the chair see the person, only in their user-specific view, and it is audited", async () => {
    const raised = await click(wijkmanager, 'case.change-level', { caseRef: policeCase, to: 'overlast', reason: 'Meerdere partners melden overlast.' });
    expect(JSON.stringify(raised)).toContain('Overlast');
    for (const viewer of [wijkmanager, voorzitter]) {
      const base = await say(viewer, `casus ${policeCase}`);
      expect(base).not.toContain('Pieter');
      const view = await click(viewer, 'case.details', { caseRef: policeCase });
      expect(JSON.stringify(view)).toContain('Pieter Politiegeval');
      expect(await lastAudit(viewer.aadObjectId)).toMatchObject({ outcome: 'allow' });
    }
  });

  it('a non-covenant party never gets personal data, even about a case it reported on', async () => {
    const schoolCase = await report(school, { location: 'Jacob Marisstraat', subject: 'persoon', ...POLICE_PERSON });
    expect(schoolCase).toBe(policeCase);
    await say(school, `casus ${policeCase}`);
    await click(school, 'case.details', { caseRef: policeCase });
    const seen = (received.get('u-school') ?? []).slice(2).join('\n');
    expect(seen).not.toContain('PL-2026-777');
    // Not even the name the school itself typed comes back in a case view.
    expect(seen).not.toContain('Pieter');
    // The refusal is audited: person data withheld (redact) on the case.
    expect(await lastAudit('u-school')).toMatchObject({ action: 'person-data.read', resource: `case:${policeCase}`, outcome: 'redact' });
  });

  it('a group chat: the bot refuses and points to the personal chat, audited, nothing personal posted there', async () => {
    const conversation = { id: '19:policy-group@thread.v2', conversationType: 'groupChat', tenantId: TEST_TENANT };
    const before = (await audits('u-politie')).length;
    expect((await post(h.bot.url, { ...message(politie, h.stub.url, `casus ${policeCase}`), conversation })).status).toBe(200);
    const click = await post(h.bot.url, { ...actionExecute(politie, h.stub.url, 'case.details', { caseRef: policeCase }), conversation });
    expect(click.body?.value).toBe(nl.identity.personalChatOnly);
    const posted = h.stub.to(conversation.id);
    expect(posted.map((p) => p.activity.text)).toEqual([nl.identity.personalChatOnly]);
    const everything = JSON.stringify(posted) + JSON.stringify(click.body);
    for (const secret of ['Pieter', '2006-06-06', '06-06-2006', 'PL-2026-777', 'Intimiderend', policeCase]) expect(everything).not.toContain(secret);
    const audited = (await audits('u-politie')).slice(before);
    expect(audited).toEqual([
      { actor: 'u-politie', action: 'bot.use', resource: 'conversation:group', outcome: 'deny', reason: 'personal-chat-only' },
      { actor: 'u-politie', action: 'bot.use', resource: 'conversation:group', outcome: 'deny', reason: 'personal-chat-only' },
    ]);
  });

  it('no base card in any chat, and no log line, carries a name or date of birth', async () => {
    for (const p of h.stub.posted) {
      const text = JSON.stringify(p.activity);
      for (const secret of ['Pieter', 'Hanna', '2006-06-06', '1990-09-09', '06-06-2006', '09-09-1990']) {
        expect(text, `posted to ${p.conversationId}`).not.toContain(secret);
      }
    }
    const logs = h.logs.join('');
    for (const secret of ['Pieter', 'Hanna', '2006-06-06', '1990-09-09', 'Intimiderend', 'PL-2026-777']) expect(logs).not.toContain(secret);
    // User-specific views were answered to their viewer only, never written into the chat (no updates).
    expect(h.stub.posted.filter((p) => p.method === 'PUT')).toEqual([]);
  });
});

/**
 * The Kerngroep's need-to-know rules (§5–6) through the real HTTP path. The state — a registration
 * the chair accepted, a Kerngroep meeting with one person on the agenda (rood) and the inquiry sent
 * — is created with the app's own use cases over HTTP, as the users would.
 */
const KG_DIRECTORY = `
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true }
  - { id: meldpunt, name: Meldpunt Zorg en Overlast, kind: meldpunt-zorg-overlast, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wijkmanager], hotspots: [Sumatraplein] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-woonbron, name: Wendy Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-meldpunt, name: Mila Meldpunt, organisation: meldpunt, roles: [partner] }
  - { id: u-wijkmanager, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-voorzitter, name: Vera Voorzitter, organisation: gemeente, roles: [voorzitter] }
`;

describe('Kerngroep need-to-know scenarios over real HTTP', () => {
  let h: Harness;
  let caseRef = '';
  let meetingId = '';
  let personId = '';
  const KG_PERSON = { personName: 'Kasper Kerngroepdossier', personDob: '2004-04-04' };
  const BSN = '111222333';
  const SECRETS = ['Kasper', 'Kerngroepdossier', '2004-04-04', '04-04-2004', BSN, 'Kerkstraat 9'];
  const kgPolitie = u('u-politie');
  const kgWoonbron = u('u-woonbron');
  const kgMeldpunt = u('u-meldpunt');
  const kgWijkmanager = u('u-wijkmanager');
  const kgChair = u('u-voorzitter');

  type Node = Record<string, any>;
  const findAll = (node: unknown, pred: (n: Node) => boolean, out: Node[] = []): Node[] => {
    if (!node || typeof node !== 'object') return out;
    if (Array.isArray(node)) {
      node.forEach((n) => findAll(n, pred, out));
      return out;
    }
    if (pred(node as Node)) out.push(node as Node);
    Object.values(node as Node).forEach((v) => findAll(v, pred, out));
    return out;
  };
  async function say(user: TestUser, text: string) {
    const before = h.stub.to(personalConversationId(user)).length;
    expect((await post(h.bot.url, message(user, h.stub.url, text))).status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before);
  }
  async function click(user: TestUser, verb: string, data: Record<string, unknown>): Promise<{ body: any; text: string }> {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    const value = res.body?.value;
    return { body: res.body, text: typeof value === 'string' ? value : visibleText({ attachments: [{ content: value }] }) };
  }
  const audits = async (actor: string) => (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, 8.64e15)).map((e) => e.entry).filter((e) => e.actor === actor);
  const postedTo = (user: TestUser) => JSON.stringify(h.stub.to(personalConversationId(user)));
  const day = (offset: number) => today(offset * 24 * 60).observedDate;

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' }, { directory: parseDirectory(KG_DIRECTORY) });
    // A person signal by the police.
    const [form] = await say(kgPolitie, 'melding');
    const cardId = JSON.stringify(form!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const submitted = await click(kgPolitie, 'signal.submit', {
      cardId, kind: 'overlast', district: 'crabbehof', location: 'Sumatraplein', ...today(), categories: 'intimidatie',
      severity: 'hoog', source: 'eigen-waarneming', subject: 'persoon', ...KG_PERSON, description: 'Intimideert bewoners.',
    });
    caseRef = /C-\d{4}-\d{5}/.exec(JSON.stringify(submitted.body))![0];
    // The wijkmanager takes direction (overlast) and registers the person (criterion b, with a
    // justification); the chair accepts.
    expect((await click(kgWijkmanager, 'case.change-level', { caseRef, to: 'overlast', reason: 'Intimidatie van bewoners op het plein.' })).text).toMatch(/van Hinder naar Overlast/);
    await say(kgWijkmanager, `kerngroep aanmelden ${caseRef}`);
    const registered = await click(kgWijkmanager, KERNGROEP_VERBS.register, { caseRef, reason: 'b', justification: 'Acute ernstige overlast: bewoners durven niet meer naar buiten.', persons: '' });
    expect(registered.text).toContain('aangemeld bij de Kerngroep');
    const [overview] = await say(kgChair, 'kerngroep');
    const registrationId = findAll(overview!.activity, (n) => n.verb === KERNGROEP_VERBS.decide && n.data?.decision === 'accept')[0]!.data.registrationId;
    expect((await click(kgChair, KERNGROEP_VERBS.decide, { registrationId, decision: 'accept', [`reason_${registrationId}`]: 'Past bij de Kerngroep.' })).text).toContain('geaccepteerd');
    // The chair plans a Kerngroep meeting three weeks ahead and puts the person on the agenda as rood.
    const planned = await click(kgChair, KERNGROEP_VERBS.plan, { date: day(21), start: '10:00', place: 'Stadskantoor', orgs: 'meldpunt' });
    meetingId = findAll(planned.body, (n) => n.verb === KERNGROEP_VERBS.agenda)[0]!.data.meetingId;
    personId = String(findAll(planned.body, (n) => typeof n.id === 'string' && n.id.startsWith('colour_'))[0]!.id).slice('colour_'.length);
    const agenda = await click(kgChair, KERNGROEP_VERBS.agenda, { meetingId, [`colour_${personId}`]: 'rood', [`bsn_${personId}`]: BSN, [`address_${personId}`]: 'Kerkstraat 9', [`city_${personId}`]: 'Dordrecht' });
    expect(agenda.text).toContain('Agenda vastgesteld');
    await h.bot.runDueJobs();
  });
  afterAll(async () => h?.close());

  it('Kerngroep details are not shown to the wijkmanager: agenda, matrix and inquiry refused, audited, nothing personal sent', async () => {
    const before = (await audits('u-wijkmanager')).length;
    const answers: string[] = [];
    for (const verb of [KERNGROEP_VERBS.agendaForm, KERNGROEP_VERBS.matrix, KERNGROEP_VERBS.inquiry]) {
      const res = await click(kgWijkmanager, verb, { meetingId });
      expect(res.text, verb).toMatch(/mag je niet|geen toegang|niet gesteld|niet aan jouw organisatie/i);
      answers.push(JSON.stringify(res.body));
    }
    const audited = (await audits('u-wijkmanager')).slice(before);
    expect(audited.length).toBeGreaterThanOrEqual(3);
    for (const e of audited) expect(['deny', 'refused']).toContain(e.outcome);
    const everything = answers.join('\n') + postedTo(kgWijkmanager);
    for (const secret of SECRETS) expect(everything, secret).not.toContain(secret);
  });

  it("a partner does not see another organisation's inquiry answers, and cannot answer for it", async () => {
    // The police answer their questions.
    const policeView = await click(kgPolitie, KERNGROEP_VERBS.inquiry, { meetingId });
    const policeQuestions = findAll(policeView.body, (n) => typeof n.id === 'string' && n.id.startsWith('q_')).map((n) => n.id as string);
    expect(policeQuestions.length).toBeGreaterThan(0);
    const answered = await click(kgPolitie, KERNGROEP_VERBS.answer, { meetingId, ...Object.fromEntries(policeQuestions.map((q) => [q, 'ja'])) });
    expect(answered.text).toContain('opgeslagen');

    // Woonbron's own inquiry holds only its own questions — none of the police's, and no answers of theirs.
    const before = (await audits('u-woonbron')).length;
    const view = await click(kgWoonbron, KERNGROEP_VERBS.inquiry, { meetingId });
    const ids = findAll(view.body, (n) => typeof n.id === 'string' && n.id.startsWith('q_')).map((n) => n.id as string);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toContain(':woonbron:');
    expect(JSON.stringify(view.body)).not.toContain(':politie:');
    // The chair's matrix (everyone's answers) is refused, and so is answering the police's question.
    const matrix = await click(kgWoonbron, KERNGROEP_VERBS.matrix, { meetingId });
    expect(matrix.text).toContain('Dat mag je niet');
    const forged = await click(kgWoonbron, KERNGROEP_VERBS.answer, { meetingId, [policeQuestions[0]!]: 'nee' });
    expect(forged.text).toContain('niet aan jouw organisatie gesteld');
    const audited = (await audits('u-woonbron')).slice(before);
    expect(audited).toContainEqual(expect.objectContaining({ action: 'kerngroep.chair', outcome: 'deny' }));
    expect(audited.filter((e) => e.outcome === 'deny' || e.outcome === 'refused').length).toBeGreaterThanOrEqual(2);
    for (const secret of [BSN, 'Kerkstraat 9']) expect(JSON.stringify(matrix.body) + JSON.stringify(forged.body) + postedTo(kgWoonbron)).not.toContain(secret);
    for (const secret of SECRETS) expect(postedTo(kgWoonbron)).not.toContain(secret);
  });

  it('Meldpunt Zorg & Overlast answers yes/no only: no "onbekend" on its card, and it is refused when forged', async () => {
    const view = await click(kgMeldpunt, KERNGROEP_VERBS.inquiry, { meetingId });
    const inputs = findAll(view.body, (n) => typeof n.id === 'string' && n.id.startsWith('q_'));
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) expect((input.choices as { value: string }[]).map((c) => c.value).sort()).toEqual(['ja', 'nee']);
    const before = (await audits('u-meldpunt')).length;
    const forged = await click(kgMeldpunt, KERNGROEP_VERBS.answer, { meetingId, [inputs[0]!.id]: 'onbekend' });
    expect(forged.text).toContain('Ongeldig antwoord');
    expect((await audits('u-meldpunt')).slice(before)).toContainEqual(expect.objectContaining({ actor: 'u-meldpunt', action: 'kerngroep.answer', outcome: 'refused' }));
    expect((await click(kgMeldpunt, KERNGROEP_VERBS.answer, { meetingId, [inputs[0]!.id]: 'ja' })).text).toContain('opgeslagen');
    for (const secret of SECRETS) expect(postedTo(kgMeldpunt)).not.toContain(secret);
  });

  it('nothing the bot posted in this scenario names the person', async () => {
    const all = JSON.stringify(h.stub.posted);
    for (const secret of SECRETS) expect(all, secret).not.toContain(secret);
  });
});
