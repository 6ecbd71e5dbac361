import { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import {
  ActivityTypes,
  CardFactory,
  MessageFactory,
  TurnContext,
  type Activity,
  type ConversationReference,
  type Request,
  type ResourceResponse,
  type Response,
} from 'botbuilder';
import type { Config } from '../config.js';
import type { Actor } from '../domain/actor.js';
import type { AppContext } from '../app/context.js';
import { resolveActor, type IncomingIdentity } from '../app/identity.js';
import { saveConversation } from '../app/conversations.js';
import { helpMessage } from '../app/help.js';
import type { CardActionResult, CommandRoute, Feature } from '../app/routes.js';
import { nl } from '../i18n/nl.js';
import { RateLimiter } from '../app/rate-limit.js';
import type { OutgoingMessage } from '../ports.js';
import { TeamsMessenger } from './messenger.js';
import { createProactiveAdapter } from './proactive-transport.js';
import { reuseConnectorClients } from './connector-clients.js';
import { postActivity, type OutgoingActivity, type RequestSigner } from './reply-transport.js';
import { conversationKindOf, incomingActivitySchema, isLoopbackServiceUrl } from './activity-schema.js';
import { decide, isAllowed } from '../domain/access.js';
import { audit, auditDecision } from '../app/audit.js';

/**
 * The only place (with the other files in src/teams) that knows the Teams SDK. It turns activities
 * into use-case calls and use-case results into activities. Moving to another Teams SDK means
 * rewriting this folder, nothing else (docs/adr/0001-teams-sdk.md).
 */

const ACTOR_KEY = Symbol('overlastbot.actor');
const ACTION_INVOKE = 'adaptiveCard/action';

export interface TeamsBot {
  /** Handles POST /api/messages. */
  handle(req: Request, res: Response): Promise<void>;
  messenger: TeamsMessenger;
}

export function createTeamsBot(options: { ctx: AppContext; config: Config; features: Feature[] }): TeamsBot {
  const { ctx, config, features } = options;
  const adapter = config.auth
    ? new ValidatedTeamsAdapter({
        MicrosoftAppId: config.auth.appId,
        MicrosoftAppPassword: config.auth.appPassword,
        MicrosoftAppType: config.auth.appTenantId ? 'SingleTenant' : 'MultiTenant',
        ...(config.auth.appTenantId ? { MicrosoftAppTenantId: config.auth.appTenantId } : {}),
      })
    : new ValidatedTeamsAdapter();
  reuseConnectorClients(adapter);

  const app = new Application<TurnState>({
    adapter,
    // No storage: the bot keeps nothing in teams-ai's turn state (every fact is a document of its
    // own in the store), so a turn reads no state and writes none.
    ...(config.auth ? { botAppId: config.auth.appId } : {}),
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
    turnStateFactory: () => new TurnState(),
  });

  const commands: CommandRoute[] = features.flatMap((f) => f.commands);
  const actorOf = (context: TurnContext): Actor => {
    const actor = context.turnState.get(ACTOR_KEY) as Actor | undefined;
    if (!actor) throw new Error('Unexpected turn without a resolved actor');
    return actor;
  };

  // Installation: the Dutch welcome with the role-specific help card.
  app.conversationUpdate('membersAdded', async (context) => {
    const botId = context.activity.recipient?.id;
    if (context.activity.membersAdded?.some((m) => m.id === botId)) {
      await send(context, helpMessage(actorOf(context), commands, true));
    }
  });
  // The conversation reference is stored by the gate below; nothing else to do on install/uninstall.
  app.activity('installationUpdate', async () => {});

  // One route per kind of activity, dispatching by a lookup: teams-ai tries its routes one by one,
  // each selector awaited, so a route per command and per card verb cost every message and every
  // card click dozens of promise round trips before the right one was found.
  // A message: the first command whose pattern matches, else the help card (the fallback for
  // unknown text).
  app.activity(ActivityTypes.Message, async (context) => {
    const text = commandText(context.activity);
    const normalised = normaliseText(text);
    const command = commands.find((c) => c.match.test(normalised));
    if (!command) {
      await send(context, helpMessage(actorOf(context), commands));
      return;
    }
    const replies = await command.run(ctx, actorOf(context), text.trim());
    for (const reply of replies) await send(context, reply);
  });

  const actions = new Map<string, Feature['actions'][number]>();
  for (const feature of features) {
    for (const action of feature.actions) {
      if (actions.has(action.verb)) throw new Error(`card verb registered twice: ${action.verb}`);
      actions.set(action.verb, action);
    }
  }
  app.adaptiveCards.actionExecute(/.*/, async (context, _state, data) => {
    const verb = (context.activity.value as { action: { verb: string } }).action.verb;
    const action = actions.get(verb);
    // A verb nobody answers (an old card, a forged payload): a clear message instead of an error.
    if (!action) {
      ctx.log.warn({ event: 'card.unknown-verb', actor: actorOf(context).id }, 'unknown Action.Execute verb');
      return nl.general.unknownAction;
    }
    return toInvokeResult(context, await action.run(ctx, actorOf(context), data));
  });

  // Any other invoke (a name we do not implement, or none): a 4xx instead of botbuilder's 501.
  app.activity(ActivityTypes.Invoke, async (context) => {
    ctx.log.warn({ event: 'invoke.unsupported', name: String(context.activity.name ?? '').slice(0, 64) }, 'unsupported invoke');
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 400, body: { code: 'NotSupported' } } });
  });

  app.error(async (context, error) => {
    // The error's name beside `err`: pino's err serializer sets `err.type` to the object's class.
    ctx.log.error({ event: 'turn.error', errorType: error.name, err: { message: error.message, stack: error.stack } }, 'turn failed');
    await replyRefusal(context, nl.general.tryAgainLater).catch(() => undefined);
  });

  const limiter = new RateLimiter(config.rateLimitPerMinute);
  const policy = { allowChannelIdFallback: !config.auth, ...(config.tenantId ? { tenantId: config.tenantId } : {}) };

  async function logic(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const who: IncomingIdentity = {
      ...(activity.from?.aadObjectId ? { aadObjectId: activity.from.aadObjectId } : {}),
      ...(activity.from?.id ? { channelUserId: activity.from.id } : {}),
      ...(tenantOf(activity) ? { tenantId: tenantOf(activity) } : {}),
    };
    const identity = await resolveActor(ctx, who, policy);
    if (!identity.ok) {
      if (shouldAnswer(activity)) await replyRefusal(context, identity.message);
      // Every invoke needs an answer; without one botbuilder replies 501.
      else if (activity.type === ActivityTypes.Invoke)
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 403, body: { code: 'Forbidden' } } });
      return;
    }
    // Personal chat only (issue #8): in a group chat or channel every member would read the answers.
    // Refused before anything runs — no command, no card action, no turn state, no conversation
    // reference; only the audit entry is stored.
    const conversation = conversationKindOf(activity.conversation?.conversationType);
    const gate = decide(identity.actor, 'bot.use', { type: 'conversation', conversation });
    if (!isAllowed(gate)) {
      await audit(ctx, auditDecision(identity.actor, 'bot.use', `conversation:${conversation}`, gate));
      ctx.log.warn({ event: 'conversation.refused', actor: identity.actor.id, conversation }, 'activity outside the personal chat refused');
      if (shouldAnswer(activity)) await replyRefusal(context, nl.identity.personalChatOnly);
      else if (activity.type === ActivityTypes.Invoke)
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 403, body: { code: 'Forbidden' } } });
      return;
    }
    if (countsAsAction(activity) && !limiter.tryTake(identity.actor.id, ctx.clock.now().getTime())) {
      ctx.log.warn({ event: 'rate-limited', actor: identity.actor.id }, 'user over the rate limit');
      await replyRefusal(context, nl.general.rateLimited);
      return;
    }
    context.turnState.set(ACTOR_KEY, identity.actor);
    if (isPersonal(activity)) {
      // Without the incoming message's id: it changes every turn (so every message would rewrite the
      // reference), and botbuilder would post proactive notices as replies to that old message.
      const { activityId: _incoming, ...reference } = TurnContext.getConversationReference(activity) as Record<string, unknown>;
      await saveConversation(ctx, identity.actor.id, reference);
    }
    await app.run(context);
  }

  return {
    handle: async (req, res) => {
      const parsed = incomingActivitySchema.safeParse(req.body);
      if (!parsed.success) {
        ctx.log.warn({ event: 'activity.invalid', fields: parsed.error.issues.slice(0, 5).map((i) => i.path.join('.')) }, 'malformed activity refused');
        res.status(400);
        res.send({ error: 'invalid activity' });
        res.end();
        return;
      }
      if (!config.auth && !isLoopbackServiceUrl(parsed.data.serviceUrl)) {
        ctx.log.warn({ event: 'activity.refused', reason: 'non-loopback-service-url' }, 'serviceUrl refused without authentication');
        res.status(403);
        res.send({ error: 'serviceUrl not allowed without authentication' });
        res.end();
        return;
      }
      await adapter.processValidated(req, res, logic, ctx.log);
    },
    // Proactive sends use their own transport: the outbox, not the SDK, retries them (see the file).
    messenger: new TeamsMessenger(createProactiveAdapter(config), ctx, config.auth?.appId ?? ''),
  };
}

