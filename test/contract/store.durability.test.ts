import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WriteOp } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { recordValue } from '../support/fixtures/embedded-writer.js';

/**
 * What "once commit() resolves, the data is durable" means for the embedded store, tested the
 * hard way: a real process killed with SIGKILL mid-write, files damaged by hand, and the
 * intermediate states of a compaction reproduced on disk.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const writerScript = path.join(root, 'test/support/fixtures/embedded-writer.ts');

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-durability-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Writer {
  child: ChildProcess;
  /** Highest n the writer printed `ACK n` for. */
  acked(): number;
  /** Resolves once `ACK n` (or a later one) was printed; rejects if the writer dies first. */
  waitForAck(n: number): Promise<void>;
  exited: Promise<void>;
}

function startWriter(dir: string, compactAfterRecords?: number): Writer {
  const args = ['--import', 'tsx', writerScript, dir];
  if (compactAfterRecords) args.push(String(compactAfterRecords));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let acked = 0;
  let buffered = '';
  let stderr = '';
  const waiters: { n: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /^ACK (\d+)$/.exec(line);
      if (match) acked = Math.max(acked, Number(match[1]));
    }
    for (const w of waiters.filter((w) => acked >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`writer exited (code ${code}, signal ${signal}) after ACK ${acked}:\n${stderr}`));
      }
      resolve();
    });
  });
  return {
    child,
    acked: () => acked,
    waitForAck: (n) =>
      acked >= n ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ n, resolve, reject })),
    exited,
  };
}

async function killHard(writer: Writer): Promise<number> {
  writer.child.kill('SIGKILL');
  // 'exit' comes after the child is reaped, so its pid is really gone when the store checks LOCK.
  await writer.exited;
  expect(writer.child.signalCode).toBe('SIGKILL');
  return writer.acked();
}

/**
 * Opens the dir and checks the writer's data: every ACKed record, and whatever else made it to
 * disk, must be complete and intact, in a gapless prefix (the writer commits one at a time).
 */
