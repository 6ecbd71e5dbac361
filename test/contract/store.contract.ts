import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitResult, Store, WriteOp } from '../../src/ports.js';

/**
 * The one behavioural contract of the Store port. Every adapter runs exactly this suite, so the
 * use cases can rely on it whichever store is configured.
 */
export interface StoreFixture {
  store: Store;
  /** Closes the current store (if still open) and opens a new one on the same data. */
  reopen(): Promise<Store>;
  /** Closes whatever is open and removes the data. */
  cleanup(): Promise<void>;
}

export function storeContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    let store: Store;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    async function put(key: string, value: unknown, extra: { ifEtag?: string; ifAbsent?: boolean } = {}) {
      return store.commit([{ op: 'put', key, value, ...extra }]);
    }

    async function putOk(key: string, value: unknown): Promise<string> {
      return etagOf(await put(key, value), key);
    }

    describe('documents', () => {
      it('get and getMany of a missing key give undefined', async () => {
        expect(await store.get('missing')).toBeUndefined();
        expect(await store.getMany(['missing'])).toEqual([undefined]);
      });

      it('put then get returns the value and the etag the commit reported', async () => {
        const value = {
          id: 'C-2026-00012',
          level: 'overlast',
          count: 3,
          ratio: 0.1 + 0.2,
          flags: [true, false],
          nested: { empty: [], none: null, text: 'Grotekerksbuurt — “quotes” \n newline' },
        };
        const result = await put('case:C-2026-00012', value);
        const etag = etagOf(result, 'case:C-2026-00012');
        expect(etag).toEqual(expect.any(String));
        expect(await store.get('case:C-2026-00012')).toEqual({ value, etag });
      });

      it('stores any JSON value, including null, 0 and empty strings, as distinct from missing', async () => {
        await putOk('null', null);
        await putOk('zero', 0);
        await putOk('empty', '');
        await putOk('list', [1, 'two', { three: 3 }]);
        expect((await store.get('null'))?.value).toBeNull();
        expect((await store.get('zero'))?.value).toBe(0);
        expect((await store.get('empty'))?.value).toBe('');
        expect((await store.get('list'))?.value).toEqual([1, 'two', { three: 3 }]);
      });

      it('keys are arbitrary strings: separators, unicode, empty, __proto__', async () => {
        const keys = ['a:b:c', 'space and/slash', 'ü ß 😀', '', '__proto__', 'constructor'];
        const result = await store.commit(keys.map((key, i) => ({ op: 'put', key, value: { i } }) as WriteOp));
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(Object.keys(result.etags).sort()).toEqual([...keys].sort());
        expect(Object.hasOwn(result.etags, '__proto__')).toBe(true);
        const values = await store.getMany(keys);
        expect(values.map((v) => v?.value)).toEqual(keys.map((_, i) => ({ i })));
        expect(values.map((v) => v?.etag)).toEqual(keys.map((key) => result.etags[key]));
      });

      it('values are copies: mutating what was put or got does not change what is stored', async () => {
        const value = { list: [1, 2], nested: { a: 1 } };
        await putOk('doc', value);
        value.list.push(3);
        const got = await store.get<typeof value>('doc');
        got!.value.nested.a = 99;
        expect((await store.get('doc'))?.value).toEqual({ list: [1, 2], nested: { a: 1 } });
      });

      it('every put produces a new etag, also when the value does not change', async () => {
        const etags = new Set<string>();
        for (let i = 0; i < 5; i++) etags.add(await putOk('same', { v: 1 }));
        etags.add(await putOk('other', { v: 1 }));
        expect(etags.size).toBe(6);
      });

      it('ifEtag: the current etag writes, a stale one conflicts and changes nothing', async () => {
        const e1 = await putOk('k', 'v1');
        const r2 = await put('k', 'v2', { ifEtag: e1 });
        const e2 = etagOf(r2, 'k');
        expect(e2).not.toBe(e1);
        expect(await put('k', 'v3', { ifEtag: e1 })).toEqual({ ok: false, conflict: 'k' });
        expect(await store.get('k')).toEqual({ value: 'v2', etag: e2 });
      });

      it('ifEtag on a missing key conflicts', async () => {
        const etag = await putOk('elsewhere', 1);
        expect(await put('missing', 1, { ifEtag: etag })).toEqual({ ok: false, conflict: 'missing' });
        expect(await store.get('missing')).toBeUndefined();
      });

      it('ifAbsent: creates once, then conflicts and keeps the first value', async () => {
        etagOf(await put('once', 'first', { ifAbsent: true }), 'once');
        expect(await put('once', 'second', { ifAbsent: true })).toEqual({ ok: false, conflict: 'once' });
        expect((await store.get('once'))?.value).toBe('first');
      });

      it('delete: removes the key; with ifEtag only when it matches; missing keys are fine', async () => {
        const etag = await putOk('d', 1);
        expect(await store.commit([{ op: 'delete', key: 'd', ifEtag: 'not-the-etag' }])).toEqual({
          ok: false,
          conflict: 'd',
        });
        expect((await store.get('d'))?.value).toBe(1);
        expect(await store.commit([{ op: 'delete', key: 'd', ifEtag: etag }])).toEqual({ ok: true, etags: {} });
        expect(await store.get('d')).toBeUndefined();
        expect(await store.commit([{ op: 'delete', key: 'd' }])).toEqual({ ok: true, etags: {} });
        expect(await store.commit([{ op: 'delete', key: 'd', ifEtag: etag }])).toEqual({ ok: false, conflict: 'd' });
        // Deleted means absent again.
        etagOf(await put('d', 2, { ifAbsent: true }), 'd');
        expect((await store.get('d'))?.value).toBe(2);
      });

      it('getMany answers in the order of the keys, with duplicates and gaps', async () => {
        const ea = await putOk('a', 'A');
        const eb = await putOk('b', 'B');
        expect(await store.getMany(['b', 'missing', 'a', 'b'])).toEqual([
          { value: 'B', etag: eb },
          undefined,
          { value: 'A', etag: ea },
          { value: 'B', etag: eb },
        ]);
        expect(await store.getMany([])).toEqual([]);
      });
    });

    describe('atomic commits', () => {
      it('one failing condition applies nothing: no puts, deletes, index or log entries', async () => {
        await putOk('keep', 'kept');
        const result = await store.commit([
          { op: 'put', key: 'new', value: 1 },
          { op: 'delete', key: 'keep' },
          { op: 'index', index: 'ix', member: 'm', score: 5 },
          { op: 'append', log: 'audit', entry: { action: 'x' } },
          { op: 'put', key: 'guarded', value: 2, ifEtag: 'stale' },
        ]);
        expect(result).toEqual({ ok: false, conflict: 'guarded' });
        expect(await store.get('new')).toBeUndefined();
        expect((await store.get('keep'))?.value).toBe('kept');
        expect(await store.count('ix', -Infinity, Infinity)).toBe(0);
        expect(await store.readLog('audit', -Infinity, Infinity)).toEqual([]);
      });

      it('a commit applies all its ops together', async () => {
        const result = await store.commit([
          { op: 'put', key: 'case', value: { n: 1 } },
          { op: 'put', key: 'signal', value: { n: 2 } },
          { op: 'index', index: 'signals', member: 'signal', score: 100 },
          { op: 'append', log: 'audit', entry: { action: 'signal.create' } },
        ]);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(Object.keys(result.etags).sort()).toEqual(['case', 'signal']);
        expect((await store.get('signal'))?.etag).toBe(result.etags.signal);
        expect(await store.count('signals', 100, 100)).toBe(1);
        expect((await store.readLog('audit', -Infinity, Infinity)).map((e) => e.entry)).toEqual([
          { action: 'signal.create' },
        ]);
      });

      it('the conflict names the first op whose condition fails', async () => {
        await putOk('exists', 1);
        const result = await store.commit([
          { op: 'put', key: 'fine', value: 1, ifAbsent: true },
          { op: 'put', key: 'stale', value: 1, ifEtag: 'nope' },
          { op: 'put', key: 'exists', value: 1, ifAbsent: true },
        ]);
        expect(result).toEqual({ ok: false, conflict: 'stale' });
        expect(await store.get('fine')).toBeUndefined();
      });

      it('conditions are checked against the state before the commit', async () => {
        // Both ifAbsent hold before the commit; the second put then overwrites the first.
        const result = await store.commit([
          { op: 'put', key: 'twice', value: 'first', ifAbsent: true },
          { op: 'put', key: 'twice', value: 'second', ifAbsent: true },
        ]);
        const etag = etagOf(result, 'twice');
        expect(await store.get('twice')).toEqual({ value: 'second', etag });
      });

      it('an empty commit succeeds and changes nothing', async () => {
        expect(await store.commit([])).toEqual({ ok: true, etags: {} });
      });

      it('malformed ops are rejected before anything is applied', async () => {
        await expect(
          store.commit([
            { op: 'put', key: 'before-bad-op', value: 1 },
            { op: 'index', index: 'ix', member: 'm', score: Number.NaN },
          ]),
        ).rejects.toThrow(TypeError);
        await expect(store.commit([{ op: 'put', key: 'before-bad-op', value: undefined }])).rejects.toThrow(TypeError);
        await expect(
          store.commit([{ op: 'append', log: 'audit', entry: 'not an object' as unknown as Record<string, unknown> }]),
        ).rejects.toThrow(TypeError);
        expect(await store.get('before-bad-op')).toBeUndefined();
        expect(await store.count('ix', -Infinity, Infinity)).toBe(0);
      });

      it('20 concurrent commits with the same ifEtag: exactly one wins, with all of its ops', async () => {
        const etag = await putOk('contended', { winner: null });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.commit([
              { op: 'put', key: 'contended', value: { winner: i }, ifEtag: etag },
              { op: 'index', index: 'winners', member: `w${i}`, score: i },
              { op: 'append', log: 'winners', entry: { winner: i } },
            ]),
          ),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual(Array(19).fill({ ok: false, conflict: 'contended' }));
        const winner = winners[0]!;
        expect(await store.get('contended')).toEqual({
          value: { winner },
          etag: etagOf(results[winner]!, 'contended'),
        });
        expect(await store.range('winners', -Infinity, Infinity)).toEqual([{ member: `w${winner}`, score: winner }]);
        expect((await store.readLog('winners', -Infinity, Infinity)).map((e) => e.entry)).toEqual([{ winner }]);
      });
    });

    describe('indexes', () => {
      async function indexAll(index: string, entries: [member: string, score: number][]) {
        const result = await store.commit(entries.map(([member, score]) => ({ op: 'index', index, member, score })));
        expect(result.ok).toBe(true);
      }

      beforeEach(async () => {
        await indexAll('signals', [
          ['m5', 40],
          ['m3', 20],
          ['m1', 10],
          ['m4', 30],
          ['m2', 20],
        ]);
      });

      it('count includes both boundaries', async () => {
        expect(await store.count('signals', 20, 30)).toBe(3);
        expect(await store.count('signals', 10, 10)).toBe(1);
        expect(await store.count('signals', 10, 40)).toBe(5);
        expect(await store.count('signals', 10.5, 19.5)).toBe(0);
        expect(await store.count('signals', 40, 10)).toBe(0);
        expect(await store.count('signals', -Infinity, Infinity)).toBe(5);
        expect(await store.count('unknown-index', -Infinity, Infinity)).toBe(0);
      });

      it('summarise answers count and newest members of several indexes at once', async () => {
        await indexAll('other', [
          ['o1', 5],
          ['o2', 50],
        ]);
        expect(
          await store.summarise([
            { index: 'signals', min: 20, max: 30, latest: 2 },
            { index: 'signals', min: 10, max: 40 },
            { index: 'other', min: -Infinity, max: Infinity, latest: 5 },
            { index: 'unknown-index', min: -Infinity, max: Infinity, latest: 3 },
            { index: 'signals', min: 40, max: 10, latest: 1 },
            { index: 'signals', min: 20, max: 20, latest: 10 },
          ]),
        ).toEqual([
          // Same order as range with reverse: by score, then member, descending.
          { count: 3, latest: [{ member: 'm4', score: 30 }, { member: 'm3', score: 20 }] },
          { count: 5, latest: [] },
          { count: 2, latest: [{ member: 'o2', score: 50 }, { member: 'o1', score: 5 }] },
          { count: 0, latest: [] },
          { count: 0, latest: [] },
          { count: 2, latest: [{ member: 'm3', score: 20 }, { member: 'm2', score: 20 }] },
        ]);
        expect(await store.summarise([])).toEqual([]);
        await expect(store.summarise([{ index: 'signals', min: 0, max: 1, latest: -1 }])).rejects.toThrow(TypeError);
        await expect(store.summarise([{ index: 42 as unknown as string, min: 0, max: 1 }])).rejects.toThrow(TypeError);
        await expect(store.summarise([{ index: 'signals', min: Number.NaN, max: 1 }])).rejects.toThrow(TypeError);
      });

      it('range is ascending by score, then member, and includes both boundaries', async () => {
        expect(await store.range('signals', 20, 30)).toEqual([
          { member: 'm2', score: 20 },
          { member: 'm3', score: 20 },
          { member: 'm4', score: 30 },
        ]);
        expect((await store.range('signals', -Infinity, Infinity)).map((e) => e.member)).toEqual([
          'm1',
          'm2',
          'm3',
          'm4',
          'm5',
        ]);
        expect(await store.range('signals', 41, 100)).toEqual([]);
        expect(await store.range('unknown-index', -Infinity, Infinity)).toEqual([]);
      });

      it('range with reverse and limit', async () => {
        expect((await store.range('signals', 10, 40, { limit: 2 })).map((e) => e.member)).toEqual(['m1', 'm2']);
        expect(await store.range('signals', 10, 40, { reverse: true, limit: 2 })).toEqual([
          { member: 'm5', score: 40 },
          { member: 'm4', score: 30 },
        ]);
        expect((await store.range('signals', 20, 20, { reverse: true })).map((e) => e.member)).toEqual(['m3', 'm2']);
        expect((await store.range('signals', 15, 35, { reverse: true })).map((e) => e.member)).toEqual([
          'm4',
          'm3',
          'm2',
        ]);
        expect(await store.range('signals', 10, 40, { limit: 0 })).toEqual([]);
        expect(await store.range('signals', 10, 40, { limit: 100 })).toHaveLength(5);
      });

      it('unindex removes a member; unknown members are ignored', async () => {
        const result = await store.commit([
          { op: 'unindex', index: 'signals', member: 'm2' },
          { op: 'unindex', index: 'signals', member: 'never-there' },
          { op: 'unindex', index: 'unknown-index', member: 'm1' },
        ]);
        expect(result.ok).toBe(true);
        expect(await store.count('signals', 20, 20)).toBe(1);
        expect((await store.range('signals', -Infinity, Infinity)).map((e) => e.member)).toEqual([
          'm1',
          'm3',
          'm4',
          'm5',
        ]);
        await store.commit(['m1', 'm3', 'm4', 'm5'].map((member) => ({ op: 'unindex', index: 'signals', member })));
        expect(await store.count('signals', -Infinity, Infinity)).toBe(0);
        expect(await store.range('signals', -Infinity, Infinity)).toEqual([]);
      });

      it('indexing a member again moves it to the new score', async () => {
        await indexAll('signals', [['m1', 35]]);
        expect(await store.count('signals', 10, 10)).toBe(0);
        expect(await store.count('signals', 35, 35)).toBe(1);
        expect(await store.count('signals', -Infinity, Infinity)).toBe(5);
        expect((await store.range('signals', -Infinity, Infinity)).map((e) => `${e.member}@${e.score}`)).toEqual([
          'm2@20',
          'm3@20',
          'm4@30',
          'm1@35',
          'm5@40',
        ]);
      });

      it('scores keep full double precision, negative and fractional', async () => {
        const scores = [1_767_225_600_123.456, 0.1 + 0.2, -42.5, 2 ** 53, 1e-9];
        await indexAll(
          'precise',
          scores.map((score, i) => [`p${i}`, score]),
        );
        const got = await store.range('precise', -Infinity, Infinity);
        expect(got.map((e) => e.score)).toEqual([...scores].sort((a, b) => a - b));
        expect(await store.count('precise', 0.30000000000000004, 0.30000000000000004)).toBe(1);
        expect(await store.count('precise', 0.3, 0.3)).toBe(0);
      });

      it('equal scores order members by their UTF-8 bytes, as Redis does', async () => {
        // U+FFFD is EF BF BD in UTF-8, an emoji F0 9F ...; in UTF-16 the emoji's surrogate sorts first.
        await indexAll('unicode', [
          ['😀', 1],
          ['\uFFFD', 1],
          ['b', 1],
          ['B', 1],
          ['ä', 1],
        ]);
        expect((await store.range('unicode', 1, 1)).map((e) => e.member)).toEqual(['B', 'b', 'ä', '\uFFFD', '😀']);
      });

      it('indexes, documents and logs with the same name do not interfere', async () => {
        await putOk('signals', 'a document');
        await store.commit([{ op: 'append', log: 'signals', entry: { n: 1 } }]);
        expect(await store.count('signals', -Infinity, Infinity)).toBe(5);
        expect((await store.get('signals'))?.value).toBe('a document');
        expect(await store.readLog('signals', -Infinity, Infinity)).toHaveLength(1);
      });
    });

    describe('sequences', () => {
      it('nextSeq starts at 1 and increments per name', async () => {
        expect(await store.nextSeq('case')).toBe(1);
        expect(await store.nextSeq('case')).toBe(2);
        expect(await store.nextSeq('signal')).toBe(1);
        expect(await store.nextSeq('case')).toBe(3);
      });

      it('50 concurrent nextSeq calls get 50 distinct numbers, 1..50', async () => {
        const numbers = await Promise.all(Array.from({ length: 50 }, () => store.nextSeq('burst')));
        expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(await store.nextSeq('burst')).toBe(51);
      });
    });

    describe('logs', () => {
      it('readLog returns entries in append order with distinct ids', async () => {
        for (let i = 1; i <= 3; i++) await store.commit([{ op: 'append', log: 'audit', entry: { i } }]);
        await store.commit([4, 5, 6].map((i) => ({ op: 'append', log: 'audit', entry: { i } }) as WriteOp));
        const entries = await store.readLog('audit', -Infinity, Infinity);
        expect(entries.map((e) => e.entry)).toEqual([1, 2, 3, 4, 5, 6].map((i) => ({ i })));
        expect(new Set(entries.map((e) => e.id)).size).toBe(6);
        for (let i = 1; i < entries.length; i++) expect(entries[i]!.at).toBeGreaterThanOrEqual(entries[i - 1]!.at);
        expect(await store.readLog('audit', -Infinity, Infinity, { limit: 2 })).toEqual(entries.slice(0, 2));
        expect(await store.readLog('audit', -Infinity, Infinity, { limit: 0 })).toEqual([]);
      });

      it('at is the time of the append, and the time filter is inclusive', async () => {
        const before = Date.now();
        const a = await appendOne('timed', { n: 'a' });
        const after = Date.now();
        expect(a.at).toBeGreaterThanOrEqual(before);
        expect(a.at).toBeLessThanOrEqual(after);
        await nextMillisecond(a.at);
        const b = await appendOne('timed', { n: 'b' });
        await nextMillisecond(b.at);
        const c = await appendOne('timed', { n: 'c' });

        const names = async (from: number, to: number) =>
          (await store.readLog('timed', from, to)).map((e) => (e.entry as { n: string }).n);
        expect(await names(b.at, b.at)).toEqual(['b']);
        expect(await names(a.at, b.at)).toEqual(['a', 'b']);
        expect(await names(b.at + 0.5, c.at)).toEqual(['c']);
        expect(await names(a.at - 1000, a.at - 1)).toEqual([]);
        expect(await names(c.at + 1, Infinity)).toEqual([]);
        expect(await names(c.at, a.at)).toEqual([]);
        expect(await names(-Infinity, Infinity)).toEqual(['a', 'b', 'c']);
        expect(await store.readLog('unknown-log', -Infinity, Infinity)).toEqual([]);
      });

      async function appendOne(log: string, entry: Record<string, unknown>) {
        await store.commit([{ op: 'append', log, entry }]);
        const all = await store.readLog(log, -Infinity, Infinity);
        return all[all.length - 1]!;
      }
    });

    it('ping resolves while the store is usable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('everything survives close and reopen', async () => {
      const etag = await putOk('case:1', { level: 'hinder' });
      await store.commit([
        { op: 'put', key: 'case:2', value: { level: 'ernstig' } },
        { op: 'delete', key: 'case:2' },
        { op: 'index', index: 'cases', member: 'case:1', score: 1000 },
        { op: 'index', index: 'cases', member: 'case:3', score: 3000 },
        { op: 'append', log: 'audit', entry: { action: 'case.read' } },
      ]);
      await store.nextSeq('case');
      await store.nextSeq('case');
      const log = await store.readLog('audit', -Infinity, Infinity);

      const reopened = await fixture!.reopen();
      expect(await reopened.get('case:1')).toEqual({ value: { level: 'hinder' }, etag });
      expect(await reopened.get('case:2')).toBeUndefined();
      expect(await reopened.range('cases', -Infinity, Infinity)).toEqual([
        { member: 'case:1', score: 1000 },
        { member: 'case:3', score: 3000 },
      ]);
      expect(await reopened.readLog('audit', -Infinity, Infinity)).toEqual(log);
      expect(await reopened.nextSeq('case')).toBe(3);

      // Etags stay valid and stay unique across the restart.
      const next = etagOf(await reopened.commit([{ op: 'put', key: 'case:1', value: 2, ifEtag: etag }]), 'case:1');
      expect(next).not.toBe(etag);
      const appended = await reopened.commit([{ op: 'append', log: 'audit', entry: { action: 'after' } }]);
      expect(appended.ok).toBe(true);
      const after = await reopened.readLog('audit', -Infinity, Infinity);
      expect(after.map((e) => e.entry)).toEqual([{ action: 'case.read' }, { action: 'after' }]);
      expect(after[1]!.id).not.toBe(after[0]!.id);
    });

    it('a 100,000-entry index counts and ranges a window correctly', async () => {
      const n = 100_000;
      const base = 1_767_225_600_000; // 2026-01-01, in ms: the index holds timestamps in practice
      const step = 60_000;
      // Random insertion order (deterministic): a time index is not always filled in order.
      const order = shuffled(n, 42);
      for (let from = 0; from < n; from += 2_000) {
        const ops: WriteOp[] = order
          .slice(from, from + 2_000)
          .map((i) => ({ op: 'index', index: 'big', member: `s${String(i).padStart(6, '0')}`, score: base + i * step }));
        const result = await store.commit(ops);
        expect(result.ok).toBe(true);
      }

      expect(await store.count('big', -Infinity, Infinity)).toBe(n);
      // A window with both boundaries on entries: i = 25,000 .. 75,000 inclusive.
      expect(await store.count('big', base + 25_000 * step, base + 75_000 * step)).toBe(50_001);
      // A window with boundaries between entries: i = 1 .. 2.
      expect(await store.count('big', base + step / 2, base + 2.5 * step)).toBe(2);
      // "The last 7 days" up to the newest entry.
      const newest = base + (n - 1) * step;
      expect(await store.count('big', newest - 7 * 24 * 3_600_000, newest)).toBe(7 * 24 * 60 + 1);

      const window = [base + 25_000 * step, base + 75_000 * step] as const;
      expect((await store.range('big', ...window, { limit: 3 })).map((e) => e.member)).toEqual([
        's025000',
        's025001',
        's025002',
      ]);
      expect((await store.range('big', ...window, { limit: 3, reverse: true })).map((e) => e.member)).toEqual([
        's075000',
        's074999',
        's074998',
      ]);

      // Move every 10th entry of the window out of it, then count again.
      const moved: WriteOp[] = [];
      for (let i = 25_000; i <= 75_000; i += 10) {
        moved.push({ op: 'index', index: 'big', member: `s${String(i).padStart(6, '0')}`, score: base - step });
      }
      expect((await store.commit(moved)).ok).toBe(true);
      expect(await store.count('big', ...window)).toBe(50_001 - moved.length);
      expect(await store.count('big', base - step, base - step)).toBe(moved.length);
      expect(await store.count('big', -Infinity, Infinity)).toBe(n);
    });
  });
}

function etagOf(result: CommitResult, key: string): string {
  if (!result.ok) throw new Error(`expected the commit to succeed, got a conflict on ${result.conflict}`);
  const etag = result.etags[key];
  if (etag === undefined) throw new Error(`commit result has no etag for ${key}`);
  return etag;
}

/** Waits until the clock has passed `at`, so the next append gets a later timestamp. */
async function nextMillisecond(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** 0..n-1 in a deterministic pseudo-random order (mulberry32 + Fisher–Yates). */
function shuffled(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
