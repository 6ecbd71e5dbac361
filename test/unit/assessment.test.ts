import { describe, expect, it } from 'vitest';
import { assess, isNight, windowStart, type AssessedSignal } from '../../src/domain/assessment.js';
import type { Category, Severity } from '../../src/domain/signal.js';

const TZ = 'Europe/Amsterdam';

function sig(
  at: string | number,
  more: { org?: string; user?: string; categories?: Category[]; severity?: Severity } = {},
): AssessedSignal {
  return {
    observedAt: typeof at === 'number' ? at : new Date(at),
    reporterOrganisation: more.org ?? 'politie',
    reporterUserId: more.user ?? 'u1',
    categories: more.categories ?? ['geluid'],
    severity: more.severity ?? 'laag',
  };
}

const ms = (iso: string) => Date.parse(iso);

describe('assessment: empty case', () => {
  it('has zeros and no dates', () => {
    const a = assess([], new Date('2026-04-05T10:00:00Z'), TZ);
    expect(a).toMatchObject({
      total: 0,
      last7: 0,
      last28: 0,
      last90: 0,
      previous28: 0,
      trend: 'stable',
      organisations: 0,
      reporters: 0,
      perOrganisation: [],
      spanDays: 0,
      night: { count: 0, share: 0 },
      regularity: { days: 0, weeks: 0 },
      categories: [],
    });
    expect(a.firstAt).toBeUndefined();
    expect(a.highestSeverity).toBeUndefined();
  });
});

describe('assessment: window edges (start inclusive, now inclusive, calendar days in local time)', () => {
  it('a 7-day window across the spring change is 167 hours: from the same local time a week ago', () => {
    // Monday 30 March 2026 12:00 CEST; a week earlier is Monday 23 March 12:00 CET = 11:00Z.
    const now = new Date('2026-03-30T10:00:00Z');
    expect(windowStart(now, 7, TZ)).toEqual(new Date('2026-03-23T11:00:00Z'));
    const a = assess(
      [
        sig('2026-03-23T11:00:00Z'), // exactly at the start: in
        sig(ms('2026-03-23T11:00:00Z') - 1), // one ms before: out
        sig('2026-03-23T10:30:00Z'), // inside 7×24h, but before the local start: out
      ],
      now,
      TZ,
    );
    expect(a.last7).toBe(1);
    expect(a.last28).toBe(3);
  });

  it('a 7-day window across the autumn change is 169 hours', () => {
    // Monday 26 October 2026 12:00 CET; a week earlier is Monday 19 October 12:00 CEST = 10:00Z.
    const now = new Date('2026-10-26T11:00:00Z');
    expect(windowStart(now, 7, TZ)).toEqual(new Date('2026-10-19T10:00:00Z'));
    const a = assess([sig('2026-10-19T10:00:00Z'), sig(ms('2026-10-19T10:00:00Z') - 1), sig('2026-10-19T10:30:00Z')], now, TZ);
    expect(a.last7).toBe(2);
  });

  it('counts a signal at now, ignores one after now everywhere', () => {
    const now = new Date('2026-04-05T10:00:00Z');
    const a = assess([sig(now.getTime()), sig(now.getTime() + 1, { org: 'handhaving', categories: ['drugs'], severity: 'hoog' })], now, TZ);
    expect(a).toMatchObject({ total: 1, last7: 1, last28: 1, last90: 1, organisations: 1, categories: ['geluid'], highestSeverity: 'laag' });
  });

  it('splits 28 days and the 28 before without overlap or gap', () => {
    // Sunday 5 April 2026 12:00 CEST. 28 days back: 8 March 12:00 CET (11:00Z); 56: 8 February 12:00 CET.
    const now = new Date('2026-04-05T10:00:00Z');
    const start28 = ms('2026-03-08T11:00:00Z');
    const start56 = ms('2026-02-08T11:00:00Z');
    expect(windowStart(now, 28, TZ).getTime()).toBe(start28);
    expect(windowStart(now, 56, TZ).getTime()).toBe(start56);
    const a = assess([sig(start28), sig(start28 - 1), sig(start56), sig(start56 - 1)], now, TZ);
    expect(a.last28).toBe(1);
    expect(a.previous28).toBe(2);
    expect(a.last90).toBe(4);
    expect(a.total).toBe(4);
  });

  it('has a 90-day window from the same local time 90 days ago', () => {
    const now = new Date('2026-04-05T10:00:00Z');
    // 90 days before 5 April is 5 January, 12:00 CET = 11:00Z.
    const start90 = ms('2026-01-05T11:00:00Z');
    expect(windowStart(now, 90, TZ).getTime()).toBe(start90);
    expect(assess([sig(start90), sig(start90 - 1)], now, TZ).last90).toBe(1);
  });
});

