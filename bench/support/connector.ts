import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * A Bot Connector stub that answers fast: it parses what the bot posts, counts it per conversation,
 * keeps the last few activities per conversation (for spot checks), and answers 200 with an id.
 * Optionally answers 429 with Retry-After to every n-th call (the escalation benchmark).
 *
 * In the bench it runs as its own process (`node --import tsx bench/support/connector.ts`), so its
 * work neither shares the load generator's event loop nor the bot's. Control endpoints:
 *   GET /__stats → { posted, throttled, conversations }   GET /__last?conversation=<id>
 *   GET /__recent?conversation=<id> (the last few, oldest first)   POST /__reset
 */
export interface FastConnectorOptions {
  /** Answer 429 to every n-th activity call (0 = never). 10 = 10 % of calls. */
  throttleEvery?: number;
  retryAfterSeconds?: number;
  /** Answer after this many ms (the activity counts as accepted when the answer is sent). */
  delayMs?: number;
  /** Keep when each activity was accepted, per conversation (drills; off in the HTTP benchmark). */
  recordTimes?: boolean;
}

export interface FastConnector {
  url: string;
  posted(): number;
  throttled(): number;
  /** Activities accepted (200) per conversation id. */
  counts(): Map<string, number>;
  /** When each accepted activity of a conversation was answered (ms since epoch). */
  times(): Map<string, number[]>;
  /** Conversations that received more than one activity. */
  duplicates(): number;
  /** When the first activity call (accepted or not) arrived since start/reset (ms since epoch), 0 if none. */
  firstCallAt(): number;
  /** Every activity call (accepted or 429) with its time, when `recordTimes` is set. */
  calls(): { at: number; status: number }[];
  last(conversationId: string): Record<string, unknown> | undefined;
  reset(): void;
  close(): Promise<void>;
}

const RECENT = 5;
const ACTIVITY_PATH = /^\/v3\/conversations\/([^/]+)\/activities(?:\/[^/]+)?$/;

export async function startFastConnector(options: FastConnectorOptions = {}): Promise<FastConnector> {
  let posted = 0;
  let throttled = 0;
  let calls = 0;
  let counter = 0;
  const counts = new Map<string, number>();
  const times = new Map<string, number[]>();
  const last = new Map<string, Record<string, unknown>>();
  /** The last few activities per conversation: a reply may be followed at once by a proactive notice. */
  const recent = new Map<string, Record<string, unknown>[]>();
  let duplicates = 0;
  let firstCallAt = 0;
  const callLog: { at: number; status: number }[] = [];
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle());
    const handle = async () => {
      const [path = '', query = ''] = (req.url ?? '').split('?');
      const match = ACTIVITY_PATH.exec(path);
      if (match && req.method === 'POST') {
        calls++;
        firstCallAt ||= Date.now();
        if (options.throttleEvery && calls % options.throttleEvery === 0) {
          throttled++;
          if (options.recordTimes) callLog.push({ at: Date.now(), status: 429 });
          json(res, 429, { error: { code: 'Throttled' } }, { 'retry-after': String(options.retryAfterSeconds ?? 1) });
          return;
        }
        const conversation = decodeURIComponent(match[1]!);
        let activity: Record<string, unknown> = {};
        try {
          activity = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          /* counted anyway */
        }
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
        posted++;
        const count = (counts.get(conversation) ?? 0) + 1;
        if (count === 2) duplicates++;
        counts.set(conversation, count);
        if (options.recordTimes) {
          times.set(conversation, [...(times.get(conversation) ?? []), Date.now()]);
          callLog.push({ at: Date.now(), status: 200 });
        }
        last.set(conversation, activity);
        recent.set(conversation, [...(recent.get(conversation) ?? []).slice(1 - RECENT), activity]);
        json(res, 200, { id: `activity-${++counter}` });
        return;
      }
      if (req.method === 'POST' && path === '/v3/conversations') return json(res, 200, { id: `conv-${++counter}` });
      if (req.method === 'GET' && path === '/__stats') return json(res, 200, { posted, throttled, conversations: counts.size, duplicates });
      if (req.method === 'GET' && path === '/__last') {
        const id = new URLSearchParams(query).get('conversation') ?? '';
        return json(res, last.has(id) ? 200 : 404, last.get(id) ?? {});
      }
      if (req.method === 'GET' && path === '/__recent') {
        return json(res, 200, recent.get(new URLSearchParams(query).get('conversation') ?? '') ?? []);
      }
      if (req.method === 'POST' && path === '/__reset') {
        reset();
        return json(res, 200, {});
      }
      json(res, 404, {});
    };
  });
  const reset = () => {
    posted = throttled = calls = duplicates = firstCallAt = 0;
    counts.clear();
    times.clear();
    callLog.length = 0;
    last.clear();
    recent.clear();
  };
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posted: () => posted,
    throttled: () => throttled,
    counts: () => counts,
    times: () => times,
    duplicates: () => duplicates,
    firstCallAt: () => firstCallAt,
    calls: () => callLog,
    last: (id) => last.get(id),
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Client for a stub running in another process. */
export function connectorClient(url: string) {
  return {
    url,
    stats: async (): Promise<{ posted: number; throttled: number; conversations: number; duplicates: number }> => (await fetch(`${url}/__stats`)).json() as never,
    last: async (conversationId: string): Promise<Record<string, any> | undefined> => {
      const res = await fetch(`${url}/__last?conversation=${encodeURIComponent(conversationId)}`);
      return res.status === 200 ? ((await res.json()) as Record<string, any>) : undefined;
    },
    /** The last few activities posted to a conversation, oldest first. */
    recent: async (conversationId: string): Promise<Record<string, any>[]> =>
      (await (await fetch(`${url}/__recent?conversation=${encodeURIComponent(conversationId)}`)).json()) as Record<string, any>[],
    reset: async () => void (await fetch(`${url}/__reset`, { method: 'POST' })).arrayBuffer(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stub = await startFastConnector({
    throttleEvery: Number(process.env.THROTTLE_EVERY ?? 0),
    retryAfterSeconds: Number(process.env.RETRY_AFTER_SECONDS ?? 1),
  });
  console.log(`connector stub listening on ${stub.url}`);
  const stop = () => void stub.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
