import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LEVEL_TRANSITIONS,
  LEVELS,
  caseFacts,
  changeLevel,
  directorAt,
  directorOf,
  hinderDirectorFor,
  locationPointerKey,
  matchCase,
  normalisePersonName,
  personKey,
  personPointerKey,
  routeCareSignal,
  type Level,
} from '../../src/domain/case.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Case } from '../../src/domain/signal.js';

function aCase(overrides: Partial<Case> = {}): Case {
  return {
    id: randomUUID(),
    ref: 'C-2026-00001',
    kind: 'overlast',
    district: 'crabbehof',
    subject: 'locatie',
    level: 'hinder',
    status: 'open',
    hinderDirector: 'jongerenwerk',
    location: 'Sumatraplein',
    locationKey: 'sumatraplein',
    involvedOrganisations: ['jongerenwerk'],
    signalCount: 1,
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    events: [],
    passOns: [],
    ...overrides,
  };
}

const decision = (to: Level, reason = 'Interventies jongerenwerk hebben niet gewerkt') => ({
  to,
  reason,
  by: { userId: 'u-wijkmanager', organisation: 'gemeente' },
  at: new Date('2026-03-10T09:00:00Z'),
});

describe('level state machine: one table, one guard', () => {
  // Every (from, to) pair, with the expected result.
  const table: [Level, Level, string][] = [
    ['hinder', 'hinder', 'same-level'],
    ['hinder', 'overlast', 'escalate'],
    ['hinder', 'ernstig', 'direct-escalate'],
    ['overlast', 'hinder', 'deescalate'],
    ['overlast', 'overlast', 'same-level'],
    ['overlast', 'ernstig', 'escalate'],
    ['ernstig', 'hinder', 'not-allowed'],
    ['ernstig', 'overlast', 'deescalate'],
    ['ernstig', 'ernstig', 'same-level'],
  ];

  it('covers every pair of levels', () => {
    expect(table).toHaveLength(LEVELS.length * LEVELS.length);
  });

  it.each(table)('%s → %s: %s', (from, to, expected) => {
    const result = changeLevel(aCase({ level: from }), decision(to));
    if (result.ok) {
      expect(result.transition).toBe(expected);
      expect(result.case.level).toBe(to);
      expect(LEVEL_TRANSITIONS[from][to]).toBe(expected);
    } else {
      expect(result.error).toBe(expected);
    }
  });

  it('records the decision on the timeline with its reason', () => {
    const result = changeLevel(aCase(), decision('overlast', '  Meerdere partners melden, interventies werken niet  '));
    if (!result.ok) throw new Error(result.error);
    expect(result.event).toEqual({
      type: 'level-changed',
      at: '2026-03-10T09:00:00.000Z',
      by: { userId: 'u-wijkmanager', organisation: 'gemeente' },
      from: 'hinder',
      to: 'overlast',
      reason: 'Meerdere partners melden, interventies werken niet',
    });
    expect(result.case.events).toEqual([result.event]);
    expect(result.case.updatedAt).toBe('2026-03-10T09:00:00.000Z');
  });

  it('requires a real reason (§1: always with a recorded reason)', () => {
    expect(changeLevel(aCase(), decision('overlast', ''))).toEqual({ ok: false, error: 'reason-required' });
    expect(changeLevel(aCase(), decision('overlast', '   ok    '))).toEqual({ ok: false, error: 'reason-required' });
  });

  it('does not change a closed case', () => {
    expect(changeLevel(aCase({ status: 'closed' }), decision('overlast'))).toEqual({ ok: false, error: 'case-closed' });
  });

  it('does not change the case it was given', () => {
    const c = aCase();
    changeLevel(c, decision('overlast'));
    expect(c.level).toBe('hinder');
    expect(c.events).toEqual([]);
  });
});

describe('who directs', () => {
  it('at hinder the reporting (or care) partner, from overlast the wijkmanager of the district', () => {
    const c = aCase({ hinderDirector: 'politie', district: 'binnenstad' });
    expect(directorAt('hinder', c)).toEqual({ kind: 'organisation', organisation: 'politie' });
    expect(directorAt('overlast', c)).toEqual({ kind: 'wijkmanager', district: 'binnenstad' });
    expect(directorAt('ernstig', c)).toEqual({ kind: 'wijkmanager', district: 'binnenstad' });
  });

  it('follows a level change', () => {
    const result = changeLevel(aCase(), decision('overlast'));
    if (!result.ok) throw new Error(result.error);
    expect(directorOf(result.case)).toEqual({ kind: 'wijkmanager', district: 'crabbehof' });
  });

  it('gives the access policy its facts', () => {
    expect(caseFacts(aCase({ involvedOrganisations: ['jongerenwerk', 'politie'] }))).toEqual({
      level: 'hinder',
      district: 'crabbehof',
      directorOrganisation: 'jongerenwerk',
      involvedOrganisations: ['jongerenwerk', 'politie'],
    });
  });
});

