import type { Level } from '../domain/access.js';
import { INTERVENTION_LIMITS, ROW_FIELDS, rowKey } from '../domain/intervention.js';
import {
  MEETING_LIMITS,
  PREP_SHORT_FIELDS,
  PREP_TEXT_FIELDS,
  TARGET_GROUP_CLASSES,
  YES_NO_UNKNOWN,
  type MeetingKind,
  type MeetingState,
  type PrepField,
} from '../domain/meeting.js';
import type { Category, Subject } from '../domain/signal.js';
import { nl } from '../i18n/nl.js';
import { formatCalendarDate } from '../i18n/format.js';
import type { AdaptiveCard } from '../ports.js';
import { escapeText } from './escape.js';
import { card, errorText, execute, facts, heading, text, title, type Element } from './elements.js';

/**
 * The casusoverleg's cards (Adaptive Card 1.5, Universal Actions). Base cards carry no personal
 * data of case subjects: a case is shown by reference, district, location, level and counts. Names
 * and dates of birth appear only in the summons' user-specific view (refresh.userIds = the
 * recipient), which the use case builds only after the access policy allows it, and never for a
 * non-covenant organisation. Professionals' names (organiser, invitees) are not case data and are
 * shown. Every user-typed value goes through escapeText; input values are passed as they are.
 */

/** Action.Execute verbs: the contract between these cards and src/app/meetings.ts. */
export const MEETING_VERBS = {
  /** `{ caseRef? }`: the planning card (from a case card, a notice, or the help card). */
  planForm: 'meeting.plan-form',
  /** `{ cardId, …inputs }`: re-render the planning card with suggestions for the chosen cases. */
  planUpdate: 'meeting.plan-update',
  /** `{ cardId, …inputs }`. */
  plan: 'meeting.plan',
  /** `{ meetingId }`: the summons for an invitee, the overview for the organiser. */
  open: 'meeting.open',
  /** `{ meetingId }`: the summons, user-specific (refresh). */
  summons: 'meeting.summons',
  /** `{ meetingId, answer: 'aanwezig' | 'verhinderd', reason? }`. */
  rsvp: 'meeting.rsvp',
  /** `{ meetingId, substitute }`. */
  substitute: 'meeting.substitute',
  /** `{ meetingId }`. */
  prepForm: 'meeting.prep-form',
  /** `{ meetingId, …appendix 1 inputs }`. */
  prep: 'meeting.prep',
  /** `{ meetingId, organisation }`: one partner's preparation, for the organiser. */
  prepView: 'meeting.prep-view',
  /** `{ meetingId }`: the organiser's overview (also its refresh). */
  overview: 'meeting.overview',
  /** `{ meetingId }`: remind invitees without an answer now. */
  remind: 'meeting.remind',
  /** `{ meetingId }`. */
  rescheduleForm: 'meeting.reschedule-form',
  /** `{ meetingId, version, date, start, end, place }`. */
  reschedule: 'meeting.reschedule',
  /** `{ meetingId }`. */
  cancelForm: 'meeting.cancel-form',
  /** `{ meetingId, version, reason }`. */
  cancel: 'meeting.cancel',
  /** `{ meetingId }`. */
  agreementsForm: 'meeting.agreements-form',
  /** `{ cardId, …inputs }`: one more intervention row. */
  agreementsAddRow: 'meeting.agreements-add-row',
  /** `{ cardId, …inputs }`. */
  agreements: 'meeting.agreements',
  /** `{ meetingId, answer }`: advice given beforehand. */
  advice: 'meeting.advice',
  /** `{ meetingId, organisation }`: one organisation's advice, for the organiser. */
  adviceView: 'meeting.advice-view',
  /** `{}`: my meetings. */
  mine: 'meeting.mine',
} as const;

const t = nl.meetings;
const s = nl.signals;

