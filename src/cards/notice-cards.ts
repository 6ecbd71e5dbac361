import type { Level } from '../domain/access.js';
import type { Explanation, RuleId, WindowSpec } from '../domain/escalation.js';
import { nl } from '../i18n/nl.js';
import type { AdaptiveCard } from '../ports.js';
import { SIGNAL_VERBS } from './signal-cards.js';
import { escapeText } from './escape.js';
import { text, type Element } from './elements.js';

/**
 * The escalation notice (Adaptive Card 1.5, Universal Actions): which rule, its threshold, the facts
 * with dates, the case reference and district — and no personal data, because Teams keeps the chat
 * history. Person details stay behind "Casus openen", where the access policy decides per viewer.
 */

/** Action.Execute verbs: the contract between these cards and src/app/escalation.ts. */
export const ESCALATION_VERBS = {
  takeDirection: 'escalation.take-direction',
  planMeeting: 'escalation.plan-meeting',
  registerKerngroep: 'escalation.register-kerngroep',
  deescalate: 'escalation.deescalate',
  dismiss: 'escalation.dismiss',
  /** The chair hands the case to the Interventieteam (huisbezoek-criterium): `{ firingId, reasonHandover }`. */
  handToInterventieteam: 'escalation.hand-to-interventieteam',
  /** Afsluiten: `{ caseRef, reason }` (the last afschalen step; `casus afsluiten C-…`). */
  closeCase: 'case.close',
  /** Opschalen / afschalen from the case card or an afschalen offer: `{ caseRef, to, reason }`. */
  changeLevel: 'case.change-level',
} as const;

export type NoticeAction = 'takeDirection' | 'planMeeting' | 'registerKerngroep' | 'deescalate' | 'dismiss' | 'handToInterventieteam';

/** Input ids of the reason fields; one per show-card, because ids must be unique on a card. */
export const REASON_INPUTS = {
  takeDirection: 'reasonDirection',
  deescalate: 'reasonDeescalate',
  dismiss: 'reasonDismiss',
  handToInterventieteam: 'reasonHandover',
} as const;

export interface NoticeView {
  firingId: string;
  explanation: Explanation;
  caseRef: string;
  districtName: string;
  /** Only for the rules about a place: a place, not a person. */
  location?: string;
  level: Level;
  /** The rule is about a person: the card says so without naming them. */
  personSubject: boolean;
  actions: readonly NoticeAction[];
  /** What was done with the notice; when set the card shows it instead of the buttons. */
  handled?: string;
  /** A problem with the last action (reason missing…), shown above the buttons. */
  error?: string;
  formatDate(d: Date): string;
  organisationName(id: string): string;
}

const t = nl.escalation;


export function windowText(w: WindowSpec): string {
  return 'days' in w ? t.window.days(w.days) : t.window.months(w.months);
}

export function ruleTitle(rule: RuleId): string {
  return t.rules[rule].title;
}

export function thresholdText(e: Explanation): string {
  switch (e.rule) {
    case 'meerdere-partijen':
      return t.rules[e.rule].threshold(e.threshold.minOrganisations, windowText(e.threshold.window));
    case 'vaker-op-plek':
      return t.rules[e.rule].threshold(e.threshold.minSignals, windowText(e.threshold.window));
    case 'kerngroep-criterium':
      return t.rules[e.rule].threshold(e.threshold.minPoliceContacts, windowText(e.threshold.window), t.or(e.threshold.ineffective));
    case 'huisbezoek-criterium':
      return t.rules[e.rule].threshold(e.threshold.colour, e.threshold.minSignals, windowText(e.threshold.window));
    case 'groep-opgeschaald':
      return t.rules[e.rule].threshold(e.threshold.minSharePercent);
    case 'afschalen-signaal':
      return t.rules[e.rule].threshold(windowText(e.threshold.quiet));
    case 'doorgezet':
    case 'aanmelding':
    case 'ernstig-afstemming':
      return t.rules[e.rule].threshold();
  }
}

function dateList(dates: readonly Date[], total: number, format: (d: Date) => string): string {
  const shown = dates.map(format);
  const more = total - dates.length;
  return more > 0 ? `${shown.join(', ')} ${t.facts.moreDates(more)}` : t.list(shown);
}

/** The facts with dates, e.g. "2 politiecontacten binnen 6 maanden: 12-03-2026 en 03-06-2026". */
export function factLines(e: Explanation, fmt: (d: Date) => string, orgName: (id: string) => string): string[] {
  switch (e.rule) {
    case 'meerdere-partijen':
      return [
        t.facts.organisations(
          e.organisations.length,
          windowText(e.threshold.window),
          t.list(e.organisations.map((o) => t.facts.organisationLast(orgName(o.organisation), fmt(o.lastAt)))),
        ),
      ];
    case 'vaker-op-plek':
      return [t.facts.signals(e.count, windowText(e.threshold.window), dateList(e.dates, e.count, fmt))];
    case 'doorgezet':
      return [t.facts.passedOn(orgName(e.organisation), fmt(e.at))];
    case 'kerngroep-criterium':
      return [
        t.facts.policeContacts(e.count, windowText(e.threshold.window), dateList(e.dates, e.count, fmt)),
        t.facts.effects(t.list(e.effects)),
      ];
    case 'aanmelding':
      return [t.facts.registered(fmt(e.at))];
    case 'huisbezoek-criterium':
      return [t.facts.colourSignals(e.threshold.colour, e.count, windowText(e.threshold.window), dateList(e.dates, e.count, fmt))];
    case 'groep-opgeschaald':
      return [t.facts.group(e.registered, e.persons, Math.round((e.registered * 100) / e.persons))];
    case 'ernstig-afstemming':
      return [t.facts.ernstigSince(fmt(e.at))];
    case 'afschalen-signaal':
      return [
        e.lastSignalAt
          ? `${t.facts.quietSince(fmt(e.since))} (${t.facts.lastSignal(fmt(e.lastSignalAt))})`
          : t.facts.quietSince(fmt(e.since)),
      ];
  }
}

