import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('heap tuning (src/runtime.ts)', () => {
  it('sets a flag that the V8 of this Node knows (an unknown one would be ignored at run time)', () => {
    const run = (flag: string) => spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
    expect(run('--heap-growing-percent=100').status).toBe(0);
    // The check can fail: Node refuses a flag its V8 does not have.
    const unknown = run('--heap-growing-percentage=100');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/bad option/);
  });

  it('takes HEAP_GROWING_PERCENT from the environment: 0 (V8 own choice) by default, at most 400', () => {
    const value = (env: Record<string, string>) => {
      const r = loadConfig(env);
      return r.ok ? r.config.heapGrowingPercent : r.problems;
    };
    expect(value({})).toBe(0);
    expect(value({ HEAP_GROWING_PERCENT: '100' })).toBe(100);
    expect(value({ HEAP_GROWING_PERCENT: '250' })).toBe(250);
    expect(value({ HEAP_GROWING_PERCENT: '401' })).toEqual([expect.stringMatching(/^HEAP_GROWING_PERCENT: /)]);
    expect(value({ HEAP_GROWING_PERCENT: 'veel' })).toEqual([expect.stringMatching(/^HEAP_GROWING_PERCENT: /)]);
  });
});
