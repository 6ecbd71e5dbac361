import type { AdaptiveCard } from '../ports.js';
import { nl } from '../i18n/nl.js';
import { escapeText } from './escape.js';
import { card, execute, facts, text } from './elements.js';
import { answerSection, answerSummary, joinAction, type AnswerView, type Choice } from './meeting-cards.js';

/**
 * Kerngroep cards (src/app/kerngroep.ts). Privacy: a BSN or address is never rendered in any card.
 * Names and dates of birth of persons appear only in user-specific views (refresh.userIds), built by
 * the use case after the access policy allowed it; base cards sent proactively carry none.
 * Every value passed in as text is escaped here.
 */

export const KERNGROEP_VERBS = {
  /** `{ caseRef }`: the wijkmanager's user-specific registration form (refresh). */
  registerForm: 'kerngroep.register-form',
  /** `{ caseRef, reason, justification?, persons? }` */
  register: 'kerngroep.register',
  /** `{ registrationId, decision: 'accept' | 'return', reason }` */
  decide: 'kerngroep.decide',
  /** `{ date, start, place, orgs? }` */
  plan: 'kerngroep.plan',
  /** `{ meetingId }`: the chair's user-specific agenda form (refresh, chair only). */
  agendaForm: 'kerngroep.agenda-form',
  /** `{ meetingId, colour_<personId>, address_<personId>?, city_<personId>?, bsn_<personId>? }` */
  agenda: 'kerngroep.agenda',
  /** `{ meetingId, personId, colour, address?, city?, bsn? }` */
  colour: 'kerngroep.colour',
  /** `{ meetingId }`: the partner's user-specific inquiry (refresh). */
  inquiry: 'kerngroep.inquiry',
  /** `{ meetingId, q_<questionId>: 'ja' | 'nee' | 'onbekend', d_<questionId>? }` */
  answer: 'kerngroep.answer',
  /** `{ meetingId }`: the chair's matrix (refresh, chair only). */
  matrix: 'kerngroep.matrix',
  /** `{ meetingId }` */
  remind: 'kerngroep.remind',
  /** `{ meetingId, questionId }` */
  reopen: 'kerngroep.reopen',
  /** `{ meetingId }`: an invitee's summons for the Kerngroep meeting (refresh, the invitee only). */
  summons: 'kerngroep.summons',
  /** `{ meetingId, answer: 'aanwezig' | 'verhinderd', reason? }` (the casusoverleg's `meeting.rsvp` data) */
  rsvp: 'kerngroep.rsvp',
  /** `{ meetingId, substitute }` (the casusoverleg's `meeting.substitute` data) */
  substitute: 'kerngroep.substitute',
} as const;

type El = Record<string, unknown>;
const t = nl.kerngroep;

const esc = (s: string) => escapeText(s);

export function refresh(verb: string, data: El, userIds: readonly string[]): El {
  return { refresh: { action: { type: 'Action.Execute', verb, data }, userIds: [...userIds] } };
}


export interface RegisterBaseView {
  caseRef: string;
  personCount: number;
  /** The wijkmanager who asked: the only one Teams fetches the user-specific form for. */
  userId: string;
}

/**
 * What is posted in the chat (and stays in its history): the case reference and the number of
 * persons only. The form with names, dates of birth, criterion (a) and the interventions comes from
 * the refresh (`kerngroep.register-form`, `userIds` = the wijkmanager), after the policy allowed it.
 */
export function registerBaseCard(v: RegisterBaseView): AdaptiveCard {
  const r = t.register;
  return card(
    [text(r.title(esc(v.caseRef)), { weight: 'Bolder', size: 'Medium' }), text(r.base(v.personCount))],
    [execute(r.open, KERNGROEP_VERBS.registerForm, { caseRef: v.caseRef })],
    refresh(KERNGROEP_VERBS.registerForm, { caseRef: v.caseRef }, [v.userId]),
  );
}

export interface RegisterFormView {
  caseRef: string;
  userId: string;
  persons: { choice: string; name: string; dateOfBirth: string }[];
  /** First day of criterion (a)'s window, `YYYY-MM-DD`. */
  windowFrom: string;
  policeDates: string[];
  ineffective: number;
  criterionHolds: boolean;
  /** Already formatted: organisation, what, date, effect (escaped here). */
  interventions: { organisation: string; what: string; agreedOn: string; effect: string }[];
  error?: string;
}

