/**
 * EmbeddedStore: the whole data set in memory, made durable by an append-only journal.
 *
 * Design notes
 *
 * - Files in the data dir: `journal.jsonl` (one JSON record per line), `snapshot.json` (state as of
 *   a journal sequence number, "lsn"), `snapshot.json.tmp` (a compaction in progress; deleted on
 *   open) and `LOCK` (pid of the owning process).
 *
 * - One journal line per commit / nextSeq. A line carries the *resolved* effects (etags, log ids,
 *   timestamps) rather than the request, so replay is deterministic and needs no clock. A commit is
 *   atomic on disk because it is a single line: either the whole line is there or it is a torn tail.
 *
 * - Serialisation: commit/nextSeq run synchronously from validation to journal line to apply; the
 *   event loop cannot interleave another write, so journal order is apply order without a queue.
 *   The lines go to the file with one write(2) right before each fsync, so the commits made while
 *   an fsync is in flight cost one system call together, not one each. A failed write(2) stops
 *   the store like a failed fsync (below): memory may hold lines the file does not.
 *
 * - Durability, by group commit: the fsync runs on libuv's thread pool, and one fsync covers every
 *   line written before it started, so concurrent commits share it and the event loop never
 *   blocks on the disk. `commit()` resolves only once its line is fsync'ed.
 *   Memory can hold a line that is not yet durable, so **every answer that saw it waits**: a read
 *   (or a commit refused on a condition) captures its result at once, then resolves only after
 *   the lines that last wrote what it read (the document, index or log — `pending`) are fsync'ed.
 *   So no caller ever acts on data a crash could still take away — e.g. a double-clicked card is
 *   answered "already received" only once the first click's signal is on disk — while a read of
 *   data written earlier answers at once, however busy the journal is.
 *
 * - Sequences: `nextSeq()` answers at once, without waiting for its line to reach the disk. A
 *   number is only ever shown to anyone as part of a commit that uses it, and that commit's line
 *   comes later in the journal, so the fsync that makes the commit durable covers the number too.
 *   A crash before that fsync loses both: the number may be issued again, but nobody was told it.
 *   This saves a submit one fsync wait of its two.
 *
 * - Torn tail: a process killed mid-write leaves an unterminated last line. That commit was never
 *   acknowledged (the ack waits for fsync), so it is dropped and truncated away on open, so that
 *   the next record does not get glued to garbage. A malformed line that *is* terminated cannot be
 *   produced by a crash (lines are written whole, by write calls that end in '\n'; a crash cuts
 *   off a suffix), so it means real corruption: open refuses rather than silently losing data after it.
 *
 * - Compaction (see `compactInBackground()`) runs beside the writes, in slices of a few
 *   milliseconds, so the event loop never stalls on it: rotate the journal (new records go to a new
 *   `journal.jsonl`, the old one becomes `journal.old.jsonl`) -> write the snapshot as of the lsn at
 *   rotation -> temp file + fsync -> rename + fsync dir -> delete the old journal. The snapshot is
 *   "fuzzy": an item may be written with a value it got after the rotation. That is safe because
 *   every record holds absolute effects (set this document, this member's score, this sequence
 *   value; delete) and log appends carry their id, so replaying the records after the snapshot's
 *   lsn — all of them in the new journal — ends in the same state, and an append already in the
 *   snapshot is skipped by its id. The snapshot is named only once every record whose effect it
 *   may hold is fsync'ed, so a commit is never half in it. Every record has an lsn and the
 *   snapshot stores the lsn it includes, so replay skips records the snapshot already contains.
 *
 * - Indexes: a chunked sorted list per index (sorted by score, then member in Redis' byte order).
 *   Binary search over chunks then within a chunk gives O(log n) bounds, so count is O(log n) and
 *   range O(log n + k). Chunks keep an insert at O(log n + chunk size) instead of the O(n) splice
 *   of one big array, which matters when a million entries are indexed in random order.
 *
 * - Log ids follow Redis stream ids (`<ms>-<seq>`, ms never goes backwards even if the clock
 *   does), so `at` is non-decreasing and readLog can binary-search by time like XRANGE.
 *
 * - Values are kept as JSON strings: every get returns a fresh copy (callers cannot mutate stored
 *   state) and the semantics match Redis, where values are JSON too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommitResult, IndexEntry, IndexQuery, IndexSummary, LogEntry, Store, Versioned, WriteOp } from '../ports.js';
import { DocTable } from './doc-table.js';
import {
  checkQuery,
  compareMembers,
  normaliseLimit,
  prepareOps,
  requireBound,
  requireString,
  type PreparedOp,
} from './write-ops.js';

export interface EmbeddedStoreOptions {
  /** Compact once the journal holds this many records (default 100,000: bounds the replay at open). */
  compactAfterRecords?: number;
  /**
   * ... or this many bytes (default 64 MiB, Redis' `auto-aof-rewrite-min-size`) and at least as many
   * as the last snapshot, whichever comes first. Like Redis' AOF rewrite: a snapshot costs what the
   * whole data set costs to write, so it waits until the journal has grown as large; the work per
   * write then does not grow with the data set. Replaying 64 MiB at open takes about a second here
   * (28 MiB of signals and index entries: 0.36 s).
   */
  compactAfterBytes?: number;
  /**
   * Called when a compaction fails; the store keeps working on the (still valid) journal and
   * retries later. Default: a process warning.
   */
  onCompactionError?: (error: Error) => void;
}

const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'snapshot.json';
const SNAPSHOT_TMP = 'snapshot.json.tmp';
/** The journal before the last rotation, until the snapshot that covers it is named (see compaction). */
const JOURNAL_OLD = 'journal.old.jsonl';
/** A background compaction works this long, then lets the event loop run (ms). */
const COMPACTION_SLICE_MS = 4;
const LOCK = 'LOCK';
const SNAPSHOT_FORMAT = 'overlastbot-embedded-snapshot';

type ResolvedOp =
  | { op: 'put'; key: string; etag: string; json: string }
  | { op: 'delete'; key: string }
  | { op: 'index'; index: string; member: string; score: number }
  | { op: 'unindex'; index: string; member: string }
  | { op: 'append'; log: string; id: string; at: number; json: string };

