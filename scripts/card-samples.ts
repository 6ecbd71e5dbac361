/**
 * `npm run cards` — writes one sample Adaptive Card per card kind the bot sends into adaptive-cards/,
 * each validated by the Adaptive Cards SDK, to paste into the Adaptive Cards Designer
 * (https://adaptivecards.io/designer, host app "Microsoft Teams").
 *
 * The cards are built in TypeScript (src/cards/) — that is the source of truth, see
 * docs/adr/0002-cards-in-code.md. The samples are generated from it with fictional data only (the
 * test fixtures' people; persons of a case are "Testpersoon"), and test/unit/card-samples.test.ts
 * fails when a committed sample differs from what the code builds now.
 *
 *   npm run cards            write adaptive-cards/*.json
 *   npm run cards -- --check report stale, missing or extra samples and exit 1 (writes nothing)
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { helpEntries } from '../src/app/help.js';
import type { CommandRoute } from '../src/app/routes.js';
import { auditExportCard } from '../src/cards/admin-cards.js';
import { afschalenOfferCard, feedbackFormCard, feedbackListCard, feedbackRequestCard, interventionsOverviewCard } from '../src/cards/feedback-cards.js';
import { helpCard } from '../src/cards/help-cards.js';
import { agendaFormCard, chairCard, inquiryCard, kerngroepSummonsCard, matrixCard, registerBaseCard, registerFormCard } from '../src/cards/kerngroep-cards.js';
import {
  adviceRequestCard,
  agreementCard,
  agreementsFormCard,
  cancellationCard,
  myMeetingsCard,
  overviewCard,
  planFormCard,
  prepFormCard,
  rescheduleFormCard,
  summonsCard,
  type AgendaCase,
} from '../src/cards/meeting-cards.js';
import { closeCaseCard, noticeCard } from '../src/cards/notice-cards.js';
import { caseCard, confirmationCard, mySignalsCard, passOnFormCard, refusalCard, signalFormCard } from '../src/cards/signal-cards.js';
import type { Actor } from '../src/domain/actor.js';
import { nl } from '../src/i18n/nl.js';
import type { AdaptiveCard } from '../src/ports.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLES_DIR = join(REPO_ROOT, 'adaptive-cards');

export interface CardSample {
  /** File name in adaptive-cards/. */
  file: string;
  /** The builder in src/cards/ and when the bot sends the card. */
  source: string;
  when: string;
  card: AdaptiveCard;
}

// --- fictional data (test/fixtures/directory.yaml's people; no real person, no real case) -----------

const IDS = {
  card: '00000000-0000-4000-8000-00000000c4d0',
  meeting: '00000000-0000-4000-8000-0000000000a1',
  kerngroepMeeting: '00000000-0000-4000-8000-0000000000b1',
  firing: '00000000-0000-4000-8000-0000000000f1',
  intervention: '00000000-0000-4000-8000-0000000000e1',
  registration: '00000000-0000-4000-8000-0000000000d1',
  wijkmanager: 'u-wijkmanager',
  voorzitter: 'u-voorzitter',
  jongerenwerk: 'u-jongerenwerk',
};

const partner: Actor = {
  id: 'u-jongerenwerk',
  name: 'Jamal Jongerenwerk',
  roles: ['partner'],
  organisation: { id: 'jongerenwerk', name: 'Jongerenwerk Dordrecht', kind: 'jongerenwerk', covenant: true },
  districts: ['crabbehof'],
};
const wijkmanager: Actor = {
  id: IDS.wijkmanager,
  name: 'Willem Wijkmanager',
  roles: ['wijkmanager'],
  organisation: { id: 'gemeente', name: 'Gemeente Dordrecht', kind: 'gemeente', covenant: true },
  districts: ['crabbehof'],
};
/** Every command answered, so the help samples show buttons rather than "komt binnenkort". */
const allCommands: CommandRoute[] = [{ name: 'all', match: /.*/, run: async () => [] }];

