import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Config } from '../config.js';
import { reuseConnectorClients } from './connector-clients.js';

/**
 * The Bot Connector transport for proactive sends (the outbox's deliveries).
 *
 * Bot Framework's HTTP client retries 408, 429 and 5xx answers on its own — up to three times,
 * sleeping through Retry-After inside the call — before the caller learns anything. For proactive
 * notices the durable outbox owns retries: persisted across restarts, capped, paced, reported to the
 * case's director, and honouring Retry-After without holding a worker. So this transport hands every
 * answer the client would retry straight back, as an error with the status and Retry-After that
 * `deliveryFailure` (src/teams/messenger.ts) reads (`statusCode`, `retryAfterMs`). Other answers (2xx, 403, 404, other 4xx) are
 * returned to the client as usual. Replies within a turn keep the client's own behaviour.
 */

/**
 * Thrown for answers the outbox retries; not a RestError, so the client's retry policy lets it pass.
 * It has no `response` on purpose: the client would try to deserialize one.
 */
export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
  readonly statusCode: number;
  /** From Retry-After (seconds or an HTTP date), when the answer had one. */
  readonly retryAfterMs?: number;

  constructor(status: number, retryAfter: string | null, body: string, now = Date.now()) {
    super(`Bot Connector answered ${status}: ${body.slice(0, 150)}`);
    this.statusCode = status;
    const ms = parseRetryAfter(retryAfter, now);
    if (ms !== undefined) this.retryAfterMs = ms;
  }
}

/** Retry-After is delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only a date with a month name and a time ("Wed, 21 Oct 2026 07:28:00 GMT" and the obsolete forms):
  // Date.parse also reads "-5" or "1.5" as dates, which would turn garbage into "retry now".
  if (!/[a-z]{3}/i.test(v) || !/\d{1,2}:\d{2}/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Statuses Bot Framework's client would retry by itself (408, 429, 5xx). */
function clientWouldRetry(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

type RawHeaders = Record<string, string>;

/** The compat headers object the Bot Framework client expects (core-http's HttpHeadersLike). */
function headersLike(raw: RawHeaders) {
  const lower = (n: string) => n.toLowerCase();
  const map = new Map(Object.entries(raw).map(([k, v]) => [lower(k), { name: k, value: v }]));
  const self = {
    set: (name: string, value: string | number) => void map.set(lower(name), { name, value: String(value) }),
    get: (name: string) => map.get(lower(name))?.value,
    contains: (name: string) => map.has(lower(name)),
    remove: (name: string) => map.delete(lower(name)),
    rawHeaders: (): RawHeaders => Object.fromEntries([...map.entries()].map(([k, h]) => [k, h.value])),
    headersArray: () => [...map.values()],
    headerNames: () => [...map.keys()],
    headerValues: () => [...map.values()].map((h) => h.value),
    toJson: (options?: { preserveCase?: boolean }): RawHeaders =>
      Object.fromEntries([...map.entries()].map(([k, h]) => [options?.preserveCase ? h.name : k, h.value])),
    clone: () => headersLike(self.rawHeaders()),
  };
  return self;
}

interface WebResourceLike {
  url: string;
  method: string;
  headers: { rawHeaders(): RawHeaders };
  body?: unknown;
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function proactiveHttpClient(fetchImpl: typeof fetch = fetch) {
  return {
    async sendRequest(request: WebResourceLike) {
      const body = request.body === undefined || request.body === null ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers.rawHeaders(),
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(request.timeout && request.timeout > 0 ? request.timeout : DEFAULT_TIMEOUT_MS),
      });
      const bodyAsText = await response.text();
      if (clientWouldRetry(response.status)) throw new TransientDeliveryError(response.status, response.headers.get('retry-after'), bodyAsText);
      return { request, status: response.status, bodyAsText, headers: headersLike(Object.fromEntries(response.headers.entries())) };
    },
  };
}

/** An adapter like the bot's (same credentials), used only to send proactive messages. */
export function createProactiveAdapter(config: Pick<Config, 'auth'>): TeamsAdapter {
  const options = { httpClient: proactiveHttpClient() } as unknown as ConstructorParameters<typeof TeamsAdapter>[3];
  const adapter = config.auth
    ? new TeamsAdapter(
        {
          MicrosoftAppId: config.auth.appId,
          MicrosoftAppPassword: config.auth.appPassword,
          MicrosoftAppType: config.auth.appTenantId ? 'SingleTenant' : 'MultiTenant',
          ...(config.auth.appTenantId ? { MicrosoftAppTenantId: config.auth.appTenantId } : {}),
        },
        undefined,
        undefined,
        options,
      )
    : new TeamsAdapter(undefined, undefined, undefined, options);
  // One connector client per service URL for all deliveries, not one per notice (connector-clients.ts).
  reuseConnectorClients(adapter);
  return adapter;
}
