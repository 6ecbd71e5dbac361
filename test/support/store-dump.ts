import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';

/**
 * Everything a store holds, for "this is gone everywhere" assertions (retention, erasure):
 * - `data`: every document (key and value) and every index (name and members), as text;
 * - `logs`: the append-only logs (audit, deletions), as text;
 * - `raw`: embedded mode — the files on disk (snapshot and journal) after a compaction;
 *   Redis mode — every key and value under the store's prefix.
 */
export interface StoreDump {
  data: string;
  logs: string;
  raw: string;
}

export async function dumpStore(store: Store, options: { dataDir?: string; redisUrl?: string } = {}): Promise<StoreDump> {
  if (store instanceof EmbeddedStore) {
    await store.compact();
    const snapshotFile = join(store.dir, 'snapshot.json');
    const journalFile = join(store.dir, 'journal.jsonl');
    const snapshotText = existsSync(snapshotFile) ? readFileSync(snapshotFile, 'utf8') : '';
    const journalText = existsSync(journalFile) ? readFileSync(journalFile, 'utf8') : '';
    const snapshot = JSON.parse(snapshotText) as { docs: [string, string, unknown][]; indexes: [string, [string, number][]][]; logs: [string, unknown[]][] };
    const data = [
      ...snapshot.docs.map(([k, , v]) => `${k}=${JSON.stringify(v)}`),
      ...snapshot.indexes.map(([name, entries]) => `${name}=${entries.map(([m]) => m).join(',')}`),
    ].join('\n');
    return { data, logs: JSON.stringify(snapshot.logs), raw: snapshotText + journalText };
  }
  if (store instanceof RedisStore) {
    if (!options.redisUrl) throw new Error('dumpStore: the Redis URL is needed');
    const client = new Redis(options.redisUrl, { lazyConnect: true });
    await client.connect();
    try {
      const data: string[] = [];
      const logs: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${store.prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of found) {
          const type = await client.type(key);
          if (type === 'hash') data.push(`${key}=${(await client.hget(key, 'v')) ?? ''}`);
          else if (type === 'zset') data.push(`${key}=${(await client.zrange(key, 0, -1)).join(',')}`);
          else if (type === 'stream') logs.push(`${key}=${JSON.stringify(await client.xrange(key, '-', '+'))}`);
          else if (type === 'string') data.push(`${key}=${(await client.get(key)) ?? ''}`);
          else data.push(`${key}=<${type}>`);
        }
      } while (cursor !== '0');
      return { data: data.join('\n'), logs: logs.join('\n'), raw: [...data, ...logs].join('\n') };
    } finally {
      await client.quit();
    }
  }
  throw new Error('dumpStore: unknown store');
}

/** Deletes every key under `prefix` (a Redis test's cleanup). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length) await client.del(...found);
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}