const ORGS: Record<string, string> = {
  politie: 'Politie basisteam Dordrecht',
  jongerenwerk: 'Jongerenwerk Dordrecht',
  handhaving: 'Stadstoezicht Dordrecht',
  woonbron: 'Woningcorporatie Woonbron',
};
const orgName = (id: string) => ORGS[id] ?? id;
/** Fixed dates in the card's own format (dd-mm-jjjj), independent of the time zone of the machine. */
const fmt = (d: Date) => d.toISOString().slice(0, 10).split('-').reverse().join('-');
const at = (iso: string) => new Date(`${iso}T12:00:00Z`);

const agendaCase: AgendaCase = {
  ref: 'C-2026-00012',
  districtName: 'Crabbehof',
  location: 'Sumatraplein',
  level: 'overlast',
  subject: 'groep',
  signals: 6,
  categories: ['geluid', 'hangjongeren'],
};

export function cardSamples(): CardSample[] {
  const samples: CardSample[] = [];
  const add = (file: string, source: string, when: string, card: AdaptiveCard) => samples.push({ file, source, when, card });

  // --- welcome and help -------------------------------------------------------------------------------
  const helpView = (actor: Actor, welcome: boolean) => ({
    name: actor.name,
    rolesLabel: actor.roles.map((r) => nl.help.roleNames[r]).join(', '),
    organisation: actor.organisation.name,
    entries: helpEntries(actor, allCommands),
    welcome,
  });
  add('welcome.json', 'helpCard (src/cards/help-cards.ts)', 'on install, for a wijkmanager', helpCard(helpView(wijkmanager, true)));
  add('help.json', 'helpCard (src/cards/help-cards.ts)', '`help` or unknown text, for a partner', helpCard(helpView(partner, false)));

  // --- meldingen ---------------------------------------------------------------------------------------
  add(
    'signal-form.json',
    'signalFormCard (src/cards/signal-cards.ts)',
    '`melding`: the report form',
    signalFormCard({
      cardId: IDS.card,
      values: { kind: 'overlast', district: 'crabbehof' },
      districts: [
        { id: 'crabbehof', name: 'Crabbehof' },
        { id: 'binnenstad', name: 'Binnenstad' },
      ],
      hotspots: ['Sumatraplein', 'Jacob Marisstraat'],
      isPolice: false,
      today: '2026-03-15',
      earliest: '2025-03-15',
    }),
  );
  add(
    'signal-confirmation.json',
    'confirmationCard (src/cards/signal-cards.ts)',
    'replaces the form after "Melding versturen"',
    confirmationCard({
      signalRef: 'M-2026-00042',
      kind: 'overlast',
      districtName: 'Crabbehof',
      location: 'Sumatraplein',
      observedAt: '15-03-2026 21:30',
      categories: ['geluid', 'hangjongeren'],
      severity: 'middel',
      subject: 'groep',
      policeContact: false,
      caseRef: 'C-2026-00012',
      caseIsNew: false,
      level: 'hinder',
      director: 'Jongerenwerk Dordrecht',
      next: { kind: 'hinder-own' },
    }),
  );
  add(
    'my-signals.json',
    'mySignalsCard (src/cards/signal-cards.ts)',
    '`mijn meldingen`',
    mySignalsCard([
      { signalRef: 'M-2026-00042', observedAt: '15-03-2026 21:30', kind: 'overlast', location: 'Sumatraplein', caseRef: 'C-2026-00012', level: 'hinder' },
      { signalRef: 'M-2026-00031', observedAt: '02-03-2026 16:10', kind: 'zorg', location: 'Jacob Marisstraat', caseRef: 'C-2026-00009', level: 'hinder' },
    ]),
  );
  add(
    'case.json',
    'caseCard (src/cards/signal-cards.ts)',
    '`casus C-…` or "Casus openen": the base card, without person data',
    caseCard({
      ref: 'C-2026-00012',
      kind: 'overlast',
      level: 'overlast',
      status: 'open',
      director: 'Willem Wijkmanager (Gemeente Dordrecht)',
      districtName: 'Crabbehof',
      location: 'Sumatraplein',
      subject: 'groep',
      signals: [
        {
          ref: 'M-2026-00042',
          observedAt: '15-03-2026 21:30',
          organisation: 'Jongerenwerk Dordrecht',
          categories: ['geluid', 'hangjongeren'],
          severity: 'middel',
          subject: 'groep',
          description: 'Groep van ongeveer acht jongeren met harde muziek bij de trappen.',
          policeContact: false,
        },
        {
          ref: 'M-2026-00040',
          observedAt: '12-03-2026 23:05',
          organisation: 'Politie basisteam Dordrecht',
          categories: ['geluid'],
          severity: 'middel',
          subject: 'groep',
          description: 'hidden',
          policeContact: true,
        },
      ],
      totalSignals: 6,
      events: [
        { at: '01-03-2026', text: 'Casus geopend op niveau hinder (Jongerenwerk Dordrecht).' },
        { at: '14-03-2026', text: 'Opgeschaald naar overlast door Willem Wijkmanager.' },
      ],
      passOns: [],
      assessment: {
        total: 6,
        last7: 2,
        last28: 5,
        last90: 6,
        previous28: 1,
        trend: 'rising',
        organisations: 3,
        reporters: 4,
        perOrganisation: [
          { organisation: 'jongerenwerk', count: 3 },
          { organisation: 'politie', count: 2 },
          { organisation: 'handhaving', count: 1 },
        ],
        firstAt: at('2026-03-01'),
        lastAt: at('2026-03-15'),
        spanDays: 14,
        night: { count: 2, share: 0.33 },
        regularity: { days: 5, weeks: 3 },
        categories: ['geluid', 'hangjongeren'],
        highestSeverity: 'middel',
      },
      organisationName: orgName,
      formatDate: fmt,
      canPassOn: false,
      canPlanMeeting: true,
    }),
  );
  add(
    'pass-on-form.json',
    'passOnFormCard (src/cards/signal-cards.ts)',
    '"Doorzetten naar de wijkmanager" on a hinder case',
    passOnFormCard({ cardId: IDS.card, caseRef: 'C-2026-00012' }),
  );

  // --- escalation --------------------------------------------------------------------------------------
  add(
    'escalation-notice.json',
    'noticeCard (src/cards/notice-cards.ts)',
    'proactively, to the wijkmanager, when a threshold is reached',
    noticeCard({
      firingId: IDS.firing,
      explanation: {
        rule: 'meerdere-partijen',
        threshold: { minOrganisations: 3, window: { days: 28 } },
        organisations: [
          { organisation: 'handhaving', count: 1, lastAt: at('2026-03-08') },
          { organisation: 'politie', count: 2, lastAt: at('2026-03-12') },
          { organisation: 'jongerenwerk', count: 3, lastAt: at('2026-03-15') },
        ],
      },
      caseRef: 'C-2026-00012',
      districtName: 'Crabbehof',
      location: 'Sumatraplein',
      level: 'hinder',
      personSubject: false,
      actions: ['takeDirection', 'planMeeting', 'dismiss'],
      formatDate: fmt,
      organisationName: orgName,
    }),
  );
  add('close-case.json', 'closeCaseCard (src/cards/notice-cards.ts)', '`casus afsluiten C-…`', closeCaseCard({ caseRef: 'C-2026-00012' }));

  // --- casusoverleg ------------------------------------------------------------------------------------
  add(
    'meeting-plan-form.json',
    'planFormCard (src/cards/meeting-cards.ts)',
    '`overleg plannen` (or from a case or notice)',
    planFormCard({
      cardId: IDS.card,
      values: { cases: 'C-2026-00012', orgs: 'politie,jongerenwerk' },
      caseChoices: [{ value: 'C-2026-00012', title: 'C-2026-00012 · Crabbehof · Sumatraplein (overlast)' }],
      orgChoices: Object.entries(ORGS).map(([value, title]) => ({ value, title })),
      userChoices: [
        { value: 'u-politie', title: 'Petra Politie (Politie basisteam Dordrecht)' },
        { value: 'u-jongerenwerk', title: 'Jamal Jongerenwerk (Jongerenwerk Dordrecht)' },
      ],
      suggestions: [
        { organisation: 'Politie basisteam Dordrecht', reasons: '2 meldingen over deze casus' },
        { organisation: 'Jongerenwerk Dordrecht', reasons: '3 meldingen over deze casus' },
      ],
      today: '2026-03-16',
    }),
  );
  add(
    'meeting-summons.json',
    'summonsCard (src/cards/meeting-cards.ts)',
    'proactively, to each invitee: the oproep with aanwezig / vervanger / verhinderd',
    summonsCard({
      meetingId: IDS.meeting,
      ref: 'O-2026-00003',
      kind: 'casusoverleg',
      state: 'gepland',
      when: 'dinsdag 24-03-2026 14:00–15:30',
      place: 'Stadskantoor, zaal 2.14',
      organiser: 'Willem Wijkmanager (Gemeente Dordrecht)',
      cases: [agendaCase],
      prepare: 'Wat hebben jullie al gedaan, en wat werkt?',
      open: true,
      colleagues: [],
    }),
  );
  add(
    'meeting-overview.json',
    'overviewCard (src/cards/meeting-cards.ts)',
    "the organiser's live overview",
    overviewCard({
      meetingId: IDS.meeting,
      ref: 'O-2026-00003',
      kind: 'casusoverleg',
      state: 'gepland',
      when: 'dinsdag 24-03-2026 14:00–15:30',
      place: 'Stadskantoor, zaal 2.14',
      cases: [agendaCase],
      invitees: [
        { name: 'Petra Politie', organisation: 'Politie basisteam Dordrecht', organisationId: 'politie', answer: { kind: 'aanwezig' }, prepDone: true, delivery: 'delivered' },
        { name: 'Jamal Jongerenwerk', organisation: 'Jongerenwerk Dordrecht', organisationId: 'jongerenwerk', prepDone: false, delivery: 'delivered' },
      ],
      advisers: [{ name: 'Wendy Woonbron', organisation: 'Woningcorporatie Woonbron', organisationId: 'woonbron', answered: false }],
      canRemind: true,
      canReschedule: true,
      canCancel: true,
      canRecordAgreements: false,
      refreshFor: [IDS.wijkmanager],
    }),
  );
  add(
    'meeting-advice-request.json',
    'adviceRequestCard (src/cards/meeting-cards.ts)',
    'proactively, to an organisation asked for advice beforehand (not invited)',
    adviceRequestCard({
      meetingId: IDS.meeting,
      ref: 'O-2026-00003',
      organiser: 'Willem Wijkmanager (Gemeente Dordrecht)',
      when: 'dinsdag 24-03-2026 14:00–15:30',
      cases: [agendaCase],
      question: 'Zijn er huurders rond het plein die overlast melden?',
      open: true,
    }),
  );
  add(
    'meeting-reschedule-form.json',
    'rescheduleFormCard (src/cards/meeting-cards.ts)',
    'the organiser moves a meeting',
    rescheduleFormCard({
      meetingId: IDS.meeting,
      ref: 'O-2026-00003',
      version: 1,
      values: { date: '2026-03-24', start: '14:00', end: '15:30', place: 'Stadskantoor, zaal 2.14' },
      today: '2026-03-16',
    }),
  );
  add(
    'meeting-prep-form.json',
    'prepFormCard (src/cards/meeting-cards.ts)',
    "an invitee's preparation (appendix 1)",
    prepFormCard({ meetingId: IDS.meeting, ref: 'O-2026-00003', values: {}, readOnly: false }),
  );
  add(
    'meeting-agreements-form.json',
    'agreementsFormCard (src/cards/meeting-cards.ts)',
    'the organiser records the agreements (interventions)',
    agreementsFormCard({
      cardId: IDS.card,
      ref: 'O-2026-00003',
      rows: 1,
      values: {},
      orgChoices: Object.entries(ORGS).map(([value, title]) => ({ value, title })),
      userChoices: [{ value: 'u-jongerenwerk', title: 'Jamal Jongerenwerk (Jongerenwerk Dordrecht)' }],
      instrumentChoices: [
        { value: 'jongerenwerk:gesprek', title: `Jongerenwerk: ${nl.meetings.instruments.jongerenwerk.gesprek}` },
        { value: 'politie:toezicht', title: `Politie: ${nl.meetings.instruments.politie.toezicht}` },
      ],
      today: '2026-03-24',
    }),
  );
  add(
    'meeting-agreement.json',
    'agreementCard (src/cards/meeting-cards.ts)',
    'proactively, to the partner responsible for an intervention',
    agreementCard({
      ref: 'O-2026-00003',
      organiser: 'Willem Wijkmanager (Gemeente Dordrecht)',
      cases: [agendaCase],
      what: `${nl.meetings.instruments.jongerenwerk.gesprek}: twee avonden per week aanwezig op het plein`,
      responsible: 'Jamal Jongerenwerk (Jongerenwerk Dordrecht)',
      feedbackDue: '07-04-2026',
      behaviourBy: '21-04-2026',
    }),
  );
  add(
    'meeting-cancellation.json',
    'cancellationCard (src/cards/meeting-cards.ts)',
    'proactively, to the invitees, when a meeting is cancelled',
    cancellationCard({ ref: 'O-2026-00003', when: 'dinsdag 24-03-2026 14:00–15:30', organiser: 'Willem Wijkmanager (Gemeente Dordrecht)', reason: 'De casus is afgeschaald.' }),
  );
  add(
    'my-meetings.json',
    'myMeetingsCard (src/cards/meeting-cards.ts)',
    '`overleg`',
    myMeetingsCard([{ meetingId: IDS.meeting, ref: 'O-2026-00003', when: 'dinsdag 24-03-2026 14:00–15:30', state: 'gepland', role: 'invitee', answer: 'none' }], false),
  );

  // --- terugkoppeling ----------------------------------------------------------------------------------
  add(
    'feedback-list.json',
    'feedbackListCard (src/cards/feedback-cards.ts)',
    '`terugkoppeling`',
    feedbackListCard([{ interventionId: IDS.intervention, what: nl.meetings.instruments.jongerenwerk.gesprek, caseRefs: 'C-2026-00012', due: '07-04-2026', given: false }]),
  );
  add(
    'feedback-request.json',
    'feedbackRequestCard (src/cards/feedback-cards.ts)',
    'proactively, at the due date (and as the overdue reminder)',
    feedbackRequestCard(IDS.intervention, nl.feedback.request(nl.meetings.instruments.jongerenwerk.gesprek, 'C-2026-00012', '07-04-2026')),
  );
  add(
    'feedback-form.json',
    'feedbackFormCard (src/cards/feedback-cards.ts)',
    'at the due date, proactively to the responsible partner (or from the list)',
    feedbackFormCard({
      cardId: IDS.card,
      interventionId: IDS.intervention,
      meetingRef: 'O-2026-00003',
      what: nl.meetings.instruments.jongerenwerk.gesprek,
      caseRefs: 'C-2026-00012',
      due: '07-04-2026',
      values: {},
    }),
  );
  add(
    'interventions-overview.json',
    'interventionsOverviewCard (src/cards/feedback-cards.ts)',
    '`terugkoppeling C-…`: for whoever handles the case',
    interventionsOverviewCard('C-2026-00012', [
      { status: 'gegeven', what: nl.meetings.instruments.jongerenwerk.gesprek, organisation: 'Jongerenwerk Dordrecht', due: '07-04-2026', effect: 'voldoende' },
      { status: 'open', what: nl.meetings.instruments.politie.toezicht, organisation: 'Politie basisteam Dordrecht', due: '14-04-2026' },
    ]),
  );

  add(
    'afschalen-offer.json',
    'afschalenOfferCard (src/cards/feedback-cards.ts)',
    "proactively, to the case's director when every intervention is voldoende",
    afschalenOfferCard(nl.feedback.afschalenOffer('C-2026-00012'), 'C-2026-00012', 'hinder', 'case.change-level'),
  );

  // --- Kerngroep ---------------------------------------------------------------------------------------
  add(
    'kerngroep-register.json',
    'registerBaseCard (src/cards/kerngroep-cards.ts)',
    '`kerngroep aanmelden C-…` as posted: reference and number of persons only; the form is its refresh',
    registerBaseCard({ caseRef: 'C-2026-00012', personCount: 1, userId: IDS.wijkmanager }),
  );
  add(
    'kerngroep-register-form.json',
    'registerFormCard (src/cards/kerngroep-cards.ts)',
    "`kerngroep aanmelden C-…`: the wijkmanager's user-specific form (fictional persons)",
    registerFormCard({
      caseRef: 'C-2026-00012',
      userId: IDS.wijkmanager,
      persons: [{ choice: 'p1', name: 'Karel Testpersoon', dateOfBirth: '01-01-2008' }],
      windowFrom: '2025-09-15',
      policeDates: ['12-11-2025', '12-03-2026'],
      ineffective: 1,
      criterionHolds: true,
      interventions: [{ organisation: 'Jongerenwerk Dordrecht', what: nl.meetings.instruments.jongerenwerk.gesprek, agreedOn: '24-03-2026', effect: 'onvoldoende' }],
    }),
  );
  add(
    'kerngroep-chair.json',
    'chairCard (src/cards/kerngroep-cards.ts)',
    '`kerngroep` for the chair: registrations to decide on',
    chairCard({ registrations: [{ id: IDS.registration, line: 'C-2026-00012 · Crabbehof · 1 persoon · criterium (a) · aangemeld door Willem Wijkmanager' }], meetings: [] }),
  );
  add(
    'kerngroep-summons.json',
    'kerngroepSummonsCard (src/cards/kerngroep-cards.ts)',
    "proactively, when the chair plans: each invited organisation's contact's summons to the Kerngroep meeting (no person data)",
    kerngroepSummonsCard({
      meetingId: IDS.kerngroepMeeting,
      when: '2026-03-30 10:00',
      place: 'Stadskantoor, kamer 3.12',
      chair: 'Vera Voorzitter',
      organisation: 'Jongerenwerk Dordrecht',
      open: true,
      colleagues: [{ value: 'u-jongerenwerk-2', title: 'Joris Jongerenwerk' }],
      recipient: IDS.jongerenwerk,
    }),
  );
  add(
    'kerngroep-agenda-form.json',
    'agendaFormCard (src/cards/kerngroep-cards.ts)',
    "the chair's agenda with a colour per person (user-specific, fictional person)",
    agendaFormCard({
      meetingId: IDS.kerngroepMeeting,
      chairId: IDS.voorzitter,
      when: 'maandag 30-03-2026 10:00',
      persons: [{ personId: 'p1', name: 'Karel Testpersoon', dateOfBirth: '01-01-2008', caseRef: 'C-2026-00012' }],
    }),
  );
  add(
    'kerngroep-inquiry.json',
    'inquiryCard (src/cards/kerngroep-cards.ts)',
    'proactively, to each asked organisation: the yes/no inquiry as posted (no person data)',
    inquiryCard({ meetingId: IDS.kerngroepMeeting, organisationName: 'Jongerenwerk Dordrecht', deadline: '30-03-2026 09:00', questionCount: 2, personCount: 1, recipients: [IDS.jongerenwerk] }),
  );
  add(
    'kerngroep-inquiry-details.json',
    'inquiryCard (src/cards/kerngroep-cards.ts)',
    "the inquiry's user-specific view with the questions (fictional person)",
    inquiryCard({
      meetingId: IDS.kerngroepMeeting,
      organisationName: 'Jongerenwerk Dordrecht',
      deadline: '30-03-2026 09:00',
      questionCount: 2,
      personCount: 1,
      recipients: [IDS.jongerenwerk],
      details: {
        persons: [
          {
            name: 'Karel Testpersoon',
            dateOfBirth: '01-01-2008',
            questions: [
              { id: 'q1', label: nl.kerngroep.questions.begeleiding, risk: false, choices: ['ja', 'nee', 'onbekend'] },
              { id: 'q2', label: nl.kerngroep.questions.risicosignalen, risk: true, choices: ['ja', 'nee', 'onbekend'] },
            ],
          },
        ],
      },
    }),
  );
  add(
    'kerngroep-matrix.json',
    'matrixCard (src/cards/kerngroep-cards.ts)',
    "the chair's matrix of answers (user-specific, fictional person)",
    matrixCard({
      meetingId: IDS.kerngroepMeeting,
      when: 'maandag 30-03-2026 10:00',
      overall: 50,
      chairId: IDS.voorzitter,
      persons: [
        {
          personId: 'p1',
          name: 'Karel Testpersoon',
          dateOfBirth: '01-01-2008',
          colour: 'oranje',
          pct: 50,
          cells: [
            { questionId: 'q1', org: 'Jongerenwerk Dordrecht', label: nl.kerngroep.questions.begeleiding, value: 'ja', late: false },
            { questionId: 'q2', org: 'Politie basisteam Dordrecht', label: nl.kerngroep.questions.risicosignalen, value: '', late: false },
          ],
        },
      ],
      attendance: [
        { organisation: 'Jongerenwerk Dordrecht', name: 'Jamal Jongerenwerk', answer: { kind: 'aanwezig' } },
        { organisation: 'Politie basisteam Dordrecht', name: 'Petra Politie', answer: { kind: 'vervanger', substituteName: 'Peter Politie' } },
        { organisation: 'Politie basisteam Dordrecht', name: 'Peter Politie', substituteFor: 'Petra Politie' },
        { organisation: 'Woningcorporatie Woonbron', name: 'Wendy Woonbron', answer: { kind: 'verhinderd', reason: 'Andere afspraak' } },
      ],
    }),
  );

  // --- beheer and refusals -----------------------------------------------------------------------------
  add('audit-export.json', 'auditExportCard (src/cards/admin-cards.ts)', '`audit` for the beheerder', auditExportCard({ from: '2026-03-01', to: '2026-03-15' }));
  add(
    'refusal.json',
    'refusalCard (src/cards/signal-cards.ts)',
    'a card action that the access policy refuses',
    refusalCard(nl.signals.refusals.denyReasons['not-involved']),
  );
  return samples;
}

