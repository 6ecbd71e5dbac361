import type { Actor } from '../domain/actor.js';
import { decide, isAllowed, type Action, type Level, type Resource } from '../domain/access.js';
import { helpCard, type HelpEntry } from '../cards/help-cards.js';
import { nl } from '../i18n/nl.js';
import type { OutgoingMessage } from '../ports.js';
import type { CommandRoute, Feature } from './routes.js';

type ActionKey = keyof typeof nl.help.actions;

/**
 * One item of the help card: the command it stands for, and the question its use case puts to the
 * access policy (src/domain/access.ts) — the action, asked about the resource as it typically reaches
 * this user. There are no role lists here: whether an item is shown is `decide()`'s answer, so the help
 * card can never offer more, or less, than the policy allows.
 */
export interface HelpItem {
  key: ActionKey;
  command: string;
  /** Text that proves a feature answers the command (for commands that need an argument). */
  probe?: string;
  action: Action;
  resource: (actor: Actor) => Resource;
}

/** A district the user works in; '' when they have none (the city-wide roles are not tied to one). */
const homeDistrict = (actor: Actor): string => actor.districts[0] ?? '';

/** A case as it typically reaches this user: in their district, reported (and directed) by their own organisation. */
const ownCase =
  (level: Level) =>
  (actor: Actor): Resource => ({
    type: 'case',
    case: { level, district: homeDistrict(actor), directorOrganisation: actor.organisation.id, involvedOrganisations: [actor.organisation.id] },
  });

const system = (): Resource => ({ type: 'system' });

/**
 * Everything the bot offers; an entry is available once a feature answers its command. Summonses and
 * interventions reach whoever the organiser invites or makes responsible (anyone in the directory),
 * so those items are asked with the user as invitee / responsible.
 */
export const HELP_ITEMS: readonly HelpItem[] = [
  { key: 'melding', command: 'melding', action: 'signal.create', resource: system },
  // Your own reports: for those who may report.
  { key: 'mijnMeldingen', command: 'mijn meldingen', action: 'signal.create', resource: system },
  // `casus` needs a reference: it is described on the card, not offered as a button.
  { key: 'casus', command: 'casus', probe: 'casus c-2026-00001', action: 'case.read', resource: ownCase('hinder') },
  {
    key: 'terugkoppeling',
    command: 'terugkoppeling',
    action: 'feedback.give',
    resource: (actor) => ({ type: 'feedback', feedback: { district: homeDistrict(actor), handledBy: 'wijkmanager', responsible: [actor.id] } }),
  },
  {
    key: 'overleg',
    command: 'overleg',
    action: 'meeting.respond',
    resource: (actor) => ({ type: 'meeting', meeting: { districts: [homeDistrict(actor)], organiser: '', invitees: [actor.id], advisers: [] } }),
  },
  { key: 'overlegPlannen', command: 'overleg plannen', action: 'meeting.plan', resource: (actor) => ({ type: 'district', district: homeDistrict(actor) }) },
  { key: 'kerngroep', command: 'kerngroep', action: 'kerngroep.register', resource: ownCase('overlast') },
  // `casus afsluiten` needs a reference too: described, no button.
  { key: 'casusAfsluiten', command: 'casus afsluiten', probe: 'casus afsluiten c-2026-00001', action: 'case.change-level', resource: ownCase('hinder') },
  { key: 'audit', command: 'audit', action: 'audit.export', resource: system },
  { key: 'wissen', command: 'wissen', action: 'person.erase', resource: system },
];

/** The items the access policy allows this user: one `decide()` per item. */
export function allowedHelpItems(actor: Actor): HelpItem[] {
  return HELP_ITEMS.filter((item) => isAllowed(decide(actor, item.action, item.resource(actor))));
}

export function helpEntries(actor: Actor, commands: readonly CommandRoute[]): HelpEntry[] {
  return allowedHelpItems(actor).map((item) => {
    const available = commands.some((c) => c.match.test(item.probe ?? item.command));
    return {
      ...nl.help.actions[item.key],
      available,
      ...(available && !item.probe ? { command: item.command } : {}),
    };
  });
}

export function helpMessage(actor: Actor, commands: readonly CommandRoute[], welcome = false): OutgoingMessage {
  const rolesLabel = actor.roles.map((r) => nl.help.roleNames[r]).join(', ');
  return {
    kind: 'card',
    summary: welcome ? nl.help.welcomeTitle : nl.help.whatYouCanDo,
    card: helpCard({ name: actor.name, rolesLabel, organisation: actor.organisation.name, entries: helpEntries(actor, commands), welcome }),
  };
}

/**
 * `help` (and every unknown text: the catch-all) shows the role-specific help card.
 * `commands` are the routes of all features, so the card only offers what really works.
 */
export function helpFeature(allCommands: () => readonly CommandRoute[]): Feature {
  return {
    commands: [
      {
        name: 'help',
        match: /^(help|hulp|\?|menu|start)$/,
        run: async (_ctx, actor) => [helpMessage(actor, allCommands())],
      },
    ],
    actions: [],
  };
}
