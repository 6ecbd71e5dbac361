import { z } from 'zod';
import { nl } from '../i18n/nl.js';
import type { Level } from './access.js';
import type { District } from './directory.js';
import { locationKey, tidyLocation } from './location.js';

/**
 * Signals (meldingen, §2 of the process), the cases they form and the police contacts that feed the
 * "2 police contacts in 6 months" threshold (§5): entity schemas, the schema of the report card's
 * submit data, and the Europe/Amsterdam wall-clock conversions that both need.
 */

// --- vocabularies ---------------------------------------------------------------------------------

export const SIGNAL_KINDS = ['overlast', 'zorg'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const CATEGORIES = [
  'geluid',
  'intimidatie',
  'zwerfafval',
  'vernieling',
  'drugs',
  'alcohol',
  'hangjongeren',
  'verkeer',
  'agressie',
  'overig',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['laag', 'middel', 'hoog'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SUBJECTS = ['locatie', 'groep', 'persoon'] as const;
export type Subject = (typeof SUBJECTS)[number];

export const SOURCES = ['eigen-waarneming', 'bewoner', 'partner'] as const;
export type Source = (typeof SOURCES)[number];

export const LEVELS = ['hinder', 'overlast', 'ernstig'] as const satisfies readonly Level[];

/** Bounds on every string the card can send; the card's own maxLength mirrors them. */
export const LIMITS = {
  description: 2000,
  location: 200,
  personName: 200,
  policeReference: 50,
  categoryOther: 200,
  passOnReason: 1000,
  groupSizeMin: 2,
  groupSizeMax: 500,
  /** No input of the card can produce more: a longer value is a forged payload, not a typo. */
  raw: 10_000,
} as const;

export const SIGNAL_REF = /^M-\d{4}-\d{5,}$/;
export const CASE_REF = /^C-\d{4}-\d{5,}$/;

/** `M-2026-00042`: the human reference shown to partners (§2); internal ids stay random UUIDs. */
export function formatRef(prefix: 'M' | 'C', year: number, seq: number): string {
  return `${prefix}-${year}-${String(seq).padStart(5, '0')}`;
}

// --- wall-clock time in a time zone (DST-aware, Intl only) ----------------------------------------

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** localParts the slow, always-right way: ask Intl. */
function intlParts(ms: number, timeZone: string): LocalDateTime & { second: number } {
  const parts = formatterFor(timeZone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** UTC offset (ms, whole seconds) at `ms` according to Intl. */
function intlOffsetMs(ms: number, timeZone: string): number {
  const p = intlParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * UTC offset per (time zone, UTC hour), or null when the offset changes within that hour. An
 * assessment converts every signal's time (formatToParts is ~100× slower than Date arithmetic),
 * while a zone changes its offset a few times a year; the cache is bounded and simply restarts.
 */
const hourOffsets = new Map<string, Map<number, number | null>>();
const HOUR = 3_600_000;
const DAY = 86_400_000;

function cachedHourOffset(ms: number, timeZone: string): number | null {
  const hour = Math.floor(ms / HOUR);
  let zone = hourOffsets.get(timeZone);
  if (zone === undefined) {
    zone = new Map();
    hourOffsets.set(timeZone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    const start = intlOffsetMs(hour * HOUR, timeZone);
    offset = start === intlOffsetMs(hour * HOUR + HOUR - 1, timeZone) ? start : null;
    if (zone.size >= 100_000) zone.clear();
    zone.set(hour, offset);
  }
  return offset;
}

/** The wall-clock date and time at `instant` in `timeZone`, with seconds. */
export function localParts(instant: Date | number, timeZone: string): LocalDateTime & { second: number } {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const offset = cachedHourOffset(ms, timeZone);
  if (offset === null) return intlParts(ms, timeZone);
  const local = new Date(ms + offset);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/**
 * The local calendar day at `ms` as a day number (days since 1970-01-01, so 0 is a Thursday) and
 * the local hour: what an assessment needs per signal, without building a date.
 */
export function localDayAndHour(ms: number, timeZone: string): { day: number; hour: number } {
  const offset = cachedHourOffset(ms, timeZone);
  if (offset === null) {
    const p = intlParts(ms, timeZone);
    return { day: Date.UTC(p.year, p.month - 1, p.day) / DAY, hour: p.hour };
  }
  const local = ms + offset;
  const day = Math.floor(local / DAY);
  return { day, hour: Math.floor((local - day * DAY) / HOUR) };
}

/** UTC offset in minutes at `instantMs` (Europe/Amsterdam: 60 in winter, 120 in summer). */
export function offsetMinutes(instantMs: number, timeZone: string): number {
  const p = localParts(instantMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const wholeSeconds = Math.floor(instantMs / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60_000);
}

/**
 * The instant a wall-clock time denotes in `timeZone`. Around DST changes we do what Temporal's
 * 'compatible' disambiguation does: a time that does not exist (2026-03-29 02:30 in Amsterdam) is
 * moved forward by the gap (03:30 CEST); a time that occurs twice (2026-10-25 02:30) is the first
 * occurrence (CEST). Assumes offsets change at most once within ±1 day, true for every real zone.
 */
export function localToInstant(local: LocalDateTime, timeZone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const day = 86_400_000;
  const before = offsetMinutes(wall - day, timeZone);
  const after = offsetMinutes(wall + day, timeZone);
  const candidates = [...new Set([before, after])]
    .map((o) => wall - o * 60_000)
    .filter((t) => {
      const p = localParts(t, timeZone);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
    })
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return new Date(first);
  // In the gap: read the wall time with the offset from before the change, which lands after it.
  return new Date(wall - before * 60_000);
}

/** `YYYY-MM-DD` of `instant` in `timeZone` (the value format of Input.Date). */
export function localDateString(instant: Date | number, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** `HH:mm` of `instant` in `timeZone` (the value format of Input.Time). */
export function localTimeString(instant: Date | number, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** The same wall-clock time `days` (and `years`) earlier or later; DST-aware. */
export function shiftLocal(instant: Date | number, by: { days?: number; years?: number }, timeZone: string): Date {
  const p = localParts(instant, timeZone);
  const year = p.year + (by.years ?? 0);
  // 29 February one year back is 28 February: clamp to the month's last day.
  const day = Math.min(p.day, daysInMonth(year, p.month));
  const moved = new Date(Date.UTC(year, p.month - 1, day + (by.days ?? 0)));
  return localToInstant(
    { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate(), hour: p.hour, minute: p.minute },
    timeZone,
  );
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD` that is a real calendar date (no 2026-02-30). */
export function parseCalendarDate(text: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** `HH:mm` (Teams sometimes adds `:ss`). */
export function parseClockTime(text: string): { hour: number; minute: number } | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/.exec(text);
  if (!m) return undefined;
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

// --- entities -------------------------------------------------------------------------------------

const entityId = z.string().uuid();
const directoryId = z.string().min(1).max(100);
const instant = z.string().datetime({ offset: true });
const actorRef = z.object({ userId: directoryId, organisation: directoryId }).strict();

export const personSchema = z
  .object({
    name: z.string().min(1).max(LIMITS.personName),
    /** `YYYY-MM-DD`. */
    dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  })
  .strict();
export type Person = z.infer<typeof personSchema>;

export const signalSchema = z
  .object({
    id: entityId,
    ref: z.string().regex(SIGNAL_REF),
    kind: z.enum(SIGNAL_KINDS),
    district: directoryId,
    location: z.string().min(1).max(LIMITS.location),
    locationKey: z.string().min(1),
    observedAt: instant,
    reportedAt: instant,
    categories: z.array(z.enum(CATEGORIES)).min(1),
    categoryOther: z.string().max(LIMITS.categoryOther).optional(),
    severity: z.enum(SEVERITIES),
    subject: z.enum(SUBJECTS),
    groupSize: z.number().int().min(LIMITS.groupSizeMin).max(LIMITS.groupSizeMax).optional(),
    /** Only for subject 'persoon'. Who may see it: the access policy's 'person-data.read'. */
    person: personSchema.optional(),
    /** HMAC of the person's normalised name + date of birth (see domain/case.ts). */
    personKey: z.string().optional(),
    source: z.enum(SOURCES),
    description: z.string().min(1).max(LIMITS.description),
    policeContactId: entityId.optional(),
    reporter: actorRef.extend({ fromPolice: z.boolean() }).strict(),
    caseId: entityId,
    caseRef: z.string().regex(CASE_REF),
    /** The form instance it came from: one card, one signal. */
    cardId: entityId,
  })
  .strict();
export type Signal = z.infer<typeof signalSchema>;

/** A nuisance-related police record (mutatie), §5: counted per person over 6 months. */
export const policeContactSchema = z
  .object({
    id: entityId,
    reference: z.string().min(1).max(LIMITS.policeReference),
    signalId: entityId,
    signalRef: z.string().regex(SIGNAL_REF),
    caseId: entityId,
    personKey: z.string().optional(),
    observedAt: instant,
    recordedAt: instant,
    recordedBy: actorRef,
  })
  .strict();
export type PoliceContact = z.infer<typeof policeContactSchema>;

export const PASS_ON_STATUSES = ['pending-delivery', 'delivered', 'failed'] as const;
export type PassOnStatus = (typeof PASS_ON_STATUSES)[number];

export const passOnSchema = z
  .object({
    id: entityId,
    at: instant,
    by: actorRef,
    reason: z.string().min(1).max(LIMITS.passOnReason),
    /** Set by the escalation outbox (rule doorgezet, src/app/escalation.ts) once the wijkmanager's notice is delivered or failed. */
    status: z.enum(PASS_ON_STATUSES),
  })
  .strict();
export type PassOn = z.infer<typeof passOnSchema>;

export const caseEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('created'), at: instant, by: actorRef, signalRef: z.string().regex(SIGNAL_REF) }).strict(),
  z.object({ type: z.literal('pass-on-requested'), at: instant, by: actorRef, passOnId: entityId }).strict(),
  z
    .object({
      type: z.literal('level-changed'),
      at: instant,
      by: actorRef,
      from: z.enum(LEVELS),
      to: z.enum(LEVELS),
      reason: z.string().min(1).max(LIMITS.passOnReason),
    })
    .strict(),
  // Casusoverleg (src/app/meetings.ts): planned, rescheduled, cancelled, agreements recorded.
  z
    .object({
      type: z.literal('meeting'),
      at: instant,
      by: actorRef,
      meetingId: entityId,
      meetingRef: z.string().regex(/^O-\d{4}-\d{5,}$/),
      change: z.enum(['planned', 'rescheduled', 'cancelled', 'agreements-recorded']),
      interventions: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('intervention-agreed'),
      at: instant,
      by: actorRef,
      interventionId: entityId,
      meetingRef: z.string().regex(/^O-\d{4}-\d{5,}$/),
      organisation: directoryId,
      feedbackDue: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    })
    .strict(),
  // Terugkoppeling (src/app/feedback.ts): only on cases the wijkmanager handles; no effect or text.
  z.object({ type: z.literal('feedback-given'), at: instant, by: actorRef, interventionId: entityId, organisation: directoryId }).strict(),
  // §5: the Kerngroep chair handed the case to the Interventieteam (src/app/escalation.ts); the reason is on the firing record.
  z.object({ type: z.literal('handed-over'), at: instant, by: actorRef, to: z.literal('interventieteam') }).strict(),
]);
export type CaseEvent = z.infer<typeof caseEventSchema>;

export const caseSchema = z
  .object({
    id: entityId,
    ref: z.string().regex(CASE_REF),
    kind: z.enum(SIGNAL_KINDS),
    district: directoryId,
    subject: z.enum(SUBJECTS),
    level: z.enum(LEVELS),
    status: z.enum(['open', 'closed']),
    /** Directs at hinder level: the reporting partner, or for a zorgmelding the care partner (§1–2). */
    hinderDirector: directoryId,
    location: z.string().min(1).max(LIMITS.location),
    locationKey: z.string().min(1),
    personKey: z.string().optional(),
    involvedOrganisations: z.array(directoryId),
    signalCount: z.number().int().min(0),
    createdAt: instant,
    updatedAt: instant,
    events: z.array(caseEventSchema),
    passOns: z.array(passOnSchema),
    /** Who handles the case beyond the wijkmanager: set to 'kerngroep' when the chair accepts a registration. */
    handledBy: z.enum(['wijkmanager', 'kerngroep', 'interventieteam']).optional(),
    /**
     * Set when the case is closed (afgesloten: the last afschalen step, from hinder; src/domain/case.ts).
     * `at` starts the retention period: the retention job deletes the case RETENTION_MONTHS later.
     */
    closed: z.object({ at: instant, by: actorRef, reason: z.string().min(1).max(LIMITS.passOnReason) }).strict().optional(),
  })
  .strict();
export type Case = z.infer<typeof caseSchema>;

// --- the report card's submit data ----------------------------------------------------------------

export const FORM_FIELDS = [
  'kind',
  'district',
  'hotspot',
  'location',
  'observedDate',
  'observedTime',
  'categories',
  'categoryOther',
  'severity',
  'subject',
  'groupSize',
  'personName',
  'personDob',
  'source',
  'description',
] as const;
/** Only on the card of a police user (§4: police records feed the Kerngroep threshold). */
export const POLICE_FIELDS = ['policeContact', 'policeReference'] as const;
export type FieldId = (typeof FORM_FIELDS)[number] | (typeof POLICE_FIELDS)[number];

/** What the card shows in its inputs: the user's own values, as strings. */
export type SignalFormValues = Partial<Record<FieldId, string>>;

export type SignalErrorCode = keyof typeof nl.signals.errors;
export type FieldErrors = Partial<Record<FieldId, string>>;

/** A validated report, ready to be stored. */
export interface SignalInput {
  kind: SignalKind;
  district: string;
  location: string;
  locationKey: string;
  observedAt: Date;
  categories: Category[];
  categoryOther?: string;
  severity: Severity;
  subject: Subject;
  groupSize?: number;
  person?: Person;
  source: Source;
  description: string;
  policeContact?: { reference: string };
}

export interface SignalFormContext {
  now: Date;
  timeZone: string;
  districts: readonly District[];
  /** The card of a police user has the politiecontact fields; anyone else's does not. */
  isPolice: boolean;
}

export type ForgedReason = 'unknown-fields' | 'oversized' | 'bad-shape';

export type SignalFormResult =
  | { ok: true; cardId: string; input: SignalInput; values: SignalFormValues }
  | {
      ok: false;
      kind: 'invalid';
      cardId: string;
      errors: FieldErrors;
      codes: Partial<Record<FieldId, SignalErrorCode>>;
      values: SignalFormValues;
    }
  /** Data the card cannot have produced: refused as a whole, values not echoed. */
  | { ok: false; kind: 'forged'; reason: ForgedReason };

const rawText = z.string().max(LIMITS.raw);

/**
 * The shape of Action.Execute data for the report card: the card's own `cardId` plus its inputs
 * (Teams sends every input as a string; some clients send numbers for Input.Number and booleans
 * for toggles). Unknown keys are refused: they are not on the card, so someone built the payload.
 */
function buildEnvelopeSchema(isPolice: boolean) {
  // null is how some clients send an untouched input: the same as absent.
  const fields = Object.fromEntries(FORM_FIELDS.map((f) => [f, rawText.nullish()])) as Record<
    (typeof FORM_FIELDS)[number],
    z.ZodOptional<z.ZodNullable<typeof rawText>>
  >;
  const base = {
    cardId: z.string().uuid(),
    ...fields,
    groupSize: z.union([rawText, z.number().finite()]).nullish(),
  };
  const police = {
    policeContact: z.union([rawText, z.boolean()]).nullish(),
    policeReference: rawText.nullish(),
  };
  return isPolice ? z.object({ ...base, ...police }).strict() : z.object({ ...base }).strict();
}

/** The report form's envelope, for police users (with the police-contact fields) or everyone else; built once. */
const ENVELOPES = { police: buildEnvelopeSchema(true), other: buildEnvelopeSchema(false) };
export const signalEnvelopeSchema = (isPolice: boolean) => (isPolice ? ENVELOPES.police : ENVELOPES.other);

/** Only the card id, e.g. to find out whose card a forged payload claims to be. */
export const cardIdSchema = z.object({ cardId: z.string().uuid() }).passthrough();

/** Parses the envelope and keeps the values as strings for the card, without judging them. */
export function readFormEnvelope(
  data: unknown,
  isPolice: boolean,
): { ok: true; cardId: string; values: SignalFormValues } | { ok: false; reason: ForgedReason } {
  const parsed = signalEnvelopeSchema(isPolice).safeParse(data);
  if (!parsed.success) {
    const codes = parsed.error.issues.map((i) => i.code);
    const reason: ForgedReason = codes.includes('unrecognized_keys')
      ? 'unknown-fields'
      : codes.includes('too_big')
        ? 'oversized'
        : 'bad-shape';
    return { ok: false, reason };
  }
  const values: SignalFormValues = {};
  for (const [key, value] of Object.entries(parsed.data)) {
    if (key === 'cardId' || value === undefined || value === null) continue;
    values[key as FieldId] = typeof value === 'string' ? value : String(value);
  }
  return { ok: true, cardId: parsed.data.cardId, values };
}

const codeOf = (code: SignalErrorCode) => code;
const TRUE_VALUES = new Set(['true', 'ja', 'on', '1']);
const FALSE_VALUES = new Set(['false', 'nee', 'off', '0']);

/**
 * Per-field schemas: each issue's message is an error code, mapped to Dutch by the caller. Those
 * that depend on nothing but the field are built once (building them per submit was a fifth of
 * what a submit allocated).
 */
const STATIC_FIELDS = {
  kind: z.enum(SIGNAL_KINDS, { errorMap: () => ({ message: codeOf('kindInvalid') }) }),
  // A text without a letter or digit ('locationEmpty') is checked by validateSignalForm, which
  // needs the location's key anyway (normalising a location is the dearest step of the form).
  location: z.string().max(LIMITS.location, codeOf('locationTooLong')),
  observedDate: z.string().refine((s) => parseCalendarDate(s) !== undefined, codeOf('dateInvalid')),
  observedTime: z.string().refine((s) => parseClockTime(s) !== undefined, codeOf('timeInvalid')),
  categories: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    )
    .pipe(
      z
        .array(z.enum(CATEGORIES, { errorMap: () => ({ message: codeOf('categoryUnknown') }) }))
        .min(1, codeOf('categoriesRequired')),
    ),
  categoryOther: z.string().max(LIMITS.categoryOther, codeOf('categoryOtherTooLong')),
  severity: z.enum(SEVERITIES, { errorMap: () => ({ message: codeOf('severityInvalid') }) }),
  subject: z.enum(SUBJECTS, { errorMap: () => ({ message: codeOf('subjectInvalid') }) }),
  groupSize: z
    .string()
    .regex(/^\d{1,6}$/, codeOf('groupSizeInvalid'))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(LIMITS.groupSizeMin, codeOf('groupSizeInvalid'))
        .max(LIMITS.groupSizeMax, codeOf('groupSizeInvalid')),
    ),
  personName: z
    .string()
    .max(LIMITS.personName, codeOf('personNameTooLong'))
    .refine((s) => /\p{L}/u.test(s), codeOf('personNameInvalid')),
  source: z.enum(SOURCES, { errorMap: () => ({ message: codeOf('sourceInvalid') }) }),
  description: z.string().max(LIMITS.description, codeOf('descriptionTooLong')),
  policeContact: z
    .string()
    .transform((s) => s.toLowerCase())
    .refine((s) => TRUE_VALUES.has(s) || FALSE_VALUES.has(s), codeOf('policeContactInvalid'))
    .transform((s) => TRUE_VALUES.has(s)),
  policeReference: z
    .string()
    .max(LIMITS.policeReference, codeOf('policeReferenceTooLong'))
    .regex(/^[\p{L}\p{N} ./_-]+$/u, codeOf('policeReferenceInvalid')),
};

/**
 * Every field's schema: the static ones and those that depend on the directory and today's date.
 * Building zod schemas costs more than using them, so they are kept per directory (its district
 * list), district and local date; a handful of entries a day.
 */
function fieldSchemas(ctx: SignalFormContext, district: District | undefined) {
  const todayLocal = localDateString(ctx.now, ctx.timeZone);
  let perDirectory = fieldSchemaCache.get(ctx.districts);
  if (perDirectory === undefined) {
    perDirectory = new Map();
    fieldSchemaCache.set(ctx.districts, perDirectory);
  }
  const key = `${district?.id ?? ''}|${todayLocal}`;
  let schemas = perDirectory.get(key);
  if (schemas === undefined) {
    if (perDirectory.size >= 1_000) perDirectory.clear();
    schemas = buildFieldSchemas(ctx.districts, district, todayLocal);
    perDirectory.set(key, schemas);
  }
  return schemas;
}

function buildFieldSchemas(districts: readonly District[], district: District | undefined, todayLocal: string) {
  return {
    ...STATIC_FIELDS,
    district: z.string().refine((id) => districts.some((d) => d.id === id), codeOf('districtUnknown')),
    hotspot: z
      .string()
      .max(LIMITS.location, codeOf('hotspotUnknown'))
      // A hotspot from another district, or one not in the directory: not a choice the card offered.
      .refine((h) => district === undefined || district.hotspots.includes(h), codeOf('hotspotUnknown')),
    personDob: z
      .string()
      .refine((s) => parseCalendarDate(s) !== undefined, codeOf('dobInvalid'))
      // A date of birth is a real past date: before today (local) and not before 1900.
      .refine((s) => s >= '1900-01-01' && s < todayLocal, codeOf('dobNotPast')),
  };
}

const fieldSchemaCache = new WeakMap<readonly District[], Map<string, ReturnType<typeof buildFieldSchemas>>>();

/** Control characters other than newline and tab have no place in a report. */
function cleanText(s: string, keepNewlines: boolean): string {
  const unified = s.replace(/\r\n?/g, '\n');
  const stripped = unified.replace(keepNewlines ? /[\u0000-\u0008\u000B-\u001F\u007F]/g : /[\u0000-\u001F\u007F]/g, keepNewlines ? '' : ' ');
  return keepNewlines ? stripped.replace(/\n{3,}/g, '\n\n').trim() : stripped.replace(/\s+/g, ' ').trim();
}

/**
 * Validates the report card's submit data. Three outcomes: a valid report; field errors (the card
 * comes back with the user's values and a Dutch message under each wrong field — nothing stored);
 * or a forged payload (fields the card does not have, values no input can produce).
 */
export function validateSignalForm(
  data: unknown,
  ctx: SignalFormContext,
  /** `readFormEnvelope(data, ctx.isPolice)`, when the caller has read it already. */
  envelope = readFormEnvelope(data, ctx.isPolice),
): SignalFormResult {
  if (!envelope.ok) return { ok: false, kind: 'forged', reason: envelope.reason };
  const { cardId, values } = envelope;

  const codes: Partial<Record<FieldId, SignalErrorCode>> = {};
  const fail = (field: FieldId, code: SignalErrorCode) => {
    codes[field] ??= code;
  };
  const present = (field: FieldId): string | undefined => {
    const v = values[field];
    if (v === undefined) return undefined;
    const cleaned = cleanText(v, field === 'description');
    return cleaned === '' ? undefined : cleaned;
  };

  const districtId = present('district');
  const district = ctx.districts.find((d) => d.id === districtId);
  const schemas = fieldSchemas(ctx, district);

  function check<K extends keyof typeof schemas>(
    field: K,
    missing?: SignalErrorCode,
  ): z.output<(typeof schemas)[K]> | undefined {
    const value = present(field);
    if (value === undefined) {
      if (missing) fail(field, missing);
      return undefined;
    }
    const r = schemas[field].safeParse(value);
    if (r.success) return r.data as z.output<(typeof schemas)[K]>;
    fail(field, (r.error.issues[0]?.message ?? 'invalid') as SignalErrorCode);
    return undefined;
  }

  const kind = check('kind', 'kindRequired');
  const districtOk = check('district', 'districtRequired');
  const hotspot = districtOk !== undefined ? check('hotspot') : undefined;
  const locationChecked = check('location', hotspot === undefined && present('hotspot') === undefined ? 'locationRequired' : undefined);
  const typedKey = locationChecked !== undefined ? locationKey(locationChecked) : undefined;
  if (typedKey === '') fail('location', 'locationEmpty');
  const locationText = typedKey === '' ? undefined : locationChecked;
  const date = check('observedDate', 'dateRequired');
  const time = check('observedTime', 'timeRequired');
  const categories = check('categories', 'categoriesRequired');
  const categoryOther = check('categoryOther');
  const severity = check('severity', 'severityRequired');
  const subject = check('subject', 'subjectRequired');
  const source = check('source', 'sourceRequired');
  const description = check('description', 'descriptionRequired');

  // Observation time: not in the future, not more than a year back (the same local date and time
  // one year earlier is still allowed).
  let observedAt: Date | undefined;
  if (date !== undefined && time !== undefined) {
    const d = parseCalendarDate(date)!;
    const t = parseClockTime(time)!;
    observedAt = localToInstant({ ...d, ...t }, ctx.timeZone);
    if (observedAt.getTime() > ctx.now.getTime()) {
      fail(date === localDateString(ctx.now, ctx.timeZone) ? 'observedTime' : 'observedDate', 'observedInFuture');
    } else if (observedAt.getTime() < shiftLocal(ctx.now, { years: -1 }, ctx.timeZone).getTime()) {
      fail('observedDate', 'observedTooOld');
    }
  }

  if (categories !== undefined) {
    if (categories.includes('overig') && categoryOther === undefined && codes.categoryOther === undefined) {
      fail('categoryOther', 'categoryOtherRequired');
    }
    if (!categories.includes('overig') && categoryOther !== undefined) fail('categoryOther', 'categoryOtherWithoutOverig');
  }

  // Group size is no personal data: a value left over from an earlier choice of 'groep' is ignored.
  const groupSize = subject === 'groep' ? check('groupSize') : undefined;

  // §2: a signal about a situation or a group names places and behaviour, not people.
  let person: Person | undefined;
  if (subject === 'persoon') {
    const name = check('personName', 'personNameRequired');
    const dob = check('personDob', 'dobRequired');
    if (name !== undefined && dob !== undefined) person = { name, dateOfBirth: dob };
  } else if (subject !== undefined) {
    if (present('personName') !== undefined) fail('personName', 'personDataNotAllowed');
    if (present('personDob') !== undefined) fail('personDob', 'personDataNotAllowed');
  }

  let policeContact: { reference: string } | undefined;
  if (ctx.isPolice) {
    const contact = check('policeContact') ?? false;
    const reference = check('policeReference');
    if (contact && reference === undefined && codes.policeReference === undefined) fail('policeReference', 'policeReferenceRequired');
    if (!contact && reference !== undefined) fail('policeReference', 'policeReferenceWithoutContact');
    if (contact && reference !== undefined) policeContact = { reference };
  }

  const errorFields = Object.keys(codes) as FieldId[];
  if (errorFields.length > 0) {
    const errors: FieldErrors = {};
    for (const f of errorFields) errors[f] = nl.signals.errors[codes[f]!];
    return { ok: false, kind: 'invalid', cardId, errors, codes, values };
  }

  const location = tidyLocation(locationText ?? hotspot!);
  const input: SignalInput = {
    kind: kind!,
    district: districtOk!,
    location,
    // tidyLocation only joins whitespace, which the key ignores.
    locationKey: typedKey ?? locationKey(location),
    observedAt: observedAt!,
    categories: CATEGORIES.filter((c) => categories!.includes(c)),
    ...(categoryOther !== undefined ? { categoryOther } : {}),
    severity: severity!,
    subject: subject!,
    ...(groupSize !== undefined ? { groupSize } : {}),
    ...(person ? { person } : {}),
    source: source!,
    description: description!,
    ...(policeContact ? { policeContact } : {}),
  };
  return { ok: true, cardId, input, values };
}

/** The card's starting values: now, the user's own district, a situation seen by the reporter. */
export function defaultFormValues(
  now: Date,
  timeZone: string,
  district: string | undefined,
  isPolice: boolean,
): SignalFormValues {
  return {
    kind: 'overlast',
    ...(district ? { district } : {}),
    observedDate: localDateString(now, timeZone),
    observedTime: localTimeString(now, timeZone),
    subject: 'locatie',
    source: 'eigen-waarneming',
    ...(isPolice ? { policeContact: 'false' } : {}),
  };
}
