import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MEETING_VERBS,
  adviceRequestCard,
  adviceViewCard,
  agreementCard,
  agreementsFormCard,
  cancelFormCard,
  cancellationCard,
  meetingEventText,
  myMeetingsCard,
  overviewCard,
  planFormCard,
  prepFormCard,
  prepViewCard,
  rescheduleFormCard,
  summonsCard,
  type AgendaCase,
  type OverviewView,
  type SummonsView,
} from '../../src/cards/meeting-cards.js';
import type { AdaptiveCard } from '../../src/ports.js';

// The SDK's Node build; its package entry needs a DOM.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: unknown[] };
    toJSON(): unknown;
  };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

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

function expectValidCard(card: AdaptiveCard) {
  expect(card.version).toBe('1.5');
  const sdk = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  sdk.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const e of sdk.validateProperties().validationEvents) problems.push(JSON.stringify(e));
  expect(problems).toEqual([]);
  // Nothing the SDK does not know is silently dropped.
  expect(types(sdk.toJSON())).toEqual(types(card));
}

const json = (card: unknown) => JSON.stringify(card);

const HOSTILE = '**vet** [klik](https://evil.example) <at>Iemand</at> _x_';
const meetingId = randomUUID();
const agenda: AgendaCase[] = [
  { ref: 'C-2026-00001', districtName: 'Crabbehof', location: HOSTILE, level: 'overlast', subject: 'persoon', signals: 3, categories: ['hangjongeren', 'drugs'] },
];

const summons = (over: Partial<SummonsView> = {}): SummonsView => ({
  meetingId,
  ref: 'O-2026-00001',
  kind: 'casusoverleg',
  state: 'gepland',
  when: 'maandag 30 maart 2026, 10:00–11:30',
  place: HOSTILE,
  organiser: 'Willem Wijkmanager',
  cases: agenda,
  prepare: HOSTILE,
  open: true,
  colleagues: [{ value: 'u-jw2', title: 'Julia Jongerenwerk' }],
  refreshFor: ['u-jw'],
  ...over,
});

const overview = (over: Partial<OverviewView> = {}): OverviewView => ({
  meetingId,
  ref: 'O-2026-00001',
  kind: 'casusoverleg',
  state: 'gepland',
  when: 'maandag 30 maart 2026, 10:00–11:30',
  place: 'Stadskantoor',
  cases: agenda,
  invitees: [
    { name: 'Jamal', organisation: 'Jongerenwerk', organisationId: 'jongerenwerk', answer: { kind: 'verhinderd', reason: HOSTILE }, prepDone: true, delivery: 'delivered' },
    { name: 'Sietse', organisation: 'School', organisationId: 'school', prepDone: false, delivery: 'waiting' },
  ],
  advisers: [{ name: 'Wendy', organisation: 'Woonbron', organisationId: 'woonbron', answered: true }],
  canRemind: true,
  canReschedule: true,
  canCancel: true,
  canRecordAgreements: false,
  refreshFor: ['u-wm'],
  ...over,
});

