import { nl } from '../i18n/nl.js';
import type { Assessment } from '../domain/assessment.js';
import type {
  Category,
  FieldErrors,
  FieldId,
  PassOnStatus,
  Severity,
  SignalFormValues,
  SignalKind,
  Subject,
} from '../domain/signal.js';
import { CATEGORIES, LIMITS, SEVERITIES, SIGNAL_KINDS, SOURCES, SUBJECTS } from '../domain/signal.js';
import type { Level } from '../domain/access.js';
import type { AdaptiveCard } from '../ports.js';
import { escapeExcerpt, escapeText } from './escape.js';
import { MEETING_VERBS } from './meeting-cards.js';
import { ESCALATION_VERBS } from './notice-cards.js';
import { card, execute, facts, jsonLengthBound, text, title, type Element } from './elements.js';

/**
 * The signal feature's cards (Adaptive Card 1.5, Universal Actions). Every value a user typed goes
 * through escapeText before it lands in a TextBlock or FactSet; input values are not markdown and
 * are passed as they are. Base cards carry no names or dates of birth: the form only echoes the
 * reporter's own input to the reporter, and the case card shows person data only in the
 * user-specific view (refresh.userIds) for whom the access policy allows it.
 */

/** Action.Execute verbs: the contract between these cards and src/app/signals.ts. */
export const SIGNAL_VERBS = {
  openForm: 'signal.open-form',
  updateForm: 'signal.update-form',
  submit: 'signal.submit',
  openCase: 'case.open',
  caseDetails: 'case.details',
  passOnForm: 'case.pass-on-form',
  passOn: 'case.pass-on',
} as const;

const t = nl.signals;

// --- the report form ------------------------------------------------------------------------------

