import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, type Storage } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRedisUrl } from '../support/redis-url.js';
import type { Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';
import { StoreStorage } from '../../src/teams/storage.js';

/**
 * teams-ai keeps its turn state through botbuilder's Storage interface. StoreStorage must follow
 * MemoryStorage's eTag rules exactly; the same cases run against MemoryStorage itself as reference.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const makers: Record<string, () => Promise<Storage>> = {
  'MemoryStorage (reference)': async () => new MemoryStorage(),
  'StoreStorage on the embedded store': async () => {
    const dir = mkdtempSync(join(tmpdir(), 'overlastbot-turnstate-'));
    const store: Store = await EmbeddedStore.open(dir);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return new StoreStorage(store);
  },
  'StoreStorage on Redis': async () => {
    const url = requireRedisUrl();
    const store = await RedisStore.connect(url, { prefix: `test:${randomUUID()}:` });
    cleanups.push(() => store.close());
    return new StoreStorage(store);
  },
};

for (const [name, make] of Object.entries(makers)) {
  describe(name, () => {
    it('reads back what was written, with an eTag, and nothing for unknown keys', async () => {
      const s = await make();
      await s.write({ 'conv/1': { count: 1, nested: { a: [1, 2] } } });
      const items = await s.read(['conv/1', 'missing']);
      expect(items['conv/1']).toMatchObject({ count: 1, nested: { a: [1, 2] } });
      expect(typeof items['conv/1'].eTag).toBe('string');
      expect(items.missing).toBeUndefined();
    });

    it("overwrites with eTag '*' or none, and accepts the current eTag", async () => {
      const s = await make();
      await s.write({ k: { v: 1 } });
      await s.write({ k: { v: 2, eTag: '*' } });
      const current = (await s.read(['k'])).k;
      expect(current.v).toBe(2);
      await s.write({ k: { v: 3, eTag: current.eTag } });
      expect((await s.read(['k'])).k.v).toBe(3);
    });

    it('refuses a write with a stale eTag (another turn changed the state first)', async () => {
      const s = await make();
      await s.write({ k: { v: 1 } });
      const first = (await s.read(['k'])).k;
      await s.write({ k: { v: 2, eTag: first.eTag } });
      await expect(s.write({ k: { v: 99, eTag: first.eTag } })).rejects.toThrow();
      expect((await s.read(['k'])).k.v).toBe(2);
    });

    it('deletes', async () => {
      const s = await make();
      await s.write({ a: { v: 1 }, b: { v: 2 } });
      await s.delete(['a']);
      const items = await s.read(['a', 'b']);
      expect(items.a).toBeUndefined();
      expect(items.b.v).toBe(2);
    });
  });
}