function valueOf(v: string | undefined): Element {
  return v !== undefined ? { value: v } : {};
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;
const dateValue = (v: string | undefined): Element => (v && DATE.test(v) ? { value: v } : {});
const timeValue = (v: string | undefined): Element => (v && TIME.test(v) ? { value: v } : {});

/** An https link as place: offered as a button too (only https; the text stays escaped). */
export function joinAction(place: string): Element[] {
  return /^https:\/\/[^\s<>"]+$/.test(place) ? [{ type: 'Action.OpenUrl', title: t.summons.join, url: place }] : [];
}

function refreshFor(verb: string, data: Record<string, unknown>, userIds: readonly string[] | undefined): Record<string, unknown> {
  return userIds && userIds.length > 0 ? { refresh: { action: { type: 'Action.Execute', verb, data }, userIds: [...userIds] } } : {};
}

// --- shared pieces --------------------------------------------------------------------------------

/** A case on the agenda, without personal data: reference, district, location, level, counts. */
export interface AgendaCase {
  ref: string;
  districtName: string;
  location: string;
  level: Level;
  subject: Subject;
  signals: number;
  categories: readonly Category[];
}

function agenda(cases: readonly AgendaCase[]): Element[] {
  return [
    heading(t.summons.casesHeading),
    ...cases.map((c) => ({
      type: 'Container',
      items: [
        text(t.summons.caseLine(c.ref, escapeText(c.districtName), escapeText(c.location))),
        text(
          t.summons.caseSummary(s.levels[c.level], s.subjects[c.subject], c.signals, c.categories.map((k) => s.categories[k]).join(', ')),
          { isSubtle: true, size: 'Small', spacing: 'None' },
        ),
      ],
    })),
  ];
}

// --- planning -------------------------------------------------------------------------------------

export const PLAN_FIELDS = ['cases', 'date', 'start', 'end', 'place', 'orgs', 'users', 'prepare', 'adviceOrgs', 'adviceQuestion'] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];
export type PlanFormValues = Partial<Record<PlanField, string>>;

export interface Choice {
  value: string;
  title: string;
}

export interface PlanFormView {
  cardId: string;
  values: PlanFormValues;
  errors?: Partial<Record<PlanField, string>>;
  caseChoices: readonly Choice[];
  orgChoices: readonly Choice[];
  userChoices: readonly Choice[];
  /** Already formatted: organisation name and its reasons (escaped by the card). */
  suggestions: readonly { organisation: string; reasons: string }[];
  today: string;
}

export function planFormCard(view: PlanFormView): AdaptiveCard {
  const p = t.plan;
  const v = view.values;
  const err = (f: PlanField) => errorText(view.errors?.[f]);
  const multi = (id: PlanField, label: string, choices: readonly Choice[]): Element => ({
    type: 'Input.ChoiceSet',
    id,
    label,
    isMultiSelect: true,
    style: 'compact',
    choices: choices.map((c) => ({ title: c.title, value: c.value })),
    ...valueOf(v[id]),
  });
  const body: Element[] = [title(p.title), text(p.intro, { isSubtle: true, spacing: 'Small' })];
  body.push({ type: 'Container', style: 'warning', items: [text(p.privacy, { size: 'Small' })] });
  if (view.errors && Object.keys(view.errors).length > 0) body.push(text(p.errorSummary, { color: 'attention', weight: 'Bolder' }));
  if (view.caseChoices.length === 0) body.push(text(p.casesNone, { color: 'warning' }));
  body.push(
    multi('cases', p.cases, view.caseChoices),
    ...err('cases'),
    { type: 'ActionSet', actions: [execute(p.suggest, MEETING_VERBS.planUpdate, { cardId: view.cardId })] },
    { type: 'Input.Date', id: 'date', label: p.date, min: view.today, ...dateValue(v.date) },
    ...err('date'),
    {
      type: 'ColumnSet',
      columns: [
        { type: 'Column', width: 'stretch', items: [{ type: 'Input.Time', id: 'start', label: p.start, ...timeValue(v.start) }, ...err('start')] },
        { type: 'Column', width: 'stretch', items: [{ type: 'Input.Time', id: 'end', label: p.end, ...timeValue(v.end) }, ...err('end')] },
      ],
    },
    { type: 'Input.Text', id: 'place', label: p.place, placeholder: p.placePlaceholder, maxLength: MEETING_LIMITS.place, ...valueOf(v.place) },
    ...err('place'),
    heading(p.suggestedHeading),
  );
  if (view.suggestions.length === 0) body.push(text(p.suggestedNone, { isSubtle: true, size: 'Small' }));
  for (const sug of view.suggestions) {
    body.push(text(p.suggestionLine(escapeText(sug.organisation), escapeText(sug.reasons)), { size: 'Small', spacing: 'None' }));
  }
  body.push(
    multi('orgs', p.organisations, view.orgChoices),
    ...err('orgs'),
    multi('users', p.people, view.userChoices),
    ...err('users'),
    text(p.nonCovenantNote, { isSubtle: true, size: 'Small' }),
    {
      type: 'Input.Text',
      id: 'prepare',
      label: p.prepare,
      placeholder: p.preparePlaceholder,
      isMultiline: true,
      maxLength: MEETING_LIMITS.prepare,
      ...valueOf(v.prepare),
    },
    ...err('prepare'),
    heading(p.adviceHeading),
    text(p.adviceIntro, { isSubtle: true, size: 'Small' }),
    multi('adviceOrgs', p.adviceOrganisations, view.orgChoices),
    ...err('adviceOrgs'),
    {
      type: 'Input.Text',
      id: 'adviceQuestion',
      label: p.adviceQuestion,
      isMultiline: true,
      maxLength: MEETING_LIMITS.adviceQuestion,
      ...valueOf(v.adviceQuestion),
    },
    ...err('adviceQuestion'),
  );
  return card(body, [execute(p.submit, MEETING_VERBS.plan, { cardId: view.cardId }, { style: 'positive' })]);
}

// --- the summons ----------------------------------------------------------------------------------

export type AnswerView =
  | { kind: 'aanwezig' }
  | { kind: 'vervanger'; substituteName: string }
  | { kind: 'verhinderd'; reason: string };

export interface SummonsView {
  meetingId: string;
  ref: string;
  kind: MeetingKind;
  state: MeetingState;
  when: string;
  place: string;
  organiser: string;
  cases: readonly AgendaCase[];
  prepare?: string;
  /** Name of whom the recipient replaces, for a substitute's summons. */
  substituteFor?: string;
  answer?: AnswerView;
  /** Answers can still be given or changed (active and not started). */
  open: boolean;
  /** Colleagues of the recipient's organisation (for "ik stuur een vervanger"). */
  colleagues: readonly Choice[];
  prep?: { at: string; by: string };
  /** A line on top: a reminder, a reschedule. Our own text; user values escaped by the caller. */
  banner?: string;
  /** Only in the user-specific view, and only what the access policy allows. */
  details?: { persons: readonly { name: string; dateOfBirth: string }[]; withheld: number };
  /** The recipient, when they may get the user-specific view (covenant organisation). */
  refreshFor?: readonly string[];
}

export function summonsCard(view: SummonsView): AdaptiveCard {
  const x = t.summons;
  const kind = t.kinds[view.kind];
  const body: Element[] = [];
  if (view.banner) body.push({ type: 'Container', style: 'accent', items: [text(view.banner, { weight: 'Bolder' })] });
  body.push(
    title(x.title(kind, view.ref)),
    text(
      view.substituteFor
        ? x.introSubstitute(escapeText(view.organiser), kind, escapeText(view.substituteFor))
        : x.intro(escapeText(view.organiser), kind),
    ),
    facts([
      [x.when, view.when],
      [x.where, escapeText(view.place)],
      [x.organiser, escapeText(view.organiser)],
      [x.state, t.states[view.state]],
    ]),
    ...agenda(view.cases),
  );
  if (view.details) {
    body.push(heading(x.personsHeading));
    for (const p of view.details.persons) body.push(text(x.personLine(escapeText(p.name), p.dateOfBirth), { size: 'Small', spacing: 'None' }));
    if (view.details.withheld > 0) body.push(text(x.personsWithheld(view.details.withheld), { isSubtle: true, size: 'Small' }));
  }
  body.push(heading(x.prepareHeading), text(x.prepareAppendix, { size: 'Small' }));
  if (view.prepare) body.push(text(escapeText(view.prepare, { multiline: true }), { size: 'Small' }));
  body.push(text(view.prep ? x.prepDone(view.prep.at, escapeText(view.prep.by)) : x.prepMissing, { size: 'Small', isSubtle: true }));

  const closed =
    view.state === 'geannuleerd' || view.state === 'afgelopen' ? x.closedNote[view.state] : !view.open ? x.closedNote.started : undefined;
  const answers = answerSection({ meetingId: view.meetingId, colleagues: view.colleagues, ...(view.answer ? { answer: view.answer } : {}), ...(closed ? { closed } : {}) }, MEETING_VERBS);
  body.push(...answers.body);
  const actions: Element[] = [...answers.actions];
  if (!closed) actions.push(execute(x.prepare, MEETING_VERBS.prepForm, { meetingId: view.meetingId }, { associatedInputs: 'none' }));
  actions.push(...(view.open ? joinAction(view.place) : []));
  return card(body, actions, refreshFor(MEETING_VERBS.summons, { meetingId: view.meetingId }, view.refreshFor));
}

/** The verbs a summons' answer buttons send: `{ meetingId, answer, reason? }` and `{ meetingId, substitute }`. */
export interface AnswerVerbs {
  rsvp: string;
  substitute: string;
}

/**
 * The answer part of a summons — "Jouw antwoord", and while answers are open the buttons aanwezig ·
 * ik stuur een vervanger (a colleague) · verhinderd (reason) — for the casusoverleg and the Kerngroep.
 * `closed`: why answering is no longer possible (our own text), instead of the buttons.
 */
export function answerSection(
  view: { meetingId: string; answer?: AnswerView; colleagues: readonly Choice[]; closed?: string },
  verbs: AnswerVerbs,
): { body: Element[]; actions: Element[] } {
  const x = t.summons;
  const body: Element[] = [heading(x.yourAnswer), text(answerLine(view.answer))];
  const actions: Element[] = [];
  if (view.closed) {
    body.push(text(view.closed, { color: 'attention' }));
  } else {
    body.push(text(x.changeUntil, { isSubtle: true, size: 'Small' }));
    const data = { meetingId: view.meetingId };
    actions.push(execute(x.attend, verbs.rsvp, { ...data, answer: 'aanwezig' }, { style: 'positive', associatedInputs: 'none' }));
    actions.push({
      type: 'Action.ShowCard',
      title: x.substitute,
      card: card(
        view.colleagues.length > 0
          ? [
              {
                type: 'Input.ChoiceSet',
                id: 'substitute',
                label: x.substitutePick,
                style: 'compact',
                choices: view.colleagues.map((c) => ({ title: c.title, value: c.value })),
              },
            ]
          : [text(x.substituteNone, { isSubtle: true })],
        view.colleagues.length > 0 ? [execute(x.substituteSubmit, verbs.substitute, data)] : [],
      ),
    });
    actions.push({
      type: 'Action.ShowCard',
      title: x.absent,
      card: card(
        [{ type: 'Input.Text', id: 'reason', label: x.absentReason, isMultiline: true, maxLength: MEETING_LIMITS.reason }],
        [execute(x.absentSubmit, verbs.rsvp, { ...data, answer: 'verhinderd' })],
      ),
    });
  }
  return { body, actions };
}

function answerLine(answer: AnswerView | undefined): string {
  const a = t.summons.answerLine;
  if (!answer) return a.none;
  if (answer.kind === 'aanwezig') return a.aanwezig;
  if (answer.kind === 'vervanger') return a.vervanger(escapeText(answer.substituteName));
  return a.verhinderd(escapeText(answer.reason));
}

export interface CancellationView {
  ref: string;
  when: string;
  organiser: string;
  reason: string;
}

export function cancellationCard(view: CancellationView): AdaptiveCard {
  const c = t.cancelled;
  return card([
    title(c.title(view.ref)),
    text(c.text(view.when, escapeText(view.organiser))),
    facts([[c.reason, escapeText(view.reason)]]),
    text(c.noReminders, { isSubtle: true, size: 'Small' }),
  ]);
}

// --- the organiser's overview ---------------------------------------------------------------------

export type DeliveryLabel = keyof typeof t.overview.delivery;

export interface OverviewInvitee {
  name: string;
  organisation: string;
  organisationId: string;
  substituteFor?: string;
  answer?: AnswerView;
  prepDone: boolean;
  delivery: DeliveryLabel;
}

export interface OverviewView {
  meetingId: string;
  ref: string;
  kind: MeetingKind;
  state: MeetingState;
  when: string;
  place: string;
  cases: readonly AgendaCase[];
  invitees: readonly OverviewInvitee[];
  advisers: readonly { name: string; organisation: string; organisationId: string; answered: boolean }[];
  canRemind: boolean;
  canReschedule: boolean;
  canCancel: boolean;
  canRecordAgreements: boolean;
  /** The organiser: the overview refreshes for them only. */
  refreshFor: readonly string[];
  notice?: string;
  cancelledReason?: string;
  followUpRef?: string;
  previousRef?: string;
  agreements?: readonly string[];
}

export function overviewCard(view: OverviewView): AdaptiveCard {
  const o = t.overview;
  const data = { meetingId: view.meetingId };
  const body: Element[] = [];
  if (view.notice) body.push({ type: 'Container', style: 'good', items: [text(view.notice, { weight: 'Bolder' })] });
  body.push(
    title(o.title(view.ref)),
    facts([
      [t.summons.when, view.when],
      [t.summons.where, escapeText(view.place)],
      [t.summons.state, t.states[view.state]],
      ...(view.previousRef ? ([[t.kinds[view.kind], o.previous(view.previousRef)]] as [string, string][]) : []),
      ...(view.followUpRef ? ([[t.kinds[view.kind], o.followUp(view.followUpRef)]] as [string, string][]) : []),
    ]),
  );
  if (view.cancelledReason) body.push(text(o.cancelledNote(escapeText(view.cancelledReason)), { color: 'attention' }));
  body.push(...agenda(view.cases));

  const count = (k: AnswerView['kind'] | undefined) => view.invitees.filter((i) => i.answer?.kind === k).length;
  body.push(
    heading(o.inviteesHeading),
    text(o.counts(count('aanwezig'), count('vervanger'), count('verhinderd'), count(undefined)), { isSubtle: true, size: 'Small' }),
  );
  for (const i of view.invitees) {
    const sub = i.substituteFor ? ` (${o.substituteFor(escapeText(i.substituteFor))})` : '';
    body.push({
      type: 'Container',
      separator: true,
      ...(i.prepDone
        ? { selectAction: execute(o.viewPrep, MEETING_VERBS.prepView, { ...data, organisation: i.organisationId }) }
        : {}),
      items: [
        text(`${o.row(escapeText(i.name), escapeText(i.organisation))}${sub}`, { size: 'Small' }),
        text(
          `${o.answer}: ${answerSummary(i.answer)} · ${o.prep}: ${i.prepDone ? o.prepDone : o.prepMissing} · ${o.delivery[i.delivery]}`,
          { size: 'Small', spacing: 'None', isSubtle: true },
        ),
      ],
    });
  }
  if (view.advisers.length > 0) {
    body.push(heading(o.adviceHeading));
    for (const a of view.advisers) {
      body.push({
        type: 'Container',
        separator: true,
        ...(a.answered ? { selectAction: execute(o.viewAdvice, MEETING_VERBS.adviceView, { ...data, organisation: a.organisationId }) } : {}),
        items: [
          text(`${o.row(escapeText(a.name), escapeText(a.organisation))} · ${a.answered ? o.adviceDone : o.adviceMissing}`, { size: 'Small' }),
        ],
      });
    }
  }
  if (view.agreements && view.agreements.length > 0) {
    body.push(heading(o.agreements));
    for (const line of view.agreements) body.push(text(line, { size: 'Small', spacing: 'None' }));
  }
  const actions: Element[] = [];
  if (view.canRecordAgreements) actions.push(execute(o.agreements, MEETING_VERBS.agreementsForm, data, { style: 'positive' }));
  if (view.canRemind) actions.push(execute(o.remind, MEETING_VERBS.remind, data));
  if (view.canReschedule) actions.push(execute(o.reschedule, MEETING_VERBS.rescheduleForm, data));
  if (view.canCancel) actions.push(execute(o.cancel, MEETING_VERBS.cancelForm, data, { style: 'destructive' }));
  actions.push(execute(o.refresh, MEETING_VERBS.overview, data));
  return card(body, actions, refreshFor(MEETING_VERBS.overview, data, view.refreshFor));
}

/** One invitee's answer in a list (the organiser's overview, the Kerngroep chair's matrix). */
export function answerSummary(answer: AnswerView | undefined): string {
  if (!answer) return t.answers.none;
  if (answer.kind === 'vervanger') return `${t.answers.vervanger} (${escapeText(answer.substituteName)})`;
  if (answer.kind === 'verhinderd') return `${t.answers.verhinderd} (${escapeText(answer.reason)})`;
  return t.answers.aanwezig;
}

// --- preparation (appendix 1) ---------------------------------------------------------------------

export interface PrepFormView {
  meetingId: string;
  ref: string;
  values: Partial<Record<PrepField, string>>;
  errors?: Partial<Record<PrepField | 'form', string>>;
  readOnly: boolean;
  saved?: string;
  filledIn?: { at: string; by: string };
}

export function prepFormCard(view: PrepFormView): AdaptiveCard {
  const p = t.prep;
  const f = p.fields;
  const v = view.values;
  const body: Element[] = [title(p.title(view.ref))];
  if (view.saved) body.push({ type: 'Container', style: 'good', items: [text(view.saved, { weight: 'Bolder' })] });
  body.push(text(p.intro, { isSubtle: true, size: 'Small' }), { type: 'Container', style: 'warning', items: [text(p.privacy, { size: 'Small' })] });
  if (view.filledIn) body.push(text(p.filledIn(view.filledIn.at, escapeText(view.filledIn.by)), { size: 'Small', isSubtle: true }));
  body.push(...errorText(view.errors?.form));
  if (view.readOnly) {
    body.push(text(p.readOnly, { color: 'attention' }), ...prepFacts(v));
    return card(body, [execute(p.backToSummons, MEETING_VERBS.summons, { meetingId: view.meetingId })]);
  }
  const input = (field: (typeof PREP_TEXT_FIELDS)[number]): Element[] => {
    const short = PREP_SHORT_FIELDS.includes(field);
    return [
      {
        type: 'Input.Text',
        id: field,
        label: f[field],
        maxLength: short ? MEETING_LIMITS.prepShort : MEETING_LIMITS.prepText,
        ...(short ? {} : { isMultiline: true }),
        ...valueOf(v[field]),
      },
      ...errorText(view.errors?.[field]),
    ];
  };
  body.push(
    heading(p.general),
    ...input('nuisanceArea'),
    {
      type: 'Input.ChoiceSet',
      id: 'classification',
      label: f.classification,
      style: 'expanded',
      choices: TARGET_GROUP_CLASSES.map((c) => ({ title: p.classes[c], value: c })),
      ...valueOf(v.classification),
    },
    ...errorText(view.errors?.classification),
    ...(['networkPartners', 'analysis', 'targetGroup', 'nuisanceKind', 'characteristics', 'circumstances', 'alreadyDone', 'remainingOptions', 'proposedApproach'] as const).flatMap(input),
    heading(p.group),
    ...input('groupName'),
    {
      type: 'Input.Number',
      id: 'groupSize',
      label: f.groupSize,
      min: 1,
      max: MEETING_LIMITS.groupSizeMax,
      ...(v.groupSize && /^\d{1,4}$/.test(v.groupSize) ? { value: Number(v.groupSize) } : {}),
    },
    ...errorText(view.errors?.groupSize),
    {
      type: 'Input.ChoiceSet',
      id: 'livesInDistrict',
      label: f.livesInDistrict,
      style: 'expanded',
      choices: YES_NO_UNKNOWN.map((c) => ({ title: p.yesNo[c], value: c })),
      ...valueOf(v.livesInDistrict),
    },
    ...errorText(view.errors?.livesInDistrict),
    ...(['hangouts', 'ages', 'nuisanceTimes', 'groupNuisanceKind', 'policeContact', 'atmosphere', 'mostAffected'] as const).flatMap(input),
  );
  return card(body, [
    execute(p.submit, MEETING_VERBS.prep, { meetingId: view.meetingId }, { style: 'positive' }),
    execute(p.backToSummons, MEETING_VERBS.summons, { meetingId: view.meetingId }, { associatedInputs: 'none' }),
  ]);
}

function prepFacts(v: Partial<Record<PrepField, string>>): Element[] {
  const p = t.prep;
  const rows: [string, string][] = [];
  for (const field of ['nuisanceArea', 'classification', ...PREP_TEXT_FIELDS.filter((x) => x !== 'nuisanceArea'), 'groupSize', 'livesInDistrict'] as PrepField[]) {
    const value = v[field];
    if (value === undefined || value === '') continue;
    const shown =
      field === 'classification' ? p.classes[value as (typeof TARGET_GROUP_CLASSES)[number]] ?? escapeText(value)
      : field === 'livesInDistrict' ? p.yesNo[value as (typeof YES_NO_UNKNOWN)[number]] ?? escapeText(value)
      : escapeText(value);
    rows.push([p.fields[field], shown]);
  }
  return rows.length > 0 ? [facts(rows)] : [];
}

export interface PrepViewCard {
  meetingId: string;
  ref: string;
  organisation: string;
  values?: Partial<Record<PrepField, string>>;
  filledIn?: { at: string; by: string };
}

/** One partner's preparation, for the organiser (an Action.Execute answer, not a proactive message). */
export function prepViewCard(view: PrepViewCard): AdaptiveCard {
  const p = t.prep;
  const body: Element[] = [title(p.viewTitle(escapeText(view.organisation), view.ref))];
  if (!view.values) body.push(text(p.none));
  else {
    if (view.filledIn) body.push(text(p.filledIn(view.filledIn.at, escapeText(view.filledIn.by)), { size: 'Small', isSubtle: true }));
    body.push(...prepFacts(view.values));
  }
  return card(body, [execute(p.backToOverview, MEETING_VERBS.overview, { meetingId: view.meetingId })]);
}

// --- advice beforehand ----------------------------------------------------------------------------

export interface AdviceRequestView {
  meetingId: string;
  ref: string;
  organiser: string;
  when: string;
  cases: readonly AgendaCase[];
  question?: string;
  answer?: string;
  error?: string;
  saved?: string;
  open: boolean;
}

export function adviceRequestCard(view: AdviceRequestView): AdaptiveCard {
  const a = t.advice;
  const body: Element[] = [];
  if (view.saved) body.push({ type: 'Container', style: 'good', items: [text(view.saved, { weight: 'Bolder' })] });
  body.push(title(a.title(view.ref)), text(a.intro(escapeText(view.organiser), view.when)), ...agenda(view.cases));
  if (view.question) body.push(heading(a.question), text(escapeText(view.question, { multiline: true })));
  if (!view.open) {
    body.push(text(a.closed, { color: 'attention' }));
    if (view.answer) body.push(text(escapeText(view.answer, { multiline: true }), { size: 'Small' }));
    return card(body);
  }
  body.push(
    text(a.privacy, { color: 'warning', size: 'Small' }),
    {
      type: 'Input.Text',
      id: 'answer',
      label: a.answer,
      isMultiline: true,
      maxLength: MEETING_LIMITS.adviceAnswer,
      ...valueOf(view.answer),
    },
    ...errorText(view.error),
  );
  return card(body, [execute(a.submit, MEETING_VERBS.advice, { meetingId: view.meetingId }, { style: 'positive' })]);
}

export function adviceViewCard(view: { meetingId: string; ref: string; organisation: string; answer?: { text: string; by: string; at: string } }): AdaptiveCard {
  const a = t.advice;
  const body: Element[] = [title(a.viewTitle(escapeText(view.organisation), view.ref))];
  if (!view.answer) body.push(text(a.none));
  else body.push(text(a.by(view.answer.at, escapeText(view.answer.by)), { isSubtle: true, size: 'Small' }), text(escapeText(view.answer.text, { multiline: true })));
  return card(body, [execute(t.prep.backToOverview, MEETING_VERBS.overview, { meetingId: view.meetingId })]);
}

// --- reschedule and cancel ------------------------------------------------------------------------

export interface RescheduleFormView {
  meetingId: string;
  ref: string;
  version: number;
  values: { date?: string; start?: string; end?: string; place?: string };
  errors?: Partial<Record<'date' | 'start' | 'end' | 'place', string>>;
  today: string;
}

export function rescheduleFormCard(view: RescheduleFormView): AdaptiveCard {
  const r = t.reschedule;
  const p = t.plan;
  const v = view.values;
  const err = (f: 'date' | 'start' | 'end' | 'place') => errorText(view.errors?.[f]);
  return card(
    [
      title(r.title(view.ref)),
      text(r.intro, { isSubtle: true }),
      { type: 'Input.Date', id: 'date', label: p.date, min: view.today, ...dateValue(v.date) },
      ...err('date'),
      { type: 'Input.Time', id: 'start', label: p.start, ...timeValue(v.start) },
      ...err('start'),
      { type: 'Input.Time', id: 'end', label: p.end, ...timeValue(v.end) },
      ...err('end'),
      { type: 'Input.Text', id: 'place', label: p.place, maxLength: MEETING_LIMITS.place, ...valueOf(v.place) },
      ...err('place'),
    ],
    [
      execute(r.submit, MEETING_VERBS.reschedule, { meetingId: view.meetingId, version: view.version }, { style: 'positive' }),
      execute(t.prep.backToOverview, MEETING_VERBS.overview, { meetingId: view.meetingId }, { associatedInputs: 'none' }),
    ],
  );
}

export function cancelFormCard(view: { meetingId: string; ref: string; version: number; reason?: string; error?: string }): AdaptiveCard {
  const c = t.cancel;
  return card(
    [
      title(c.title(view.ref)),
      text(c.intro, { isSubtle: true }),
      { type: 'Input.Text', id: 'reason', label: c.reason, isMultiline: true, maxLength: MEETING_LIMITS.cancelReason, ...valueOf(view.reason) },
      ...errorText(view.error),
    ],
    [
      execute(c.submit, MEETING_VERBS.cancel, { meetingId: view.meetingId, version: view.version }, { style: 'destructive' }),
      execute(t.prep.backToOverview, MEETING_VERBS.overview, { meetingId: view.meetingId }, { associatedInputs: 'none' }),
    ],
  );
}

// --- agreements -----------------------------------------------------------------------------------

export interface AgreementsFormView {
  cardId: string;
  ref: string;
  rows: number;
  values: Readonly<Record<string, string | undefined>>;
  errors?: Readonly<Record<string, string>>;
  formError?: string;
  orgChoices: readonly Choice[];
  userChoices: readonly Choice[];
  instrumentChoices: readonly Choice[];
  today: string;
}

export const FOLLOW_UP_FIELDS = ['followUp', 'fuDate', 'fuStart', 'fuEnd', 'fuPlace'] as const;

export function agreementsFormCard(view: AgreementsFormView): AdaptiveCard {
  const a = t.agreements;
  const p = t.plan;
  const v = view.values;
  const err = (key: string) => errorText(view.errors?.[key]);
  const body: Element[] = [
    title(a.title(view.ref)),
    text(a.intro, { isSubtle: true, size: 'Small' }),
    { type: 'Container', style: 'warning', items: [text(a.nonCovenantNote, { size: 'Small' })] },
  ];
  if ((view.errors && Object.keys(view.errors).length > 0) || view.formError) {
    body.push(text(view.formError ?? a.errorSummary, { color: 'attention', weight: 'Bolder' }));
  }
  for (let r = 1; r <= view.rows; r++) {
    const k = (f: (typeof ROW_FIELDS)[number]) => rowKey(f, r);
    const choice = (f: 'org' | 'person' | 'instrument', label: string, choices: readonly Choice[]): Element => ({
      type: 'Input.ChoiceSet',
      id: k(f),
      label,
      style: 'compact',
      choices: choices.map((c) => ({ title: c.title, value: c.value })),
      ...valueOf(v[k(f)]),
    });
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text(a.row(r), { weight: 'Bolder' }),
        choice('org', a.org, view.orgChoices),
        ...err(k('org')),
        choice('person', a.person, view.userChoices),
        ...err(k('person')),
        choice('instrument', a.instrument, view.instrumentChoices),
        ...err(k('instrument')),
        { type: 'Input.Text', id: k('what'), label: a.what, isMultiline: true, maxLength: INTERVENTION_LIMITS.description, ...valueOf(v[k('what')]) },
        ...err(k('what')),
        { type: 'Input.Date', id: k('feedbackDue'), label: a.feedbackDue, min: view.today, ...dateValue(v[k('feedbackDue')]) },
        ...err(k('feedbackDue')),
        { type: 'Input.Date', id: k('behaviourBy'), label: a.behaviourBy, min: view.today, ...dateValue(v[k('behaviourBy')]) },
        ...err(k('behaviourBy')),
      ],
    });
  }
  if (view.rows < INTERVENTION_LIMITS.maxRows) {
    body.push({ type: 'ActionSet', actions: [execute(a.addRow, MEETING_VERBS.agreementsAddRow, { cardId: view.cardId })] });
  }
  body.push({
    type: 'Container',
    separator: true,
    items: [
      heading(a.followUpHeading),
      text(a.followUpIntro, { isSubtle: true, size: 'Small' }),
      { type: 'Input.Toggle', id: 'followUp', title: a.followUp, valueOn: 'true', valueOff: 'false', value: v.followUp === 'false' ? 'false' : 'true' },
      { type: 'Input.Date', id: 'fuDate', label: p.date, min: view.today, ...dateValue(v.fuDate) },
      ...err('fuDate'),
      { type: 'Input.Time', id: 'fuStart', label: p.start, ...timeValue(v.fuStart) },
      ...err('fuStart'),
      { type: 'Input.Time', id: 'fuEnd', label: p.end, ...timeValue(v.fuEnd) },
      ...err('fuEnd'),
      { type: 'Input.Text', id: 'fuPlace', label: p.place, maxLength: MEETING_LIMITS.place, ...valueOf(v.fuPlace) },
      ...err('fuPlace'),
    ],
  });
  return card(body, [execute(a.submit, MEETING_VERBS.agreements, { cardId: view.cardId }, { style: 'positive' })]);
}

