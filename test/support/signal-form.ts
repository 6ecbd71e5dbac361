import { localDateString, localTimeString } from '../../src/domain/signal.js';

/**
 * A valid report form as the card submits it (strings, Amsterdam date and time of `observed`): an
 * overlastmelding about a place in Crabbehof. `over` replaces or adds fields.
 */
export function signalForm(observed: Date, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'overlast',
    district: 'crabbehof',
    location: 'Sumatraplein',
    observedDate: localDateString(observed, 'Europe/Amsterdam'),
    observedTime: localTimeString(observed, 'Europe/Amsterdam'),
    categories: 'geluid',
    severity: 'middel',
    subject: 'locatie',
    source: 'eigen-waarneming',
    description: 'Harde muziek bij de speeltuin.',
    ...over,
  };
}