/**
 * Card builders in src/cards/ without a sample of their own, and why. test/unit/card-samples.test.ts
 * fails when a new builder is neither sampled nor listed here.
 */
export const NOT_SAMPLED: Record<string, string> = {
  auditResultCard: 'its content is the exported CSV of the audit log; the form is audit-export.json',
  erasureCard: 'erasure on request (retention work) was still being built when the samples were added',
  erasureDoneCard: 'erasure on request (retention work) was still being built when the samples were added',
  messageCard: 'a single TextBlock with a message',
  passOnDoneCard: 'a one-line confirmation replacing pass-on-form.json',
  cancelFormCard: 'a reason field and a button, like meeting-reschedule-form.json',
  prepViewCard: 'the read-only view of meeting-prep-form.json for the organiser',
  adviceViewCard: 'the read-only view of the answer to meeting-advice-request.json for the organiser',
};

// --- the Adaptive Cards SDK ----------------------------------------------------------------------------

// The SDK's Node build; its package entry needs a DOM.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
  HostConfig: new (config: unknown) => unknown;
  AdaptiveCard: new () => {
    hostConfig: unknown;
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: unknown[] };
    toJSON(): unknown;
  };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

/**
 * Teams' limit on a card's actions (its host config, also the Agents Playground's: `maxActions: 6`);
 * the SDK's default host config says 5. Everything else is checked with the SDK's defaults.
 */
