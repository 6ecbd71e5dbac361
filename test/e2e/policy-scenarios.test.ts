import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { startHarness, type Harness } from '../support/bot.js';
import { actionExecute, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

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
  });

  it("the district's wijkmanager and the chair see the person, only in their user-specific view, and it is audited", async () => {
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
