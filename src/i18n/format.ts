/**
 * Dutch date and time formatting (nl-NL), shared by every feature. Building an
 * `Intl.DateTimeFormat` is expensive (tens of microseconds, plus garbage), and a case card
 * formats dozens of dates, so each (style, time zone) formatter is made once and reused.
 */

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(style: 'moment' | 'day' | 'weekday' | 'long', timeZone: string): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let f = cache.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      style === 'moment'
        ? { dateStyle: 'medium', timeStyle: 'short' }
        : style === 'day'
          ? { dateStyle: 'medium' }
          : style === 'weekday'
            ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
            : { dateStyle: 'long' };
    f = new Intl.DateTimeFormat('nl-NL', { ...options, timeZone });
    cache.set(key, f);
  }
  return f;
}

const asDate = (instant: Date | string): Date => (typeof instant === 'string' ? new Date(instant) : instant);

/**
 * Formatted instants, kept: a case card shows the same signal dates on every view, and one
 * `format` call costs a few microseconds. Bounded; it simply starts over when full.
 */
const formatted = new Map<string, string>();
const FORMATTED_MAX = 10_000;

function formatCached(style: 'moment' | 'day', instant: Date | string, timeZone: string): string {
  const date = asDate(instant);
  const key = `${style}|${timeZone}|${date.getTime()}`;
  let text = formatted.get(key);
  if (text === undefined) {
    text = formatter(style, timeZone).format(date);
    if (formatted.size >= FORMATTED_MAX) formatted.clear();
    formatted.set(key, text);
  }
  return text;
}

/** "3 dec 2026, 14:05" in the given time zone. */
export const formatMoment = (instant: Date | string, timeZone: string): string => formatCached('moment', instant, timeZone);

/** "3 dec 2026" in the given time zone. */
export const formatDay = (instant: Date | string, timeZone: string): string => formatCached('day', instant, timeZone);

/** "donderdag 3 december 2026" in the given time zone. */
export const formatWeekday = (instant: Date | string, timeZone: string): string => formatter('weekday', timeZone).format(asDate(instant));

/** A calendar date `YYYY-MM-DD` (no time zone) as "3 december 2026". */
export function formatCalendarDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return formatter('long', 'UTC').format(new Date(Date.UTC(y!, m! - 1, d!)));
}
