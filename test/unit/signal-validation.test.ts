import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { District } from '../../src/domain/directory.js';
import {
  LIMITS,
  defaultFormValues,
  formatRef,
  localDateString,
  localTimeString,
  localToInstant,
  offsetMinutes,
  shiftLocal,
  validateSignalForm,
  type SignalFormContext,
  type SignalFormResult,
} from '../../src/domain/signal.js';
import { nl } from '../../src/i18n/nl.js';

const TZ = 'Europe/Amsterdam';
const districts: District[] = [
  { id: 'crabbehof', name: 'Crabbehof', wijkmanagers: [], hotspots: ['Sumatraplein', 'Jacob Marisstraat'] },
  { id: 'binnenstad', name: 'Binnenstad', wijkmanagers: [], hotspots: ['Statenplein'] },
];
// Sunday 15 March 2026, 11:00 in Amsterdam (CET, UTC+1).
const NOW = new Date('2026-03-15T10:00:00Z');
const ctx: SignalFormContext = { now: NOW, timeZone: TZ, districts, isPolice: false };
const policeCtx: SignalFormContext = { ...ctx, isPolice: true };
const cardId = randomUUID();

function base(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cardId,
    kind: 'overlast',
    district: 'crabbehof',
    location: '  St.  Jorisweg ',
    observedDate: '2026-03-15',
    observedTime: '09:30',
    categories: 'drugs,geluid',
    severity: 'middel',
    subject: 'locatie',
    source: 'eigen-waarneming',
    description: 'Groep jongeren maakt lawaai bij de ingang.',
    ...overrides,
  };
}

function without(field: string): Record<string, unknown> {
  const data = base();
  delete data[field];
  return data;
}

function valid(result: SignalFormResult) {
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result)}`);
  return result.input;
}

function invalid(result: SignalFormResult) {
  if (result.ok || result.kind !== 'invalid') throw new Error(`expected field errors, got ${JSON.stringify(result)}`);
  return result;
}

function forged(result: SignalFormResult) {
  if (result.ok || result.kind !== 'forged') throw new Error(`expected forged, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe('signal form: valid input', () => {
  it('yields a typed signal interpreted in Europe/Amsterdam', () => {
    const input = valid(validateSignalForm(base(), ctx));
    expect(input).toEqual({
      kind: 'overlast',
      district: 'crabbehof',
      location: 'St. Jorisweg',
      locationKey: 'sint-jorisweg',
      observedAt: new Date('2026-03-15T08:30:00Z'),
      categories: ['geluid', 'drugs'],
      severity: 'middel',
      subject: 'locatie',
      source: 'eigen-waarneming',
      description: 'Groep jongeren maakt lawaai bij de ingang.',
    });
  });

  it('takes a hotspot as the location when no location is typed', () => {
    const input = valid(validateSignalForm(base({ location: '', hotspot: 'Sumatraplein' }), ctx));
    expect(input.location).toBe('Sumatraplein');
    expect(input.locationKey).toBe('sumatraplein');
  });

  it('prefers the typed location over the hotspot (it is more precise)', () => {
    expect(valid(validateSignalForm(base({ hotspot: 'Sumatraplein' }), ctx)).location).toBe('St. Jorisweg');
  });

  it('accepts exactly the limits', () => {
    const input = valid(
      validateSignalForm(
        base({ description: 'x'.repeat(LIMITS.description), location: 'a'.repeat(LIMITS.location) }),
        ctx,
      ),
    );
    expect(input.description).toHaveLength(2000);
  });

  it('accepts a person with name and a past date of birth', () => {
    const input = valid(
      validateSignalForm(base({ subject: 'persoon', personName: ' Jan  de Vries ', personDob: '2008-05-01' }), ctx),
    );
    expect(input.person).toEqual({ name: 'Jan de Vries', dateOfBirth: '2008-05-01' });
  });

  it('keeps the group size only for a group (it is no personal data, a leftover is ignored)', () => {
    expect(valid(validateSignalForm(base({ subject: 'groep', groupSize: '12' }), ctx)).groupSize).toBe(12);
    expect(valid(validateSignalForm(base({ subject: 'groep', groupSize: 12 }), ctx)).groupSize).toBe(12);
    expect(valid(validateSignalForm(base({ subject: 'locatie', groupSize: '12' }), ctx)).groupSize).toBeUndefined();
  });

  it('keeps line breaks in the description and drops control characters', () => {
    const input = valid(validateSignalForm(base({ description: 'regel 1\r\nregel\u0007 2\n\n\n\nregel 3' }), ctx));
    expect(input.description).toBe('regel 1\nregel 2\n\nregel 3');
  });

  it('accepts "other" with its text', () => {
    const input = valid(validateSignalForm(base({ categories: 'overig', categoryOther: 'vuurwerk' }), ctx));
    expect(input.categories).toEqual(['overig']);
    expect(input.categoryOther).toBe('vuurwerk');
  });

  it('records a police contact from a police user', () => {
    const input = valid(validateSignalForm(base({ policeContact: 'true', policeReference: 'PL1800-2026/123' }), policeCtx));
    expect(input.policeContact).toEqual({ reference: 'PL1800-2026/123' });
    expect(valid(validateSignalForm(base({ policeContact: true, policeReference: 'M-1' }), policeCtx)).policeContact).toEqual({
      reference: 'M-1',
    });
    expect(valid(validateSignalForm(base({ policeContact: 'false' }), policeCtx)).policeContact).toBeUndefined();
  });
});

