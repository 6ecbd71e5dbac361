import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localParts } from '../../src/domain/signal.js';

/** What Intl says, field by field: the reference the fast path must always agree with. */
const referenceFormats = new Map<string, Intl.DateTimeFormat>();
function reference(ms: number, timeZone: string) {
  let format = referenceFormats.get(timeZone);
  if (!format) referenceFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })));
  const parts = format.formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

// Amsterdam (the bot's zone), a half-hour DST zone, a zone without DST, and one south of the equator.
const ZONES = ['Europe/Amsterdam', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago', 'UTC'];

describe('localParts (wall-clock time in a zone)', () => {
  it('agrees with Intl for any instant from 2000 to 2040 in every zone', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
        expect(localParts(ms, zone)).toEqual(reference(ms, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it('is right on both sides of Amsterdam\'s DST changes, to the millisecond', () => {
    const springForward = Date.UTC(2026, 2, 29, 1, 0, 0); // 02:00 CET becomes 03:00 CEST
    const fallBack = Date.UTC(2026, 9, 25, 1, 0, 0); // 03:00 CEST becomes 02:00 CET
    expect(localParts(springForward - 1, 'Europe/Amsterdam')).toMatchObject({ hour: 1, minute: 59, second: 59 });
    expect(localParts(springForward, 'Europe/Amsterdam')).toMatchObject({ hour: 3, minute: 0 });
    expect(localParts(fallBack - 1, 'Europe/Amsterdam')).toMatchObject({ hour: 2, minute: 59, second: 59 });
    expect(localParts(fallBack, 'Europe/Amsterdam')).toMatchObject({ hour: 2, minute: 0 });
    for (const t of [springForward - 1, springForward, fallBack - 1, fallBack, fallBack + 1_800_000]) {
      expect(localParts(t, 'Europe/Amsterdam')).toEqual(reference(t, 'Europe/Amsterdam'));
    }
  });

  it('agrees with Intl around every transition of a half-hour DST zone (Lord Howe Island)', () => {
    // Lord Howe moves 30 minutes at 02:00 local: transitions that fall inside a UTC hour.
    const months = [Date.UTC(2026, 3, 1), Date.UTC(2026, 9, 1)]; // the changes are early April and early October
    for (const from of months) {
      for (let t = from; t < from + 10 * 86_400_000; t += 7 * 60_000 + 13_000) {
        expect(localParts(t, 'Australia/Lord_Howe')).toEqual(reference(t, 'Australia/Lord_Howe'));
      }
    }
  });
});
