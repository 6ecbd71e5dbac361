import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Node 20 has no global WebSocket (without --experimental-websocket). `ws` is already installed as a
// dependency of @microsoft/teams-ai (botframework-streaming); nothing extra is added for the tests.
import WebSocket from 'ws';
import { stringify as toYaml } from 'yaml';
import { startConnectorStub, type ConnectorStub, type PostedActivity } from './connector-stub.js';
import { actionExecute, message, personalConversationId, type TestUser, findAll } from './teams.js';
import {
  freePort,
  readPlaygroundConfig,
  startPlayground,
  type PlaygroundConfig,
  type PlaygroundOptions,
  type PlaygroundUser,
  type RunningPlayground,
} from '../../scripts/playground-lib.js';

/**
 * A driver for the Microsoft 365 Agents Playground's own HTTP + WebSocket API (the one its web UI
 * uses; see /work/shared/PLAYGROUND.md): what a Teams user does — install the app, type, click an
 * Action.Execute or Action.Submit button — and what the bot sends back, as the Playground received it
 * through its mock Bot Connector.
 */

export type Card = { type: string; body?: any[]; actions?: any[]; refresh?: any; [k: string]: unknown };

export interface BotMessage {
  /** Conversation the message belongs to. */
  conversationId: string;
  messageId: string;
  /** `createMessage` for a new message, `updateMessage` when the bot replaced one. */
  action: string;
  text?: string;
  attachments: { contentType: string; content: any }[];
  /** Arrival order over the WebSocket (0, 1, …). */
  seq: number;
}

export interface InvokeResponse {
  /** `application/vnd.microsoft.card.adaptive` (a card replacing the clicked one) or `…activity.message` (a text). */
  type: string;
  value: any;
}

const DEFAULT_WAIT_MS = 15_000;

export class PlaygroundClient {
  readonly messages: BotMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly url: string,
    readonly config: PlaygroundConfig,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => this.onSocketMessage(String(data)));
  }

  /** Connects to the Playground at `url` (its stream only carries conversations of currentUser). */
  static async connect(url: string, config: PlaygroundConfig): Promise<PlaygroundClient> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/_ws_conversation/v1/conversations/stream`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new PlaygroundClient(url, config, socket);
  }

  get currentUser(): PlaygroundUser {
    return this.config.currentUser;
  }

  get personalChatId(): string {
    return this.config.personalChat.id;
  }

  private onSocketMessage(raw: string): void {
    let event: any;
    try {
      event = JSON.parse(raw);
    } catch {
      return;
    }
    const message = event?.message;
    if (!message || typeof message.messageId !== 'string') return;
    // Only what the bot sent: the user's own messages are not what a test waits for.
    if (message.from?.id !== this.config.bot.id) return;
    this.messages.push({
      conversationId: String(event.actionConversationId ?? ''),
      messageId: message.messageId,
      action: String(event.action ?? ''),
      ...(typeof message.text === 'string' ? { text: message.text } : {}),
      attachments: Array.isArray(message.attachments) ? message.attachments : [],
      seq: this.messages.length,
    });
    for (const wake of this.waiters) wake();
  }

  /** A mark for `waitForMessage`: only messages that arrive after it count. */
  mark(): number {
    return this.messages.length;
  }

  /** The first bot message after `since` (a `mark()`) that matches; fails after `timeoutMs`. */
  async waitForMessage(
    since: number,
    predicate: (m: BotMessage) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
    what = 'a bot message',
  ): Promise<BotMessage> {
    const find = () => this.messages.slice(since).find(predicate);
    const found = find();
    if (found) return found;
    return new Promise<BotMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.messages.slice(since).map((m) => summary(m));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; bot messages since the mark: ${seen.length ? seen.join(' | ') : 'none'}`));
      }, timeoutMs);
      const check = () => {
        const m = find();
        if (!m) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
      };
      this.waiters.add(check);
    });
  }

  // --- what a user does --------------------------------------------------------------------------

  /** Installs the app in currentUser's personal chat (installationUpdate + conversationUpdate). */
  async install(conversationId = this.personalChatId): Promise<void> {
    await this.request('POST', `/_debug/conversation/${encodeURIComponent(conversationId)}/installation`, {});
  }

  /** currentUser types `text`; resolves with the message id the Playground gave it. */
  async send(text: string, conversationId = this.personalChatId): Promise<string> {
    const res = await this.request('POST', `/_conversation/v1/conversations/${encodeURIComponent(conversationId)}/messages`, {
      type: 'text',
      text,
      textFormat: 'plain',
      from: { id: this.currentUser.id },
    });
    return String(res?.messageId ?? '');
  }

  /** Types `text` and waits for the bot's (first) reply in the same conversation. */
  async ask(text: string, predicate: (m: BotMessage) => boolean = () => true, conversationId = this.personalChatId): Promise<BotMessage> {
    const since = this.mark();
    await this.send(text, conversationId);
    return this.waitForMessage(since, (m) => m.conversationId === conversationId && predicate(m), DEFAULT_WAIT_MS, `the reply to "${text}"`);
  }

  /**
   * Clicks an Action.Execute button (`adaptiveCard/action` invoke) on the bot message `replyToId`,
   * with `data` merged from the action's data and the card's inputs, as Teams does. The bot's
   * response (the card that replaces the clicked one) is returned.
   */
  async execute(replyToId: string, verb: string, data: Record<string, unknown>, conversationId = this.personalChatId): Promise<InvokeResponse> {
    const res = await this.request('POST', '/_conversation/v1/invoke', {
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb, data } },
      from: { id: this.currentUser.id },
      conversation: { id: conversationId },
      replyToId,
    });
    return res as InvokeResponse;
  }

  /** Clicks an Action.Submit button on the bot message `replyToId` (fire and forget, like Teams). */
  async submit(replyToId: string, value: Record<string, unknown>, conversationId = this.personalChatId): Promise<void> {
    await this.request('POST', '/_conversation/v1/submit', {
      conversation: { id: conversationId },
      from: { id: this.currentUser.id },
      replyToId,
      value,
    });
  }

  /** Sends a raw activity to the bot through the Playground (e.g. as another user). Fire and forget. */
  async customActivity(activity: Record<string, unknown>): Promise<void> {
    await this.request('POST', '/_internal/v1/customActivities', activity);
  }

  /** The Playground's template for a raw activity (`message`, `install`, `userAdded`, …). */
  async customActivityTemplate(type: string, conversationId = this.personalChatId): Promise<Record<string, any>> {
    const query = new URLSearchParams({ conversationId, type });
    return (await this.request('GET', `/_internal/v1/customActivities/template?${query}`)) as Record<string, any>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(resolve, 2000).unref();
    });
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(DEFAULT_WAIT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Playground ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
}

