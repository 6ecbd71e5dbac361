import { createHmac } from 'node:crypto';
import type { Level } from './access.js';
import type { Directory, Organisation } from './directory.js';
import { LEVELS, type Case, type CaseEvent, type SignalKind } from './signal.js';

/**
 * Cases (casussen): the pyramid's levels and who directs at each (§1), the level state machine
 * (§1: opschalen/afschalen are human decisions with a recorded reason), how a new signal finds its
 * case (§3: "a place has had nuisance more often"), and where a zorgmelding goes (§2).
 */

export { LEVELS };
export type { Level };

// --- levels ---------------------------------------------------------------------------------------

export type Transition = 'escalate' | 'direct-escalate' | 'deescalate';

/**
 * The allowed level changes. One level at a time, except hinder → ernstig: §5(b) allows direct
 * escalation when a situation becomes ernstige overlast in a short time. De-escalation is always one
 * level (§9: afschalen is gradual, with a finger on the pulse afterwards).
 */
export const LEVEL_TRANSITIONS: Readonly<Record<Level, Partial<Record<Level, Transition>>>> = {
  hinder: { overlast: 'escalate', ernstig: 'direct-escalate' },
  overlast: { ernstig: 'escalate', hinder: 'deescalate' },
  ernstig: { overlast: 'deescalate' },
};

export interface LevelDecision {
  to: Level;
  /** Why: required (§1 "always with a recorded reason"). */
  reason: string;
  by: { userId: string; organisation: string };
  at: Date;
}

export type LevelChangeError = 'same-level' | 'not-allowed' | 'reason-required' | 'case-closed';

/** Minimum length of a reason, so "x" or "ok" does not pass as the recorded reason §1 asks for. */
export const MIN_REASON_LENGTH = 10;

/**
 * The one guard for level changes. Returns the changed case and the timeline event, or why not.
 * Whether this person may take the decision is the access policy's question ('case.change-level').
 */
export function changeLevel(
  current: Case,
  decision: LevelDecision,
): { ok: true; case: Case; event: CaseEvent; transition: Transition } | { ok: false; error: LevelChangeError } {
  if (current.status !== 'open') return { ok: false, error: 'case-closed' };
  if (decision.to === current.level) return { ok: false, error: 'same-level' };
  const transition = LEVEL_TRANSITIONS[current.level][decision.to];
  if (!transition) return { ok: false, error: 'not-allowed' };
  const reason = decision.reason.trim();
  if (reason.length < MIN_REASON_LENGTH) return { ok: false, error: 'reason-required' };
  const at = decision.at.toISOString();
  const event: CaseEvent = { type: 'level-changed', at, by: decision.by, from: current.level, to: decision.to, reason };
  return {
    ok: true,
    transition,
    event,
    case: { ...current, level: decision.to, updatedAt: at, events: [...current.events, event] },
  };
}

/** Why a case cannot be closed: the level-change errors apply (same reason rule, one step at a time). */
export type CloseError = Exclude<LevelChangeError, 'same-level'>;

export interface CloseDecision {
  reason: string;
  by: { userId: string; organisation: string };
  at: Date;
}

/**
 * Afsluiten: the last afschalen step (§9), a decision with a recorded reason like any level change.
 * Only from hinder, so a case comes down one level at a time; a closed case takes no new signals
 * (`matchCase` starts a new case) and its `closed.at` starts the retention period.
 */
export function closeCase(current: Case, decision: CloseDecision): { ok: true; case: Case } | { ok: false; error: CloseError } {
  if (current.status !== 'open') return { ok: false, error: 'case-closed' };
  if (current.level !== 'hinder') return { ok: false, error: 'not-allowed' };
  const reason = decision.reason.trim();
  if (reason.length < MIN_REASON_LENGTH) return { ok: false, error: 'reason-required' };
  const at = decision.at.toISOString();
  return { ok: true, case: { ...current, status: 'closed', updatedAt: at, closed: { at, by: decision.by, reason } } };
}

// --- who directs ----------------------------------------------------------------------------------

export type Director =
  /** Hinder: the partner where the report came in (for a zorgmelding: the care partner). */
  | { kind: 'organisation'; organisation: string }
  /** Overlast and ernstige overlast: the wijkmanager of the district keeps the (casus)regie. */
  | { kind: 'wijkmanager'; district: string };

export function directorAt(level: Level, c: Pick<Case, 'hinderDirector' | 'district'>): Director {
  return level === 'hinder'
    ? { kind: 'organisation', organisation: c.hinderDirector }
    : { kind: 'wijkmanager', district: c.district };
}

