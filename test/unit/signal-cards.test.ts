import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assess } from '../../src/domain/assessment.js';
import {
  CASE_CARD_LIMITS,
  SIGNAL_VERBS,
  caseCard,
  confirmationCard,
  mySignalsCard,
  passOnDoneCard,
  passOnFormCard,
  refusalCard,
  signalFormCard,
  type CaseView,
  type ConfirmationView,
  type SignalFormView,
} from '../../src/cards/signal-cards.js';
import { escapeText } from '../../src/cards/escape.js';
import { FORM_FIELDS } from '../../src/domain/signal.js';
import { nl } from '../../src/i18n/nl.js';
import type { AdaptiveCard } from '../../src/ports.js';

// The SDK's Node build; its package entry needs a DOM.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: unknown[]; allIds: Record<string, number> };
    toJSON(): unknown;
  };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

type El = Record<string, unknown>;

/** Parses with the Adaptive Cards SDK; returns every problem it reports. */
function sdkProblems(json: unknown): string[] {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(json, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const e of card.validateProperties().validationEvents) problems.push(JSON.stringify(e));
  // Element types the SDK does not know are replaced or dropped on the way back out.
  const before = types(json);
  const after = types(card.toJSON());
  if (before.join() !== after.join()) problems.push(`types changed: ${before.join()} → ${after.join()}`);
  return problems;
}

function types(json: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as El;
      if (typeof o.type === 'string') out.push(o.type);
      Object.values(o).forEach(walk);
    }
  };
  walk(json);
  return out.sort();
}

function expectValidCard(card: AdaptiveCard) {
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe('1.5');
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(sdkProblems(card)).toEqual([]);
}

/** All elements in document order (body, containers, action sets). */
function elements(card: AdaptiveCard): El[] {
  const out: El[] = [];
  const walk = (items: unknown) => {
    for (const el of (items as El[] | undefined) ?? []) {
      out.push(el);
      walk(el.items);
    }
  };
  walk(card.body);
  return out;
}

const byId = (card: AdaptiveCard, id: string) => elements(card).find((e) => e.id === id);
const texts = (card: AdaptiveCard) => elements(card).filter((e) => e.type === 'TextBlock').map((e) => e.text as string);

const cardId = randomUUID();
const formView = (over: Partial<SignalFormView> = {}): SignalFormView => ({
  cardId,
  values: {},
  districts: [
    { id: 'crabbehof', name: 'Crabbehof' },
    { id: 'binnenstad', name: 'Binnenstad' },
  ],
  hotspots: ['Sumatraplein', 'Jacob Marisstraat'],
  isPolice: false,
  today: '2026-03-15',
  earliest: '2025-03-15',
  ...over,
});

