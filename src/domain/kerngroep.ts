import { z } from 'zod';
import { COLOURS, windowFor, type Colour, type Window, type WindowSpec } from './escalation.js';
import type { OrganisationKind } from './directory.js';
import { FEEDBACK_EFFECTS, type FeedbackEffect } from './feedback.js';

/**
 * The Kerngroep (§5–6 of the process): registrations (aanmelden) by the wijkmanager, the chair's
 * decision, and the Kerngroep meeting with its agenda of persons, each with a colour. Pure.
 *
 * Data per colour (§6): groen — name and date of birth; oranje and rood — plus address, city and
 * BSN. The BSN is stored only for oranje/rood, validated with the elfproef, never rendered in a card
 * and never logged.
 */

export { COLOURS, type Colour };

/** Organisation kinds of the first shell: invited by default. */
export const FIRST_SHELL_KINDS: readonly OrganisationKind[] = [
  'politie',
  'jongerenwerk',
  'handhaving',
  'woningcorporatie',
  'leerplicht',
  'werkshop',
  'sociaal-wijkteam',
];

export const REGISTRATION_REASONS = ['a', 'b'] as const;
export type RegistrationReason = (typeof REGISTRATION_REASONS)[number];

export const KERNGROEP_LIMITS = { justification: 1000, decisionReason: 1000, address: 200, city: 100, raw: 10_000, maxPersons: 30 } as const;
export const MIN_DECISION_REASON = 5;

/** Dutch citizen service number: 9 digits passing the elfproef (11-test). */
export function isValidBsn(bsn: string): boolean {
  if (!/^\d{9}$/.test(bsn)) return false;
  const d = [...bsn].map(Number);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += d[i]! * (9 - i);
  sum -= d[8]!;
  return sum % 11 === 0 && bsn !== '000000000';
}

/**
 * Criterion (a) of §5: earlier phases were tried without enough effect (at least one intervention on
 * the case with effect geen / onvoldoende) AND at least 2 nuisance-related police contacts in the
 * last 6 months — the same reading as the escalation rule `kerngroep-criterium` (its defaults).
 */
export const CRITERION_A = {
  minPoliceContacts: 2,
  window: { months: 6 } as WindowSpec,
  ineffective: ['geen', 'onvoldoende'] as readonly FeedbackEffect[],
} as const;

/** The window of criterion (a): the last 6 months up to now on the wall clock of `timeZone` (DST-proof). */
export function criterionAWindow(now: Date, timeZone: string): Window {
  return windowFor(now, CRITERION_A.window, timeZone);
}

export interface CriterionA {
  holds: boolean;
  /** Police contacts in the window. */
  count: number;
  policeHolds: boolean;
  /** Interventions whose reported effect was geen / onvoldoende. */
  ineffective: number;
  effectHolds: boolean;
}

/**
 * Criterion (a) from the data: `contactDates` are the police contacts already limited to the window
 * (see `criterionAWindow`), `effects` the reported effect per intervention of the case (undefined:
 * no feedback yet, which is not "without effect").
 */
export function criterionA(contactDates: readonly (Date | string)[], effects: readonly (FeedbackEffect | undefined)[], min = CRITERION_A.minPoliceContacts): CriterionA {
  const count = contactDates.length;
  const ineffective = effects.filter((e) => e !== undefined && CRITERION_A.ineffective.includes(e)).length;
  const policeHolds = count >= min;
  const effectHolds = ineffective > 0;
  return { holds: policeHolds && effectHolds, count, policeHolds, ineffective, effectHolds };
}

/** An intervention already deployed on the case, as the registration records it (no personal data). */
export const deployedInterventionSchema = z
  .object({
    organisation: z.string().min(1).max(100),
    /** The instrument's label (never the agreement's free-text description, which may name someone). */
    what: z.string().min(1).max(300),
    agreedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    effect: z.enum(FEEDBACK_EFFECTS).optional(),
  })
  .strict();
export type DeployedIntervention = z.infer<typeof deployedInterventionSchema>;

const entityId = z.string().uuid();
const directoryId = z.string().min(1).max(100);
const instant = z.string().datetime({ offset: true });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const actorRef = z.object({ userId: directoryId, organisation: directoryId }).strict();

export const registeredPersonSchema = z
  .object({ personId: entityId, personKey: z.string().min(1), name: z.string().min(1).max(200), dateOfBirth: date })
  .strict();
export type RegisteredPerson = z.infer<typeof registeredPersonSchema>;

export const registrationSchema = z
  .object({
    id: entityId,
    caseId: entityId,
    caseRef: z.string().min(1).max(50),
    district: directoryId,
    by: actorRef,
    at: instant,
    reason: z.enum(REGISTRATION_REASONS),
    justification: z.string().max(KERNGROEP_LIMITS.justification).optional(),
    /** Criterion (a) as the data showed it at registration: police contact dates (YYYY-MM-DD). */
    policeContactDates: z.array(date),
    /** Interventions already deployed on the case (count of agreed interventions). */
    interventions: z.number().int().min(0),
    /** The same interventions, each with organisation, what and its reported effect. */
    deployed: z.array(deployedInterventionSchema).max(100).optional(),
    /** Criterion (a) as the data showed it: the window's first day and whether it held. */
    criterionA: z.object({ from: date, holds: z.boolean(), ineffective: z.number().int().min(0) }).strict().optional(),
    group: z.boolean(),
    persons: z.array(registeredPersonSchema).min(1).max(KERNGROEP_LIMITS.maxPersons),
    status: z.enum(['aangemeld', 'geaccepteerd', 'teruggegeven', 'geagendeerd']),
    decision: z
      .object({ kind: z.enum(['accept', 'return']), by: actorRef, at: instant, reason: z.string().min(1).max(KERNGROEP_LIMITS.decisionReason) })
      .strict()
      .optional(),
  })
  .strict();
export type Registration = z.infer<typeof registrationSchema>;

export const familyMemberSchema = z.object({ name: z.string().min(1).max(200), dateOfBirth: date }).strict();

export const agendaPersonSchema = z
  .object({
    personId: entityId,
    registrationId: entityId,
    caseId: entityId,
    personKey: z.string().min(1),
    name: z.string().min(1).max(200),
    dateOfBirth: date,
    colour: z.enum(COLOURS),
    /** Oranje / rood only. */
    address: z.string().min(1).max(KERNGROEP_LIMITS.address).optional(),
    city: z.string().min(1).max(KERNGROEP_LIMITS.city).optional(),
    bsn: z.string().refine(isValidBsn).optional(),
    family: z.array(familyMemberSchema),
  })
  .strict();
export type AgendaPerson = z.infer<typeof agendaPersonSchema>;

/** What the data registered for a person may hold given the colour: groen drops address, city, BSN and family members. */
export function dataForColour(p: AgendaPerson): AgendaPerson {
  if (p.colour !== 'groen') return p;
  const { address: _a, city: _c, bsn: _b, ...rest } = p;
  return { ...rest, family: [] };
}

export function isColour(value: unknown): value is Colour {
  return typeof value === 'string' && (COLOURS as readonly string[]).includes(value);
}
