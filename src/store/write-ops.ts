import type { IndexQuery, WriteOp } from '../ports.js';

/**
 * Validation shared by both adapters, so that a malformed commit is rejected the same way
 * everywhere and *before* anything is written: a commit either applies completely, reports a
 * conflict, or throws without side effects.
 */

/** A put whose value has been serialised once, so both adapters store exactly the same JSON. */
export type PreparedOp =
  | { op: 'put'; key: string; json: string; ifEtag?: string; ifAbsent?: boolean }
  | { op: 'delete'; key: string; ifEtag?: string }
  | { op: 'index'; index: string; member: string; score: number }
  | { op: 'unindex'; index: string; member: string }
  | { op: 'append'; log: string; json: string };

export function prepareOps(ops: readonly WriteOp[]): PreparedOp[] {
  if (!Array.isArray(ops)) throw new TypeError('commit: ops must be an array');
  return ops.map((op, i) => prepareOp(op, i));
}

/**
 * Runs for every op of every commit: the checks are plain `typeof`s, and an error message is put
 * together only when one fails (building them up front was most of this function's time).
 */
function prepareOp(op: WriteOp, i: number): PreparedOp {
  if (op === null || typeof op !== 'object') return failOp(i, ' is not an object');
  switch (op.op) {
    case 'put': {
      if (typeof op.key !== 'string') failOp(i, ' (put) key must be a string');
      if (op.ifEtag !== undefined && typeof op.ifEtag !== 'string') failOp(i, ' (put) ifEtag must be a string');
      // JSON is the storage format of both adapters; whatever does not survive it (undefined,
      // functions, cycles) must fail here rather than be silently turned into something else.
      const json = JSON.stringify(op.value);
      if (typeof json !== 'string') failOp(i, ` (put ${op.key}): value is not JSON-serialisable`);
      const prepared: PreparedOp = { op: 'put', key: op.key, json };
      if (op.ifEtag !== undefined) prepared.ifEtag = op.ifEtag;
      if (op.ifAbsent) prepared.ifAbsent = true;
      return prepared;
    }
    case 'delete': {
      if (typeof op.key !== 'string') failOp(i, ' (delete) key must be a string');
      if (op.ifEtag !== undefined && typeof op.ifEtag !== 'string') failOp(i, ' (delete) ifEtag must be a string');
      const prepared: PreparedOp = { op: 'delete', key: op.key };
      if (op.ifEtag !== undefined) prepared.ifEtag = op.ifEtag;
      return prepared;
    }
    case 'index':
      if (typeof op.index !== 'string') failOp(i, ' (index) index must be a string');
      if (typeof op.member !== 'string') failOp(i, ' (index) member must be a string');
      // Redis accepts ±inf, JSON cannot carry it: finite scores keep the adapters identical.
      if (typeof op.score !== 'number' || !Number.isFinite(op.score)) failOp(i, ` (index ${op.index}): score must be a finite number`);
      return { op: 'index', index: op.index, member: op.member, score: op.score === 0 ? 0 : op.score };
    case 'unindex':
      if (typeof op.index !== 'string') failOp(i, ' (unindex) index must be a string');
      if (typeof op.member !== 'string') failOp(i, ' (unindex) member must be a string');
      return { op: 'unindex', index: op.index, member: op.member };
    case 'append': {
      if (typeof op.log !== 'string') failOp(i, ' (append) log must be a string');
      if (op.entry === null || typeof op.entry !== 'object' || Array.isArray(op.entry)) failOp(i, ` (append ${op.log}): entry must be an object`);
      const json = JSON.stringify(op.entry);
      if (typeof json !== 'string') failOp(i, ` (append ${op.log}): entry is not JSON-serialisable`);
      return { op: 'append', log: op.log, json };
    }
    default:
      return failOp(i, `: unknown op ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/** A module-level function, not a closure per op: tsx wraps every named closure it creates in `__name`. */
function failOp(i: number, detail: string): never {
  throw new TypeError(`commit: op #${i}${detail}`);
}

export function requireString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
}

/** Bounds of range/count/readLog may be ±Infinity ("everything"), never NaN. */
export function requireBound(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${what} must be a number`);
}

/** A `summarise` query, checked, with `latest` as a number. */
export function checkQuery(query: IndexQuery, i: number): Required<IndexQuery> {
  requireString(query?.index, `summarise: query #${i} index`);
  requireBound(query.min, `summarise: query #${i} min`);
  requireBound(query.max, `summarise: query #${i} max`);
  const latest = query.latest ?? 0;
  if (!Number.isInteger(latest) || latest < 0) throw new TypeError(`summarise: query #${i} latest must be a non-negative integer`);
  return { index: query.index, min: query.min, max: query.max, latest };
}

/** `undefined` = no limit; otherwise a non-negative integer (0 returns nothing, as in Redis). */
export function normaliseLimit(limit: number | undefined, what: string): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) throw new TypeError(`${what}: limit must be a non-negative integer`);
  return limit;
}

/**
 * Member order for equal scores. Redis compares members as bytes (UTF-8); JS `<` compares UTF-16
 * code units, which disagrees for astral characters vs. U+E000..U+FFFF. Mapping surrogates above
 * the BMP makes the embedded order byte-for-byte the Redis order.
 */
export function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        if (x < 0xe000) x += 0x2800;
        if (y < 0xe000) y += 0x2800;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}
