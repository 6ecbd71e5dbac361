import { describe, expect, it } from 'vitest';
import { DRILLS } from '../../bench/drills.js';
import { formatDrill } from '../../bench/drills/common.js';

/**
 * Smoke version of the two-instances drill from `npm run drills` (docs/RELIABILITY.md):
 * real processes, small sizes, correctness only (no timing is asserted).
 */
describe('drill smoke: two-instances', () => {
  it('two-instances: every check passes', async () => {
    const result = await DRILLS['two-instances'].smoke();
    expect(result.checks.filter((c) => !c.pass), formatDrill(result)).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(3);
  }, 120_000);
});
