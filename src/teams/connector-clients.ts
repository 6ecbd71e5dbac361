import type { CloudAdapter } from 'botbuilder';

/**
 * Reuses the Bot Connector clients a `CloudAdapter` makes for every incoming activity.
 *
 * For each activity — also a card click (an invoke, answered in the HTTP response, which sends
 * nothing) — botbuilder authenticates the request and then builds a new `ConnectorClient` (with its
 * credentials and an HTTP pipeline of a dozen policies) and a new `UserTokenClient` (another
 * pipeline). On this project's benchmark that was ~8 % of the CPU a card submit costs. Those clients
 * hold no per-turn state (Azure SDK clients are made to be shared; the credentials cache their token),
 * and what they depend on is fixed per bot — its app id, the audience and the `serviceUrl` the
 * activity came from. So one client per (app id, audience, serviceUrl) is kept and handed to every
 * turn. The authentication of each request is not touched: it still runs for every activity.
 *
 * The number of clients kept is bounded (Teams uses a handful of service URLs; a forged one is refused
 * before a turn starts, see activity-schema.ts): past the bound the least recently used is dropped.
 * A client whose creation failed is not kept.
 */

/** The part of botframework-connector's ConnectorFactory a turn uses. */
interface ConnectorFactoryLike {
  create(serviceUrl: string, audience?: string): Promise<unknown>;
}

/** The part of botframework-connector's BotFrameworkAuthentication that makes the clients of a turn. */
interface AuthenticationLike {
  authenticateRequest(activity: unknown, authHeader: string): Promise<{ connectorFactory?: ConnectorFactoryLike; claimsIdentity: unknown }>;
  createConnectorFactory(claimsIdentity: unknown): ConnectorFactoryLike;
  createUserTokenClient(claimsIdentity: unknown): Promise<unknown>;
}

export const CONNECTOR_CLIENTS_KEPT = 64;

/** Promises kept by key, least recently used dropped first; a rejected one is forgotten. */
class KeptClients {
  private readonly kept = new Map<string, Promise<unknown>>();
  constructor(private readonly limit: number) {}

  get(key: string, make: () => Promise<unknown>): Promise<unknown> {
    const found = this.kept.get(key);
    if (found) {
      this.kept.delete(key);
      this.kept.set(key, found);
      return found;
    }
    const made = make();
    this.kept.set(key, made);
    made.catch(() => {
      if (this.kept.get(key) === made) this.kept.delete(key);
    });
    if (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value!);
    return made;
  }

  get size(): number {
    return this.kept.size;
  }
}

/** The app id a ConnectorFactoryImpl makes clients for (part of the key: skills use other ids). */
function appIdOf(factory: ConnectorFactoryLike): string {
  const appId = (factory as { appId?: unknown }).appId;
  return typeof appId === 'string' ? appId : '';
}

/** The bot's app id in a claims identity, read as botbuilder reads it: the audience claim, else appid. */
function claimedAppId(claimsIdentity: unknown): string {
  const identity = claimsIdentity as { getClaimValue?(type: string): string | null } | undefined;
  return identity?.getClaimValue?.('aud') ?? identity?.getClaimValue?.('appid') ?? '';
}

export interface ReusedClients {
  /** How many connector clients are kept now (for tests). */
  readonly connectorClients: number;
}

export function reuseConnectorClients(adapter: CloudAdapter, limit = CONNECTOR_CLIENTS_KEPT): ReusedClients {
  const auth = (adapter as unknown as { botFrameworkAuthentication: AuthenticationLike }).botFrameworkAuthentication;
  const connectors = new KeptClients(limit);
  const tokenClients = new KeptClients(limit);

  const keeping = (factory: ConnectorFactoryLike): ConnectorFactoryLike => {
    const appId = appIdOf(factory);
    return Object.assign(Object.create(Object.getPrototypeOf(factory) as object) as object, factory, {
      create: (serviceUrl: string, audience?: string) =>
        connectors.get(`${appId}\n${audience ?? ''}\n${serviceUrl}`, () => factory.create(serviceUrl, audience)),
    });
  };

  const authenticateRequest = auth.authenticateRequest.bind(auth);
  auth.authenticateRequest = async (activity, authHeader) => {
    const result = await authenticateRequest(activity, authHeader);
    return result.connectorFactory ? { ...result, connectorFactory: keeping(result.connectorFactory) } : result;
  };
  const createConnectorFactory = auth.createConnectorFactory.bind(auth);
  auth.createConnectorFactory = (claimsIdentity) => keeping(createConnectorFactory(claimsIdentity));
  const createUserTokenClient = auth.createUserTokenClient.bind(auth);
  auth.createUserTokenClient = (claimsIdentity) => tokenClients.get(claimedAppId(claimsIdentity), () => createUserTokenClient(claimsIdentity));

  return {
    get connectorClients() {
      return connectors.size;
    },
  };
}
