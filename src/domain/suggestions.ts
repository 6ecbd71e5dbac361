import type { Directory, Organisation, OrganisationKind } from './directory.js';
import type { Category, SignalKind, Subject } from './signal.js';

/**
 * Whom to invite to a casusoverleg (§4: "only partners with a relevant role are invited"), as a
 * suggestion the wijkmanager confirms or changes on the planning card. Two sources:
 * - the organisations that reported the case's signals (or direct it at hinder level);
 * - partners whose instruments (§8, appendix 3) fit what the case is about: its categories, a
 *   person (a tenant → the woningcorporatie; individual care → the sociaal wijkteam), or a care
 *   signal (→ the care partners).
 * Pure: the use case reads the cases and their signals' categories.
 */

/** Which partners' instruments fit a category (§8). `overig` says nothing about who could help. */
export const CATEGORY_PARTNERS: Readonly<Record<Category, readonly OrganisationKind[]>> = {
  // Youths hanging around: youth work talks with them, Halt for prevention (§8).
  hangjongeren: ['jongerenwerk', 'halt'],
  // Drugs: supervision and enforcement.
  drugs: ['politie', 'handhaving'],
  // Noise mostly comes from homes or groups: patrols, and the landlord for tenants.
  geluid: ['handhaving', 'woningcorporatie'],
  intimidatie: ['politie', 'handhaving'],
  agressie: ['politie'],
  vernieling: ['politie', 'handhaving'],
  alcohol: ['handhaving', 'politie'],
  // Litter: patrols, and neighbourhood work for resident-led action.
  zwerfafval: ['handhaving', 'buurtwerk'],
  verkeer: ['politie', 'handhaving'],
  overig: [],
};

/** A case about an individual: the landlord addresses a tenant's behaviour; the wijkteam offers care (§8). */
export const SUBJECT_PARTNERS: Readonly<Record<Subject, readonly OrganisationKind[]>> = {
  persoon: ['woningcorporatie', 'sociaal-wijkteam'],
  groep: [],
  locatie: [],
};

/** §2: a care signal is the care partners' business first. */
export const KIND_PARTNERS: Readonly<Record<SignalKind, readonly OrganisationKind[]>> = {
  zorg: ['sociaal-wijkteam', 'meldpunt-zorg-overlast'],
  overlast: [],
};

/** What the suggestion needs to know about a case on the agenda. */
export interface CaseProfile {
  district: string;
  kind: SignalKind;
  /** The case's subject and those of its signals (a location case can hold signals about a person). */
  subjects: readonly Subject[];
  /** Organisations that reported its signals or direct it at hinder level. */
  involvedOrganisations: readonly string[];
  /** Categories of its signals. */
  categories: readonly Category[];
}

export type SuggestionReason =
  | { kind: 'reported' }
  | { kind: 'category'; category: Category }
  | { kind: 'subject'; subject: Subject }
  | { kind: 'care' };

export interface Suggestion {
  organisation: string;
  reasons: SuggestionReason[];
}

export interface SuggestOptions {
  /** Organisations never suggested, e.g. the organiser's own (the host is not invited). */
  exclude?: readonly string[];
}

/**
 * Suggested organisations, best first: those that reported come first (they know the case), then
 * by the number of reasons, then by name. Of an organisation kind, the organisations that serve
 * one of the cases' districts (have users there) are preferred; when none does, all of that kind
 * are suggested (city-wide partners like a woningcorporatie). Organisations without any user
 * cannot be reached and are left out.
 */
export function suggestInvitees(cases: readonly CaseProfile[], directory: Directory, options: SuggestOptions = {}): Suggestion[] {
  const exclude = new Set(options.exclude ?? []);
  const reasons = new Map<string, SuggestionReason[]>();
  const add = (orgId: string, reason: SuggestionReason) => {
    if (exclude.has(orgId)) return;
    const org = directory.organisation(orgId);
    if (!org || directory.usersOf(orgId).length === 0) return;
    const list = reasons.get(orgId) ?? [];
    if (!list.some((r) => sameReason(r, reason))) list.push(reason);
    reasons.set(orgId, list);
  };
  const districts = new Set(cases.map((c) => c.district));

  for (const c of cases) {
    for (const org of c.involvedOrganisations) add(org, { kind: 'reported' });
    for (const category of c.categories) {
      for (const kind of CATEGORY_PARTNERS[category]) {
        for (const org of organisationsOfKind(directory, kind, districts)) add(org.id, { kind: 'category', category });
      }
    }
    for (const subject of c.subjects) {
      for (const kind of SUBJECT_PARTNERS[subject]) {
        for (const org of organisationsOfKind(directory, kind, districts)) add(org.id, { kind: 'subject', subject });
      }
    }
    for (const kind of KIND_PARTNERS[c.kind]) {
      for (const org of organisationsOfKind(directory, kind, districts)) add(org.id, { kind: 'care' });
    }
  }

  const name = (id: string) => directory.organisation(id)?.name ?? id;
  return [...reasons.entries()]
    .map(([organisation, rs]) => ({ organisation, reasons: rs }))
    .sort((a, b) => {
      const ra = a.reasons.some((r) => r.kind === 'reported') ? 0 : 1;
      const rb = b.reasons.some((r) => r.kind === 'reported') ? 0 : 1;
      if (ra !== rb) return ra - rb;
      if (a.reasons.length !== b.reasons.length) return b.reasons.length - a.reasons.length;
      return name(a.organisation).localeCompare(name(b.organisation), 'nl');
    });
}

/** Organisations of a kind, preferring those that serve one of `districts`; ordered by id. */
export function organisationsOfKind(directory: Directory, kind: OrganisationKind, districts: ReadonlySet<string>): Organisation[] {
  const all = directory.organisations.filter((o) => o.kind === kind).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const serving = all.filter((o) => directory.usersOf(o.id).some((u) => u.districts.some((d) => districts.has(d))));
  return serving.length > 0 ? serving : all;
}

function sameReason(a: SuggestionReason, b: SuggestionReason): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'category' && b.kind === 'category') return a.category === b.category;
  if (a.kind === 'subject' && b.kind === 'subject') return a.subject === b.subject;
  return true;
}
