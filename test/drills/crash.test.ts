import { describe, expect, it } from 'vitest';
import { DRILLS } from '../../bench/drills.js';
import { formatDrill } from '../../bench/drills/common.js';

/**
 * Smoke version of the crash drill (kill -9 under load, restart) from `npm run drills` (docs/RELIABILITY.md):
 * real processes, small sizes, correctness only (no timing is asserted).
 */
describe('drill smoke: crash', () => {
  it('crash-embedded: every check passes', async () => {
    const result = await DRILLS['crash-embedded'].smoke();
    expect(result.checks.filter((c) => !c.pass), formatDrill(result)).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(3);
  }, 120_000);
  it('crash-redis: every check passes', async () => {
    const result = await DRILLS['crash-redis'].smoke();
    expect(result.checks.filter((c) => !c.pass), formatDrill(result)).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(3);
  }, 120_000);
});