describe('assessment: trend (last 28 days vs the 28 before)', () => {
  const now = new Date('2026-04-05T10:00:00Z');
  const recent = '2026-04-01T10:00:00Z';
  const earlier = '2026-03-01T10:00:00Z';
  it.each([
    [[recent, recent], [earlier], 'rising'],
    [[recent], [earlier, earlier], 'falling'],
    [[recent], [earlier], 'stable'],
    [[recent], [], 'rising'],
  ] as const)('%j vs %j → %s', (last, previous, trend) => {
    const a = assess([...last.map((x) => sig(x)), ...previous.map((x) => sig(x))], now, TZ);
    expect(a.trend).toBe(trend);
    expect(a.last28).toBe(last.length);
    expect(a.previous28).toBe(previous.length);
  });
});

describe('assessment: night share (22:00–06:00 local, DST-correct)', () => {
  it.each([
    ['2026-01-15T20:59:00Z', false], // 21:59 CET
    ['2026-01-15T21:00:00Z', true], // 22:00 CET
    ['2026-01-16T04:59:00Z', true], // 05:59 CET
    ['2026-01-16T05:00:00Z', false], // 06:00 CET
    ['2026-07-01T19:59:00Z', false], // 21:59 CEST
    ['2026-07-01T20:00:00Z', true], // 22:00 CEST (21:00 in winter time: a UTC rule would get this wrong)
    ['2026-07-02T03:59:00Z', true], // 05:59 CEST
    ['2026-07-02T04:00:00Z', false], // 06:00 CEST
    ['2026-03-29T01:30:00Z', true], // 03:30 CEST, the night of the spring change
    ['2026-10-25T04:59:00Z', true], // 05:59 CET, the night of the autumn change
    ['2026-10-25T05:00:00Z', false], // 06:00 CET
  ])('%s → night %s', (iso, night) => {
    expect(isNight(new Date(iso), TZ)).toBe(night);
  });

  it('gives count and share over all signals', () => {
    const a = assess(
      [sig('2026-01-15T21:00:00Z'), sig('2026-01-16T04:59:00Z'), sig('2026-01-16T12:00:00Z'), sig('2026-01-16T15:00:00Z')],
      new Date('2026-02-01T00:00:00Z'),
      TZ,
    );
    expect(a.night).toEqual({ count: 2, share: 0.5 });
  });
});

