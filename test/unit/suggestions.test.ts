import { describe, expect, it } from 'vitest';
import { parseDirectory } from '../../src/domain/directory.js';
import { organisationsOfKind, suggestInvitees, type CaseProfile } from '../../src/domain/suggestions.js';

const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: handhaving, name: Stadstoezicht Dordrecht, kind: handhaving, covenant: true }
  - { id: jongerenwerk, name: Jongerenwerk Dordrecht, kind: jongerenwerk, covenant: true }
  - { id: halt, name: Halt Zuid-Holland Zuid, kind: halt, covenant: true }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true }
  - { id: trivire, name: Trivire, kind: woningcorporatie, covenant: true }
  - { id: swt-crabbehof, name: Sociaal Wijkteam Crabbehof, kind: sociaal-wijkteam, covenant: true }
  - { id: swt-binnenstad, name: Sociaal Wijkteam Binnenstad, kind: sociaal-wijkteam, covenant: true }
  - { id: meldpunt, name: Meldpunt Zorg en Overlast, kind: meldpunt-zorg-overlast, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
  - { id: school, name: Da Vinci College, kind: school, covenant: false }
  - { id: buurtwerk, name: Buurtwerk zonder mensen, kind: buurtwerk, covenant: true }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wm] }
  - { id: binnenstad, name: Binnenstad }
users:
  - { id: u-pol, name: P, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-hh, name: H, organisation: handhaving, roles: [partner], districts: [crabbehof] }
  - { id: u-jw, name: J, organisation: jongerenwerk, roles: [partner], districts: [crabbehof] }
  - { id: u-halt, name: Ha, organisation: halt, roles: [partner] }
  - { id: u-wb, name: W, organisation: woonbron, roles: [partner] }
  - { id: u-tr, name: T, organisation: trivire, roles: [partner] }
  - { id: u-swt1, name: S1, organisation: swt-crabbehof, roles: [partner], districts: [crabbehof] }
  - { id: u-swt2, name: S2, organisation: swt-binnenstad, roles: [partner], districts: [binnenstad] }
  - { id: u-mp, name: M, organisation: meldpunt, roles: [partner] }
  - { id: u-wm, name: WM, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-school, name: Sch, organisation: school, roles: [partner] }
`);

function profile(over: Partial<CaseProfile> = {}): CaseProfile {
  return { district: 'crabbehof', kind: 'overlast', subjects: ['locatie'], involvedOrganisations: [], categories: [], ...over };
}

const orgs = (cases: CaseProfile[]) => suggestInvitees(cases, directory, { exclude: ['gemeente'] }).map((s) => s.organisation);

describe('suggestInvitees', () => {
  it('suggests the organisations that reported, first', () => {
    const s = suggestInvitees([profile({ involvedOrganisations: ['school', 'handhaving'], categories: ['drugs'] })], directory, { exclude: ['gemeente'] });
    expect(s.map((x) => x.organisation)).toEqual(['handhaving', 'school', 'politie']);
    expect(s[0]!.reasons).toEqual([{ kind: 'reported' }, { kind: 'category', category: 'drugs' }]);
  });

  it('hangjongeren → jongerenwerk and Halt', () => {
    expect(orgs([profile({ categories: ['hangjongeren'] })]).sort()).toEqual(['halt', 'jongerenwerk']);
  });

  it('drugs → politie and handhaving', () => {
    expect(orgs([profile({ categories: ['drugs'] })]).sort()).toEqual(['handhaving', 'politie']);
  });

  it('a case about a person (a tenant) → the woningcorporaties and the wijkteam of the district', () => {
    expect(orgs([profile({ subjects: ['locatie', 'persoon'] })]).sort()).toEqual(['swt-crabbehof', 'trivire', 'woonbron']);
  });

  it('a care signal → the care partners', () => {
    expect(orgs([profile({ kind: 'zorg' })]).sort()).toEqual(['meldpunt', 'swt-crabbehof']);
  });

  it('"overig" alone suggests nobody; unknown and unreachable organisations are left out', () => {
    expect(orgs([profile({ categories: ['overig'] })])).toEqual([]);
    // buurtwerk fits zwerfafval but has no users: nobody could receive the summons.
    expect(orgs([profile({ categories: ['zwerfafval'], involvedOrganisations: ['ghost'] })])).toEqual(['handhaving']);
  });

  it('never suggests the excluded (organiser) organisation, even when it reported', () => {
    expect(orgs([profile({ involvedOrganisations: ['gemeente'] })])).toEqual([]);
  });

  it('merges several cases without duplicates and orders by number of reasons, then name', () => {
    const s = suggestInvitees(
      [profile({ categories: ['drugs', 'intimidatie'] }), profile({ categories: ['agressie', 'hangjongeren'] })],
      directory,
      { exclude: ['gemeente'] },
    );
    expect(s.map((x) => [x.organisation, x.reasons.length])).toEqual([
      ['politie', 3],
      ['handhaving', 2],
      ['halt', 1],
      ['jongerenwerk', 1],
    ]);
  });
});

describe('organisationsOfKind', () => {
  it('prefers organisations serving the district, else all of the kind', () => {
    expect(organisationsOfKind(directory, 'sociaal-wijkteam', new Set(['binnenstad'])).map((o) => o.id)).toEqual(['swt-binnenstad']);
    expect(organisationsOfKind(directory, 'woningcorporatie', new Set(['crabbehof'])).map((o) => o.id)).toEqual(['trivire', 'woonbron']);
  });
});