export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;

  /** Documents: their texts are kept outside V8's heap (see src/store/doc-table.ts). */
  private readonly docs = new DocTable();
  private readonly indexes = new Map<string, SortedIndex>();
  private readonly logs = new Map<string, LogState>();
  private readonly seqs = new Map<string, number>();
  /** lsn of the last record applied (from snapshot or journal). */
  private lsn = 0;
  private snapshotLsn = 0;
  /** Size of the last snapshot written or loaded (see `compactAfterBytes`). */
  private snapshotBytes = 0;

  private fd = -1;
  private journalBytes = 0;
  private journalRecords = 0;
  /** Automatic compaction is not retried before the journal holds this many records. */
  private compactionDeferredUntil = 0;
  /** The compaction running in the background, if any. */
  private compaction: Promise<void> | undefined;
  /** `journal.old.jsonl` exists: rotated away by a compaction that has not finished (or failed). */
  private oldJournal = false;
  /** The old journal's fd, closed once no fsync of it is in flight. */
  private retiredFd = -1;
  private closed = false;
  /** Set when a journal write failed: the file may be in an unknown state, so writes stop. */
  private failure: Error | undefined;

  // Group commit (see the design notes): journal lines written, and how many of them are fsync'ed.
  // "Written" includes the lines still in `unwritten`, which go to the file with the next fsync.
  private linesWritten = 0;
  private unwritten: string[] = [];
  /** Their length (UTF-16 units: bytes for ASCII, fewer otherwise), for the compaction trigger. */
  private unwrittenLength = 0;
  private linesSynced = 0;
  /** Journal size up to the last fsync'ed line, to cut off what a failed fsync may have lost. */
  private syncedBytes = 0;
  private syncInFlight = false;
  /** Compactions so far: an fsync that started before one must not set `syncedBytes` after it. */
  private compactions = 0;
  private durabilityWaiters: { line: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  /** What the lines not yet fsync'ed wrote (documents, indexes, logs by name) → the last such line. */
  private readonly pending: Record<Pending, Map<string, number>> = { doc: new Map(), index: new Map(), log: new Map() };

  private readonly compactAfterRecords: number;
  private readonly compactAfterBytes: number;
  private readonly onCompactionError: (error: Error) => void;

  private constructor(
    /** Absolute path of the data dir. */
    readonly dir: string,
    options: EmbeddedStoreOptions,
    private readonly releaseLock: () => void,
  ) {
    this.compactAfterRecords = positiveOption(options.compactAfterRecords, 100_000, 'compactAfterRecords');
    this.compactAfterBytes = positiveOption(options.compactAfterBytes, 64 * 1024 * 1024, 'compactAfterBytes');
    this.onCompactionError =
      options.onCompactionError ??
      ((error) => process.emitWarning(`EmbeddedStore compaction failed, will retry: ${error.message}`));
  }

  /** Opens (creating if needed) the data dir, takes its lock and loads snapshot + journal. */
  static async open(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
    const abs = path.resolve(dir);
    ensureDir(abs);
    const release = acquireLock(abs);
    const store = new EmbeddedStore(abs, options, release);
    try {
      await store.load();
    } catch (error) {
      if (store.fd >= 0) fs.closeSync(store.fd);
      release();
      throw error;
    }
    return store;
  }

  // ---------------------------------------------------------------- reads

  async get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
    this.assertWritable();
    requireString(key, 'get: key');
    return this.durableFor(this.read<T>(key), 'doc', key);
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | undefined)[]> {
    this.assertWritable();
    keys.forEach((key, i) => requireString(key, `getMany: key #${i}`));
    return this.durableFor(
      keys.map((key) => this.read<T>(key)),
      'doc',
      keys,
    );
  }

  private read<T>(key: string): Versioned<T> | undefined {
    const doc = this.docs.get(key);
    return doc && { value: JSON.parse(doc.json) as T, etag: doc.etag };
  }

  async range(
    index: string,
    min: number,
    max: number,
    options: { limit?: number; reverse?: boolean } = {},
  ): Promise<IndexEntry[]> {
    this.assertWritable();
    requireString(index, 'range: index');
    requireBound(min, 'range: min');
    requireBound(max, 'range: max');
    const limit = normaliseLimit(options.limit, 'range');
    return this.durableFor(this.indexes.get(index)?.range(min, max, limit, options.reverse === true) ?? [], 'index', index);
  }

  async count(index: string, min: number, max: number): Promise<number> {
    this.assertWritable();
    requireString(index, 'count: index');
    requireBound(min, 'count: min');
    requireBound(max, 'count: max');
    return this.durableFor(this.indexes.get(index)?.count(min, max) ?? 0, 'index', index);
  }

  async summarise(queries: readonly IndexQuery[]): Promise<IndexSummary[]> {
    this.assertWritable();
    const checked = queries.map((q, i) => checkQuery(q, i));
    const answers = checked.map(({ index, min, max, latest }) => {
      const found = this.indexes.get(index);
      if (!found) return { count: 0, latest: [] };
      const count = found.count(min, max);
      return { count, latest: latest > 0 && count > 0 ? found.range(min, max, latest, true) : [] };
    });
    return this.durableFor(
      answers,
      'index',
      checked.map((q) => q.index),
    );
  }

  async readLog(log: string, from: number, to: number, options: { limit?: number } = {}): Promise<LogEntry[]> {
    this.assertWritable();
    requireString(log, 'readLog: log');
    requireBound(from, 'readLog: from');
    requireBound(to, 'readLog: to');
    const limit = normaliseLimit(options.limit, 'readLog');
    return this.durableFor(this.logs.get(log)?.read(from, to, limit) ?? [], 'log', log);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    if (this.failure) throw this.failureError();
  }

  // ---------------------------------------------------------------- writes

  async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    this.assertWritable();
    const prepared = prepareOps(ops);

    // Every condition against the state *before* the commit; nothing is touched until all pass.
    for (const op of prepared) {
      if (op.op !== 'put' && op.op !== 'delete') continue;
      // The state that refused it may still be on its way to disk: answer once it is there.
      if (op.op === 'put' && op.ifAbsent && this.docs.has(op.key)) return this.durableFor({ ok: false, conflict: op.key }, 'doc', op.key);
      if (op.ifEtag !== undefined && this.docs.etag(op.key) !== op.ifEtag) return this.durableFor({ ok: false, conflict: op.key }, 'doc', op.key);
    }
    if (prepared.length === 0) return { ok: true, etags: {} };

    const lsn = this.lsn + 1;
    const resolved = this.resolve(prepared, lsn);
    this.writeRecord(encodeCommit(lsn, resolved));
    const line = this.linesWritten;
    for (const op of resolved) {
      this.apply(op);
      this.markPending(op, line);
    }
    this.lsn = lsn;
    this.maybeCompact();

    // A Map, then fromEntries: keys are caller data, and `__proto__` must stay an ordinary key.
    const etags = new Map<string, string>();
    for (const op of resolved) if (op.op === 'put') etags.set(op.key, op.etag);
    await this.waitDurable(line);
    return { ok: true, etags: Object.fromEntries(etags) };
  }

  async nextSeq(name: string): Promise<number> {
    this.assertWritable();
    requireString(name, 'nextSeq: name');
    const value = (this.seqs.get(name) ?? 0) + 1;
    const lsn = this.lsn + 1;
    this.writeRecord(`{"lsn":${lsn},"seq":${JSON.stringify(name)},"value":${value}}`);
    this.seqs.set(name, value);
    this.lsn = lsn;
    this.maybeCompact();
    // Not waiting for the fsync: see "Sequences" in the design notes.
    return value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A running compaction stops at its next slice; the old journal it leaves is merged on open.
    await this.compaction?.catch(() => undefined);
    // Every acknowledged write is fsync'ed already; wait for the lines still on their way, so
    // nothing in flight is cut off (their callers are waiting for the same fsync).
    await this.waitDurable(this.linesWritten).catch(() => undefined);
    try {
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.closeRetired();
    } finally {
      this.fd = -1;
      this.releaseLock();
    }
  }

  /**
   * Writes a snapshot of everything written before the call, and drops the journal records it
   * covers. Runs automatically (in the background) past the thresholds; public for tests,
   * maintenance and retention, which needs deleted data gone from the files.
   * See `compactInBackground` for the steps and what a crash at each of them leaves.
   */
  async compact(): Promise<void> {
    this.assertWritable();
    // One that is running started before the caller's last write (retention relies on this).
    await this.compaction?.catch(() => undefined);
    this.assertWritable();
    await this.startCompaction();
  }

  // ---------------------------------------------------------------- internals

  private resolve(prepared: readonly PreparedOp[], lsn: number): ResolvedOp[] {
    // Several appends to one log in a single commit need consecutive ids before anything is applied.
    const lastIds = new Map<string, { at: number; seq: number }>();
    return prepared.map((op, i): ResolvedOp => {
      switch (op.op) {
        case 'put':
          // Unique for ever within this data dir: lsns only grow (also across compaction).
          return { op: 'put', key: op.key, etag: `${lsn.toString(36)}.${i.toString(36)}`, json: op.json };
        case 'delete':
          return { op: 'delete', key: op.key };
        case 'index':
          return { op: 'index', index: op.index, member: op.member, score: op.score };
        case 'unindex':
          return { op: 'unindex', index: op.index, member: op.member };
        case 'append': {
          const state = this.logs.get(op.log);
          const last = lastIds.get(op.log) ?? { at: state?.lastAt ?? -1, seq: state?.lastSeq ?? -1 };
          const at = Math.max(Date.now(), last.at);
          const seq = at === last.at ? last.seq + 1 : 0;
          lastIds.set(op.log, { at, seq });
          return { op: 'append', log: op.log, id: `${at}-${seq}`, at, json: op.json };
        }
      }
    });
  }

  private apply(op: ResolvedOp): void {
    switch (op.op) {
      case 'put':
        this.docs.set(op.key, op.json, op.etag);
        return;
      case 'delete':
        this.docs.delete(op.key);
        return;
      case 'index': {
        let index = this.indexes.get(op.index);
        if (!index) this.indexes.set(op.index, (index = new SortedIndex()));
        index.set(op.member, op.score);
        return;
      }
      case 'unindex': {
        const index = this.indexes.get(op.index);
        if (!index) return;
        index.delete(op.member);
        // Redis deletes an empty sorted set; dropping it here keeps snapshots free of empty indexes.
        if (index.size === 0) this.indexes.delete(op.index);
        return;
      }
      case 'append': {
        let log = this.logs.get(op.log);
        if (!log) this.logs.set(op.log, (log = new LogState()));
        log.push({ id: op.id, at: op.at, json: op.json });
        return;
      }
    }
  }

  /** Adds one journal line; it reaches the file with the next fsync (`flushLines`). */
  private writeRecord(line: string): void {
    this.unwritten.push(line);
    this.unwrittenLength += line.length + 1;
    this.journalRecords += 1;
    this.linesWritten += 1;
  }

  /**
   * Writes the lines added since the last call with one write(2). Run right before every fsync:
   * while one is in flight, the commits of that time collect here, and go to the file together.
   * Returns false when the write failed (the store has stopped then).
   */
  private flushLines(): boolean {
    if (this.unwritten.length === 0) return !this.failure;
    const buf = Buffer.from(this.unwritten.join('\n') + '\n', 'utf8');
    this.unwritten = [];
    this.unwrittenLength = 0;
    try {
      writeAll(this.fd, buf);
    } catch (error) {
      this.fail(error, this.journalBytes);
      return false;
    }
    this.journalBytes += buf.length;
    return true;
  }

  /**
   * Stops all further work after a failed write or fsync. Best effort: cut off what may not be on
   * disk, so a partial line cannot be mistaken for corruption later. After a failed fsync the
   * kernel may have dropped dirty pages and memory may hold lines the disk does not, so reads stop
   * too: the only safe continuation is a restart that re-reads what is really on disk.
   */
  private fail(error: unknown, keepBytes?: number): void {
    this.failure ??= asError(error);
    this.unwritten = [];
    this.unwrittenLength = 0;
    if (keepBytes !== undefined) {
      try {
        fs.ftruncateSync(this.fd, keepBytes);
      } catch {
        /* already failed; the torn-tail handling on open covers this */
      }
    }
    const waiters = this.durabilityWaiters;
    this.durabilityWaiters = [];
    for (const w of waiters) w.reject(this.failureError());
  }

  /** `value`, once the lines that last wrote these things (`pending` keys) are fsync'ed. */
  private async durableFor<T>(value: T, kind: Pending, names: string | readonly string[]): Promise<T> {
    // Usually everything is on disk already.
    if (this.linesSynced >= this.linesWritten) return value;
    const pending = this.pending[kind];
    let line = 0;
    if (typeof names === 'string') line = pending.get(names) ?? 0;
    else for (const name of names) line = Math.max(line, pending.get(name) ?? 0);
    if (line > this.linesSynced) await this.waitDurable(line);
    return value;
  }

  private markPending(op: ResolvedOp, line: number): void {
    switch (op.op) {
      case 'put':
      case 'delete':
        this.pending.doc.set(op.key, line);
        return;
      case 'index':
      case 'unindex':
        this.pending.index.set(op.index, line);
        return;
      case 'append':
        this.pending.log.set(op.log, line);
        return;
    }
  }

  private waitDurable(line: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failureError());
    if (this.linesSynced >= line) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.durabilityWaiters.push({ line, resolve, reject });
      this.startSync();
    });
  }

  /** One fsync for every line written before it starts; the next one starts when it is done. */
  private startSync(): void {
    if (this.syncInFlight || this.failure || this.fd < 0 || this.linesSynced >= this.linesWritten) return;
    if (!this.flushLines()) return;
    const target = this.linesWritten;
    const bytes = this.journalBytes;
    const epoch = this.compactions;
    this.syncInFlight = true;
    fs.fsync(this.fd, (error) => {
      this.syncInFlight = false;
      // The journal was rotated meanwhile: this was the old one's last fsync.
      if (this.compactions !== epoch && this.retiredFd >= 0) this.closeRetired();
      if (error) {
        this.fail(error, this.compactions === epoch ? this.syncedBytes : 0);
        return;
      }
      if (this.compactions === epoch) this.syncedBytes = Math.max(this.syncedBytes, bytes);
      this.markSynced(target);
      this.startSync();
    });
  }

  private markSynced(line: number): void {
    if (line > this.linesSynced) this.linesSynced = line;
    for (const pending of Object.values(this.pending)) {
      if (this.linesSynced >= this.linesWritten) pending.clear();
      else for (const [name, written] of pending) if (written <= this.linesSynced) pending.delete(name);
    }
    const done = this.durabilityWaiters.filter((w) => w.line <= this.linesSynced);
    if (done.length === 0) return;
    this.durabilityWaiters = this.durabilityWaiters.filter((w) => w.line > this.linesSynced);
    for (const w of done) w.resolve();
  }

  private maybeCompact(): void {
    if (this.compaction || this.closed) return;
    const journalBytes = this.journalBytes + this.unwrittenLength;
    const due = this.journalRecords >= this.compactAfterRecords || journalBytes >= Math.max(this.compactAfterBytes, this.snapshotBytes);
    if (!due || this.journalRecords < this.compactionDeferredUntil) return;
    // The commit that triggered this is not failed by it: its record is in the journal either way.
    this.startCompaction().catch((error: unknown) => {
      if (error instanceof CompactionStopped) return;
      this.compactionDeferredUntil = this.journalRecords + this.compactAfterRecords;
      this.onCompactionError(asError(error));
    });
  }

  private startCompaction(): Promise<void> {
    this.compaction ??= this.compactInBackground().finally(() => {
      this.compaction = undefined;
    });
    return this.compaction;
  }

  /**
   * The background compaction. Steps, and what a crash (kill -9, power loss) after each leaves:
   *
   * 1. Rotate: fsync the journal, rename it to `journal.old.jsonl`, open a new `journal.jsonl`,
   *    fsync the dir. Every line of the old journal is on disk before the first line of the new one
   *    is written, so the two never leave a gap. A crash now: the old snapshot, the old journal and
   *    perhaps a new one; open replays both in order (and compacts right away, see `load`). Skipped
   *    when a failed compaction already left an old journal: the new one then simply grows on.
   * 2. Write the snapshot as of the lsn at rotation to `snapshot.json.tmp`, in slices, reading the
   *    live state (fuzzy: see the design notes). A crash: a partial temp file, which open deletes.
   * 3. Wait until every journal line written so far is fsync'ed, then fsync the temp file. After
   *    this, every effect the snapshot may hold is in a durable record after its lsn.
   * 4. Rename over `snapshot.json`, fsync the dir. Atomic: after a crash either the old snapshot
   *    (with both journals complete) or the new one (whose lsn makes replay skip the old journal).
   * 5. Delete the old journal, fsync the dir. A crash before: replay skips its records by lsn.
   *
   * A stop (close, or a failed journal write) ends it at the next slice: the temp file is removed
   * and the old journal stays for the next open.
   */
  private async compactInBackground(): Promise<void> {
    if (!this.oldJournal) this.rotateJournal();
    const lsn = this.lsn;
    const tmp = path.join(this.dir, SNAPSHOT_TMP);
    const fd = fs.openSync(tmp, 'w');
    try {
      await this.writeSnapshotInSlices(fd, lsn);
      await this.waitDurable(this.linesWritten);
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
      this.checkCompactionGoesOn();
    } catch (error) {
      fs.closeSync(fd);
      removeIfExists(tmp);
      throw error;
    }
    const bytes = fs.fstatSync(fd).size;
    fs.closeSync(fd);
    try {
      fs.renameSync(tmp, path.join(this.dir, SNAPSHOT));
    } catch (error) {
      removeIfExists(tmp);
      throw error;
    }
    fsyncDir(this.dir);
    this.snapshotLsn = lsn;
    this.snapshotBytes = bytes;
    this.dropOldJournal();
  }

  /** Step 1 of the background compaction (see there). */
  private rotateJournal(): void {
    const journal = path.join(this.dir, JOURNAL);
    const old = path.join(this.dir, JOURNAL_OLD);
    // Every line so far belongs to the old journal.
    if (!this.flushLines()) throw this.failureError();
    try {
      fs.fsyncSync(this.fd);
    } catch (error) {
      this.fail(error, this.syncedBytes);
      throw this.failureError();
    }
    fs.renameSync(journal, old);
    let fd: number;
    try {
      fd = fs.openSync(journal, 'a');
    } catch (error) {
      fs.renameSync(old, journal);
      throw error;
    }
    const previous = this.fd;
    this.fd = fd;
    this.oldJournal = true;
    this.retiredFd = previous;
    // An fsync of the old journal still in flight closes it when it is done (startSync).
    if (!this.syncInFlight) this.closeRetired();
    // An fsync that started before the rotation must not count for the new file's bytes.
    this.compactions += 1;
    this.journalBytes = 0;
    this.syncedBytes = 0;
    this.journalRecords = 0;
    this.markSynced(this.linesWritten);
    try {
      fsyncDir(this.dir);
    } catch (error) {
      // Without a durable directory entry the new journal's lines could vanish in a crash.
      this.fail(error);
      throw this.failureError();
    }
  }

  private closeRetired(): void {
    if (this.retiredFd < 0) return;
    const fd = this.retiredFd;
    this.retiredFd = -1;
    fs.closeSync(fd);
  }

  /** Step 5: the snapshot is named, so the old journal's records are all covered. */
  private dropOldJournal(): void {
    if (!this.oldJournal) return;
    removeIfExists(path.join(this.dir, JOURNAL_OLD));
    this.oldJournal = false;
    fsyncDir(this.dir);
  }

  private checkCompactionGoesOn(): void {
    if (this.closed || this.failure) throw new CompactionStopped();
  }

  /**
   * The snapshot, written from the live state a slice at a time. Maps are iterated live (an entry
   * that exists throughout is visited once; one added meanwhile may be visited, one deleted may
   * not), an index by a (score, member) cursor (the same holds), a log by position (logs only
   * grow). Whatever changed after `lsn` is replayed from the journal on open.
   */
  private async writeSnapshotInSlices(fd: number, lsn: number): Promise<void> {
    const out = new ChunkedWriter(fd);
    let sliceStart = performance.now();
    let work = 0;
    /** Whether the slice is used up (looking at the clock every 128 items written) or a write is due. */
    const due = (items = 1): boolean => {
      if (out.full) return true;
      work += items;
      if (work < 128) return false;
      work = 0;
      return performance.now() - sliceStart >= COMPACTION_SLICE_MS;
    };
    const pause = async (): Promise<void> => {
      await out.flush();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.checkCompactionGoesOn();
      sliceStart = performance.now();
    };
    out.write(`{"format":"${SNAPSHOT_FORMAT}","version":1,"lsn":${lsn},\n"seqs":[`);
    let first = true;
    for (const [name, value] of [...this.seqs]) {
      out.write(`${first ? '' : ','}\n[${JSON.stringify(name)},${value}]`);
      first = false;
    }
    out.write('],\n"docs":[');
    first = true;
    for (const [key, etag, json] of this.docs.entries()) {
      out.write(`${first ? '' : ','}\n[${JSON.stringify(key)},${JSON.stringify(etag)},${json}]`);
      first = false;
      if (due()) await pause();
    }
    out.write('],\n"indexes":[');
    first = true;
    for (const [name, index] of this.indexes) {
      out.write(`${first ? '' : ','}\n[${JSON.stringify(name)},[`);
      first = false;
      let firstEntry = true;
      let cursor: IndexEntry | undefined;
      for (;;) {
        const batch = index.after(cursor, 128);
        for (const entry of batch) {
          out.write(`${firstEntry ? '' : ','}[${JSON.stringify(entry.member)},${JSON.stringify(entry.score)}]`);
          firstEntry = false;
        }
        if (batch.length < 128) break;
        cursor = batch[batch.length - 1];
        if (due(batch.length)) await pause();
      }
      out.write(']]');
      if (due()) await pause();
    }
    out.write('],\n"logs":[');
    first = true;
    for (const [name, log] of this.logs) {
      out.write(`${first ? '' : ','}\n[${JSON.stringify(name)},[`);
      first = false;
      for (let i = 0; i < log.entries.length; i++) {
        const entry = log.entries[i]!;
        out.write(`${i === 0 ? '' : ','}\n[${JSON.stringify(entry.id)},${entry.at},${entry.json}]`);
        if (due()) await pause();
      }
      out.write(']]');
    }
    out.write(']}\n');
    await out.flush();
  }

  private async load(): Promise<void> {
    // A leftover temp snapshot is an interrupted compaction (step 2): never renamed, so never used.
    removeIfExists(path.join(this.dir, SNAPSHOT_TMP));
    this.loadSnapshot();

    // An old journal is a compaction that did not finish (step 1 happened, step 5 did not): its
    // records come before the current journal's. Those the snapshot covers are skipped by lsn.
    const oldPath = path.join(this.dir, JOURNAL_OLD);
    const old = readIfExists(oldPath);
    if (old) {
      const { validLength } = this.replay(old, oldPath);
      // Rotation fsyncs the old journal before the new one gets a line, so a crash cannot tear it
      // and also leave records after it; a torn tail followed by nothing is a crash before rotation.
      if (validLength < old.length) fs.truncateSync(oldPath, validLength);
      this.oldJournal = true;
    }

    const journalPath = path.join(this.dir, JOURNAL);
    let content: Buffer;
    let existed = true;
    try {
      content = fs.readFileSync(journalPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      content = Buffer.alloc(0);
      existed = false;
    }
    const { validLength, lines } = this.replay(content, journalPath);
    if (validLength < content.length) fs.truncateSync(journalPath, validLength);

    // O_APPEND: every write goes to the end, also after compaction truncates the file.
    this.fd = fs.openSync(journalPath, 'a');
    if (!existed) fsyncDir(this.dir);
    if (validLength < content.length) fs.fsyncSync(this.fd);
    this.journalBytes = validLength;
    this.syncedBytes = validLength;
    this.journalRecords = lines;
    // Finish what the crashed compaction started, before anything else is written.
    if (this.oldJournal) await this.startCompaction();
    else this.maybeCompact();
  }

  private loadSnapshot(): void {
    const file = path.join(this.dir, SNAPSHOT);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    this.snapshotBytes = Buffer.byteLength(text);
    try {
      const snap = JSON.parse(text) as Record<string, unknown>;
      if (snap.format !== SNAPSHOT_FORMAT || snap.version !== 1) throw new Error('unknown format or version');
      this.lsn = this.snapshotLsn = expectSafeInteger(snap.lsn);
      for (const [name, value] of expectArray(snap.seqs) as [unknown, unknown][]) {
        this.seqs.set(expectString(name), expectSafeInteger(value));
      }
      for (const [key, etag, value] of expectArray(snap.docs) as [unknown, unknown, unknown][]) {
        this.docs.set(expectString(key), JSON.stringify(value), expectString(etag));
      }
      for (const [name, entries] of expectArray(snap.indexes) as [unknown, unknown][]) {
        const list = (expectArray(entries) as [unknown, unknown][]).map(([member, score]) => ({
          member: expectString(member),
          score: expectFinite(score),
        }));
        this.indexes.set(expectString(name), SortedIndex.from(list));
      }
      for (const [name, entries] of expectArray(snap.logs) as [unknown, unknown][]) {
        const log = new LogState();
        for (const [id, at, entry] of expectArray(entries) as [unknown, unknown, unknown][]) {
          log.push({ id: expectString(id), at: expectSafeInteger(at), json: JSON.stringify(entry) });
        }
        this.logs.set(expectString(name), log);
      }
    } catch (error) {
      throw new Error(`EmbeddedStore: ${file} is corrupt (${asError(error).message}); restore it from a backup`, {
        cause: error,
      });
    }
  }

  /** Applies every complete journal line; returns where the valid part of the file ends. */
  private replay(content: Buffer, file: string): { validLength: number; lines: number } {
    let start = 0;
    let lineNo = 0;
    while (start < content.length) {
      const end = content.indexOf(0x0a, start);
      if (end === -1) break; // torn tail: never acknowledged, dropped by the caller
      lineNo += 1;
      const text = content.toString('utf8', start, end);
      start = end + 1;
      if (text.trim() === '') continue;
      try {
        this.replayRecord(JSON.parse(text));
      } catch (error) {
        throw new Error(
          `EmbeddedStore: ${file} line ${lineNo} is corrupt (${asError(error).message}). ` +
            'A crash only ever tears the last line, so this is damage to the file; restore it from a backup.',
          { cause: error },
        );
      }
    }
    return { validLength: start, lines: lineNo };
  }

  private replayRecord(record: unknown): void {
    if (record === null || typeof record !== 'object') throw new Error('not an object');
    const rec = record as Record<string, unknown>;
    const lsn = expectSafeInteger(rec.lsn);
    if (lsn <= this.lsn) {
      // Left behind by a compaction that crashed before truncating (step 3): already in the snapshot.
      if (lsn <= this.snapshotLsn) return;
      throw new Error(`lsn ${lsn} out of order after ${this.lsn}`);
    }
    if (lsn !== this.lsn + 1) {
      throw new Error(`lsn ${lsn} follows ${this.lsn}: records are missing (was snapshot.json removed?)`);
    }
    if (Array.isArray(rec.ops)) {
      const ops = rec.ops.map(decodeOp);
      for (const op of ops) {
        // Already in a snapshot written while this record was new (see the design notes).
        if (op.op === 'append' && this.logs.get(op.log)?.has(op.id, op.at)) continue;
        this.apply(op);
      }
    } else if (typeof rec.seq === 'string') {
      this.seqs.set(rec.seq, expectSafeInteger(rec.value));
    } else {
      throw new Error('unknown record type');
    }
    this.lsn = lsn;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`EmbeddedStore (${this.dir}) is closed`);
  }

  /** After a failure memory may hold what the disk lost (see `fail`), so reads stop as well. */
  private assertWritable(): void {
    this.assertOpen();
    if (this.failure) throw this.failureError();
  }

  private failureError(): Error {
    return new Error(
      `EmbeddedStore (${this.dir}) stopped after a disk write failed: ` +
        `${this.failure?.message}. Restart the process once the disk is healthy.`,
      { cause: this.failure },
    );
  }
}