function reasonShowCard(title: string, verb: string, inputId: string, firingId: string): Element {
  return {
    type: 'Action.ShowCard',
    title,
    card: {
      type: 'AdaptiveCard',
      body: [
        {
          type: 'Input.Text',
          id: inputId,
          label: t.card.reason,
          placeholder: t.card.reasonPlaceholder,
          isMultiline: true,
          maxLength: 1000,
          isRequired: true,
          errorMessage: t.errors.reasonRequired,
        },
      ],
      actions: [{ type: 'Action.Execute', title: t.card.confirm, verb, data: { firingId } }],
    },
  };
}

export function noticeCard(view: NoticeView): AdaptiveCard {
  const e = view.explanation;
  const rule = t.rules[e.rule];
  const body: Element[] = [
    text(t.card.title(rule.title), { weight: 'Bolder', size: 'Large' }),
    {
      type: 'FactSet',
      facts: [
        { title: t.card.rule, value: rule.title },
        { title: t.card.threshold, value: thresholdText(e) },
        { title: t.card.case, value: view.caseRef },
        { title: t.card.district, value: escapeText(view.districtName) },
        ...(view.location !== undefined ? [{ title: t.card.location, value: escapeText(view.location) }] : []),
        { title: t.card.level, value: nl.signals.levels[view.level] },
      ],
    },
    text(t.card.facts, { weight: 'Bolder', spacing: 'Medium' }),
    ...factLines(e, view.formatDate, (id) => escapeText(view.organisationName(id))).map((line) => text(line, { spacing: 'Small' })),
  ];
  if (view.personSubject) body.push(text(t.card.personSubject, { isSubtle: true, size: 'Small' }));
  body.push(text(rule.proposal, { spacing: 'Medium' }));
  if (e.rule === 'ernstig-afstemming') body.push(...t.checklist.map((item) => text(`- ${item}`, { spacing: 'None' })));
  body.push(text(t.card.proposalOnly, { isSubtle: true, size: 'Small' }));

  const actions: Element[] = [];
  if (view.handled) {
    body.push({ type: 'Container', style: 'good', items: [text(t.card.handledHeading, { weight: 'Bolder' }), text(view.handled)] });
  } else {
    if (view.error) body.push(text(view.error, { color: 'attention', weight: 'Bolder' }));
    const id = view.firingId;
    for (const a of view.actions) {
      switch (a) {
        case 'takeDirection':
          actions.push(reasonShowCard(t.actions.takeDirection, ESCALATION_VERBS.takeDirection, REASON_INPUTS.takeDirection, id));
          break;
        case 'deescalate':
          actions.push(reasonShowCard(t.actions.deescalate, ESCALATION_VERBS.deescalate, REASON_INPUTS.deescalate, id));
          break;
        case 'dismiss':
          actions.push(reasonShowCard(t.actions.dismiss, ESCALATION_VERBS.dismiss, REASON_INPUTS.dismiss, id));
          break;
        case 'handToInterventieteam':
          actions.push(reasonShowCard(t.actions.handToInterventieteam, ESCALATION_VERBS.handToInterventieteam, REASON_INPUTS.handToInterventieteam, id));
          break;
        case 'planMeeting':
          actions.push({ type: 'Action.Execute', title: t.actions.planMeeting, verb: ESCALATION_VERBS.planMeeting, data: { firingId: id } });
          break;
        case 'registerKerngroep':
          actions.push({ type: 'Action.Execute', title: t.actions.registerKerngroep, verb: ESCALATION_VERBS.registerKerngroep, data: { firingId: id } });
          break;
      }
    }
  }
  actions.push({ type: 'Action.Execute', title: t.actions.openCase, verb: SIGNAL_VERBS.openCase, data: { caseRef: view.caseRef } });

  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    actions,
  };
}

/**
 * Afsluiten: the reason field and the button; after it, what was done. The card names no person:
 * only the case reference, like every card that stays in the chat.
 */
export function closeCaseCard(view: { caseRef: string; reason?: string; error?: string; done?: string }): AdaptiveCard {
  const c = t.close;
  const body: Element[] = [text(c.title(view.caseRef), { weight: 'Bolder', size: 'Medium' })];
  if (view.done) {
    body.push({ type: 'Container', style: 'good', items: [text(view.done)] });
    return { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5', body };
  }
  body.push(text(c.intro));
  if (view.error) body.push(text(view.error, { color: 'attention', weight: 'Bolder' }));
  body.push({
    type: 'Input.Text',
    id: 'reason',
    label: c.reason,
    placeholder: c.reasonPlaceholder,
    isMultiline: true,
    maxLength: 1000,
    isRequired: true,
    errorMessage: t.errors.reasonRequired,
    ...(view.reason ? { value: view.reason } : {}),
  });
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    actions: [{ type: 'Action.Execute', title: c.submit, verb: ESCALATION_VERBS.closeCase, data: { caseRef: view.caseRef } }],
  };
}