/** The user-specific registration form (answer to the refresh; never posted). */
export function registerFormCard(v: RegisterFormView): AdaptiveCard {
  const r = t.register;
  return card(
    [
      text(r.title(esc(v.caseRef)), { weight: 'Bolder', size: 'Medium' }),
      ...(v.error ? [text(v.error, { color: 'Attention' })] : []),
      text(r.criterionA(v.policeDates.length, esc(v.windowFrom), v.policeDates.map(esc).join(', '))),
      text(r.effects(v.ineffective)),
      text(v.criterionHolds ? r.holds : r.notHolds, { weight: 'Bolder' }),
      text(r.interventions(v.interventions.length)),
      ...v.interventions.map((i) => text(r.intervention(esc(i.organisation), esc(i.what), esc(i.agreedOn), esc(i.effect)))),
      text(r.persons, { weight: 'Bolder' }),
      ...v.persons.map((p) => text(`${esc(p.name)} (${esc(p.dateOfBirth)})`)),
      {
        type: 'Input.ChoiceSet',
        id: 'persons',
        label: r.personsInput,
        isMultiSelect: true,
        choices: v.persons.map((p) => ({ title: `${p.name} (${p.dateOfBirth})`, value: p.choice })),
      },
      {
        type: 'Input.ChoiceSet',
        id: 'reason',
        label: r.reason,
        value: v.criterionHolds ? 'a' : 'b',
        choices: [
          { title: r.reasonA, value: 'a' },
          { title: r.reasonB, value: 'b' },
        ],
      },
      { type: 'Input.Text', id: 'justification', label: r.justification, isMultiline: true, maxLength: 1000 },
    ],
    [execute(r.submit, KERNGROEP_VERBS.register, { caseRef: v.caseRef })],
    refresh(KERNGROEP_VERBS.registerForm, { caseRef: v.caseRef }, [v.userId]),
  );
}

export interface ChairView {
  registrations: { id: string; line: string }[];
  meetings: { id: string; line: string }[];
  banner?: string;
}

export function chairCard(v: ChairView): AdaptiveCard {
  const c = t.chair;
  const body: El[] = [text(c.title, { weight: 'Bolder', size: 'Medium' }), ...(v.banner ? [text(v.banner, { color: 'Good' })] : [])];
  if (v.registrations.length === 0) body.push(text(c.none));
  for (const reg of v.registrations) {
    body.push(text(esc(reg.line), { separator: true }));
    body.push({ type: 'Input.Text', id: `reason_${reg.id}`, label: c.decisionReason, maxLength: 1000 });
    body.push({
      type: 'ActionSet',
      actions: [
        execute(c.accept, KERNGROEP_VERBS.decide, { registrationId: reg.id, decision: 'accept' }),
        execute(c.return, KERNGROEP_VERBS.decide, { registrationId: reg.id, decision: 'return' }),
      ],
    });
  }
  for (const m of v.meetings) body.push({ type: 'ActionSet', actions: [execute(`${c.matrix}: ${m.line}`, KERNGROEP_VERBS.matrix, { meetingId: m.id })] });
  body.push(text(c.planTitle, { weight: 'Bolder', separator: true }));
  body.push({ type: 'Input.Date', id: 'date', label: c.date });
  body.push({ type: 'Input.Time', id: 'start', label: c.start });
  body.push({ type: 'Input.Text', id: 'place', label: c.place, maxLength: 300 });
  body.push({ type: 'Input.Text', id: 'orgs', label: c.extraOrgs, maxLength: 500 });
  return card(body, [execute(c.plan, KERNGROEP_VERBS.plan, {})]);
}

export interface KerngroepSummonsView {
  meetingId: string;
  when: string;
  place: string;
  chair: string;
  /** The organisation the recipient is invited for. */
  organisation: string;
  /** Name of whom the recipient replaces, for a substitute's summons. */
  substituteFor?: string;
  answer?: AnswerView;
  /** Answers can still be given or changed (the meeting has not started). */
  open: boolean;
  /** Colleagues of the recipient's organisation (for "ik stuur een vervanger"). */
  colleagues: readonly Choice[];
  /** Our own text (a refused reason). */
  banner?: string;
  /** The recipient: the only one Teams refreshes the card for. */
  recipient: string;
}

/**
 * The invitation to the Kerngroep meeting, sent to each invited organisation's contacts when the
 * chair plans it: when, where, the chair, and that the yes/no questions follow with the agenda. No
 * personal data at all (there is no agenda yet). The answer part is the casusoverleg's
 * (`answerSection`), with the Kerngroep's verbs.
 */