function summary(m: BotMessage): string {
  const card = m.attachments[0]?.content;
  const first = card?.body?.find?.((b: any) => b?.type === 'TextBlock')?.text;
  return `${m.action} ${m.conversationId}: ${m.text ?? first ?? '(no text)'}`.slice(0, 120);
}

// --- a Playground session with a chosen current user ----------------------------------------------

export interface PlaygroundSession {
  playground: RunningPlayground;
  client: PlaygroundClient;
  /** The config the Playground runs with (currentUser = the person the test acts as). */
  config: PlaygroundConfig;
  /** Every output line of bot and Playground (for failure messages). */
  output: string[];
  stop(): Promise<void>;
}

/**
 * The project's `.m365agentsplayground.yml` with `currentUser` switched to the person whose Entra
 * object id is `objectId` (the previous current user becomes one of the 5 other users). Messages typed
 * in the Playground always come from currentUser, so this is how a test acts as a partner.
 */
export function configWithCurrentUser(objectId: string, base: PlaygroundConfig = readPlaygroundConfig()): PlaygroundConfig {
  const people = [base.currentUser, ...base.users];
  const me = people.find((p) => p.aadObjectId === objectId);
  if (!me) throw new Error(`${objectId} is not one of the Playground people in .m365agentsplayground.yml`);
  return { ...base, currentUser: me, users: people.filter((p) => p !== me) };
}

/**
 * Starts the bot (embedded store in a temporary directory) and the Playground on free loopback
 * ports, with `config` written to a temporary config file, and connects a client.
 */
