import type { Actor } from '../domain/actor.js';
import type { Role } from '../domain/directory.js';
import { helpCard, type HelpEntry } from '../cards/help-cards.js';
import { nl } from '../i18n/nl.js';
import type { OutgoingMessage } from '../ports.js';
import type { CommandRoute, Feature } from './routes.js';

type ActionKey = keyof typeof nl.help.actions;

/** Everything the bot offers, per role; an entry is available once a feature answers its command. */
const CATALOGUE: { key: ActionKey; command: string; roles: readonly Role[]; probe?: string }[] = [
  { key: 'melding', command: 'melding', roles: ['partner', 'wijkmanager'] },
  { key: 'mijnMeldingen', command: 'mijn meldingen', roles: ['partner', 'wijkmanager'] },
  // `casus` needs a reference: it is described on the card, not offered as a button.
  { key: 'casus', command: 'casus', roles: ['partner', 'wijkmanager', 'voorzitter', 'regisseur-it'], probe: 'casus c-2026-00001' },
  { key: 'terugkoppeling', command: 'terugkoppeling', roles: ['partner'] },
  { key: 'overleg', command: 'overleg', roles: ['partner', 'wijkmanager'] },
  { key: 'overlegPlannen', command: 'overleg plannen', roles: ['wijkmanager', 'voorzitter'] },
  { key: 'kerngroep', command: 'kerngroep', roles: ['wijkmanager', 'voorzitter'] },
  { key: 'audit', command: 'audit', roles: ['beheerder'] },
];

export function helpEntries(actor: Actor, commands: readonly CommandRoute[]): HelpEntry[] {
  return CATALOGUE.filter((item) => item.roles.some((r) => actor.roles.includes(r))).map((item) => {
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