export function directorOf(c: Pick<Case, 'level' | 'hinderDirector' | 'district'>): Director {
  return directorAt(c.level, c);
}

// --- zorgmelding routing --------------------------------------------------------------------------

export const CARE_KINDS = ['sociaal-wijkteam', 'meldpunt-zorg-overlast'] as const;

export type CareRouting = { ok: true; organisation: Organisation } | { ok: false; error: 'no-care-partner' };

/**
 * §2: care signals are handled by the care partner first, not by enforcement. The directory knows
 * which users work in which district, not which organisation does: an organisation serves a
 * district when one of its users does. Preference, first match wins: the district's sociaal
 * wijkteam; the Meldpunt Zorg & Overlast for the district; any Meldpunt (it works city-wide).
 * Ties are broken by organisation id so routing does not depend on file order.
 */
export function routeCareSignal(directory: Directory, district: string): CareRouting {
  const byId = (a: Organisation, b: Organisation) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const serves = (org: Organisation) => directory.usersOf(org.id).some((u) => u.districts.includes(district));
  const ofKind = (kind: (typeof CARE_KINDS)[number]) => directory.organisations.filter((o) => o.kind === kind).slice().sort(byId);
  const rules: (() => Organisation | undefined)[] = [
    () => ofKind('sociaal-wijkteam').find(serves),
    () => ofKind('meldpunt-zorg-overlast').find(serves),
    () => ofKind('meldpunt-zorg-overlast')[0],
  ];
  for (const rule of rules) {
    const org = rule();
    if (org) return { ok: true, organisation: org };
  }
  return { ok: false, error: 'no-care-partner' };
}

/** Who directs a new case at hinder level: the reporter's organisation, or for zorg the care partner. */
export function hinderDirectorFor(
  directory: Directory,
  kind: SignalKind,
  district: string,
  reporterOrganisation: string,
): { ok: true; organisation: string } | { ok: false; error: 'no-care-partner' } {
  if (kind === 'overlast') return { ok: true, organisation: reporterOrganisation };
  const routed = routeCareSignal(directory, district);
  return routed.ok ? { ok: true, organisation: routed.organisation.id } : routed;
}

// --- matching a signal to a case ------------------------------------------------------------------

/**
 * A person key: HMAC-SHA256 over the normalised name and date of birth, with a secret kept in the
 * store. Signals about one person find each other (and police contacts are counted per person, §5)
 * without a name in any key or index; without the secret the key cannot be recomputed from a
 * guessed name and date of birth.
 */
export function personKey(secret: string, name: string, dateOfBirth: string): string {
  return createHmac('sha256', secret).update(`${normalisePersonName(name)}\n${dateOfBirth}`).digest('hex');
}

/** Case, accents, punctuation and spacing do not make another person: "José  de Vries" = "jose de vries". */
export function normalisePersonName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Pointer keys: at most one open case per (kind, district, location) and per (kind, person).
 * Zorg and overlast are separate cases even at one place: a care signal is the care partner's case.
 */
export function locationPointerKey(kind: SignalKind, district: string, locKey: string): string {
  return `case-loc:${kind}:${district}:${locKey}`;
}

export function personPointerKey(kind: SignalKind, pKey: string): string {
  return `case-person:${kind}:${pKey}`;
}

export interface MatchCandidates {
  /** Open case that the person pointer leads to, if any. */
  byPerson?: Pick<Case, 'id' | 'status'>;
  /** Open case that the location pointer leads to, if any. */
  byLocation?: Pick<Case, 'id' | 'status'>;
}

export type CaseMatch = { kind: 'existing'; caseId: string; by: 'person' | 'location' } | { kind: 'new' };

/**
 * The rule: an open case for the same person, else for the same district + normalised
 * location, else a new case. The person comes first: the same individual at another spot is still
 * the same case (§1: a case can be an individual).
 */
export function matchCase(candidates: MatchCandidates): CaseMatch {
  if (candidates.byPerson?.status === 'open') return { kind: 'existing', caseId: candidates.byPerson.id, by: 'person' };
  if (candidates.byLocation?.status === 'open') return { kind: 'existing', caseId: candidates.byLocation.id, by: 'location' };
  return { kind: 'new' };
}

/** Facts for the access policy, derived from a stored case. */
export function caseFacts(c: Case): {
  level: Level;
  district: string;
  directorOrganisation: string;
  involvedOrganisations: readonly string[];
} {
  return {
    level: c.level,
    district: c.district,
    directorOrganisation: c.hinderDirector,
    involvedOrganisations: c.involvedOrganisations,
  };
}
