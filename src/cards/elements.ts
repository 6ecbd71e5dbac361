import type { AdaptiveCard } from '../ports.js';

/**
 * The Adaptive Card building blocks every card builder uses. Texts passed in are shown as they are:
 * our own (from src/i18n/nl.ts) need no escaping; user values must go through escape.ts first.
 */

export type Element = Record<string, unknown>;

/** Adaptive Card 1.5: the highest version every Teams client renders with Universal Actions. */
export function card(body: Element[], actions: Element[] = [], extra: Element = {}): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...extra,
  };
}

/**
 * An upper bound of `JSON.stringify(value).length` that is cheaper to compute: every string counted
 * as if each character needed an escape (control characters, which need six, are never in cards:
 * escapeText removes them; a lone surrogate would need six, and the case card's budget keeps a margin
 * for that), every other primitive as 24 characters.
 */
export function jsonLengthBound(value: unknown): number {
  if (typeof value === 'string') return 2 * value.length + 2;
  if (typeof value !== 'object' || value === null) return 24;
  let n = 2;
  if (Array.isArray(value)) {
    for (const item of value) n += jsonLengthBound(item) + 1;
    return n;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) n += key.length + 4 + jsonLengthBound(item);
  }
  return n;
}

export function title(value: string): Element {
  return { type: 'TextBlock', text: value, weight: 'Bolder', size: 'Large', wrap: true };
}

export function text(value: string, more: Element = {}): Element {
  return { type: 'TextBlock', text: value, wrap: true, ...more };
}

export function heading(value: string): Element {
  return text(value, { weight: 'Bolder', spacing: 'Medium' });
}

export function execute(titleText: string, verb: string, data: Element, more: Element = {}): Element {
  return { type: 'Action.Execute', title: titleText, verb, data, ...more };
}

export function facts(rows: [string, string][]): Element {
  return { type: 'FactSet', facts: rows.map(([k, v]) => ({ title: k, value: v })) };
}

/** The Dutch error shown directly under the field it belongs to (nothing when there is none). */
export function errorText(message: string | undefined): Element[] {
  return message ? [text(message, { color: 'attention', size: 'Small', spacing: 'None' })] : [];
}
