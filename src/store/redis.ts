/**
 * RedisStore: the Store port on Redis (>= 5; developed against 7), safe with several bot instances.
 *
 * Design notes
 *
 * - Keys (prefix default `ovb:`, so tests and environments can share a server):
 *     <prefix>doc:<key>   hash {v: JSON value, e: etag}
 *     <prefix>idx:<name>  sorted set (score, member)  -> ZCOUNT / ZRANGEBYSCORE: O(log n [+ k])
 *     <prefix>log:<name>  stream, field `e` = JSON entry; the id's ms part is `at`
 *     <prefix>seq:<name>  INCR counter
 *     <prefix>meta:etag   INCR counter that makes every etag unique
 *   The namespaces cannot collide: every key but `meta:etag` has `<kind>:` after the prefix.
 *   Redis Cluster: every key of a commit must live in one slot; use a hash-tagged prefix ("{ovb}:").
 *
 * - commit is ONE Lua script: Redis runs it without interleaving any other client's command, so
 *   "check every condition, then apply every op" is atomic across bot instances. Conditions are
 *   all checked before the first write because Redis does not roll back a script that fails
 *   halfway; the apply phase only uses commands that cannot fail on keys of our own namespaces.
 *
 * - The script gets its ops as positional ARGV (type, then that op's fields) rather than one cjson
 *   document: values and members travel as raw binary-safe arguments, so nothing is re-encoded
 *   by Lua (cjson mangles large numbers, empty arrays, lone surrogates) and nothing is JSON-in-JSON.
 *
 * - Failure behaviour: no offline queue and no retries per request, so while Redis is unreachable
 *   every call rejects at once instead of piling up; a command in flight when the connection drops
 *   is rejected, never silently re-sent (a re-sent commit could apply twice). ioredis keeps
 *   reconnecting in the background, so the store recovers by itself when Redis is back.
 *
 * - Durability is Redis' business: "survives kill -9 of the bot" holds as soon as the script ran.
 *   Surviving a Redis crash needs `appendonly yes` (appendfsync everysec or always) on the server.
 */
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { CommitResult, IndexEntry, IndexQuery, IndexSummary, LogEntry, Store, Versioned, WriteOp } from '../ports.js';
import { checkQuery, normaliseLimit, prepareOps, requireBound, requireString } from './write-ops.js';

export interface RedisStoreOptions {
  /** Prepended to every key (default `ovb:`). */
  prefix?: string;
  /** Give up a connection attempt after this long (default 2,000 ms). */
  connectTimeoutMs?: number;
  /** Reject a command that got no answer after this long (default 5,000 ms). */
  commandTimeoutMs?: number;
  /** ping() rejects after this long (default 1,000 ms). */
  pingTimeoutMs?: number;
  /**
   * Connection errors (they repeat while Redis is down). Default: ignored, because ping() is how
   * readiness is reported and ioredis would otherwise print every reconnect failure.
   */
  onError?: (error: Error) => void;
}