describe('the SDK check itself', () => {
  it('reports a card it cannot understand (so a passing check means something)', () => {
    expect(sdkProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Bogus', id: 'x' }] })).not.toEqual([]);
    expect(sdkProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Text', id: 'a' }, { type: 'Input.Text', id: 'a' }] })).not.toEqual(
      [],
    );
  });
});

describe('signal form card', () => {
  it('is a valid 1.5 card with every field, one Execute action and a visible privacy warning', () => {
    const card = signalFormCard(formView());
    expectValidCard(card);
    for (const field of FORM_FIELDS) expect(byId(card, field), field).toBeDefined();
    expect(byId(card, 'policeContact')).toBeUndefined();
    expect(byId(card, 'policeReference')).toBeUndefined();
    expect(texts(card)).toContain(nl.signals.form.privacyWarning);
    expect(card.actions).toEqual([
      { type: 'Action.Execute', title: nl.signals.form.submit, verb: SIGNAL_VERBS.submit, data: { cardId }, style: 'positive' },
    ]);
  });

  it('offers choices as ChoiceSets: categories multi-select, districts and hotspots from the directory', () => {
    const card = signalFormCard(formView());
    expect(byId(card, 'categories')).toMatchObject({ type: 'Input.ChoiceSet', isMultiSelect: true });
    expect((byId(card, 'categories')!.choices as El[]).map((c) => c.value)).toContain('hangjongeren');
    expect(byId(card, 'district')!.choices).toEqual([
      { title: 'Crabbehof', value: 'crabbehof' },
      { title: 'Binnenstad', value: 'binnenstad' },
    ]);
    expect((byId(card, 'hotspot')!.choices as El[]).map((c) => c.value)).toEqual(['Sumatraplein', 'Jacob Marisstraat']);
    expect(byId(card, 'description')).toMatchObject({ maxLength: 2000, isMultiline: true });
    expect(byId(card, 'observedDate')).toMatchObject({ min: '2025-03-15', max: '2026-03-15' });
  });

  it('says so when the district has no hotspots, and lets the user load another district’s', () => {
    const card = signalFormCard(formView({ hotspots: [] }));
    expectValidCard(card);
    expect(byId(card, 'hotspot')).toBeUndefined();
    expect(texts(card)).toContain(nl.signals.form.hotspotNone);
    const actionSet = elements(card).find((e) => e.type === 'ActionSet')!;
    expect(actionSet.actions).toEqual([
      { type: 'Action.Execute', title: nl.signals.form.showHotspots, verb: SIGNAL_VERBS.updateForm, data: { cardId } },
    ]);
  });

  it('has the police fields and warning only on a police user’s card', () => {
    const card = signalFormCard(formView({ isPolice: true, values: { policeContact: 'true', policeReference: 'PL-1' } }));
    expectValidCard(card);
    expect(byId(card, 'policeContact')).toMatchObject({ type: 'Input.Toggle', value: 'true', valueOn: 'true', valueOff: 'false' });
    expect(byId(card, 'policeReference')).toMatchObject({ value: 'PL-1', maxLength: 50 });
    expect(texts(card)).toContain(nl.signals.form.policeWarning);
  });

  it('keeps the values as typed (input values are not markdown) and puts each error right under its field', () => {
    const values = {
      kind: 'overlast',
      district: 'crabbehof',
      location: '**Statenplein** [x](y)',
      observedDate: '2026-03-15',
      observedTime: '09:30',
      categories: 'geluid,drugs',
      subject: 'groep',
      groupSize: '12',
      description: 'x'.repeat(2001),
    };
    const errors = { description: nl.signals.errors.descriptionTooLong, severity: nl.signals.errors.severityRequired };
    const card = signalFormCard(formView({ values, errors }));
    expectValidCard(card);
    expect(byId(card, 'location')!.value).toBe('**Statenplein** [x](y)');
    expect(byId(card, 'categories')!.value).toBe('geluid,drugs');
    expect(byId(card, 'groupSize')!.value).toBe(12);
    expect(byId(card, 'observedTime')!.value).toBe('09:30');
    const all = elements(card);
    for (const [field, message] of Object.entries(errors)) {
      const i = all.findIndex((e) => e.id === field);
      expect(all[i + 1]).toMatchObject({ type: 'TextBlock', text: message, color: 'attention' });
    }
    expect(texts(card)).toContain(nl.signals.form.errorSummary);
    // No error text under fields without an error.
    const j = all.findIndex((e) => e.id === 'location');
    expect(all[j + 1]?.color).toBeUndefined();
  });

  it('does not prefill malformed dates or numbers (the SDK would refuse them)', () => {
    const card = signalFormCard(formView({ values: { observedDate: '2026-02-30x', groupSize: 'veel', personDob: 'gisteren' } }));
    expectValidCard(card);
    expect(byId(card, 'observedDate')!.value).toBeUndefined();
    expect(byId(card, 'groupSize')!.value).toBeUndefined();
    expect(byId(card, 'personDob')!.value).toBeUndefined();
  });
});

const confirmation = (over: Partial<ConfirmationView> = {}): ConfirmationView => ({
  signalRef: 'M-2026-00042',
  kind: 'overlast',
  districtName: 'Crabbehof',
  location: 'Sumatraplein [x](http://evil)',
  observedAt: '15 mrt 2026, 09:30',
  categories: ['geluid', 'drugs'],
  severity: 'middel',
  subject: 'locatie',
  policeContact: false,
  caseRef: 'C-2026-00007',
  caseIsNew: true,
  level: 'hinder',
  director: 'Jongerenwerk Dordrecht',
  next: { kind: 'hinder-own' },
  ...over,
});

describe('confirmation card', () => {
  it('shows the reference, a summary and what happens next', () => {
    const card = confirmationCard(confirmation());
    expectValidCard(card);
    const json = JSON.stringify(card);
    expect(json).toContain('M-2026-00042');
    expect(json).toContain(nl.signals.confirmation.caseNew('C-2026-00007'));
    expect(texts(card)).toContain(nl.signals.confirmation.nextHinderOwn);
    expect(json).toContain('Sumatraplein \\\\[x\\\\]\\\\(http://evil\\\\)');
    expect(card.actions).toEqual([
      { type: 'Action.Execute', title: nl.signals.confirmation.openCase, verb: SIGNAL_VERBS.openCase, data: { caseRef: 'C-2026-00007' } },
      { type: 'Action.Execute', title: nl.signals.confirmation.newSignal, verb: SIGNAL_VERBS.openForm, data: {} },
    ]);
  });

  it('says a person is concerned without saying who, and names the care partner for a zorgmelding', () => {
    const card = confirmationCard(
      confirmation({ subject: 'persoon', kind: 'zorg', next: { kind: 'zorg', organisation: 'Sociaal Wijkteam' }, caseIsNew: false }),
    );
    expectValidCard(card);
    const json = JSON.stringify(card);
    expect(json).toContain(nl.signals.confirmation.subjectPersonHidden);
    expect(texts(card)).toContain(nl.signals.confirmation.nextZorg('Sociaal Wijkteam'));
    expect(json).toContain(nl.signals.confirmation.caseJoined('C-2026-00007'));
  });

  it.each([
    [{ kind: 'hinder-other', organisation: 'Politie' }, nl.signals.confirmation.nextHinderOther('Politie')],
    [{ kind: 'overlast', district: 'Crabbehof' }, nl.signals.confirmation.nextOverlast('Crabbehof')],
    [{ kind: 'ernstig', district: 'Crabbehof' }, nl.signals.confirmation.nextErnstig('Crabbehof')],
  ] as const)('next step %j', (next, expected) => {
    expect(texts(confirmationCard(confirmation({ next })))).toContain(expected);
  });
});

describe('mijn meldingen card', () => {
  it('lists signals with case and level, each opening its case', () => {
    const card = mySignalsCard([
      { signalRef: 'M-2026-00002', observedAt: '16 mrt 2026, 10:00', kind: 'zorg', location: '# Voorstraat', caseRef: 'C-2026-00002', level: 'overlast' },
      { signalRef: 'M-2026-00001', observedAt: '15 mrt 2026, 10:00', kind: 'overlast', location: 'Statenplein', caseRef: 'C-2026-00001', level: 'hinder' },
    ]);
    expectValidCard(card);
    const containers = elements(card).filter((e) => e.selectAction);
    expect(containers.map((c) => (c.selectAction as El).data)).toEqual([{ caseRef: 'C-2026-00002' }, { caseRef: 'C-2026-00001' }]);
    expect(texts(card)).toContain('\\# Voorstraat');
    expect(texts(card)).toContain(nl.signals.mine.caseAndLevel('C-2026-00002', 'Overlast'));
  });

  it('says when there is nothing yet', () => {
    const card = mySignalsCard([]);
    expectValidCard(card);
    expect(texts(card)).toContain(nl.signals.mine.empty);
  });
});

const caseView = (over: Partial<CaseView> = {}): CaseView => ({
  ref: 'C-2026-00007',
  kind: 'overlast',
  level: 'hinder',
  status: 'open',
  director: 'Jongerenwerk Dordrecht',
  districtName: 'Crabbehof',
  location: 'Sumatraplein',
  subject: 'persoon',
  signals: [
    {
      ref: 'M-2026-00002',
      observedAt: '16 mrt 2026, 23:00',
      organisation: 'Politie',
      categories: ['agressie'],
      severity: 'hoog',
      subject: 'persoon',
      person: 'hidden',
      description: 'hidden',
      policeContact: true,
    },
    {
      ref: 'M-2026-00001',
      observedAt: '15 mrt 2026, 10:00',
      organisation: 'Jongerenwerk',
      categories: ['geluid'],
      severity: 'laag',
      subject: 'locatie',
      description: 'Lawaai *bij* de <at>bank</at>',
      policeContact: false,
    },
  ],
  totalSignals: 2,
  events: [{ at: '15 mrt 2026, 10:01', text: nl.signals.caseCard.events.created('M-2026-00001') }],
  passOns: [],
  assessment: assess(
    [
      { observedAt: new Date('2026-03-16T22:00:00Z'), reporterOrganisation: 'politie', reporterUserId: 'p', categories: ['agressie'], severity: 'hoog' },
      { observedAt: new Date('2026-03-15T09:00:00Z'), reporterOrganisation: 'jongerenwerk', reporterUserId: 'j', categories: ['geluid'], severity: 'laag' },
    ],
    new Date('2026-03-20T12:00:00Z'),
    'Europe/Amsterdam',
  ),
  organisationName: (id) => ({ politie: 'Politie', jongerenwerk: 'Jongerenwerk' })[id] ?? id,
  formatDate: (d) => d.toISOString().slice(0, 10),
  canPassOn: false,
  ...over,
});

describe('case card', () => {
  it('shows level, director, the assessment as facts and the timeline, hiding who a person signal is about', () => {
    const card = caseCard(caseView());
    expectValidCard(card);
    const json = JSON.stringify(card);
    expect(texts(card)).toContain(nl.signals.caseCard.personHidden);
    expect(texts(card)).toContain(nl.signals.caseCard.descriptionHidden);
    expect(texts(card)).toContain(nl.signals.caseCard.policeContact);
    expect(texts(card)).toContain('Lawaai \\*bij\\* de &lt;at\\>bank&lt;/at\\>');
    const factSets = elements(card).filter((e) => e.type === 'FactSet');
    const assessment = factSets[1]!.facts as { title: string; value: string }[];
    const a = nl.signals.caseCard.assessment;
    expect(assessment).toEqual(
      expect.arrayContaining([
        { title: a.last7, value: '2' },
        { title: a.organisations, value: '2' },
        { title: a.night, value: a.nightValue(50, 1) },
        { title: a.severity, value: 'Hoog' },
        { title: a.trend, value: a.trendValue('stijgend', 2, 0) },
        { title: a.perOrganisation, value: 'Jongerenwerk: 1, Politie: 1' },
      ]),
    );
    expect(json).not.toContain('refresh');
    expect(card.actions).toEqual([
      { type: 'Action.Execute', title: nl.signals.caseCard.refresh, verb: SIGNAL_VERBS.openCase, data: { caseRef: 'C-2026-00007' } },
    ]);
  });

  it('asks Teams for a user-specific view when the viewer may see details, and shows them there', () => {
    const base = caseCard(caseView({ refreshFor: ['u-wm'] }));
    expectValidCard(base);
    expect(base.refresh).toEqual({
      action: { type: 'Action.Execute', verb: SIGNAL_VERBS.caseDetails, data: { caseRef: 'C-2026-00007' } },
      userIds: ['u-wm'],
    });
    const view = caseView();
    const details = caseCard({
      ...view,
      refreshFor: ['u-wm'],
      signals: [{ ...view.signals[0]!, person: { name: 'Jan *de* Vries', dateOfBirth: '2008-05-01' }, description: 'Slaat', policeReference: 'PL-9' }],
    });
    expectValidCard(details);
    expect(texts(details)).toContain(nl.signals.caseCard.personShown('Jan \\*de\\* Vries', '2008-05-01'));
    expect(texts(details)).toContain(nl.signals.caseCard.policeReference('PL-9'));
  });

  it('offers passing on only when allowed, and shows a pending request', () => {
    const card = caseCard(
      caseView({
        canPassOn: true,
        passOns: [{ at: '17 mrt 2026, 10:00', organisation: 'Jongerenwerk', reason: 'Werkt niet [meer]', status: 'pending-delivery' }],
      }),
    );
    expectValidCard(card);
    expect((card.actions as El[])[0]).toEqual({
      type: 'Action.Execute',
      title: nl.signals.caseCard.passOn,
      verb: SIGNAL_VERBS.passOnForm,
      data: { caseRef: 'C-2026-00007' },
    });
    expect(texts(card)).toContain(nl.signals.caseCard.passOnLine('17 mrt 2026, 10:00', 'Jongerenwerk', 'wacht op aflevering'));
    expect(texts(card)).toContain('Werkt niet \\[meer\\]');
  });

  it('says how many signals are not shown', () => {
    const card = caseCard(caseView({ totalSignals: 40 }));
    expect(texts(card)).toContain(nl.signals.caseCard.signalsShown(2, 40));
  });

  // Teams refuses a bot message over its size limit (413 MessageSizeTooBig): a busy case with
  // long texts must still get a card, with the most recent items and excerpts.
  it('stays under the size budget for a busy case with the longest texts, most recent items first', () => {
    const base = caseView();
    const nasty = (n: number, seed: string) => `${seed} ${'*_[<'.repeat(n)}`.slice(0, n);
    const signals = Array.from({ length: 30 }, (_, i) => ({
      ...base.signals[1]!,
      ref: `M-2026-${String(100 - i).padStart(5, '0')}`,
      subject: 'persoon' as const,
      person: { name: nasty(200, 'Naam'), dateOfBirth: '2008-05-01' },
      policeContact: true,
      policeReference: nasty(50, 'PL'),
      description: nasty(2000, `Beschrijving ${i}`),
    }));
    const view = caseView({
      location: nasty(200, 'Plein'),
      signals,
      totalSignals: 250,
      events: Array.from({ length: 60 }, (_, i) => ({ at: `${i} mrt 2026, 10:00`, text: `gebeurtenis ${i}` })),
      passOns: Array.from({ length: 9 }, (_, i) => ({ at: `${i} mrt 2026`, organisation: 'Jongerenwerk', reason: nasty(1000, `Reden ${i}`), status: 'delivered' as const })),
      canPassOn: true,
      canPlanMeeting: true,
      canChangeLevel: true,
      refreshFor: ['u-wm'],
    });
    const card = caseCard(view);
    expectValidCard(card);
    expect(JSON.stringify(card).length).toBeLessThanOrEqual(CASE_CARD_LIMITS.jsonBudget);

    const containers = (card.body as El[]).filter((e) => e.type === 'Container');
    expect(containers.length).toBeGreaterThan(0);
    expect(containers.length).toBeLessThanOrEqual(CASE_CARD_LIMITS.signals);
    // The most recent signal comes first, and the card says how many of the 250 it shows.
    expect(JSON.stringify(containers[0])).toContain('M-2026-00100');
    expect(texts(card)).toContain(nl.signals.caseCard.signalsShown(containers.length, 250));
    // Not even the most recent signal fits whole with these texts: it comes with the start of its description.
    expect(containers).toHaveLength(1);
    const description = texts(card).find((x) => x.startsWith('Beschrijving 0'))!;
    expect(description.endsWith('…')).toBe(true);
    expect(description.length).toBeLessThan(3 * CASE_CARD_LIMITS.descriptionExcerpt);
    // Pass-on reasons come as an excerpt.
    const reason = texts(card).find((x) => x.startsWith('Reden 8'))!;
    expect(reason.endsWith('…')).toBe(true);
    expect(reason.length).toBeLessThan(3 * CASE_CARD_LIMITS.reasonExcerpt);
    // The latest events and pass-on requests, with a line that says so.
    expect(texts(card)).toContain(nl.signals.caseCard.eventsShown(CASE_CARD_LIMITS.events, 60));
    expect(JSON.stringify(card)).toContain('gebeurtenis 59');
    expect(JSON.stringify(card)).not.toContain('gebeurtenis 44"');
    expect(texts(card)).toContain(nl.signals.caseCard.passOnsShown(CASE_CARD_LIMITS.passOns, 9));
    expect(texts(card).some((x) => x.startsWith('Reden 8'))).toBe(true);
    expect(texts(card).some((x) => x.startsWith('Reden 3'))).toBe(false);
  });

  it('shows long descriptions whole, and fewer signals when they do not all fit', () => {
    const base = caseView();
    const signals = Array.from({ length: 10 }, (_, i) => ({
      ...base.signals[1]!,
      ref: `M-2026-${String(100 - i).padStart(5, '0')}`,
      description: `Melding ${i}: ${'een lange beschrijving van wat er gebeurde '.repeat(47)}`.slice(0, 2000),
    }));
    const card = caseCard(caseView({ signals, totalSignals: 10 }));
    expect(JSON.stringify(card).length).toBeLessThanOrEqual(CASE_CARD_LIMITS.jsonBudget);
    const containers = (card.body as El[]).filter((e) => e.type === 'Container');
    expect(containers.length).toBeGreaterThan(3);
    expect(containers.length).toBeLessThan(10);
    expect(texts(card)).toContain(nl.signals.caseCard.signalsShown(containers.length, 10));
    for (let i = 0; i < containers.length; i++) expect(texts(card)).toContain(escapeText(signals[i]!.description));
  });

  it('shows a description whole, with its line breaks', () => {
    const base = caseView();
    const long = `Eerste regel\n${'lang '.repeat(390)}einde`;
    const card = caseCard(caseView({ signals: [{ ...base.signals[1]!, description: long }], totalSignals: 1 }));
    expect(texts(card)).toContain(`Eerste regel\n\n${'lang '.repeat(390)}einde`);
  });
});

describe('pass-on and refusal cards', () => {
  it('pass-on form: a reason input, the privacy hint and one Execute action with the card id', () => {
    const card = passOnFormCard({ cardId, caseRef: 'C-2026-00007', reason: 'te kort', error: nl.signals.refusals.passOnReasonRequired });
    expectValidCard(card);
    expect(byId(card, 'reason')).toMatchObject({ type: 'Input.Text', value: 'te kort', maxLength: 1000, isMultiline: true });
    expect(texts(card)).toContain(nl.signals.passOn.privacy);
    expect(texts(card)).toContain(nl.signals.refusals.passOnReasonRequired);
    expect(card.actions).toEqual([
      {
        type: 'Action.Execute',
        title: nl.signals.passOn.submit,
        verb: SIGNAL_VERBS.passOn,
        data: { cardId, caseRef: 'C-2026-00007' },
        style: 'positive',
      },
    ]);
  });

  it('pass-on done and refusal are valid cards with their Dutch text', () => {
    const done = passOnDoneCard('C-2026-00007');
    expectValidCard(done);
    expect(texts(done)).toContain(nl.signals.passOn.done('C-2026-00007'));
    const refusal = refusalCard(nl.signals.refusals.forged);
    expectValidCard(refusal);
    expect(texts(refusal)).toEqual([nl.signals.refusals.title, nl.signals.refusals.forged]);
  });
});
