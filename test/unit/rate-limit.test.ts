import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/app/rate-limit.js';

describe('RateLimiter', () => {
  it('allows `limit` actions per window per user, then refuses until the window slides', () => {
    const rl = new RateLimiter(3, 60_000);
    const t0 = 1_000_000;
    expect([0, 1, 2].map((i) => rl.tryTake('a', t0 + i))).toEqual([true, true, true]);
    expect(rl.tryTake('a', t0 + 10)).toBe(false);
    // Another user is not affected.
    expect(rl.tryTake('b', t0 + 10)).toBe(true);
    // Exactly one window after the first action it has left the window.
    expect(rl.tryTake('a', t0 + 60_000)).toBe(true);
    expect(rl.tryTake('a', t0 + 60_001)).toBe(true);
    expect(rl.tryTake('a', t0 + 60_002)).toBe(true);
    expect(rl.tryTake('a', t0 + 60_003)).toBe(false);
  });

  it('does not count refused actions, so a client hammering the bot is let in again after the window', () => {
    const rl = new RateLimiter(1, 1000);
    expect(rl.tryTake('a', 0)).toBe(true);
    for (let t = 1; t < 1000; t += 100) expect(rl.tryTake('a', t)).toBe(false);
    expect(rl.tryTake('a', 1000)).toBe(true);
  });

  it('is off with limit 0', () => {
    const rl = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(rl.tryTake('a', i)).toBe(true);
  });
});

describe('RateLimiter: property', () => {
  it('never lets one user through more than `limit` times in any window, whatever the timing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 10, max: 1000 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 200 })), { maxLength: 200 }),
        (limit, windowMs, steps) => {
          const rl = new RateLimiter(limit, windowMs);
          let now = 0;
          const accepted: Record<string, number[]> = { a: [], b: [] };
          for (const [user, gap] of steps) {
            now += gap;
            if (rl.tryTake(user, now)) accepted[user]!.push(now);
          }
          for (const times of Object.values(accepted)) {
            for (let i = limit; i < times.length; i++) expect(times[i]! - times[i - limit]!).toBeGreaterThanOrEqual(windowMs);
          }
        },
      ),
    );
  });
});