/** The `pending` key of what an op writes. */
/** What a journal line wrote, for the reads that must wait for it (see `durableFor`). */
type Pending = 'doc' | 'index' | 'log';

// ------------------------------------------------------------------ journal encoding

function encodeCommit(lsn: number, ops: readonly ResolvedOp[]): string {
  // Built by hand so stored JSON (already serialised once) is embedded as is, not re-serialised.
  const parts = ops.map((op) => {
    switch (op.op) {
      case 'put':
        return `{"op":"put","key":${JSON.stringify(op.key)},"etag":${JSON.stringify(op.etag)},"value":${op.json}}`;
      case 'delete':
        return `{"op":"delete","key":${JSON.stringify(op.key)}}`;
      case 'index':
        return `{"op":"index","index":${JSON.stringify(op.index)},"member":${JSON.stringify(op.member)},"score":${JSON.stringify(op.score)}}`;
      case 'unindex':
        return `{"op":"unindex","index":${JSON.stringify(op.index)},"member":${JSON.stringify(op.member)}}`;
      case 'append':
        return `{"op":"append","log":${JSON.stringify(op.log)},"id":${JSON.stringify(op.id)},"at":${op.at},"entry":${op.json}}`;
    }
  });
  return `{"lsn":${lsn},"ops":[${parts.join(',')}]}`;
}

