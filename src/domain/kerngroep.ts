import { z } from 'zod';
import { COLOURS, type Colour } from './escalation.js';
import type { OrganisationKind } from './directory.js';

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

/** Criterion (a): at least `min` nuisance-related police contacts in the window. */
export function criterionA(contactDates: readonly Date[], min = 2): { holds: boolean; count: number } {
  return { holds: contactDates.length >= min, count: contactDates.length };
}

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
