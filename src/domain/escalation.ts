import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { nl } from '../i18n/nl.js';
import type { Level } from './access.js';
import { localParts, localToInstant, shiftLocal } from './signal.js';

/**
 * Escalation thresholds (drempels) as data, and the pure checks over them.
 *
 * The process (§3–5, §9) names moments at which someone must be told: several partners got reports
 * about one place, a place keeps having nuisance, a partner passed a case on, a person meets the
 * Kerngroep criterion, and so on. Each is a rule here: a number, a window and who is told, validated
 * by zod and overridable per municipality (ESCALATION_RULES_FILE). The checks are pure functions from
 * facts (counts in a window, dates, levels) to a decision that explains itself; the use case
 * (src/app/escalation.ts) gathers the facts with `store.count` on time indexes — O(log n) whatever
 * the history — and owns de-duplication and delivery.
 *
 * A notice proposes; it never changes a case's level (§1: opschalen/afschalen are human decisions).
 */

// --- vocabularies ---------------------------------------------------------------------------------

export const RULE_IDS = [
  'meerdere-partijen',
  'vaker-op-plek',
  'doorgezet',
  'kerngroep-criterium',
  'aanmelding',
  'huisbezoek-criterium',
  'groep-opgeschaald',
  'ernstig-afstemming',
  'afschalen-signaal',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Feedback effects (terugkoppeling, §4 step 3) — supplied by the feedback feature. */
export const EFFECTS = ['geen', 'onvoldoende', 'voldoende'] as const;
export type Effect = (typeof EFFECTS)[number];

/** Kerngroep colour per person (§6) — supplied by the Kerngroep feature. */
export const COLOURS = ['groen', 'oranje', 'rood'] as const;
export type Colour = (typeof COLOURS)[number];

/**
 * Who is told. Symbolic recipients are resolved against the directory and the case:
 * - `wijkmanager`: the wijkmanager(s) of the case's district;
 * - `voorzitter`: the Kerngroep chair(s); `regisseur-it`: the Interventieteam regisseur(s);
 * - `regievoerder`: whoever directs the case at its current level (§1);
 * - `user:<id>`: one named user from the directory.
 */
export const RECIPIENT_ROLES = ['wijkmanager', 'voorzitter', 'regisseur-it', 'regievoerder'] as const;
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];
export type Recipient = RecipientRole | `user:${string}`;

// --- windows --------------------------------------------------------------------------------------

/** "within 28 days", "within 6 months": a wall-clock window ending now, in the process's time zone. */
export type WindowSpec = { days: number } | { months: number };

export interface Window {
  /** Inclusive. */
  from: Date;
  /** Inclusive: now. */
  to: Date;
}

/**
 * The window "the last N days/months" ending at `now`: from the same local time N calendar days
 * (months) earlier, inclusive, up to now, inclusive — the convention of src/domain/assessment.ts,
 * and the bounds `store.count(index, from, to)` takes. Across a DST change a 28-day window is
 * 28×24h ± 1h. A month back from the 31st is the last day of that month (31 Aug → 28/29 Feb).
 */
export function windowFor(now: Date, spec: WindowSpec, timeZone: string): Window {
  const from = 'days' in spec ? shiftLocal(now, { days: -spec.days }, timeZone) : shiftMonths(now, -spec.months, timeZone);
  return { from, to: now };
}

export function inWindow(window: Window, instant: Date | number): boolean {
  const t = typeof instant === 'number' ? instant : instant.getTime();
  return t >= window.from.getTime() && t <= window.to.getTime();
}

/** How many of `instants` fall in `window`: the same answer `store.count` gives over a time index. */
export function countInWindow(window: Window, instants: readonly (Date | number)[]): number {
  return instants.filter((i) => inWindow(window, i)).length;
}

