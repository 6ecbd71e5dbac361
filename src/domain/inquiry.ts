import { z } from 'zod';
import type { OrganisationKind } from './directory.js';
import type { Colour } from './escalation.js';
import { localParts, shiftLocal } from './signal.js';

/**
 * The Kerngroep's yes/no inquiry (uitvraag, §6 / appendix 2): which questions an organisation is
 * asked about a person of a given colour, the answers (ja · nee · onbekend; Meldpunt Zorg & Overlast
 * only ja · nee, "known or not", never content), the deadline in working days before the meeting,
 * completion, and the lock at the meeting's start. Pure.
 */

export const QUESTION_KEYS = [
  'schooluitval',
  'begeleiding',
  'overlastsignalen',
  'huurachterstand',
  'bijzonderheden',
  'adresgegevens',
  'rijbewijs',
  'reisdocumenten',
  'risicosignalen',
  'cjib',
  'riec',
  'meldpunt',
  'gezin',
] as const;
export type QuestionKey = (typeof QUESTION_KEYS)[number];

export const ANSWER_VALUES = ['ja', 'nee', 'onbekend'] as const;
export type AnswerValue = (typeof ANSWER_VALUES)[number];

export const LIFE_DOMAINS = ['wonen', 'financien', 'gezondheid', 'school-werk', 'gezin', 'justitie', 'verslaving', 'netwerk'] as const;
export type LifeDomain = (typeof LIFE_DOMAINS)[number];

/** Organisations that are asked "vormt een risico voor het gezin" for every oranje/rood person. */
const FAMILY_RISK_KINDS: readonly OrganisationKind[] = ['politie', 'jeugdbescherming', 'om', 'sociaal-wijkteam'];
const RISK_KINDS: readonly OrganisationKind[] = ['politie', 'jeugdbescherming', 'om'];

/** The questions for one organisation kind about one person of one colour (§6). */
export function questionsFor(kind: OrganisationKind, colour: Colour): QuestionKey[] {
  const orr = colour === 'oranje' || colour === 'rood';
  const rood = colour === 'rood';
  const q: QuestionKey[] = [];
  if (kind === 'leerplicht') q.push('schooluitval');
  if (kind === 'sociaal-wijkteam') q.push('begeleiding');
  if (kind === 'woningcorporatie' && orr) q.push('overlastsignalen', ...(rood ? (['huurachterstand', 'bijzonderheden'] as const) : []));
  if (kind === 'brp' && orr) q.push('adresgegevens', ...(rood ? (['rijbewijs', 'reisdocumenten'] as const) : []));
  if (RISK_KINDS.includes(kind) && orr) q.push('risicosignalen');
  if (kind === 'cjib' && rood) q.push('cjib');
  if (kind === 'riec' && rood) q.push('riec');
  if (kind === 'meldpunt-zorg-overlast' && orr) q.push('meldpunt');
  if (FAMILY_RISK_KINDS.includes(kind) && orr) q.push('gezin');
  return q;
}

/** Which answers an organisation may give: Meldpunt Zorg & Overlast only whether it knows the person. */
export function allowedAnswers(kind: OrganisationKind): readonly AnswerValue[] {
  return kind === 'meldpunt-zorg-overlast' ? ['ja', 'nee'] : ANSWER_VALUES;
}

export interface Question {
  /** `<personId>:<organisation>:<key>`. */
  id: string;
  personId: string;
  organisation: string;
  key: QuestionKey;
}

export const questionId = (personId: string, organisation: string, key: QuestionKey) => `${personId}:${organisation}:${key}`;

export function buildQuestions(
  persons: readonly { personId: string; colour: Colour }[],
  organisations: readonly { id: string; kind: OrganisationKind }[],
): Question[] {
  const out: Question[] = [];
  for (const p of persons)
    for (const o of organisations)
      for (const key of questionsFor(o.kind, p.colour)) out.push({ id: questionId(p.personId, o.id, key), personId: p.personId, organisation: o.id, key });
  return out;
}

export const answerSchema = z
  .object({
    value: z.enum(ANSWER_VALUES),
    domain: z.enum(LIFE_DOMAINS).optional(),
    by: z.string().min(1).max(100),
    at: z.string().datetime({ offset: true }),
    late: z.boolean(),
  })
  .strict();
export type Answer = z.infer<typeof answerSchema>;

/** `n` working days (Mon–Fri) before `start`, at the same local time. */
export function workingDaysBefore(start: Date, n: number, timeZone: string): Date {
  let at = start;
  let left = n;
  while (left > 0) {
    at = shiftLocal(at, { days: -1 }, timeZone);
    const p = localParts(at, timeZone);
    const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return at;
}

/**
 * When the reminders go out: `days` calendar days before `start`, at the same wall-clock time in
 * `timeZone` (a reminder 3 days before a 10:00 meeting is at 10:00 also across a DST change).
 * Only instants after `now`; the result keeps the order and the day count of each slot.
 */
export function reminderTimes(start: Date, days: readonly number[], timeZone: string, now: Date): { days: number; at: Date }[] {
  return days
    .map((d) => ({ days: d, at: shiftLocal(start, { days: -d }, timeZone) }))
    .filter((r) => r.at.getTime() > now.getTime());
}

export interface Completion {
  perPerson: Record<string, number>;
  overall: number;
  /** Organisations with at least one open question. */
  missing: string[];
}

const pct = (done: number, total: number) => (total === 0 ? 100 : Math.round((done / total) * 100));

export function completion(questions: readonly Question[], answers: Readonly<Record<string, Answer>>): Completion {
  const per = new Map<string, { done: number; total: number }>();
  const missing = new Set<string>();
  let done = 0;
  for (const q of questions) {
    const e = per.get(q.personId) ?? { done: 0, total: 0 };
    e.total++;
    if (answers[q.id]) {
      e.done++;
      done++;
    } else missing.add(q.organisation);
    per.set(q.personId, e);
  }
  return {
    perPerson: Object.fromEntries([...per].map(([k, v]) => [k, pct(v.done, v.total)])),
    overall: pct(done, questions.length),
    missing: [...missing],
  };
}

export type AnswerRefusal = 'not-addressed' | 'locked' | 'bad-value' | 'domain-not-applicable';

/**
 * Checks one organisation's answers. Nothing is accepted when one is refused (the caller stores
 * all or nothing). After `lockAt` only questions the chair reopened can be answered.
 */
export function checkAnswers(
  input: Readonly<Record<string, { value: string; domain?: string }>>,
  ctx: { organisation: string; kind: OrganisationKind; questions: readonly Question[]; now: Date; lockAt: Date; reopened: readonly string[] },
): { ok: true } | { ok: false; error: AnswerRefusal; questionId: string } {
  const allowed = allowedAnswers(ctx.kind);
  const locked = ctx.now.getTime() >= ctx.lockAt.getTime();
  for (const [id, a] of Object.entries(input)) {
    const q = ctx.questions.find((x) => x.id === id);
    if (!q || q.organisation !== ctx.organisation) return { ok: false, error: 'not-addressed', questionId: id };
    if (locked && !ctx.reopened.includes(id)) return { ok: false, error: 'locked', questionId: id };
    if (!(allowed as readonly string[]).includes(a.value)) return { ok: false, error: 'bad-value', questionId: id };
    if (a.domain !== undefined && (q.key !== 'risicosignalen' || a.value !== 'ja')) return { ok: false, error: 'domain-not-applicable', questionId: id };
    if (a.domain !== undefined && !(LIFE_DOMAINS as readonly string[]).includes(a.domain)) return { ok: false, error: 'bad-value', questionId: id };
  }
  return { ok: true };
}
