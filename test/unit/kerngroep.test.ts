import { describe, expect, it } from 'vitest';
import { agendaPersonSchema, criterionA, criterionAWindow, dataForColour, isColour, isValidBsn, type AgendaPerson } from '../../src/domain/kerngroep.js';

describe('BSN elfproef', () => {
  it('accepts valid numbers', () => {
    for (const bsn of ['111222333', '123456782', '999999990']) expect(isValidBsn(bsn), bsn).toBe(true);
  });
  it('refuses invalid ones', () => {
    for (const bsn of ['123456789', '111222334', '12345678', '1234567890', 'abcdefghi', '000000000', '']) expect(isValidBsn(bsn), bsn).toBe(false);
  });
  it('the agenda schema refuses a stored BSN that fails the elfproef', () => {
    const p = { personId: crypto.randomUUID(), registrationId: crypto.randomUUID(), caseId: crypto.randomUUID(), personKey: 'k', name: 'X', dateOfBirth: '2008-01-01', colour: 'rood', family: [] };
    expect(agendaPersonSchema.safeParse({ ...p, bsn: '123456782' }).success).toBe(true);
    expect(agendaPersonSchema.safeParse({ ...p, bsn: '123456789' }).success).toBe(false);
    expect(agendaPersonSchema.safeParse({ ...p, colour: 'paars' }).success).toBe(false);
  });
});

describe('registration and colour rules', () => {
  it('criterion (a) needs an earlier intervention without enough effect AND two police contacts', () => {
    const two = ['2026-01-05', '2026-03-01'];
    // Police contacts alone are not enough: the earlier phases must have been tried without effect.
    expect(criterionA(two, [])).toMatchObject({ holds: false, count: 2, policeHolds: true, effectHolds: false });
    expect(criterionA(two, ['voldoende', undefined, 'nog-niet'])).toMatchObject({ holds: false, ineffective: 0 });
    expect(criterionA(two, ['voldoende', 'onvoldoende'])).toEqual({ holds: true, count: 2, policeHolds: true, ineffective: 1, effectHolds: true });
    expect(criterionA(two, ['geen'])).toMatchObject({ holds: true });
    // An ineffective intervention alone is not enough either.
    expect(criterionA(['2026-03-01'], ['geen'])).toMatchObject({ holds: false, count: 1, policeHolds: false, effectHolds: true });
  });
  it("criterion (a)'s six months are counted on the Amsterdam wall clock, not in UTC", () => {
    // 1 April 2026 00:30 CEST (= 31 March 22:30 UTC): six months back is 1 October 2025 00:30 CEST.
    // Counting in UTC (31 March − 6 months = "31 September" → 1 October 22:30 UTC) would lose a day.
    const w = criterionAWindow(new Date('2026-03-31T22:30:00Z'), 'Europe/Amsterdam');
    expect(w.from.toISOString()).toBe('2025-09-30T22:30:00.000Z');
    // Across a DST change: 15 March 10:00 CET → 15 September 10:00 CEST (UTC would be an hour off).
    const winter = criterionAWindow(new Date('2026-03-15T09:00:00Z'), 'Europe/Amsterdam'); // 10:00 CET
    expect(winter.from.toISOString()).toBe('2025-09-15T08:00:00.000Z'); // 10:00 CEST
  });
  it('groen keeps only name and date of birth; oranje and rood keep address, city, BSN', () => {
    const p: AgendaPerson = { personId: 'a', registrationId: 'b', caseId: 'c', personKey: 'k', name: 'X', dateOfBirth: '2008-01-01', colour: 'groen', address: 'Straat 1', city: 'Dordrecht', bsn: '123456782', family: [] };
    expect(dataForColour(p)).not.toHaveProperty('bsn');
    expect(dataForColour(p)).not.toHaveProperty('address');
    expect(dataForColour({ ...p, colour: 'rood' })).toMatchObject({ bsn: '123456782', address: 'Straat 1', city: 'Dordrecht' });
  });
  it('only the three colours exist', () => {
    expect(['groen', 'oranje', 'rood'].every(isColour)).toBe(true);
    expect(isColour('paars')).toBe(false);
  });
});
