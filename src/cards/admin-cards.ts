import type { AdaptiveCard } from '../ports.js';
import { nl } from '../i18n/nl.js';

export const AUDIT_VERBS = { export: 'audit.export' } as const;

const base = { type: 'AdaptiveCard' as const, $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5' };

/** The beheerder's export form: a period, defaulting to the last seven days. */
export function auditExportCard(period: { from: string; to: string }): AdaptiveCard {
  return {
    ...base,
    body: [
      { type: 'TextBlock', text: nl.admin.title, weight: 'Bolder', size: 'Large', wrap: true },
      { type: 'TextBlock', text: nl.admin.intro, wrap: true, isSubtle: true },
      { type: 'Input.Date', id: 'from', label: nl.admin.from, value: period.from, isRequired: true, errorMessage: nl.admin.badDate },
      { type: 'Input.Date', id: 'to', label: nl.admin.to, value: period.to, isRequired: true, errorMessage: nl.admin.badDate },
    ],
    actions: [{ type: 'Action.Execute', title: nl.admin.submit, verb: AUDIT_VERBS.export, data: {} }],
  };
}

/** The result: a summary, and for small exports the CSV itself (ids and professionals only). */
export function auditResultCard(view: { summary: string; csv?: string }): AdaptiveCard {
  return {
    ...base,
    body: [
      { type: 'TextBlock', text: nl.admin.title, weight: 'Bolder', size: 'Large', wrap: true },
      { type: 'TextBlock', text: view.summary, wrap: true },
      ...(view.csv !== undefined ? [{ type: 'TextBlock', text: view.csv, wrap: true, fontType: 'Monospace', size: 'Small' }] : []),
    ],
  };
}
