import { describe, expect, it } from 'vitest';
import { KERNGROEP_VERBS, kerngroepSummonsCard, type KerngroepSummonsView } from '../../src/cards/kerngroep-cards.js';
import { findAll, visibleText } from '../support/teams.js';

/** The Kerngroep's summons card: the casusoverleg's answer part with the Kerngroep's verbs, values escaped. */

const view: KerngroepSummonsView = {
  meetingId: '00000000-0000-4000-8000-0000000000b1',
  when: '2026-04-16 10:00',
  place: 'https://teams.example/meet/1',
  chair: 'Vera Voorzitter',
  organisation: 'Politie basisteam Dordrecht',
  open: true,
  colleagues: [{ value: 'u-politie-2', title: 'Pieter Politie' }],
  recipient: 'u-politie',
};
const text = (card: unknown) => visibleText({ attachments: [{ content: card }] });

describe('kerngroepSummonsCard', () => {
  it('while open: aanwezig · vervanger · verhinderd with the Kerngroep verbs, a join button for an https place, refresh for the recipient only', () => {
    const card = kerngroepSummonsCard(view);
    const executes = findAll(card, (n) => n.type === 'Action.Execute');
    expect(executes.map((n) => n.verb)).toEqual([KERNGROEP_VERBS.rsvp, KERNGROEP_VERBS.substitute, KERNGROEP_VERBS.rsvp, KERNGROEP_VERBS.summons]);
    expect(executes[0]!.data).toEqual({ meetingId: view.meetingId, answer: 'aanwezig' });
    expect(findAll(card, (n) => n.type === 'Action.OpenUrl').map((n) => n.url)).toEqual([view.place]);
    expect((card as Record<string, any>).refresh.userIds).toEqual(['u-politie']);
    expect(text(card)).toContain('Je hebt nog niet gereageerd.');
  });

  it('after the start: the answer stays visible, no buttons, no join link', () => {
    const card = kerngroepSummonsCard({ ...view, open: false, answer: { kind: 'verhinderd', reason: 'Dienst' } });
    expect(findAll(card, (n) => n.type === 'Action.Execute').map((n) => n.verb)).toEqual([KERNGROEP_VERBS.summons]);
    expect(findAll(card, (n) => n.type === 'Action.OpenUrl')).toEqual([]);
    expect(text(card)).toContain('Je bent verhinderd: Dienst');
    expect(text(card)).toContain('Het Kerngroep-overleg is begonnen');
  });

  it('escapes the values it shows (place, names, the substitute line)', () => {
    const card = kerngroepSummonsCard({ ...view, place: '[klik](https://evil.example)', chair: '<at>Vera</at>', substituteFor: '**Petra**' });
    const shown = text(card);
    expect(shown).toContain('\\[klik\\]\\(https://evil.example\\)');
    expect(shown).not.toContain('<at>');
    expect(shown).toContain('als vervanger van \\*\\*Petra\\*\\*');
    expect(findAll(card, (n) => n.type === 'Action.OpenUrl')).toEqual([]);
  });
});
