import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchingReads } from '../../src/app/batching-reads.js';
import type { Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { countingStore } from '../support/counting-store.js';

/**
 * The store view that merges reads issued together (src/app/batching-reads.ts): what callers get is
 * what separate reads would have given; what the store sees is one getMany and one summarise.
 */

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An embedded store with a few documents and an index, and a log of the calls that reach it. */
async function seeded(): Promise<{ store: Store; calls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ovb-batching-'));
  dirs.push(dir);
  const real = await EmbeddedStore.open(dir);
  stores.push(real);
  await real.commit([
    { op: 'put', key: 'a', value: { n: 1 } },
    { op: 'put', key: 'b', value: { n: 2 } },
    { op: 'index', index: 'i', member: 'x', score: 10 },
    { op: 'index', index: 'i', member: 'y', score: 20 },
    { op: 'index', index: 'i', member: 'z', score: 30 },
  ]);
  const calls: string[] = [];
  return { store: countingStore(real, calls), calls };
}

describe('batchingReads', () => {
  it('answers reads issued together as separate reads would, with one getMany and one summarise', async () => {
    const { store, calls } = await seeded();
    const view = batchingReads(store);
    const [a, missing, b, count, newest] = await Promise.all([
      view.get<{ n: number }>('a'),
      view.get('nope'),
      view.get<{ n: number }>('b'),
      view.count('i', 15, 40),
      view.range('i', -Infinity, Infinity, { limit: 2, reverse: true }),
    ]);
    expect(a?.value).toEqual({ n: 1 });
    expect(missing).toBeUndefined();
    expect(b?.value).toEqual({ n: 2 });
    expect(count).toBe(2);
    expect(newest.map((e) => e.member)).toEqual(['z', 'y']);
    expect(calls.sort()).toEqual(['getMany', 'summarise']);
  });

  it('without `remember`, a read asked again goes to the store again and sees what changed', async () => {
    const { store, calls } = await seeded();
    const view = batchingReads(store);
    expect((await view.get<{ n: number }>('a'))?.value.n).toBe(1);
    await store.commit([{ op: 'put', key: 'a', value: { n: 5 } }]);
    expect((await view.get<{ n: number }>('a'))?.value.n).toBe(5);
    expect(calls.filter((c) => c === 'getMany')).toHaveLength(2);
  });

  it('with `remember`, a read asked again (same key, same index question) costs no new round trip', async () => {
    const { store, calls } = await seeded();
    const view = batchingReads(store, { remember: true });
    // Asked ahead (the rule check's read-ahead), then again by the code that needs the answers.
    void view.get('a');
    void view.count('i', 0, 100);
    await Promise.resolve();
    const [a, count] = await Promise.all([view.get<{ n: number }>('a'), view.count('i', 0, 100)]);
    expect(a?.value).toEqual({ n: 1 });
    expect(count).toBe(3);
    expect(calls.sort()).toEqual(['getMany', 'summarise']);
    // A different question is a new read.
    expect(await view.count('i', 0, 15)).toBe(1);
    expect(calls.filter((c) => c === 'summarise')).toHaveLength(2);
  });

  it("with `remember`, the view's own commit forgets what it read: a read after it sees the write", async () => {
    const { store } = await seeded();
    const view = batchingReads(store, { remember: true });
    expect((await view.get<{ n: number }>('a'))?.value.n).toBe(1);
    expect(await view.count('i', -Infinity, Infinity)).toBe(3);
    expect(
      (
        await view.commit([
          { op: 'put', key: 'a', value: { n: 7 } },
          { op: 'index', index: 'i', member: 'w', score: 40 },
        ])
      ).ok,
    ).toBe(true);
    expect((await view.get<{ n: number }>('a'))?.value.n).toBe(7);
    expect(await view.count('i', -Infinity, Infinity)).toBe(4);
  });
});
