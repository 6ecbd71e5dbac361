import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REPLY_ATTEMPTS, ReplyFailedError, activitiesUrl, postActivity, type RequestSigner } from '../../src/teams/reply-transport.js';

/**
 * The transport of replies within a turn (src/teams/reply-transport.ts), against a real HTTP server
 * standing in for the Bot Connector: what arrives there, and what happens when it answers 429/5xx/4xx.
 */

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string };

let server: Server;
let url: string;
const seen: Seen[] = [];
let answers: Answer[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? { status: 200, body: JSON.stringify({ id: `activity-${seen.length}` }) };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.splice(0);
  answers = [];
});

const noToken: RequestSigner = { signRequest: async (r) => r };
const withToken = (token: string): RequestSigner => ({
  signRequest: async (r) => {
    r.headers.set('Authorization', `Bearer ${token}`);
    return r;
  },
});

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const conversationId = 'a:1Xy;messageid=17/ab';
const activity = (extra: Record<string, unknown> = {}) => ({
  type: 'message',
  text: 'Melding ontvangen',
  conversation: { id: conversationId },
  replyToId: 'f:12#3',
  timestamp: new Date('2026-12-04T10:00:00Z'),
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: 'ë' }] } }],
  ...extra,
});

describe('reply transport', () => {
  it('posts the activity as JSON to the reply URL of its conversation, signed, and returns the id the connector gave', async () => {
    const result = await postActivity({ serviceUrl: `${url}/emea/`, credentials: withToken('t0k3n') }, activity());
    expect(result).toEqual({ id: 'activity-1' });
    expect(seen).toHaveLength(1);
    const [call] = seen;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe(`/emea/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent('f:12#3')}`);
    expect(call!.headers.authorization).toBe('Bearer t0k3n');
    expect(call!.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(call!.body);
    expect(body.text).toBe('Melding ontvangen');
    expect(body.timestamp).toBe('2026-12-04T10:00:00.000Z');
    expect(body.attachments[0].content.body[0].text).toBe('ë');
  });

  it('without replyToId posts to the conversation; without credentials it sends no Authorization header', async () => {
    const { replyToId: _none, ...fresh } = activity();
    await postActivity({ serviceUrl: url, credentials: noToken }, fresh);
    expect(seen[0]!.path).toBe(`/v3/conversations/${encodeURIComponent(conversationId)}/activities`);
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('an answer without a body gives an empty id', async () => {
    answers = [{ status: 201 }];
    expect(await postActivity({ serviceUrl: url, credentials: noToken }, activity())).toEqual({ id: '' });
  });

  it('a 429 is tried again after its Retry-After, and the reply arrives once', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '2' } }];
    const { waits, sleep } = recordingSleep();
    const result = await postActivity({ serviceUrl: url, credentials: noToken }, activity(), { sleep });
    expect(waits).toEqual([2000]);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.body).toBe(seen[1]!.body);
    expect(result.id).toBe('activity-2');
  });

  it('5xx without Retry-After backs off 0.5, 1 and 2 s and succeeds on the fourth attempt', async () => {
    answers = [{ status: 503 }, { status: 500 }, { status: 502 }];
    const { waits, sleep } = recordingSleep();
    const result = await postActivity({ serviceUrl: url, credentials: noToken }, activity(), { sleep });
    expect(waits).toEqual([500, 1000, 2000]);
    expect(seen).toHaveLength(4);
    expect(result.id).toBe('activity-4');
  });

  it(`gives up after ${MAX_REPLY_ATTEMPTS} attempts with the last status`, async () => {
    answers = Array.from({ length: MAX_REPLY_ATTEMPTS + 2 }, () => ({ status: 504 }));
    const { sleep } = recordingSleep();
    const error = await postActivity({ serviceUrl: url, credentials: noToken }, activity(), { sleep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplyFailedError);
    expect((error as ReplyFailedError).statusCode).toBe(504);
    expect(seen).toHaveLength(MAX_REPLY_ATTEMPTS);
  });

  it('a 4xx is not tried again, and the error names the code but not what the answer quoted', async () => {
    answers = [{ status: 403, body: JSON.stringify({ error: { code: 'BotNotInConversationRoster', message: 'Melding van Jan Jansen' } }) }];
    const { waits, sleep } = recordingSleep();
    const error = (await postActivity({ serviceUrl: url, credentials: noToken }, activity(), { sleep }).catch((e: unknown) => e)) as ReplyFailedError;
    expect(error.statusCode).toBe(403);
    expect(error.message).toBe('Bot Connector answered 403 (BotNotInConversationRoster)');
    expect(error.message).not.toContain('Jansen');
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('a Retry-After longer than a user can wait fails at once instead of holding the turn', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '30' } }];
    const { waits, sleep } = recordingSleep();
    const error = (await postActivity({ serviceUrl: url, credentials: noToken }, activity(), { sleep }).catch((e: unknown) => e)) as ReplyFailedError;
    expect(error.statusCode).toBe(429);
    expect(waits).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('a refused connection is tried again, then reported', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { waits, sleep } = recordingSleep();
    const error = (await postActivity({ serviceUrl: `http://127.0.0.1:${port}`, credentials: noToken }, activity(), { sleep }).catch((e: unknown) => e)) as ReplyFailedError;
    expect(error).toBeInstanceOf(ReplyFailedError);
    expect(error.message).toContain('ECONNREFUSED');
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('a failing signer fails the reply before anything is sent', async () => {
    const broken: RequestSigner = { signRequest: async () => Promise.reject(new Error('token endpoint unreachable')) };
    await expect(postActivity({ serviceUrl: url, credentials: broken }, activity())).rejects.toThrow('token endpoint unreachable');
    expect(seen).toHaveLength(0);
  });

  it('builds the URL from a service URL with or without a trailing slash', () => {
    expect(activitiesUrl('https://smba.trafficmanager.net/emea/', 'c 1').href).toBe('https://smba.trafficmanager.net/emea/v3/conversations/c%201/activities');
    expect(activitiesUrl('https://smba.trafficmanager.net/emea', 'c', 'r/1').href).toBe('https://smba.trafficmanager.net/emea/v3/conversations/c/activities/r%2F1');
  });
});
