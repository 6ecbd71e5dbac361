import type { AdaptiveCard } from '../ports.js';
import { nl } from '../i18n/nl.js';

export const AUDIT_VERBS = { export: 'audit.export' } as const;

/** Erasure on request: `{ cardId, name, dateOfBirth }` to look, `{ cardId, name, dateOfBirth, reason }` to erase. */
export const ERASURE_VERBS = { preview: 'erasure.preview', confirm: 'erasure.confirm' } as const;

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

/**
 * The result: a summary, and for small exports the CSV itself (ids and professionals only); then the
 * deletion records of the same period (retention and erasure: kind, when, why, counts).
 */
export function auditResultCard(view: { summary: string; csv?: string; deletions?: { summary: string; csv?: string } }): AdaptiveCard {
  const csvBlock = (csv: string) => ({ type: 'TextBlock', text: csv, wrap: true, fontType: 'Monospace', size: 'Small' });
  return {
    ...base,
    body: [
      { type: 'TextBlock', text: nl.admin.title, weight: 'Bolder', size: 'Large', wrap: true },
      { type: 'TextBlock', text: view.summary, wrap: true },
      ...(view.csv !== undefined ? [csvBlock(view.csv)] : []),
      ...(view.deletions
        ? [
            { type: 'TextBlock', text: nl.admin.deletions.heading, weight: 'Bolder', wrap: true, spacing: 'Large' },
            { type: 'TextBlock', text: view.deletions.summary, wrap: true },
            ...(view.deletions.csv !== undefined ? [csvBlock(view.deletions.csv)] : []),
          ]
        : []),
    ],
  };
}

const e = nl.admin.erasure;

export interface ErasureFormView {
  cardId: string;
  /** What the beheerder typed (kept in the inputs, never in a TextBlock). */
  name?: string;
  dateOfBirth?: string;
  reason?: string;
  error?: string;
  /** After a search: counts and case references only, no person data. */
  found?: { lines: string[]; canErase: boolean };
}

/**
 * Erasure on request: name and date of birth, then what was found (counts and case references), a
 * reason and the final button. The person's name is only in the inputs the beheerder filled in;
 * after erasing, the card is replaced by `erasureDoneCard`, which holds no name.
 */
export function erasureCard(view: ErasureFormView): AdaptiveCard {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: e.title, weight: 'Bolder', size: 'Large', wrap: true },
    { type: 'TextBlock', text: e.intro, wrap: true, isSubtle: true },
    { type: 'Input.Text', id: 'name', label: e.name, maxLength: 200, isRequired: true, errorMessage: e.badName, ...(view.name ? { value: view.name } : {}) },
    { type: 'Input.Date', id: 'dateOfBirth', label: e.dateOfBirth, isRequired: true, errorMessage: e.badDate, ...(view.dateOfBirth ? { value: view.dateOfBirth } : {}) },
  ];
  if (view.error) body.push({ type: 'TextBlock', text: view.error, wrap: true, color: 'attention', weight: 'Bolder' });
  const actions: Record<string, unknown>[] = [{ type: 'Action.Execute', title: e.search, verb: ERASURE_VERBS.preview, data: { cardId: view.cardId } }];
  if (view.found) {
    body.push({ type: 'Container', style: 'emphasis', items: view.found.lines.map((line) => ({ type: 'TextBlock', text: line, wrap: true })) });
    if (view.found.canErase) {
      body.push(
        { type: 'Input.Text', id: 'reason', label: e.reason, placeholder: e.reasonPlaceholder, isMultiline: true, maxLength: 1000, isRequired: true, errorMessage: e.reasonRequired, ...(view.reason ? { value: view.reason } : {}) },
        { type: 'TextBlock', text: e.irreversible, wrap: true, color: 'attention', size: 'Small' },
      );
      actions.push({ type: 'Action.Execute', title: e.confirm, verb: ERASURE_VERBS.confirm, data: { cardId: view.cardId }, style: 'destructive' });
    }
  }
  return { ...base, body, actions };
}

/** After erasing: the record's reference and counts; no name, no date of birth. */
export function erasureDoneCard(message: string): AdaptiveCard {
  return {
    ...base,
    body: [
      { type: 'TextBlock', text: e.title, weight: 'Bolder', size: 'Large', wrap: true },
      { type: 'Container', style: 'good', items: [{ type: 'TextBlock', text: message, wrap: true }] },
    ],
  };
}
