import { z } from 'zod';
import { nl } from '../i18n/nl.js';
import type { Intervention } from './intervention.js';
import { cleanMultiline } from './meeting.js';
import { localDateString, localToInstant, parseCalendarDate, shiftLocal } from './signal.js';

/**
 * Terugkoppeling (§4 step 3, §5): the responsible partner reports whether an intervention was carried
 * out and with what effect. Pure rules: form validation, routing by who handles the case, the overdue
 * schedule and the status shown on the director's overview. Used by src/app/feedback.ts.
 */

export const EXECUTED = ['ja', 'nee', 'gedeeltelijk'] as const;
export const FEEDBACK_EFFECTS = ['geen', 'onvoldoende', 'voldoende', 'nog-niet'] as const;
export const FOLLOW_UP = ['ja', 'nee'] as const;
export type Executed = (typeof EXECUTED)[number];
export type FeedbackEffect = (typeof FEEDBACK_EFFECTS)[number];

/**
 * Who handles the case's persons, i.e. who gets the details of feedback (need-to-know, §5):
 * the wijkmanager at overlast; the Kerngroep (its chair); the Interventieteam (its regisseur).
 * The Kerngroep feature sets it (`case-handled-by:<caseId>`); absent means `wijkmanager`.
 */
export const HANDLED_BY = ['wijkmanager', 'kerngroep', 'interventieteam'] as const;
export type HandledBy = (typeof HANDLED_BY)[number];

export const FEEDBACK_LIMITS = { explanation: 2000 } as const;

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const instant = z.string().datetime({ offset: true });

export const feedbackValuesSchema = z
  .object({
    executed: z.enum(EXECUTED),
    executedOn: date.optional(),
    effect: z.enum(FEEDBACK_EFFECTS),
    explanation: z.string().max(FEEDBACK_LIMITS.explanation).optional(),
    followUp: z.enum(FOLLOW_UP),
  })
  .strict();
export type FeedbackValues = z.infer<typeof feedbackValuesSchema>;

export const feedbackEntrySchema = feedbackValuesSchema
  .extend({ by: z.object({ userId: z.string().min(1), organisation: z.string().min(1) }).strict(), at: instant, cardId: z.string().uuid() })
  .strict();
export type FeedbackEntry = z.infer<typeof feedbackEntrySchema>;

/** `feedback:<interventionId>`: the current feedback and every earlier version (corrections). */
export const feedbackDocSchema = z
  .object({ interventionId: z.string().uuid(), current: feedbackEntrySchema, history: z.array(feedbackEntrySchema) })
  .strict();
export type FeedbackDoc = z.infer<typeof feedbackDocSchema>;

export const FEEDBACK_FIELDS = ['executed', 'executedOn', 'effect', 'explanation', 'followUp'] as const;
export type FeedbackField = (typeof FEEDBACK_FIELDS)[number];
export type FeedbackErrorCode = 'required' | 'invalid' | 'dateInvalid' | 'dateInFuture' | 'explanationRequired' | 'tooLong';

/** Whether the toelichting is required: not (fully) carried out, or effect geen / onvoldoende. */
export function explanationRequired(v: { executed?: string; effect?: string }): boolean {
  return v.executed === 'nee' || v.executed === 'gedeeltelijk' || v.effect === 'geen' || v.effect === 'onvoldoende';
}

/**
 * Validates the card's inputs. Errors per field (shown next to it, values kept). The execution date
 * is required when (partly) executed, and not in the future.
 */
export function validateFeedback(
  raw: Readonly<Record<string, unknown>>,
  now: Date,
  timeZone: string,
): { ok: true; values: FeedbackValues } | { ok: false; errors: Partial<Record<FeedbackField, FeedbackErrorCode>> } {
  const s = (k: FeedbackField): string | undefined => {
    const v = raw[k];
    if (typeof v !== 'string') return undefined;
    const c = k === 'explanation' ? cleanMultiline(v) : v.trim();
    return c === '' ? undefined : c;
  };
  const errors: Partial<Record<FeedbackField, FeedbackErrorCode>> = {};
  const executed = s('executed');
  const effect = s('effect');
  const followUp = s('followUp');
  const executedOn = s('executedOn');
  const explanation = s('explanation');
  if (!executed) errors.executed = 'required';
  else if (!(EXECUTED as readonly string[]).includes(executed)) errors.executed = 'invalid';
  if (!effect) errors.effect = 'required';
  else if (!(FEEDBACK_EFFECTS as readonly string[]).includes(effect)) errors.effect = 'invalid';
  if (!followUp) errors.followUp = 'required';
  else if (!(FOLLOW_UP as readonly string[]).includes(followUp)) errors.followUp = 'invalid';
  if (executedOn) {
    if (!parseCalendarDate(executedOn)) errors.executedOn = 'dateInvalid';
    else if (executedOn > localDateString(now, timeZone)) errors.executedOn = 'dateInFuture';
  } else if (executed === 'ja' || executed === 'gedeeltelijk') errors.executedOn = 'required';
  if (explanation && [...explanation].length > FEEDBACK_LIMITS.explanation) errors.explanation = 'tooLong';
  else if (!explanation && explanationRequired({ ...(executed ? { executed } : {}), ...(effect ? { effect } : {}) })) errors.explanation = 'explanationRequired';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const parsed = feedbackValuesSchema.safeParse({
    executed,
    ...(executedOn && executed !== 'nee' ? { executedOn } : {}),
    effect,
    ...(explanation ? { explanation } : {}),
    followUp,
  });
  if (!parsed.success) return { ok: false, errors: { executed: 'invalid' } };
  return { ok: true, values: parsed.data };
}