function decodeOp(raw: unknown): ResolvedOp {
  if (raw === null || typeof raw !== 'object') throw new Error('op is not an object');
  const op = raw as Record<string, unknown>;
  switch (op.op) {
    case 'put':
      if (op.value === undefined) throw new Error('put without value');
      return { op: 'put', key: expectString(op.key), etag: expectString(op.etag), json: JSON.stringify(op.value) };
    case 'delete':
      return { op: 'delete', key: expectString(op.key) };
    case 'index':
      return { op: 'index', index: expectString(op.index), member: expectString(op.member), score: expectFinite(op.score) };
    case 'unindex':
      return { op: 'unindex', index: expectString(op.index), member: expectString(op.member) };
    case 'append':
      if (op.entry === null || typeof op.entry !== 'object') throw new Error('append without entry');
      return {
        op: 'append',
        log: expectString(op.log),
        id: expectString(op.id),
        at: expectSafeInteger(op.at),
        json: JSON.stringify(op.entry),
      };
    default:
      throw new Error(`unknown op ${JSON.stringify(op.op)}`);
  }
}

function expectString(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${typeof value}`);
  return value;
}

function expectSafeInteger(value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new Error(`expected an integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function expectFinite(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  return value;
}

function expectArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('expected an array');
  return value;
}

