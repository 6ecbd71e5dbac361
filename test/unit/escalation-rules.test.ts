import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ESCALATION_RULES,
  EscalationRulesError,
  checkAanmelding,
  checkAfschalenSignaal,
  checkDoorgezet,
  checkErnstigAfstemming,
  checkGroepOpgeschaald,
  checkHuisbezoekCriterium,
  checkKerngroepCriterium,
  checkMeerderePartijen,
  checkVakerOpPlek,
  countInWindow,
  formatNoticeDate,
  parseEscalationRules,
  shiftMonths,
  windowFor,
  type Colour,
  type Effect,
  type RuleDecision,
  type WindowSpec,
} from '../../src/domain/escalation.js';
import type { Level } from '../../src/domain/access.js';
import { factLines, noticeCard, thresholdText } from '../../src/cards/notice-cards.js';

/**
 * Every escalation rule at its edges: exactly at the threshold and one below, the window's first
 * instant and the one before, across the Europe/Amsterdam DST changes (29 March and 25 October 2026).
 */

const TZ = 'Europe/Amsterdam';
const R = DEFAULT_ESCALATION_RULES.rules;
const at = (iso: string) => new Date(iso);
const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);

/** What the decision comes down to, for compact tables. */
function verdict(d: RuleDecision): string {
  return d.fire ? 'fire' : d.why;
}

describe('windows: wall-clock days and months in Europe/Amsterdam', () => {
  const table: [string, string, WindowSpec, string][] = [
    // [label, now, window, expected first instant of the window]
    ['28 days in winter time', '2026-02-20T11:00:00Z', { days: 28 }, '2026-01-23T11:00:00.000Z'],
    ['28 days across spring forward (28×24h − 1h)', '2026-04-10T10:00:00Z', { days: 28 }, '2026-03-13T11:00:00.000Z'],
    ['28 days across fall back (28×24h + 1h)', '2026-11-10T11:00:00Z', { days: 28 }, '2026-10-13T10:00:00.000Z'],
    ['start in the spring-forward gap moves forward', '2026-04-26T00:30:00Z', { days: 28 }, '2026-03-29T01:30:00.000Z'],
    ['start in the repeated hour is its first occurrence', '2026-11-22T01:30:00Z', { days: 28 }, '2026-10-25T00:30:00.000Z'],
    ['6 months across spring forward', '2026-09-15T08:00:00Z', { months: 6 }, '2026-03-15T09:00:00.000Z'],
    ['6 months back from 31 August is 28 February', '2026-08-31T10:00:00Z', { months: 6 }, '2026-02-28T11:00:00.000Z'],
    ['6 months back across the year', '2026-03-31T10:00:00Z', { months: 6 }, '2025-09-30T10:00:00.000Z'],
    ['90 days', '2026-06-01T10:00:00Z', { days: 90 }, '2026-03-03T11:00:00.000Z'],
  ];
  for (const [label, now, spec, from] of table) {
    it(label, () => {
      const w = windowFor(at(now), spec, TZ);
      expect(w.from.toISOString()).toBe(from);
      expect(w.to.toISOString()).toBe(at(now).toISOString());
      // Inclusive at both ends, exactly like store.count(index, from, to).
      expect(countInWindow(w, [w.from, w.to, ms(w.from, -1), ms(w.to, 1)])).toBe(2);
    });
  }

  it('shiftMonths clamps to the last day of the month and keeps the wall-clock time', () => {
    expect(shiftMonths(at('2026-05-31T10:00:00Z'), -3, TZ).toISOString()).toBe('2026-02-28T11:00:00.000Z');
    expect(shiftMonths(at('2028-08-31T10:00:00Z'), -6, TZ).toISOString()).toBe('2028-02-29T11:00:00.000Z');
    expect(shiftMonths(at('2026-01-15T11:00:00Z'), 12, TZ).toISOString()).toBe('2027-01-15T11:00:00.000Z');
  });
});

