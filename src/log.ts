import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Structured logs via pino. Personal data never reaches a log line: the redaction list is declared
 * once here, and code logs ids, references and counts — never names, dates of birth, BSN, addresses
 * or free text. Redaction is the safety net, not the plan.
 */
export const REDACTED_PATHS = [
  'name',
  '*.name',
  'displayName',
  '*.displayName',
  'dateOfBirth',
  '*.dateOfBirth',
  'bsn',
  '*.bsn',
  'address',
  '*.address',
  'description',
  '*.description',
  'text',
  '*.text',
  'value',
  '*.value',
  'body',
  '*.body',
  'person',
  '*.person',
  'req.headers.authorization',
];

export type { Logger };

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'overlastbot' },
      redact: { paths: REDACTED_PATHS, censor: '[verwijderd]' },
    },
    options.destination,
  );
}
