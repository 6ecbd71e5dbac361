import { z } from 'zod';
import type { MeetingFacts } from './access.js';
import { nl } from '../i18n/nl.js';
import { localToInstant, parseCalendarDate, parseClockTime, shiftLocal } from './signal.js';

/**
 * Meetings (casusoverleg, §4 and §10 of the process; generic enough for the Kerngroep of §5):
 * the entity, its state machine (gepland → verplaatst → geannuleerd / afgelopen), the answers of
 * invitees (oproep: aanwezig · vervanger · verhinderd), the appendix 1 preparation format (§7),
 * and the reminder rules. Pure: no I/O, time comes in as an argument.
 */

// --- vocabularies ---------------------------------------------------------------------------------

export const MEETING_KINDS = ['casusoverleg', 'kerngroep'] as const;
export type MeetingKind = (typeof MEETING_KINDS)[number];

export const MEETING_STATES = ['gepland', 'verplaatst', 'geannuleerd', 'afgelopen'] as const;
export type MeetingState = (typeof MEETING_STATES)[number];

export const ANSWER_KINDS = ['aanwezig', 'vervanger', 'verhinderd'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** How someone came to be on the invitee list. */
export const INVITED_VIA = ['person', 'organisation', 'substitute'] as const;

export const MEETING_REF = /^O-\d{4}-\d{5,}$/;

/** Bounds on everything a meeting card can send; the cards' maxLength mirror them. */
export const MEETING_LIMITS = {
  place: 300,
  prepare: 1000,
  reason: 500,
  cancelReason: 500,
  adviceQuestion: 1000,
  adviceAnswer: 4000,
  prepText: 1000,
  prepShort: 200,
  groupSizeMax: 500,
  maxCases: 10,
  /** People on one summons list (Teams refresh.userIds takes at most 60). */
  maxInvitees: 40,
  maxAdvice: 20,
  maxDurationMinutes: 12 * 60,
  maxDaysAhead: 366,
  /** A manual "herinner" at most once per this many ms (a double click sends nothing twice). */
  manualReminderGapMs: 60 * 60 * 1000,
  /** No input of a meeting card can produce more: a longer value is a forged payload. */
  raw: 10_000,
} as const;

// --- entity ---------------------------------------------------------------------------------------

const entityId = z.string().uuid();
const directoryId = z.string().min(1).max(100);
const instant = z.string().datetime({ offset: true });
const actorRef = z.object({ userId: directoryId, organisation: directoryId }).strict();

export const answerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('aanwezig'), at: instant }).strict(),
  z.object({ kind: z.literal('vervanger'), at: instant, substitute: directoryId }).strict(),
  z.object({ kind: z.literal('verhinderd'), at: instant, reason: z.string().min(1).max(MEETING_LIMITS.reason) }).strict(),
]);
export type Answer = z.infer<typeof answerSchema>;

export const inviteeSchema = z
  .object({
    userId: directoryId,
    organisation: directoryId,
    via: z.enum(INVITED_VIA),
    /** For a substitute: whom they replace. */
    substituteFor: directoryId.optional(),
    invitedAt: instant,
    answer: answerSchema.optional(),
  })
  .strict();
export type Invitee = z.infer<typeof inviteeSchema>;

/** Someone asked for information or advice beforehand (§4), without being invited. */
export const adviserSchema = z.object({ userId: directoryId, organisation: directoryId, askedAt: instant }).strict();
export type Adviser = z.infer<typeof adviserSchema>;

export const meetingCaseSchema = z.object({ caseId: entityId, caseRef: z.string().min(1).max(50) }).strict();

