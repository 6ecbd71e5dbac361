import { describe, expect, it } from 'vitest';
import { agendaPersonSchema, criterionA, dataForColour, isColour, isValidBsn, type AgendaPerson } from '../../src/domain/kerngroep.js';

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
  it('criterion (a) needs two police contacts', () => {
    expect(criterionA([new Date()])).toEqual({ holds: false, count: 1 });
    expect(criterionA([new Date(), new Date()])).toEqual({ holds: true, count: 2 });
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
