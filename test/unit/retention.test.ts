import { describe, expect, it } from 'vitest';
import { nextRetentionRun, retentionJobId } from '../../src/app/retention.js';
import { closeCase } from '../../src/domain/case.js';
import {
  deletionRecordSchema,
  isDueForDeletion,
  monthsBefore,
  nameMatcher,
  redactName,
  redactNameDeep,
  retentionCutoff,
  samePerson,
} from '../../src/domain/retention.js';
import type { Case } from '../../src/domain/signal.js';

/**
 * Retention: which closed cases are due, on the wall clock of Europe/Amsterdam (12 months is 12
 * calendar months, whatever daylight saving time did in between), and the text rules of erasure.
 */

const TZ = 'Europe/Amsterdam';

function closedAt(iso: string): Pick<Case, 'status' | 'closed' | 'updatedAt'> {
  return { status: 'closed', updatedAt: iso, closed: { at: iso, by: { userId: 'u-wm', organisation: 'gemeente' }, reason: 'Rustig sinds maanden.' } };
}

describe('the 12-month edge (Europe/Amsterdam)', () => {
  // Closed on 15 June 2025 at 14:00 CEST (12:00 UTC).
  const c = closedAt('2025-06-15T12:00:00Z');

  it('is not due at exactly 12 months, due a minute later', () => {
    expect(isDueForDeletion(c, new Date('2026-06-15T12:00:00Z'), 12, TZ)).toBe(false);
    expect(isDueForDeletion(c, new Date('2026-06-15T11:59:00Z'), 12, TZ)).toBe(false);
    expect(isDueForDeletion(c, new Date('2026-06-15T12:01:00Z'), 12, TZ)).toBe(true);
  });

  it('counts calendar months on the local wall clock across a DST change', () => {
    // Closed 15 December 2025 12:00 CET (11:00 UTC); 6 months later is 15 June 2026 12:00 CEST (10:00 UTC).
    const winter = closedAt('2025-12-15T11:00:00Z');
    expect(retentionCutoff(new Date('2026-06-15T10:00:00Z'), 6, TZ).toISOString()).toBe('2025-12-15T11:00:00.000Z');
    expect(isDueForDeletion(winter, new Date('2026-06-15T10:00:00Z'), 6, TZ)).toBe(false);
    // 12:01 local: due — a shift of six months in UTC would keep it another hour.
    expect(isDueForDeletion(winter, new Date('2026-06-15T10:01:00Z'), 6, TZ)).toBe(true);
  });

  it('uses the local date around midnight, not the UTC date', () => {
    // Closed 1 April 2025 at 00:30 CEST = 31 March 22:30 UTC.
    const justAfterMidnight = closedAt('2025-03-31T22:30:00Z');
    // 1 April 2026 00:29 CEST: not yet; 00:31: due.
    expect(isDueForDeletion(justAfterMidnight, new Date('2026-03-31T22:29:00Z'), 12, TZ)).toBe(false);
    expect(isDueForDeletion(justAfterMidnight, new Date('2026-03-31T22:31:00Z'), 12, TZ)).toBe(true);
  });

  it('clamps to the end of a shorter month', () => {
    expect(monthsBefore(new Date('2026-03-31T08:00:00Z'), 1, TZ).toISOString()).toBe('2026-02-28T09:00:00.000Z');
    expect(monthsBefore(new Date('2028-02-29T11:00:00Z'), 12, TZ).toISOString()).toBe('2027-02-28T11:00:00.000Z');
    expect(monthsBefore(new Date('2026-01-15T11:00:00Z'), 13, TZ).toISOString()).toBe('2024-12-15T11:00:00.000Z');
  });

  it('never selects an open case; a closed case without closed.at counts from its last update', () => {
    expect(isDueForDeletion({ status: 'open', updatedAt: '2020-01-01T00:00:00Z' }, new Date('2026-06-15T12:00:00Z'), 12, TZ)).toBe(false);
    expect(isDueForDeletion({ status: 'closed', updatedAt: '2020-01-01T00:00:00Z' }, new Date('2026-06-15T12:00:00Z'), 12, TZ)).toBe(true);
  });
});