describe('meerdere-partijen: ≥ 2 organisations about one place within 28 days', () => {
  const now = at('2026-04-10T10:00:00Z');
  const w = windowFor(now, R['meerdere-partijen'].window, TZ);
  /** Signals per organisation → the facts the use case gathers with one store.count per organisation. */
  const facts = (signals: Record<string, Date[]>) => ({
    organisations: Object.entries(signals).map(([organisation, dates]) => {
      const inside = dates.filter((d) => countInWindow(w, [d]) === 1);
      const lastAt = inside.sort((a, b) => b.getTime() - a.getTime())[0];
      return { organisation, count: inside.length, ...(lastAt ? { lastAt } : {}) };
    }),
  });
  const table: [string, Record<string, Date[]>, string][] = [
    ['one organisation, many signals', { politie: [now, ms(now, -1000), ms(now, -2000)] }, 'below-threshold'],
    ['exactly two organisations', { politie: [now], jongerenwerk: [ms(now, -3600_000)] }, 'fire'],
    ['second organisation exactly at the window start (DST: 28×24h − 1h back)', { politie: [now], jongerenwerk: [w.from] }, 'fire'],
    ['second organisation 1 ms before the window', { politie: [now], jongerenwerk: [ms(w.from, -1)] }, 'below-threshold'],
    ['second organisation exactly 28×24h back is outside (the DST hour)', { politie: [now], jongerenwerk: [ms(now, -28 * 86_400_000)] }, 'below-threshold'],
    ['an organisation without signals does not count', { politie: [now], woonbron: [] }, 'below-threshold'],
  ];
  for (const [label, signals, expected] of table) {
    it(label, () => expect(verdict(checkMeerderePartijen(R['meerdere-partijen'], facts(signals)))).toBe(expected));
  }

  it('explains which organisations, oldest first, with their latest date', () => {
    const d = checkMeerderePartijen(R['meerdere-partijen'], facts({ politie: [at('2026-04-09T08:00:00Z')], jongerenwerk: [at('2026-03-20T08:00:00Z')] }));
    expect(d.fire && d.explanation).toMatchObject({
      rule: 'meerdere-partijen',
      threshold: { minOrganisations: 2, window: { days: 28 } },
      organisations: [
        { organisation: 'jongerenwerk', count: 1 },
        { organisation: 'politie', count: 1 },
      ],
    });
  });

  it('a configured threshold of 3 needs 3, and a disabled rule never fires', () => {
    const cfg = { ...R['meerdere-partijen'], minOrganisations: 3 };
    const two = facts({ politie: [now], jongerenwerk: [now] });
    expect(verdict(checkMeerderePartijen(cfg, two))).toBe('below-threshold');
    expect(verdict(checkMeerderePartijen(cfg, facts({ politie: [now], jongerenwerk: [now], handhaving: [now] })))).toBe('fire');
    expect(verdict(checkMeerderePartijen({ ...R['meerdere-partijen'], enabled: false }, two))).toBe('disabled');
  });
});

describe('vaker-op-plek: ≥ 3 signals about one place within 28 days', () => {
  const now = at('2026-11-10T11:00:00Z');
  const w = windowFor(now, R['vaker-op-plek'].window, TZ);
  const check = (dates: Date[]) => {
    const inside = dates.filter((d) => countInWindow(w, [d]) === 1);
    return checkVakerOpPlek(R['vaker-op-plek'], { count: inside.length, recent: inside });
  };
  const table: [string, Date[], string][] = [
    ['two signals', [now, ms(now, -1)], 'below-threshold'],
    ['exactly three', [now, ms(now, -1), ms(now, -2)], 'fire'],
    ['third exactly at the window start (fall back: 28×24h + 1h back)', [now, ms(now, -1), w.from], 'fire'],
    ['third 1 ms before the window start', [now, ms(now, -1), ms(w.from, -1)], 'below-threshold'],
  ];
  for (const [label, dates, expected] of table) it(label, () => expect(verdict(check(dates))).toBe(expected));

  it('explains with the dates, oldest first, at most 10 of them', () => {
    const dates = Array.from({ length: 12 }, (_, i) => ms(now, -i * 86_400_000));
    const d = check(dates);
    expect(d.fire && d.explanation.rule === 'vaker-op-plek' && d.explanation.count).toBe(12);
    const shown = d.fire && d.explanation.rule === 'vaker-op-plek' ? d.explanation.dates : [];
    expect(shown).toHaveLength(10);
    expect(shown[0]!.getTime()).toBeLessThan(shown[9]!.getTime());
    expect(shown[9]!.toISOString()).toBe(now.toISOString());
  });
});

describe('doorgezet: a partner passed the case on', () => {
  const passOn = (status: 'pending-delivery' | 'delivered' | 'failed') => ({ passOn: { at: at('2026-03-10T09:00:00Z'), organisation: 'jongerenwerk', status } });
  it.each([
    ['waiting for delivery', passOn('pending-delivery'), 'fire'],
    ['already delivered', passOn('delivered'), 'not-applicable'],
    ['failed', passOn('failed'), 'not-applicable'],
    ['no pass-on', {}, 'not-applicable'],
  ] as const)('%s', (_l, facts, expected) => expect(verdict(checkDoorgezet(R.doorgezet, facts))).toBe(expected));
});

