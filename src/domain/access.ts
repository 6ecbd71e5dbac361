import { hasRole, isMunicipalRole, type Actor } from './actor.js';

/**
 * The one access policy: (actor, action, resource) → allow | deny | redact.
 * Pure: everything it needs is in its arguments. Every use case asks it before reading or
 * changing case data; denials are audited by the caller. Table-tested in test/unit/access.test.ts.
 *
 * Need-to-know rules of the process (Aanpak overlast, §2, §4–6):
 * - a case is visible to its director, the organisations involved in it and the municipality's roles;
 * - person data in a signal: only the reporting organisation and the municipality's roles;
 *   from a police user: the municipality only (WPG), besides the police organisation itself;
 * - non-covenant organisations never see personal data.
 */

export type Level = 'hinder' | 'overlast' | 'ernstig';

/**
 * Where a turn happens. Personal data may only ever appear in the personal chat with the bot
 * (issue #8): a group chat or channel keeps every message for all its members.
 * `unknown`: no (or an unrecognised) `conversationType` — treated like a shared conversation.
 */
export const CONVERSATION_KINDS = ['personal', 'group', 'channel', 'unknown'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

/** What the policy needs to know about a case; derived from the stored case by the use case. */
export interface CaseFacts {
  level: Level;
  district: string;
  /** Organisation that directs the case at hinder level (the reporting partner). */
  directorOrganisation: string;
  /** Organisations that reported signals on the case or were involved otherwise. */
  involvedOrganisations: readonly string[];
}

/** Facts about the person data carried by one signal. */
export interface PersonDataFacts {
  reporterOrganisation: string;
  /** True when the reporter's organisation is the police: WPG applies. */
  fromPolice: boolean;
  district: string;
  /**
   * Level of the case the signal belongs to. At hinder no personal data is shared (§2): only the
   * reporting organisation sees what it reported itself.
   */
  level: Level;
}

/** What the policy needs to know about a meeting (casusoverleg); derived from the stored meeting. */
export interface MeetingFacts {
  /** Districts of the cases on the agenda. */
  districts: readonly string[];
  /** User id of who planned it. */
  organiser: string;
  /** User ids of the invitees (substitutes included). */
  invitees: readonly string[];
  /** User ids of those asked for advice beforehand (not invited). */
  advisers: readonly string[];
}

/** What the policy needs to know about feedback on an intervention (src/app/feedback.ts). */
export interface FeedbackFacts {
  district: string;
  /** Who handles the case's persons (§5): the Kerngroep feature sets it; default wijkmanager. */
  handledBy: 'wijkmanager' | 'kerngroep' | 'interventieteam';
  /** User ids responsible for the intervention (they give the feedback). */
  responsible: readonly string[];
}

export type Resource =
  | { type: 'feedback'; feedback: FeedbackFacts }
  | { type: 'system' }
  /** The conversation a turn arrives in (the Teams gate asks `bot.use` with it on every turn). */
  | { type: 'conversation'; conversation: ConversationKind }
  | { type: 'district'; district: string }
  | { type: 'case'; case: CaseFacts }
  | { type: 'person-data'; data: PersonDataFacts }
  | { type: 'meeting'; meeting: MeetingFacts }
  /** A Kerngroep inquiry (uitvraag): the organisations asked. */
  | { type: 'inquiry'; organisations: readonly string[] };

export type Action =
  /** Use the bot at all (any registered user). */
  | 'bot.use'
  /** Report a signal in a district. */
  | 'signal.create'
  /** Record a police contact (mutatie) with a signal. */
  | 'police-contact.create'
  /** See a case card: level, director, timeline without person data, assessment. */
  | 'case.read'
  /** Pass a hinder case on to the wijkmanager. */
  | 'case.pass-on'
  /** Change a case's level (opschalen/afschalen): a decision of the municipality's roles (§1, §4–5). */
  | 'case.change-level'
  /** Receive an escalation notice about a case (drempel bereikt). */
  | 'escalation.receive'
  /** Act on an escalation notice: take over direction, plan, register, dismiss (recipients only). */
  | 'escalation.act'
  /** See names / dates of birth attached to a signal. */
  | 'person-data.read'
  /** Export the audit log (and the deletion records that go with it). */
  | 'audit.export'
  /** Erase one person's data across cases on their request (AVG art. 17): the beheerder only. */
  | 'person.erase'
  /** Plan a casusoverleg about a case (wijkmanager of its district; chair/regisseur city-wide). */
  | 'meeting.plan'
  /** Reschedule, cancel, see the overview, remind, record agreements: the organiser (or municipal colleague). */
  | 'meeting.manage'
  /** See a meeting's summons: organiser, invitees, advisers, municipal roles of its districts. */
  | 'meeting.read'
  /** Answer the summons and fill in the preparation: invitees only. */
  | 'meeting.respond'
  /** Give advice beforehand: those asked for it only. */
  | 'meeting.advise'
  /** Give (or correct) feedback on an intervention: its responsible partners only. */
  | 'feedback.give'
  /** Read feedback: the details go to whoever handles the case; the wijkmanager of a case handled
   *  by the Kerngroep / Interventieteam only learns that feedback was given (redact, §5). */
  | 'feedback.read'
  /** Register persons of a case with the Kerngroep (§5): the wijkmanager of the district (or chair). */
  | 'kerngroep.register'
  /** Decide on registrations, set the agenda and colours, see the matrix, reopen answers: the chair. */
  | 'kerngroep.chair'
  /** Answer the yes/no questions addressed to one's own organisation (covenant partners only). */
  | 'kerngroep.answer';

/**
 * Every action, as a value: the policy table test (test/unit/access.test.ts) requires rows for each,
 * so a new action cannot land without its rules being tabled. The compiler keeps this list and the
 * `Action` union equal (add a new action to both).
 */
export const ACTIONS = [
  'bot.use',
  'signal.create',
  'police-contact.create',
  'case.read',
  'case.pass-on',
  'case.change-level',
  'escalation.receive',
  'escalation.act',
  'person-data.read',
  'audit.export',
  'person.erase',
  'meeting.plan',
  'meeting.manage',
  'meeting.read',
  'meeting.respond',
  'meeting.advise',
  'feedback.give',
  'feedback.read',
  'kerngroep.register',
  'kerngroep.chair',
  'kerngroep.answer',
] as const satisfies readonly Action[];
/** Compile error "Type 'true' is not assignable to type 'never'" here: an Action is missing from ACTIONS. */
const _everyActionListed: Exclude<Action, (typeof ACTIONS)[number]> extends never ? true : never = true;
void _everyActionListed;

export type Decision =
  | { effect: 'allow' }
  | { effect: 'deny'; reason: DenyReason }
  /** Allowed, without the listed fields. */
  | { effect: 'redact'; fields: readonly string[]; reason: DenyReason };

export type DenyReason =
  /** Not in the personal chat (group chat, channel): nothing is done there at all. */
  | 'personal-chat-only'
  | 'not-involved'
  | 'wrong-district'
  | 'police-data-wpg'
  | 'non-covenant'
  | 'role-required'
  | 'unknown-action';

const allow: Decision = { effect: 'allow' };
const deny = (reason: DenyReason): Decision => ({ effect: 'deny', reason });

/** Wijkmanager of that district, or a chair/regisseur (city-wide municipal roles). */
function municipalFor(actor: Actor, district: string): boolean {
  if (hasRole(actor, 'voorzitter') || hasRole(actor, 'regisseur-it')) return true;
  return hasRole(actor, 'wijkmanager') && actor.districts.includes(district);
}

/**
 * Whether the actor takes part in the process for their organisation, so that what their
 * organisation reported or directs (in `district`) is theirs to see: partners, and the
 * municipality's roles where they work — a wijkmanager for their own districts only, not for every
 * case a municipal colleague (say, an enforcement officer) reported elsewhere in the city. The
 * beheerder runs the bot and sees no case data through the municipality's involvement.
 */
function actsFor(actor: Actor, organisation: string, district: string): boolean {
  if (actor.organisation.id !== organisation) return false;
  return hasRole(actor, 'partner') || (isMunicipalRole(actor) && municipalFor(actor, district));
}

export function decide(actor: Actor, action: Action, resource: Resource): Decision {
  switch (action) {
    case 'bot.use':
      // Any registered user, but only in the personal chat: in a group chat or channel every member
      // would see the answers (§2: no personal data outside need-to-know), so nothing runs there.
      if (resource.type === 'conversation' && resource.conversation !== 'personal') return deny('personal-chat-only');
      return allow;

    case 'signal.create':
      // Any registered partner (and the municipality's roles) may report; the district must exist,
      // which the use case checks against the directory.
      return hasRole(actor, 'partner') || isMunicipalRole(actor) ? allow : deny('role-required');

    case 'police-contact.create':
      return actor.organisation.kind === 'politie' ? allow : deny('role-required');

    case 'case.read':
    case 'case.pass-on': {
      if (resource.type !== 'case') return deny('unknown-action');
      const c = resource.case;
      if (action === 'case.read' && municipalFor(actor, c.district)) return allow;
      const involved = actsFor(actor, c.directorOrganisation, c.district) || c.involvedOrganisations.some((o) => actsFor(actor, o, c.district));
      if (!involved) return deny('not-involved');
      // Passing on is what the partner directing at hinder level does (§3).
      if (action === 'case.pass-on' && c.level !== 'hinder') return deny('role-required');
      return allow;
    }

    case 'case.change-level': {
      if (resource.type !== 'case') return deny('unknown-action');
      // The wijkmanager records escalation and de-escalation for the district (§4); chair and
      // regisseur take decisions at ernstige overlast city-wide (§5).
      if (municipalFor(actor, resource.case.district)) return allow;
      return deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'role-required');
    }

    case 'escalation.receive':
    case 'escalation.act': {
      if (resource.type !== 'case') return deny('unknown-action');
      // Notices go to the municipality's roles for the district (§3–5) and, at hinder level, to the
      // directing partner (§1). The base card names no person; details stay behind case.read.
      if (municipalFor(actor, resource.case.district)) return allow;
      if (resource.case.level === 'hinder' && actsFor(actor, resource.case.directorOrganisation, resource.case.district)) return allow;
      return deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'not-involved');
    }

    case 'person-data.read': {
      if (resource.type !== 'person-data') return deny('unknown-action');
      const d = resource.data;
      if (!actor.organisation.covenant) return deny('non-covenant');
      if (actsFor(actor, d.reporterOrganisation, d.district)) return allow;
      // §2: at hinder level nothing is shared — not even with the municipality, which takes
      // direction (and sees the persons) from overlast on (§3–4).
      if (d.level === 'hinder') return deny(d.fromPolice ? 'police-data-wpg' : 'not-involved');
      if (municipalFor(actor, d.district)) return allow;
      return deny(d.fromPolice ? 'police-data-wpg' : 'not-involved');
    }

    case 'audit.export':
    case 'person.erase':
      return hasRole(actor, 'beheerder') ? allow : deny('role-required');

    case 'meeting.plan': {
      // A case to put on the agenda, or a district to plan in (the planning card's case choices).
      const district = resource.type === 'case' ? resource.case.district : resource.type === 'district' ? resource.district : undefined;
      if (district === undefined) return deny('unknown-action');
      // §4: the wijkmanager convenes the casusoverleg; the chair convenes the Kerngroep (§5).
      if (municipalFor(actor, district)) return allow;
      return deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'role-required');
    }

    case 'meeting.manage':
    case 'meeting.read':
    case 'meeting.respond':
    case 'meeting.advise': {
      if (resource.type !== 'meeting') return deny('unknown-action');
      const m = resource.meeting;
      const manages =
        actor.id === m.organiser || (m.districts.length > 0 && m.districts.every((d) => municipalFor(actor, d)));
      if (action === 'meeting.manage') return manages ? allow : deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'role-required');
      if (action === 'meeting.respond') return m.invitees.includes(actor.id) ? allow : deny('not-involved');
      if (action === 'meeting.advise') return m.advisers.includes(actor.id) ? allow : deny('not-involved');
      return manages || m.invitees.includes(actor.id) || m.advisers.includes(actor.id) ? allow : deny('not-involved');
    }

    case 'feedback.give':
    case 'feedback.read': {
      if (resource.type !== 'feedback') return deny('unknown-action');
      const f = resource.feedback;
      if (f.responsible.includes(actor.id)) return allow;
      if (action === 'feedback.give') return deny('not-involved');
      const handler =
        f.handledBy === 'kerngroep'
          ? hasRole(actor, 'voorzitter')
          : f.handledBy === 'interventieteam'
            ? hasRole(actor, 'regisseur-it')
            : municipalFor(actor, f.district);
      if (handler) return allow;
      const districtWijkmanager = hasRole(actor, 'wijkmanager') && actor.districts.includes(f.district);
      if (districtWijkmanager) return { effect: 'redact', fields: ['what', 'when', 'by', 'effect', 'explanation'], reason: 'not-involved' };
      return deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'not-involved');
    }

    case 'kerngroep.register': {
      if (resource.type !== 'case') return deny('unknown-action');
      if (municipalFor(actor, resource.case.district)) return allow;
      return deny(hasRole(actor, 'wijkmanager') ? 'wrong-district' : 'role-required');
    }

    case 'kerngroep.chair':
      return hasRole(actor, 'voorzitter') ? allow : deny('role-required');

    case 'kerngroep.answer': {
      if (resource.type !== 'inquiry') return deny('unknown-action');
      if (!actor.organisation.covenant) return deny('non-covenant');
      return resource.organisations.includes(actor.organisation.id) ? allow : deny('not-involved');
    }

    default: {
      // Exhaustiveness: a new action without a rule is denied, never allowed by accident.
      const _never: never = action;
      void _never;
      return deny('unknown-action');
    }
  }
}

export function isAllowed(decision: Decision): boolean {
  return decision.effect === 'allow';
}