async function verifyWriterData(dir: string, acked: number): Promise<number> {
  const store = await EmbeddedStore.open(dir);
  try {
    const total = await store.count('records', -Infinity, Infinity);
    expect(total).toBeGreaterThanOrEqual(acked);
    const keys = Array.from({ length: total }, (_, i) => `rec:${i + 1}`);
    const docs = await store.getMany(keys);
    const wrong = docs.flatMap((doc, i) => (isDeepEqual(doc?.value, recordValue(i + 1)) ? [] : [keys[i]]));
    expect(wrong).toEqual([]);
    expect(await store.get(`rec:${total + 1}`)).toBeUndefined();
    expect((await store.range('records', -Infinity, Infinity)).map((e) => e.member)).toEqual(keys);
    const log = await store.readLog('writes', -Infinity, Infinity);
    expect(log.map((e) => e.entry.n)).toEqual(keys.map((_, i) => i + 1));
    // nextSeq runs before each commit, so it may be one ahead of the records, never behind.
    expect(await store.nextSeq('records')).toBeGreaterThan(total);
    return total;
  } finally {
    await store.close();
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const journalOf = (dir: string) => path.join(dir, 'journal.jsonl');

async function writeRecords(store: EmbeddedStore, from: number, to: number): Promise<Record<string, string>> {
  const etags: Record<string, string> = {};
  for (let n = from; n <= to; n++) {
    await store.nextSeq('records');
    const result = await store.commit([
      { op: 'put', key: `rec:${n}`, value: recordValue(n) },
      { op: 'index', index: 'records', member: `rec:${n}`, score: n },
      { op: 'append', log: 'writes', entry: { n } },
    ]);
    if (!result.ok) throw new Error('unexpected conflict');
    Object.assign(etags, result.etags);
  }
  return etags;
}

describe('EmbeddedStore durability', () => {
  it('every acknowledged commit survives kill -9 of the writing process', async () => {
    const dir = tempDir();
    const writer = startWriter(dir);
    await writer.waitForAck(150);
    // While the writer runs, its LOCK keeps everyone else out.
    await expect(EmbeddedStore.open(dir)).rejects.toThrow(/locked \(held by running process \d+\)/);
    const acked = await killHard(writer);
    expect(acked).toBeGreaterThanOrEqual(150);
    await verifyWriterData(dir, acked);
  });

  it('with compaction, acknowledged commits survive repeated kill -9 (before and after snapshots)', async () => {
    const dir = tempDir();
    let acked = 0;
    for (let round = 1; round <= 3; round++) {
      // The writer continues after what the previous round left on disk.
      const resumeAt = await countRecords(dir);
      const writer = startWriter(dir, 25);
      await writer.waitForAck(resumeAt + 120);
      acked = await killHard(writer);
      expect(fs.existsSync(path.join(dir, 'snapshot.json'))).toBe(true);
      await verifyWriterData(dir, acked);
    }
    expect(acked).toBeGreaterThanOrEqual(360);
  });

  it('a torn last journal line (killed mid-write) is ignored and cut off', async () => {
    const dir = tempDir();
    let store = await EmbeddedStore.open(dir);
    const etags = await writeRecords(store, 1, 3);
    await store.close();
    const journal = journalOf(dir);
    const intactSize = fs.statSync(journal).size;
    fs.appendFileSync(journal, '{"lsn":7,"ops":[{"op":"put","key":"rec:4","etag":"x","va');

    store = await EmbeddedStore.open(dir);
    expect(fs.statSync(journal).size).toBe(intactSize);
    expect(await store.get('rec:3')).toEqual({ value: recordValue(3), etag: etags['rec:3'] });
    expect(await store.get('rec:4')).toBeUndefined();
    // The next record must start on a clean line, not after the garbage.
    await writeRecords(store, 4, 4);
    await store.close();
    expect(await verifyWriterData(dir, 4)).toBe(4);
  });

  it('a damaged line before the end refuses to open instead of silently dropping data', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    await writeRecords(store, 1, 3);
    await store.close();
    const lines = fs.readFileSync(journalOf(dir), 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 20);
    fs.writeFileSync(journalOf(dir), lines.join('\n'));
    await expect(EmbeddedStore.open(dir)).rejects.toThrow(/journal\.jsonl line 3 is corrupt/);
    // A failed open must not leave the dir locked.
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });

  it('compaction keeps all data, etags and sequences; the journal restarts small', async () => {
    const dir = tempDir();
    let store = await EmbeddedStore.open(dir, { compactAfterRecords: 10 });
    const etags = await writeRecords(store, 1, 35);
    // 70 records were written with a threshold of 10: several snapshots, a short journal.
    expect(fs.existsSync(path.join(dir, 'snapshot.json'))).toBe(true);
    expect(fs.readFileSync(journalOf(dir), 'utf8').split('\n').filter(Boolean).length).toBeLessThan(10);
    await store.close();

    store = await EmbeddedStore.open(dir);
    const docs = await store.getMany(Object.keys(etags));
    expect(docs.map((d) => d?.etag)).toEqual(Object.values(etags));
    await store.close();
    expect(await verifyWriterData(dir, 35)).toBe(35);
  });

  it('a crash between snapshot rename and journal truncate does not apply anything twice', async () => {
    const dir = tempDir();
    let store = await EmbeddedStore.open(dir);
    await writeRecords(store, 1, 10);
    const journalBefore = fs.readFileSync(journalOf(dir));
    await store.compact();
    expect(fs.statSync(journalOf(dir)).size).toBe(0);
    await store.close();
    // The state on disk if the process had died right before truncating the journal.
    fs.writeFileSync(journalOf(dir), journalBefore);

    store = await EmbeddedStore.open(dir);
    expect(await store.readLog('writes', -Infinity, Infinity)).toHaveLength(10);
    expect(await store.nextSeq('records')).toBe(11);
    await store.close();
    expect(await verifyWriterData(dir, 10)).toBe(10);

    store = await EmbeddedStore.open(dir);
    await writeRecords(store, 11, 12);
    await store.close();
    expect(await verifyWriterData(dir, 12)).toBe(12);
  });

  it('a leftover temp snapshot (crash while writing it) is ignored and removed', async () => {
    const dir = tempDir();
    let store = await EmbeddedStore.open(dir);
    await writeRecords(store, 1, 5);
    await store.close();
    const tmp = path.join(dir, 'snapshot.json.tmp');
    fs.writeFileSync(tmp, '{"format":"overlastbot-embedded-snapshot","version":1,"lsn":99,"seqs":[[');
    store = await EmbeddedStore.open(dir);
    await store.close();
    expect(fs.existsSync(tmp)).toBe(false);
    expect(await verifyWriterData(dir, 5)).toBe(5);
  });

  it('refuses a journal with missing records (e.g. snapshot.json deleted after a compaction)', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    await writeRecords(store, 1, 3);
    await store.compact();
    await writeRecords(store, 4, 4);
    await store.close();
    fs.rmSync(path.join(dir, 'snapshot.json'));
    await expect(EmbeddedStore.open(dir)).rejects.toThrow(/records are missing/);
  });

  it('compacts in the background: writes go on meanwhile, and a crash at any moment of it loses nothing acknowledged', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir, { compactAfterRecords: 1_000_000 });
    // Enough data that the snapshot takes many slices.
    const model = {
      docs: new Map<string, unknown>(),
      index: new Map<string, number>(),
      log: [] as number[],
      seq: 0,
      touched: new Set<string>(),
    };
    const FILL = 40_000;
    for (let start = 0; start < FILL; start += 1_000) {
      const ops: WriteOp[] = [];
      for (let n = start; n < start + 1_000; n++) {
        ops.push({ op: 'put', key: `doc:${n}`, value: { n, text: 'x'.repeat(n % 50) } }, { op: 'index', index: 'big', member: `m:${n}`, score: n % 997 });
        model.docs.set(`doc:${n}`, { n, text: 'x'.repeat(n % 50) });
        model.touched.add(`doc:${n}`);
        model.index.set(`m:${n}`, n % 997);
      }
      ops.push({ op: 'append', log: 'events', entry: { n: start } });
      model.log.push(start);
      expect(await store.commit(ops)).toMatchObject({ ok: true });
    }
    await store.commit([{ op: 'index', index: 'small', member: 'only', score: 1 }]);

    // Every kind of change while the snapshot is written: new, changed and deleted documents,
    // members added, moved and removed (also ones the cursor has passed), a log that grows, a
    // sequence, and an index emptied (so deleted) and created again.
    const crashCopies: { at: string; model: string; hadOldJournal: boolean }[] = [];
    let done = false;
    const compaction = store.compact().then(() => (done = true));
    let round = 0;
    const random = mulberry32(7);
    while (!done) {
      round += 1;
      const n = Math.floor(random() * FILL);
      const ops: WriteOp[] = [
        { op: 'put', key: `doc:${n}`, value: { n, round } },
        { op: 'put', key: `new:${round}`, value: { round } },
        { op: 'delete', key: `doc:${(n + 1) % FILL}` },
        { op: 'index', index: 'big', member: `m:${n}`, score: 2_000 + round },
        { op: 'index', index: 'big', member: `late:${round}`, score: random() * 1_000 },
        { op: 'unindex', index: 'big', member: `m:${(n + 7) % FILL}` },
        { op: 'append', log: 'events', entry: { n: -round } },
        round % 2 === 1 ? { op: 'unindex', index: 'small', member: 'only' } : { op: 'index', index: 'small', member: 'only', score: round },
      ];
      expect(await store.commit(ops)).toMatchObject({ ok: true });
      model.docs.set(`doc:${n}`, { n, round });
      model.docs.set(`new:${round}`, { round });
      model.docs.delete(`doc:${(n + 1) % FILL}`);
      for (const k of [`doc:${n}`, `new:${round}`, `doc:${(n + 1) % FILL}`]) model.touched.add(k);
      model.index.set(`m:${n}`, 2_000 + round);
      model.index.set(`late:${round}`, (ops[4] as { score: number }).score);
      model.index.delete(`m:${(n + 7) % FILL}`);
      model.log.push(-round);
      if (round % 2 === 0) {
        // What kill -9 would leave right now: the files as they are (the page cache survives it).
        const copy = tempDir();
        for (const f of fs.readdirSync(dir)) if (f !== 'LOCK') fs.copyFileSync(path.join(dir, f), path.join(copy, f));
        crashCopies.push({ at: copy, model: modelText(model, round % 2 === 0), hadOldJournal: fs.existsSync(path.join(dir, 'journal.old.jsonl')) });
      }
      // A sequence number reaches the disk with the next commit (here: the next round's), which
      // the copies after it hold.
      model.seq = await store.nextSeq('seq');
    }
    await compaction;
    const smallPresent = round % 2 === 0;

    // The store answered many writes while it compacted: it did not stop the world.
    expect(round).toBeGreaterThanOrEqual(3);
    expect(crashCopies.some((c) => c.hadOldJournal)).toBe(true);
    // What the rotation left: no old journal, and only the records written during the compaction.
    expect(fs.existsSync(path.join(dir, 'journal.old.jsonl'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'snapshot.json.tmp'))).toBe(false);
    expect(fs.readFileSync(journalOf(dir), 'utf8').split('\n').filter(Boolean).length).toBeLessThanOrEqual(2 * round);
    await store.close();

    const reopened = await EmbeddedStore.open(dir);
    expect(await readModel(reopened, modelText(model, smallPresent))).toBe(modelText(model, smallPresent));
    await reopened.close();
    for (const copy of crashCopies) {
      const recovered = await EmbeddedStore.open(copy.at);
      // Opening finishes the interrupted compaction.
      expect(fs.existsSync(path.join(copy.at, 'journal.old.jsonl'))).toBe(false);
      expect(await readModel(recovered, copy.model)).toBe(copy.model);
      await recovered.close();
    }
  });

  it('compacts again only once the journal has grown as large as the last snapshot', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir, { compactAfterBytes: 1024 });
    const ops: WriteOp[] = Array.from({ length: 200 }, (_, n) => ({ op: 'put', key: `big:${n}`, value: { text: 'y'.repeat(1_000) } }));
    await store.commit(ops);
    await store.compact();
    const snapshotSize = fs.statSync(path.join(dir, 'snapshot.json')).size;
    expect(snapshotSize).toBeGreaterThan(200_000);

    // Small writes: past 1 KiB, but no compaction before the journal is as large as the snapshot.
    let before = fs.statSync(journalOf(dir)).size;
    let shrankFrom: number | undefined;
    for (let n = 1; n <= 5_000 && shrankFrom === undefined; n++) {
      await store.commit([{ op: 'put', key: `small:${n}`, value: { n, text: 'z'.repeat(100) } }]);
      const size = fs.statSync(journalOf(dir)).size;
      if (size < before) shrankFrom = before;
      before = size;
    }
    // `shrankFrom` is the journal before the write that crossed the snapshot's size (~150 bytes).
    expect(shrankFrom).toBeDefined();
    expect(shrankFrom!).toBeLessThan(snapshotSize);
    expect(shrankFrom!).toBeGreaterThan(snapshotSize - 1_000);
    await store.close();
    const reopened = await EmbeddedStore.open(dir);
    expect((await reopened.get('big:199'))?.value).toEqual({ text: 'y'.repeat(1_000) });
    expect(await reopened.count('nothing', -Infinity, Infinity)).toBe(0);
    await reopened.close();
  });

  it('a compaction that fails (disk full) loses nothing: writes go on, and a later one cleans up', async () => {
    const dir = tempDir();
    const errors: Error[] = [];
    const store = await EmbeddedStore.open(dir, { compactAfterRecords: 4, onCompactionError: (e) => errors.push(e) });
    const realOpen = fs.openSync.bind(fs);
    const spy = vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).endsWith('snapshot.json.tmp')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return (realOpen as (...args: unknown[]) => number)(file, ...rest);
    }) as typeof fs.openSync);
    // 10 journal records: the automatic compaction fails, is reported, and the writes go on.
    await writeRecords(store, 1, 5);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/ENOSPC/);
    // The rotated journal stays until a snapshot covers it.
    expect(fs.existsSync(path.join(dir, 'journal.old.jsonl'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'snapshot.json.tmp'))).toBe(false);
    spy.mockRestore();
    await writeRecords(store, 6, 10);
    await store.compact();
    expect(fs.existsSync(path.join(dir, 'journal.old.jsonl'))).toBe(false);
    await writeRecords(store, 11, 12);
    await store.close();
    expect(await verifyWriterData(dir, 12)).toBe(12);
  });

  it('creates a missing data dir, including parents', async () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const store = await EmbeddedStore.open(dir);
    await writeRecords(store, 1, 1);
    await store.close();
    expect(fs.existsSync(journalOf(dir))).toBe(true);
    expect(await verifyWriterData(dir, 1)).toBe(1);
  });
});

