import { TeamsAdapter } from '@microsoft/teams-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reuseConnectorClients } from '../../src/teams/connector-clients.js';
import { startHarness, type Harness } from '../support/bot.js';
import { startConnectorStub, type ConnectorStub } from '../support/connector-stub.js';
import { message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * The bot keeps one Bot Connector client per service URL instead of building one per activity
 * (src/teams/connector-clients.ts). What a user would notice if that went wrong: a reply posted to
 * the service URL of an earlier activity, i.e. lost.
 */

const partner: TestUser = { aadObjectId: 'u-politie' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };

describe('replies go to the service URL of their own activity', () => {
  let h: Harness;
  let second: ConnectorStub;
  beforeAll(async () => {
    h = await startHarness();
    second = await startConnectorStub();
  });
  afterAll(async () => {
    await h?.close();
    await second?.close();
  });

  it('alternating service URLs: every reply reaches the connector its activity came from', async () => {
    const turns: [TestUser, ConnectorStub][] = [
      [partner, h.stub],
      [wijkmanager, second],
      [partner, h.stub],
      [partner, second],
      [wijkmanager, h.stub],
    ];
    for (const [user, stub] of turns) {
      expect((await post(h.bot.url, message(user, stub.url, 'help'))).status).toBe(200);
    }
    const at = (stub: ConnectorStub, user: TestUser) => stub.to(personalConversationId(user)).map((p) => visibleText(p.activity));
    expect(at(h.stub, partner)).toHaveLength(2);
    expect(at(second, partner)).toHaveLength(1);
    expect(at(second, wijkmanager)).toHaveLength(1);
    expect(at(h.stub, wijkmanager)).toHaveLength(1);
    for (const text of [...at(h.stub, partner), ...at(second, wijkmanager)]) expect(text).toContain('Typ "help" om dit overzicht opnieuw te zien.');
  });
});

describe('reuseConnectorClients', () => {
  type Auth = {
    authenticateRequest(activity: unknown, header: string): Promise<{ connectorFactory: { create(url: string, audience?: string): Promise<unknown> } }>;
    createConnectorFactory(claims: unknown): { create(url: string, audience?: string): Promise<unknown> };
  };
  const activity = (serviceUrl: string) => ({ type: 'message', serviceUrl, channelId: 'msteams' });
  const clientFor = async (auth: Auth, serviceUrl: string) =>
    (await auth.authenticateRequest(activity(serviceUrl), '')).connectorFactory.create(serviceUrl, 'https://api.botframework.com');

  it('hands every turn from one service URL the same client, another URL its own, and keeps at most the limit', async () => {
    const adapter = new TeamsAdapter();
    const kept = reuseConnectorClients(adapter, 2);
    const auth = (adapter as unknown as { botFrameworkAuthentication: Auth }).botFrameworkAuthentication;

    const a1 = await clientFor(auth, 'http://127.0.0.1:1/a');
    const a2 = await clientFor(auth, 'http://127.0.0.1:1/a');
    const b = await clientFor(auth, 'http://127.0.0.1:1/b');
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
    expect((b as { baseUri?: string }).baseUri ?? (b as { _baseUri?: string })._baseUri).toContain('/b');
    expect(kept.connectorClients).toBe(2);

    // A proactive send (createConnectorFactory) shares the clients of the turns.
    const proactive = await auth.createConnectorFactory({ claims: [], getClaimValue: () => null }).create('http://127.0.0.1:1/a', 'https://api.botframework.com');
    expect(proactive).toBe(a1);

    // A third URL over the limit of 2 drops the least recently used (b: a was used last).
    await clientFor(auth, 'http://127.0.0.1:1/c');
    expect(kept.connectorClients).toBe(2);
    expect(await clientFor(auth, 'http://127.0.0.1:1/a')).toBe(a1);
    expect(await clientFor(auth, 'http://127.0.0.1:1/b')).not.toBe(b);
  });

  it('does not keep a client whose creation failed: the next turn tries again', async () => {
    const adapter = new TeamsAdapter();
    const auth = (adapter as unknown as { botFrameworkAuthentication: Auth & { createConnectorFactory: Auth['createConnectorFactory'] } })
      .botFrameworkAuthentication;
    const original = auth.authenticateRequest.bind(auth);
    let failNext = true;
    auth.authenticateRequest = async (a, header) => {
      const result = await original(a, header);
      const factory = result.connectorFactory;
      return {
        ...result,
        connectorFactory: {
          appId: (factory as { appId?: string }).appId,
          create: async (url: string, audience?: string) => {
            if (failNext) {
              failNext = false;
              throw new Error('credentials unavailable');
            }
            return factory.create(url, audience);
          },
        },
      };
    };
    const kept = reuseConnectorClients(adapter);
    await expect(clientFor(auth, 'http://127.0.0.1:1/a')).rejects.toThrow('credentials unavailable');
    await Promise.resolve();
    expect(kept.connectorClients).toBe(0);
    expect(await clientFor(auth, 'http://127.0.0.1:1/a')).toBeTruthy();
    expect(kept.connectorClients).toBe(1);
  });
});