describe('meeting cards', () => {
  it('are valid Adaptive Cards 1.5', () => {
    const cards: AdaptiveCard[] = [
      planFormCard({
        cardId: randomUUID(),
        values: { cases: 'C-2026-00001', orgs: 'jongerenwerk', date: '2026-03-30', start: '10:00', end: '11:00' },
        errors: { date: 'fout' },
        caseChoices: [{ value: 'C-2026-00001', title: 'C-2026-00001 · Crabbehof' }],
        orgChoices: [{ value: 'jongerenwerk', title: 'Jongerenwerk' }],
        userChoices: [{ value: 'u-school', title: 'Sietse — School' }],
        suggestions: [{ organisation: 'Jongerenwerk', reasons: 'meldde signalen' }],
        today: '2026-03-15',
      }),
      summonsCard(summons()),
      summonsCard(summons({ state: 'geannuleerd', open: false })),
      summonsCard(summons({ colleagues: [], answer: { kind: 'vervanger', substituteName: 'Julia' }, details: { persons: [{ name: 'Jan', dateOfBirth: '2008-01-01' }], withheld: 1 } })),
      summonsCard(summons({ place: 'https://teams.microsoft.com/l/meetup-join/abc' })),
      cancellationCard({ ref: 'O-2026-00001', when: 'x', organiser: 'Willem', reason: HOSTILE }),
      overviewCard(overview()),
      overviewCard(overview({ state: 'afgelopen', agreements: ['Jongerenwerk: Gesprek — terugkoppeling uiterlijk 15 april 2026'], canRemind: false, canCancel: false })),
      prepFormCard({ meetingId, ref: 'O-2026-00001', values: { classification: 'B', groupSize: '8' }, errors: { groupSize: 'fout' }, readOnly: false }),
      prepFormCard({ meetingId, ref: 'O-2026-00001', values: { classification: 'B', analysis: HOSTILE }, readOnly: true }),
      prepViewCard({ meetingId, ref: 'O-2026-00001', organisation: 'Jongerenwerk', values: { analysis: 'x' }, filledIn: { at: 'x', by: 'y' } }),
      adviceRequestCard({ meetingId, ref: 'O-2026-00001', organiser: 'W', when: 'x', cases: agenda, question: HOSTILE, open: true }),
      adviceViewCard({ meetingId, ref: 'O-2026-00001', organisation: 'Woonbron', answer: { text: HOSTILE, by: 'W', at: 'x' } }),
      rescheduleFormCard({ meetingId, ref: 'O-2026-00001', version: 1, values: { date: '2026-03-30', start: '10:00', end: '11:00', place: 'x' }, today: '2026-03-15' }),
      cancelFormCard({ meetingId, ref: 'O-2026-00001', version: 1, error: 'fout' }),
      agreementsFormCard({
        cardId: randomUUID(),
        ref: 'O-2026-00001',
        rows: 2,
        values: { org_1: 'jongerenwerk', followUp: 'true', fuDate: '2026-05-11' },
        errors: { feedbackDue_1: 'fout' },
        orgChoices: [{ value: 'jongerenwerk', title: 'Jongerenwerk' }],
        userChoices: [{ value: 'u-jw', title: 'Jamal' }],
        instrumentChoices: [{ value: 'jongerenwerk:gesprek', title: 'Jongerenwerk: Gesprek' }],
        today: '2026-03-30',
      }),
      agreementCard({ ref: 'O-2026-00001', organiser: 'W', cases: agenda, what: HOSTILE, responsible: 'Jongerenwerk', feedbackDue: 'x', behaviourBy: 'y' }),
      myMeetingsCard([{ meetingId, ref: 'O-2026-00001', when: 'x', state: 'gepland', role: 'invitee', answer: 'none' }], true),
      myMeetingsCard([], false),
    ];
    for (const card of cards) expectValidCard(card);
  });

  it('escape every user-typed value shown as text', () => {
    for (const card of [summonsCard(summons()), cancellationCard({ ref: 'O', when: 'x', organiser: 'W', reason: HOSTILE }), overviewCard(overview())]) {
      const text = json(card);
      expect(text).not.toContain('[klik](https://evil.example)');
      expect(text).not.toContain('<at>');
      expect(text).toContain('\\\\[klik\\\\]');
    }
  });

  it('the summons offers the three answers and the preparation while open, nothing once cancelled', () => {
    const open = summonsCard(summons());
    const verbs = (card: AdaptiveCard) => [...json(card).matchAll(/"verb":"([^"]+)"/g)].map((m) => m[1]);
    expect(verbs(open)).toEqual(expect.arrayContaining([MEETING_VERBS.rsvp, MEETING_VERBS.substitute, MEETING_VERBS.prepForm]));
    expect(json(open)).toContain('"answer":"aanwezig"');
    expect(json(open)).toContain('"answer":"verhinderd"');
    // The refresh (user-specific view) is for the recipient only.
    expect(open.refresh).toEqual({ action: { type: 'Action.Execute', verb: MEETING_VERBS.summons, data: { meetingId } }, userIds: ['u-jw'] });
    const cancelled = summonsCard(summons({ state: 'geannuleerd', open: false }));
    expect(verbs(cancelled).filter((v) => v !== MEETING_VERBS.summons)).toEqual([]);
    expect(json(cancelled)).toContain('Dit overleg is geannuleerd.');
  });

  it('shows person data only when the view carries it (the allowed user-specific view)', () => {
    expect(json(summonsCard(summons()))).not.toContain('Betrokken personen');
    const details = json(summonsCard(summons({ details: { persons: [{ name: 'Jan de Vries', dateOfBirth: '2008-05-01' }], withheld: 0 } })));
    expect(details).toContain('Jan de Vries (geboren 2008-05-01)');
  });

  it('the overview refreshes for the organiser only and offers what can be done now', () => {
    const card = overviewCard(overview());
    expect(card.refresh).toMatchObject({ userIds: ['u-wm'] });
    const text = json(card);
    expect(text).toContain('0 aanwezig · 0 vervanger · 1 verhinderd · 1 nog niet gereageerd');
    expect(text).toContain(MEETING_VERBS.remind);
    expect(text).not.toContain(MEETING_VERBS.agreementsForm);
    expect(text).toContain('oproep wacht: persoon heeft de bot nog niet geïnstalleerd');
    expect(json(overviewCard(overview({ canRecordAgreements: true })))).toContain(MEETING_VERBS.agreementsForm);
  });

  it('timeline lines', () => {
    expect(meetingEventText({ type: 'meeting', meetingRef: 'O-2026-00001', change: 'planned' }, (id) => id)).toBe('Casusoverleg O-2026-00001 gepland');
    expect(meetingEventText({ type: 'intervention-agreed', meetingRef: 'O-2026-00001', organisation: 'jw', feedbackDue: '2026-04-15' }, () => 'Jongerenwerk')).toBe(
      'Interventie afgesproken met Jongerenwerk, terugkoppeling uiterlijk 15 april 2026',
    );
  });
});