/** The same wall-clock time `months` months earlier or later, clamped to the month's last day. */
export function shiftMonths(instant: Date, months: number, timeZone: string): Date {
  const p = localParts(instant, timeZone);
  const index = p.year * 12 + (p.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return localToInstant({ year, month, day: Math.min(p.day, last), hour: p.hour, minute: p.minute }, timeZone);
}

// --- configuration --------------------------------------------------------------------------------

const recipientSchema = z
  .string()
  .refine(
    (s) => (RECIPIENT_ROLES as readonly string[]).includes(s) || /^user:[A-Za-z0-9._:@-]{1,100}$/.test(s),
    (s) => ({ message: nl.escalationRules.unknownRecipient(s.slice(0, 50)) }),
  )
  .transform((s) => s as Recipient);

const windowSchema = z.union([
  z.object({ days: z.number().int().min(1).max(3660) }).strict(),
  z.object({ months: z.number().int().min(1).max(120) }).strict(),
]);

const notify = (dflt: RecipientRole[]) => z.array(recipientSchema).min(1).max(20).default(dflt);
const count = (dflt: number, max = 1000) => z.number().int().min(1).max(max).default(dflt);
const enabled = z.boolean().default(true);

export const escalationRulesSchema = z
  .object({
    rules: z
      .object({
        /** §3 "several parties received reports": distinct organisations reporting about one place. */
        'meerdere-partijen': z
          .object({ enabled, minOrganisations: count(2, 50), window: windowSchema.default({ days: 28 }), notify: notify(['wijkmanager']) })
          .strict()
          .default({}),
        /** §3 "a place has had nuisance more often". */
        'vaker-op-plek': z
          .object({ enabled, minSignals: count(3), window: windowSchema.default({ days: 28 }), notify: notify(['wijkmanager']) })
          .strict()
          .default({}),
        /** §3 a partner passes the case on to the wijkmanager. */
        doorgezet: z.object({ enabled, notify: notify(['wijkmanager']) }).strict().default({}),
        /** §5(a) 2 nuisance-related police contacts in 6 months, and interventions without (enough) effect. */
        'kerngroep-criterium': z
          .object({
            enabled,
            minPoliceContacts: count(2),
            window: windowSchema.default({ months: 6 }),
            ineffective: z.array(z.enum(EFFECTS)).min(1).default(['geen', 'onvoldoende']),
            notify: notify(['wijkmanager']),
          })
          .strict()
          .default({}),
        /** §5 the wijkmanager registers a person with the Kerngroep chair. */
        aanmelding: z.object({ enabled, notify: notify(['voorzitter']) }).strict().default({}),
        /** §5 home visits are considered with at least 2 nuisance reports in the last 6 months (rood). */
        'huisbezoek-criterium': z
          .object({
            enabled,
            colour: z.enum(COLOURS).default('rood'),
            minSignals: count(2),
            window: windowSchema.default({ months: 6 }),
            notify: notify(['voorzitter', 'regisseur-it']),
          })
          .strict()
          .default({}),
        /** §5 (almost) the whole group is escalated: direction can move to the chair. */
        'groep-opgeschaald': z
          .object({ enabled, minSharePercent: z.number().min(1).max(100).default(80), notify: notify(['wijkmanager', 'voorzitter']) })
          .strict()
          .default({}),
        /** §5 at ernstige overlast always coordinate with Meldpunt Zorg & Overlast and the ZVH. */
        'ernstig-afstemming': z.object({ enabled, notify: notify(['voorzitter']) }).strict().default({}),
        /** §9 fewer reports: no new signals for a while → propose afschalen. */
        'afschalen-signaal': z
          .object({ enabled, quiet: windowSchema.default({ days: 90 }), notify: notify(['regievoerder']) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    /** The periodic sweep for time-based rules (afschalen-signaal) and re-arming. */
    sweep: z
      .object({ everyMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60) })
      .strict()
      .default({}),
  })
  .strict();

export type EscalationRules = z.infer<typeof escalationRulesSchema>;
export type RuleConfig<R extends RuleId> = EscalationRules['rules'][R];

/** The defaults of the issue, built in: what runs when no ESCALATION_RULES_FILE is set. */
export const DEFAULT_ESCALATION_RULES: EscalationRules = escalationRulesSchema.parse({});

export class EscalationRulesError extends Error {
  override readonly name = 'EscalationRulesError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Parses YAML or JSON. Everything not in the file keeps its default, so a municipality can change
 * one number. Unknown rules or fields are refused (a typo must not silently keep the default).
 * `knownUser` checks `user:<id>` recipients against the directory.
 */
export function parseEscalationRules(text: string, source = 'escalation rules', knownUser?: (id: string) => boolean): EscalationRules {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new EscalationRulesError(doc.errors.map((e) => nl.files.invalidYaml(source, e.message.split('\n')[0] ?? '')));
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = escalationRulesSchema.safeParse(raw);
  if (!result.success) {
    throw new EscalationRulesError(
      result.error.issues.map((i) => nl.files.problem(source, i.path.join('.'), i.message)),
    );
  }
  if (knownUser) {
    const problems: string[] = [];
    for (const id of RULE_IDS) {
      for (const r of result.data.rules[id].notify) {
        if (r.startsWith('user:') && !knownUser(r.slice(5))) problems.push(nl.files.problem(source, `rules.${id}.notify`, nl.escalationRules.unknownUser(r.slice(5))));
      }
    }
    if (problems.length > 0) throw new EscalationRulesError(problems);
  }
  return result.data;
}

export function loadEscalationRules(file: string, knownUser?: (id: string) => boolean): EscalationRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EscalationRulesError([nl.files.cannotRead(file, (err as NodeJS.ErrnoException).code)]);
  }
  return parseEscalationRules(text, file, knownUser);
}

// --- facts and decisions --------------------------------------------------------------------------

/** What a notice explains: the rule, its threshold and the facts that crossed it. No names of persons. */
export type Explanation =
  | {
      rule: 'meerdere-partijen';
      threshold: { minOrganisations: number; window: WindowSpec };
      /** Organisations with a signal in the window, with their most recent one (oldest first). */
      organisations: { organisation: string; count: number; lastAt: Date }[];
    }
  | { rule: 'vaker-op-plek'; threshold: { minSignals: number; window: WindowSpec }; count: number; dates: Date[] }
  | { rule: 'doorgezet'; threshold: Record<string, never>; at: Date; organisation: string }
  | {
      rule: 'kerngroep-criterium';
      threshold: { minPoliceContacts: number; window: WindowSpec; ineffective: Effect[] };
      count: number;
      dates: Date[];
      effects: Effect[];
    }
  | { rule: 'aanmelding'; threshold: Record<string, never>; at: Date }
  | { rule: 'huisbezoek-criterium'; threshold: { colour: Colour; minSignals: number; window: WindowSpec }; count: number; dates: Date[] }
  | { rule: 'groep-opgeschaald'; threshold: { minSharePercent: number }; persons: number; registered: number }
  | { rule: 'ernstig-afstemming'; threshold: Record<string, never>; at: Date }
  | { rule: 'afschalen-signaal'; threshold: { quiet: WindowSpec }; lastSignalAt?: Date; since: Date };

export type RuleDecision =
  | { fire: true; explanation: Explanation }
  /**
   * `below-threshold` / `not-applicable`: the condition does not hold, so a rule that fired for this
   * subject is re-armed ("until the count fell below the threshold again").
   * `unknown`: a fact is missing (e.g. no Kerngroep colour yet): neither fire nor re-arm.
   */
  | { fire: false; why: 'disabled' | 'below-threshold' | 'not-applicable' | 'unknown' };

/** Dates shown on a card: the most recent ones, at most this many. */
export const MAX_SHOWN_DATES = 10;

const sortAsc = (dates: readonly Date[]) => [...dates].sort((a, b) => a.getTime() - b.getTime());

export interface LocationOrganisationFacts {
  /** Per organisation: signals about the place within the rule's window (0 = none). */
  organisations: readonly { organisation: string; count: number; lastAt?: Date }[];
}

/** §3 "several parties received reports": ≥ N distinct organisations reported about one place within the window. */
export function checkMeerderePartijen(cfg: RuleConfig<'meerdere-partijen'>, facts: LocationOrganisationFacts): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  const reporting = facts.organisations
    .filter((o): o is { organisation: string; count: number; lastAt: Date } => o.count > 0 && o.lastAt !== undefined)
    .sort((a, b) => a.lastAt.getTime() - b.lastAt.getTime() || (a.organisation < b.organisation ? -1 : 1));
  if (reporting.length < cfg.minOrganisations) return { fire: false, why: 'below-threshold' };
  return {
    fire: true,
    explanation: {
      rule: 'meerdere-partijen',
      threshold: { minOrganisations: cfg.minOrganisations, window: cfg.window },
      organisations: reporting.map((o) => ({ organisation: o.organisation, count: o.count, lastAt: o.lastAt })),
    },
  };
}

export interface CountFacts {
  /** Events within the rule's window. */
  count: number;
  /** The most recent events in the window (any number; the explanation keeps the last MAX_SHOWN_DATES). */
  recent: readonly Date[];
}

/** §3 "a place has had nuisance more often": ≥ N signals about one place within the window. */
export function checkVakerOpPlek(cfg: RuleConfig<'vaker-op-plek'>, facts: CountFacts): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (facts.count < cfg.minSignals) return { fire: false, why: 'below-threshold' };
  return {
    fire: true,
    explanation: {
      rule: 'vaker-op-plek',
      threshold: { minSignals: cfg.minSignals, window: cfg.window },
      count: facts.count,
      dates: shownDates(facts.recent),
    },
  };
}

/** §3 a partner passed the case on: the wijkmanager must hear of it (while the request waits). */
export function checkDoorgezet(
  cfg: RuleConfig<'doorgezet'>,
  facts: { passOn?: { at: Date; organisation: string; status: 'pending-delivery' | 'delivered' | 'failed' } },
): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (!facts.passOn || facts.passOn.status !== 'pending-delivery') return { fire: false, why: 'not-applicable' };
  return { fire: true, explanation: { rule: 'doorgezet', threshold: {}, at: facts.passOn.at, organisation: facts.passOn.organisation } };
}