export interface SignalFormView {
  cardId: string;
  values: SignalFormValues;
  errors?: FieldErrors;
  districts: readonly { id: string; name: string }[];
  /** Known hotspots of the district chosen on the card (or the user's own). */
  hotspots: readonly string[];
  isPolice: boolean;
  /** `YYYY-MM-DD` bounds for the date inputs (today and one year back, local time). */
  today: string;
  earliest: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;

export function signalFormCard(view: SignalFormView): AdaptiveCard {
  const v = view.values;
  const f = t.form;
  const body: Element[] = [];
  const errorFor = (field: FieldId): Element[] => {
    const message = view.errors?.[field];
    return message ? [text(message, { color: 'attention', size: 'Small', spacing: 'None' })] : [];
  };
  const value = (field: FieldId): Element => (v[field] !== undefined ? { value: v[field] } : {});
  const choices = (entries: readonly string[], label: (k: string) => string) =>
    entries.map((k) => ({ title: label(k), value: k }));

  body.push(title(f.title), text(f.intro, { isSubtle: true, spacing: 'Small' }));
  body.push({
    type: 'Container',
    style: 'warning',
    items: [
      text(f.privacyWarning, { size: 'Small' }),
      ...(view.isPolice ? [text(f.policeWarning, { size: 'Small', weight: 'Bolder' })] : []),
    ],
  });
  if (view.errors && Object.keys(view.errors).length > 0) {
    body.push(text(f.errorSummary, { color: 'attention', weight: 'Bolder' }));
  }

  body.push(
    {
      type: 'Input.ChoiceSet',
      id: 'kind',
      label: f.kind,
      style: 'expanded',
      choices: choices(SIGNAL_KINDS, (k) => t.kinds[k as SignalKind]),
      ...value('kind'),
    },
    ...errorFor('kind'),
    text(f.kindHint, { isSubtle: true, size: 'Small', spacing: 'None' }),
    {
      type: 'Input.ChoiceSet',
      id: 'district',
      label: f.district,
      style: 'compact',
      placeholder: f.districtPlaceholder,
      choices: view.districts.map((d) => ({ title: d.name, value: d.id })),
      ...value('district'),
    },
    ...errorFor('district'),
  );
  if (view.hotspots.length > 0) {
    body.push({
      type: 'Input.ChoiceSet',
      id: 'hotspot',
      label: f.hotspot,
      style: 'compact',
      placeholder: f.hotspotPlaceholder,
      choices: view.hotspots.map((h) => ({ title: h, value: h })),
      ...value('hotspot'),
    });
  } else {
    body.push(text(f.hotspotNone, { isSubtle: true, size: 'Small' }));
  }
  body.push(
    ...errorFor('hotspot'),
    {
      type: 'ActionSet',
      // Choices cannot depend on another input without a round trip: this re-renders the form
      // with the chosen district's hotspots and keeps everything typed so far.
      actions: [execute(f.showHotspots, SIGNAL_VERBS.updateForm, { cardId: view.cardId })],
    },
    {
      type: 'Input.Text',
      id: 'location',
      label: f.location,
      placeholder: f.locationPlaceholder,
      maxLength: LIMITS.location,
      ...value('location'),
    },
    ...errorFor('location'),
    {
      type: 'Input.Date',
      id: 'observedDate',
      label: f.observedDate,
      placeholder: f.datePlaceholder,
      min: view.earliest,
      max: view.today,
      ...(v.observedDate && DATE.test(v.observedDate) ? { value: v.observedDate } : {}),
    },
    ...errorFor('observedDate'),
    {
      type: 'Input.Time',
      id: 'observedTime',
      label: f.observedTime,
      ...(v.observedTime && TIME.test(v.observedTime) ? { value: v.observedTime } : {}),
    },
    ...errorFor('observedTime'),
    {
      type: 'Input.ChoiceSet',
      id: 'categories',
      label: f.categories,
      isMultiSelect: true,
      style: 'expanded',
      choices: choices(CATEGORIES, (k) => t.categories[k as Category]),
      ...value('categories'),
    },
    ...errorFor('categories'),
    {
      type: 'Input.Text',
      id: 'categoryOther',
      label: f.categoryOther,
      maxLength: LIMITS.categoryOther,
      ...value('categoryOther'),
    },
    ...errorFor('categoryOther'),
    {
      type: 'Input.ChoiceSet',
      id: 'severity',
      label: f.severity,
      style: 'expanded',
      choices: choices(SEVERITIES, (k) => t.severities[k as Severity]),
      ...value('severity'),
    },
    ...errorFor('severity'),
    {
      type: 'Input.ChoiceSet',
      id: 'subject',
      label: f.subject,
      style: 'expanded',
      choices: choices(SUBJECTS, (k) => t.subjects[k as Subject]),
      ...value('subject'),
    },
    ...errorFor('subject'),
    {
      type: 'Container',
      separator: true,
      items: [
        text(f.groupHeading, { weight: 'Bolder', size: 'Small' }),
        {
          type: 'Input.Number',
          id: 'groupSize',
          label: f.groupSize,
          min: LIMITS.groupSizeMin,
          max: LIMITS.groupSizeMax,
          ...(v.groupSize && /^\d{1,6}$/.test(v.groupSize) ? { value: Number(v.groupSize) } : {}),
        },
        ...errorFor('groupSize'),
      ],
    },
    {
      type: 'Container',
      separator: true,
      items: [
        text(f.personHeading, { weight: 'Bolder', size: 'Small' }),
        { type: 'Input.Text', id: 'personName', label: f.personName, maxLength: LIMITS.personName, ...value('personName') },
        ...errorFor('personName'),
        {
          type: 'Input.Date',
          id: 'personDob',
          label: f.personDob,
          placeholder: f.datePlaceholder,
          max: view.today,
          ...(v.personDob && DATE.test(v.personDob) ? { value: v.personDob } : {}),
        },
        ...errorFor('personDob'),
      ],
    },
    {
      type: 'Input.ChoiceSet',
      id: 'source',
      label: f.source,
      style: 'compact',
      choices: choices(SOURCES, (k) => t.sources[k as (typeof SOURCES)[number]]),
      ...value('source'),
    },
    ...errorFor('source'),
    {
      type: 'Input.Text',
      id: 'description',
      label: f.description,
      placeholder: f.descriptionPlaceholder,
      isMultiline: true,
      maxLength: LIMITS.description,
      ...value('description'),
    },
    ...errorFor('description'),
  );
  if (view.isPolice) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text(f.policeHeading, { weight: 'Bolder', size: 'Small' }),
        {
          type: 'Input.Toggle',
          id: 'policeContact',
          title: f.policeContact,
          valueOn: 'true',
          valueOff: 'false',
          value: v.policeContact === 'true' ? 'true' : 'false',
        },
        ...errorFor('policeContact'),
        {
          type: 'Input.Text',
          id: 'policeReference',
          label: f.policeReference,
          maxLength: LIMITS.policeReference,
          ...value('policeReference'),
        },
        ...errorFor('policeReference'),
      ],
    });
  }
  return card(body, [execute(f.submit, SIGNAL_VERBS.submit, { cardId: view.cardId }, { style: 'positive' })]);
}

