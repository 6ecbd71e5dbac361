import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/bot.js';
import { BOT_ID, OTHER_TENANT, TEST_TENANT, post } from '../support/teams.js';

/**
 * The attack suite, over the real HTTP path: malformed, oversized, forged and cross-tenant input.
 * Properties: never a 5xx, the process keeps answering, and nobody outside the directory/tenant
 * gets anything stored (only audit lines).
 */

const KNOWN = ['u-politie', 'u-wijkmanager', 'u-school', 'u-beheerder'];
const RUNS = Number(process.env.ATTACK_RUNS ?? 250);

describe('attack suite: /api/messages under malformed, forged and cross-tenant input', () => {
  let h: Harness;
  let tried = 0;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    console.log(`attack suite: ${tried} cases tried`);
    await h?.close();
  });

  it('answers arbitrary JSON bodies without a server error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        tried++;
        const res = await fetch(`${h.bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.text();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers forged and cross-tenant Teams activities without a server error or unauthorised writes', async () => {
    const user = fc.oneof(fc.constantFrom(...KNOWN), fc.constant('u-intruder'), fc.string({ maxLength: 40 }), fc.constant(undefined));
    const tenant = fc.constantFrom(TEST_TENANT, OTHER_TENANT, undefined, '');
    const text = fc.oneof(
      fc.constantFrom('help', 'melding', 'mijn meldingen', 'casus C-2026-00001', '<at>Overlastbot</at> help', '[klik](https://evil.example)'),
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
    );
    const activity = fc.record(
      {
        type: fc.constantFrom('message', 'invoke', 'conversationUpdate', 'installationUpdate', 'event', 'messageReaction', 'typing', 'bogus'),
        aad: user,
        tenant,
        text,
        name: fc.constantFrom('adaptiveCard/action', 'composeExtension/query', 'task/fetch', 'application/search', 'bogus', undefined),
        verb: fc.oneof(fc.constantFrom('signal.submit', 'signal.open-form', 'case.pass-on', 'case.open'), fc.string({ maxLength: 30 })),
        data: fc.jsonValue({ maxDepth: 3 }),
        conversationType: fc.constantFrom('personal', 'groupChat', 'channel', undefined),
        membersAdded: fc.boolean(),
      },
      { requiredKeys: ['type'] },
    );
    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        tried++;
        const from: Record<string, unknown> = { id: `29:${a.aad ?? 'x'}` };
        if (a.aad !== undefined) from.aadObjectId = a.aad;
        const body: Record<string, unknown> = {
          type: a.type,
          id: 'act-' + tried,
          channelId: 'msteams',
          serviceUrl: h.stub.url,
          from,
          recipient: { id: BOT_ID },
          conversation: { id: `a:${a.aad ?? 'x'}`, ...(a.conversationType ? { conversationType: a.conversationType } : {}) },
          ...(a.tenant !== undefined ? { channelData: { tenant: { id: a.tenant } } } : {}),
          ...(a.type === 'message' ? { text: a.text } : {}),
          ...(a.type === 'invoke' && a.name ? { name: a.name, value: { action: { type: 'Action.Execute', verb: a.verb, data: a.data } } } : {}),
          ...(a.membersAdded ? { membersAdded: [{ id: BOT_ID }] } : {}),
        };
        const res = await post(h.bot.url, body);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    // Nobody outside the directory, and nobody from another tenant, got a conversation stored.
    expect(await h.bot.ctx.store.get('conv:u-intruder')).toBeUndefined();
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
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
    expect(res.status).toBe(403);
  });
});