describe('signal form: field errors (Dutch, per field, values kept)', () => {
  it.each([
    ['kind', 'kindRequired'],
    ['district', 'districtRequired'],
    ['location', 'locationRequired'],
    ['observedDate', 'dateRequired'],
    ['observedTime', 'timeRequired'],
    ['categories', 'categoriesRequired'],
    ['severity', 'severityRequired'],
    ['subject', 'subjectRequired'],
    ['source', 'sourceRequired'],
    ['description', 'descriptionRequired'],
  ])('missing %s → %s', (field, code) => {
    const r = invalid(validateSignalForm(without(field), ctx));
    expect(r.codes).toEqual({ [field]: code });
    expect(r.errors[field as keyof typeof r.errors]).toBe(nl.signals.errors[code as keyof typeof nl.signals.errors]);
  });

  it('treats null (an untouched input on some clients) as missing', () => {
    expect(invalid(validateSignalForm(base({ description: null, groupSize: null }), ctx)).codes).toEqual({
      description: 'descriptionRequired',
    });
  });

  it('treats blank as missing', () => {
    expect(invalid(validateSignalForm(base({ description: '   \n ' }), ctx)).codes).toEqual({ description: 'descriptionRequired' });
  });

  it('reports every wrong field at once and keeps the values as typed', () => {
    const data = base({
      kind: 'klacht',
      district: 'atlantis',
      observedDate: '2026-02-30',
      observedTime: '25:00',
      categories: 'geluid,vuurwerk',
      severity: 'extreem',
      subject: 'persoon',
      personName: '',
      description: 'x'.repeat(2001),
    });
    const r = invalid(validateSignalForm(data, ctx));
    expect(r.codes).toEqual({
      kind: 'kindInvalid',
      district: 'districtUnknown',
      observedDate: 'dateInvalid',
      observedTime: 'timeInvalid',
      categories: 'categoryUnknown',
      severity: 'severityInvalid',
      personName: 'personNameRequired',
      personDob: 'dobRequired',
      description: 'descriptionTooLong',
    });
    expect(r.values.district).toBe('atlantis');
    expect(r.values.description).toHaveLength(2001);
    expect(r.values.location).toBe('  St.  Jorisweg ');
    expect(r.errors.description).toContain('2000');
  });

  it('refuses text beyond the limits', () => {
    expect(invalid(validateSignalForm(base({ location: 'a'.repeat(201) }), ctx)).codes).toEqual({ location: 'locationTooLong' });
    expect(invalid(validateSignalForm(base({ categories: 'overig', categoryOther: 'a'.repeat(201) }), ctx)).codes).toEqual({
      categoryOther: 'categoryOtherTooLong',
    });
    expect(
      invalid(validateSignalForm(base({ subject: 'persoon', personName: 'a'.repeat(201), personDob: '2000-01-01' }), ctx)).codes,
    ).toEqual({ personName: 'personNameTooLong' });
    expect(invalid(validateSignalForm(base({ policeContact: 'true', policeReference: 'a'.repeat(51) }), policeCtx)).codes).toEqual({
      policeReference: 'policeReferenceTooLong',
    });
  });

  it('refuses a location of punctuation only', () => {
    expect(invalid(validateSignalForm(base({ location: '...' }), ctx)).codes).toEqual({ location: 'locationEmpty' });
  });

  it('refuses a hotspot that is not one of the chosen district', () => {
    expect(invalid(validateSignalForm(base({ location: '', hotspot: 'Statenplein' }), ctx)).codes).toEqual({
      hotspot: 'hotspotUnknown',
    });
  });

  describe('observation time', () => {
    it('allows now, refuses one minute later (on the time field when the date is today)', () => {
      expect(valid(validateSignalForm(base({ observedTime: '11:00' }), ctx)).observedAt).toEqual(NOW);
      expect(invalid(validateSignalForm(base({ observedTime: '11:01' }), ctx)).codes).toEqual({ observedTime: 'observedInFuture' });
      expect(invalid(validateSignalForm(base({ observedDate: '2026-03-16', observedTime: '00:00' }), ctx)).codes).toEqual({
        observedDate: 'observedInFuture',
      });
    });

    it('allows exactly one year back (same local date and time), not a minute more', () => {
      expect(valid(validateSignalForm(base({ observedDate: '2025-03-15', observedTime: '11:00' }), ctx)).observedAt).toEqual(
        new Date('2025-03-15T10:00:00Z'),
      );
      expect(invalid(validateSignalForm(base({ observedDate: '2025-03-15', observedTime: '10:59' }), ctx)).codes).toEqual({
        observedDate: 'observedTooOld',
      });
    });

    it('interprets summer time (CEST, UTC+2)', () => {
      const summer: SignalFormContext = { ...ctx, now: new Date('2026-07-01T12:00:00Z') };
      expect(valid(validateSignalForm(base({ observedDate: '2026-06-30', observedTime: '23:15' }), summer)).observedAt).toEqual(
        new Date('2026-06-30T21:15:00Z'),
      );
    });

    it('moves a time in the spring-forward gap forward (02:30 on 29 March 2026 does not exist)', () => {
      const later: SignalFormContext = { ...ctx, now: new Date('2026-04-01T12:00:00Z') };
      expect(valid(validateSignalForm(base({ observedDate: '2026-03-29', observedTime: '02:30' }), later)).observedAt).toEqual(
        new Date('2026-03-29T01:30:00Z'),
      );
    });

    it('takes the first of a repeated time (02:30 on 25 October 2026 happens twice)', () => {
      const later: SignalFormContext = { ...ctx, now: new Date('2026-11-01T12:00:00Z') };
      expect(valid(validateSignalForm(base({ observedDate: '2026-10-25', observedTime: '02:30' }), later)).observedAt).toEqual(
        new Date('2026-10-25T00:30:00Z'),
      );
    });

    it('accepts HH:mm:ss from clients that add seconds, refuses other formats', () => {
      expect(valid(validateSignalForm(base({ observedTime: '09:30:00' }), ctx)).observedAt).toEqual(new Date('2026-03-15T08:30:00Z'));
      expect(invalid(validateSignalForm(base({ observedTime: '9:30' }), ctx)).codes).toEqual({ observedTime: 'timeInvalid' });
      expect(invalid(validateSignalForm(base({ observedDate: '15-03-2026' }), ctx)).codes).toEqual({ observedDate: 'dateInvalid' });
    });
  });

  describe('categories', () => {
    it('requires the text for "overig" and refuses the text without "overig"', () => {
      expect(invalid(validateSignalForm(base({ categories: 'geluid,overig' }), ctx)).codes).toEqual({
        categoryOther: 'categoryOtherRequired',
      });
      expect(invalid(validateSignalForm(base({ categoryOther: 'vuurwerk' }), ctx)).codes).toEqual({
        categoryOther: 'categoryOtherWithoutOverig',
      });
    });

    it('needs at least one known category', () => {
      expect(invalid(validateSignalForm(base({ categories: ', ,' }), ctx)).codes).toEqual({ categories: 'categoriesRequired' });
      expect(invalid(validateSignalForm(base({ categories: 'geluid,herrie' }), ctx)).codes).toEqual({ categories: 'categoryUnknown' });
    });

    it('removes duplicates and keeps the card’s order', () => {
      expect(valid(validateSignalForm(base({ categories: 'agressie,geluid,agressie' }), ctx)).categories).toEqual([
        'geluid',
        'agressie',
      ]);
    });
  });

  describe('privacy: no names unless the signal is about a person (§2)', () => {
    it('refuses a name or date of birth on a signal about a situation or a group', () => {
      expect(invalid(validateSignalForm(base({ personName: 'Jan' }), ctx)).codes).toEqual({ personName: 'personDataNotAllowed' });
      expect(invalid(validateSignalForm(base({ subject: 'groep', personDob: '2001-01-01' }), ctx)).codes).toEqual({
        personDob: 'personDataNotAllowed',
      });
    });

    it('requires a real past date of birth', () => {
      const person = (dob: string) => base({ subject: 'persoon', personName: 'Jan', personDob: dob });
      expect(invalid(validateSignalForm(person('2008-02-30'), ctx)).codes).toEqual({ personDob: 'dobInvalid' });
      expect(invalid(validateSignalForm(person('2026-03-15'), ctx)).codes).toEqual({ personDob: 'dobNotPast' });
      expect(invalid(validateSignalForm(person('2030-01-01'), ctx)).codes).toEqual({ personDob: 'dobNotPast' });
      expect(invalid(validateSignalForm(person('1899-12-31'), ctx)).codes).toEqual({ personDob: 'dobNotPast' });
      expect(valid(validateSignalForm(person('2026-03-14'), ctx)).person?.dateOfBirth).toBe('2026-03-14');
    });

    it('refuses a "name" without letters', () => {
      expect(invalid(validateSignalForm(base({ subject: 'persoon', personName: '12345', personDob: '2000-01-01' }), ctx)).codes).toEqual({
        personName: 'personNameInvalid',
      });
    });
  });

  it('checks the group size', () => {
    expect(invalid(validateSignalForm(base({ subject: 'groep', groupSize: '1' }), ctx)).codes).toEqual({ groupSize: 'groupSizeInvalid' });
    expect(invalid(validateSignalForm(base({ subject: 'groep', groupSize: '501' }), ctx)).codes).toEqual({ groupSize: 'groupSizeInvalid' });
    expect(invalid(validateSignalForm(base({ subject: 'groep', groupSize: 'veel' }), ctx)).codes).toEqual({ groupSize: 'groupSizeInvalid' });
    expect(invalid(validateSignalForm(base({ subject: 'groep', groupSize: 2.5 }), ctx)).codes).toEqual({ groupSize: 'groupSizeInvalid' });
  });

  it('checks the police fields', () => {
    expect(invalid(validateSignalForm(base({ policeContact: 'true' }), policeCtx)).codes).toEqual({
      policeReference: 'policeReferenceRequired',
    });
    expect(invalid(validateSignalForm(base({ policeContact: 'false', policeReference: 'X1' }), policeCtx)).codes).toEqual({
      policeReference: 'policeReferenceWithoutContact',
    });
    expect(invalid(validateSignalForm(base({ policeContact: 'true', policeReference: 'X1<script>' }), policeCtx)).codes).toEqual({
      policeReference: 'policeReferenceInvalid',
    });
    expect(invalid(validateSignalForm(base({ policeContact: 'misschien' }), policeCtx)).codes).toEqual({
      policeContact: 'policeContactInvalid',
    });
  });
});

