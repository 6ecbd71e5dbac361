import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/bot.js';
import { actionExecute, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/** The beheerder's audit export (DPIA, data-subject requests) over the real HTTP path. */

const beheerder: TestUser = { aadObjectId: 'u-beheerder' };
const partner: TestUser = { aadObjectId: 'u-politie' };

function today(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
}

describe('audit export', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => h?.close());
  beforeEach(() => h.stub.clear());

  const lastTo = (u: TestUser) => h.stub.to(personalConversationId(u)).at(-1)!.activity;

  it('offers the beheerder a period form', async () => {
    await post(h.bot.url, message(beheerder, h.stub.url, 'audit'));
    const card = lastTo(beheerder).attachments![0]!.content;
    expect(visibleText({ attachments: [{ content: card }] })).toContain('Auditlog exporteren');
    expect(card.body.filter((b: any) => b.type === 'Input.Date').map((b: any) => b.id)).toEqual(['from', 'to']);
    expect(card.actions[0]).toMatchObject({ type: 'Action.Execute', verb: 'audit.export' });
  });

  it('exports refusals and reads as CSV in the chat, with injection defused', async () => {
    await post(h.bot.url, message({ aadObjectId: '=HYPERLINK("x")' }, h.stub.url, 'help'));
    await post(h.bot.url, message({ aadObjectId: 'u-stranger' }, h.stub.url, 'help'));
    const res = await post(h.bot.url, actionExecute(beheerder, h.stub.url, 'audit.export', { from: today(), to: today() }));
    const csv = visibleText({ attachments: [{ content: res.body.value }] });
    expect(csv).toContain('"tijdstip","gebruiker","naam","organisatie","actie","object","uitkomst","reden"'.replace(/"/g, ''));
    expect(csv).toContain('"u-stranger","","","bot.use","system","refused","unknown-user"');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    // The export itself is in the audit log.
    await post(h.bot.url, message(beheerder, h.stub.url, `audit ${today()} ${today()}`));
    expect(visibleText(lastTo(beheerder))).toMatch(/"u-beheerder","Bea Beheerder","Gemeente Dordrecht","audit.export","audit:[0-9-]+\.\.[0-9-]+","allow"/);
  });

  it('refuses a partner, and audits the refusal', async () => {
    await post(h.bot.url, message(partner, h.stub.url, `audit ${today()} ${today()}`));
    expect(lastTo(partner).text).toContain('Alleen een beheerder');
    const entries = await h.bot.ctx.store.readLog('audit', 0, Date.now() + 1000);
    expect(entries.at(-1)!.entry).toMatchObject({ actor: 'u-politie', action: 'audit.export', outcome: 'deny', reason: 'role-required' });
  });

  it('answers bad periods in Dutch', async () => {
    await post(h.bot.url, message(beheerder, h.stub.url, 'audit 2026-13-01 2026-11-01'));
    expect(lastTo(beheerder).text).toContain('geldige datums');
    await post(h.bot.url, message(beheerder, h.stub.url, 'audit 2026-11-20 2026-11-01'));
    expect(lastTo(beheerder).text).toContain('einddatum ligt vóór de begindatum');
    const forged = await post(h.bot.url, actionExecute(beheerder, h.stub.url, 'audit.export', { from: today(), to: today(), as: 'u-x' }));
    expect(String(forged.body.value)).toContain('geldige datums');
  });

  it('writes a large export to a private file on the server and shows only its path', async () => {
    for (let i = 0; i < 105; i++) await post(h.bot.url, message({ aadObjectId: `u-bulk-${i}` }, h.stub.url, 'help'));
    await post(h.bot.url, message(beheerder, h.stub.url, `audit ${today()} ${today()}`));
    const text = visibleText(lastTo(beheerder));
    const file = /staat op de server: (\S+\.csv)/.exec(text)?.[1];
    expect(file, text).toBeTruthy();
    expect(text).not.toContain('u-bulk-1');
    const lines = readFileSync(file!, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(105);
    expect(lines.filter((l) => l.includes('u-bulk-'))).toHaveLength(105);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
  });
});