describe('EmbeddedStore lock', () => {
  it('the same dir cannot be opened twice at once, and can again after close', async () => {
    const dir = tempDir();
    const first = await EmbeddedStore.open(dir);
    await expect(EmbeddedStore.open(dir)).rejects.toThrow(/already open in this process/);
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await first.close();
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
    const second = await EmbeddedStore.open(dir);
    await second.close();
  });

  it('a LOCK of a running process blocks; once that process is dead the lock is taken over', async () => {
    const dir = tempDir();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    const exited = new Promise((resolve) => other.once('exit', resolve));
    fs.writeFileSync(path.join(dir, 'LOCK'), `${other.pid}\n`);

    await expect(EmbeddedStore.open(dir)).rejects.toThrow(
      new RegExp(`locked \\(held by running process ${other.pid}\\).*delete .*LOCK`),
    );
    other.kill('SIGKILL');
    await exited;

    const store = await EmbeddedStore.open(dir);
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await store.close();
  });
});

describe('EmbeddedStore group commit', () => {
  type FsyncCallback = (error: NodeJS.ErrnoException | null) => void;
  /** Holds every journal fsync until the test releases it (with an error, if given). */
  function holdFsyncs() {
    const held: FsyncCallback[] = [];
    const real = fs.fsync.bind(fs);
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: FsyncCallback) => {
      held.push((error) => (error ? cb(error) : real(fd, cb)));
    }) as typeof fs.fsync);
    return {
      get count() {
        return held.length;
      },
      release(error?: NodeJS.ErrnoException) {
        for (const cb of held.splice(0)) cb(error ?? null);
      },
    };
  }
  const settled = async (p: Promise<unknown>) => {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    return done;
  };

  it('concurrent commits share an fsync, and every one of them survives a reopen', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    const fsyncs = vi.spyOn(fs, 'fsync');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.commit([{ op: 'put', key: `rec:${i + 1}`, value: recordValue(i + 1) }])),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fsyncs.mock.calls.length).toBeGreaterThan(0);
    expect(fsyncs.mock.calls.length).toBeLessThan(20);
    await store.close();
    const reopened = await EmbeddedStore.open(dir);
    const docs = await reopened.getMany(Array.from({ length: 200 }, (_, i) => `rec:${i + 1}`));
    expect(docs.map((d) => (d?.value as { n: number }).n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await reopened.close();
  });

  it('neither the commit nor a reader that sees it is answered before its fsync is done', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    const disk = holdFsyncs();
    const commit = store.commit([{ op: 'put', key: 'card:1', value: { n: 1 }, ifAbsent: true }]);
    const read = store.get('card:1');
    // A double click: refused on the condition, but that answer too waits for the disk.
    const again = store.commit([{ op: 'put', key: 'card:1', value: { n: 2 }, ifAbsent: true }]);
    expect(disk.count).toBeGreaterThan(0);
    expect(await settled(commit)).toBe(false);
    expect(await settled(read)).toBe(false);
    expect(await settled(again)).toBe(false);
    disk.release();
    expect(await commit).toMatchObject({ ok: true });
    expect((await read)?.value).toEqual({ n: 1 });
    expect(await again).toEqual({ ok: false, conflict: 'card:1' });
    await store.close();
  });

  it('a sequence number answers without waiting for the disk; the commit that uses it waits, and covers it', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    expect(await store.nextSeq('refs')).toBe(1);
    const disk = holdFsyncs();
    const second = store.nextSeq('refs');
    expect(await settled(second)).toBe(true);
    expect(await second).toBe(2);
    const commit = store.commit([{ op: 'put', key: 'ref:2', value: { n: 2 }, ifAbsent: true }]);
    expect(await settled(commit)).toBe(false);
    disk.release();
    expect(await commit).toMatchObject({ ok: true });
    await store.close();
    vi.restoreAllMocks();
    const reopened = await EmbeddedStore.open(dir);
    expect((await reopened.get('ref:2'))?.value).toEqual({ n: 2 });
    expect(await reopened.nextSeq('refs')).toBe(3);
    await reopened.close();
  });

  it('a read of data written earlier answers at once, even while newer writes wait for the disk', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    expect(await store.commit([{ op: 'put', key: 'old', value: { n: 1 }, ifAbsent: true }])).toMatchObject({ ok: true });
    const disk = holdFsyncs();
    const newer = store.commit([{ op: 'put', key: 'new', value: { n: 2 } }]);
    expect(await settled(newer)).toBe(false);
    expect((await store.get('old'))?.value).toEqual({ n: 1 });
    // A condition refused on durable data is answered at once too.
    expect(await store.commit([{ op: 'put', key: 'old', value: { n: 3 }, ifAbsent: true }])).toEqual({ ok: false, conflict: 'old' });
    expect(await settled(store.get('new'))).toBe(false);
    disk.release();
    expect(await newer).toMatchObject({ ok: true });
    await store.close();
  });

  it('the commits made while an fsync is in flight reach the file with one write, and all survive a reopen', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    const disk = holdFsyncs();
    const writes = vi.spyOn(fs, 'writeSync');
    const first = store.commit([{ op: 'put', key: 'rec:0', value: recordValue(0) }]);
    expect(writes).toHaveBeenCalledTimes(1);
    const more = Array.from({ length: 50 }, (_, i) => store.commit([{ op: 'put', key: `rec:${i + 1}`, value: recordValue(i + 1) }]));
    // Nothing more is written while the fsync is out, and nothing is answered.
    expect(writes).toHaveBeenCalledTimes(1);
    expect(await settled(Promise.race(more))).toBe(false);
    disk.release();
    vi.mocked(fs.fsync).mockRestore();
    await first;
    const results = await Promise.all(more);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(writes).toHaveBeenCalledTimes(2);
    await store.close();
    vi.restoreAllMocks();
    const reopened = await EmbeddedStore.open(dir);
    const docs = await reopened.getMany(Array.from({ length: 51 }, (_, i) => `rec:${i}`));
    expect(docs.map((d) => (d?.value as { n: number }).n)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    await reopened.close();
  });

  it('a failed journal write fails the commits it held, stops the store, and loses nothing confirmed before it', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    expect(await store.commit([{ op: 'put', key: 'kept', value: { n: 1 } }])).toMatchObject({ ok: true });
    const disk = holdFsyncs();
    const confirmed = store.commit([{ op: 'put', key: 'confirmed', value: { n: 2 } }]);
    const lost = [store.commit([{ op: 'put', key: 'lost:1', value: { n: 3 } }]), store.commit([{ op: 'put', key: 'lost:2', value: { n: 4 } }])];
    lost.forEach((p) => p.catch(() => undefined));
    vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    disk.release();
    // Its fsync was done before the failed write: answered as stored.
    expect(await confirmed).toMatchObject({ ok: true });
    for (const p of lost) await expect(p).rejects.toThrow(/disk write failed: ENOSPC/);
    await expect(store.get('lost:1')).rejects.toThrow(/Restart the process/);
    await expect(store.commit([{ op: 'put', key: 'later', value: {} }])).rejects.toThrow(/disk write failed/);
    await store.close();
    vi.restoreAllMocks();
    const reopened = await EmbeddedStore.open(dir);
    expect((await reopened.getMany(['kept', 'confirmed', 'lost:1', 'lost:2'])).map((d) => d?.value ?? null)).toEqual([{ n: 1 }, { n: 2 }, null, null]);
    await reopened.close();
  });

  it('a failed fsync fails the waiting commit, stops the store, and loses nothing confirmed before it', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open(dir);
    expect(await store.commit([{ op: 'put', key: 'kept', value: { n: 1 } }])).toMatchObject({ ok: true });
    const disk = holdFsyncs();
    const lost = store.commit([{ op: 'put', key: 'lost', value: { n: 2 } }]);
    await settled(lost);
    disk.release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(lost).rejects.toThrow(/disk write failed: EIO/);
    await expect(store.get('kept')).rejects.toThrow(/Restart the process/);
    await expect(store.commit([{ op: 'put', key: 'later', value: {} }])).rejects.toThrow(/disk write failed/);
    await expect(store.ping()).rejects.toThrow();
    await store.close();
    vi.restoreAllMocks();
    const reopened = await EmbeddedStore.open(dir);
    expect((await reopened.get('kept'))?.value).toEqual({ n: 1 });
    expect(await reopened.get('lost')).toBeUndefined();
    await reopened.close();
  });
});

