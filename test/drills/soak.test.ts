import { describe, expect, it } from 'vitest';
import { DRILLS } from '../../bench/drills.js';
import { formatDrill } from '../../bench/drills/common.js';

/**
 * Smoke version of the soak drill from `npm run drills` (docs/RELIABILITY.md):
 * real processes, small sizes, correctness only (no timing is asserted).
 */
describe('drill smoke: soak', () => {
  it('soak: every check passes', async () => {
    const result = await DRILLS['soak'].smoke();
    expect(result.checks.filter((c) => !c.pass), formatDrill(result)).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(3);
  }, 120_000);
});
