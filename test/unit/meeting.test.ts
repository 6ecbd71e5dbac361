import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REMINDER_SLOTS,
  MEETING_TRANSITIONS,
  meetingFacts,
  openForAnswers,
  recordAnswer,
  reminderPlan,
  reminderRecipients,
  reminderSkip,
  reminderTime,
  transition,
  validatePrep,
  validateSchedule,
  type Invitee,
  type Meeting,
  type MeetingState,
} from '../../src/domain/meeting.js';
import { localDateString, localTimeString } from '../../src/domain/signal.js';

const TZ = 'Europe/Amsterdam';
const slot = (id: string) => DEFAULT_REMINDER_SLOTS.find((s) => s.id === id)!;

function invitee(userId: string, organisation: string, answer?: Invitee['answer']): Invitee {
  return { userId, organisation, via: 'organisation', invitedAt: '2026-03-01T09:00:00.000Z', ...(answer ? { answer } : {}) };
}

function meeting(over: Partial<Meeting> = {}): Meeting {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    ref: 'O-2026-00001',
    kind: 'casusoverleg',
    state: 'gepland',
    version: 1,
    start: '2026-03-30T08:00:00.000Z',
    end: '2026-03-30T09:00:00.000Z',
    place: 'Stadskantoor',
    organiser: { userId: 'u-wm', organisation: 'gemeente' },
    districts: ['crabbehof'],
    cases: [{ caseId: '00000000-0000-4000-8000-0000000000c1', caseRef: 'C-2026-00001' }],
    invitedOrganisations: ['jongerenwerk'],
    invitees: [invitee('u-jw', 'jongerenwerk'), invitee('u-pol', 'politie')],
    advisers: [],
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    manualReminders: [],
    ...over,
  };
}

describe('meeting state machine', () => {
  const states = Object.keys(MEETING_TRANSITIONS) as MeetingState[];
  const before = new Date('2026-03-30T07:00:00Z');
  const after = new Date('2026-03-30T08:30:00Z');

  it('allows exactly the transitions of the table', () => {
    // state → [reschedule, cancel, close] before the start (close: after the start)
    const expected: Record<MeetingState, [string | undefined, string | undefined, string | undefined]> = {
      gepland: ['verplaatst', 'geannuleerd', 'afgelopen'],
      verplaatst: ['verplaatst', 'geannuleerd', 'afgelopen'],
      geannuleerd: [undefined, undefined, undefined],
      afgelopen: [undefined, undefined, undefined],
    };
    for (const state of states) {
      const m = meeting({ state });
      const got = [
        transition(m, 'reschedule', before),
        transition(m, 'cancel', before),
        transition(m, 'close', after),
      ].map((r) => (r.ok ? r.to : undefined));
      expect(got, state).toEqual(expected[state]);
    }
  });

  it('cancels only before the start and closes only after it', () => {
    const m = meeting();
    expect(transition(m, 'cancel', after)).toEqual({ ok: false, error: 'already-started' });
    expect(transition(m, 'close', before)).toEqual({ ok: false, error: 'not-started' });
    expect(transition(meeting({ state: 'geannuleerd' }), 'close', after)).toEqual({ ok: false, error: 'not-allowed' });
  });

  it('takes answers while active and before the start', () => {
    expect(openForAnswers(meeting(), before)).toBe(true);
    expect(openForAnswers(meeting(), new Date('2026-03-30T08:00:00Z'))).toBe(false);
    expect(openForAnswers(meeting({ state: 'geannuleerd' }), before)).toBe(false);
    expect(openForAnswers(meeting({ state: 'verplaatst' }), before)).toBe(true);
  });
});

