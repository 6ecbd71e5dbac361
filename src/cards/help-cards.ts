import type { AdaptiveCard } from '../ports.js';
import { nl } from '../i18n/nl.js';
import { plainText } from './text.js';

export interface HelpEntry {
  title: string;
  description: string;
  /** The command the button submits as Action.Submit data `{ command }` (handled like typing it), when the action is available. */
  command?: string;
  available: boolean;
}

export interface HelpView {
  name: string;
  rolesLabel: string;
  organisation: string;
  entries: HelpEntry[];
  welcome: boolean;
}

/**
 * The help card: what this user can do given their roles. A button submits `{ command }`, which the
 * Teams layer treats exactly like typing the word.
 */
export function helpCard(view: HelpView): AdaptiveCard {
  const body: Record<string, unknown>[] = [];
  if (view.welcome) {
    body.push(
      { type: 'TextBlock', text: nl.help.welcomeTitle, weight: 'Bolder', size: 'Large', wrap: true },
      { type: 'TextBlock', text: nl.help.welcomeText, wrap: true },
    );
  }
  body.push(
    { type: 'TextBlock', text: plainText(nl.help.greeting(view.name)), weight: 'Bolder', size: view.welcome ? 'Medium' : 'Large', wrap: true, spacing: 'Medium' },
    { type: 'TextBlock', text: plainText(nl.help.youAre(view.rolesLabel, view.organisation)), wrap: true, isSubtle: true, spacing: 'Small' },
    { type: 'TextBlock', text: nl.help.whatYouCanDo, weight: 'Bolder', spacing: 'Medium' },
  );
  for (const entry of view.entries) {
    body.push({
      type: 'ColumnSet',
      spacing: 'Small',
      columns: [
        {
          type: 'Column',
          width: 'stretch',
          items: [
            {
              type: 'TextBlock',
              text: entry.available ? entry.title : `${entry.title} ${nl.help.comingSoonSuffix}`,
              weight: 'Bolder',
              wrap: true,
              ...(entry.available ? {} : { isSubtle: true }),
            },
            { type: 'TextBlock', text: entry.description, wrap: true, isSubtle: true, spacing: 'None', size: 'Small' },
          ],
        },
      ],
    });
  }
  body.push({ type: 'TextBlock', text: nl.help.typeHelp, wrap: true, isSubtle: true, size: 'Small', spacing: 'Medium' });

  const actions = view.entries
    .filter((e) => e.available && e.command)
    .map((e) => ({
      type: 'Action.Submit',
      title: e.title,
      data: { command: e.command },
    }));

  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length ? { actions } : {}),
  };
}
