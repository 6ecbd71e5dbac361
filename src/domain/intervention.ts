import { z } from 'zod';
import type { Directory, OrganisationKind } from './directory.js';
import { MEETING_REF, cleanMultiline } from './meeting.js';
import { localDateString, parseCalendarDate, shiftLocal } from './signal.js';

/**
 * Interventions (afspraken, §4 step 3): who deploys which intervention by when, by when feedback
 * (terugkoppeling) is due and by when a change of behaviour should be visible. Recorded by the
 * wijkmanager after the casusoverleg; the feedback issue asks the responsible partners about them.
 */

/**
 * Partners' instruments (§8, appendix 3, abridged). Ids are `<kind>:<key>`; the Dutch labels live
 * in nl.meetings.instruments. Meldpunt Zorg & Overlast only answers yes/no (§6): no intervention.
 */
export const INSTRUMENTS = {
  politie: ['toezicht', 'handhaving', 'waarschuwing', 'gebiedsverbod', 'boete', 'camera'],
  handhaving: ['surveillance', 'waarschuwing', 'gebiedsverbod', 'buurtonderzoek'],
  jongerenwerk: ['gesprek', 'activiteiten', 'toeleiding'],
  buurtwerk: ['bewonersbezoek', 'buurtbijeenkomst', 'activiteiten'],
  woningcorporatie: ['aanspreken', 'waarschuwingsbrief', 'huurdersenquete', 'overlastprocedure'],
  gemeente: ['veiligheidsrisicogebied', 'gebiedsverbod', 'samenscholingsverbod', 'cameratoezicht', 'bestuurlijke-maatregel'],
  halt: ['voorlichting', 'halt-afdoening', 'preventief-gesprek', 'agressieregulatietraining'],
  'sociaal-wijkteam': ['zorgtraject', 'vrije-tijd', 'werk', 'schoolmaatschappelijk-werk', 'opvoedondersteuning'],
  werkshop: ['coaching'],
  jpt: ['begeleiding'],
  zvh: ['procesregie'],
} as const satisfies Partial<Record<OrganisationKind, readonly string[]>>;

export type InstrumentKind = keyof typeof INSTRUMENTS;

export function instrumentsOf(kind: OrganisationKind): string[] {
  const keys = (INSTRUMENTS as Partial<Record<OrganisationKind, readonly string[]>>)[kind] ?? [];
  return keys.map((k) => `${kind}:${k}`);
}

export function isInstrument(id: string): boolean {
  const [kind, key] = id.split(':');
  return key !== undefined && (INSTRUMENTS as Record<string, readonly string[] | undefined>)[kind ?? '']?.includes(key) === true;
}

export function instrumentKind(id: string): string {
  return id.split(':')[0] ?? '';
}

export const INTERVENTION_LIMITS = {
  description: 1000,
  /** Rows on one agreements card. */
  maxRows: 10,
  defaultRows: 3,
  /** Feedback and behaviour-change dates at most this far ahead. */
  maxDaysAhead: 366,
} as const;

const entityId = z.string().uuid();
const directoryId = z.string().min(1).max(100);
const instant = z.string().datetime({ offset: true });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const INTERVENTION_STATUSES = ['afgesproken'] as const;

export const interventionSchema = z
  .object({
    id: entityId,
    meetingId: entityId,
    meetingRef: z.string().regex(MEETING_REF),
    cases: z.array(z.object({ caseId: entityId, caseRef: z.string().min(1).max(50) }).strict()).min(1),
    organisation: directoryId,
    /** The named responsible person, if the wijkmanager chose one. */
    person: directoryId.optional(),
    /** Who receives the agreement and is asked for feedback: the person, else the organisation's contacts. */
    responsibleUserIds: z.array(directoryId).min(1),
    instrument: z.string().max(100).optional(),
    description: z.string().max(INTERVENTION_LIMITS.description).optional(),
    /** `YYYY-MM-DD`: feedback (terugkoppeling) due. */
    feedbackDue: date,
    /** `YYYY-MM-DD`: by when the change of behaviour should be visible. */
    behaviourBy: date,
    status: z.enum(INTERVENTION_STATUSES),
    agreedAt: instant,
    agreedBy: z.object({ userId: directoryId, organisation: directoryId }).strict(),
  })
  .strict()
  .refine((i) => i.instrument !== undefined || i.description !== undefined, 'instrument or description required');
export type Intervention = z.infer<typeof interventionSchema>;