// ------------------------------------------------------------------ sorted index

function compareEntries(a: IndexEntry, b: IndexEntry): number {
  return a.score - b.score || compareMembers(a.member, b.member);
}

/** Target chunk size; a chunk splits at twice this. Small enough that splices stay cheap. */
const CHUNK = 512;

/**
 * Entries sorted by (score, member) in a list of sorted chunks, plus member -> score for moves.
 * A position is (chunk, offset); `starts` (first global position of each chunk) turns it into a
 * rank for count. It is rebuilt lazily after changes, O(n / CHUNK), i.e. ~2,000 additions for a
 * million entries: negligible next to the binary searches it enables.
 */
class SortedIndex {
  private readonly scores = new Map<string, number>();
  private chunks: IndexEntry[][] = [];
  private starts: number[] | undefined;

  static from(entries: IndexEntry[]): SortedIndex {
    const index = new SortedIndex();
    for (const e of entries) index.scores.set(e.member, e.score);
    if (index.scores.size !== entries.length) {
      // Duplicate members (not written by us, but cheap to tolerate): the last one wins, as in replay.
      index.scores.clear();
      for (const e of entries) index.set(e.member, e.score);
      return index;
    }
    // Snapshots are written in order; TimSort makes this check-and-sort O(n) for sorted input.
    const sorted = entries.slice().sort(compareEntries);
    for (let i = 0; i < sorted.length; i += CHUNK) index.chunks.push(sorted.slice(i, i + CHUNK));
    return index;
  }

