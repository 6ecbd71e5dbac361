import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cardOf,
  cardText,
  configWithCurrentUser,
  executeAction,
  input,
  startPlaygroundSession,
  type BotMessage,
  type Card,
  type PlaygroundClient,
  type PlaygroundSession,
} from '../support/playground-client.js';
import { findAll } from '../support/teams.js';
import { amsterdam } from '../support/amsterdam.js';

/**
 * A partner's path through the real Teams simulator (Microsoft 365 Agents Playground), driven
 * through the Playground's own HTTP + WebSocket API, no browser: the bot and the Playground run as
 * separate processes on free loopback ports, exactly as `npm run playground` starts them, and
 * every click goes through the Playground's invoke endpoint as the Teams client would send it.
 *
 * The partner is Jesse Janssen (jongerenwerk; districts Binnenstad, Crabbehof, Sterrenburg), made
 * the Playground's current user by a test-owned copy of .m365agentsplayground.yml.
 */

const JESSE = '00000000-0000-0000-0000-000000000103';
const CARD = 'application/vnd.microsoft.card.adaptive';


/** What the Teams client sends on "Melding versturen": the action's data plus every input of the card. */
function filledIn(cardId: string, over: Record<string, string> = {}): Record<string, string> {
  const { date, time } = amsterdam(-60);
  return {
    cardId,
    kind: 'overlast',
    district: 'binnenstad',
    hotspot: 'Statenplein',
    location: '',
    observedDate: date,
    observedTime: time,
    categories: 'geluid,hangjongeren',
    categoryOther: '',
    severity: 'middel',
    subject: 'groep',
    groupSize: '8',
    personName: '',
    personDob: '',
    source: 'eigen-waarneming',
    description: 'Groep van ongeveer acht jongeren met harde muziek bij de trappen van het plein.',
    ...over,
  };
}