/**
 * §5(a): a person in a case at level overlast with ≥ N nuisance-related police contacts within the
 * window, and at least one intervention whose reported effect was geen or onvoldoende.
 */
export function checkKerngroepCriterium(
  cfg: RuleConfig<'kerngroep-criterium'>,
  facts: { level: Level; policeContacts: CountFacts; effects?: readonly Effect[] },
): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (facts.level !== 'overlast') return { fire: false, why: 'not-applicable' };
  if (facts.policeContacts.count < cfg.minPoliceContacts) return { fire: false, why: 'below-threshold' };
  const ineffective = (facts.effects ?? []).filter((e) => cfg.ineffective.includes(e));
  // No feedback yet is not "without effect": the criterion asks that the earlier levels were tried.
  if (ineffective.length === 0) return { fire: false, why: facts.effects === undefined ? 'unknown' : 'below-threshold' };
  return {
    fire: true,
    explanation: {
      rule: 'kerngroep-criterium',
      threshold: { minPoliceContacts: cfg.minPoliceContacts, window: cfg.window, ineffective: [...cfg.ineffective] },
      count: facts.policeContacts.count,
      dates: shownDates(facts.policeContacts.recent),
      effects: [...new Set(ineffective)],
    },
  };
}

/** §5 a wijkmanager registered a person with the Kerngroep: the chair is told. */
export function checkAanmelding(cfg: RuleConfig<'aanmelding'>, facts: { registeredAt?: Date }): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (!facts.registeredAt) return { fire: false, why: 'not-applicable' };
  return { fire: true, explanation: { rule: 'aanmelding', threshold: {}, at: facts.registeredAt } };
}