export const meetingSchema = z
  .object({
    id: entityId,
    ref: z.string().regex(MEETING_REF),
    kind: z.enum(MEETING_KINDS),
    state: z.enum(MEETING_STATES),
    /** Schedule version: 1 when planned, +1 per reschedule. Reminder ids carry it. */
    version: z.number().int().min(1),
    start: instant,
    end: instant,
    place: z.string().min(1).max(MEETING_LIMITS.place),
    /** What to prepare, in the organiser's words; appendix 1 is always asked. */
    prepare: z.string().max(MEETING_LIMITS.prepare).optional(),
    organiser: actorRef,
    districts: z.array(directoryId).min(1),
    cases: z.array(meetingCaseSchema).min(1).max(MEETING_LIMITS.maxCases),
    /** Organisations invited as such (their contact persons were summoned). */
    invitedOrganisations: z.array(directoryId),
    invitees: z.array(inviteeSchema).min(1),
    advisers: z.array(adviserSchema),
    adviceQuestion: z.string().max(MEETING_LIMITS.adviceQuestion).optional(),
    createdAt: instant,
    updatedAt: instant,
    cancelled: z.object({ at: instant, by: actorRef, reason: z.string().min(1).max(MEETING_LIMITS.cancelReason) }).strict().optional(),
    closed: z.object({ at: instant, by: actorRef, interventionIds: z.array(entityId) }).strict().optional(),
    /** The evaluation meeting planned at this one (§4 step 3), and the other way round. */
    followUp: z.object({ meetingId: entityId, meetingRef: z.string().regex(MEETING_REF) }).strict().optional(),
    previous: z.object({ meetingId: entityId, meetingRef: z.string().regex(MEETING_REF) }).strict().optional(),
    manualReminders: z.array(z.object({ at: instant, by: directoryId }).strict()),
  })
  .strict();
export type Meeting = z.infer<typeof meetingSchema>;

export function formatMeetingRef(year: number, seq: number): string {
  return `O-${year}-${String(seq).padStart(5, '0')}`;
}

// --- state machine --------------------------------------------------------------------------------

export type MeetingEvent = 'reschedule' | 'cancel' | 'close';

/**
 * The allowed state changes, like the level table in case.ts. A cancelled meeting and a meeting
 * whose agreements are recorded (afgelopen) are final: no reschedule, no answers, no reminders.
 */
export const MEETING_TRANSITIONS: Readonly<Record<MeetingState, Partial<Record<MeetingEvent, MeetingState>>>> = {
  gepland: { reschedule: 'verplaatst', cancel: 'geannuleerd', close: 'afgelopen' },
  verplaatst: { reschedule: 'verplaatst', cancel: 'geannuleerd', close: 'afgelopen' },
  geannuleerd: {},
  afgelopen: {},
};

export type MeetingTransitionError =
  /** The state table does not allow it (cancelled or already closed). */
  | 'not-allowed'
  /** Cancel after the start: the meeting took place (or is taking place). */
  | 'already-started'
  /** Close (agreements) before the start: agreements come after the meeting. */
  | 'not-started';

/** Planned or rescheduled: the meeting will (or may still) take place. */
export function isActive(m: Pick<Meeting, 'state'>): boolean {
  return m.state === 'gepland' || m.state === 'verplaatst';
}

/**
 * The one guard for state changes. Time conditions: a meeting is cancelled before it starts and
 * closed (afspraken vastleggen) once it has started. Rescheduling is allowed while the meeting is
 * active, also on the day itself; the new time is checked by `validateSchedule`.
 */
export function transition(
  m: Pick<Meeting, 'state' | 'start'>,
  event: MeetingEvent,
  now: Date,
): { ok: true; to: MeetingState } | { ok: false; error: MeetingTransitionError } {
  const to = MEETING_TRANSITIONS[m.state][event];
  if (!to) return { ok: false, error: 'not-allowed' };
  const started = now.getTime() >= new Date(m.start).getTime();
  if (event === 'cancel' && started) return { ok: false, error: 'already-started' };
  if (event === 'close' && !started) return { ok: false, error: 'not-started' };
  return { ok: true, to };
}

