import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test-owned Bot Connector: the bot posts replies and proactive messages to `serviceUrl`, and
 * this server records them. `respond` lets a test answer with 429/403/… to exercise delivery.
 */
export interface PostedActivity {
  method: string;
  path: string;
  conversationId: string;
  /** The activity being replied to or updated, when the path names one. */
  activityId?: string;
  activity: Record<string, unknown> & { type?: string; text?: string; attachments?: { contentType: string; content: any }[] };
}

export type Responder = (
  posted: PostedActivity,
) => { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number } | undefined;

export interface ConnectorStub {
  url: string;
  posted: PostedActivity[];
  /** Answer the next calls differently; return undefined to fall back to 200. */
  respond(fn: Responder | undefined): void;
  /** Activities posted to one conversation. */
  to(conversationId: string): PostedActivity[];
  clear(): void;
  waitFor(predicate: (p: PostedActivity) => boolean, timeoutMs?: number): Promise<PostedActivity>;
  close(): Promise<void>;
}

export async function startConnectorStub(): Promise<ConnectorStub> {
  const posted: PostedActivity[] = [];
  const waiters: { predicate: (p: PostedActivity) => boolean; resolve: (p: PostedActivity) => void }[] = [];
  let responder: Responder | undefined;
  let counter = 0;
  // restify (in the same process as the bot under test) patches ServerResponse.prototype.writeHead
  // so that it no longer returns `this`: never chain writeHead().end().
  const reply = (res: ServerResponse, status: number, headers: Record<string, string>, body?: string) => {
    res.writeHead(status, headers);
    res.end(body);
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (!match) {
      if (req.method === 'POST' && path === '/v3/conversations') {
        reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ id: `conv-${++counter}` }));
        return;
      }
      reply(res, 404, {});
      return;
    }
    const entry: PostedActivity = {
      method: req.method ?? 'POST',
      path,
      conversationId: decodeURIComponent(match[1]!),
      ...(match[2] ? { activityId: decodeURIComponent(match[2]) } : {}),
      activity: body ? JSON.parse(body) : {},
    };
    const custom = responder?.(entry);
    if (custom?.delayMs) await new Promise((r) => setTimeout(r, custom.delayMs));
    if (custom && custom.status >= 300) {
      reply(res, custom.status, { 'content-type': 'application/json', ...custom.headers }, JSON.stringify(custom.body ?? {}));
      return;
    }
    posted.push(entry);
    for (const w of [...waiters]) {
      if (w.predicate(entry)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
    reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ id: `activity-${++counter}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    posted,
    respond: (fn) => (responder = fn),
    to: (conversationId) => posted.filter((p) => p.conversationId === conversationId),
    clear: () => void posted.splice(0),
    waitFor: (predicate, timeoutMs = 5000) => {
      const existing = posted.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (p: PostedActivity) => (clearTimeout(timer), resolve(p)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`connector stub: nothing matching arrived within ${timeoutMs} ms (got ${posted.length} activities)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