describe('validateSchedule', () => {
  const now = new Date('2026-03-15T10:00:00Z'); // Sunday 11:00 in Amsterdam

  it('turns local date and times into instants (CET and CEST)', () => {
    const winter = validateSchedule({ date: '2026-03-20', start: '10:00', end: '11:30', place: ' Stadskantoor  kamer 3 ' }, now, TZ);
    expect(winter).toEqual({
      ok: true,
      schedule: { start: new Date('2026-03-20T09:00:00Z'), end: new Date('2026-03-20T10:30:00Z'), place: 'Stadskantoor kamer 3' },
    });
    const summer = validateSchedule({ date: '2026-04-02', start: '10:00', end: '11:00', place: 'x' }, now, TZ);
    expect(summer.ok && summer.schedule.start.toISOString()).toBe('2026-04-02T08:00:00.000Z');
  });

  it('refuses a meeting in the past, an end before the start and missing fields, with a code per field', () => {
    expect(validateSchedule({ date: '2026-03-15', start: '10:30', end: '11:00', place: 'x' }, now, TZ)).toEqual({ ok: false, errors: { start: 'startInPast' } });
    expect(validateSchedule({ date: '2026-03-16', start: '10:30', end: '10:30', place: 'x' }, now, TZ)).toEqual({ ok: false, errors: { end: 'endBeforeStart' } });
    expect(validateSchedule({ date: '2026-03-16', start: '10:30', end: '09:00', place: 'x' }, now, TZ)).toEqual({ ok: false, errors: { end: 'endBeforeStart' } });
    expect(validateSchedule({}, now, TZ)).toEqual({
      ok: false,
      errors: { date: 'dateRequired', start: 'startRequired', end: 'endRequired', place: 'placeRequired' },
    });
    expect(validateSchedule({ date: '2026-02-30', start: '25:00', end: '1100', place: 'x'.repeat(301) }, now, TZ)).toEqual({
      ok: false,
      errors: { date: 'dateInvalid', start: 'startInvalid', end: 'endInvalid', place: 'placeTooLong' },
    });
  });

  it('bounds duration and how far ahead', () => {
    expect(validateSchedule({ date: '2026-03-16', start: '06:00', end: '19:00', place: 'x' }, now, TZ)).toEqual({ ok: false, errors: { end: 'tooLong' } });
    expect(validateSchedule({ date: '2027-04-01', start: '10:00', end: '11:00', place: 'x' }, now, TZ)).toEqual({ ok: false, errors: { date: 'tooFarAhead' } });
  });
});

describe('reminder times across DST (Europe/Amsterdam)', () => {
  it('spring: T-48 h before Monday 30 March 10:00 is Saturday 10:00 CET (47 real hours)', () => {
    const start = new Date('2026-03-30T08:00:00Z'); // 10:00 CEST
    expect(reminderTime(start, 48, TZ).toISOString()).toBe('2026-03-28T09:00:00.000Z'); // 10:00 CET
    expect(reminderTime(start, 24, TZ).toISOString()).toBe('2026-03-29T08:00:00.000Z'); // Sunday 10:00 CEST
    expect(reminderTime(start, 2, TZ).toISOString()).toBe('2026-03-30T06:00:00.000Z'); // 08:00 CEST
  });

  it('autumn: T-48 h before Monday 26 October 10:00 is Saturday 10:00 CEST (49 real hours)', () => {
    const start = new Date('2026-10-26T09:00:00Z'); // 10:00 CET
    expect(reminderTime(start, 48, TZ).toISOString()).toBe('2026-10-24T08:00:00.000Z'); // 10:00 CEST
    expect(reminderTime(start, 24, TZ).toISOString()).toBe('2026-10-25T09:00:00.000Z'); // Sunday 10:00 CET
  });

  it('T-2 h is two real hours, also over the night of the change', () => {
    const start = new Date('2026-03-29T01:30:00Z'); // Sunday 03:30 CEST, just after the change
    expect(reminderTime(start, 2, TZ).toISOString()).toBe('2026-03-28T23:30:00.000Z'); // 00:30 CET
  });

  it('mixed hours: 26 h is one wall-clock day and 2 real hours', () => {
    const start = new Date('2026-03-30T08:00:00Z');
    expect(reminderTime(start, 26, TZ).toISOString()).toBe('2026-03-29T06:00:00.000Z');
  });

  it('plans only the slots still ahead, in time order', () => {
    const start = new Date('2026-03-30T08:00:00Z');
    const plan = (now: string) => reminderPlan(start, DEFAULT_REMINDER_SLOTS, new Date(now), TZ).map((p) => [p.slot.id, p.at.toISOString()]);
    expect(plan('2026-03-20T00:00:00Z')).toEqual([
      ['t48', '2026-03-28T09:00:00.000Z'],
      ['t24', '2026-03-29T08:00:00.000Z'],
      ['t2', '2026-03-30T06:00:00.000Z'],
    ]);
    // Planned 30 hours ahead: the T-48 moment has passed, nothing is sent for it.
    expect(plan('2026-03-29T02:00:00Z')).toEqual([
      ['t24', '2026-03-29T08:00:00.000Z'],
      ['t2', '2026-03-30T06:00:00.000Z'],
    ]);
    expect(plan('2026-03-30T07:00:00Z')).toEqual([]);
  });
});

