import { z } from 'zod';
import { parseReminderSlots, type ReminderSlot } from './domain/meeting.js';
import { parseOverdue } from './domain/feedback.js';
import { DEFAULT_RETENTION_MONTHS, MAX_RETENTION_MONTHS } from './domain/retention.js';
import { nl } from './i18n/nl.js';

const t = nl.config;

/**
 * The whole configuration: one zod schema over the environment. `env.example` documents every
 * variable. Invalid configuration → one clear line per problem, no stack trace (see src/main.ts).
 */

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, t.guid);
const optionalGuid = z.preprocess(emptyToUndefined, guid.optional());
const intIn = (min: number, max: number, dflt: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(dflt));

const envSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
    HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
    PORT: intIn(0, 65535, 3978),
    DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
    REDIS_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .url(t.redisUrl)
        .refine((u) => /^rediss?:\/\//.test(u), t.redisScheme)
        .optional(),
    ),
    MICROSOFT_APP_ID: optionalGuid,
    MICROSOFT_APP_PASSWORD: optionalString,
    MICROSOFT_APP_TENANT_ID: optionalGuid,
    TENANT_ID: optionalGuid,
    DIRECTORY_FILE: optionalString,
    ESCALATION_RULES_FILE: optionalString,
    /** Casusoverleg reminders, e.g. `48:no-answer,24:no-answer,2:attending` (the default). */
    MEETING_REMINDERS: optionalString,
    /** Terugkoppeling follow-through: days after the due date to remind the partner, to tell the director (`2,7`). */
    FEEDBACK_OVERDUE: optionalString,
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    TIME_ZONE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default('Europe/Amsterdam')
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('nl-NL', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, t.unknownTimeZone),
    ),
    MAX_BODY_BYTES: intIn(1024, 10 * 1024 * 1024, 256 * 1024),
    SHUTDOWN_TIMEOUT_MS: intIn(0, 120_000, 10_000),
    RATE_LIMIT_PER_MINUTE: intIn(0, 100_000, 30),
    /** How far the heap may grow past what the last full garbage collection kept, in percent; 0 = V8's own choice. */
    HEAP_GROWING_PERCENT: intIn(0, 400, 100),
    /** Cases closed more than this many months ago are deleted by the daily retention job. */
    RETENTION_MONTHS: intIn(1, MAX_RETENTION_MONTHS, DEFAULT_RETENTION_MONTHS),
    /** Kerngroep inquiry: answers due this many working days before the meeting. */
    KERNGROEP_DEADLINE_WORKING_DAYS: intIn(0, 20, 2),
    /** Kerngroep inquiry: reminders this many days before the meeting (comma-separated, e.g. `3,1`). */
    KERNGROEP_REMINDER_DAYS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^\s*\d{1,2}(\s*,\s*\d{1,2}){0,4}\s*$/, t.reminderDaysFormat)
        .transform((v) => [...new Set(v.split(',').map((d) => Number(d.trim())))].sort((a, b) => b - a))
        .refine((days) => days.every((d) => d >= 1 && d <= 30), t.reminderDaysRange)
        .default('3,1'),
    ),
  })
  .superRefine((env, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (env.MEETING_REMINDERS) {
      const reminders = parseReminderSlots(env.MEETING_REMINDERS);
      if (!reminders.ok) problem('MEETING_REMINDERS', reminders.problem);
    }
    if (env.FEEDBACK_OVERDUE) {
      const overdue = parseOverdue(env.FEEDBACK_OVERDUE);
      if (!overdue.ok) problem('FEEDBACK_OVERDUE', overdue.problem);
    }
    if (env.MICROSOFT_APP_ID && !env.MICROSOFT_APP_PASSWORD)
      problem('MICROSOFT_APP_PASSWORD', t.requiredWith('MICROSOFT_APP_ID'));
    if (!env.MICROSOFT_APP_ID && env.MICROSOFT_APP_PASSWORD)
      problem('MICROSOFT_APP_ID', t.requiredWith('MICROSOFT_APP_PASSWORD'));
    if (env.NODE_ENV === 'production') {
      // The process shares police and care data under a covenant: no production run without
      // authenticated traffic from one tenant and a store that several instances can share.
      for (const key of ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID', 'REDIS_URL', 'DIRECTORY_FILE'] as const) {
        if (!env[key]) problem(key, t.requiredInProduction);
      }
    }
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  redisUrl?: string;
  /** Bot Framework credentials; when absent, JWT validation is off (local development, Playground). */
  auth?: { appId: string; appPassword: string; appTenantId?: string };
  /** Only activities from this Teams tenant are accepted (when set). */
  tenantId?: string;
  directoryFile: string;
  /** Escalation thresholds (YAML/JSON); without it the built-in defaults apply. */
  escalationRulesFile?: string;
  /** Casusoverleg reminder slots; without it the defaults (T-48 h, T-24 h, T-2 h) apply. */
  meetingReminders?: ReminderSlot[];
  /** Terugkoppeling: days after the due date for the partner's reminder and the director's notice. */
  feedbackOverdue?: { partnerReminderDays: number; directorDays: number };
  logLevel: string;
  timeZone: string;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  /** Actions (messages, card clicks) per user per minute; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** V8's heap growing factor as a percentage (see src/runtime.ts); 0 leaves V8's own. */
  heapGrowingPercent: number;
  /** Retention: cases closed more than this many months ago are deleted (daily job, 03:00). */
  retentionMonths: number;
  /** Kerngroep inquiry: deadline in working days and reminder days before the meeting. */
  kerngroep: { deadlineWorkingDays: number; reminderDays: number[] };
}

function reminderSlotsOf(text: string): ReminderSlot[] {
  const parsed = parseReminderSlots(text);
  if (!parsed.ok) throw new Error('Unexpected: MEETING_REMINDERS passed validation but does not parse');
  return parsed.slots;
}

function overdueOf(text: string): { partnerReminderDays: number; directorDays: number } {
  const parsed = parseOverdue(text);
  if (!parsed.ok) throw new Error('Unexpected: FEEDBACK_OVERDUE passed validation but does not parse');
  return parsed.value;
}

export const DEFAULT_DIRECTORY_FILE = 'config/demo-directory.yaml';

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || t.whole}: ${i.message}`),
    };
  }
  const e = parsed.data;
  return {
    ok: true,
    config: {
      env: e.NODE_ENV,
      host: e.HOST,
      port: e.PORT,
      dataDir: e.DATA_DIR,
      ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
      ...(e.MICROSOFT_APP_ID && e.MICROSOFT_APP_PASSWORD
        ? {
            auth: {
              appId: e.MICROSOFT_APP_ID,
              appPassword: e.MICROSOFT_APP_PASSWORD,
              ...(e.MICROSOFT_APP_TENANT_ID ? { appTenantId: e.MICROSOFT_APP_TENANT_ID } : {}),
            },
          }
        : {}),
      ...((e.TENANT_ID ?? e.MICROSOFT_APP_TENANT_ID) ? { tenantId: e.TENANT_ID ?? e.MICROSOFT_APP_TENANT_ID } : {}),
      directoryFile: e.DIRECTORY_FILE ?? DEFAULT_DIRECTORY_FILE,
      ...(e.ESCALATION_RULES_FILE ? { escalationRulesFile: e.ESCALATION_RULES_FILE } : {}),
      ...(e.MEETING_REMINDERS ? { meetingReminders: reminderSlotsOf(e.MEETING_REMINDERS) } : {}),
      ...(e.FEEDBACK_OVERDUE ? { feedbackOverdue: overdueOf(e.FEEDBACK_OVERDUE) } : {}),
      logLevel: e.LOG_LEVEL,
      timeZone: e.TIME_ZONE,
      maxBodyBytes: e.MAX_BODY_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      heapGrowingPercent: e.HEAP_GROWING_PERCENT,
      retentionMonths: e.RETENTION_MONTHS,
      kerngroep: { deadlineWorkingDays: e.KERNGROEP_DEADLINE_WORKING_DAYS, reminderDays: e.KERNGROEP_REMINDER_DAYS },
    },
  };
}
