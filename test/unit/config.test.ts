import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const GUID = '12345678-1234-1234-1234-123456789abc';

describe('config', () => {
  it('has working defaults for local development', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({ env: 'development', host: '127.0.0.1', port: 3978, dataDir: './data', timeZone: 'Europe/Amsterdam' });
    expect(r.config.redisUrl).toBeUndefined();
    expect(r.config.auth).toBeUndefined();
  });

  it('treats empty variables as unset (as env files often leave them)', () => {
    const r = loadConfig({ REDIS_URL: '', MICROSOFT_APP_ID: ' ', PORT: '' });
    expect(r.ok && r.config.port).toBe(3978);
    expect(r.ok && r.config.redisUrl).toBeUndefined();
  });

  it('turns auth on only with both app id and secret, and reports the missing half', () => {
    const on = loadConfig({ MICROSOFT_APP_ID: GUID, MICROSOFT_APP_PASSWORD: 's3cret', MICROSOFT_APP_TENANT_ID: GUID });
    expect(on.ok && on.config.auth).toEqual({ appId: GUID, appPassword: 's3cret', appTenantId: GUID });
    expect(on.ok && on.config.tenantId).toBe(GUID);
    const half = loadConfig({ MICROSOFT_APP_ID: GUID });
    expect(half.ok).toBe(false);
    expect(!half.ok && half.problems).toEqual(['MICROSOFT_APP_PASSWORD: is verplicht als MICROSOFT_APP_ID is gezet']);
  });

  it('reports every problem on its own line', () => {
    const r = loadConfig({ PORT: '70000', REDIS_URL: 'http://x', MICROSOFT_APP_TENANT_ID: 'not-a-guid', LOG_LEVEL: 'loud' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const keys = r.problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual(['LOG_LEVEL', 'MICROSOFT_APP_TENANT_ID', 'PORT', 'REDIS_URL']);
  });

  it('demands credentials, tenant, Redis and an explicit directory in production', () => {
    const r = loadConfig({ NODE_ENV: 'production' });
    expect(!r.ok && r.problems).toEqual(
      expect.arrayContaining([
        'MICROSOFT_APP_ID: is verplicht in productie (NODE_ENV=production)',
        'MICROSOFT_APP_PASSWORD: is verplicht in productie (NODE_ENV=production)',
        'MICROSOFT_APP_TENANT_ID: is verplicht in productie (NODE_ENV=production)',
        'REDIS_URL: is verplicht in productie (NODE_ENV=production)',
        'DIRECTORY_FILE: is verplicht in productie (NODE_ENV=production)',
      ]),
    );
    const full = loadConfig({
      NODE_ENV: 'production',
      MICROSOFT_APP_ID: GUID,
      MICROSOFT_APP_PASSWORD: 'x',
      MICROSOFT_APP_TENANT_ID: GUID,
      REDIS_URL: 'rediss://cache.example:6380',
      DIRECTORY_FILE: '/etc/overlastbot/directory.yaml',
    });
    expect(full.ok).toBe(true);
  });

  it('keeps closed cases 12 months unless RETENTION_MONTHS says otherwise (1–120)', () => {
    const dflt = loadConfig({});
    expect(dflt.ok && dflt.config.retentionMonths).toBe(12);
    const set = loadConfig({ RETENTION_MONTHS: '24' });
    expect(set.ok && set.config.retentionMonths).toBe(24);
    for (const bad of ['0', '121', 'twaalf', '1.5']) {
      const r = loadConfig({ RETENTION_MONTHS: bad });
      expect(!r.ok && r.problems.map((p) => p.split(':')[0]), bad).toEqual(['RETENTION_MONTHS']);
    }
  });

  it('lets TENANT_ID override the accepted tenant', () => {
    const other = '22222222-2222-2222-2222-222222222222';
    const r = loadConfig({ TENANT_ID: other });
    expect(r.ok && r.config.tenantId).toBe(other);
  });
});