describe('reminder times: properties over a year of start times', () => {
  it('whole days keep the wall-clock time; the rest is real hours', () => {
    fc.assert(
      fc.property(
        // Any minute of 2026 (both DST changes included) and any lead time up to a week.
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(Math.floor(ms / 60_000) * 60_000)),
        fc.integer({ min: 1, max: 7 * 24 }),
        (start, hours) => {
          const at = reminderTime(start, hours, TZ);
          const days = Math.floor(hours / 24);
          const rest = hours % 24;
          const dayShifted = new Date(at.getTime() + rest * 3_600_000);
          // The day-shifted moment shows the same local time as the start (unless that time does
          // not exist on that day: the spring-forward gap moves it one hour on).
          const same = localTimeString(dayShifted, TZ) === localTimeString(start, TZ);
          const gap = localTimeString(dayShifted, TZ) !== localTimeString(start, TZ) && localDateString(dayShifted, TZ) === '2026-03-29';
          expect(same || gap).toBe(true);
          // And it lies `days` calendar days before the start.
          const diffDays = Math.round((Date.parse(localDateString(start, TZ)) - Date.parse(localDateString(dayShifted, TZ))) / 86_400_000);
          expect(diffDays).toBe(days);
          // Never more than an hour away from the naive "hours × 3600 s".
          expect(Math.abs(start.getTime() - at.getTime() - hours * 3_600_000)).toBeLessThanOrEqual(3_600_000);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('reminder recipients and skips', () => {
  const m = meeting({
    invitees: [
      invitee('u-a', 'a'),
      invitee('u-b', 'b', { kind: 'aanwezig', at: '2026-03-02T09:00:00.000Z' }),
      invitee('u-c', 'c', { kind: 'verhinderd', at: '2026-03-02T09:00:00.000Z', reason: 'vakantie' }),
      invitee('u-d', 'd', { kind: 'vervanger', at: '2026-03-02T09:00:00.000Z', substitute: 'u-e' }),
      { ...invitee('u-e', 'd'), via: 'substitute', substituteFor: 'u-d' },
    ],
  });

  it('no-answer slots go to who has not answered; T-2 h to who will attend', () => {
    expect(reminderRecipients(m, 'no-answer')).toEqual(['u-a', 'u-e']);
    expect(reminderRecipients(m, 'attending')).toEqual(['u-b']);
  });

  it('a job of an old version, a cancelled or closed meeting, or after the start sends nothing', () => {
    const at = new Date('2026-03-28T09:00:00Z');
    expect(reminderSkip(m, { version: 1, slot: slot('t48') }, DEFAULT_REMINDER_SLOTS, at, TZ)).toBeUndefined();
    expect(reminderSkip({ ...m, version: 2 }, { version: 1, slot: slot('t48') }, DEFAULT_REMINDER_SLOTS, at, TZ)).toBe('stale-version');
    expect(reminderSkip({ ...m, state: 'geannuleerd' }, { version: 1, slot: slot('t48') }, DEFAULT_REMINDER_SLOTS, at, TZ)).toBe('inactive');
    expect(reminderSkip({ ...m, state: 'afgelopen' }, { version: 1, slot: slot('t2') }, DEFAULT_REMINDER_SLOTS, at, TZ)).toBe('inactive');
    expect(reminderSkip(m, { version: 1, slot: slot('t2') }, DEFAULT_REMINDER_SLOTS, new Date('2026-03-30T08:00:00Z'), TZ)).toBe('started');
  });

  it('a T-48 job that runs late, when T-24 is due already, leaves it to T-24', () => {
    const late = new Date('2026-03-29T08:30:00Z');
    expect(reminderSkip(m, { version: 1, slot: slot('t48') }, DEFAULT_REMINDER_SLOTS, late, TZ)).toBe('superseded');
    expect(reminderSkip(m, { version: 1, slot: slot('t24') }, DEFAULT_REMINDER_SLOTS, late, TZ)).toBeUndefined();
  });
});

describe('recordAnswer', () => {
  const now = new Date('2026-03-20T10:00:00Z');
  const at = now.toISOString();

  it('records and changes an answer', () => {
    const first = recordAnswer(meeting(), 'u-jw', { kind: 'aanwezig', at }, now);
    expect(first.ok && first.invitees.find((i) => i.userId === 'u-jw')?.answer).toEqual({ kind: 'aanwezig', at });
    const changed = recordAnswer({ ...meeting(), invitees: first.ok ? first.invitees : [] }, 'u-jw', { kind: 'verhinderd', at, reason: 'ziek' }, now);
    expect(changed.ok && changed.invitees.find((i) => i.userId === 'u-jw')?.answer?.kind).toBe('verhinderd');
  });

  it('adds a substitute of the same organisation as an invitee of their own', () => {
    const result = recordAnswer(meeting(), 'u-jw', { kind: 'vervanger', at, substitute: 'u-jw2' }, now, 'jongerenwerk');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.newInvitee).toEqual({ userId: 'u-jw2', organisation: 'jongerenwerk', via: 'substitute', substituteFor: 'u-jw', invitedAt: at });
    expect(result.invitees).toHaveLength(3);
  });

  it('refuses a substitute from another organisation, oneself, a stranger, and answers after the start', () => {
    expect(recordAnswer(meeting(), 'u-jw', { kind: 'vervanger', at, substitute: 'u-pol' }, now, 'politie')).toEqual({ ok: false, error: 'substitute-other-organisation' });
    expect(recordAnswer(meeting(), 'u-jw', { kind: 'vervanger', at, substitute: 'u-jw' }, now, 'jongerenwerk')).toEqual({ ok: false, error: 'substitute-self' });
    expect(recordAnswer(meeting(), 'u-x', { kind: 'aanwezig', at }, now)).toEqual({ ok: false, error: 'not-invited' });
    expect(recordAnswer(meeting(), 'u-jw', { kind: 'aanwezig', at }, new Date('2026-03-30T08:00:00Z'))).toEqual({ ok: false, error: 'closed' });
    expect(recordAnswer(meeting({ state: 'geannuleerd' }), 'u-jw', { kind: 'aanwezig', at }, now)).toEqual({ ok: false, error: 'closed' });
  });
});

describe('meetingFacts', () => {
  it('gives the policy organiser, invitees, advisers and districts', () => {
    const facts = meetingFacts(meeting({ advisers: [{ userId: 'u-school', organisation: 'school', askedAt: '2026-03-01T09:00:00.000Z' }] }));
    expect(facts).toEqual({ districts: ['crabbehof'], organiser: 'u-wm', invitees: ['u-jw', 'u-pol'], advisers: ['u-school'] });
  });
});

describe('validatePrep (appendix 1)', () => {
  it('keeps what was filled in, cleaned', () => {
    expect(validatePrep({ nuisanceArea: '  Sumatraplein ', classification: 'B', groupSize: '8', livesInDistrict: 'ja', proposedApproach: 'Gesprek\r\n\r\n\r\nmet de groep' })).toEqual({
      ok: true,
      fields: { nuisanceArea: 'Sumatraplein', classification: 'B', groupSize: 8, livesInDistrict: 'ja', proposedApproach: 'Gesprek\n\nmet de groep' },
    });
  });

  it('refuses values the card cannot produce and an empty preparation', () => {
    expect(validatePrep({ classification: 'D', groupSize: '0', livesInDistrict: 'misschien', groupName: 'x'.repeat(201) })).toEqual({
      ok: false,
      errors: { classification: 'classInvalid', groupSize: 'groupSizeInvalid', livesInDistrict: 'yesNoInvalid', groupName: 'tooLong' },
    });
    expect(validatePrep({ analysis: '   ' })).toEqual({ ok: false, errors: { form: 'empty' } });
  });

  it('does not ask for cultural background (PROCESS.md §7)', async () => {
    const { PREP_FIELDS } = await import('../../src/domain/meeting.js');
    expect(PREP_FIELDS.join(' ')).not.toMatch(/cultu|ethni|afkomst/i);
  });
});

describe('reminder configuration (MEETING_REMINDERS)', () => {
  it('parses hours and audiences, latest first', async () => {
    const { parseReminderSlots } = await import('../../src/domain/meeting.js');
    expect(parseReminderSlots('2:attending, 72:no-answer')).toEqual({
      ok: true,
      slots: [
        { id: 't72', hoursBefore: 72, audience: 'no-answer' },
        { id: 't2', hoursBefore: 2, audience: 'attending' },
      ],
    });
    expect(parseReminderSlots('48:no-answer,24:no-answer,2:attending')).toEqual({ ok: true, slots: [...DEFAULT_REMINDER_SLOTS] });
    for (const bad of ['48', '0:attending', '400:no-answer', '2:iedereen', '2:attending,2:no-answer']) expect(parseReminderSlots(bad).ok, bad).toBe(false);
  });

  it('is validated with the rest of the configuration', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const ok = loadConfig({ MEETING_REMINDERS: '72:no-answer,1:attending' });
    expect(ok.ok && ok.config.meetingReminders?.map((s) => s.id)).toEqual(['t72', 't1']);
    const none = loadConfig({});
    expect(none.ok && none.config.meetingReminders).toBeUndefined();
    const bad = loadConfig({ MEETING_REMINDERS: 'morgen' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]).toMatch(/^MEETING_REMINDERS: "morgen" is ongeldig/);
  });
});
