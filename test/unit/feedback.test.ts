import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { decide, type FeedbackFacts } from '../../src/domain/access.js';
import type { Actor } from '../../src/domain/actor.js';
import type { OrganisationKind, Role } from '../../src/domain/directory.js';
import {
  allSufficient,
  DEFAULT_OVERDUE,
  dueSteps,
  explanationRequired,
  feedbackRouting,
  interventionStatus,
  overdueSchedule,
  parseOverdue,
  sortForOverview,
  validateFeedback,
  type HandledBy,
} from '../../src/domain/feedback.js';

const TZ = 'Europe/Amsterdam';

function actor(id: string, org: string, kind: OrganisationKind, roles: Role[], districts: string[] = []): Actor {
  return { id, name: id, roles, organisation: { id: org, name: org, kind, covenant: true }, districts };
}

const ACTORS = {
  responsible: actor('u-jw', 'jongerenwerk', 'jongerenwerk', ['partner'], ['crabbehof']),
  otherPartner: actor('u-pol', 'politie', 'politie', ['partner'], ['crabbehof']),
  wijkmanager: actor('u-wm', 'gemeente', 'gemeente', ['wijkmanager'], ['crabbehof']),
  otherWijkmanager: actor('u-wm2', 'gemeente', 'gemeente', ['wijkmanager'], ['binnenstad']),
  voorzitter: actor('u-vz', 'gemeente', 'gemeente', ['voorzitter']),
  regisseur: actor('u-rit', 'gemeente', 'gemeente', ['regisseur-it']),
} as const;

const facts = (handledBy: HandledBy): FeedbackFacts => ({ district: 'crabbehof', handledBy, responsible: ['u-jw'] });
type Cell = 'A' | 'R' | 'D';
const effect = (d: ReturnType<typeof decide>): Cell => (d.effect === 'allow' ? 'A' : d.effect === 'redact' ? 'R' : 'D');

describe('access policy: feedback.read by who handles the case (need-to-know, §5)', () => {
  // A = details, R = only "feedback was given", D = nothing.
  const table: [keyof typeof ACTORS, Record<HandledBy, Cell>][] = [
    ['responsible', { wijkmanager: 'A', kerngroep: 'A', interventieteam: 'A' }],
    ['otherPartner', { wijkmanager: 'D', kerngroep: 'D', interventieteam: 'D' }],
    ['wijkmanager', { wijkmanager: 'A', kerngroep: 'R', interventieteam: 'R' }],
    ['otherWijkmanager', { wijkmanager: 'D', kerngroep: 'D', interventieteam: 'D' }],
    ['voorzitter', { wijkmanager: 'A', kerngroep: 'A', interventieteam: 'D' }],
    ['regisseur', { wijkmanager: 'A', kerngroep: 'D', interventieteam: 'A' }],
  ];
  for (const [who, row] of table) {
    for (const [handledBy, expected] of Object.entries(row) as [HandledBy, Cell][]) {
      it(`${who} × handled by ${handledBy} → ${expected}`, () => {
        expect(effect(decide(ACTORS[who], 'feedback.read', { type: 'feedback', feedback: facts(handledBy) }))).toBe(expected);
      });
    }
  }
  it('a redaction hides what, when, by whom and the effect', () => {
    const d = decide(ACTORS.wijkmanager, 'feedback.read', { type: 'feedback', feedback: facts('kerngroep') });
    expect(d.effect === 'redact' && d.fields).toEqual(expect.arrayContaining(['what', 'when', 'by', 'effect', 'explanation']));
  });
  it('feedback.give: only the responsible partners', () => {
    for (const [who, a] of Object.entries(ACTORS)) {
      expect(effect(decide(a, 'feedback.give', { type: 'feedback', feedback: facts('wijkmanager') })), who).toBe(who === 'responsible' ? 'A' : 'D');
    }
  });
  it('the wrong resource type is denied', () => {
    expect(effect(decide(ACTORS.wijkmanager, 'feedback.read', { type: 'system' }))).toBe('D');
  });
});

describe('routing by level', () => {
  it.each([
    ['wijkmanager', 'wijkmanager', []],
    ['kerngroep', 'voorzitter', ['wijkmanager']],
    ['interventieteam', 'regisseur-it', ['wijkmanager']],
  ] as const)('%s: details to %s, general notice to %j', (handledBy, details, general) => {
    expect(feedbackRouting(handledBy)).toEqual({ details, general });
  });
});

describe('validateFeedback', () => {
  const now = new Date('2026-04-10T10:00:00Z');
  const ok = { executed: 'ja', executedOn: '2026-04-09', effect: 'voldoende', followUp: 'nee' };
  it('accepts a complete form', () => {
    expect(validateFeedback(ok, now, TZ)).toEqual({ ok: true, values: ok });
  });
  it('errors per field', () => {
    const r = validateFeedback({ executed: 'misschien', effect: '', followUp: undefined }, now, TZ);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual({ executed: 'invalid', effect: 'required', followUp: 'required' });
  });
  it('toelichting required when not executed or effect geen / onvoldoende', () => {
    expect(explanationRequired({ executed: 'nee' })).toBe(true);
    expect(explanationRequired({ executed: 'ja', effect: 'onvoldoende' })).toBe(true);
    expect(explanationRequired({ executed: 'ja', effect: 'nog-niet' })).toBe(false);
    const r = validateFeedback({ ...ok, effect: 'geen' }, now, TZ);
    expect(!r.ok && r.errors.explanation).toBe('explanationRequired');
    const n = validateFeedback({ executed: 'nee', effect: 'nog-niet', followUp: 'ja', explanation: 'Geen capaciteit.' }, now, TZ);
    expect(n.ok).toBe(true);
  });
  it('execution date: required when executed, not in the future, a real date', () => {
    expect(validateFeedback({ ...ok, executedOn: '' }, now, TZ)).toEqual({ ok: false, errors: { executedOn: 'required' } });
    expect(validateFeedback({ ...ok, executedOn: '2026-04-11' }, now, TZ)).toEqual({ ok: false, errors: { executedOn: 'dateInFuture' } });
    expect(validateFeedback({ ...ok, executedOn: '2026-02-30' }, now, TZ)).toEqual({ ok: false, errors: { executedOn: 'dateInvalid' } });
  });
});