describe('kerngroep-criterium: overlast, ≥ 2 police contacts in 6 months, an intervention without (enough) effect', () => {
  const now = at('2026-09-15T08:00:00Z');
  const w = windowFor(now, R['kerngroep-criterium'].window, TZ);
  const check = (level: Level, contacts: Date[], effects?: Effect[]) => {
    const inside = contacts.filter((d) => countInWindow(w, [d]) === 1);
    return checkKerngroepCriterium(R['kerngroep-criterium'], { level, policeContacts: { count: inside.length, recent: inside }, ...(effects ? { effects } : {}) });
  };
  const two = [at('2026-06-03T10:00:00Z'), at('2026-03-16T10:00:00Z')];
  const table: [string, Level, Date[], Effect[] | undefined, string][] = [
    ['two contacts, effect onvoldoende', 'overlast', two, ['onvoldoende'], 'fire'],
    ['two contacts, effect geen', 'overlast', two, ['voldoende', 'geen'], 'fire'],
    ['two contacts, only effect voldoende', 'overlast', two, ['voldoende'], 'below-threshold'],
    ['two contacts, no feedback yet (fact unknown)', 'overlast', two, undefined, 'unknown'],
    ['one contact', 'overlast', [two[0]!], ['geen'], 'below-threshold'],
    ['second contact exactly 6 months back (DST: CET start)', 'overlast', [two[0]!, w.from], ['geen'], 'fire'],
    ['second contact 1 ms before the 6 months', 'overlast', [two[0]!, ms(w.from, -1)], ['geen'], 'below-threshold'],
    ['at hinder the criterion does not apply', 'hinder', two, ['geen'], 'not-applicable'],
    ['at ernstig the person is past this step', 'ernstig', two, ['geen'], 'not-applicable'],
  ];
  for (const [label, level, contacts, effects, expected] of table) {
    it(label, () => expect(verdict(check(level, contacts, effects))).toBe(expected));
  }

  it('explains "2 politiecontacten binnen 6 maanden: 12-03-2026 en 03-06-2026" without naming anyone', () => {
    const d = checkKerngroepCriterium(R['kerngroep-criterium'], {
      level: 'overlast',
      policeContacts: { count: 2, recent: [at('2026-06-03T10:00:00Z'), at('2026-03-12T10:00:00Z')] },
      effects: ['onvoldoende'],
    });
    if (!d.fire) throw new Error('expected to fire');
    const lines = factLines(d.explanation, (x) => formatNoticeDate(x, TZ), (id) => id);
    expect(lines[0]).toBe('2 politiecontacten binnen 6 maanden: 12-03-2026 en 03-06-2026');
    expect(lines[1]).toBe('Effect van interventies: onvoldoende');
    expect(thresholdText(d.explanation)).toContain('ten minste 2 politiecontacten');
    expect(thresholdText(d.explanation)).toContain('geen of onvoldoende');
  });
});

describe('aanmelding: a registration with the Kerngroep tells the chair', () => {
  it('fires on a registration, not without one', () => {
    expect(verdict(checkAanmelding(R.aanmelding, { registeredAt: at('2026-05-01T10:00:00Z') }))).toBe('fire');
    expect(verdict(checkAanmelding(R.aanmelding, {}))).toBe('not-applicable');
    expect(verdict(checkAanmelding({ ...R.aanmelding, enabled: false }, { registeredAt: at('2026-05-01T10:00:00Z') }))).toBe('disabled');
  });
});

describe('huisbezoek-criterium: colour rood and ≥ 2 nuisance signals in 6 months', () => {
  const now = at('2026-11-02T09:00:00Z');
  const w = windowFor(now, R['huisbezoek-criterium'].window, TZ);
  const check = (colour: Colour | undefined, dates: Date[]) => {
    const inside = dates.filter((d) => countInWindow(w, [d]) === 1);
    return checkHuisbezoekCriterium(R['huisbezoek-criterium'], { ...(colour ? { colour } : {}), signals: { count: inside.length, recent: inside } });
  };
  const table: [string, Colour | undefined, Date[], string][] = [
    ['rood with two signals', 'rood', [now, ms(now, -86_400_000)], 'fire'],
    ['rood with the second exactly 6 months back (CEST start, now CET)', 'rood', [now, w.from], 'fire'],
    ['rood with the second 1 ms too early', 'rood', [now, ms(w.from, -1)], 'below-threshold'],
    ['rood with one signal', 'rood', [now], 'below-threshold'],
    ['oranje', 'oranje', [now, now], 'not-applicable'],
    ['no colour known yet', undefined, [now, now], 'unknown'],
  ];
  for (const [label, colour, dates, expected] of table) it(label, () => expect(verdict(check(colour, dates))).toBe(expected));
  it('the window starts at 2 May 09:00 local time (07:00Z, summer time) for 2 November 10:00 (winter time)', () => {
    expect(w.from.toISOString()).toBe('2026-05-02T08:00:00.000Z');
  });
});

