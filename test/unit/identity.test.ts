import { describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveActor, type IdentityPolicy, type IncomingIdentity } from '../../src/app/identity.js';
import { parseDirectory } from '../../src/domain/directory.js';
import { nl } from '../../src/i18n/nl.js';
import { createLogger } from '../../src/log.js';
import type { WriteOp } from '../../src/ports.js';

/**
 * resolveActor (src/app/identity.ts): who is talking. With Bot Framework auth on, only the Entra
 * object id counts; without it (local development, Playground) the channel user id `from.id` may
 * stand in. Every refusal is audited, and the audit line is the only thing stored.
 */

const TENANT = '11111111-2222-3333-4444-555555555555';
const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wm], hotspots: [Sumatraplein] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-wm, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-bh, name: Bea Beheerder, organisation: gemeente, roles: [beheerder] }
`);

/** Only what resolveActor touches: the directory, a log, and the store's commit (for audit lines). */
function context() {
  const committed: WriteOp[][] = [];
  const ctx = {
    directory,
    log: createLogger({ level: 'silent' }),
    store: {
      commit: async (ops: readonly WriteOp[]) => {
        committed.push([...ops]);
        return { ok: true as const, etags: {} };
      },
    },
  } as unknown as AppContext;
  const auditLines = () => committed.flat().filter((op) => op.op === 'append' && op.log === AUDIT_LOG).map((op) => (op as { entry: unknown }).entry);
  return { ctx, committed, auditLines };
}

const withAuth: IdentityPolicy = { tenantId: TENANT, allowChannelIdFallback: false };
const withoutAuth: IdentityPolicy = { tenantId: TENANT, allowChannelIdFallback: true };

/** What the Playground and some clients send: no `aadObjectId`, only the channel user id. */
const channelIdOnly: IncomingIdentity = { channelUserId: 'u-politie', tenantId: TENANT };

describe('resolveActor', () => {
  it('resolves a user by Entra object id, with or without auth, and stores nothing', async () => {
    for (const policy of [withAuth, withoutAuth]) {
      const { ctx, committed } = context();
      const result = await resolveActor(ctx, { aadObjectId: 'u-wm', channelUserId: '29:abc', tenantId: TENANT }, policy);
      expect(result).toMatchObject({ ok: true, actor: { id: 'u-wm', name: 'Willem Wijkmanager', roles: ['wijkmanager'] } });
      expect(committed).toEqual([]);
    }
  });

  it('without auth, accepts the channel user id (from.id) when there is no object id', async () => {
    const { ctx, committed } = context();
    const result = await resolveActor(ctx, channelIdOnly, withoutAuth);
    expect(result).toMatchObject({ ok: true, actor: { id: 'u-politie', organisation: { id: 'politie' } } });
    expect(committed).toEqual([]);
  });

  it('with auth, refuses the same activity (no-object-id): Dutch message naming the beheerder, one audit line', async () => {
    const { ctx, committed, auditLines } = context();
    const result = await resolveActor(ctx, channelIdOnly, withAuth);
    expect(result).toEqual({ ok: false, reason: 'no-object-id', message: nl.identity.unknownUser(['Bea Beheerder']) });
    if (!result.ok) expect(result.message).toContain('niet geregistreerd');
    expect(auditLines()).toEqual([{ actor: 'u-politie', action: 'bot.use', resource: 'system', outcome: 'refused', reason: 'no-object-id' }]);
    expect(committed).toHaveLength(1);
  });

  it('refuses an activity with neither id in both settings (no-object-id), audited as "onbekend"', async () => {
    for (const policy of [withAuth, withoutAuth]) {
      const { ctx, auditLines } = context();
      const result = await resolveActor(ctx, { tenantId: TENANT }, policy);
      expect(result).toMatchObject({ ok: false, reason: 'no-object-id' });
      expect(auditLines()).toEqual([expect.objectContaining({ actor: 'onbekend', outcome: 'refused', reason: 'no-object-id' })]);
    }
  });

  it('never lets from.id override the object id: the object id decides, also without auth', async () => {
    const { ctx, auditLines } = context();
    // A known channel id cannot rescue an unknown object id (no fallback when an object id is present).
    const result = await resolveActor(ctx, { aadObjectId: 'u-nobody', channelUserId: 'u-wm', tenantId: TENANT }, withoutAuth);
    expect(result).toMatchObject({ ok: false, reason: 'unknown-user' });
    expect(auditLines()).toEqual([expect.objectContaining({ actor: 'u-nobody', reason: 'unknown-user' })]);
  });

  it('refuses an unknown channel user id without auth (unknown-user), audited', async () => {
    const { ctx, auditLines } = context();
    const result = await resolveActor(ctx, { channelUserId: '29:someone-else', tenantId: TENANT }, withoutAuth);
    expect(result).toMatchObject({ ok: false, reason: 'unknown-user', message: expect.stringContaining('Bea Beheerder') });
    expect(auditLines()).toEqual([expect.objectContaining({ actor: '29:someone-else', outcome: 'refused', reason: 'unknown-user' })]);
  });

  it('checks the tenant before anything else (case-insensitively), in both settings', async () => {
    for (const policy of [withAuth, withoutAuth]) {
      const { ctx, auditLines } = context();
      expect(await resolveActor(ctx, { aadObjectId: 'u-wm', tenantId: TENANT.toUpperCase() }, policy)).toMatchObject({ ok: true });
      const other = await resolveActor(ctx, { aadObjectId: 'u-wm', tenantId: '99999999-8888-7777-6666-555555555555' }, policy);
      expect(other).toEqual({ ok: false, reason: 'wrong-tenant', message: nl.identity.wrongTenant });
      const none = await resolveActor(ctx, { aadObjectId: 'u-wm' }, policy);
      expect(none).toMatchObject({ ok: false, reason: 'wrong-tenant' });
      expect(auditLines()).toEqual([
        expect.objectContaining({ actor: 'u-wm', reason: 'wrong-tenant' }),
        expect.objectContaining({ actor: 'u-wm', reason: 'wrong-tenant' }),
      ]);
    }
  });
});