describe('assessment: regularity, span, reporters, categories, severity', () => {
  it('counts distinct local days and ISO weeks', () => {
    const a = assess(
      [
        sig('2026-03-14T23:30:00Z'), // Sunday 15 March 00:30 local (week 11), not Saturday the 14th
        sig('2026-03-15T10:00:00Z'), // Sunday 15 March (week 11)
        sig('2026-03-15T23:30:00Z'), // Monday 16 March 00:30 local (week 12)
        sig('2026-03-17T22:30:00Z'), // Tuesday 17 March 23:30 local
      ],
      new Date('2026-04-01T00:00:00Z'),
      TZ,
    );
    expect(a.regularity).toEqual({ days: 3, weeks: 2 });
    expect(a.spanDays).toBe(2);
    expect(a.firstAt).toEqual(new Date('2026-03-14T23:30:00Z'));
    expect(a.lastAt).toEqual(new Date('2026-03-17T22:30:00Z'));
  });

  it.each([
    [2026, 1, 1, '2026-W01'],
    [2027, 1, 1, '2026-W53'],
    [2024, 12, 30, '2025-W01'],
    [2026, 3, 29, '2026-W13'],
    [2026, 3, 30, '2026-W14'],
  ])('the test oracle: ISO week of %i-%i-%i is %s', (y, m, d, week) => {
    expect(isoWeek(y, m, d)).toBe(week);
  });

  it('counts days, ISO weeks, nights and the span as Intl sees the local calendar, across years and DST changes', () => {
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', hourCycle: 'h23' });
    const partsOf = (t: number) => Object.fromEntries(local.formatToParts(t).map((p) => [p.type, Number(p.value)])) as Record<string, number>;
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const now = new Date('2027-02-01T12:00:00Z'); // after every instant: all count
    for (let round = 0; round < 20; round++) {
      // Instants around New Year (ISO week 53 of 2026) and the DST changes of 2026.
      const centres = [ms('2026-12-31T23:00:00Z'), ms('2026-03-29T01:00:00Z'), ms('2026-10-25T01:00:00Z')];
      const instants = Array.from({ length: 40 }, () => centres[Math.floor(random() * 3)]! + Math.floor((random() - 0.5) * 20 * 86_400_000));
      const a = assess(instants.map((t) => sig(t)), now, TZ);
      const parts = instants.map(partsOf);
      const dayNumbers = parts.map((p) => Date.UTC(p.year!, p.month! - 1, p.day!) / 86_400_000);
      expect(a.regularity).toEqual({
        days: new Set(dayNumbers).size,
        weeks: new Set(parts.map((p) => isoWeek(p.year!, p.month!, p.day!))).size,
      });
      expect(a.night.count).toBe(parts.filter((p) => p.hour! >= 22 || p.hour! < 6).length);
      expect(a.spanDays).toBe(dayNumbers[instants.indexOf(Math.max(...instants))]! - dayNumbers[instants.indexOf(Math.min(...instants))]!);
    }
  });

  it('counts reporters and organisations and how often each reports', () => {
    const a = assess(
      [
        sig('2026-03-01T10:00:00Z', { org: 'woonbron', user: 'w1' }),
        sig('2026-03-02T10:00:00Z', { org: 'politie', user: 'p1' }),
        sig('2026-03-03T10:00:00Z', { org: 'politie', user: 'p2' }),
        sig('2026-03-04T10:00:00Z', { org: 'handhaving', user: 'h1' }),
        sig('2026-03-05T10:00:00Z', { org: 'woonbron', user: 'w1' }),
        sig('2026-03-06T10:00:00Z', { org: 'politie', user: 'p1' }),
      ],
      new Date('2026-04-01T00:00:00Z'),
      TZ,
    );
    expect(a.organisations).toBe(3);
    expect(a.reporters).toBe(4);
    expect(a.perOrganisation).toEqual([
      { organisation: 'politie', count: 3 },
      { organisation: 'woonbron', count: 2 },
      { organisation: 'handhaving', count: 1 },
    ]);
  });

  it('lists distinct categories in the card’s order and the highest severity', () => {
    const a = assess(
      [
        sig('2026-03-01T10:00:00Z', { categories: ['agressie', 'geluid'], severity: 'middel' }),
        sig('2026-03-02T10:00:00Z', { categories: ['geluid', 'drugs'], severity: 'hoog' }),
        sig('2026-03-03T10:00:00Z', { categories: ['geluid'], severity: 'laag' }),
      ],
      new Date('2026-04-01T00:00:00Z'),
      TZ,
    );
    expect(a.categories).toEqual(['geluid', 'drugs', 'agressie']);
    expect(a.highestSeverity).toBe('hoog');
  });
});

/** ISO-8601 week of a calendar date, as `2026-W13`: the oracle the assessment's week count is checked against. */
function isoWeek(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  const weekday = d.getUTCDay() || 7;
  // The ISO week belongs to the year of its Thursday.
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const isoYear = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}