describe('signal form: forged payloads are refused as a whole', () => {
  it.each([
    ['a field the card does not have', base({ isAdmin: 'true' }), 'unknown-fields'],
    ['police fields from a non-police user', base({ policeContact: 'true', policeReference: 'X' }), 'unknown-fields'],
    ['an object where text belongs', base({ description: { $gt: '' } }), 'bad-shape'],
    ['an array where text belongs', base({ district: ['crabbehof'] }), 'bad-shape'],
    ['no card id', without('cardId'), 'bad-shape'],
    ['a card id that is not a UUID', base({ cardId: '../../etc' }), 'bad-shape'],
    ['more text than any input allows', base({ description: 'x'.repeat(LIMITS.raw + 1) }), 'oversized'],
    ['no object at all', null, 'bad-shape'],
    ['a string', 'melding', 'bad-shape'],
  ])('%s', (_label, data, reason) => {
    expect(forged(validateSignalForm(data, ctx))).toBe(reason);
  });
});

describe('messages', () => {
  it('every error code has a Dutch message that states the limit where there is one', () => {
    for (const message of Object.values(nl.signals.errors)) expect(message.length).toBeGreaterThan(10);
    expect(nl.signals.errors.descriptionTooLong).toContain(String(LIMITS.description));
    expect(nl.signals.errors.locationTooLong).toContain(String(LIMITS.location));
    expect(nl.signals.errors.personNameTooLong).toContain(String(LIMITS.personName));
    expect(nl.signals.errors.policeReferenceTooLong).toContain(String(LIMITS.policeReference));
    expect(nl.signals.errors.categoryOtherTooLong).toContain(String(LIMITS.categoryOther));
  });
});