// --- routing (need-to-know, §4–5) -------------------------------------------------------------------

export type FeedbackRecipientRole = 'wijkmanager' | 'voorzitter' | 'regisseur-it';

/**
 * Who gets the details of feedback and who only the general notice ("er is terugkoppeling gegeven
 * op casus …", not what, when or by whom). The access policy (`feedback.read`) makes the same
 * distinction per actor; this says whom to look up in the directory.
 */
export function feedbackRouting(handledBy: HandledBy): { details: FeedbackRecipientRole; general: FeedbackRecipientRole[] } {
  switch (handledBy) {
    case 'wijkmanager':
      return { details: 'wijkmanager', general: [] };
    case 'kerngroep':
      return { details: 'voorzitter', general: ['wijkmanager'] };
    case 'interventieteam':
      return { details: 'regisseur-it', general: ['wijkmanager'] };
  }
}

// --- follow-through: due date, reminder, director -----------------------------------------------------

export interface OverdueConfig {
  /** Local time of day the feedback card goes out on the due date. */
  requestHour: number;
  /** No feedback this many days after the due date: the partner is reminded. */
  partnerReminderDays: number;
  /** No feedback this many days after the due date: the director is told. */
  directorDays: number;
}

export const DEFAULT_OVERDUE: OverdueConfig = { requestHour: 9, partnerReminderDays: 2, directorDays: 7 };

/** When each step fires, in wall-clock days in `timeZone` (DST-safe). */
export function overdueSchedule(feedbackDue: string, cfg: OverdueConfig, timeZone: string): { request: Date; partnerReminder: Date; director: Date } {
  const d = parseCalendarDate(feedbackDue);
  if (!d) throw new TypeError(`not a date: ${feedbackDue}`);
  const request = localToInstant({ ...d, hour: cfg.requestHour, minute: 0 }, timeZone);
  return {
    request,
    partnerReminder: shiftLocal(request, { days: cfg.partnerReminderDays }, timeZone),
    director: shiftLocal(request, { days: cfg.directorDays }, timeZone),
  };
}

export type OverdueStep = 'request' | 'partnerReminder' | 'director';

/** The steps that are due at `now` for an intervention (none of the reminders once feedback exists). */
export function dueSteps(feedbackDue: string, hasFeedback: boolean, now: Date, cfg: OverdueConfig, timeZone: string): OverdueStep[] {
  const s = overdueSchedule(feedbackDue, cfg, timeZone);
  const steps: OverdueStep[] = [];
  if (now >= s.request && !hasFeedback) steps.push('request');
  if (now >= s.partnerReminder && !hasFeedback) steps.push('partnerReminder');
  if (now >= s.director && !hasFeedback) steps.push('director');
  return steps;
}

// --- the director's overview --------------------------------------------------------------------------

export type InterventionStatus = 'gepland' | 'te-laat' | 'uitgevoerd' | 'niet-uitgevoerd';

export function interventionStatus(i: Pick<Intervention, 'feedbackDue'>, feedback: FeedbackEntry | undefined, now: Date, timeZone: string): InterventionStatus {
  if (feedback) return feedback.executed === 'nee' ? 'niet-uitgevoerd' : 'uitgevoerd';
  return localDateString(now, timeZone) > i.feedbackDue ? 'te-laat' : 'gepland';
}

/** Overdue first, then by due date. */
export function sortForOverview<T extends { status: InterventionStatus; feedbackDue: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.status === 'te-laat' ? 0 : 1) - (b.status === 'te-laat' ? 0 : 1) || a.feedbackDue.localeCompare(b.feedbackDue));
}

/** De-escalation may be offered: every intervention has feedback with effect voldoende. */
export function allSufficient(effects: readonly (FeedbackEffect | undefined)[]): boolean {
  return effects.length > 0 && effects.every((e) => e === 'voldoende');
}

/**
 * `FEEDBACK_OVERDUE`, e.g. `2,7`: days after the due date until the partner is reminded, and until
 * the director is told. Whole days 1..90, the reminder before the director.
 */
export function parseOverdue(text: string): { ok: true; value: Pick<OverdueConfig, 'partnerReminderDays' | 'directorDays'> } | { ok: false; problem: string } {
  const m = /^\s*(\d{1,2})\s*,\s*(\d{1,2})\s*$/.exec(text);
  if (!m) return { ok: false, problem: nl.config.feedbackOverdue.format };
  const partnerReminderDays = Number(m[1]);
  const directorDays = Number(m[2]);
  if (partnerReminderDays < 1 || directorDays > 90 || partnerReminderDays >= directorDays)
    return { ok: false, problem: nl.config.feedbackOverdue.order };
  return { ok: true, value: { partnerReminderDays, directorDays } };
}