/** §5 a person with colour rood and ≥ N nuisance signals within the window: consider a home visit. */
export function checkHuisbezoekCriterium(
  cfg: RuleConfig<'huisbezoek-criterium'>,
  facts: { colour?: Colour; signals: CountFacts },
): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (facts.colour === undefined) return { fire: false, why: 'unknown' };
  if (facts.colour !== cfg.colour) return { fire: false, why: 'not-applicable' };
  if (facts.signals.count < cfg.minSignals) return { fire: false, why: 'below-threshold' };
  return {
    fire: true,
    explanation: {
      rule: 'huisbezoek-criterium',
      threshold: { colour: cfg.colour, minSignals: cfg.minSignals, window: cfg.window },
      count: facts.signals.count,
      dates: shownDates(facts.signals.recent),
    },
  };
}

/** §5 ≥ P % of a group case's persons are registered with the Kerngroep. */
export function checkGroepOpgeschaald(
  cfg: RuleConfig<'groep-opgeschaald'>,
  facts: { group?: { persons: number; registered: number } },
): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (!facts.group) return { fire: false, why: 'unknown' };
  const { persons, registered } = facts.group;
  if (persons <= 0) return { fire: false, why: 'not-applicable' };
  // Integer arithmetic: 4 of 5 is exactly 80 %, with no floating-point doubt at the edge.
  if (registered * 100 < cfg.minSharePercent * persons) return { fire: false, why: 'below-threshold' };
  return { fire: true, explanation: { rule: 'groep-opgeschaald', threshold: { minSharePercent: cfg.minSharePercent }, persons, registered } };
}

