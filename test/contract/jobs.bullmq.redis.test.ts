import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BullMqJobs, toBullMqId } from '../../src/jobs/bullmq.js';
import { openJobs } from '../../src/jobs/index.js';
import { systemClock } from '../../src/ports.js';
import { RedisStore } from '../../src/store/redis.js';
import { requireRedisUrl } from '../support/redis-url.js';
import { jobsContract, type JobsFixture, type JobsFixtureOptions } from './jobs.contract.js';

const redisUrl = requireRedisUrl;

/** Every test gets its own BullMQ prefix on the shared server; this removes its keys afterwards. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function bullMqFixture(options: JobsFixtureOptions): Promise<JobsFixture> {
  const url = redisUrl();
  const prefix = `test-jobs-${randomUUID()}`;
  let live: BullMqJobs[] = [];
  const create = (): BullMqJobs => {
    const jobs = new BullMqJobs({ ...options, redisUrl: url, prefix, concurrency: 4 });
    live.push(jobs);
    return jobs;
  };
  const stopAll = async () => {
    await Promise.all(live.map((jobs) => jobs.stop()));
    live = [];
  };
  return {
    jobs: create(),
    now: () => new Date(),
    // BullMQ runs on Redis' and the workers' real time.
    advance: (ms) => sleep(ms),
    async restart() {
      await stopAll();
      return create();
    },
    async twin() {
      return create();
    },
    async cleanup() {
      await stopAll();
      await deleteKeys(url, prefix);
    },
  };
}

jobsContract('bullmq on redis', bullMqFixture);

describe('BullMqJobs', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function jobsWithPrefix(extra: Partial<ConstructorParameters<typeof BullMqJobs>[0]> = {}) {
    const url = redisUrl();
    const prefix = `test-jobs-${randomUUID()}`;
    const jobs = new BullMqJobs({ redisUrl: url, prefix, ...extra });
    cleanups.push(() => deleteKeys(url, prefix));
    cleanups.push(() => jobs.stop());
    return { jobs, url, prefix };
  }

  it('keeps every key under its prefix', async () => {
    const { jobs, url, prefix } = jobsWithPrefix();
    jobs.register('notice', async () => ({ status: 'done' }));
    await jobs.start();
    await jobs.enqueue({ id: 'notice:1', type: 'notice', payload: {}, runAt: new Date(Date.now() + 60_000) });
    const spy = new Redis(url);
    try {
      const keys = await spy.keys('*');
      const ours = keys.filter((key) => key.startsWith(`${prefix}:`));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.some((key) => key.endsWith(`:${toBullMqId('notice:1')}`))).toBe(true);
    } finally {
      await spy.quit();
    }
  });

  it('keeps a failed job in Redis with its reason, for reporting', async () => {
    const { jobs, url, prefix } = jobsWithPrefix({ maxAttempts: 1 });
    jobs.register('notice', async () => ({ status: 'failed', reason: '403 MessageWritesBlocked' }));
    await jobs.start();
    await jobs.enqueue({ id: 'notice:gone', type: 'notice', payload: { userId: 'aad-9' } });
    const queue = new Queue('jobs', { connection: { url }, prefix });
    try {
      await vi.waitFor(
        async () => {
          const [failed] = await queue.getFailed();
          expect(failed?.failedReason).toBe('403 MessageWritesBlocked');
          expect(failed?.data).toMatchObject({ id: 'notice:gone', payload: { userId: 'aad-9' } });
        },
        { timeout: 10_000, interval: 20 },
      );
    } finally {
      await queue.close();
    }
  });

  it('two instances share one sliding window: no more than `max` starts in any `durationMs`, counted over both', async () => {
    const limiter = { max: 4, durationMs: 1_000 };
    const { jobs, url, prefix } = jobsWithPrefix({ limiter, pacedTypes: ['notice'] });
    const twin = new BullMqJobs({ redisUrl: url, prefix, limiter, pacedTypes: ['notice'] });
    cleanups.push(() => twin.stop());
    const starts: number[] = [];
    for (const instance of [jobs, twin]) {
      instance.register('notice', async () => {
        starts.push(performance.now());
        return { status: 'done' };
      });
      await instance.start();
    }
    // A trickle first (the window fills over 600 ms), then a burst: a fixed window (BullMQ's own
    // limiter: a counter that expires a second after its first run) would let the burst's first
    // four start at once when it expires — five starts within 400 ms.
    const total = 3 * limiter.max;
    for (let i = 0; i < total; i++) {
      await (i % 2 ? twin : jobs).enqueue({ id: `shared-${i}`, type: 'notice', payload: {} });
      if (i < limiter.max) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await vi.waitFor(() => expect(starts).toHaveLength(total), { timeout: 15_000, interval: 20 });
    starts.sort((a, b) => a - b);
    // Any max + 1 consecutive starts span a window (minus timer slack).
    for (let i = limiter.max; i < starts.length; i++) expect(starts[i]! - starts[i - limiter.max]!).toBeGreaterThanOrEqual(limiter.durationMs - 50);
    // And the pace is the limit, not slower: twelve starts at four a second take about two seconds.
    expect(starts.at(-1)! - starts[0]!).toBeLessThan(3 * limiter.durationMs);
  });

  it('a notice retried after a throttle goes before the fresh ones once its delay is over', async () => {
    // Two runs a second: eight fresh notices take four seconds; the first one is throttled once.
    const { jobs } = jobsWithPrefix({ limiter: { max: 2, durationMs: 1_000 }, pacedTypes: ['notice'], concurrency: 1 });
    const runs: string[] = [];
    jobs.register('notice', async (run) => {
      runs.push(`${run.id}#${run.attempt}`);
      return run.id === 'n0' && run.attempt === 1 ? { status: 'retry', delayMs: 200, reason: '429' } : { status: 'done' };
    });
    await jobs.start();
    for (let i = 0; i < 8; i++) await jobs.enqueue({ id: `n${i}`, type: 'notice', payload: {} });
    await vi.waitFor(() => expect(runs).toHaveLength(9), { timeout: 15_000, interval: 50 });
    // BullMQ alone would put the retry behind every waiting notice (last); here it is among the first few.
    expect(runs.indexOf('n0#2')).toBeLessThan(5);
    expect(runs.filter((r) => r.endsWith('#1'))).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'].map((id) => `${id}#1`));
  });

  it('maps port ids one-to-one onto ids BullMQ accepts', () => {
    const ids = ['42', 'a:b', 'a%3Ab', 'a%253Ab', '', ':'];
    const mapped = ids.map(toBullMqId);
    expect(new Set(mapped).size).toBe(ids.length);
    for (const id of mapped) {
      expect(id).not.toContain(':');
      expect(`${parseInt(id, 10)}`).not.toBe(id);
    }
  });
});

describe('openJobs (Redis mode)', () => {
  it('chooses BullMQ when a Redis URL is configured', async () => {
    const url = redisUrl();
    const prefix = `test-jobs-${randomUUID()}`;
    const store = await RedisStore.connect(url, { prefix: `${prefix}:store:` });
    const jobs = openJobs({ store, clock: systemClock, redisUrl: ` ${url} `, prefix });
    try {
      expect(jobs.kind).toBe('bullmq');
    } finally {
      await jobs.stop();
      await store.close();
      await deleteKeys(url, prefix);
    }
  });
});
