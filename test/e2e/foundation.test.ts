import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { startHarness, type Harness } from '../support/bot.js';
import {
  OTHER_TENANT,
  actionExecute,
  installationUpdate,
  membersAdded,
  message,
  personalConversationId,
  post,
  visibleText,
  type TestUser,
} from '../support/teams.js';

const partner: TestUser = { aadObjectId: 'u-politie' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };
const beheerder: TestUser = { aadObjectId: 'u-beheerder' };
const voorzitter: TestUser = { aadObjectId: 'u-voorzitter' };
const stranger: TestUser = { aadObjectId: 'u-nobody' };

describe('foundation over real HTTP (Bot Connector stub)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());
  beforeEach(() => h.stub.clear());

  async function say(user: TestUser, text: string) {
    const res = await post(h.bot.url, message(user, h.stub.url, text));
    expect(res.status).toBe(200);
    return h.stub.to(personalConversationId(user));
  }

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ store: 'embedded' });
  });

  it('welcomes a user in Dutch on install and stores the personal conversation reference', async () => {
    expect(await h.bot.ctx.store.get('conv:u-politie')).toBeUndefined();
    expect((await post(h.bot.url, installationUpdate(partner, h.stub.url))).status).toBe(200);
    expect((await post(h.bot.url, membersAdded(partner, h.stub.url))).status).toBe(200);
    const posted = h.stub.to(personalConversationId(partner));
    expect(posted).toHaveLength(1);
    const text = visibleText(posted[0]!.activity);
    expect(text).toContain('Welkom bij de Overlastbot');
    expect(text).toContain('Hallo Petra Politie');
    expect(text).toContain('partner bij Politie basisteam Dordrecht');
    const stored = await h.bot.ctx.store.get<{ reference: any }>('conv:u-politie');
    expect(stored?.value.reference.conversation.id).toBe(personalConversationId(partner));
    expect(stored?.value.reference.serviceUrl).toBe(h.stub.url);
  });

  it('keeps one conversation reference per user, not rewritten by every message', async () => {
    await say(partner, 'help');
    const first = await h.bot.ctx.store.get<{ reference: any }>('conv:u-politie');
    // The incoming message's id is not part of it: proactive notices must not be replies to an old message.
    expect(first?.value.reference.activityId).toBeUndefined();
    await say(partner, 'help');
    await say(partner, 'mijn meldingen');
    const later = await h.bot.ctx.store.get<{ reference: any }>('conv:u-politie');
    expect(later?.etag).toBe(first?.etag);
  });

  it('shows help that depends on the roles of the user', async () => {
    const partnerHelp = visibleText((await say(partner, 'help'))[0]!.activity);
    expect(partnerHelp).toContain('Wat je kunt doen');
    expect(partnerHelp).toContain('Terugkoppeling geven');
    expect(partnerHelp).not.toContain('Casusoverleg plannen');
    expect(partnerHelp).not.toContain('Auditlog exporteren');

    const wmHelp = visibleText((await say(wijkmanager, 'Help'))[0]!.activity);
    expect(wmHelp).toContain('wijkmanager bij Gemeente Dordrecht');
    expect(wmHelp).toContain('Casusoverleg plannen');
    // What is offered is the access policy's answer (src/app/help.ts): the wijkmanager may be made
    // responsible for an intervention (feedback.give) like anyone invited, but never exports the audit log.
    expect(wmHelp).not.toContain('Auditlog exporteren');

    const adminHelp = visibleText((await say(beheerder, 'help'))[0]!.activity);
    expect(adminHelp).toContain('Auditlog exporteren');
    expect(adminHelp).not.toContain('Nieuwe melding');
    expect(adminHelp).not.toContain('Casusoverleg plannen');

    // The chair may report signals (signal.create: the municipality's roles), so the card offers it.
    const chairHelp = (await say(voorzitter, 'help'))[0]!.activity;
    expect(visibleText(chairHelp)).toContain('Casusoverleg plannen');
    expect(chairHelp.attachments?.[0]?.content.actions.map((a: { data: { command: string } }) => a.data.command)).toContain('melding');
  });

  it('answers unknown text with the help card', async () => {
    const posted = await say(partner, 'wat kan ik hier?');
    expect(posted).toHaveLength(1);
    expect(visibleText(posted[0]!.activity)).toContain('Wat je kunt doen');
  });

  it('refuses an unknown user in Dutch, names whom to ask, and stores nothing but an audit line', async () => {
    const before = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000);
    const posted = await say(stranger, 'help');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.activity.text).toContain('niet geregistreerd');
    expect(posted[0]!.activity.text).toContain('Bea Beheerder');
    expect(await h.bot.ctx.store.get('conv:u-nobody')).toBeUndefined();
    const after = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000);
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)!.entry).toMatchObject({ actor: 'u-nobody', outcome: 'refused', reason: 'unknown-user' });
  });

  it('refuses an activity from another tenant, also for a known user', async () => {
    const posted = await say({ ...partner, tenantId: OTHER_TENANT }, 'help');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.activity.text).toContain('tenant');
    expect(visibleText(posted[0]!.activity)).not.toContain('Wat je kunt doen');
    const last = (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000)).at(-1)!;
    expect(last.entry).toMatchObject({ actor: 'u-politie', outcome: 'refused', reason: 'wrong-tenant' });
  });

  it('refuses a card click from an unknown user in the invoke response', async () => {
    const res = await post(h.bot.url, actionExecute(stranger, h.stub.url, 'signal.submit', { anything: 1 }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    expect(String(res.body.value)).toContain('niet geregistreerd');
  });

  it('answers an unknown card verb with a clear message instead of an error', async () => {
    const res = await post(h.bot.url, actionExecute(partner, h.stub.url, 'does.not.exist', {}));
    expect(res.status).toBe(200);
    expect(String(res.body.value)).toContain('niet (meer) herkend');
  });

  it('rejects oversized and malformed bodies without a server error', async () => {
    const big = await fetch(`${h.bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message(partner, h.stub.url, 'x'.repeat(h.config.maxBodyBytes + 10))),
    });
    expect(big.status).toBe(413);
    const malformed = await fetch(`${h.bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":' });
    expect(malformed.status).toBe(400);
    const notAnActivity = await fetch(`${h.bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    expect(notAnActivity.status).toBe(400);
    expect(h.stub.posted).toHaveLength(0);
  });
});

describe('per-user rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => h?.close());

  it('asks a user to wait after too many actions, without affecting others', async () => {
    for (let i = 0; i < 3; i++) expect((await post(h.bot.url, message(partner, h.stub.url, 'help'))).status).toBe(200);
    await post(h.bot.url, message(partner, h.stub.url, 'help'));
    const mine = h.stub.to(personalConversationId(partner));
    expect(mine).toHaveLength(4);
    expect(mine[3]!.activity.text).toContain('Wacht even');
    await post(h.bot.url, message(wijkmanager, h.stub.url, 'help'));
    expect(visibleText(h.stub.to(personalConversationId(wijkmanager))[0]!.activity)).toContain('Wat je kunt doen');
  });
});

describe('graceful shutdown', () => {
  it('finishes a turn that is in flight, then refuses new connections', async () => {
    const h = await startHarness();
    // The connector answers slowly, so the turn is still running when the stop begins.
    h.stub.respond(() => ({ status: 200, delayMs: 400 }));
    const inFlight = post(h.bot.url, message(partner, h.stub.url, 'help'));
    await new Promise((r) => setTimeout(r, 100));
    const stopped = h.bot.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(h.stub.to(personalConversationId(partner))).toHaveLength(1);
    await stopped;
    await expect(fetch(`${h.bot.url}/healthz`)).rejects.toThrow();
    await h.close();
  });
});