export async function startPlaygroundSession(
  config: PlaygroundConfig = readPlaygroundConfig(),
  options: Omit<PlaygroundOptions, 'configFile' | 'dataDir' | 'botPort'> = {},
): Promise<PlaygroundSession> {
  const dir = mkdtempSync(join(tmpdir(), 'overlastbot-playground-'));
  const configFile = join(dir, 'm365agentsplayground.yml');
  writeFileSync(configFile, toYaml(config));
  const output: string[] = [];
  let playground: RunningPlayground | undefined;
  try {
    playground = await startPlayground({
      configFile,
      dataDir: join(dir, 'data'),
      logFile: join(dir, 'm365agentsplayground.log'),
      // A free port, whatever PORT says in the environment (the Playground picks a free one itself).
      botPort: await freePort(),
      botEnv: { LOG_LEVEL: 'warn' },
      ...options,
      onOutput: (line) => {
        output.push(line);
        if (output.length > 400) output.shift();
        options.onOutput?.(line);
      },
    });
    const client = await PlaygroundClient.connect(playground.url, config);
    const running = playground;
    return {
      playground: running,
      client,
      config,
      output,
      async stop() {
        await client.close().catch(() => undefined);
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await playground?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// --- other people than currentUser ---------------------------------------------------------------

/**
 * People other than the Playground's currentUser, each in their own personal chat with the bot on
 * their own Teams client: their activities go to the bot through the Playground's customActivities
 * API (as "Mock an Activity" does), and the bot's replies to them land in a test-owned Bot Connector
 * stub (their `serviceUrl`), not in the current user's chat. What the bot then sends proactively to
 * the current user (an escalation notice) arrives in the Playground as in Teams.
 */
export class OtherPeople {
  private constructor(
    private readonly client: PlaygroundClient,
    readonly stub: ConnectorStub,
  ) {}

  static async start(client: PlaygroundClient): Promise<OtherPeople> {
    return new OtherPeople(client, await startConnectorStub());
  }

  /** Someone from the Playground config (by Entra object id), in the Playground's tenant. */
  person(objectId: string): TestUser {
    const p = [this.client.config.currentUser, ...this.client.config.users].find((u) => u.aadObjectId === objectId);
    if (!p) throw new Error(`${objectId} is not in the Playground config`);
    if (p.id === this.client.currentUser.id) throw new Error(`${p.name} is the current user: use the Playground client itself`);
    return { aadObjectId: p.aadObjectId, name: p.name, tenantId: this.client.config.tenantId };
  }

  /** `user` types `text`; resolves with the bot's first reply in their chat. */
  async say(user: TestUser, text: string, timeoutMs = 15_000): Promise<PostedActivity> {
    const conv = personalConversationId(user);
    const before = this.stub.to(conv).length;
    await this.client.customActivity(message(user, this.stub.url, text));
    return this.stub.waitFor((p) => p.conversationId === conv && this.stub.to(conv).indexOf(p) >= before, timeoutMs);
  }

  /** `user` clicks an Action.Execute button (the bot's answer goes back to the Playground, unseen). */
  async execute(user: TestUser, verb: string, data: Record<string, unknown>): Promise<void> {
    await this.client.customActivity(actionExecute(user, this.stub.url, verb, data));
  }

  close(): Promise<void> {
    return this.stub.close();
  }
}

// --- reading cards -------------------------------------------------------------------------------

export function cardOf(m: BotMessage | InvokeResponse | PostedActivity): Card {
  const content = 'activity' in m ? m.activity.attachments?.[0]?.content : 'attachments' in m ? m.attachments[0]?.content : m.value;
  if (!content || typeof content !== 'object' || content.type !== 'AdaptiveCard') {
    throw new Error(`expected an Adaptive Card, got ${JSON.stringify(m).slice(0, 300)}`);
  }
  return content as Card;
}

/** Everything a card shows: TextBlocks, facts, labels, choices, button titles, values. */
export function cardText(card: unknown): string {
  const parts: string[] = [];
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [k, v] of Object.entries(node)) {
      if (['text', 'title', 'value', 'label', 'placeholder'].includes(k) && typeof v === 'string') parts.push(v);
      else walk(v);
    }
  };
  walk(card);
  return parts.join('\n');
}

/** The Action.Execute with `verb` (in actions or an ActionSet); fails when the card has none. */
export function executeAction(card: Card, verb: string): { title: string; verb: string; data: Record<string, unknown> } {
  const found = findAll(card, (n) => n.type === 'Action.Execute' && n.verb === verb)[0];
  if (!found) throw new Error(`the card has no Action.Execute "${verb}": ${cardText(card).slice(0, 300)}`);
  return found;
}

/** An input by id. */
export function input(card: Card, id: string): any {
  return findAll(card, (n) => typeof n.type === 'string' && n.type.startsWith('Input.') && n.id === id)[0];
}
