import { describe, expect, it } from 'vitest';
import { parseDirectory } from '../../src/domain/directory.js';
import { INSTRUMENTS, instrumentsOf, isInstrument, validateAgreementRows } from '../../src/domain/intervention.js';
import { nl } from '../../src/i18n/nl.js';

const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie, kind: politie, covenant: true }
  - { id: jongerenwerk, name: Jongerenwerk, kind: jongerenwerk, covenant: true, contacts: [u-jw] }
  - { id: school, name: School, kind: school, covenant: false }
  - { id: leeg, name: Leeg, kind: overig, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof }
users:
  - { id: u-pol, name: P, organisation: politie, roles: [partner] }
  - { id: u-pol2, name: P2, organisation: politie, roles: [partner] }
  - { id: u-jw, name: J, organisation: jongerenwerk, roles: [partner] }
  - { id: u-jw2, name: J2, organisation: jongerenwerk, roles: [partner] }
  - { id: u-school, name: S, organisation: school, roles: [partner] }
`);

const TZ = 'Europe/Amsterdam';
const now = new Date('2026-03-30T10:00:00Z');
const validate = (values: Record<string, string>, rows = 3) => validateAgreementRows(values, rows, directory, now, TZ);

describe('instruments (§8)', () => {
  it('are ids per partner kind, each with a Dutch label', () => {
    expect(instrumentsOf('halt')).toContain('halt:halt-afdoening');
    expect(instrumentsOf('school')).toEqual([]);
    expect(isInstrument('politie:gebiedsverbod')).toBe(true);
    expect(isInstrument('politie:huisbezoek')).toBe(false);
    expect(isInstrument('nonsense')).toBe(false);
    const labels = nl.meetings.instruments as Record<string, Record<string, string>>;
    for (const [kind, keys] of Object.entries(INSTRUMENTS)) for (const key of keys) expect(labels[kind]?.[key], `${kind}:${key}`).toBeTruthy();
  });
});

describe('validateAgreementRows', () => {
  it('skips empty rows and resolves the responsible: the named person, else the contacts', () => {
    const result = validate({
      org_1: 'jongerenwerk',
      instrument_1: 'jongerenwerk:gesprek',
      feedbackDue_1: '2026-04-15',
      behaviourBy_1: '2026-05-15',
      org_3: 'politie',
      person_3: 'u-pol2',
      what_3: 'Extra toezicht op vrijdagavond',
      feedbackDue_3: '2026-03-30',
      behaviourBy_3: '2026-04-30',
    });
    expect(result.errors).toEqual({});
    expect(result.rows).toEqual([
      { organisation: 'jongerenwerk', responsibleUserIds: ['u-jw'], instrument: 'jongerenwerk:gesprek', feedbackDue: '2026-04-15', behaviourBy: '2026-05-15' },
      {
        organisation: 'politie',
        person: 'u-pol2',
        responsibleUserIds: ['u-pol2'],
        description: 'Extra toezicht op vrijdagavond',
        feedbackDue: '2026-03-30',
        behaviourBy: '2026-04-30',
      },
    ]);
  });

  it('an organisation without named contacts: all its users are responsible', () => {
    const result = validate({ org_1: 'politie', what_1: 'Toezicht', feedbackDue_1: '2026-04-15', behaviourBy_1: '2026-05-15' });
    expect(result.rows[0]?.responsibleUserIds).toEqual(['u-pol', 'u-pol2']);
  });

  it('a non-covenant organisation can carry out an intervention (§4)', () => {
    const result = validate({ org_1: 'school', what_1: 'Voorlichting in de klas', feedbackDue_1: '2026-04-15', behaviourBy_1: '2026-05-15' });
    expect(result.rows[0]?.responsibleUserIds).toEqual(['u-school']);
  });

  it('names every problem per field of the row', () => {
    const result = validate({
      org_1: 'jongerenwerk',
      person_1: 'u-pol',
      instrument_1: 'politie:boete',
      feedbackDue_1: '2026-03-29',
      behaviourBy_1: '2027-06-01',
      org_2: 'onbekend',
      person_2: 'u-nobody',
      feedbackDue_2: 'morgen',
      what_3: 'iets',
    });
    expect(result.rows).toEqual([]);
    expect(result.errors).toEqual({
      person_1: 'personOtherOrganisation',
      instrument_1: 'instrumentOtherPartner',
      feedbackDue_1: 'dateInPast',
      behaviourBy_1: 'dateTooFar',
      org_2: 'orgUnknown',
      person_2: 'personUnknown',
      what_2: 'whatRequired',
      feedbackDue_2: 'dateInvalid',
      behaviourBy_2: 'dateRequired',
      org_3: 'orgRequired',
      feedbackDue_3: 'dateRequired',
      behaviourBy_3: 'dateRequired',
    });
  });

  it('an organisation nobody can be reached at is refused', () => {
    const result = validate({ org_1: 'leeg', what_1: 'x', feedbackDue_1: '2026-04-15', behaviourBy_1: '2026-05-15' });
    expect(result.errors).toEqual({ org_1: 'noContacts' });
  });
});
