import { inject } from 'vitest';
import { REDIS_SERVER_MISSING } from './redis-server.js';

/**
 * The URL of the run's redis-server (started by test/support/global-setup.ts). Fails — never skips —
 * when the run has none: a skipped test would hide the gap.
 */
export function requireRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(`No redis-server in this run (see the warning at the start of the run). ${REDIS_SERVER_MISSING}`);
  return url;
}
