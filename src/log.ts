import { pino, type Logger, type DestinationStream } from 'pino';
import { PREP_TEXT_FIELDS } from './domain/meeting.js';
import { nl } from './i18n/nl.js';

/**
 * Structured logs via pino. Personal data never reaches a log line: code logs ids, references and
 * counts — never names, dates of birth, BSN, addresses or free text. Redaction is the safety net,
 * not the plan, and it is declared once, here.
 *
 * The safety net walks every logged object at any depth (pino's own redact paths reach only fixed
 * depths) and replaces the value of every key below by `[verwijderd]`:
 * - SENSITIVE_KEYS: person data and free text, whatever the value — one entry per field of the
 *   zod schemas in src/domain/*.ts that holds a name, date of birth, BSN, address, place or text
 *   typed by a professional (signal, case, pass-on, meeting and preparation, intervention,
 *   feedback, Kerngroep registration and agenda, level changes and their reasons);
 * - CODE_KEYS: keys the code also uses for machine codes (`reason: 'not-involved'`,
 *   `fields: ['from.id']`, counts): kept when the value looks like a code (numbers, booleans,
 *   identifiers without spaces that start lower-case), otherwise redacted like free text.
 * Matching is case-insensitive on the key. test/unit/log-redaction.test.ts checks each key and
 * test/e2e/logs.test.ts a full scenario.
 */
export const SENSITIVE_KEYS = [
  // persons (signal person, Kerngroep agenda persons and family members, directory display names)
  'name',
  'displayName',
  'givenName',
  'surname',
  'personName',
  'dateOfBirth',
  'personDob',
  'dob',
  'bsn',
  'address',
  'street',
  'city',
  'postcode',
  'postalCode',
  'family',
  'person',
  // the pseudonymous person key (HMAC of name + date of birth) links log lines to one person
  'personKey',
  // places typed by hand (a location can be a house number), police references (WPG)
  'location',
  'place',
  'policeReference',
  'reference',
  // free text typed by professionals
  'description',
  'categoryOther',
  'explanation',
  'justification',
  'adviceQuestion',
  'question',
  'what',
  'agreedOn',
  'instrument',
  'prepare',
  'preparation',
  'criterionA',
  // the casusoverleg preparation (appendix 1): every text field, from the schema itself
  ...PREP_TEXT_FIELDS,
  'comment',
  'note',
  'notes',
  'remark',
  // reasons typed on escalation notices (card inputs)
  'reasonDirection',
  'reasonDeescalate',
  'reasonDismiss',
  'reasonHandover',
  // whole payloads that carry any of the above
  'text',
  'value',
  'values',
  'body',
  'data',
  'inputs',
  'raw',
  'card',
  'attachments',
  // credentials
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
] as const;

export const CODE_KEYS = ['reason', 'fields', 'answer', 'answers', 'decision', 'effect', 'persons', 'kind', 'status', 'outcome'] as const;

const CENSOR = nl.ops.logRedacted;
const MAX_DEPTH = 12;
const sensitive = new Set<string>(SENSITIVE_KEYS.map((k) => k.toLowerCase()));
const codeKeys = new Set<string>(CODE_KEYS.map((k) => k.toLowerCase()));
/** A machine code: `not-involved`, `hinder->overlast`, `from.aadObjectId`, `kg:12` — no spaces, no capital first. */
const CODE = /^[a-z0-9][A-Za-z0-9._:>\-/]{0,79}$/;

function isCode(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return true;
  if (typeof value === 'string') return CODE.test(value);
  if (depth > 3) return false;
  if (Array.isArray(value)) return value.length <= 50 && value.every((v) => isCode(v, depth + 1));
  if (isPlainObject(value)) return Object.values(value).every((v) => isCode(v, depth + 1));
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A copy of `value` with every sensitive key's value censored, at any depth. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return CENSOR;
  if (seen.has(value)) return nl.ops.logCircular;
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => redact(v, depth + 1, seen));
  }
  if (!isPlainObject(value)) {
    // Errors keep their own serializer (type, message, stack); other instances are not walked.
    return value;
  }
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (sensitive.has(k)) out[key] = CENSOR;
    else if (codeKeys.has(k)) out[key] = isCode(v) ? v : CENSOR;
    else out[key] = redact(v, depth + 1, seen);
  }
  return out;
}

/** pino's own paths, for what is serialised after the walk above (request headers). */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie'];

export type { Logger };

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'overlastbot' },
      formatters: { log: (object) => redact(object) as Record<string, unknown> },
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
    },
    options.destination,
  );
}