  get size(): number {
    return this.scores.size;
  }

  set(member: string, score: number): void {
    const old = this.scores.get(member);
    if (old === score) return;
    if (old !== undefined) this.remove({ member, score: old });
    this.insert({ member, score });
    this.scores.set(member, score);
  }

  delete(member: string): void {
    const old = this.scores.get(member);
    if (old === undefined) return;
    this.remove({ member, score: old });
    this.scores.delete(member);
  }

  count(min: number, max: number): number {
    if (min > max || this.chunks.length === 0) return 0;
    return this.rank(this.seek(max, true)) - this.rank(this.seek(min, false));
  }

  range(min: number, max: number, limit: number, reverse: boolean): IndexEntry[] {
    if (min > max || this.chunks.length === 0 || limit === 0) return [];
    const lo = this.seek(min, false);
    const hi = this.seek(max, true);
    const n = Math.min(limit, this.rank(hi) - this.rank(lo));
    const out: IndexEntry[] = [];
    if (!reverse) {
      let [c, i] = lo;
      while (out.length < n) {
        const chunk = this.chunks[c]!;
        const e = chunk[i]!;
        out.push({ member: e.member, score: e.score });
        if (++i === chunk.length) [c, i] = [c + 1, 0];
      }
    } else {
      let [c, i] = hi;
      while (out.length < n) {
        if (i === 0) [c, i] = [c - 1, this.chunks[c - 1]!.length];
        i -= 1;
        const e = this.chunks[c]![i]!;
        out.push({ member: e.member, score: e.score });
      }
    }
    return out;
  }

