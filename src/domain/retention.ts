import { z } from 'zod';
import { CASE_REF, localParts, localToInstant, type Case } from './signal.js';
import { normalisePersonName } from './case.js';

/**
 * Retention and erasure (AVG art. 5(1)(e) and 17; the DPIA's retention column): which closed cases
 * are due for deletion, the metadata record every deletion leaves (what kind, when, why, how much —
 * never personal data), and the text rules of erasure on request. Pure: time comes in as an argument.
 */

export const DELETION_KINDS = ['retentie', 'verzoek'] as const;
export type DeletionKind = (typeof DELETION_KINDS)[number];

/** Default of RETENTION_MONTHS: cases closed more than 12 months ago are deleted. */
export const DEFAULT_RETENTION_MONTHS = 12;
export const MAX_RETENTION_MONTHS = 120;

export const DELETION_REF = /^V-\d{4}-\d{5,}$/;

/** `V-2026-00003` (verwijdering): the reference the beheerder quotes in an answer to a data subject. */
export function formatDeletionRef(year: number, seq: number): string {
  return `V-${year}-${String(seq).padStart(5, '0')}`;
}

export const ERASURE_LIMITS = { name: 200, reason: 1000, minReason: 10, raw: 10_000 } as const;

// --- selection ------------------------------------------------------------------------------------

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The same wall-clock time `months` calendar months before `now` in `timeZone` (DST-aware; the day
 * is clamped to the month's end: 31 March minus one month is 28 or 29 February).
 */
export function monthsBefore(now: Date, months: number, timeZone: string): Date {
  const p = localParts(now, timeZone);
  const index = p.year * 12 + (p.month - 1) - months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const day = Math.min(p.day, daysInMonth(year, month));
  return localToInstant({ year, month, day, hour: p.hour, minute: p.minute }, timeZone);
}

/** Cases closed before this instant are due for deletion at `now`. */
export function retentionCutoff(now: Date, months: number, timeZone: string): Date {
  return monthsBefore(now, months, timeZone);
}

/**
 * "Closed more than `months` months ago", on the wall clock of `timeZone`: a case closed on 15 June
 * 2025 at 14:00 is due from 15 June 2026 14:01 (12 months), whatever the daylight saving time did in
 * between. Open cases are never due; a closed case without `closed.at` (closed before that field
 * existed) counts from its last update.
 */
export function isDueForDeletion(c: Pick<Case, 'status' | 'closed' | 'updatedAt'>, now: Date, months: number, timeZone: string): boolean {
  if (c.status !== 'closed') return false;
  const closedAt = new Date(c.closed?.at ?? c.updatedAt).getTime();
  return closedAt < retentionCutoff(now, months, timeZone).getTime();
}

// --- the metadata record --------------------------------------------------------------------------

const instant = z.string().datetime({ offset: true });

/**
 * What a deletion leaves behind, in the append-only log `deletions`: kind, when, why, by whom, which
 * cases and how many records of which type. Never names, dates of birth or free text about persons:
 * a reason typed by the beheerder has the erased name removed before it is stored.
 */
export const deletionRecordSchema = z
  .object({
    id: z.string().uuid(),
    ref: z.string().regex(DELETION_REF),
    kind: z.enum(DELETION_KINDS),
    at: instant,
    /** Directory user id of the beheerder, or `system` (the retention job). */
    by: z.string().min(1).max(100),
    reason: z.string().min(1).max(ERASURE_LIMITS.reason),
    /** The cases deleted (retentie) or touched (verzoek). */
    caseRefs: z.array(z.string().regex(CASE_REF)).max(10_000),
    /** How many records of each type were deleted (retentie) or had personal data removed (verzoek). */
    counts: z.record(z.string().max(50), z.number().int().min(0)),
  })
  .strict();
export type DeletionRecord = z.infer<typeof deletionRecordSchema>;

// --- erasure: finding and removing a name in free text -------------------------------------------

/** A person as the beheerder identifies them: the name and date of birth the signals carry. */
export interface PersonIdentity {
  name: string;
  dateOfBirth: string;
}

/** Same person: normalised name (case, accents, spacing) and the same date of birth. */
export function samePerson(a: PersonIdentity, b: PersonIdentity): boolean {
  return a.dateOfBirth === b.dateOfBirth && normalisePersonName(a.name) === normalisePersonName(b.name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A matcher for the name as a whole word sequence in free text, case-insensitive, any spacing or
 * punctuation between its parts ("Jan de Vries", "JAN  DE VRIES", "jan-de-vries"). Undefined for a
 * name without letters (nothing sensible to look for).
 */
export function nameMatcher(name: string): RegExp | undefined {
  const parts = name
    .normalize('NFC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((p) => p !== '');
  if (parts.length === 0 || !parts.some((p) => /\p{L}/u.test(p))) return undefined;
  return new RegExp(`(?<![\\p{L}\\p{N}])${parts.map(escapeRegExp).join('[^\\p{L}\\p{N}]+')}(?![\\p{L}\\p{N}])`, 'giu');
}

/** Replaces every occurrence of the name in `text`; `count` says how many there were. */
export function redactName(text: string, matcher: RegExp | undefined, replacement: string): { text: string; count: number } {
  if (!matcher) return { text, count: 0 };
  let count = 0;
  const out = text.normalize('NFC').replace(matcher, () => {
    count++;
    return replacement;
  });
  return count === 0 ? { text, count: 0 } : { text: out, count };
}

/**
 * Keys whose values are ids, references, codes, dates or the structured person fields of somebody
 * (possibly someone else with the same name): never free text, never rewritten.
 */
const STRUCTURAL_KEY =
  /^(id|ref|kind|type|status|state|level|severity|subject|source|categories|colour|rule|via|effect|executed|followUp|classification|livesInDistrict|district|districts|organisation|organisations|userId|name|dateOfBirth|person|persons|family|bsn|at|by|cardId|locationKey|answers|reopened|questions|recipients)$|(Id|Ids|Ref|Refs|Key|At)$/;

/**
 * The same over every free-text string in a JSON value (a stored document): text typed by
 * professionals (reasons, locations, preparations, advice, feedback) may name the person. Returns
 * the value unchanged (same object) when nothing matched.
 */
export function redactNameDeep<T>(value: T, matcher: RegExp | undefined, replacement: string): { value: T; count: number } {
  if (!matcher) return { value, count: 0 };
  let count = 0;
  const walk = (node: unknown, key?: string): unknown => {
    if (key !== undefined && STRUCTURAL_KEY.test(key)) return node;
    if (typeof node === 'string') {
      const r = redactName(node, matcher, replacement);
      count += r.count;
      return r.count > 0 ? r.text : node;
    }
    if (Array.isArray(node)) {
      const mapped = node.map((n) => walk(n));
      return mapped.some((m, i) => m !== node[i]) ? mapped : node;
    }
    if (node && typeof node === 'object') {
      const entries = Object.entries(node as Record<string, unknown>);
      const mapped = entries.map(([k, v]) => [k, walk(v, k)] as const);
      return mapped.some(([, v], i) => v !== entries[i]![1]) ? Object.fromEntries(mapped) : node;
    }
    return node;
  };
  const out = walk(value) as T;
  return { value: count > 0 ? out : value, count };
}
