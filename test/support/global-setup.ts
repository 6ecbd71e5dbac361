import type { TestProject } from 'vitest/node';
import { REDIS_SERVER_MISSING, startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's redis-server; '' when it could not be started outside CI. */
    redisUrl: string;
  }
}

/**
 * One redis-server for the whole run (tests isolate themselves with unique key prefixes).
 * Without redis-server: in CI the run fails right here; locally the run goes on so that the other
 * tests give feedback, and every Redis test fails with a pointer to this message (never a skip:
 * a skipped test hides missing coverage).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const server = await startRedisServer();
    project.provide('redisUrl', server.url);
    return () => server.stop();
  } catch (error) {
    if (process.env.CI) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const banner = '!'.repeat(100);
    console.warn(
      `\n${banner}\n!! Could not start redis-server: ${message}\n` +
        `!! Every Redis test will FAIL in this run. ${message === REDIS_SERVER_MISSING ? '' : REDIS_SERVER_MISSING}\n${banner}\n`,
    );
    project.provide('redisUrl', '');
    return async () => undefined;
  }
}