const COMMIT_SCRIPT = `
-- KEYS[1]: the etag counter; KEYS[1 + i]: the key op i works on.
-- ARGV: for each op its type followed by its fields:
--   p <cond> <ifEtag> <json>   put      cond contains 'a' for ifAbsent, 'e' for ifEtag
--   d <cond> <ifEtag>          delete
--   i <score> <member>         index
--   u <member>                 unindex
--   a <json>                   append
-- Returns {0, i} when op i's condition fails (nothing applied), else {1, {i, etag, ...}} for puts.
local width = { p = 4, d = 3, i = 3, u = 2, a = 2 }
local n = #KEYS - 1

local arg = 1
for i = 1, n do
  local t = ARGV[arg]
  if width[t] == nil then
    return redis.error_reply('ovb commit: unknown op ' .. tostring(t))
  end
  if t == 'p' or t == 'd' then
    local cond = ARGV[arg + 1]
    if cond ~= '' then
      local current = redis.call('HGET', KEYS[i + 1], 'e')
      if (string.find(cond, 'a', 1, true) and current)
        or (string.find(cond, 'e', 1, true) and current ~= ARGV[arg + 2]) then
        return { 0, i }
      end
    end
  end
  arg = arg + width[t]
end

local etags = {}
arg = 1
for i = 1, n do
  local t = ARGV[arg]
  local key = KEYS[i + 1]
  if t == 'p' then
    -- %d: tostring() would switch to exponent notation for large counters.
    local etag = string.format('%d', redis.call('INCR', KEYS[1]))
    redis.call('HSET', key, 'v', ARGV[arg + 3], 'e', etag)
    etags[#etags + 1] = i
    etags[#etags + 1] = etag
  elseif t == 'd' then
    redis.call('DEL', key)
  elseif t == 'i' then
    redis.call('ZADD', key, ARGV[arg + 1], ARGV[arg + 2])
  elseif t == 'u' then
    redis.call('ZREM', key, ARGV[arg + 1])
  else
    redis.call('XADD', key, '*', 'e', ARGV[arg + 1])
  end
  arg = arg + width[t]
end
return { 1, etags }
`;

/**
 * Every document's value and etag in one command: one consistent snapshot (a script runs
 * atomically, as MULTI does) at the cost of one command instead of one per key — for a case card's
 * fifty signals the difference is most of the client's work.
 */
const GET_MANY_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local r = redis.call('HMGET', KEYS[i], 'v', 'e')
  out[2 * i - 1] = r[1]
  out[2 * i] = r[2]
end
return out
`;

/**
 * `summarise`: per index ZCOUNT and, when asked and there are any, the newest members — every
 * index of a rule check in one command. KEYS[i]: index i; ARGV: min, max, latest per index.
 */
const SUMMARISE_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local min, max, n = ARGV[3 * i - 2], ARGV[3 * i - 1], tonumber(ARGV[3 * i])
  local count = redis.call('ZCOUNT', KEYS[i], min, max)
  local latest = {}
  if n > 0 and count > 0 then
    latest = redis.call('ZREVRANGEBYSCORE', KEYS[i], max, min, 'WITHSCORES', 'LIMIT', 0, n)
  end
  out[i] = { count, latest }
end
return out
`;

type CommitReply = [0, number] | [1, (number | string)[]];

interface WithScripts {
  ovbCommit(numberOfKeys: number, keys: string[], args: string[]): Promise<CommitReply>;
  ovbGetMany(numberOfKeys: number, keys: string[]): Promise<(string | null)[]>;
  ovbSummarise(numberOfKeys: number, keys: string[], args: string[]): Promise<[number, string[]][]>;
}

/**
 * The first command of a tick is written at once (Redis can work on it while this process goes
 * on); the socket is then corked until the next tick, so every further command of the same tick
 * leaves in one `writev`. The order of commands, and so of their replies, is unchanged.
 */