  /** Up to `limit` entries after `cursor` in (score, member) order; from the first without one. */
  after(cursor: IndexEntry | undefined, limit: number): IndexEntry[] {
    const out: IndexEntry[] = [];
    if (this.chunks.length === 0) return out;
    let c = 0;
    let i = 0;
    if (cursor) {
      c = this.locate(cursor);
      i = lowerBound(this.chunks[c]!, cursor, true);
      if (i === this.chunks[c]!.length) [c, i] = [c + 1, 0];
    }
    while (out.length < limit && c < this.chunks.length) {
      const chunk = this.chunks[c]!;
      out.push(chunk[i]!);
      if (++i === chunk.length) [c, i] = [c + 1, 0];
    }
    return out;
  }

  /** Position of the first entry with score >= `score`, or > `score` when `after`. */
  private seek(score: number, after: boolean): [number, number] {
    const before = after ? (s: number) => s <= score : (s: number) => s < score;
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (before(chunk[chunk.length - 1]!.score)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return [lo, 0];
    const chunk = chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(chunk[mid]!.score)) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  }

  private rank([c, i]: [number, number]): number {
    if (c === this.chunks.length) return this.scores.size;
    if (!this.starts) {
      const starts: number[] = new Array(this.chunks.length);
      let total = 0;
      for (let k = 0; k < this.chunks.length; k++) {
        starts[k] = total;
        total += this.chunks[k]!.length;
      }
      this.starts = starts;
    }
    return this.starts[c]! + i;
  }

  /** The chunk that holds (or should hold) `e`: the first whose last entry is >= e. */
  private locate(e: IndexEntry): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (compareEntries(chunk[chunk.length - 1]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(lo, this.chunks.length - 1);
  }

  private insert(e: IndexEntry): void {
    this.starts = undefined;
    if (this.chunks.length === 0) {
      this.chunks.push([e]);
      return;
    }
    const c = this.locate(e);
    const chunk = this.chunks[c]!;
    chunk.splice(lowerBound(chunk, e), 0, e);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK));
  }

  private remove(e: IndexEntry): void {
    this.starts = undefined;
    const c = this.locate(e);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, e);
    const found = chunk[i];
    if (!found || compareEntries(found, e) !== 0) throw new Error('SortedIndex: member map and entries disagree');
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }
}

/** Position of the first entry >= `e`, or > `e` when `after`. */
function lowerBound(chunk: readonly IndexEntry[], e: IndexEntry, after = false): number {
  let a = 0;
  let b = chunk.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    const c = compareEntries(chunk[mid]!, e);
    if (c < 0 || (after && c === 0)) a = mid + 1;
    else b = mid;
  }
  return a;
}

// ------------------------------------------------------------------ logs

interface StoredLogEntry {
  id: string;
  at: number;
  json: string;
}

class LogState {
  readonly entries: StoredLogEntry[] = [];
  lastAt = -1;
  lastSeq = -1;

