import { EXECUTED, FEEDBACK_EFFECTS, FEEDBACK_LIMITS, FOLLOW_UP, type FeedbackField } from '../domain/feedback.js';
import { nl } from '../i18n/nl.js';
import type { AdaptiveCard } from '../ports.js';
import { escapeText } from './escape.js';
import { card, errorText, text, type Element } from './elements.js';

/**
 * Feedback (terugkoppeling) cards, Adaptive Card 1.5 with Universal Actions. No personal data of case
 * subjects: cases by reference; user-typed text escaped; input values passed as they are.
 */

export const FEEDBACK_VERBS = {
  /** `{ interventionId }`: the feedback card (prefilled with the current feedback when correcting). */
  open: 'feedback.open',
  /** `{ cardId, interventionId, …inputs }`. */
  submit: 'feedback.submit',
} as const;

const t = nl.feedback;


export interface FeedbackListItem {
  interventionId: string;
  what: string;
  caseRefs: string;
  due: string;
  given: boolean;
}

export function feedbackListCard(items: readonly FeedbackListItem[]): AdaptiveCard {
  if (items.length === 0) return card([text(t.listTitle, { weight: 'Bolder', size: 'Medium' }), text(t.listEmpty)]);
  return card([
    text(t.listTitle, { weight: 'Bolder', size: 'Medium' }),
    ...items.map((i) => ({
      type: 'Container',
      separator: true,
      items: [text(t.listLine(escapeText(i.what), i.caseRefs, i.due, i.given))],
      selectAction: { type: 'Action.Execute', verb: FEEDBACK_VERBS.open, data: { interventionId: i.interventionId }, title: i.given ? t.correct : t.open },
    })),
    {
      type: 'ActionSet',
      actions: items.map((i) => ({ type: 'Action.Execute', title: `${i.given ? t.correct : t.open}: ${i.caseRefs}`, verb: FEEDBACK_VERBS.open, data: { interventionId: i.interventionId } })),
    },
  ]);
}

export interface FeedbackFormView {
  cardId: string;
  interventionId: string;
  meetingRef: string;
  what: string;
  caseRefs: string;
  due: string;
  values: Partial<Record<FeedbackField, string>>;
  errors?: Partial<Record<FeedbackField, string>>;
  notice?: string;
}

function choices<K extends string>(keys: readonly K[], labels: Record<K, string>): Element[] {
  return keys.map((k) => ({ title: labels[k], value: k }));
}

export function feedbackFormCard(view: FeedbackFormView): AdaptiveCard {
  const v = (f: FeedbackField) => (view.values[f] !== undefined ? { value: view.values[f] } : {});
  const e = (f: FeedbackField) => errorText(view.errors?.[f]);
  return card(
    [
      text(t.formTitle(view.meetingRef), { weight: 'Bolder', size: 'Medium' }),
      text(t.formIntro(escapeText(view.what), view.caseRefs, view.due)),
      ...(view.notice ? [text(view.notice, { color: 'attention' })] : []),
      { type: 'Input.ChoiceSet', id: 'executed', label: t.labels.executed, style: 'expanded', choices: choices(EXECUTED, t.executed), ...v('executed') },
      ...e('executed'),
      { type: 'Input.Date', id: 'executedOn', label: t.labels.executedOn, ...v('executedOn') },
      ...e('executedOn'),
      { type: 'Input.ChoiceSet', id: 'effect', label: t.labels.effect, style: 'expanded', choices: choices(FEEDBACK_EFFECTS, t.effects), ...v('effect') },
      ...e('effect'),
      { type: 'Input.Text', id: 'explanation', label: t.labels.explanation, placeholder: t.noNames, isMultiline: true, maxLength: FEEDBACK_LIMITS.explanation, ...v('explanation') },
      ...e('explanation'),
      { type: 'Input.ChoiceSet', id: 'followUp', label: t.labels.followUp, style: 'expanded', choices: choices(FOLLOW_UP, t.yesNo), ...v('followUp') },
      ...e('followUp'),
    ],
    [{ type: 'Action.Execute', title: t.submit, verb: FEEDBACK_VERBS.submit, data: { cardId: view.cardId, interventionId: view.interventionId } }],
  );
}

export function messageCard(message: string): AdaptiveCard {
  return card([text(message)]);
}

/** The feedback request at the due date: the text and a button that opens the form. */
export function feedbackRequestCard(interventionId: string, message: string): AdaptiveCard {
  return card([text(t.requestTitle, { weight: 'Bolder' }), text(message)], [{ type: 'Action.Execute', title: t.open, verb: FEEDBACK_VERBS.open, data: { interventionId } }]);
}

/** Offers the director afschalen with a reason (the escalation feature's `case.change-level`). */
export function afschalenOfferCard(message: string, caseRef: string, to: string, verb: string): AdaptiveCard {
  return card(
    [text(message)],
    [
      {
        type: 'Action.ShowCard',
        title: t.afschalen,
        card: {
          type: 'AdaptiveCard',
          // The same rule as every level change: a reason of at least 10 characters (src/app/escalation.ts).
          body: [{ type: 'Input.Text', id: 'reason', label: t.afschalenReason, isMultiline: true, maxLength: 1000, isRequired: true, errorMessage: nl.escalation.errors.reasonRequired }],
          actions: [{ type: 'Action.Execute', title: t.afschalen, verb, data: { caseRef, to } }],
        },
      },
    ],
  );
}

export interface OverviewRow {
  status: string;
  what: string;
  organisation: string;
  due: string;
  effect?: string;
}

export function interventionsOverviewCard(caseRef: string, rows: readonly OverviewRow[], general?: string): AdaptiveCard {
  const body: Element[] = [text(t.overviewTitle(caseRef), { weight: 'Bolder', size: 'Medium' })];
  if (general) body.push(text(t.overviewGeneral), text(general));
  else if (rows.length === 0) body.push(text(t.overviewEmpty));
  else body.push(...rows.map((r) => text(t.overviewLine(r.status, escapeText(r.what), escapeText(r.organisation), r.due, r.effect), { separator: true })));
  return card(body);
}
