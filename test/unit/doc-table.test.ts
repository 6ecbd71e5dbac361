import { describe, expect, it } from 'vitest';
import { DocTable } from '../../src/store/doc-table.js';

/** A small deterministic generator (xorshift), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const json = (n: number, text: string) => JSON.stringify({ n, text });

describe('DocTable (the embedded store keeps document texts outside the heap)', () => {
  it('gives back exactly the text and etag that were set, also non-ASCII text and large documents', () => {
    const t = new DocTable();
    const large = json(1, 'overlast bij de speeltuin '.repeat(60_000)); // ~1.5 MB: a Buffer of its own
    t.set('signal:1', json(1, 'Groep jongeren bij café — “harde muziek” 🎵, ë ï ü'), '1a.0');
    t.set('case:1', large, '1a.1');
    t.set('form:1', '{}', 'zz.3');
    expect(t.get('signal:1')).toEqual({ json: json(1, 'Groep jongeren bij café — “harde muziek” 🎵, ë ï ü'), etag: '1a.0' });
    expect(t.get('case:1')).toEqual({ json: large, etag: '1a.1' });
    expect(t.etag('form:1')).toBe('zz.3');
    expect(t.get('unknown')).toBeUndefined();
    expect(t.etag('unknown')).toBeUndefined();
    expect(t.size).toBe(3);
  });

  it('replaces and deletes: the newest text wins, a deleted key is gone, the others stay', () => {
    const t = new DocTable();
    t.set('a', json(1, 'eerste'), 'e1');
    t.set('b', json(2, 'tweede'), 'e2');
    t.set('a', json(3, 'nieuwer'), 'e3');
    t.delete('b');
    t.delete('nooit-gezet');
    expect(t.get('a')).toEqual({ json: json(3, 'nieuwer'), etag: 'e3' });
    expect(t.has('b')).toBe(false);
    expect([...t.entries()]).toEqual([['a', 'e3', json(3, 'nieuwer')]]);
  });

  it('agrees with a plain Map over 40,000 random sets and deletes, across many slabs', () => {
    const next = random(20261204);
    const t = new DocTable();
    const model = new Map<string, { json: string; etag: string }>();
    for (let i = 0; i < 40_000; i++) {
      const key = `doc:${Math.floor(next() * 500)}`;
      if (next() < 0.2) {
        t.delete(key);
        model.delete(key);
      } else {
        // Mostly small, some a few KB, now and then one over a quarter slab (its own Buffer).
        const r = next();
        const size = r < 0.995 ? Math.floor(next() * (r < 0.9 ? 300 : 6_000)) : 1_200_000;
        const value = { json: json(i, 'x'.repeat(size) + (i % 7 === 0 ? 'é' : '')), etag: `${i.toString(36)}.0` };
        t.set(key, value.json, value.etag);
        model.set(key, value);
      }
      if (i % 997 === 0) for (const [k, v] of model) expect(t.get(k), `after op ${i}, ${k}`).toEqual(v);
    }
    expect(t.size).toBe(model.size);
    expect(new Map([...t.entries()].map(([k, etag, text]) => [k, { json: text, etag }]))).toEqual(model);
  });

  it('does not keep dead bytes for ever: memory stays near what is live while one document is rewritten', () => {
    const t = new DocTable();
    // 2,000 documents that stay, then one case document rewritten 20,000 times (as every signal does).
    for (let i = 0; i < 2_000; i++) t.set(`signal:${i}`, json(i, 'melding '.repeat(100)), `${i}.0`);
    for (let i = 0; i < 20_000; i++) t.set('case:1', json(i, 'casus '.repeat(300)), `c${i}.0`);
    const { held, live } = t.bytes();
    // ~40 MB were written; what is held is the live data plus at most a few 4 MiB slabs.
    expect(live).toBeLessThan(2 * 1024 * 1024);
    expect(held).toBeLessThan(live + 3 * 4 * 1024 * 1024);
    expect(t.get('signal:1999')).toEqual({ json: json(1999, 'melding '.repeat(100)), etag: '1999.0' });
    expect(t.get('case:1')?.etag).toBe('c19999.0');
  });

  it('gives the memory of deleted documents back once their slabs are mostly empty', () => {
    const t = new DocTable();
    for (let i = 0; i < 30_000; i++) t.set(`signal:${i}`, json(i, 'melding '.repeat(100)), `${i}.0`);
    const before = t.bytes().held;
    // Retention deletes the oldest 90 %.
    for (let i = 0; i < 27_000; i++) t.delete(`signal:${i}`);
    const after = t.bytes();
    expect(before).toBeGreaterThan(20 * 1024 * 1024);
    expect(after.held).toBeLessThan(after.live * 2 + 2 * 4 * 1024 * 1024);
    expect(t.get('signal:29999')?.etag).toBe('29999.0');
    expect(t.size).toBe(3_000);
  });
});