interface Model {
  docs: Map<string, unknown>;
  index: Map<string, number>;
  log: number[];
  seq: number;
  touched: Set<string>;
}

/** The model as text: documents, the big index in order, the small one, the log and the sequence. */
function modelText(model: Model, smallPresent: boolean): string {
  const docs = [...model.touched].sort().map((k) => [k, model.docs.get(k) ?? null]);
  const index = [...model.index].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify({ docs, index, small: smallPresent ? ['only'] : [], log: model.log, seq: model.seq });
}

/** The same text read from a store, for the documents `expected` (a modelText) names. Uses up a sequence number. */
async function readModel(store: EmbeddedStore, expected: string): Promise<string> {
  const keys = (JSON.parse(expected) as { docs: [string, unknown][] }).docs.map(([k]) => k);
  const docs = (await store.getMany(keys)).map((d, i) => [keys[i], d?.value ?? null]);
  const index = (await store.range('big', -Infinity, Infinity, { limit: 1_000_000 })).map((e) => [e.member, e.score]);
  const small = (await store.range('small', -Infinity, Infinity)).map((e) => e.member);
  const log = (await store.readLog('events', -Infinity, Infinity, { limit: 1_000_000 })).map((e) => (e.entry as { n: number }).n);
  const seq = (await store.nextSeq('seq')) - 1;
  return JSON.stringify({ docs, index, small, log, seq });
}

/** A small deterministic random generator. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function countRecords(dir: string): Promise<number> {
  const store = await EmbeddedStore.open(dir);
  try {
    return await store.count('records', -Infinity, Infinity);
  } finally {
    await store.close();
  }
}