describe('groep-opgeschaald: ≥ 80 % of the group registered', () => {
  it.each([
    [4, 5, 'fire'],
    [3, 4, 'below-threshold'],
    [5, 6, 'fire'],
    [79, 100, 'below-threshold'],
    [80, 100, 'fire'],
    [0, 0, 'not-applicable'],
  ])('%i of %i', (registered, persons, expected) =>
    expect(verdict(checkGroepOpgeschaald(R['groep-opgeschaald'], { group: { persons, registered } }))).toBe(expected),
  );
  it('without the group facts (Kerngroep feature) nothing is decided', () => {
    expect(verdict(checkGroepOpgeschaald(R['groep-opgeschaald'], {}))).toBe('unknown');
  });
});

describe('ernstig-afstemming: a case reaches ernstige overlast', () => {
  it.each([
    ['ernstig', 'fire'],
    ['overlast', 'below-threshold'],
    ['hinder', 'below-threshold'],
  ] as const)('%s', (level, expected) =>
    expect(verdict(checkErnstigAfstemming(R['ernstig-afstemming'], { level, since: at('2026-03-01T10:00:00Z') }))).toBe(expected),
  );
});

describe('afschalen-signaal: no new signals for 90 days on an escalated case', () => {
  const now = at('2026-06-01T10:00:00Z');
  const window = windowFor(now, R['afschalen-signaal'].quiet, TZ);
  const check = (level: Level, signals: Date[], levelSince: Date) => {
    const inWin = countInWindow(window, signals);
    const last = [...signals].sort((a, b) => b.getTime() - a.getTime())[0];
    return checkAfschalenSignaal(R['afschalen-signaal'], { level, signalsInWindow: inWin, ...(last ? { lastSignalAt: last } : {}), levelSince, window });
  };
  const longAgo = at('2026-01-05T10:00:00Z');
  const table: [string, Level, Date[], Date, string][] = [
    ['quiet for more than 90 days', 'overlast', [at('2026-02-01T10:00:00Z')], longAgo, 'fire'],
    ['last signal exactly 90 days back (window start, across DST) is still recent', 'overlast', [window.from], longAgo, 'below-threshold'],
    ['last signal 1 ms before the 90 days', 'overlast', [ms(window.from, -1)], longAgo, 'fire'],
    ['escalated within the 90 days (on old signals)', 'overlast', [at('2026-01-01T10:00:00Z')], at('2026-05-01T10:00:00Z'), 'below-threshold'],
    ['escalated exactly at the window start', 'ernstig', [], window.from, 'below-threshold'],
    ['ernstig, quiet', 'ernstig', [], longAgo, 'fire'],
    ['hinder has nothing to afschalen', 'hinder', [], longAgo, 'not-applicable'],
  ];
  for (const [label, level, signals, since, expected] of table) it(label, () => expect(verdict(check(level, signals, since))).toBe(expected));

  it('explains since when it is quiet', () => {
    const d = check('overlast', [at('2026-02-01T10:00:00Z')], longAgo);
    if (!d.fire) throw new Error('expected to fire');
    expect(factLines(d.explanation, (x) => formatNoticeDate(x, TZ), (id) => id)).toEqual([
      'Geen nieuwe meldingen sinds 01-02-2026 (laatste melding 01-02-2026)',
    ]);
  });
});

