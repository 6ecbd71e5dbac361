import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from './proactive-transport.js';

/**
 * How a reply within a turn leaves the bot: one POST to the Bot Connector's REST API
 * (`{serviceUrl}/v3/conversations/{conversationId}/activities[/{replyToId}]`), the activity as JSON,
 * signed by the turn's own connector credentials.
 *
 * botbuilder sends replies through its generated `ConnectorClient`: the activity walks the client's
 * mapper-based serializer (every property of the Activity model checked and copied) and a pipeline of
 * a dozen policies before a byte is written. For the case card — the largest reply the bot sends —
 * that was a quarter of the bot's CPU per request (docs/PERFORMANCE.md, item 14). This does the same
 * call with what it needs:
 *
 * - **Authentication** is the client's: its credentials object (`MicrosoftAppCredentials` & co.)
 *   signs the request — it fetches and caches the token, or adds nothing when the bot runs without
 *   credentials (local, tests), exactly as in the client's own pipeline.
 * - **The body** is `JSON.stringify(activity)`: the Bot Connector takes the activity as JSON, which is
 *   what the serializer produced for the activities the bot sends (dates as ISO strings).
 * - **Retries** as the client's default policy does them, bounded for a user who waits for the
 *   answer: 408, 429, 500, 502, 503 and 504 and connections that failed are tried again, at most
 *   three times, after Retry-After when the answer has one, else after 0.5, 1 and 2 s; a wait of more
 *   than `MAX_REPLY_WAIT_MS` (all waits of the reply together) is not made — the reply fails at once.
 * - **A failure** is thrown as a `ReplyFailedError` with the status: the turn's error handler logs it
 *   (without the body: an answer could quote the activity) and tries the Dutch "try again" text.
 *
 * Connections are kept alive per origin (one agent for http, one for https), as the client's.
 * Proactive sends (the outbox) keep their own transport: the outbox owns their retries.
 */

export const MAX_REPLY_ATTEMPTS = 4;
/** The most a reply waits between its attempts in total; Teams gives a turn 15 s to answer. */
export const MAX_REPLY_WAIT_MS = 8_000;
const BACKOFF_MS = [500, 1_000, 2_000] as const;
const ATTEMPT_TIMEOUT_MS = 15_000;
/** Answers the client's default retry policy tries again (it leaves out 501 and 505). */
const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Connection failures worth another attempt (nothing, or not all, reached the connector). */
const RETRIED_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** What signs a request: botframework-connector's AppCredentials (or any ServiceClientCredentials). */
export interface RequestSigner {
  signRequest(request: { headers: { set(name: string, value: string): void } }): Promise<unknown>;
}

/** The activity as the connector expects it; `conversation.id` is required. */
export interface OutgoingActivity {
  conversation?: { id?: string };
  replyToId?: string;
  [key: string]: unknown;
}

export class ReplyFailedError extends Error {
  override readonly name = 'ReplyFailedError';
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export interface ReplyTransportOptions {
  /** For tests: how the transport waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

function post(url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const request = protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: agents[protocol], timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('reply timed out'), { code: 'REPLY_TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** The connector's error code from its answer (`{"error":{"code":…}}`), never the rest of the body. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

export function activitiesUrl(serviceUrl: string, conversationId: string, replyToId?: string): URL {
  const base = serviceUrl.replace(/\/+$/, '');
  const path = `/v3/conversations/${encodeURIComponent(conversationId)}/activities${replyToId ? `/${encodeURIComponent(replyToId)}` : ''}`;
  return new URL(base + path);
}

/**
 * Posts `activity` to its conversation at `connector.serviceUrl` (as a reply when it has
 * `replyToId`) and returns the id the connector gave it (`''` when the answer has none). Like the
 * client, it posts to the connector the turn's client was made for, not to `activity.serviceUrl`.
 */
export async function postActivity(
  connector: { serviceUrl: string; credentials: RequestSigner },
  activity: OutgoingActivity,
  options: ReplyTransportOptions = {},
): Promise<{ id: string }> {
  const { credentials } = connector;
  const conversationId = activity.conversation?.id;
  if (!conversationId) throw new ReplyFailedError('reply without a conversation id');
  const url = activitiesUrl(connector.serviceUrl, conversationId, activity.replyToId);
  const body = JSON.stringify(activity);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    accept: 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  await credentials.signRequest({ headers: { set: (name, value) => void (headers[name.toLowerCase()] = value) } });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let answer: Answer | undefined;
    let failure: ReplyFailedError;
    let wait: number;
    try {
      answer = await post(url, headers, body);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      failure = new ReplyFailedError(`reply not delivered: ${typeof code === 'string' ? code : (error as Error).message}`);
      if (typeof code !== 'string' || !RETRIED_ERRORS.has(code)) throw failure;
    }
    if (answer) {
      if (answer.status >= 200 && answer.status < 300) return { id: idOf(answer.body) };
      const code = errorCode(answer.body);
      failure = new ReplyFailedError(`Bot Connector answered ${answer.status}${code ? ` (${code})` : ''}`, answer.status);
      if (!RETRIED_STATUSES.has(answer.status)) throw failure;
      wait = parseRetryAfter(answer.retryAfter) ?? backoff(attempt);
    } else {
      wait = backoff(attempt);
    }
    if (attempt >= MAX_REPLY_ATTEMPTS || waited + wait > MAX_REPLY_WAIT_MS) throw failure!;
    waited += wait;
    await sleep(wait);
  }
}

function backoff(attempt: number): number {
  return BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length) - 1]!;
}

function idOf(body: string): string {
  if (!body) return '';
  try {
    const id = (JSON.parse(body) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}