export interface AgreementView {
  ref: string;
  organiser: string;
  cases: readonly AgendaCase[];
  what: string;
  responsible: string;
  feedbackDue: string;
  behaviourBy: string;
}

/** The card a responsible partner gets: their agreement. `what` is escaped here. */
export function agreementCard(view: AgreementView): AdaptiveCard {
  const a = t.agreement;
  return card([
    title(a.title(view.ref)),
    text(a.intro(escapeText(view.organiser))),
    ...agenda(view.cases),
    facts([
      [a.what, escapeText(view.what)],
      [a.responsible, escapeText(view.responsible)],
      [a.feedbackDue, view.feedbackDue],
      [a.behaviourBy, view.behaviourBy],
    ]),
    text(a.feedbackNote, { isSubtle: true, size: 'Small' }),
  ]);
}

// --- my meetings ----------------------------------------------------------------------------------

export interface MyMeetingItem {
  meetingId: string;
  ref: string;
  when: string;
  state: MeetingState;
  role: 'organiser' | 'invitee' | 'adviser';
  answer?: AnswerView | 'none';
}

export function myMeetingsCard(items: readonly MyMeetingItem[], canPlan: boolean): AdaptiveCard {
  const m = t.mine;
  const actions = canPlan ? [execute(m.plan, MEETING_VERBS.planForm, {})] : [];
  if (items.length === 0) return card([title(m.title), text(m.empty)], actions);
  const rows: Element[] = items.map((item) => ({
    type: 'Container',
    separator: true,
    selectAction: execute(item.ref, MEETING_VERBS.open, { meetingId: item.meetingId }),
    items: [
      text(m.line(item.ref, item.when, t.states[item.state])),
      text(
        item.role === 'organiser'
          ? m.roleOrganiser
          : item.role === 'adviser'
            ? m.roleAdviser
            : item.answer === 'none' || item.answer === undefined
              ? t.answers.none
              : answerSummary(item.answer),
        { isSubtle: true, size: 'Small', spacing: 'None' },
      ),
    ],
  }));
  return card([title(m.title), text(m.intro(items.length), { isSubtle: true }), ...rows], actions);
}

/** The case timeline's line for a meeting event (src/app/signals.ts shows it on the case card). */
export function meetingEventText(
  e:
    | { type: 'meeting'; meetingRef: string; change: 'planned' | 'rescheduled' | 'cancelled' | 'agreements-recorded'; interventions?: number | undefined }
    | { type: 'intervention-agreed'; meetingRef: string; organisation: string; feedbackDue: string },
  organisationName: (id: string) => string,
): string {
  const x = t.timeline;
  if (e.type === 'intervention-agreed') {
    return x.intervention(escapeText(organisationName(e.organisation)), formatCalendarDate(e.feedbackDue));
  }
  switch (e.change) {
    case 'planned':
      return x.planned(e.meetingRef);
    case 'rescheduled':
      return x.rescheduled(e.meetingRef);
    case 'cancelled':
      return x.cancelled(e.meetingRef);
    case 'agreements-recorded':
      return x.agreementsRecorded(e.meetingRef, e.interventions ?? 0);
  }
}
