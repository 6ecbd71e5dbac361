import { CATEGORIES, SEVERITIES, localParts, shiftLocal, type Category, type Severity } from './signal.js';

/**
 * The ten criteria of §2, as far as the data of a case's signals allows: how many reports, from how
 * many reporters and organisations, over what time span, at what time of day, how regularly, how
 * severe, in how many categories, and the trend. Pure: signals + now + time zone in, figures out.
 * Criteria 8–10 (new forms, partners' own observations, what the place looks like) need people.
 *
 * Conventions (stated once, relied on by the cards and by the escalation rules):
 * - "The last N days" is the wall-clock window in the process's time zone: from the same local
 *   time N calendar days ago (inclusive) up to `now` (inclusive). Across a DST change such a window
 *   is N×24h ± 1h, which is what people mean by "a week ago". Signals after `now` are ignored
 *   everywhere (they cannot be, the form refuses them, but a clock may be wrong).
 * - The previous period for the trend is [now − 56 days, now − 28 days): it ends where the
 *   current period starts, so no signal counts in both.
 * - Night is 22:00 (inclusive) to 06:00 (exclusive) local time: §2 criterion 4, "football at
 *   15:00 is fine, at 03:00 it is hinder".
 * - Regularity counts distinct local calendar days and distinct ISO-8601 weeks with signals.
 * - The other figures (reporters, span, night share, regularity, categories, severity) cover all
 *   signals of the case up to `now`.
 */

export interface AssessedSignal {
  observedAt: Date | number;
  reporterOrganisation: string;
  reporterUserId: string;
  categories: readonly Category[];
  severity: Severity;
}

export type Trend = 'rising' | 'falling' | 'stable';

export interface Assessment {
  total: number;
  last7: number;
  last28: number;
  last90: number;
  previous28: number;
  trend: Trend;
  organisations: number;
  reporters: number;
  /** Most frequent first; ties by organisation id. */
  perOrganisation: { organisation: string; count: number }[];
  firstAt?: Date;
  lastAt?: Date;
  /** Calendar days between the local dates of the first and the last signal (0: one day). */
  spanDays: number;
  night: { count: number; share: number };
  regularity: { days: number; weeks: number };
  categories: Category[];
  highestSeverity?: Severity;
}

export const NIGHT_START_HOUR = 22;
export const NIGHT_END_HOUR = 6;

/** Start (inclusive) of the window "the last `days` days" ending at `now`. */
export function windowStart(now: Date, days: number, timeZone: string): Date {
  return shiftLocal(now, { days: -days }, timeZone);
}

export function isNight(instant: Date | number, timeZone: string): boolean {
  const { hour } = localParts(instant, timeZone);
  return hour >= NIGHT_START_HOUR || hour < NIGHT_END_HOUR;
}

/** ISO-8601 week of a calendar date, as `2026-W13`. */
export function isoWeek(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  const weekday = d.getUTCDay() || 7;
  // The ISO week belongs to the year of its Thursday.
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const isoYear = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

export function assess(signals: readonly AssessedSignal[], now: Date, timeZone: string): Assessment {
  const nowMs = now.getTime();
  const considered = signals
    .map((s) => ({ ...s, ms: typeof s.observedAt === 'number' ? s.observedAt : s.observedAt.getTime() }))
    .filter((s) => s.ms <= nowMs)
    .sort((a, b) => a.ms - b.ms);

  const start7 = windowStart(now, 7, timeZone).getTime();
  const start28 = windowStart(now, 28, timeZone).getTime();
  const start56 = windowStart(now, 56, timeZone).getTime();
  const start90 = windowStart(now, 90, timeZone).getTime();
  const countFrom = (start: number) => considered.filter((s) => s.ms >= start).length;
  const last28 = countFrom(start28);
  const previous28 = considered.filter((s) => s.ms >= start56 && s.ms < start28).length;

  const perOrg = new Map<string, number>();
  const reporters = new Set<string>();
  const days = new Set<string>();
  const weeks = new Set<string>();
  const categories = new Set<Category>();
  let nightCount = 0;
  let highest = -1;
  for (const s of considered) {
    perOrg.set(s.reporterOrganisation, (perOrg.get(s.reporterOrganisation) ?? 0) + 1);
    reporters.add(s.reporterUserId);
    const p = localParts(s.ms, timeZone);
    days.add(`${p.year}-${p.month}-${p.day}`);
    weeks.add(isoWeek(p.year, p.month, p.day));
    if (p.hour >= NIGHT_START_HOUR || p.hour < NIGHT_END_HOUR) nightCount++;
    for (const c of s.categories) categories.add(c);
    highest = Math.max(highest, SEVERITIES.indexOf(s.severity));
  }

  const first = considered[0];
  const last = considered[considered.length - 1];
  let spanDays = 0;
  if (first && last) {
    const a = localParts(first.ms, timeZone);
    const b = localParts(last.ms, timeZone);
    spanDays = Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
  }

  return {
    total: considered.length,
    last7: countFrom(start7),
    last28,
    last90: countFrom(start90),
    previous28,
    trend: last28 > previous28 ? 'rising' : last28 < previous28 ? 'falling' : 'stable',
    organisations: perOrg.size,
    reporters: reporters.size,
    perOrganisation: [...perOrg.entries()]
      .map(([organisation, count]) => ({ organisation, count }))
      .sort((x, y) => y.count - x.count || (x.organisation < y.organisation ? -1 : x.organisation > y.organisation ? 1 : 0)),
    ...(first ? { firstAt: new Date(first.ms) } : {}),
    ...(last ? { lastAt: new Date(last.ms) } : {}),
    spanDays,
    night: { count: nightCount, share: considered.length === 0 ? 0 : nightCount / considered.length },
    regularity: { days: days.size, weeks: weeks.size },
    categories: CATEGORIES.filter((c) => categories.has(c)),
    ...(highest >= 0 ? { highestSeverity: SEVERITIES[highest] } : {}),
  };
}