  push(entry: StoredLogEntry): void {
    this.entries.push(entry);
    this.lastAt = entry.at;
    this.lastSeq = seqOf(entry.id, this.lastSeq + 1);
  }

  /** Whether the entry with this id is here: ids only grow, so it is one at or before the last. */
  has(id: string, at: number): boolean {
    return at < this.lastAt || (at === this.lastAt && seqOf(id, Infinity) <= this.lastSeq);
  }

  read(from: number, to: number, limit: number): LogEntry[] {
    const entries = this.entries;
    // `at` never decreases (ids are issued like Redis stream ids), so the start is a binary search.
    let a = 0;
    let b = entries.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (entries[mid]!.at < from) a = mid + 1;
      else b = mid;
    }
    const out: LogEntry[] = [];
    for (let i = a; i < entries.length && out.length < limit; i++) {
      const e = entries[i]!;
      if (e.at > to) break;
      out.push({ id: e.id, at: e.at, entry: JSON.parse(e.json) as Record<string, unknown> });
    }
    return out;
  }
}

/** The sequence part of a log id (`<ms>-<seq>`). */
function seqOf(id: string, fallback: number): number {
  const seq = Number(id.slice(id.indexOf('-') + 1));
  return Number.isSafeInteger(seq) ? seq : fallback;
}

// ------------------------------------------------------------------ files

function writeAll(fd: number, buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) offset += fs.writeSync(fd, buf, offset, buf.length - offset);
}

/**
 * Collects small strings into writes of ~256 KiB, so a big snapshot never becomes one giant
 * string. The writes go through libuv's thread pool: a synchronous write of a large buffer can hold
 * the event loop for 10–20 ms on a slow disk, and requests wait behind it.
 */
class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  /** Whether enough is collected for a write (the caller flushes at its next pause). */
  get full(): boolean {
    return this.size >= 1 << 18;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    await writeAllAsync(this.fd, buf);
  }
}

function writeAllAsync(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void =>
      fs.write(fd, buf, offset, buf.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < buf.length) from(offset + written);
        else resolve();
      });
    from(0);
  });
}

/** A new or renamed directory entry is only durable once the directory itself is fsync'ed. */
function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function ensureDir(dir: string): void {
  const firstCreated = fs.mkdirSync(dir, { recursive: true });
  if (firstCreated === undefined) return;
  // Make the new directories themselves durable, from the innermost up to the pre-existing parent.
  for (let d = dir; ; d = path.dirname(d)) {
    fsyncDir(path.dirname(d));
    if (d === firstCreated || path.dirname(d) === d) break;
  }
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A compaction ended early because the store closed or stopped; not an error to report. */
class CompactionStopped extends Error {
  constructor() {
    super('EmbeddedStore: compaction stopped (store closed or failed)');
  }
}

function removeIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function positiveOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`EmbeddedStore: ${name} must be a positive integer`);
  return value;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

// ------------------------------------------------------------------ lock

/** Dirs opened by this process: a pid check cannot tell "me, earlier" from "me, now". */
const lockedDirs = new Set<string>();

/**
 * Takes `<dir>/LOCK` (O_EXCL, contents = pid). A lock whose pid is dead is stale (kill -9, power
 * loss) and taken over. A lock holding our own pid, but not held by this process, is stale too:
 * in a container the bot is often pid 1 in every incarnation.
 */
function acquireLock(dir: string): () => void {
  const lockPath = path.join(dir, LOCK);
  if (lockedDirs.has(dir)) {
    throw new Error(`EmbeddedStore: ${dir} is already open in this process (pid ${process.pid})`);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      lockedDirs.add(dir);
      return () => releaseLock(dir, lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(lockPath);
    if (holder.state === 'gone') continue;
    if (holder.state === 'empty') {
      // Created by O_EXCL but no pid written yet: another process is starting right now, unless
      // the file is old (that process died between the two calls).
      if (Date.now() - holder.mtimeMs < 10_000) throw lockedError(dir, lockPath, 'another process is taking it');
    } else if (holder.pid !== process.pid && isAlive(holder.pid)) {
      throw lockedError(dir, lockPath, `held by running process ${holder.pid}`);
    }
    takeOverStaleLock(lockPath, holder.raw);
  }
  throw lockedError(dir, lockPath, 'contended by several processes');
}

/**
 * Removes a stale lock without removing a fresh one that another process might have created in
 * between: rename is atomic, and we check that what we moved away is the stale lock we judged.
 */
function takeOverStaleLock(lockPath: string, staleRaw: string): void {
  const moved = `${lockPath}.stale.${process.pid}`;
  try {
    fs.renameSync(lockPath, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const raw = safeRead(moved);
  if (raw !== staleRaw) {
    // We moved a live process's fresh lock: put it back (link fails if someone took LOCK again).
    try {
      fs.linkSync(moved, lockPath);
    } catch {
      /* LOCK exists again; the holder of that one wins */
    }
    removeIfExists(moved);
    throw new Error(`EmbeddedStore: ${lockPath} is contended by several starting processes; try again`);
  }
  removeIfExists(moved);
}

function releaseLock(dir: string, lockPath: string): void {
  lockedDirs.delete(dir);
  const holder = readLock(lockPath);
  // Never delete a lock that is no longer ours (e.g. an operator removed it and someone else took it).
  if (holder.state === 'held' && holder.pid === process.pid) removeIfExists(lockPath);
}

type LockHolder =
  | { state: 'gone' }
  | { state: 'empty'; raw: string; mtimeMs: number }
  | { state: 'held'; raw: string; pid: number };

function readLock(lockPath: string): LockHolder {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = fs.readFileSync(lockPath, 'utf8');
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw error;
  }
  const pid = Number(raw.trim());
  if (raw.trim() === '' || !Number.isSafeInteger(pid) || pid <= 0) return { state: 'empty', raw, mtimeMs };
  return { state: 'held', raw, pid };
}

function safeRead(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; that still counts as alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, lockPath: string, why: string): Error {
  return new Error(
    `EmbeddedStore: data dir ${dir} is locked (${why}). Two processes must never share a data dir. ` +
      `If no other bot process uses it, delete ${lockPath}.`,
  );
}
