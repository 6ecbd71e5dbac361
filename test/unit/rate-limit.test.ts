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
