import { describe, expect, it } from 'vitest';
import { classifyDelivery } from '../../src/app/outbox-service.js';
import { deliveryFailure } from '../../src/teams/messenger.js';
import { parseRetryAfter, proactiveHttpClient, TransientDeliveryError } from '../../src/teams/proactive-transport.js';

/**
 * The delivery path of proactive notices below the outbox: how Retry-After is read (seconds or an
 * HTTP date), how the proactive transport hands retryable answers straight back instead of letting
 * the Bot Framework client sleep through them, and how an error becomes the DeliveryResult the
 * outbox classifies (403 / 404 fail at once, 429 / 5xx retry after the wait Teams asked for).
 */

const NOW = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an HTTP date as the time until then', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:30:00 GMT', NOW)).toBe(120_000);
  });

  it('a date in the past means: now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', NOW)).toBe(0);
  });

  it('nothing usable → undefined (the outbox then backs off with jitter)', () => {
    for (const v of [undefined, null, '', '   ', 'soon', '-5', '1.5', 'Tue, 99 Foo 2026 xx']) expect(parseRetryAfter(v, NOW)).toBeUndefined();
  });
});

describe('deliveryFailure: an error of the Bot Connector call → a DeliveryResult', () => {
  const restError = (statusCode: number | undefined, headers: Record<string, string> = {}, message = 'Bot Connector error') => {
    const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return Object.assign(new Error(message), { statusCode, response: { status: statusCode, headers: { get: (n: string) => h.get(n.toLowerCase()) } } });
  };

  it('403 (blocked, MessageWritesBlocked) → blocked, failed at once', () => {
    const r = deliveryFailure(restError(403, {}, 'User blocked the conversation with the bot.'));
    expect(r).toMatchObject({ ok: false, reason: 'blocked', status: 403, detail: 'User blocked the conversation with the bot.' });
    expect(classifyDelivery(r)).toEqual({ kind: 'failed', code: 'blocked', status: 403 });
  });

  it('404 (conversation not found) → not-found, failed at once', () => {
    const r = deliveryFailure(restError(404, {}, 'Conversation not found.'));
    expect(r).toMatchObject({ ok: false, reason: 'not-found', status: 404 });
    expect(classifyDelivery(r)).toEqual({ kind: 'failed', code: 'not-found', status: 404 });
  });

  it('429 with Retry-After in seconds or as an HTTP date → throttled, retried after that wait', () => {
    expect(deliveryFailure(restError(429, { 'Retry-After': '7' }))).toMatchObject({ reason: 'throttled', status: 429, retryAfterMs: 7_000 });
    const at = new Date(Date.now() + 60_000).toUTCString();
    const r = deliveryFailure(restError(429, { 'retry-after': at }));
    expect(r).toMatchObject({ reason: 'throttled', status: 429 });
    const ms = (r as { retryAfterMs?: number }).retryAfterMs!;
    expect(ms).toBeGreaterThan(58_000);
    expect(ms).toBeLessThanOrEqual(60_000);
    expect(classifyDelivery(r)).toMatchObject({ kind: 'retry', code: 'throttled', retryAfterMs: ms });
  });

  it("the proactive transport's TransientDeliveryError keeps its status and parsed Retry-After", () => {
    const e = new TransientDeliveryError(503, 'Wed, 21 Oct 2026 07:28:10 GMT', 'Service Unavailable', NOW);
    expect(e.statusCode).toBe(503);
    expect(e.retryAfterMs).toBe(10_000);
    const r = deliveryFailure(e);
    expect(r).toMatchObject({ ok: false, reason: 'error', status: 503, retryAfterMs: 10_000 });
    expect(classifyDelivery(r)).toEqual({ kind: 'retry', code: 'error', status: 503, retryAfterMs: 10_000 });
  });

  it('a network fault (no status) is retried; other 4xx are refused; the detail is short', () => {
    const net = deliveryFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(net).toEqual({ ok: false, reason: 'error', detail: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(classifyDelivery(net).kind).toBe('retry');
    const bad = deliveryFailure(restError(400, {}, 'x'.repeat(1000)));
    expect(bad).toMatchObject({ reason: 'error', status: 400 });
    expect((bad as { detail: string }).detail).toHaveLength(200);
    expect(classifyDelivery(bad)).toEqual({ kind: 'failed', code: 'rejected', status: 400 });
  });
});

describe('proactiveHttpClient: retryable answers go straight back to the outbox', () => {
  type Call = { url: string; init: RequestInit };
  const fakeFetch = (status: number, headers: Record<string, string> = {}, body = '{}') => {
    const calls: Call[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(status === 204 ? null : body, { status, headers });
    }) as unknown as typeof fetch;
    return { calls, client: proactiveHttpClient(fetchImpl) };
  };
  const request = (body?: unknown) => ({
    url: 'https://smba.example/v3/conversations/a%3A1/activities',
    method: 'POST',
    headers: { rawHeaders: () => ({ authorization: 'Bearer t', 'content-type': 'application/json' }) },
    ...(body !== undefined ? { body } : {}),
  });

  it('a 2xx is returned as the client expects it, with the request sent once as given', async () => {
    const { calls, client } = fakeFetch(201, { 'Content-Type': 'application/json', 'X-Trace': 'abc' }, '{"id":"activity-1"}');
    const res = await client.sendRequest(request({ type: 'message', text: 'hallo' }));
    expect(res.status).toBe(201);
    expect(res.bodyAsText).toBe('{"id":"activity-1"}');
    expect(res.headers.get('x-trace')).toBe('abc');
    expect(res.headers.get('X-TRACE')).toBe('abc');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.body).toBe('{"type":"message","text":"hallo"}');
    expect(calls[0]!.init.headers).toEqual({ authorization: 'Bearer t', 'content-type': 'application/json' });
    expect(calls[0]!.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('403 and 404 are answers, not errors: the client raises its own RestError for them', async () => {
    for (const status of [403, 404]) {
      const { calls, client } = fakeFetch(status, {}, '{"error":{"code":"ConversationNotFound"}}');
      const res = await client.sendRequest(request('{"type":"message"}'));
      expect(res.status).toBe(status);
      expect(res.bodyAsText).toContain('ConversationNotFound');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.init.body).toBe('{"type":"message"}');
    }
  });

  it('429 with an HTTP-date Retry-After throws TransientDeliveryError after ONE call (no sleeping retries)', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const { calls, client } = fakeFetch(429, { 'Retry-After': at }, '{"error":{"code":"Throttled"}}');
    const err = await client.sendRequest(request({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    const e = err as TransientDeliveryError;
    expect(e.statusCode).toBe(429);
    expect(e.retryAfterMs).toBeGreaterThan(28_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(e.message).toContain('Throttled');
    expect(calls).toHaveLength(1);
    expect(deliveryFailure(e)).toMatchObject({ reason: 'throttled', status: 429, retryAfterMs: e.retryAfterMs });
    expect(classifyDelivery(deliveryFailure(e))).toMatchObject({ kind: 'retry', code: 'throttled', status: 429 });
  });

  it('408 and 5xx throw too (seconds form of Retry-After); a body-less request sends no body', async () => {
    for (const status of [408, 500, 502, 503, 504]) {
      const { calls, client } = fakeFetch(status, { 'Retry-After': '3' });
      const err = (await client.sendRequest(request()).catch((e: unknown) => e)) as TransientDeliveryError;
      expect(err).toBeInstanceOf(TransientDeliveryError);
      expect(err.statusCode).toBe(status);
      expect(err.retryAfterMs).toBe(3_000);
      expect(calls).toHaveLength(1);
      expect('body' in calls[0]!.init).toBe(false);
    }
  });
});