function coalesceWrites(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let wroteThisTick = false;
  let corked = false;
  const endOfTick = () => {
    wroteThisTick = false;
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  socket.write = ((...args: unknown[]) => {
    if (!wroteThisTick) {
      wroteThisTick = true;
      process.nextTick(endOfTick);
    } else if (!corked) {
      corked = true;
      socket.cork();
    }
    return write(...args);
  }) as Socket['write'];
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private closed = false;

  private constructor(
    private readonly client: Redis,
    readonly prefix: string,
    private readonly pingTimeoutMs: number,
  ) {}

  /** Connects and waits until Redis is ready; rejects (and stops retrying) if it cannot. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      // Reconnect for ever, backing off to one attempt every 2 s.
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
      // No enableAutoPipelining: measured slower here (its per-tick Pipeline objects make every
      // scavenge several ms); commands issued together are pipelined on the socket anyway.
    });
    const onError = options.onError ?? (() => undefined);
    client.on('error', (error: Error) => onError(error));
    // ioredis writes every command to the socket at once: a system call each, 20–50 µs of CPU on
    // this kind of VM. Commands issued in the same tick (concurrent requests, reads issued
    // together) go out in two writes instead: the first at once, the rest together (see
    // coalesceWrites). Each (re)connect brings a new socket.
    client.on('connect', () => coalesceWrites((client as unknown as { stream: Socket }).stream));
    client.defineCommand('ovbCommit', { lua: COMMIT_SCRIPT });
    client.defineCommand('ovbGetMany', { lua: GET_MANY_SCRIPT });
    client.defineCommand('ovbSummarise', { lua: SUMMARISE_SCRIPT });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`RedisStore: cannot connect to ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
    }
    return new RedisStore(client, options.prefix ?? 'ovb:', options.pingTimeoutMs ?? 1_000);
  }

  // ---------------------------------------------------------------- reads

  async get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
    requireString(key, 'get: key');
    const [json, etag] = await this.client.hmget(this.docKey(key), 'v', 'e');
    return toVersioned<T>(json ?? null, etag ?? null);
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | undefined)[]> {
    keys.forEach((key, i) => requireString(key, `getMany: key #${i}`));
    if (keys.length === 0) return [];
    // One script: the answers are one consistent snapshot, as in the embedded store.
    const docKeys = keys.map((key) => this.docKey(key));
    const flat = await (this.client as unknown as WithScripts).ovbGetMany(docKeys.length, docKeys);
    const out: (Versioned<T> | undefined)[] = new Array(keys.length);
    // A missing field comes back as nil; in a Lua array that can also shorten the reply.
    for (let i = 0; i < keys.length; i++) out[i] = toVersioned<T>(flat[2 * i] ?? null, flat[2 * i + 1] ?? null);
    return out;
  }

  async range(
    index: string,
    min: number,
    max: number,
    options: { limit?: number; reverse?: boolean } = {},
  ): Promise<IndexEntry[]> {
    requireString(index, 'range: index');
    requireBound(min, 'range: min');
    requireBound(max, 'range: max');
    const limit = normaliseLimit(options.limit, 'range');
    if (limit === 0) return [];
    const key = this.indexKey(index);
    const [lo, hi] = [scoreBound(min), scoreBound(max)];
    const args = options.reverse ? ['ZREVRANGEBYSCORE', key, hi, lo] : ['ZRANGEBYSCORE', key, lo, hi];
    args.push('WITHSCORES');
    if (Number.isFinite(limit)) args.push('LIMIT', '0', String(limit));
    const [command, ...rest] = args as [string, ...string[]];
    const flat = (await this.client.call(command, ...rest)) as string[];
    const out: IndexEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: parseScore(flat[i + 1]!) });
    return out;
  }

  async count(index: string, min: number, max: number): Promise<number> {
    requireString(index, 'count: index');
    requireBound(min, 'count: min');
    requireBound(max, 'count: max');
    return this.client.zcount(this.indexKey(index), scoreBound(min), scoreBound(max));
  }

  async summarise(queries: readonly IndexQuery[]): Promise<IndexSummary[]> {
    const checked = queries.map((q, i) => checkQuery(q, i));
    if (checked.length === 0) return [];
    const keys = checked.map((q) => this.indexKey(q.index));
    const args = checked.flatMap((q) => [scoreBound(q.min), scoreBound(q.max), String(q.latest)]);
    const reply = await (this.client as unknown as WithScripts).ovbSummarise(keys.length, keys, args);
    return reply.map(([count, flat]) => {
      const latest: IndexEntry[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) latest.push({ member: flat[i]!, score: parseScore(flat[i + 1]!) });
      return { count, latest };
    });
  }

  async readLog(log: string, from: number, to: number, options: { limit?: number } = {}): Promise<LogEntry[]> {
    requireString(log, 'readLog: log');
    requireBound(from, 'readLog: from');
    requireBound(to, 'readLog: to');
    const limit = normaliseLimit(options.limit, 'readLog');
    // Stream ids are <ms>-<seq>; a bare "<ms>" means <ms>-0 as start and <ms>-<max> as end, so
    // whole milliseconds give exactly from <= at <= to.
    const start = from <= 0 ? '-' : Math.ceil(from);
    const end = to >= Number.MAX_SAFE_INTEGER ? '+' : Math.floor(to);
    if (limit === 0 || (end !== '+' && end < 0)) return [];
    if (start !== '-' && (start > Number.MAX_SAFE_INTEGER || (end !== '+' && start > end))) return [];
    const key = this.logKey(log);
    const reply = Number.isFinite(limit)
      ? await this.client.xrange(key, String(start), String(end), 'COUNT', limit)
      : await this.client.xrange(key, String(start), String(end));
    return reply.map(([id, fields]) => {
      const json = fieldValue(fields, 'e');
      return { id, at: Number(id.slice(0, id.indexOf('-'))), entry: JSON.parse(json) as Record<string, unknown> };
    });
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer PING within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([this.client.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- writes

  async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    const prepared = prepareOps(ops);
    if (prepared.length === 0) return { ok: true, etags: {} };

    const keys = [this.key('meta', 'etag')];
    const args: string[] = [];
    for (const op of prepared) {
      switch (op.op) {
        case 'put':
        case 'delete': {
          keys.push(this.docKey(op.key));
          const cond = `${op.op === 'put' && op.ifAbsent ? 'a' : ''}${op.ifEtag !== undefined ? 'e' : ''}`;
          args.push(op.op === 'put' ? 'p' : 'd', cond, op.ifEtag ?? '');
          if (op.op === 'put') args.push(op.json);
          break;
        }
        case 'index':
          keys.push(this.indexKey(op.index));
          // String(number) is the shortest exact representation; Redis parses it back losslessly.
          args.push('i', String(op.score), op.member);
          break;
        case 'unindex':
          keys.push(this.indexKey(op.index));
          args.push('u', op.member);
          break;
        case 'append':
          keys.push(this.logKey(op.log));
          args.push('a', op.json);
          break;
      }
    }

    const reply = await (this.client as unknown as WithScripts).ovbCommit(keys.length, keys, args);
    if (reply[0] === 0) return { ok: false, conflict: opKey(prepared[reply[1] - 1]) };
    const etags = new Map<string, string>();
    const pairs = reply[1];
    for (let i = 0; i + 1 < pairs.length; i += 2) etags.set(opKey(prepared[Number(pairs[i]) - 1]), String(pairs[i + 1]));
    // fromEntries: keys are caller data, and `__proto__` must stay an ordinary key.
    return { ok: true, etags: Object.fromEntries(etags) };
  }

  async nextSeq(name: string): Promise<number> {
    requireString(name, 'nextSeq: name');
    return this.client.incr(this.key('seq', name));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.status === 'ready') {
        await this.client.quit();
        return;
      }
    } catch {
      /* fall through to a hard disconnect */
    }
    this.client.disconnect();
  }

  // ---------------------------------------------------------------- keys

  private key(kind: 'doc' | 'idx' | 'log' | 'seq' | 'meta', name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private docKey(key: string): string {
    return this.key('doc', key);
  }

  private indexKey(index: string): string {
    return this.key('idx', index);
  }

  private logKey(log: string): string {
    return this.key('log', log);
  }
}

function toVersioned<T>(json: string | null, etag: string | null): Versioned<T> | undefined {
  if (json === null || etag === null) return undefined;
  return { value: JSON.parse(json) as T, etag };
}

function opKey(op: { op: string; key?: string } | undefined): string {
  if (typeof op?.key !== 'string') throw new Error('RedisStore.commit: the script referred to an op that has no key');
  return op.key;
}

function scoreBound(value: number): string {
  if (value === Infinity) return '+inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function parseScore(text: string): number {
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function fieldValue(fields: string[], name: string): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  throw new Error(`RedisStore.readLog: stream entry without field ${name}`);
}

/** Connection URLs may carry a password; error messages must not. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid Redis URL)';
  }
}