/** Answers (and preparation, advice) can be given or changed until the meeting starts. */
export function openForAnswers(m: Pick<Meeting, 'state' | 'start'>, now: Date): boolean {
  return isActive(m) && now.getTime() < new Date(m.start).getTime();
}

// --- schedule -------------------------------------------------------------------------------------

export type ScheduleError =
  | 'dateRequired'
  | 'dateInvalid'
  | 'startRequired'
  | 'startInvalid'
  | 'endRequired'
  | 'endInvalid'
  | 'startInPast'
  | 'endBeforeStart'
  | 'tooLong'
  | 'tooFarAhead'
  | 'placeRequired'
  | 'placeTooLong';

export interface ScheduleInput {
  date?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  place?: string | undefined;
}

export interface Schedule {
  start: Date;
  end: Date;
  place: string;
}

export type ScheduleField = 'date' | 'start' | 'end' | 'place';

/**
 * Date, start and end as the cards send them (Input.Date / Input.Time, wall-clock time in
 * `timeZone`) and the place or online-meeting link. A meeting lies in the future, ends after it
 * starts, lasts at most 12 hours and is at most a year ahead.
 */
export function validateSchedule(
  input: ScheduleInput,
  now: Date,
  timeZone: string,
): { ok: true; schedule: Schedule } | { ok: false; errors: Partial<Record<ScheduleField, ScheduleError>> } {
  const errors: Partial<Record<ScheduleField, ScheduleError>> = {};
  const date = input.date?.trim() ? parseCalendarDate(input.date.trim()) : undefined;
  if (!input.date?.trim()) errors.date = 'dateRequired';
  else if (!date) errors.date = 'dateInvalid';
  const start = input.start?.trim() ? parseClockTime(input.start.trim()) : undefined;
  if (!input.start?.trim()) errors.start = 'startRequired';
  else if (!start) errors.start = 'startInvalid';
  const end = input.end?.trim() ? parseClockTime(input.end.trim()) : undefined;
  if (!input.end?.trim()) errors.end = 'endRequired';
  else if (!end) errors.end = 'endInvalid';
  const place = cleanLine(input.place ?? '');
  if (place === '') errors.place = 'placeRequired';
  else if ([...place].length > MEETING_LIMITS.place) errors.place = 'placeTooLong';

  if (date && start && end) {
    const startAt = localToInstant({ ...date, ...start }, timeZone);
    const endAt = localToInstant({ ...date, ...end }, timeZone);
    if (startAt.getTime() <= now.getTime()) errors.start = 'startInPast';
    else if (endAt.getTime() <= startAt.getTime()) errors.end = 'endBeforeStart';
    else if (endAt.getTime() - startAt.getTime() > MEETING_LIMITS.maxDurationMinutes * 60_000) errors.end = 'tooLong';
    else if (startAt.getTime() > shiftLocal(now, { days: MEETING_LIMITS.maxDaysAhead }, timeZone).getTime()) errors.date = 'tooFarAhead';
    if (Object.keys(errors).length === 0) return { ok: true, schedule: { start: startAt, end: endAt, place } };
  }
  return { ok: false, errors };
}