describe('matching a signal to a case', () => {
  const open = { id: 'c-open', status: 'open' as const };
  const other = { id: 'c-other', status: 'open' as const };
  const closed = { id: 'c-closed', status: 'closed' as const };

  it.each([
    [{}, { kind: 'new' }],
    [{ byLocation: open }, { kind: 'existing', caseId: 'c-open', by: 'location' }],
    [{ byPerson: open }, { kind: 'existing', caseId: 'c-open', by: 'person' }],
    [{ byPerson: other, byLocation: open }, { kind: 'existing', caseId: 'c-other', by: 'person' }],
    [{ byPerson: closed, byLocation: open }, { kind: 'existing', caseId: 'c-open', by: 'location' }],
    [{ byLocation: closed }, { kind: 'new' }],
  ])('%j → %j', (candidates, expected) => {
    expect(matchCase(candidates)).toEqual(expected);
  });

  it('keeps zorg and overlast apart and keys locations per district', () => {
    expect(locationPointerKey('overlast', 'crabbehof', 'sumatraplein')).not.toBe(locationPointerKey('zorg', 'crabbehof', 'sumatraplein'));
    expect(locationPointerKey('overlast', 'crabbehof', 'x')).not.toBe(locationPointerKey('overlast', 'binnenstad', 'x'));
    expect(personPointerKey('zorg', 'abc')).toBe('case-person:zorg:abc');
  });
});

describe('person key', () => {
  const secret = 'a'.repeat(64);

  it('is the same for spelling variants of one person', () => {
    const k = personKey(secret, 'José de Vries', '2008-05-01');
    expect(personKey(secret, '  jose   DE vries ', '2008-05-01')).toBe(k);
    expect(personKey(secret, 'José de-Vries', '2008-05-01')).toBe(k);
    expect(normalisePersonName('José  de Vries')).toBe('jose de vries');
  });

  it('differs for another date of birth, another name or another secret', () => {
    const k = personKey(secret, 'Jan de Vries', '2008-05-01');
    expect(personKey(secret, 'Jan de Vries', '2008-05-02')).not.toBe(k);
    expect(personKey(secret, 'Jan de Vries Jr', '2008-05-01')).not.toBe(k);
    expect(personKey('b'.repeat(64), 'Jan de Vries', '2008-05-01')).not.toBe(k);
  });

  it('contains nothing of the name or date of birth', () => {
    const k = personKey(secret, 'Jan de Vries', '2008-05-01');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(k).not.toContain('vries');
    expect(k).not.toContain('2008');
  });
});

describe('zorgmelding routing (§2: the care partner first, not enforcement)', () => {
  const directory = (orgs: string, users: string) =>
    parseDirectory(`
organisations:
  - { id: politie, name: Politie, kind: politie, covenant: true }
${orgs}
districts:
  - { id: crabbehof, name: Crabbehof }
  - { id: binnenstad, name: Binnenstad }
users:
  - { id: u-politie, name: P, organisation: politie, roles: [partner], districts: [crabbehof] }
${users}
`);

  it('prefers the sociaal wijkteam serving the district', () => {
    const d = directory(
      `  - { id: swt-noord, name: SWT Noord, kind: sociaal-wijkteam, covenant: true }
  - { id: swt-crabbehof, name: SWT Crabbehof, kind: sociaal-wijkteam, covenant: true }
  - { id: mzo, name: Meldpunt Zorg en Overlast, kind: meldpunt-zorg-overlast, covenant: true }`,
      `  - { id: u1, name: A, organisation: swt-noord, roles: [partner], districts: [binnenstad] }
  - { id: u2, name: B, organisation: swt-crabbehof, roles: [partner], districts: [crabbehof] }
  - { id: u3, name: C, organisation: mzo, roles: [partner], districts: [crabbehof] }`,
    );
    const r = routeCareSignal(d, 'crabbehof');
    expect(r.ok && r.organisation.id).toBe('swt-crabbehof');
    expect(hinderDirectorFor(d, 'zorg', 'crabbehof', 'politie')).toEqual({ ok: true, organisation: 'swt-crabbehof' });
    // An overlastmelding stays with the reporter.
    expect(hinderDirectorFor(d, 'overlast', 'crabbehof', 'politie')).toEqual({ ok: true, organisation: 'politie' });
  });

  it('falls back to the Meldpunt Zorg & Overlast (city-wide) when the district has no wijkteam', () => {
    const d = directory(
      `  - { id: swt-noord, name: SWT Noord, kind: sociaal-wijkteam, covenant: true }
  - { id: mzo, name: Meldpunt Zorg en Overlast, kind: meldpunt-zorg-overlast, covenant: true }`,
      `  - { id: u1, name: A, organisation: swt-noord, roles: [partner], districts: [binnenstad] }
  - { id: u3, name: C, organisation: mzo, roles: [partner] }`,
    );
    const r = routeCareSignal(d, 'crabbehof');
    expect(r.ok && r.organisation.id).toBe('mzo');
  });

  it('says so clearly when there is no care partner at all', () => {
    const d = directory(
      `  - { id: swt-noord, name: SWT Noord, kind: sociaal-wijkteam, covenant: true }`,
      `  - { id: u1, name: A, organisation: swt-noord, roles: [partner], districts: [binnenstad] }`,
    );
    expect(routeCareSignal(d, 'crabbehof')).toEqual({ ok: false, error: 'no-care-partner' });
    expect(hinderDirectorFor(d, 'zorg', 'crabbehof', 'politie')).toEqual({ ok: false, error: 'no-care-partner' });
  });
});