// --- confirmation ---------------------------------------------------------------------------------

export type NextStep =
  | { kind: 'hinder-own' }
  | { kind: 'hinder-other'; organisation: string }
  | { kind: 'zorg'; organisation: string }
  | { kind: 'overlast'; district: string }
  | { kind: 'ernstig'; district: string };

/** A signal summarised without personal data: no name, no date of birth, no free text. */
export interface ConfirmationView {
  signalRef: string;
  kind: SignalKind;
  districtName: string;
  location: string;
  observedAt: string;
  categories: readonly Category[];
  severity: Severity;
  subject: Subject;
  policeContact: boolean;
  caseRef: string;
  caseIsNew: boolean;
  level: Level;
  director: string;
  next: NextStep;
}

function nextStepText(next: NextStep): string {
  const c = t.confirmation;
  switch (next.kind) {
    case 'hinder-own':
      return c.nextHinderOwn;
    case 'hinder-other':
      return c.nextHinderOther(escapeText(next.organisation));
    case 'zorg':
      return c.nextZorg(escapeText(next.organisation));
    case 'overlast':
      return c.nextOverlast(escapeText(next.district));
    case 'ernstig':
      return c.nextErnstig(escapeText(next.district));
  }
}

export function confirmationCard(view: ConfirmationView): AdaptiveCard {
  const c = t.confirmation;
  const rows: [string, string][] = [
    [c.reference, view.signalRef],
    [c.kind, t.kinds[view.kind]],
    [c.district, escapeText(view.districtName)],
    [c.location, escapeText(view.location)],
    [c.observedAt, view.observedAt],
    [c.categories, view.categories.map((k) => t.categories[k]).join(', ')],
    [c.severity, t.severities[view.severity]],
    [c.subject, view.subject === 'persoon' ? c.subjectPersonHidden : t.subjects[view.subject]],
    ...(view.policeContact ? ([[c.policeContact, t.yes]] as [string, string][]) : []),
    [c.case, view.caseIsNew ? c.caseNew(view.caseRef) : c.caseJoined(view.caseRef)],
    [c.level, t.levels[view.level]],
    [c.director, escapeText(view.director)],
  ];
  return card(
    [
      title(c.title),
      facts(rows),
      text(c.whatNext, { weight: 'Bolder', spacing: 'Medium' }),
      text(nextStepText(view.next)),
    ],
    [
      execute(c.openCase, SIGNAL_VERBS.openCase, { caseRef: view.caseRef }),
      execute(c.newSignal, SIGNAL_VERBS.openForm, {}),
    ],
  );
}

// --- mijn meldingen -------------------------------------------------------------------------------

export interface MySignalItem {
  signalRef: string;
  observedAt: string;
  kind: SignalKind;
  location: string;
  caseRef: string;
  level: Level;
}

export function mySignalsCard(items: readonly MySignalItem[]): AdaptiveCard {
  const m = t.mine;
  if (items.length === 0) return card([title(m.title), text(m.empty)], [execute(t.confirmation.newSignal, SIGNAL_VERBS.openForm, {})]);
  const rows: Element[] = items.map((item) => ({
    type: 'Container',
    separator: true,
    selectAction: execute(m.openCase(item.caseRef), SIGNAL_VERBS.openCase, { caseRef: item.caseRef }),
    items: [
      text(`**${item.signalRef}** · ${item.observedAt} · ${t.kinds[item.kind]}`),
      text(escapeText(item.location), { spacing: 'None' }),
      text(m.caseAndLevel(item.caseRef, t.levels[item.level]), { isSubtle: true, size: 'Small', spacing: 'None' }),
    ],
  }));
  return card([title(m.title), text(m.intro(items.length), { isSubtle: true }), ...rows], [
    execute(t.confirmation.newSignal, SIGNAL_VERBS.openForm, {}),
  ]);
}