describe('a partner in the Agents Playground (HTTP + WebSocket API)', { timeout: 120_000 }, () => {
  let session: PlaygroundSession;
  let pg: PlaygroundClient;

  let setupError: unknown;

  beforeAll(async () => {
    try {
      session = await startPlaygroundSession(configWithCurrentUser(JESSE));
      pg = session.client;
    } catch (err) {
      setupError = err;
    }
  }, 90_000);
  // Every test reports a failed start (a failing beforeAll would only mark them skipped).
  beforeEach(() => {
    if (setupError) throw setupError;
  });
  afterAll(async () => session?.stop());

  /** Types `melding` and returns the form message, its card and its card id. */
  async function openForm(): Promise<{ message: BotMessage; card: Card; cardId: string }> {
    const message = await pg.ask('melding');
    const card = cardOf(message);
    const cardId = executeAction(card, 'signal.submit').data.cardId;
    expect(cardId).toMatch(/^[0-9a-f-]{36}$/);
    return { message, card, cardId: String(cardId) };
  }

  it('runs on loopback with Jesse Janssen (partner) as the current user', () => {
    expect(session.playground.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(session.playground.botUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(pg.currentUser.aadObjectId).toBe(JESSE);
    expect(session.config.users).toHaveLength(5);
  });

  it('installing the app greets the partner in Dutch with what they can do', async () => {
    const since = pg.mark();
    await pg.install();
    const welcome = await pg.waitForMessage(since, (m) => m.conversationId === pg.personalChatId, 15_000, 'the welcome card');
    const text = cardText(cardOf(welcome));
    expect(text).toContain('Welkom bij de Overlastbot');
    expect(text).toContain('Hallo Jesse Janssen');
    expect(text).toMatch(/partner bij Jongerenwerk Dordrecht/);
    expect(text).toContain('Nieuwe melding');
  });

  it('"help" lists what a partner can do, with a button that opens the report form', async () => {
    const help = cardOf(await pg.ask('help'));
    const text = cardText(help);
    expect(text).toContain('Wat je kunt doen');
    expect(text).toContain('Nieuwe melding');
    expect(text).toContain('Mijn meldingen');
    const buttons = findAll(help, (n) => n.type === 'Action.Submit');
    const report = buttons.find((b) => b.data?.command === 'melding');
    expect(report?.title).toBe('Nieuwe melding');
    // Every button has a label.
    for (const b of buttons) expect(String(b.title ?? '').trim()).not.toBe('');
    // Clicking it (Action.Submit through the Playground) brings the report form.
    const helpMessage = await pg.ask('help');
    const mark = pg.mark();
    await pg.submit(helpMessage.messageId, report!.data);
    const form = await pg.waitForMessage(mark, (m) => JSON.stringify(m).includes('signal.submit'), undefined, 'the report form');
    expect(cardText(cardOf(form))).toContain('Melding versturen');
  });

  it('melding → fill in → "Melding versturen" replaces the form with a confirmation', async () => {
    const { message, card, cardId } = await openForm();
    const text = cardText(card);
    expect(text).toContain('Nieuwe melding');
    expect(text).toMatch(/geen namen/);
    expect(text).not.toContain('Alleen voor de politie');
    // Defaults: an overlastmelding in the partner's own first district, with its hotspots.
    expect(input(card, 'kind').value).toBe('overlast');
    expect(input(card, 'district').value).toBe('binnenstad');
    expect(input(card, 'hotspot').choices.map((c: { value: string }) => c.value)).toContain('Statenplein');
    expect(executeAction(card, 'signal.submit').title).toBe('Melding versturen');

    // Another district chosen: the form comes back with that district's hotspots, input kept.
    const updateVerb = executeAction(card, 'signal.update-form');
    const updated = await pg.execute(message.messageId, updateVerb.verb, {
      ...updateVerb.data,
      ...filledIn(cardId, { district: 'crabbehof', hotspot: '', description: 'Nog niet af' }),
    });
    expect(updated.type).toBe(CARD);
    const updatedCard = cardOf(updated);
    expect(input(updatedCard, 'hotspot').choices.map((c: { value: string }) => c.value)).toContain('Trapezium (trapveld)');
    expect(input(updatedCard, 'description').value).toBe('Nog niet af');

    const res = await pg.execute(message.messageId, 'signal.submit', filledIn(cardId));
    expect(res.type).toBe(CARD);
    const confirmation = cardText(cardOf(res));
    expect(confirmation).toContain('Melding ontvangen');
    expect(confirmation).toContain('Binnenstad');
    expect(confirmation).toContain('Statenplein');
    expect(confirmation).toContain('Wat gebeurt er nu?');
    const signalRef = /M-\d{4}-\d{5}/.exec(confirmation)?.[0];
    const caseRef = /C-\d{4}-\d{5}/.exec(confirmation)?.[0];
    expect(signalRef).toBeTruthy();
    expect(caseRef).toBeTruthy();
    // The confirmation's buttons: open the case, report again.
    expect(executeAction(cardOf(res), 'case.open').data.caseRef).toBe(caseRef);
    expect(executeAction(cardOf(res), 'signal.open-form').title).toBeTruthy();

    // Stored: it is in "mijn meldingen" with its case.
    const mine = cardText(cardOf(await pg.ask('mijn meldingen')));
    expect(mine).toContain(signalRef!);
    expect(mine).toContain(caseRef!);

    // Clicking submit again on the same (already replaced) card gives the same confirmation.
    const again = await pg.execute(message.messageId, 'signal.submit', filledIn(cardId));
    expect(cardText(cardOf(again))).toContain(signalRef!);
  });

  it('an invalid submit shows the error next to the field and keeps every value', async () => {
    const { message, cardId } = await openForm();
    const tomorrow = amsterdam(24 * 60 + 60);
    const description = 'Vuurwerk afgestoken bij de ingang van de parkeergarage.';
    const res = await pg.execute(
      message.messageId,
      'signal.submit',
      filledIn(cardId, { observedDate: tomorrow.date, categories: '', hotspot: '', location: 'Spuiboulevard 300', description }),
    );
    expect(res.type).toBe(CARD);
    const card = cardOf(res);
    const text = cardText(card);
    expect(text).not.toContain('Melding ontvangen');
    expect(text).toContain('Niet alle velden zijn goed ingevuld');
    expect(text).toContain('Het tijdstip van waarneming ligt in de toekomst.');
    expect(text).toContain('Kies ten minste één categorie.');
    // Values kept.
    expect(input(card, 'description').value).toBe(description);
    expect(input(card, 'location').value).toBe('Spuiboulevard 300');
    expect(input(card, 'severity').value).toBe('middel');
    expect(input(card, 'groupSize').value).toBe(8);
    // Each error stands right below its own field.
    const flat = findAll(card, (n) => typeof n.type === 'string' && (n.type.startsWith('Input.') || n.type === 'TextBlock'));
    const after = (id: string) => flat[flat.findIndex((n) => n.id === id) + 1];
    expect(after('observedDate').text).toBe('Het tijdstip van waarneming ligt in de toekomst.');
    expect(after('categories').text).toBe('Kies ten minste één categorie.');
    // The same card, corrected, goes through.
    const fixed = await pg.execute(message.messageId, 'signal.submit', filledIn(cardId, { hotspot: '', location: 'Spuiboulevard 300', description }));
    expect(cardText(cardOf(fixed))).toContain('Melding ontvangen');
  });
});