/** §5 a case at ernstige overlast: the chair gets the coordination checklist (Meldpunt, ZVH). */
export function checkErnstigAfstemming(cfg: RuleConfig<'ernstig-afstemming'>, facts: { level: Level; since: Date }): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (facts.level !== 'ernstig') return { fire: false, why: 'below-threshold' };
  return { fire: true, explanation: { rule: 'ernstig-afstemming', threshold: {}, at: facts.since } };
}

/**
 * §9 no new signals on an escalated case for the quiet period: propose afschalen to its director.
 * Quiet is counted from the later of the last signal and the moment the case reached its level, so
 * a case escalated yesterday on old signals is not proposed for afschalen today.
 */
export function checkAfschalenSignaal(
  cfg: RuleConfig<'afschalen-signaal'>,
  facts: { level: Level; signalsInWindow: number; lastSignalAt?: Date; levelSince: Date; window: Window },
): RuleDecision {
  if (!cfg.enabled) return { fire: false, why: 'disabled' };
  if (facts.level === 'hinder') return { fire: false, why: 'not-applicable' };
  if (facts.signalsInWindow > 0 || facts.levelSince.getTime() >= facts.window.from.getTime()) {
    return { fire: false, why: 'below-threshold' };
  }
  const since = facts.lastSignalAt && facts.lastSignalAt > facts.levelSince ? facts.lastSignalAt : facts.levelSince;
  return {
    fire: true,
    explanation: {
      rule: 'afschalen-signaal',
      threshold: { quiet: cfg.quiet },
      ...(facts.lastSignalAt ? { lastSignalAt: facts.lastSignalAt } : {}),
      since,
    },
  };
}

function shownDates(recent: readonly Date[]): Date[] {
  return sortAsc(recent).slice(-MAX_SHOWN_DATES);
}

/** Rules whose condition is a count that can fall below its threshold again (re-armed by the sweep). */
export const COUNT_RULES: readonly RuleId[] = ['meerdere-partijen', 'vaker-op-plek', 'kerngroep-criterium', 'huisbezoek-criterium', 'afschalen-signaal'];

/** `dd-mm-jjjj` in the process's time zone: how dates appear in a notice ("12-03-2026 en 03-06-2026"). */
export function formatNoticeDate(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${String(p.day).padStart(2, '0')}-${String(p.month).padStart(2, '0')}-${p.year}`;
}