/** One line of text: control characters out, whitespace collapsed. */
export function cleanLine(s: string): string {
  return s.replace(/[\u0000-\u001F\u007F]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Free text with line breaks kept (at most one empty line in a row). */
export function cleanMultiline(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// --- reminders ------------------------------------------------------------------------------------

export type ReminderAudience =
  /** Invitees who have not answered the summons (yet). */
  | 'no-answer'
  /** Invitees who answered "aanwezig". */
  | 'attending';

export interface ReminderSlot {
  /** Stable id, part of the job and notice ids: `t48`, `t24`, `t2`. */
  id: string;
  hoursBefore: number;
  audience: ReminderAudience;
}

/** The defaults: T-48 h and T-24 h to those without an answer, T-2 h to who will attend. */
export const DEFAULT_REMINDER_SLOTS: readonly ReminderSlot[] = [
  { id: 't48', hoursBefore: 48, audience: 'no-answer' },
  { id: 't24', hoursBefore: 24, audience: 'no-answer' },
  { id: 't2', hoursBefore: 2, audience: 'attending' },
];

/** Longest reminder lead time that can be configured: two weeks. */
export const MAX_REMINDER_HOURS = 14 * 24;

/**
 * Reminder slots from configuration (`MEETING_REMINDERS`), e.g. `48:no-answer,24:no-answer,2:attending`:
 * hours before the start and who gets it. The slot id is `t<hours>`, so each number of hours once.
 */
export function parseReminderSlots(text: string): { ok: true; slots: ReminderSlot[] } | { ok: false; problem: string } {
  const t = nl.config.meetingReminders;
  const slots: ReminderSlot[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d{1,3}):(no-answer|attending)$/.exec(part);
    const hours = m ? Number(m[1]) : NaN;
    if (!m || hours < 1 || hours > MAX_REMINDER_HOURS) return { ok: false, problem: t.invalid(part.slice(0, 40), t.example, MAX_REMINDER_HOURS) };
    if (slots.some((s) => s.hoursBefore === hours)) return { ok: false, problem: t.duplicate(hours) };
    slots.push({ id: `t${hours}`, hoursBefore: hours, audience: m[2] as ReminderAudience });
  }
  return { ok: true, slots: slots.sort((a, b) => b.hoursBefore - a.hoursBefore) };
}

/**
 * When a slot fires. Whole days before the meeting are counted on the wall clock in `timeZone`,
 * so "48 hours before Monday 10:00" is Saturday 10:00 also when the clocks change in between (47
 * or 49 real hours); the hours that remain are real hours (T-2 h before 10:00 is 08:00, whatever
 * the date).
 */
export function reminderTime(start: Date, hoursBefore: number, timeZone: string): Date {
  const days = Math.floor(hoursBefore / 24);
  const rest = hoursBefore - days * 24;
  const dayShifted = days > 0 ? shiftLocal(start, { days: -days }, timeZone) : start;
  return new Date(dayShifted.getTime() - rest * 3_600_000);
}

/** The slots still ahead at `now`, with their time: what to schedule for a (re)planned meeting. */
export function reminderPlan(
  start: Date,
  slots: readonly ReminderSlot[],
  now: Date,
  timeZone: string,
): { slot: ReminderSlot; at: Date }[] {
  return slots
    .map((slot) => ({ slot, at: reminderTime(start, slot.hoursBefore, timeZone) }))
    .filter((r) => r.at.getTime() > now.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/**
 * Who a reminder of this slot goes to, decided when it fires (not when it was scheduled): an
 * answer given in between takes someone off the "no answer" list, "verhinderd" off the
 * "attending" list.
 */
export function reminderRecipients(m: Pick<Meeting, 'invitees'>, audience: ReminderAudience): string[] {
  return m.invitees
    .filter((i) => (audience === 'no-answer' ? i.answer === undefined : i.answer?.kind === 'aanwezig'))
    .map((i) => i.userId);
}

export type ReminderSkip = 'stale-version' | 'inactive' | 'started' | 'superseded';

/**
 * Whether a reminder job that runs now should still send anything. A job of an older schedule
 * version, of a cancelled/closed meeting or after the start sends nothing; nor does a "no answer"
 * slot whose later sibling is already due (a job that ran late after downtime), so nobody gets
 * two reminders in a row.
 */
export function reminderSkip(
  m: Pick<Meeting, 'state' | 'start' | 'version'>,
  job: { version: number; slot: ReminderSlot },
  slots: readonly ReminderSlot[],
  now: Date,
  timeZone: string,
): ReminderSkip | undefined {
  if (job.version !== m.version) return 'stale-version';
  if (!isActive(m)) return 'inactive';
  const start = new Date(m.start);
  if (now.getTime() >= start.getTime()) return 'started';
  const later = slots.filter((s) => s.audience === job.slot.audience && s.hoursBefore < job.slot.hoursBefore);
  if (later.some((s) => reminderTime(start, s.hoursBefore, timeZone).getTime() <= now.getTime())) return 'superseded';
  return undefined;
}

// --- answers --------------------------------------------------------------------------------------

export type AnswerError = 'closed' | 'not-invited' | 'substitute-required' | 'substitute-self' | 'substitute-other-organisation' | 'reason-required';

/**
 * Records an invitee's answer. A substitute must be a colleague of the same organisation (the use
 * case checks the directory); they become an invitee of their own, unless already invited.
 * Returns the updated invitee list and, for a new substitute, who must get a summons.
 */
export function recordAnswer(
  m: Pick<Meeting, 'state' | 'start' | 'invitees'>,
  userId: string,
  answer: Answer,
  now: Date,
  substituteOrganisation?: string,
): { ok: true; invitees: Invitee[]; newInvitee?: Invitee } | { ok: false; error: AnswerError } {
  if (!openForAnswers(m, now)) return { ok: false, error: 'closed' };
  const me = m.invitees.find((i) => i.userId === userId);
  if (!me) return { ok: false, error: 'not-invited' };
  let newInvitee: Invitee | undefined;
  if (answer.kind === 'vervanger') {
    if (answer.substitute === userId) return { ok: false, error: 'substitute-self' };
    if (substituteOrganisation !== me.organisation) return { ok: false, error: 'substitute-other-organisation' };
    if (!m.invitees.some((i) => i.userId === answer.substitute)) {
      newInvitee = {
        userId: answer.substitute,
        organisation: me.organisation,
        via: 'substitute',
        substituteFor: userId,
        invitedAt: now.toISOString(),
      };
    }
  }
  if (answer.kind === 'verhinderd' && answer.reason.trim() === '') return { ok: false, error: 'reason-required' };
  const invitees = m.invitees.map((i) => (i.userId === userId ? { ...i, answer } : i));
  if (newInvitee) invitees.push(newInvitee);
  return { ok: true, invitees, ...(newInvitee ? { newInvitee } : {}) };
}

/** Facts for the access policy, derived from a stored meeting. */
export function meetingFacts(m: Pick<Meeting, 'districts' | 'organiser' | 'invitees' | 'advisers'>): MeetingFacts {
  return {
    districts: m.districts,
    organiser: m.organiser.userId,
    invitees: m.invitees.map((i) => i.userId),
    advisers: m.advisers.map((a) => a.userId),
  };
}

// --- appendix 1: preparation format (§7) ----------------------------------------------------------

export const TARGET_GROUP_CLASSES = ['A', 'B', 'C'] as const;
export const YES_NO_UNKNOWN = ['ja', 'nee', 'onbekend'] as const;

/**
 * The fields of appendix 1, in its order. "Cultural background" is deliberately not asked (PROCESS.md
 * §7): it invites the profiling appendix 2 warns against. `alreadyDone` and `remainingOptions` are
 * §4 step 2 ("what was already done, what options remain").
 */
export const PREP_TEXT_FIELDS = [
  'nuisanceArea',
  'networkPartners',
  'analysis',
  'targetGroup',
  'nuisanceKind',
  'characteristics',
  'circumstances',
  'alreadyDone',
  'remainingOptions',
  'proposedApproach',
  'groupName',
  'hangouts',
  'ages',
  'nuisanceTimes',
  'groupNuisanceKind',
  'policeContact',
  'atmosphere',
  'mostAffected',
] as const;
export type PrepTextField = (typeof PREP_TEXT_FIELDS)[number];
/** Fields that are one short line on the card; the rest are multi-line. */
export const PREP_SHORT_FIELDS: readonly PrepTextField[] = ['nuisanceArea', 'groupName', 'hangouts', 'ages', 'nuisanceTimes'];
export const PREP_FIELDS = [...PREP_TEXT_FIELDS, 'classification', 'groupSize', 'livesInDistrict'] as const;
export type PrepField = (typeof PREP_FIELDS)[number];

export const prepFieldsSchema = z
  .object({
    ...(Object.fromEntries(PREP_TEXT_FIELDS.map((f) => [f, z.string().max(MEETING_LIMITS.prepText).optional()])) as Record<
      PrepTextField,
      z.ZodOptional<z.ZodString>
    >),
    classification: z.enum(TARGET_GROUP_CLASSES).optional(),
    groupSize: z.number().int().min(1).max(MEETING_LIMITS.groupSizeMax).optional(),
    livesInDistrict: z.enum(YES_NO_UNKNOWN).optional(),
  })
  .strict();
export type PrepFields = z.infer<typeof prepFieldsSchema>;

/** One partner's preparation for one meeting; edited until the meeting starts. */
export const preparationSchema = z
  .object({
    meetingId: entityId,
    organisation: directoryId,
    by: actorRef,
    /** "Ingevuld op" of appendix 1: the first submit. */
    submittedAt: instant,
    updatedAt: instant,
    fields: prepFieldsSchema,
  })
  .strict();
export type Preparation = z.infer<typeof preparationSchema>;

export type PrepErrorCode = 'tooLong' | 'classInvalid' | 'groupSizeInvalid' | 'yesNoInvalid' | 'empty';

/**
 * Validates the preparation card's inputs (strings, as Teams sends them). Every field is
 * optional, but an entirely empty preparation is not a preparation.
 */
export function validatePrep(
  values: Partial<Record<PrepField, string>>,
): { ok: true; fields: PrepFields } | { ok: false; errors: Partial<Record<PrepField | 'form', PrepErrorCode>> } {
  const errors: Partial<Record<PrepField | 'form', PrepErrorCode>> = {};
  const fields: Record<string, unknown> = {};
  for (const f of PREP_TEXT_FIELDS) {
    const raw = values[f];
    if (raw === undefined) continue;
    const short = PREP_SHORT_FIELDS.includes(f);
    const v = short ? cleanLine(raw) : cleanMultiline(raw);
    if (v === '') continue;
    const max = short ? MEETING_LIMITS.prepShort : MEETING_LIMITS.prepText;
    if ([...v].length > max) errors[f] = 'tooLong';
    else fields[f] = v;
  }
  const cls = values.classification?.trim();
  if (cls) {
    if ((TARGET_GROUP_CLASSES as readonly string[]).includes(cls)) fields.classification = cls;
    else errors.classification = 'classInvalid';
  }
  const size = values.groupSize?.trim();
  if (size) {
    const n = /^\d{1,4}$/.test(size) ? Number(size) : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= MEETING_LIMITS.groupSizeMax) fields.groupSize = n;
    else errors.groupSize = 'groupSizeInvalid';
  }
  const lives = values.livesInDistrict?.trim();
  if (lives) {
    if ((YES_NO_UNKNOWN as readonly string[]).includes(lives)) fields.livesInDistrict = lives;
    else errors.livesInDistrict = 'yesNoInvalid';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (Object.keys(fields).length === 0) return { ok: false, errors: { form: 'empty' } };
  return { ok: true, fields: prepFieldsSchema.parse(fields) };
}

// --- advice ---------------------------------------------------------------------------------------

export const adviceAnswerSchema = z
  .object({
    meetingId: entityId,
    organisation: directoryId,
    by: actorRef,
    text: z.string().min(1).max(MEETING_LIMITS.adviceAnswer),
    answeredAt: instant,
    updatedAt: instant,
  })
  .strict();
export type AdviceAnswer = z.infer<typeof adviceAnswerSchema>;
