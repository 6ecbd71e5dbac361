import { describe, expect, it } from 'vitest';
import {
  allowedAnswers,
  buildQuestions,
  checkAnswers,
  completion,
  questionsFor,
  reminderTimes,
  workingDaysBefore,
  type Answer,
} from '../../src/domain/inquiry.js';
import type { OrganisationKind } from '../../src/domain/directory.js';

const TZ = 'Europe/Amsterdam';

describe('questions per organisation × colour (§6)', () => {
  const TABLE: [OrganisationKind, string, string, string][] = [
    // kind, groen, oranje, rood
    ['leerplicht', 'schooluitval', 'schooluitval', 'schooluitval'],
    ['sociaal-wijkteam', 'begeleiding', 'begeleiding gezin', 'begeleiding gezin'],
    ['woningcorporatie', '', 'overlastsignalen', 'overlastsignalen huurachterstand bijzonderheden'],
    ['brp', '', 'adresgegevens', 'adresgegevens rijbewijs reisdocumenten'],
    ['politie', '', 'risicosignalen gezin', 'risicosignalen gezin'],
    ['jeugdbescherming', '', 'risicosignalen gezin', 'risicosignalen gezin'],
    ['om', '', 'risicosignalen gezin', 'risicosignalen gezin'],
    ['riec', '', '', 'riec'],
    ['cjib', '', '', 'cjib'],
    ['meldpunt-zorg-overlast', '', 'meldpunt', 'meldpunt'],
    ['jongerenwerk', '', '', ''],
    ['handhaving', '', '', ''],
  ];
  for (const [kind, groen, oranje, rood] of TABLE) {
    it(`${kind}`, () => {
      expect(questionsFor(kind, 'groen').join(' ')).toBe(groen);
      expect(questionsFor(kind, 'oranje').join(' ')).toBe(oranje);
      expect(questionsFor(kind, 'rood').join(' ')).toBe(rood);
    });
  }

  it('Meldpunt Zorg & Overlast answers only ja or nee; the others also onbekend', () => {
    expect(allowedAnswers('meldpunt-zorg-overlast')).toEqual(['ja', 'nee']);
    expect(allowedAnswers('politie')).toEqual(['ja', 'nee', 'onbekend']);
  });
});

describe('deadline in working days before the meeting', () => {
  it('two working days before a Thursday is the Tuesday, same local time', () => {
    expect(workingDaysBefore(new Date('2026-04-16T08:00:00Z'), 2, TZ).toISOString()).toBe('2026-04-14T08:00:00.000Z');
  });
  it('skips the weekend: two working days before a Monday is the Thursday', () => {
    expect(workingDaysBefore(new Date('2026-04-20T08:00:00Z'), 2, TZ).toISOString()).toBe('2026-04-16T08:00:00.000Z');
  });
  it('one working day before a Monday is the Friday; across the DST change the local time stays', () => {
    // Monday 30 March 2026 10:00 CEST → Friday 27 March 10:00 CET.
    expect(workingDaysBefore(new Date('2026-03-30T08:00:00Z'), 1, TZ).toISOString()).toBe('2026-03-27T09:00:00.000Z');
  });
  it('is configurable', () => {
    expect(workingDaysBefore(new Date('2026-04-16T08:00:00Z'), 5, TZ).toISOString()).toBe('2026-04-09T08:00:00.000Z');
  });
});

describe('reminders at T-3 and T-1 days, on the wall clock', () => {
  it('across the spring DST change a reminder stays at the meeting time of day (not an hour off)', () => {
    // Wednesday 1 April 2026 10:00 CEST; T-3 is Sunday 29 March (the change night) 10:00 CEST, T-5 is 27 March 10:00 CET.
    const start = new Date('2026-04-01T08:00:00Z');
    const r = reminderTimes(start, [5, 3, 1], TZ, new Date('2026-03-01T00:00:00Z'));
    expect(r.map((x) => [x.days, x.at.toISOString()])).toEqual([
      [5, '2026-03-27T09:00:00.000Z'],
      [3, '2026-03-29T08:00:00.000Z'],
      [1, '2026-03-31T08:00:00.000Z'],
    ]);
    // Subtracting 5 × 24 h would give 27 March 08:00 UTC = 09:00 CET: an hour early.
    expect(r[0]!.at.getTime()).not.toBe(start.getTime() - 5 * 86_400_000);
  });
  it('across the autumn change too, and only reminders still ahead are returned', () => {
    // Tuesday 27 October 2026 10:00 CET; T-3 = Saturday 24 October 10:00 CEST.
    const start = new Date('2026-10-27T09:00:00Z');
    expect(reminderTimes(start, [3, 1], TZ, new Date('2026-10-01T00:00:00Z')).map((x) => x.at.toISOString())).toEqual([
      '2026-10-24T08:00:00.000Z',
      '2026-10-26T09:00:00.000Z',
    ]);
    expect(reminderTimes(start, [3, 1], TZ, new Date('2026-10-25T00:00:00Z')).map((x) => x.days)).toEqual([1]);
  });
});

