import restify from 'restify';
import type { Logger } from '../log.js';
import type { Store } from '../ports.js';

/**
 * The HTTP surface: /api/messages (Bot Framework), /healthz (process up), /readyz (store reachable).
 * Counts in-flight turns so a graceful shutdown can wait for them.
 */
export interface HttpServerOptions {
  handleMessage(req: restify.Request, res: restify.Response): Promise<void>;
  store: Store;
  log: Logger;
  maxBodyBytes: number;
}

export interface HttpServer {
  server: restify.Server;
  listen(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, waits for in-flight turns (up to timeoutMs), then resolves. */
  close(timeoutMs: number): Promise<void>;
  inFlight(): number;
}

const READY_TIMEOUT_MS = 1000;

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { store, log } = options;
  const server = restify.createServer({ name: 'overlastbot', handleUncaughtExceptions: false });
  let inFlight = 0;
  let draining: (() => void) | undefined;
  let closing = false;

  server.use(restify.plugins.bodyParser({ maxBodySize: options.maxBodyBytes, mapParams: false, mapFiles: false }));

  // restify 11 rejects async handlers that take `next`: async handlers take (req, res) only.
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });

  server.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(store.ping(), READY_TIMEOUT_MS);
      res.send(200, { status: 'ok', store: store.kind });
    } catch {
      res.send(503, { status: 'unavailable', store: store.kind });
    }
  });

  server.post('/api/messages', async (req, res) => {
    if (closing) {
      res.send(503, { error: 'shutting down' });
      return;
    }
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      res.send(400, { error: 'body must be a JSON activity' });
      return;
    }
    inFlight++;
    try {
      await options.handleMessage(req, res);
    } catch (err) {
      log.error({ event: 'http.error', errorType: (err as Error).name, err: { message: (err as Error).message } }, 'message handling failed');
      if (!res.headersSent) res.send(500, { error: 'internal error' });
    } finally {
      inFlight--;
      if (inFlight === 0) draining?.();
    }
  });

  server.on('restifyError', (req: restify.Request, res: restify.Response, err: Error & { statusCode?: number }, cb: () => void) => {
    if ((err.statusCode ?? 500) >= 500) log.error({ event: 'http.error', status: err.statusCode, path: req.path() }, 'request failed');
    else log.warn({ event: 'http.refused', status: err.statusCode, path: req.path() }, 'request refused');
    cb();
  });

  return {
    server,
    inFlight: () => inFlight,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve({ port: address.port, url: `http://${host}:${address.port}` });
        });
      }),
    close: async (timeoutMs) => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      if (inFlight > 0) {
        await withTimeout(new Promise<void>((resolve) => (draining = resolve)), timeoutMs).catch(() => {
          log.warn({ event: 'shutdown.timeout', inFlight }, 'in-flight turns did not finish in time');
        });
      }
      // Idle keep-alive connections would keep server.close() waiting.
      (server.server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await withTimeout(stopped, timeoutMs).catch(() => undefined);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
