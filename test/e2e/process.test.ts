import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { botNodeArgs } from '../../bench/support/proc.js';
import { requireRedisUrl } from '../support/redis-url.js';

/** `npm start` as an operator runs it: a real child process, its console output and exit code. */

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(env: Record<string, string>): Started {
  // With npm start's command-line flags (its heap budget), as the bench and the drills start the bot.
  const child = spawn(process.execPath, [...botNodeArgs(), '--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DIRECTORY_FILE: 'test/fixtures/directory.yaml', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForLine(s: Started, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = pattern.exec(s.stdout());
    if (m) return m;
    if (s.child.exitCode !== null) throw new Error(`exited ${s.child.exitCode}: ${s.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${s.stdout()} stderr: ${s.stderr()}`);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'overlastbot-proc-'));

describe('npm start (src/main.ts as a process)', () => {
  it('prints one listening line on the embedded store, answers /healthz and stops cleanly on SIGTERM', async () => {
    const dataDir = tmp();
    const s = run({ PORT: '0', DATA_DIR: dataDir });
    const m = await waitForLine(s, /luistert op (http:\/\/127\.0\.0\.1:(\d+)) — opslag: embedded \((.+)\) — Bot Framework-authenticatie: uit/);
    expect(s.stdout().trim().split('\n')).toHaveLength(1);
    expect((await fetch(`${m[1]}/healthz`)).status).toBe(200);
    expect((await fetch(`${m[1]}/readyz`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uses Redis when REDIS_URL is set', async () => {
    const redisUrl = requireRedisUrl();
    const s = run({ PORT: '0', REDIS_URL: redisUrl });
    const m = await waitForLine(s, /luistert op (http:\/\/127\.0\.0\.1:\d+) — opslag: Redis/);
    const ready = await fetch(`${m[1]}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ store: 'redis' });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('refuses invalid configuration with one clear line per problem and no stack trace', async () => {
    const s = run({ PORT: 'abc', REDIS_URL: 'localhost:6379', TIME_ZONE: 'Mars/Olympus' });
    expect(await s.exited).toBe(2);
    const err = s.stderr();
    expect(err).toContain('Ongeldige configuratie');
    expect(err).toMatch(/PORT: /);
    expect(err).toMatch(/REDIS_URL: /);
    expect(err).toMatch(/TIME_ZONE: onbekende tijdzone/);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('refuses to start in production without app id, secret, tenant and Redis', async () => {
    const s = run({ NODE_ENV: 'production', PORT: '0' });
    expect(await s.exited).not.toBe(0);
    const err = s.stderr();
    for (const key of ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID', 'REDIS_URL']) {
      expect(err).toContain(`${key}: is verplicht in productie`);
    }
  });

  it('refuses a broken directory file, naming the line and field', async () => {
    const dir = tmp();
    const file = join(dir, 'dir.yaml');
    writeFileSync(
      file,
      [
        'organisations:',
        '  - { id: politie, name: Politie, kind: politie, covenant: true }',
        'districts:',
        '  - { id: crabbehof, name: Crabbehof }',
        'users:',
        '  - id: u-1',
        '    name: Iemand',
        '    organisation: brandweer',
        '    roles: [partner]',
      ].join('\n'),
    );
    const s = run({ PORT: '0', DATA_DIR: dir, DIRECTORY_FILE: file });
    expect(await s.exited).toBe(2);
    expect(s.stderr()).toContain('regel 8 (users[0].organisation): onbekende organisatie "brandweer"');
    rmSync(dir, { recursive: true, force: true });
  });
});