/**
 * The command a message carries: the typed text, or — for a help-card button (Action.Submit with
 * `{ command }`) — the command in its value. Plain submit data works in Teams and in the Agents
 * Playground alike (the Playground's renderer rejects messageBack data).
 */
function commandText(activity: Activity): string {
  if (activity.text) return activity.text;
  const command = (activity.value as { command?: unknown } | undefined)?.command;
  return typeof command === 'string' ? command.slice(0, 100) : '';
}

/** Lower-cased, trimmed, single-spaced text for command matching. */
export function normaliseText(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().toLowerCase();
}

function tenantOf(activity: Activity): string | undefined {
  const channelTenant = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  if (typeof channelTenant === 'string') return channelTenant;
  return activity.conversation?.tenantId;
}

/** What a person does (typing, clicking), as opposed to lifecycle events like installs. */
function countsAsAction(activity: Activity): boolean {
  return activity.type === ActivityTypes.Message || (activity.type === ActivityTypes.Invoke && activity.name === ACTION_INVOKE);
}

function isPersonal(activity: Activity): boolean {
  return activity.conversation?.conversationType === 'personal';
}

/** Refusals are answered where the user will see them: messages, installs and card clicks. */
function shouldAnswer(activity: Activity): boolean {
  if (activity.type === ActivityTypes.Message) return true;
  if (activity.type === ActivityTypes.Invoke) return activity.name === ACTION_INVOKE;
  if (activity.type === ActivityTypes.ConversationUpdate)
    return !!activity.membersAdded?.some((m) => m.id === activity.recipient?.id);
  return false;
}

