import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports.js';
import { RedisStore } from '../../src/store/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { requireRedisUrl } from '../support/redis-url.js';
import { storeContract, type StoreFixture } from './store.contract.js';

const redisUrl = requireRedisUrl;

/** Every test gets its own key prefix on the shared server; this removes its keys afterwards. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

async function redisFixture(): Promise<StoreFixture> {
  const url = redisUrl();
  const prefix = `test:${randomUUID()}:`;
  let current: Store = await RedisStore.connect(url, { prefix });
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await RedisStore.connect(url, { prefix });
      return current;
    },
    async cleanup() {
      await current.close();
      await deleteKeys(url, prefix);
    },
  };
}

storeContract('redis', redisFixture);

describe('RedisStore', () => {
  it('keeps every key under its prefix', async () => {
    const url = redisUrl();
    const prefix = `test:${randomUUID()}:`;
    const store = await RedisStore.connect(url, { prefix });
    const spy = new Redis(url);
    try {
      await store.commit([
        { op: 'put', key: 'doc', value: 1 },
        { op: 'index', index: 'ix', member: 'm', score: 1 },
        { op: 'append', log: 'log', entry: { a: 1 } },
      ]);
      await store.nextSeq('seq');
      const keys = (await spy.keys(`${prefix}*`)).sort();
      expect(keys).toEqual([`${prefix}doc:doc`, `${prefix}idx:ix`, `${prefix}log:log`, `${prefix}meta:etag`, `${prefix}seq:seq`]);
    } finally {
      await store.close();
      await spy.quit();
      await deleteKeys(url, prefix);
    }
  });

  it('is safe across instances: 20 concurrent commits via two connections, exactly one wins', async () => {
    const url = redisUrl();
    const prefix = `test:${randomUUID()}:`;
    const one = await RedisStore.connect(url, { prefix });
    const two = await RedisStore.connect(url, { prefix });
    try {
      const created = await one.commit([{ op: 'put', key: 'case', value: { owner: null } }]);
      if (!created.ok) throw new Error('setup failed');
      const etag = created.etags.case!;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? one : two).commit([
            { op: 'put', key: 'case', value: { owner: i }, ifEtag: etag },
            { op: 'append', log: 'audit', entry: { owner: i } },
          ]),
        ),
      );
      const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
      expect(winners).toHaveLength(1);
      expect((await two.get('case'))?.value).toEqual({ owner: winners[0] });
      expect(await one.readLog('audit', -Infinity, Infinity)).toHaveLength(1);
    } finally {
      await one.close();
      await two.close();
      await deleteKeys(url, prefix);
    }
  });

  it('fails fast while Redis is down and recovers by itself when it is back', async () => {
    const server = await startRedisServer();
    const store = await RedisStore.connect(server.url, { prefix: 'outage:' });
    const state = () => store.ping().then(
      () => 'up',
      () => 'down',
    );
    try {
      expect((await store.commit([{ op: 'put', key: 'before', value: 1 }])).ok).toBe(true);
      await expect(store.ping()).resolves.toBeUndefined();

      server.kill9();
      await expect.poll(state, { timeout: 10_000, interval: 50 }).toBe('down');
      // Calls reject instead of queueing until Redis comes back.
      await expect(store.commit([{ op: 'put', key: 'during', value: 1 }])).rejects.toThrow();
      await expect(store.get('before')).rejects.toThrow();
      await expect(store.nextSeq('n')).rejects.toThrow();

      await server.restart();
      await expect.poll(state, { timeout: 10_000, interval: 50 }).toBe('up');
      // The restarted server has no data and no cached script: commit must load the script again.
      const after = await store.commit([{ op: 'put', key: 'after', value: 2, ifAbsent: true }]);
      expect(after.ok).toBe(true);
      expect((await store.get('after'))?.value).toBe(2);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('sends the commands of one tick in two writes (the first at once, then the rest), also after a reconnect, each answered in order', async () => {
    const server = await startRedisServer();
    const store = await RedisStore.connect(server.url, { prefix: 'batch:' });
    const spy = new Redis(server.url);
    // Redis counts the reads it does on its sockets: one per batch of commands that arrived together.
    const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await spy.info('stats'))![1]);
    const oneTick = async () => {
      await store.commit(Array.from({ length: 100 }, (_, i) => ({ op: 'put' as const, key: `k${i}`, value: i })));
      const before = await reads();
      const values = await Promise.all(Array.from({ length: 100 }, (_, i) => store.get<number>(`k${i}`)));
      const after = await reads();
      expect(values.map((v) => v?.value)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // The spy's own INFO is one read; 100 separate writes would be tens.
      return after - before;
    };
    try {
      expect(await oneTick()).toBeLessThanOrEqual(4);
      server.kill9();
      await expect.poll(() => store.ping().then(() => 'up', () => 'down'), { timeout: 10_000, interval: 50 }).toBe('down');
      await server.restart();
      await expect.poll(() => store.ping().then(() => 'up', () => 'down'), { timeout: 10_000, interval: 50 }).toBe('up');
      await expect.poll(() => spy.ping().then(() => 'up', () => 'down'), { timeout: 10_000, interval: 50 }).toBe('up');
      expect(await oneTick()).toBeLessThanOrEqual(4);
    } finally {
      spy.disconnect();
      await store.close();
      await server.stop();
    }
  });

  it('connect rejects with a clear message when Redis cannot be reached', async () => {
    const server = await startRedisServer();
    const { url } = server;
    await server.stop();
    await expect(RedisStore.connect(url, { connectTimeoutMs: 500 })).rejects.toThrow(/RedisStore: cannot connect to redis:\/\/127\.0\.0\.1/);
  });

  it('never puts the password of the URL in an error message', async () => {
    const server = await startRedisServer();
    const url = server.url.replace('redis://', 'redis://user:s3cret@');
    await server.stop();
    const error = await RedisStore.connect(url, { connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('s3cret');
  });
});
