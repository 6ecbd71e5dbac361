import type { CommitResult, IndexEntry, IndexQuery, IndexSummary, LogEntry, Store, Versioned, WriteOp } from '../ports.js';

/**
 * A view of a store that merges the reads issued together — in the same synchronous stretch of
 * code, e.g. the branches of a `Promise.all` — into one `getMany` and one `summarise`. For code
 * that asks many small questions at once (the rule check asks about every organisation at a place,
 * the person, the case and each rule's marker): one round trip and two commands instead of dozens.
 *
 * The answers are what the separate reads would have given (each merged call is itself one
 * snapshot). Writes, sequences and logs go straight to the store.
 *
 * `remember`: a read asked again (same key, same index question) gets the first answer without a
 * new round trip, until the view commits something. For one evaluation that reads ahead — issuing
 * the questions it will ask once an earlier answer is in, together with that earlier question. Only
 * for a short-lived view over one task: what it remembers does not see other writers' changes.
 */
export function batchingReads(store: Store, options: { remember?: boolean } = {}): Store {
  return new BatchingReads(store, options.remember === true);
}

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

class BatchingReads implements Store {
  readonly kind: Store['kind'];
  private gets: { key: string; waiting: Waiting<Versioned<unknown> | undefined> }[] = [];
  private queries: { query: IndexQuery; waiting: Waiting<IndexSummary> }[] = [];
  private scheduled = false;
  private readonly remembered: { gets: Map<string, Promise<unknown>>; queries: Map<string, Promise<IndexSummary>> } | undefined;

  constructor(
    private readonly store: Store,
    remember: boolean,
  ) {
    this.kind = store.kind;
    this.remembered = remember ? { gets: new Map(), queries: new Map() } : undefined;
  }

  get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
    const known = this.remembered?.gets.get(key);
    if (known) return known as Promise<Versioned<T> | undefined>;
    const answer = new Promise<Versioned<T> | undefined>((resolve, reject) => {
      this.gets.push({ key, waiting: { resolve: resolve as Waiting<Versioned<unknown> | undefined>['resolve'], reject } });
      this.schedule();
    });
    this.remembered?.gets.set(key, answer);
    return answer;
  }

  getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | undefined)[]> {
    return Promise.all(keys.map((key) => this.get<T>(key)));
  }

  count(index: string, min: number, max: number): Promise<number> {
    return this.summary({ index, min, max }).then((s) => s.count);
  }

  range(index: string, min: number, max: number, options: { limit?: number; reverse?: boolean } = {}): Promise<IndexEntry[]> {
    // "The newest n" is what summarise answers; any other range goes to the store as it is.
    if (options.reverse === true && options.limit !== undefined && Number.isFinite(options.limit)) {
      return this.summary({ index, min, max, latest: options.limit }).then((s) => s.latest);
    }
    return this.store.range(index, min, max, options);
  }

  summarise(queries: readonly IndexQuery[]): Promise<IndexSummary[]> {
    return Promise.all(queries.map((q) => this.summary(q)));
  }

  commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    // What was read before a write of our own may be stale after it.
    this.remembered?.gets.clear();
    this.remembered?.queries.clear();
    return this.store.commit(ops);
  }

  nextSeq(name: string): Promise<number> {
    return this.store.nextSeq(name);
  }

  readLog(log: string, from: number, to: number, options?: { limit?: number }): Promise<LogEntry[]> {
    return this.store.readLog(log, from, to, options);
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  /** The view shares the store; closing it is the owner's business. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private summary(query: IndexQuery): Promise<IndexSummary> {
    const key = this.remembered ? `${query.index}\u0000${query.min}\u0000${query.max}\u0000${query.latest ?? ''}` : '';
    const known = this.remembered?.queries.get(key);
    if (known) return known;
    const answer = new Promise<IndexSummary>((resolve, reject) => {
      this.queries.push({ query, waiting: { resolve, reject } });
      this.schedule();
    });
    this.remembered?.queries.set(key, answer);
    return answer;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current synchronous stretch (and the microtasks already queued), not a timer: no delay.
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const gets = this.gets;
    const queries = this.queries;
    this.gets = [];
    this.queries = [];
    if (gets.length > 0) {
      settle(
        this.store.getMany(gets.map((g) => g.key)),
        gets.map((g) => g.waiting),
      );
    }
    if (queries.length > 0) {
      settle(
        this.store.summarise(queries.map((q) => q.query)),
        queries.map((q) => q.waiting),
      );
    }
  }
}

function settle<T>(answers: Promise<T[]>, waiting: Waiting<T>[]): void {
  answers.then(
    (values) => waiting.forEach((w, i) => w.resolve(values[i]!)),
    (error: unknown) => waiting.forEach((w) => w.reject(error)),
  );
}
