/**
 * Named backoff strategies for jobs whose handler threw (a fault: network error, 5xx without
 * Retry-After). A handler that knows how long to wait (a 429's Retry-After) returns
 * `{ status: 'retry', delayMs }` instead and no strategy is involved.
 *
 * Jitter matters for proactive notices: after a Teams outage every queued notice fails at once; the
 * same fixed delay would bring them back at once too, straight into the 50 req/s per-tenant limit.
 */

/** Delay in ms before the next attempt, given the attempt that just failed (1 for the first). */
export type BackoffStrategy = (attempt: number) => number;

export type BackoffName = 'exponential-jitter' | 'exponential' | 'fixed';

export interface BackoffOptions {
  type: BackoffName;
  /** First delay (exponential) or every delay (fixed). */
  baseMs: number;
  /** Upper bound of any delay (exponential strategies); default 15 minutes. */
  capMs?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { type: 'exponential-jitter', baseMs: 2_000, capMs: 15 * 60_000 };

const DEFAULT_CAP_MS = 15 * 60_000;

/** base, 2·base, 4·base, … up to cap. */
export function exponential(attempt: number, baseMs: number, capMs: number = DEFAULT_CAP_MS): number {
  requireAttempt(attempt);
  // 2 ** 1075 is Infinity; min() keeps it at cap and avoids a NaN from Infinity * 0.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 64));
}

/**
 * "Equal jitter": half of the exponential delay fixed, half random. Unlike full jitter it never
 * retries immediately, so a throttled endpoint always gets at least half the intended pause.
 */
export function exponentialJitter(
  attempt: number,
  baseMs: number,
  capMs: number = DEFAULT_CAP_MS,
  random: () => number = Math.random,
): number {
  const ceiling = exponential(attempt, baseMs, capMs);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function fixed(attempt: number, delayMs: number): number {
  requireAttempt(attempt);
  return delayMs;
}

/** Turns options into a strategy; an unknown name is a wiring error and throws right away. */
export function backoffStrategy(options: BackoffOptions | BackoffStrategy = DEFAULT_BACKOFF): BackoffStrategy {
  if (typeof options === 'function') return options;
  const { type, baseMs, capMs = DEFAULT_CAP_MS } = options;
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError(`backoff: baseMs must be >= 0, got ${baseMs}`);
  if (!Number.isFinite(capMs) || capMs < baseMs) throw new RangeError(`backoff: capMs must be >= baseMs, got ${capMs}`);
  switch (type) {
    case 'exponential-jitter':
      return (attempt) => exponentialJitter(attempt, baseMs, capMs);
    case 'exponential':
      return (attempt) => exponential(attempt, baseMs, capMs);
    case 'fixed':
      return (attempt) => fixed(attempt, baseMs);
    default:
      throw new Error(`Unknown backoff strategy ${JSON.stringify(type)} (expected exponential-jitter, exponential or fixed)`);
  }
}

function requireAttempt(attempt: number): void {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoff: attempt must be an integer >= 1, got ${attempt}`);
}
