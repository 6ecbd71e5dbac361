import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELP_ITEMS, helpMessage } from '../../src/app/help.js';
import { decide, isAllowed } from '../../src/domain/access.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { loadDirectory } from '../../src/domain/directory.js';
import { nl } from '../../src/i18n/nl.js';
import { buildFeatures } from '../../src/main.js';
import { DEMO_DIRECTORY_FILE } from '../../scripts/playground-lib.js';

/**
 * The help card offers what the access policy allows — no more, no less — for every person in the
 * demo directory (every role, and Victor with two roles), with the commands the bot really has.
 */

const directory = loadDirectory(DEMO_DIRECTORY_FILE);
const commands = buildFeatures({ dataDir: '/nonexistent' }).flatMap((f) => f.commands);
const titles = nl.help.actions;

function actorNamed(name: string): Actor {
  const user = directory.data.users.find((u) => u.name === name);
  if (!user) throw new Error(`${name} is not in the demo directory`);
  return actorFromDirectory(directory, user.id)!;
}

/** The entry titles the card shows (without "(komt binnenkort)") and its buttons. */
function shown(actor: Actor) {
  const message = helpMessage(actor, commands);
  if (message.kind !== 'card') throw new Error('help is a card');
  const card = message.card as unknown as { body: any[]; actions?: { type: string; title: string; data: { command: string } }[] };
  const entryTitles = card.body
    .filter((b) => b.type === 'ColumnSet')
    .map((b) => String(b.columns[0].items[0].text).replace(` ${nl.help.comingSoonSuffix}`, ''));
  return { entryTitles, buttons: card.actions ?? [] };
}

describe('help card ↔ access policy', () => {
  const everyone = directory.data.users.map((u) => actorFromDirectory(directory, u.id)!);

  it('offers every demo user exactly the items the policy allows them (one decision per item)', () => {
    for (const actor of everyone) {
      const allowed = HELP_ITEMS.filter((item) => isAllowed(decide(actor, item.action, item.resource(actor)))).map((i) => titles[i.key].title);
      expect(shown(actor).entryTitles, `${actor.name} (${actor.roles.join(', ')})`).toEqual(allowed);
    }
  });

  it('shows each role what the process gives it', () => {
    const has = (name: string) => shown(actorNamed(name)).entryTitles;
    // Partners report and follow their cases; they do not plan meetings or export the audit log.
    expect(has('Petra Pols')).toEqual(expect.arrayContaining([titles.melding.title, titles.mijnMeldingen.title, titles.casus.title, titles.terugkoppeling.title, titles.overleg.title]));
    expect(has('Petra Pols')).not.toContain(titles.overlegPlannen.title);
    expect(has('Petra Pols')).not.toContain(titles.audit.title);
    // The wijkmanager plans casusoverleg and registers with the Kerngroep for their districts.
    expect(has('Wendy de Wit')).toEqual(expect.arrayContaining([titles.melding.title, titles.overlegPlannen.title, titles.kerngroep.title]));
    expect(has('Wendy de Wit')).not.toContain(titles.audit.title);
    // The chair and the regisseur may report signals (signal.create: municipal roles) and plan meetings city-wide.
    for (const name of ['Victor Verhoeven', 'Ria Rijsdijk']) {
      expect(has(name), name).toEqual(expect.arrayContaining([titles.melding.title, titles.mijnMeldingen.title, titles.overlegPlannen.title, titles.kerngroep.title]));
      expect(has(name), name).not.toContain(titles.audit.title);
    }
    // The beheerder exports the audit log and reports nothing.
    expect(has('Bart Bakker')).toContain(titles.audit.title);
    for (const t of [titles.melding.title, titles.mijnMeldingen.title, titles.overlegPlannen.title, titles.kerngroep.title]) expect(has('Bart Bakker')).not.toContain(t);
    // A partner outside the covenant still reports (and is asked for interventions).
    expect(has('Sophie Schouten')).toContain(titles.melding.title);
  });

  it('gives every available item without an argument a button that sends its command, at most 6 per card', () => {
    for (const actor of everyone) {
      const { buttons } = shown(actor);
      // Teams (and the Agents Playground, hostConfig maxActions 6) drop further buttons silently.
      expect(buttons.length, actor.name).toBeLessThanOrEqual(6);
      for (const b of buttons) {
        expect(b.type).toBe('Action.Submit');
        expect(commands.some((c) => c.match.test(b.data.command)), b.data.command).toBe(true);
      }
    }
    const victor = shown(actorNamed('Victor Verhoeven')).buttons.find((b) => b.data.command === 'melding');
    expect(victor?.title).toBe(titles.melding.title);
  });

  it('keeps no role lists of its own in src/app/help.ts', () => {
    const source = readFileSync('src/app/help.ts', 'utf8');
    expect(source).not.toMatch(/roles\s*:|roles\.(includes|some|every|filter)\(|hasRole\(|isMunicipalRole\(/);
    expect(source).toMatch(/decide\(/);
  });
});
