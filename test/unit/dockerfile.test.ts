import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Docker cannot run here, so the Dockerfile is checked against what it must agree with: it runs what
 * `npm start` runs, installs the way that works (`npm ci` with dev dependencies), listens on all
 * interfaces, runs as a non-root user, and copies files that exist.
 */

const dockerfile = readFileSync('Dockerfile', 'utf8');
const lines = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const instructions = lines.map((l) => {
  const [keyword, ...rest] = l.split(/\s+/);
  return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
});
const index = (pred: (i: { keyword: string; args: string }) => boolean) => instructions.findIndex(pred);

describe('Dockerfile', () => {
  it('starts from Node 20 (slim Debian bookworm), as package.json requires', () => {
    expect(instructions[0]).toEqual({ keyword: 'FROM', args: 'node:20-bookworm-slim' });
    expect(JSON.parse(readFileSync('package.json', 'utf8')).engines.node).toBe('>=20');
  });

  it('runs exactly the command of `npm start`, with its heap settings, as the process that receives SIGTERM', () => {
    const start: string = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start;
    // `npm start` sets a default heap limit and young generation that NODE_OPTIONS from the environment can override.
    const parsed = /^NODE_OPTIONS="(--max-old-space-size=\d+ --max-semi-space-size=\d+) \$\{NODE_OPTIONS:-\}" (.+)$/.exec(start);
    expect(parsed, start).not.toBeNull();
    const [, heapLimit, command] = parsed!;
    const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1)!;
    const argv = JSON.parse(cmd.args) as string[]; // exec form: no shell in between
    const [bin, ...args] = command!.split(' ');
    expect(argv[0]).toBe(`/app/node_modules/.bin/${bin}`);
    expect(argv.slice(1)).toEqual(args);
    const env = instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(new RegExp(`\\bNODE_OPTIONS="${heapLimit}"(\\s|$)`));
  });

  it('installs with `npm ci` including dev dependencies, before NODE_ENV=production is set', () => {
    const install = index((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(install).toBeGreaterThan(0);
    expect(instructions[install]!.args).not.toMatch(/--omit|--only|--production/);
    const production = index((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args));
    expect(production).toBeGreaterThan(install);
  });

  it('listens on all interfaces and runs as a non-root user that owns DATA_DIR', () => {
    const env = instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    const dataDir = /\bDATA_DIR=(\S+)/.exec(env)?.[1];
    expect(dataDir).toBeDefined();
    const user = instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(dockerfile).toContain(`chown ${user}:${user} ${dataDir}`);
    expect(index((i) => i.keyword === 'USER')).toBeLessThan(index((i) => i.keyword === 'CMD'));
  });

  it('copies files that exist, including everything the bot reads at start', () => {
    const copied = instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const path of copied) expect(existsSync(path), path).toBe(true);
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'config']) expect(copied, needed).toContain(needed);
  });

  it('keeps local data, secrets and node_modules out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'data', '.env', '.git']) expect(ignored, entry).toContain(entry);
  });

  it('is what the README points to for running as a container', () => {
    expect(readFileSync('README.md', 'utf8')).toMatch(/\[`Dockerfile`\]\(Dockerfile\)/);
  });
});
