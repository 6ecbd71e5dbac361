import { CATEGORIES, SEVERITIES, localDayAndHour, localParts, shiftLocal, type Category, type Severity } from './signal.js';

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

export function assess(signals: readonly AssessedSignal[], now: Date, timeZone: string): Assessment {
  const nowMs = now.getTime();
  const start7 = windowStart(now, 7, timeZone).getTime();
  const start28 = windowStart(now, 28, timeZone).getTime();
  const start56 = windowStart(now, 56, timeZone).getTime();
  const start90 = windowStart(now, 90, timeZone).getTime();

  // One pass, no sorting: a case card assesses up to a few thousand signals on every view.
  let total = 0;
  let last7 = 0;
  let last28 = 0;
  let last90 = 0;
  let previous28 = 0;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  let firstDay = 0;
  let lastDay = 0;
  let nightCount = 0;
  let highest = -1;
  const perOrg = new Map<string, number>();
  const reporters = new Set<string>();
  /** Local calendar days as day numbers, and Monday-based weeks (= ISO weeks) as week numbers. */
  const days = new Set<number>();
  const weeks = new Set<number>();
  const categories = new Set<Category>();
  for (const s of signals) {
    const ms = typeof s.observedAt === 'number' ? s.observedAt : s.observedAt.getTime();
    if (!(ms <= nowMs)) continue;
    total++;
    if (ms >= start7) last7++;
    if (ms >= start28) last28++;
    else if (ms >= start56) previous28++;
    if (ms >= start90) last90++;
    perOrg.set(s.reporterOrganisation, (perOrg.get(s.reporterOrganisation) ?? 0) + 1);
    reporters.add(s.reporterUserId);
    const local = localDayAndHour(ms, timeZone);
    days.add(local.day);
    // Day 0 (1970-01-01) is a Thursday, so day + 3 counts from the Monday before it.
    weeks.add(Math.floor((local.day + 3) / 7));
    if (local.hour >= NIGHT_START_HOUR || local.hour < NIGHT_END_HOUR) nightCount++;
    for (const c of s.categories) categories.add(c);
    highest = Math.max(highest, SEVERITY_RANK.get(s.severity) ?? -1);
    if (ms < firstMs) {
      firstMs = ms;
      firstDay = local.day;
    }
    if (ms > lastMs) {
      lastMs = ms;
      lastDay = local.day;
    }
  }
  const spanDays = total > 0 ? lastDay - firstDay : 0;

  return {
    total,
    last7,
    last28,
    last90,
    previous28,
    trend: last28 > previous28 ? 'rising' : last28 < previous28 ? 'falling' : 'stable',
    organisations: perOrg.size,
    reporters: reporters.size,
    perOrganisation: [...perOrg.entries()]
      .map(([organisation, count]) => ({ organisation, count }))
      .sort((x, y) => y.count - x.count || (x.organisation < y.organisation ? -1 : x.organisation > y.organisation ? 1 : 0)),
    ...(total > 0 ? { firstAt: new Date(firstMs), lastAt: new Date(lastMs) } : {}),
    spanDays,
    night: { count: nightCount, share: total === 0 ? 0 : nightCount / total },
    regularity: { days: days.size, weeks: weeks.size },
    categories: CATEGORIES.filter((c) => categories.has(c)),
    ...(highest >= 0 ? { highestSeverity: SEVERITIES[highest] } : {}),
  };
}

const SEVERITY_RANK = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));