describe('completion and answer checks', () => {
  const persons = [
    { personId: 'p1', colour: 'groen' as const },
    { personId: 'p2', colour: 'rood' as const },
  ];
  const orgs = [
    { id: 'lp', kind: 'leerplicht' as const },
    { id: 'pol', kind: 'politie' as const },
  ];
  const qs = buildQuestions(persons, orgs);
  const a = (value: Answer['value']): Answer => ({ value, by: 'u', at: '2026-04-01T10:00:00.000Z', late: false });

  it('per person and overall, and which organisations still have open questions', () => {
    expect(qs.map((q) => q.id)).toEqual(['p1:lp:schooluitval', 'p2:lp:schooluitval', 'p2:pol:risicosignalen', 'p2:pol:gezin']);
    const c = completion(qs, { 'p1:lp:schooluitval': a('ja'), 'p2:lp:schooluitval': a('nee') });
    expect(c).toEqual({ perPerson: { p1: 100, p2: 33 }, overall: 50, missing: ['pol'] });
  });

  const base = { organisation: 'pol', kind: 'politie' as const, questions: qs, now: new Date('2026-04-01T10:00:00Z'), lockAt: new Date('2026-04-02T10:00:00Z'), reopened: [] };
  it('accepts own questions; a life domain only with ja on risicosignalen', () => {
    expect(checkAnswers({ 'p2:pol:risicosignalen': { value: 'ja', domain: 'wonen' }, 'p2:pol:gezin': { value: 'onbekend' } }, base)).toEqual({ ok: true });
    expect(checkAnswers({ 'p2:pol:gezin': { value: 'ja', domain: 'wonen' } }, base)).toMatchObject({ ok: false, error: 'domain-not-applicable' });
  });
  it('refuses questions of another organisation, unknown questions, bad values and anything after the lock', () => {
    expect(checkAnswers({ 'p1:lp:schooluitval': { value: 'ja' } }, base)).toMatchObject({ ok: false, error: 'not-addressed' });
    expect(checkAnswers({ 'p9:pol:gezin': { value: 'ja' } }, base)).toMatchObject({ ok: false, error: 'not-addressed' });
    expect(checkAnswers({ 'p2:pol:gezin': { value: 'misschien' } }, base)).toMatchObject({ ok: false, error: 'bad-value' });
    const locked = { ...base, now: new Date('2026-04-02T10:00:00Z') };
    expect(checkAnswers({ 'p2:pol:gezin': { value: 'ja' } }, locked)).toMatchObject({ ok: false, error: 'locked' });
    expect(checkAnswers({ 'p2:pol:gezin': { value: 'ja' } }, { ...locked, reopened: ['p2:pol:gezin'] })).toEqual({ ok: true });
  });
  it('Meldpunt may not answer onbekend', () => {
    const mq = buildQuestions([{ personId: 'p', colour: 'oranje' }], [{ id: 'mzo', kind: 'meldpunt-zorg-overlast' }]);
    const ctx = { ...base, organisation: 'mzo', kind: 'meldpunt-zorg-overlast' as const, questions: mq };
    expect(checkAnswers({ 'p:mzo:meldpunt': { value: 'onbekend' } }, ctx)).toMatchObject({ ok: false, error: 'bad-value' });
    expect(checkAnswers({ 'p:mzo:meldpunt': { value: 'ja' } }, ctx)).toEqual({ ok: true });
  });
});
