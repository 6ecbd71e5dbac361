import http from 'node:http';
import https from 'node:https';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { startHarness, type Harness } from '../support/bot.js';
import { TEST_TENANT, actionExecute, installationUpdate, message, visibleText, type TestUser } from '../support/teams.js';

/**
 * Bot Framework authentication when credentials are set (MICROSOFT_APP_ID / _PASSWORD / _TENANT_ID).
 *
 * What botbuilder 4.23's CloudAdapter (teams-ai's TeamsAdapter) does, verified in
 * botframework-connector/lib/auth (parameterizedBotFrameworkAuthentication.js, jwtTokenExtractor.js):
 * - no Authorization header → AuthenticationError 401 before anything else (no network);
 * - a bearer token that is not a JWT with an allowed issuer → `hasAllowedIssuer` is false →
 *   "No valid identity" 401, again before the OpenID metadata is fetched;
 * - only a well-formed JWT with the Bot Framework issuer makes it fetch the signing keys from
 *   login.botframework.com. The last test shows that the outbound guard below catches that fetch
 *   (so "no outbound request" in the other tests is a real check), and refuses it: tests never
 *   reach the internet.
 */

const APP_ID = '0b0b0b0b-1111-4222-8333-444444444444';
const partner: TestUser = { aadObjectId: 'u-politie' };

/** Records (and refuses) every request that would leave the machine; loopback passes through. */
function guardOutbound() {
  const attempts: string[] = [];
  const isLoopback = (host: string | undefined) => !!host && /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(host.replace(/:\d+$/, ''));
  const hostOf = (args: unknown[]): string | undefined => {
    const first = args[0];
    if (typeof first === 'string' || first instanceof URL) return new URL(String(first)).hostname;
    const o = first as { hostname?: string; host?: string } | undefined;
    return o?.hostname ?? o?.host ?? undefined;
  };
  const refuse = (what: string): never => {
    attempts.push(what);
    throw new Error(`test: outbound request to ${what} refused (loopback only)`);
  };
  for (const mod of [http, https] as const) {
    for (const fn of ['request', 'get'] as const) {
      const original = mod[fn] as (...a: unknown[]) => unknown;
      vi.spyOn(mod, fn).mockImplementation(((...args: unknown[]) => {
        const host = hostOf(args);
        return mod === http && isLoopback(host) ? original.apply(mod, args) : refuse(host ?? 'unknown host');
      }) as never);
    }
  }
  const originalFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    return isLoopback(url.hostname) ? originalFetch(input, init) : refuse(url.hostname);
  });
  return attempts;
}

async function postWith(botUrl: string, activity: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => {
    const p = join(dir, name);
    const s = statSync(p);
    return sum + (s.isDirectory() ? dirBytes(p) : s.size);
  }, 0);
}

/** base64url JSON, for a JWT that decodes but is not signed. */
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('Bot Framework authentication with credentials set', () => {
  let h: Harness;
  let outbound: string[];
  beforeAll(async () => {
    h = await startHarness({ MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: 'test-secret-not-real', MICROSOFT_APP_TENANT_ID: TEST_TENANT });
  });
  afterAll(async () => h?.close());
  beforeEach(() => {
    h.stub.clear();
    outbound = guardOutbound();
  });
  afterEach(() => vi.restoreAllMocks());

  async function expectNothingHappened(before: { bytes: number; audit: number }) {
    expect(h.stub.posted).toHaveLength(0);
    expect(await h.bot.ctx.store.get('conv:u-politie')).toBeUndefined();
    // The identity gate never ran: not even an audit line, and no byte written to the store.
    expect((await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000)).length).toBe(before.audit);
    expect(dirBytes(h.dataDir)).toBe(before.bytes);
    expect(outbound).toEqual([]);
  }
  const snapshot = async () => ({ bytes: dirBytes(h.dataDir), audit: (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000)).length });

  it('runs with authentication on', () => {
    expect(h.config.auth?.appId).toBe(APP_ID);
  });

  it('answers 401 to a message without an Authorization header, and neither replies nor stores anything', async () => {
    const before = await snapshot();
    const logged = h.logs.length;
    const res = await postWith(h.bot.url, message(partner, h.stub.url, 'help'));
    expect(res.status).toBe(401);
    // Refused and logged, and the answer names no internals.
    expect(h.logs.slice(logged).join('')).toContain('"event":"activity.unauthenticated"');
    expect(res.body).toBe('{"error":"unauthorized"}');
    await expectNothingHappened(before);
  });

  it('answers 401 to an install and a card click without a token', async () => {
    const before = await snapshot();
    expect((await postWith(h.bot.url, installationUpdate(partner, h.stub.url))).status).toBe(401);
    expect((await postWith(h.bot.url, actionExecute(partner, h.stub.url, 'signal.submit', { district: 'crabbehof' }))).status).toBe(401);
    await expectNothingHappened(before);
  });

  it('answers 401 to a garbage bearer token and to another scheme, without fetching signing keys', async () => {
    const before = await snapshot();
    expect((await postWith(h.bot.url, message(partner, h.stub.url, 'help'), { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    expect((await postWith(h.bot.url, message(partner, h.stub.url, 'help'), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status).toBe(401);
    // A JWT-looking token from an issuer Bot Framework does not trust: refused on the issuer alone.
    const foreign = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'https://evil.example', aud: APP_ID })}.c2ln`;
    expect((await postWith(h.bot.url, message(partner, h.stub.url, 'help'), { authorization: `Bearer ${foreign}` })).status).toBe(401);
    await expectNothingHappened(before);
  });

  it('(control) a well-formed Bot Framework token would make botbuilder fetch its keys: the guard sees and refuses that', async () => {
    const before = await snapshot();
    const token = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: h.stub.url })}.c2ln`;
    const res = await postWith(h.bot.url, message(partner, h.stub.url, 'help'), { authorization: `Bearer ${token}` });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(outbound).toContain('login.botframework.com');
    expect(h.stub.posted).toHaveLength(0);
    expect(await h.bot.ctx.store.get('conv:u-politie')).toBeUndefined();
    expect(dirBytes(h.dataDir)).toBe(before.bytes);
  });
});

describe('the same activity without credentials (development)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('is accepted and answered: the 401 above comes from authentication, not from the activity', async () => {
    const res = await postWith(h.bot.url, message(partner, h.stub.url, 'help'));
    expect(res.status).toBe(200);
    expect(visibleText(h.stub.posted[0]!.activity)).toContain('Wat je kunt doen');
    expect(await h.bot.ctx.store.get('conv:u-politie')).toBeDefined();
  });
});