describe('closing a case (afsluiten)', () => {
  const base: Case = {
    id: '00000000-0000-4000-8000-000000000001',
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
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:00.000Z',
    events: [],
    passOns: [],
  };
  const by = { userId: 'u-wm', organisation: 'gemeente' };
  const at = new Date('2026-02-01T10:00:00Z');

  it('closes a hinder case with a reason and records when', () => {
    const r = closeCase(base, { reason: 'Geen meldingen meer sinds januari.', by, at });
    expect(r.ok && r.case.status).toBe('closed');
    expect(r.ok && r.case.closed).toEqual({ at: at.toISOString(), by, reason: 'Geen meldingen meer sinds januari.' });
  });

  it('refuses above hinder, without a reason, and twice', () => {
    expect(closeCase({ ...base, level: 'overlast' }, { reason: 'Geen meldingen meer sinds januari.', by, at })).toEqual({ ok: false, error: 'not-allowed' });
    expect(closeCase(base, { reason: 'klaar', by, at })).toEqual({ ok: false, error: 'reason-required' });
    expect(closeCase({ ...base, status: 'closed' }, { reason: 'Geen meldingen meer sinds januari.', by, at })).toEqual({ ok: false, error: 'case-closed' });
  });
});

describe('the daily run at 03:00', () => {
  it('is the next 03:00 local time, also on the night the clocks go forward', () => {
    // Saturday 28 March 2026, 12:00 CET → Sunday 29 March 03:00 CEST (01:00 UTC).
    const next = nextRetentionRun(new Date('2026-03-28T11:00:00Z'), TZ);
    expect(next.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(retentionJobId(next, TZ)).toBe('retention:2026-03-29');
    // 02:30 CET on an ordinary night → 03:00 the same night; exactly 03:00 → the next night.
    expect(nextRetentionRun(new Date('2026-02-10T01:30:00Z'), TZ).toISOString()).toBe('2026-02-10T02:00:00.000Z');
    expect(nextRetentionRun(new Date('2026-02-10T02:00:00Z'), TZ).toISOString()).toBe('2026-02-11T02:00:00.000Z');
  });
});

describe('erasure: finding the name in free text', () => {
  const m = nameMatcher('Jan de Vries');

  it('matches the name whatever the case, spacing or punctuation between its parts', () => {
    for (const text of ['Jan de Vries stond erbij', 'JAN  DE VRIES', 'gesprek met jan-de-vries.', 'met "Jan de\nVries"']) {
      expect(redactName(text, m, '[naam gewist]').count, text).toBe(1);
    }
    expect(redactName('Jan de Vries en later weer Jan de Vries', m, 'X').text).toBe('X en later weer X');
  });

  it('does not match a longer word or another name', () => {
    for (const text of ['Jan de Vriesland', 'Jandevries', 'Jan de Boer', 'Marjan de Vries']) expect(redactName(text, m, 'X').count, text).toBe(0);
  });

  it('rewrites free text in a document, never ids, codes or another person with the same name', () => {
    const doc = {
      id: 'Jan de Vries',
      caseRef: 'C-2026-00001',
      reason: 'Jan de Vries is verhuisd',
      passOns: [{ reason: 'overleg over jan de vries', by: { userId: 'Jan de Vries', organisation: 'x' } }],
      fields: { analysis: 'Rond Jan de Vries hangt een groep' },
      persons: [{ name: 'Jan de Vries', dateOfBirth: '1990-01-01' }],
    };
    const r = redactNameDeep(doc, m, '[naam gewist]');
    expect(r.count).toBe(3);
    expect(r.value).toEqual({
      ...doc,
      reason: '[naam gewist] is verhuisd',
      passOns: [{ reason: 'overleg over [naam gewist]', by: doc.passOns[0]!.by }],
      fields: { analysis: 'Rond [naam gewist] hangt een groep' },
    });
    const untouched = { reason: 'niets' };
    expect(redactNameDeep(untouched, m, 'X').value).toBe(untouched);
  });

  it('identifies a person by normalised name and date of birth', () => {
    expect(samePerson({ name: 'José  de Vries', dateOfBirth: '1990-01-01' }, { name: 'jose de vries', dateOfBirth: '1990-01-01' })).toBe(true);
    expect(samePerson({ name: 'José de Vries', dateOfBirth: '1990-01-01' }, { name: 'José de Vries', dateOfBirth: '1990-01-02' })).toBe(false);
  });

  it('the deletion record refuses fields it does not know (no room for a name)', () => {
    const record = {
      id: '00000000-0000-4000-8000-000000000002',
      ref: 'V-2026-00001',
      kind: 'verzoek',
      at: '2026-02-01T10:00:00.000Z',
      by: 'u-beheerder',
      reason: 'Verzoek van 3 maart, kenmerk 2026-0142',
      caseRefs: ['C-2026-00001'],
      counts: { signals: 2 },
    };
    expect(deletionRecordSchema.safeParse(record).success).toBe(true);
    expect(deletionRecordSchema.safeParse({ ...record, name: 'Jan de Vries' }).success).toBe(false);
  });
});