// --- the case card --------------------------------------------------------------------------------

export interface CaseSignalItem {
  ref: string;
  observedAt: string;
  organisation: string;
  categories: readonly Category[];
  severity: Severity;
  subject: Subject;
  /** Shown only when the access policy allows it; 'hidden' says a person is concerned, not who. */
  person?: { name: string; dateOfBirth: string } | 'hidden';
  /** Free text; 'hidden' when it belongs to person data the viewer may not see. */
  description: string | 'hidden';
  policeContact: boolean;
  /** Police reference (mutatie): police data, only with person data access. */
  policeReference?: string;
}

export interface CaseEventItem {
  at: string;
  text: string;
}

export interface PassOnItem {
  at: string;
  organisation: string;
  reason: string;
  status: PassOnStatus;
}

export interface CaseView {
  ref: string;
  kind: SignalKind;
  level: Level;
  status: 'open' | 'closed';
  director: string;
  districtName: string;
  location: string;
  subject: Subject;
  signals: readonly CaseSignalItem[];
  totalSignals: number;
  events: readonly CaseEventItem[];
  passOns: readonly PassOnItem[];
  assessment: Assessment;
  /** Display names for organisation ids in the assessment. */
  organisationName: (id: string) => string;
  formatDate: (d: Date) => string;
  canPassOn: boolean;
  /** The viewer may plan a casusoverleg about this case (src/app/meetings.ts). */
  canPlanMeeting?: boolean;
  /** Whether this user may record a level change (opschalen / afschalen) on the case. */
  canChangeLevel?: boolean;
  /** When set: a user-specific view with person data is fetched for these users (Teams refresh). */
  refreshFor?: readonly string[];
}

function assessmentFacts(a: Assessment, view: CaseView): [string, string][] {
  const x = t.caseCard.assessment;
  const none = x.none;
  return [
    [x.last7, String(a.last7)],
    [x.last28, String(a.last28)],
    [x.last90, String(a.last90)],
    [x.total, String(a.total)],
    [x.organisations, String(a.organisations)],
    [x.reporters, String(a.reporters)],
    [
      x.perOrganisation,
      a.perOrganisation.length === 0
        ? none
        : a.perOrganisation.map((p) => `${escapeText(view.organisationName(p.organisation))}: ${p.count}`).join(', '),
    ],
    [
      x.span,
      a.firstAt && a.lastAt ? x.spanValue(view.formatDate(a.firstAt), view.formatDate(a.lastAt), a.spanDays) : none,
    ],
    [x.night, x.nightValue(Math.round(a.night.share * 100), a.night.count)],
    [x.regularity, x.regularityValue(a.regularity.days, a.regularity.weeks)],
    [
      x.categories,
      a.categories.length === 0 ? none : x.categoriesValue(a.categories.length, a.categories.map((c) => t.categories[c]).join(', ')),
    ],
    [x.severity, a.highestSeverity ? t.severities[a.highestSeverity] : none],
    [x.trend, x.trendValue(x.trends[a.trend], a.last28, a.previous28)],
  ];
}

/**
 * How much of a case the card shows. Teams refuses a bot message over its size limit (413
 * `MessageSizeTooBig`; documented as 28–40 KB of UTF-16 over the years, 100 KB now), so a busy case
 * must not grow its card without bound: the most recent signals, events and pass-on requests, a
 * pass-on reason over 500 characters (it may have 1,000) cut to an excerpt, and a
 * budget for the card's JSON that the signals — with their whole descriptions — fill until it is
 * spent: a card with long descriptions shows fewer signals (and, should not even the most recent
 * one fit whole, that one with the start of its description).
 */
export const CASE_CARD_LIMITS = {
  signals: 10,
  events: 15,
  passOns: 5,
  /** Characters of a pass-on reason shown (before escaping). */
  reasonExcerpt: 500,
  /** Characters of a description when not even the most recent signal fits whole. */
  descriptionExcerpt: 500,
  /** JSON length of the whole card in UTF-16 code units: 36 KB, under the strictest documented limit. */
  jsonBudget: 18_000,
} as const;