// --- the agreements card's rows -------------------------------------------------------------------

export const ROW_FIELDS = ['org', 'person', 'instrument', 'what', 'feedbackDue', 'behaviourBy'] as const;
export type RowField = (typeof ROW_FIELDS)[number];

export const rowKey = (field: RowField, row: number) => `${field}_${row}`;

export type RowErrorCode =
  | 'orgRequired'
  | 'orgUnknown'
  | 'personUnknown'
  | 'personOtherOrganisation'
  | 'whatRequired'
  | 'instrumentUnknown'
  | 'instrumentOtherPartner'
  | 'whatTooLong'
  | 'dateRequired'
  | 'dateInvalid'
  | 'dateInPast'
  | 'dateTooFar'
  | 'noContacts';

export interface AgreementRow {
  organisation: string;
  person?: string;
  responsibleUserIds: string[];
  instrument?: string;
  description?: string;
  feedbackDue: string;
  behaviourBy: string;
}

/**
 * Validates the rows of the agreements card. An entirely empty row is skipped; a row with anything
 * in it needs an organisation, what (an instrument of that partner, or free text, or both) and the
 * two dates (today or later, at most a year ahead, local dates in `timeZone`). The responsible
 * person, when chosen, works at that organisation; without one the organisation's contacts are
 * responsible.
 */
export function validateAgreementRows(
  values: Readonly<Record<string, string | undefined>>,
  rows: number,
  directory: Directory,
  now: Date,
  timeZone: string,
): { rows: AgreementRow[]; errors: Record<string, RowErrorCode> } {
  const today = localDateString(now, timeZone);
  const latest = localDateString(shiftLocal(now, { days: INTERVENTION_LIMITS.maxDaysAhead }, timeZone), timeZone);
  const out: AgreementRow[] = [];
  const errors: Record<string, RowErrorCode> = {};
  for (let r = 1; r <= rows; r++) {
    const v = (f: RowField) => {
      const raw = values[rowKey(f, r)];
      const cleaned = raw === undefined ? '' : f === 'what' ? cleanMultiline(raw) : raw.trim();
      return cleaned === '' ? undefined : cleaned;
    };
    if (ROW_FIELDS.every((f) => v(f) === undefined)) continue;
    const fail = (f: RowField, code: RowErrorCode) => {
      errors[rowKey(f, r)] ??= code;
    };

    const orgId = v('org');
    const org = orgId ? directory.organisation(orgId) : undefined;
    if (!orgId) fail('org', 'orgRequired');
    else if (!org) fail('org', 'orgUnknown');

    const personId = v('person');
    const person = personId ? directory.user(personId) : undefined;
    if (personId && !person) fail('person', 'personUnknown');
    else if (person && org && person.organisation !== org.id) fail('person', 'personOtherOrganisation');

    const instrument = v('instrument');
    if (instrument && !isInstrument(instrument)) fail('instrument', 'instrumentUnknown');
    else if (instrument && org && instrumentKind(instrument) !== org.kind) fail('instrument', 'instrumentOtherPartner');
    const what = v('what');
    if (what && [...what].length > INTERVENTION_LIMITS.description) fail('what', 'whatTooLong');
    if (!instrument && !what) fail('what', 'whatRequired');

    const checkDate = (f: 'feedbackDue' | 'behaviourBy'): string | undefined => {
      const d = v(f);
      if (!d) return void fail(f, 'dateRequired');
      if (!parseCalendarDate(d)) return void fail(f, 'dateInvalid');
      if (d < today) return void fail(f, 'dateInPast');
      if (d > latest) return void fail(f, 'dateTooFar');
      return d;
    };
    const feedbackDue = checkDate('feedbackDue');
    const behaviourBy = checkDate('behaviourBy');

    const responsible = person ? [person.id] : org ? directory.contactsOf(org.id).map((u) => u.id) : [];
    if (org && responsible.length === 0 && !errors[rowKey('org', r)]) fail('org', 'noContacts');

    if (org && feedbackDue && behaviourBy && (instrument || what) && !ROW_FIELDS.some((f) => errors[rowKey(f, r)])) {
      out.push({
        organisation: org.id,
        ...(person ? { person: person.id } : {}),
        responsibleUserIds: responsible,
        ...(instrument ? { instrument } : {}),
        ...(what ? { description: what } : {}),
        feedbackDue,
        behaviourBy,
      });
    }
  }
  return { rows: out, errors };
}