export function kerngroepSummonsCard(v: KerngroepSummonsView): AdaptiveCard {
  const s = t.summons;
  const answers = answerSection(
    { meetingId: v.meetingId, colleagues: v.colleagues, ...(v.answer ? { answer: v.answer } : {}), ...(v.open ? {} : { closed: s.started }) },
    { rsvp: KERNGROEP_VERBS.rsvp, substitute: KERNGROEP_VERBS.substitute },
  );
  return card(
    [
      ...(v.banner ? [text(v.banner, { color: 'Attention' })] : []),
      text(s.title, { weight: 'Bolder', size: 'Medium' }),
      text(v.substituteFor ? s.introSubstitute(esc(v.chair), esc(v.substituteFor)) : s.intro(esc(v.chair), esc(v.organisation))),
      facts([
        [s.when, esc(v.when)],
        [s.where, esc(v.place)],
        [s.chair, esc(v.chair)],
      ]),
      text(s.questionsFollow, { isSubtle: true }),
      ...answers.body,
    ],
    [...answers.actions, ...(v.open ? joinAction(v.place) : [])],
    refresh(KERNGROEP_VERBS.summons, { meetingId: v.meetingId }, [v.recipient]),
  );
}

/** One invitee's answer to the summons, for the chair; an organisation without contacts has no name. */
export interface AttendanceRow {
  organisation: string;
  name?: string;
  substituteFor?: string;
  answer?: AnswerView;
}

/** The chair's view of the summons: a line per invitee, grouped by organisation, with the counts. */
function attendance(rows: readonly AttendanceRow[]): El[] {
  const a = t.attendance;
  const invited = rows.filter((x) => x.name !== undefined);
  const count = (k: AnswerView['kind'] | undefined) => invited.filter((x) => x.answer?.kind === k).length;
  return [
    text(a.heading, { weight: 'Bolder', separator: true }),
    text(nl.meetings.overview.counts(count('aanwezig'), count('vervanger'), count('verhinderd'), count(undefined)), { isSubtle: true, size: 'Small' }),
    facts(
      rows.map((x): [string, string] =>
        x.name === undefined
          ? [esc(x.organisation), a.noContact]
          : [`${a.row(esc(x.organisation), esc(x.name))}${x.substituteFor ? ` (${a.substituteFor(esc(x.substituteFor))})` : ''}`, answerSummary(x.answer)],
      ),
    ),
  ];
}

export interface AgendaFormView {
  meetingId: string;
  /** The chair: the form is a user-specific view (refresh) for them only. */
  chairId: string;
  when: string;
  persons: { personId: string; name: string; dateOfBirth: string; caseRef: string }[];
  banner?: string;
  /** The answers to the summons (meetings planned before the summons existed have none). */
  attendance?: readonly AttendanceRow[];
}

/** The chair's agenda form: user-specific (answer to the chair's own action, refresh for the chair only); never posted. */
export function agendaFormCard(v: AgendaFormView): AdaptiveCard {
  const c = t.chair;
  const colourChoices = (['groen', 'oranje', 'rood'] as const).map((k) => ({ title: t.colours[k], value: k }));
  const body: El[] = [
    text(c.agendaTitle(esc(v.when)), { weight: 'Bolder', size: 'Medium' }),
    ...(v.banner ? [text(v.banner)] : []),
    ...(v.attendance ? attendance(v.attendance) : []),
  ];
  for (const p of v.persons) {
    body.push(text(`${esc(p.name)} (${esc(p.dateOfBirth)}) — ${esc(p.caseRef)}`, { weight: 'Bolder', separator: true }));
    body.push({ type: 'Input.ChoiceSet', id: `colour_${p.personId}`, label: c.colour, choices: colourChoices });
    body.push({ type: 'Input.Text', id: `address_${p.personId}`, label: c.address, maxLength: 200 });
    body.push({ type: 'Input.Text', id: `city_${p.personId}`, label: c.city, maxLength: 100 });
    body.push({ type: 'Input.Text', id: `bsn_${p.personId}`, label: c.bsn, maxLength: 9 });
    body.push({ type: 'Input.Text', id: `family_${p.personId}`, label: c.family, isMultiline: true, maxLength: 2000 });
  }
  return card(body, [execute(c.setAgenda, KERNGROEP_VERBS.agenda, { meetingId: v.meetingId })], refresh(KERNGROEP_VERBS.agendaForm, { meetingId: v.meetingId }, [v.chairId]));
}

export interface InquiryView {
  meetingId: string;
  organisationName: string;
  deadline: string;
  questionCount: number;
  personCount: number;
  recipients: readonly string[];
  updated?: boolean;
  /** Banners are the bot's own texts (not escaped). Only in the user-specific view, after the policy allowed it. */
  details?: {
    persons: { name: string; dateOfBirth: string; questions: { id: string; label: string; answer?: string; risk: boolean; choices: readonly string[] }[] }[];
    banner?: string;
  };
}