export function caseCard(view: CaseView): AdaptiveCard {
  const c = t.caseCard;
  const limits = CASE_CARD_LIMITS;
  const body: Element[] = [
    title(c.title(view.ref)),
    facts([
      [c.kind, t.kinds[view.kind]],
      [c.level, t.levels[view.level]],
      [c.director, escapeText(view.director)],
      [c.district, escapeText(view.districtName)],
      [c.location, escapeText(view.location)],
      [c.subject, t.subjects[view.subject]],
      [c.status, c.statuses[view.status]],
    ]),
    text(c.assessmentHeading, { weight: 'Bolder', spacing: 'Medium' }),
    facts(assessmentFacts(view.assessment, view)),
  ];
  if (view.passOns.length > 0) {
    body.push(text(c.passOnsHeading, { weight: 'Bolder', spacing: 'Medium' }));
    if (view.passOns.length > limits.passOns) {
      body.push(text(c.passOnsShown(limits.passOns, view.passOns.length), { isSubtle: true, size: 'Small' }));
    }
    for (const p of view.passOns.slice(-limits.passOns)) {
      body.push(
        text(c.passOnLine(p.at, escapeText(p.organisation), c.passOnStatus[p.status]), { size: 'Small' }),
        text(reasonExcerpt(p.reason), { isSubtle: true, size: 'Small', spacing: 'None' }),
      );
    }
  }
  if (view.events.length > 0) {
    body.push(text(c.eventsHeading, { weight: 'Bolder', spacing: 'Medium' }));
    if (view.events.length > limits.events) {
      body.push(text(c.eventsShown(limits.events, view.events.length), { isSubtle: true, size: 'Small' }));
    }
    body.push(facts(view.events.slice(-limits.events).map((e) => [e.at, e.text] as [string, string])));
  }
  body.push(text(c.signalsHeading, { weight: 'Bolder', spacing: 'Medium' }));

  const actions: Element[] = [execute(c.refresh, SIGNAL_VERBS.openCase, { caseRef: view.ref })];
  if (view.canPassOn) actions.unshift(execute(c.passOn, SIGNAL_VERBS.passOnForm, { caseRef: view.ref }));
  if (view.canPlanMeeting) actions.unshift(execute(nl.help.actions.overlegPlannen.title, MEETING_VERBS.planForm, { caseRef: view.ref }));
  if (view.canChangeLevel) actions.unshift(changeLevelAction(view.ref, view.level));
  const refresh =
    view.refreshFor && view.refreshFor.length > 0
      ? {
          refresh: {
            action: { type: 'Action.Execute', verb: SIGNAL_VERBS.caseDetails, data: { caseRef: view.ref } },
            userIds: [...view.refreshFor],
          },
        }
      : {};

  // The signals, most recent first, while the budget lasts (room is kept for the "shown" line).
  // Measuring costs a JSON.stringify, so it happens only when a cheap upper bound says it may not fit.
  const shown = view.signals.slice(0, limits.signals);
  const candidates = shown.map((item) => caseSignalContainer(item));
  const room = limits.jsonBudget - 200;
  let containers = candidates;
  if (jsonLengthBound(card(body, actions, refresh)) + candidates.reduce((n, c) => n + jsonLengthBound(c) + 1, 0) > room) {
    containers = [];
    let size = JSON.stringify(card(body, actions, refresh)).length;
    for (const container of candidates) {
      const added = JSON.stringify(container).length + 1;
      if (size + added > room) break;
      size += added;
      containers.push(container);
    }
    // Not even the most recent signal fits whole: it is shown with the start of its description.
    const first = shown[0];
    if (containers.length === 0 && first !== undefined) {
      const cut = caseSignalContainer(first, limits.descriptionExcerpt);
      if (size + JSON.stringify(cut).length + 1 <= room) containers.push(cut);
    }
  }
  if (containers.length < view.totalSignals) {
    body.push(text(c.signalsShown(containers.length, view.totalSignals), { isSubtle: true, size: 'Small' }));
  }
  body.push(...containers);
  return card(body, actions, refresh);
}

/** A reason as typed (line breaks kept), or, when longer than the excerpt, its start on one line. */
function reasonExcerpt(value: string): string {
  const max = CASE_CARD_LIMITS.reasonExcerpt;
  return value.length > max && [...value].length > max ? escapeExcerpt(value, max) : escapeText(value, { multiline: true });
}

