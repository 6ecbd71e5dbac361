import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { botNodeArgs, NPM_START_NODE_OPTIONS } from '../../bench/support/proc.js';

describe('heap tuning (src/runtime.ts)', () => {
  it('sets a flag that the V8 of this Node knows (an unknown one would be ignored at run time)', () => {
    const run = (flag: string) => spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
    expect(run('--heap-growing-percent=100').status).toBe(0);
    // The check can fail: Node refuses a flag its V8 does not have.
    const unknown = run('--heap-growing-percentage=100');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/bad option/);
  });

  it('takes HEAP_GROWING_PERCENT from the environment: 100 by default, 0 for V8 own choice, at most 400', () => {
    const value = (env: Record<string, string>) => {
      const r = loadConfig(env);
      return r.ok ? r.config.heapGrowingPercent : r.problems;
    };
    expect(value({})).toBe(100);
    expect(value({ HEAP_GROWING_PERCENT: '0' })).toBe(0);
    expect(value({ HEAP_GROWING_PERCENT: '100' })).toBe(100);
    expect(value({ HEAP_GROWING_PERCENT: '250' })).toBe(250);
    expect(value({ HEAP_GROWING_PERCENT: '401' })).toEqual([expect.stringMatching(/^HEAP_GROWING_PERCENT: /)]);
    expect(value({ HEAP_GROWING_PERCENT: 'veel' })).toEqual([expect.stringMatching(/^HEAP_GROWING_PERCENT: /)]);
  });

  it("npm start's flags give V8 a heap budget: no full collection while the old generation is small (as the bench starts its bots)", () => {
    // A process that promotes ~100 MB of garbage and exits; V8 prints each collection (--trace-gc)
    // as it happens. Counted: the full ones (Mark-Compact), during the allocation only (no idle
    // time in which V8's memory reducer could add one).
    const script = `let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 100000) keep = []; }`;
    const majors = (args: string[]) => {
      const run = spawnSync(process.execPath, [...args, '--trace-gc', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: NPM_START_NODE_OPTIONS } });
      expect(run.status, run.stderr).toBe(0);
      return run.stdout.split('\n').filter((line) => line.includes('Mark-Compact')).length;
    };
    const flags = botNodeArgs();
    expect(flags).toContain('--initial-old-space-size=256');
    expect(majors(flags)).toBe(0);
    // Without the floor, the same garbage under the same heap limit makes V8 collect.
    expect(majors([])).toBeGreaterThan(0);
  });
});