async function replyRefusal(context: TurnContext, text: string): Promise<void> {
  if (context.activity.type === ActivityTypes.Invoke && context.activity.name === ACTION_INVOKE) {
    await context.sendActivity({
      type: ActivityTypes.InvokeResponse,
      value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text } },
    });
    return;
  }
  await context.sendActivity(text);
}

/**
 * teams-ai answers a card that has `refresh` by updating the message for everyone (updateActivity),
 * which would store a user-specific view — the one place person data may appear — in the chat
 * history. Such a card therefore goes back only as this user's invoke response; teams-ai sees that
 * a response was sent and does nothing more.
 */
async function toInvokeResult(context: TurnContext, result: CardActionResult) {
  if (result.kind === 'message') return result.text;
  if (result.card.refresh) {
    await context.sendActivity({
      type: ActivityTypes.InvokeResponse,
      value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: result.card } },
    });
  }
  return result.card as never;
}

async function send(context: TurnContext, message: OutgoingMessage): Promise<void> {
  await context.sendActivity(toActivity(message));
}

export function toActivity(message: OutgoingMessage): Partial<Activity> {
  if (message.kind === 'text') return MessageFactory.text(message.text);
  const activity = MessageFactory.attachment(CardFactory.adaptiveCard(message.card));
  if (message.summary) activity.summary = message.summary;
  return activity;
}

export type { ConversationReference };

/**
 * `CloudAdapter.process` checks the request again before it runs a turn: it builds zod schemas for
 * every request (`z.record(z.unknown())`, twice) and parses the body with them. `handle` has already
 * validated the activity with a stricter schema, so this runs the turn on it directly, with what
 * `process` does besides: timestamps as dates, the authorization header checked by botbuilder, and
 * the invoke response or an error status. That was 4 % of a card submit's CPU.
 */
class ValidatedTeamsAdapter extends TeamsAdapter {
  /**
   * Messages go to the Bot Connector through reply-transport.ts, signed with the turn's connector
   * credentials; everything else (invoke responses, traces, delays) as botbuilder does it.
   */
  override async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (activity.type !== ActivityTypes.Message) {
        responses.push(...(await super.sendActivities(context, [activity])));
        continue;
      }
      // The turn's ConnectorClient: made for the service URL the activity came from, with the
      // credentials for that connector (connector-clients.ts keeps one per service URL).
      const client = context.turnState.get<{ credentials?: RequestSigner; baseUri?: string } | undefined>(this.ConnectorClientKey);
      if (!client?.credentials || !client.baseUri) throw new Error('Unable to extract ConnectorClient from turn context.');
      delete activity.id;
      responses.push(await postActivity({ serviceUrl: client.baseUri, credentials: client.credentials }, activity as OutgoingActivity));
    }
    return responses;
  }

  async processValidated(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>, log: AppContext['log']): Promise<void> {
    const activity = withDates(req.body as Record<string, unknown>) as unknown as Activity;
    const header = req.headers.authorization ?? req.headers.Authorization;
    let status: number;
    let body: unknown;
    try {
      const invokeResponse = await this.processActivity(typeof header === 'string' ? header : '', activity, logic);
      status = invokeResponse?.status ?? 200;
      body = invokeResponse?.body;
    } catch (error) {
      // botbuilder's AuthenticationError carries 401; anything else is the bot's failure. The body
      // names no internals (botbuilder's would send the error message).
      const code = (error as { statusCode?: unknown }).statusCode;
      status = typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
      body = { error: status === 500 ? 'internal error' : 'unauthorized' };
      const errorType = (error as Error).name;
      const err = { message: (error as Error).message };
      if (status === 500) log.error({ event: 'activity.failed', errorType, err }, 'activity failed outside the turn');
      else log.warn({ event: 'activity.unauthenticated', status, errorType, err }, 'activity refused by authentication');
    }
    res.status(status);
    if (body !== undefined) res.send(body);
    res.end();
  }
}

/** botbuilder's `validateAndFixActivity` (not exported): the timestamps as `Date`s, the raw strings kept. */
function withDates(activity: Record<string, unknown>): Record<string, unknown> {
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value = activity[field];
    if (typeof value === 'string') {
      activity[raw] = value;
      activity[field] = new Date(value);
    }
  }
  return activity;
}