export const TEAMS_MAX_ACTIONS = 6;

/** What the Adaptive Cards SDK reports about a card (parse and validation), plus element types it would drop. */
export function sdkProblems(json: unknown): string[] {
  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig({ actions: { maxActions: TEAMS_MAX_ACTIONS } });
  const context = new AC.SerializationContext();
  card.parse(json, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const e of card.validateProperties().validationEvents) problems.push(JSON.stringify(e));
  const before = types(json);
  const after = types(card.toJSON());
  if (before.join() !== after.join()) problems.push(`element types changed: ${before.join()} → ${after.join()}`);
  return problems;
}

function types(json: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string') out.push(o.type);
      Object.values(o).forEach(walk);
    }
  };
  walk(json);
  return out.sort();
}

/** The file's exact content: stable, pretty JSON with a final newline. */
export const serialise = (card: AdaptiveCard): string => `${JSON.stringify(card, null, 2)}\n`;

export interface SampleCheck {
  invalid: { file: string; problems: string[] }[];
  stale: string[];
  missing: string[];
  extra: string[];
}

export function checkSamples(dir = SAMPLES_DIR, samples = cardSamples()): SampleCheck {
  const names = new Set(samples.map((s) => s.file));
  const onDisk = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  return {
    invalid: samples.map((s) => ({ file: s.file, problems: sdkProblems(s.card) })).filter((x) => x.problems.length > 0),
    stale: samples.filter((s) => existsSync(join(dir, s.file)) && readFileSync(join(dir, s.file), 'utf8') !== serialise(s.card)).map((s) => s.file),
    missing: samples.filter((s) => !existsSync(join(dir, s.file))).map((s) => s.file),
    extra: onDisk.filter((f) => !names.has(f)),
  };
}