describe('the rules as data', () => {
  it('has the defaults of the issue built in', () => {
    expect(R['meerdere-partijen']).toMatchObject({ enabled: true, minOrganisations: 2, window: { days: 28 }, notify: ['wijkmanager'] });
    expect(R['vaker-op-plek']).toMatchObject({ minSignals: 3, window: { days: 28 }, notify: ['wijkmanager'] });
    expect(R.doorgezet.notify).toEqual(['wijkmanager']);
    expect(R['kerngroep-criterium']).toMatchObject({ minPoliceContacts: 2, window: { months: 6 }, ineffective: ['geen', 'onvoldoende'], notify: ['wijkmanager'] });
    expect(R.aanmelding.notify).toEqual(['voorzitter']);
    expect(R['huisbezoek-criterium']).toMatchObject({ colour: 'rood', minSignals: 2, window: { months: 6 }, notify: ['voorzitter', 'regisseur-it'] });
    expect(R['groep-opgeschaald']).toMatchObject({ minSharePercent: 80, notify: ['wijkmanager', 'voorzitter'] });
    expect(R['ernstig-afstemming'].notify).toEqual(['voorzitter']);
    expect(R['afschalen-signaal']).toMatchObject({ quiet: { days: 90 }, notify: ['regievoerder'] });
  });

  it('the example file config/escalation-rules.yaml is exactly the defaults', () => {
    expect(parseEscalationRules(readFileSync('config/escalation-rules.yaml', 'utf8'))).toEqual(DEFAULT_ESCALATION_RULES);
  });

  it('a file that changes one number keeps every other default', () => {
    const rules = parseEscalationRules('rules:\n  vaker-op-plek:\n    minSignals: 5\n    notify: [wijkmanager, "user:u-1"]\n');
    expect(rules.rules['vaker-op-plek']).toEqual({ enabled: true, minSignals: 5, window: { days: 28 }, notify: ['wijkmanager', 'user:u-1'] });
    expect(rules.rules['meerdere-partijen']).toEqual(R['meerdere-partijen']);
  });

  it.each([
    ['a typo in a rule name', 'rules:\n  vaker-op-plak: { minSignals: 2 }\n', /vaker-op-plak|Unrecognized/],
    ['a typo in a field', 'rules:\n  vaker-op-plek: { minSignal: 2 }\n', /minSignal/],
    ['a threshold of 0', 'rules:\n  vaker-op-plek: { minSignals: 0 }\n', /minSignals/],
    ['an unknown recipient kind', 'rules:\n  doorgezet: { notify: [burgemeester] }\n', /ontvanger/],
    ['a window with both days and months', 'rules:\n  vaker-op-plek: { window: { days: 1, months: 1 } }\n', /window/],
    ['broken YAML', 'rules: [\n', /ongeldige YAML/],
  ])('refuses %s with a line naming the field', (_label, text, pattern) => {
    let error: unknown;
    try {
      parseEscalationRules(text, 'regels.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EscalationRulesError);
    expect((error as EscalationRulesError).problems.join('\n')).toMatch(pattern);
  });

  it('refuses a user: recipient that is not in the directory', () => {
    expect(() => parseEscalationRules('rules:\n  aanmelding: { notify: ["user:u-nobody"] }\n', 'r.yaml', (id) => id === 'u-vz')).toThrow(/onbekende gebruiker "u-nobody"/);
  });
});

describe('the notice card', () => {
  it('names rule, threshold, facts with dates, case and district, and offers the actions', () => {
    const d = checkVakerOpPlek(R['vaker-op-plek'], { count: 3, recent: [at('2026-03-12T10:00:00Z'), at('2026-03-20T10:00:00Z'), at('2026-04-01T10:00:00Z')] });
    if (!d.fire) throw new Error('expected to fire');
    const card = noticeCard({
      firingId: '00000000-0000-4000-8000-000000000001',
      explanation: d.explanation,
      caseRef: 'C-2026-00012',
      districtName: 'Crabbehof',
      location: 'Sumatraplein [x](https://evil)',
      level: 'hinder',
      personSubject: false,
      actions: ['takeDirection', 'planMeeting', 'dismiss'],
      formatDate: (x) => formatNoticeDate(x, TZ),
      organisationName: (id) => id,
    });
    const json = JSON.stringify(card);
    expect(json).toContain('Drempel bereikt: Vaker overlast op deze plek');
    expect(json).toContain('ten minste 3 meldingen binnen 28 dagen');
    expect(json).toContain('3 meldingen binnen 28 dagen: 12-03-2026, 20-03-2026 en 01-04-2026');
    expect(json).toContain('C-2026-00012');
    expect(json).toContain('Crabbehof');
    // User text is escaped: no link can be smuggled into the card.
    expect(json).toContain('Sumatraplein \\\\[x\\\\]\\\\(https://evil\\\\)');
    expect(json).toContain('escalation.take-direction');
    expect(json).toContain('escalation.plan-meeting');
    expect(json).toContain('escalation.dismiss');
    expect(json).toContain('case.open');
  });
});