export function inquiryCard(v: InquiryView): AdaptiveCard {
  const i = t.inquiry;
  const body: El[] = [
    text(i.title, { weight: 'Bolder', size: 'Medium' }),
    ...(v.updated ? [text(i.updated)] : []),
    text(i.base(esc(v.organisationName), v.questionCount, v.personCount, esc(v.deadline))),
  ];
  const actions: El[] = [];
  if (v.details) {
    if (v.details.banner) body.push(text(v.details.banner, { color: 'Accent' }));
    if (v.details.persons.length === 0) body.push(text(i.none));
    for (const p of v.details.persons) {
      body.push(text(`${esc(p.name)} (${esc(p.dateOfBirth)})`, { weight: 'Bolder', separator: true }));
      for (const q of p.questions) {
        body.push({
          type: 'Input.ChoiceSet',
          id: `q_${q.id}`,
          label: q.label,
          style: 'expanded',
          ...(q.answer ? { value: q.answer } : {}),
          choices: q.choices.map((c) => ({ title: t.answers[c as keyof typeof t.answers], value: c })),
        });
        if (q.risk)
          body.push({
            type: 'Input.ChoiceSet',
            id: `d_${q.id}`,
            label: t.questions.risicosignalen,
            choices: Object.entries(t.domains).map(([value, title]) => ({ title, value })),
          });
      }
    }
    if (v.details.persons.length > 0) actions.push(execute(i.submit, KERNGROEP_VERBS.answer, { meetingId: v.meetingId }));
  }
  return card(body, actions, refresh(KERNGROEP_VERBS.inquiry, { meetingId: v.meetingId }, v.recipients));
}

export interface MatrixView {
  meetingId: string;
  when: string;
  overall: number;
  chairId: string;
  persons: { personId: string; name: string; dateOfBirth: string; colour: string; pct: number; cells: { questionId: string; org: string; label: string; value: string; late: boolean }[] }[];
  banner?: string;
  /** After the lock: the chair can reopen a question. */
  locked?: boolean;
  /** The answers to the summons (meetings planned before the summons existed have none). */
  attendance?: readonly AttendanceRow[];
}

export function matrixCard(v: MatrixView): AdaptiveCard {
  const m = t.matrix;
  const body: El[] = [
    text(m.title(esc(v.when)), { weight: 'Bolder', size: 'Medium' }),
    ...(v.banner ? [text(v.banner, { color: 'Good' })] : []),
    text(m.overall(v.overall), { weight: 'Bolder' }),
    ...(v.attendance ? attendance(v.attendance) : []),
  ];
  for (const p of v.persons) {
    body.push(text(m.person(esc(p.name), esc(p.dateOfBirth), p.colour, p.pct), { weight: 'Bolder', separator: true }));
    body.push({
      type: 'FactSet',
      facts: p.cells.map((c) => ({ title: `${esc(c.org)} · ${c.label}`, value: `${c.value}${c.late ? m.late : ''}` })),
    });
    const colourChoices = (['groen', 'oranje', 'rood'] as const).map((k) => ({ title: t.colours[k], value: k }));
    body.push({
      type: 'ActionSet',
      actions: [
        {
          type: 'Action.ShowCard',
          title: m.changeColour,
          card: {
            type: 'AdaptiveCard',
            body: [
              { type: 'Input.ChoiceSet', id: `colour_${p.personId}`, label: t.chair.colour, choices: colourChoices },
              { type: 'Input.Text', id: `address_${p.personId}`, label: t.chair.address, maxLength: 200 },
              { type: 'Input.Text', id: `city_${p.personId}`, label: t.chair.city, maxLength: 100 },
              { type: 'Input.Text', id: `bsn_${p.personId}`, label: t.chair.bsn, maxLength: 9 },
            ],
            actions: [execute(m.changeColour, KERNGROEP_VERBS.colour, { meetingId: v.meetingId, personId: p.personId })],
          },
        },
      ],
    });
  }
  if (v.locked) {
    body.push({
      type: 'Input.ChoiceSet',
      id: 'questionId',
      label: m.reopen,
      separator: true,
      choices: v.persons.flatMap((p) => p.cells.map((c) => ({ title: `${p.name} · ${c.org} · ${c.label}`, value: c.questionId }))),
    });
    body.push({ type: 'ActionSet', actions: [execute(m.reopen, KERNGROEP_VERBS.reopen, { meetingId: v.meetingId })] });
  }
  return card(body, [execute(m.remind, KERNGROEP_VERBS.remind, { meetingId: v.meetingId })], refresh(KERNGROEP_VERBS.matrix, { meetingId: v.meetingId }, [v.chairId]));
}