function main(): void {
  const samples = cardSamples();
  const invalid = samples.map((s) => ({ file: s.file, problems: sdkProblems(s.card) })).filter((x) => x.problems.length > 0);
  if (invalid.length > 0) {
    for (const x of invalid) console.error(`${x.file}: ${x.problems.join('; ')}`);
    console.error('The Adaptive Cards SDK rejects these cards; nothing written.');
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    const r = checkSamples(SAMPLES_DIR, samples);
    const lines = [...r.stale.map((f) => `out of date: ${f}`), ...r.missing.map((f) => `missing: ${f}`), ...r.extra.map((f) => `not generated: ${f}`)];
    if (lines.length > 0) {
      console.error(`${lines.join('\n')}\nRun \`npm run cards\` to regenerate adaptive-cards/.`);
      process.exit(1);
    }
    console.log(`adaptive-cards/: ${samples.length} samples, all up to date and valid.`);
    return;
  }
  mkdirSync(SAMPLES_DIR, { recursive: true });
  const names = new Set(samples.map((s) => s.file));
  for (const f of readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json') && !names.has(f))) unlinkSync(join(SAMPLES_DIR, f));
  for (const s of samples) writeFileSync(join(SAMPLES_DIR, s.file), serialise(s.card));
  console.log(`Wrote ${samples.length} samples to adaptive-cards/ (each valid for the Adaptive Cards SDK):`);
  for (const s of samples) console.log(`  ${s.file.padEnd(34)} ${s.source} — ${s.when}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