/** One signal of the case card; `excerpt`: its description cut to that many characters. */
function caseSignalContainer(s: CaseSignalItem, excerpt?: number): Element {
  const c = t.caseCard;
  const items: Element[] = [
    text(`**${s.ref}** · ${s.observedAt} · ${escapeText(s.organisation)}`, { size: 'Small' }),
    text(`${s.categories.map((k) => t.categories[k]).join(', ')} · ${t.severities[s.severity]} · ${t.subjects[s.subject]}`, {
      size: 'Small',
      spacing: 'None',
      isSubtle: true,
    }),
  ];
  if (s.person === 'hidden') items.push(text(c.personHidden, { size: 'Small', spacing: 'None', color: 'warning' }));
  else if (s.person) {
    items.push(text(c.personShown(escapeText(s.person.name), s.person.dateOfBirth), { size: 'Small', spacing: 'None' }));
  }
  if (s.policeContact) {
    items.push(text(s.policeReference ? c.policeReference(escapeText(s.policeReference)) : c.policeContact, { size: 'Small', spacing: 'None' }));
  }
  items.push(
    s.description === 'hidden'
      ? text(c.descriptionHidden, { size: 'Small', spacing: 'None', isSubtle: true })
      : text(excerpt === undefined ? escapeText(s.description, { multiline: true }) : escapeExcerpt(s.description, excerpt), { size: 'Small', spacing: 'None' }),
  );
  return { type: 'Container', separator: true, items };
}

/** "Niveau wijzigen": the other levels and a reason (the same rules as every level change). */
function changeLevelAction(caseRef: string, current: Level): Element {
  const c = t.caseCard.changeLevel;
  return {
    type: 'Action.ShowCard',
    title: c.title,
    card: {
      type: 'AdaptiveCard',
      body: [
        {
          type: 'Input.ChoiceSet',
          id: 'to',
          label: c.to,
          isRequired: true,
          errorMessage: c.toRequired,
          choices: (['hinder', 'overlast', 'ernstig'] as const).filter((l) => l !== current).map((l) => ({ title: t.levels[l], value: l })),
        },
        { type: 'Input.Text', id: 'reason', label: c.reason, placeholder: c.reasonPlaceholder, isMultiline: true, maxLength: 1000, isRequired: true, errorMessage: nl.escalation.errors.reasonRequired },
      ],
      actions: [execute(c.submit, ESCALATION_VERBS.changeLevel, { caseRef })],
    },
  };
}

// --- pass-on --------------------------------------------------------------------------------------

export interface PassOnFormView {
  cardId: string;
  caseRef: string;
  reason?: string;
  error?: string;
}

export function passOnFormCard(view: PassOnFormView): AdaptiveCard {
  const p = t.passOn;
  return card(
    [
      title(p.title(view.caseRef)),
      text(p.intro),
      text(p.privacy, { color: 'warning', size: 'Small' }),
      {
        type: 'Input.Text',
        id: 'reason',
        label: p.reason,
        placeholder: p.reasonPlaceholder,
        isMultiline: true,
        maxLength: LIMITS.passOnReason,
        ...(view.reason !== undefined ? { value: view.reason } : {}),
      },
      ...(view.error ? [text(view.error, { color: 'attention', size: 'Small', spacing: 'None' })] : []),
    ],
    [execute(p.submit, SIGNAL_VERBS.passOn, { cardId: view.cardId, caseRef: view.caseRef }, { style: 'positive' })],
  );
}

export function passOnDoneCard(caseRef: string): AdaptiveCard {
  return card(
    [title(t.passOn.doneTitle), text(t.passOn.done(caseRef))],
    [execute(t.confirmation.openCase, SIGNAL_VERBS.openCase, { caseRef })],
  );
}

// --- refusal --------------------------------------------------------------------------------------

/** `message` and `detail` come from nl; any user value inside them must already be escaped. */
export function refusalCard(message: string, detail?: string): AdaptiveCard {
  return card([
    title(t.refusals.title),
    text(message, { color: 'attention' }),
    ...(detail ? [text(detail, { isSubtle: true })] : []),
  ]);
}