describe('wall-clock time in Europe/Amsterdam', () => {
  it('knows the offsets on both sides of the DST changes', () => {
    expect(offsetMinutes(Date.parse('2026-03-29T00:59:59Z'), TZ)).toBe(60);
    expect(offsetMinutes(Date.parse('2026-03-29T01:00:00Z'), TZ)).toBe(120);
    expect(offsetMinutes(Date.parse('2026-10-25T00:59:59Z'), TZ)).toBe(120);
    expect(offsetMinutes(Date.parse('2026-10-25T01:00:00Z'), TZ)).toBe(60);
  });

  it('converts local times around the changes', () => {
    const at = (h: number, mi: number, month = 3, day = 29) => localToInstant({ year: 2026, month, day, hour: h, minute: mi }, TZ);
    expect(at(1, 59)).toEqual(new Date('2026-03-29T00:59:00Z'));
    expect(at(2, 0)).toEqual(new Date('2026-03-29T01:00:00Z')); // does not exist → 03:00 CEST
    expect(at(3, 0)).toEqual(new Date('2026-03-29T01:00:00Z'));
    expect(at(1, 59, 10, 25)).toEqual(new Date('2026-10-24T23:59:00Z'));
    expect(at(2, 0, 10, 25)).toEqual(new Date('2026-10-25T00:00:00Z')); // first of two
    expect(at(3, 0, 10, 25)).toEqual(new Date('2026-10-25T02:00:00Z'));
  });

  it('formats Input.Date / Input.Time values in local time', () => {
    expect(localDateString(new Date('2026-03-14T23:30:00Z'), TZ)).toBe('2026-03-15');
    expect(localTimeString(new Date('2026-03-14T23:30:00Z'), TZ)).toBe('00:30');
    expect(localTimeString(new Date('2026-07-14T22:05:00Z'), TZ)).toBe('00:05');
  });

  it('shifts by calendar days and years keeping the wall-clock time', () => {
    // A week before Monday 30 March 12:00 CEST is Monday 23 March 12:00 CET: 167 hours.
    expect(shiftLocal(new Date('2026-03-30T10:00:00Z'), { days: -7 }, TZ)).toEqual(new Date('2026-03-23T11:00:00Z'));
    // 29 February 2028 one year back is 28 February 2027.
    expect(localDateString(shiftLocal(new Date('2028-02-29T11:00:00Z'), { years: -1 }, TZ), TZ)).toBe('2027-02-28');
  });

  it('gives the form sensible starting values', () => {
    expect(defaultFormValues(NOW, TZ, 'crabbehof', false)).toEqual({
      kind: 'overlast',
      district: 'crabbehof',
      observedDate: '2026-03-15',
      observedTime: '11:00',
      subject: 'locatie',
      source: 'eigen-waarneming',
    });
    expect(defaultFormValues(NOW, TZ, undefined, true)).toMatchObject({ policeContact: 'false' });
    expect(defaultFormValues(NOW, TZ, undefined, true).district).toBeUndefined();
  });

  it('formats references with five digits (more when needed)', () => {
    expect(formatRef('M', 2026, 42)).toBe('M-2026-00042');
    expect(formatRef('C', 2026, 123456)).toBe('C-2026-123456');
  });
});
