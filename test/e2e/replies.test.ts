import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nl } from '../../src/i18n/nl.js';
import { startHarness, type Harness } from '../support/bot.js';
import { message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * Replies within a turn leave the bot through src/teams/reply-transport.ts (not botbuilder's
 * generated client). What a user notices: a throttled reply still arrives, once; a reply the
 * connector refuses is logged as the turn's failure without what it said, and the bot carries on.
 */

const partner: TestUser = { aadObjectId: 'u-politie' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };

describe('replies to the Bot Connector', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());
  beforeEach(() => {
    h.stub.clear();
    h.stub.respond(undefined);
  });

  it('a reply answered 429 is sent again after Retry-After and arrives exactly once', async () => {
    let calls = 0;
    h.stub.respond(() => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined));
    const started = Date.now();
    const res = await post(h.bot.url, message(partner, h.stub.url, 'help'));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(calls).toBe(2);
    const mine = h.stub.to(personalConversationId(partner));
    expect(mine).toHaveLength(1);
    expect(visibleText(mine[0]!.activity)).toContain('Typ "help" om dit overzicht opnieuw te zien.');
    expect(h.logs.join('')).not.toContain('turn.error');
  });

  it('a reply the connector refuses is not sent again; the failure is logged without the text, and the next turn works', async () => {
    const paths: string[] = [];
    h.stub.respond((p) => {
      paths.push(p.path);
      return { status: 403, body: { error: { code: 'BotNotInConversationRoster', message: 'refused' } } };
    });
    const logsBefore = h.logs.length;
    const res = await post(h.bot.url, message(wijkmanager, h.stub.url, 'casus C-2026-0001'));
    expect(res.status).toBe(200);
    // The reply, then the "probeer het zo opnieuw" text — each tried once.
    expect(paths).toHaveLength(2);
    const failure = h.logs.slice(logsBefore).map((l) => JSON.parse(l) as { event?: string; errorType?: string; err?: { message?: string } }).find((l) => l.event === 'turn.error');
    expect(failure?.errorType).toBe('ReplyFailedError');
    expect(failure?.err?.message).toBe('Bot Connector answered 403 (BotNotInConversationRoster)');
    expect(h.stub.to(personalConversationId(wijkmanager))).toHaveLength(0);

    h.stub.respond(undefined);
    expect((await post(h.bot.url, message(wijkmanager, h.stub.url, 'help'))).status).toBe(200);
    expect(visibleText(h.stub.to(personalConversationId(wijkmanager))[0]!.activity)).toContain('Typ "help" om dit overzicht opnieuw te zien.');
  });

  it('when the first reply fails for good the user still gets the Dutch "try again" if that one gets through', async () => {
    let calls = 0;
    h.stub.respond(() => (++calls === 1 ? { status: 404, body: { error: { code: 'ConversationNotFound' } } } : undefined));
    expect((await post(h.bot.url, message(partner, h.stub.url, 'help'))).status).toBe(200);
    const mine = h.stub.to(personalConversationId(partner));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.activity.text).toBe(nl.general.tryAgainLater);
  });
});