describe('overdue schedule', () => {
  it('due date 09:00 local, reminder +2 days, director +7 days (wall clock across the DST change)', () => {
    const s = overdueSchedule('2026-03-27', DEFAULT_OVERDUE, TZ);
    expect(s.request.toISOString()).toBe('2026-03-27T08:00:00.000Z'); // CET
    expect(s.partnerReminder.toISOString()).toBe('2026-03-29T07:00:00.000Z'); // CEST from 29 March
    expect(s.director.toISOString()).toBe('2026-04-03T07:00:00.000Z');
  });
  it('steps by time; none once feedback exists; configurable', () => {
    const due = '2026-04-01';
    expect(dueSteps(due, false, new Date('2026-04-01T06:59:00Z'), DEFAULT_OVERDUE, TZ)).toEqual([]);
    expect(dueSteps(due, false, new Date('2026-04-01T07:00:00Z'), DEFAULT_OVERDUE, TZ)).toEqual(['request']);
    expect(dueSteps(due, false, new Date('2026-04-03T07:00:00Z'), DEFAULT_OVERDUE, TZ)).toEqual(['request', 'partnerReminder']);
    expect(dueSteps(due, false, new Date('2026-04-08T07:00:00Z'), DEFAULT_OVERDUE, TZ)).toEqual(['request', 'partnerReminder', 'director']);
    expect(dueSteps(due, true, new Date('2026-04-08T07:00:00Z'), DEFAULT_OVERDUE, TZ)).toEqual([]);
    const cfg = { requestHour: 9, partnerReminderDays: 1, directorDays: 3 };
    expect(dueSteps(due, false, new Date('2026-04-04T07:00:00Z'), cfg, TZ)).toEqual(['request', 'partnerReminder', 'director']);
  });
});

describe('overview status', () => {
  const now = new Date('2026-04-10T10:00:00Z');
  it('gepland, te laat, uitgevoerd; overdue first', () => {
    const entry = (executed: 'ja' | 'nee') => ({ executed, effect: 'voldoende', followUp: 'nee', by: { userId: 'u', organisation: 'o' }, at: now.toISOString(), cardId: '00000000-0000-4000-8000-000000000000' }) as const;
    expect(interventionStatus({ feedbackDue: '2026-04-10' }, undefined, now, TZ)).toBe('gepland');
    expect(interventionStatus({ feedbackDue: '2026-04-09' }, undefined, now, TZ)).toBe('te-laat');
    expect(interventionStatus({ feedbackDue: '2026-04-09' }, entry('ja'), now, TZ)).toBe('uitgevoerd');
    expect(interventionStatus({ feedbackDue: '2026-04-09' }, entry('nee'), now, TZ)).toBe('niet-uitgevoerd');
    const sorted = sortForOverview([
      { status: 'gepland' as const, feedbackDue: '2026-04-01' },
      { status: 'te-laat' as const, feedbackDue: '2026-04-05' },
      { status: 'uitgevoerd' as const, feedbackDue: '2026-03-01' },
    ]);
    expect(sorted.map((r) => r.status)).toEqual(['te-laat', 'uitgevoerd', 'gepland']);
  });
  it('afschalen only when every intervention is voldoende', () => {
    expect(allSufficient(['voldoende', 'voldoende'])).toBe(true);
    expect(allSufficient(['voldoende', undefined])).toBe(false);
    expect(allSufficient(['voldoende', 'nog-niet'])).toBe(false);
    expect(allSufficient([])).toBe(false);
  });
});

describe('FEEDBACK_OVERDUE', () => {
  it('parses "<reminder days>,<director days>"', () => {
    expect(parseOverdue('2,7')).toEqual({ ok: true, value: { partnerReminderDays: 2, directorDays: 7 } });
    expect(parseOverdue(' 3 , 14 ')).toEqual({ ok: true, value: { partnerReminderDays: 3, directorDays: 14 } });
    for (const bad of ['7,2', '0,7', '2', 'x,y', '2,7,9', '5,5', '2,99']) expect(parseOverdue(bad).ok, bad).toBe(false);
  });
  it('is read by the configuration, and refused with one line when wrong', () => {
    const ok = loadConfig({ FEEDBACK_OVERDUE: '3,10' });
    expect(ok.ok && ok.config.feedbackOverdue).toEqual({ partnerReminderDays: 3, directorDays: 10 });
    const unset = loadConfig({});
    expect(unset.ok && unset.config.feedbackOverdue).toBeUndefined();
    const bad = loadConfig({ FEEDBACK_OVERDUE: '7,2' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.filter((p) => p.includes('FEEDBACK_OVERDUE'))).toHaveLength(1);
  });
});
