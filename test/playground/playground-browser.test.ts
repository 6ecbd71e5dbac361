import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { amsterdam } from '../support/amsterdam.js';
import {
  cardOf,
  cardText,
  configWithCurrentUser,
  executeAction,
  OtherPeople,
  startPlaygroundSession,
  type PlaygroundSession,
} from '../support/playground-client.js';

/**
 * Two scenarios in the real Teams simulator UI (Microsoft 365 Agents Playground), in headless
 * Chromium, each with its own bot + Playground (the Playground's current user differs):
 *
 * 1. A partner's path: what Jesse Janssen (partner, jongerenwerk) sees and clicks, from the welcome
 *    card through `help` and `melding`, an invalid and then a valid report, to the confirmation and
 *    the case. The help card's buttons submit plain `{ command }` data (the Playground's renderer
 *    throws on messageBack data, so the bot does not use it). Screenshots of
 *    each step in test-results/playground-partner/.
 * 2. What a wijkmanager (Wendy de Wit, the project's default current user) sees when a notice
 *    arrives: two partners of different organisations report about one place in her district
 *    (through the Playground's customActivities API, from their own chats), and the escalation
 *    notice appears in her personal chat. Screenshots in test-results/playground-wijkmanager/.
 *
 * The browser is Debian's chromium (/usr/bin/chromium, installed by .ci/run); without it these
 * tests FAIL (never skip) with a message saying how to install it. Every non-loopback request of
 * the page is aborted (see test/support/browser.ts).
 */

const WENDY = '00000000-0000-0000-0000-000000000101';
const PETRA = '00000000-0000-0000-0000-000000000102';
const JESSE = '00000000-0000-0000-0000-000000000103';
const DESCRIPTION = 'Groep van ongeveer acht jongeren met harde muziek bij de trappen van het plein.';


describe('a partner clicks through the Agents Playground (headless Chromium)', { timeout: 120_000 }, () => {
  let session: PlaygroundSession;
  let browser: TestBrowser;
  let page: Page;

  let setupError: unknown;

  beforeAll(async () => {
    // Both at once: the browser starts while the bot and the Playground come up.
    const [s, b] = await Promise.allSettled([
      startPlaygroundSession(configWithCurrentUser(JESSE)),
      launchBrowser({ testName: 'playground-partner' }),
    ]);
    if (s.status === 'fulfilled') session = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    // Reported by every test (a failing beforeAll would leave them "skipped": a missing browser must fail).
    setupError = s.status === 'rejected' ? s.reason : b.status === 'rejected' ? b.reason : undefined;
    if (browser) page = browser.page;
  }, 90_000);
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  afterAll(async () => {
    await browser?.close();
    await session?.stop();
  });

  const messageBox = () => page.locator('[role="textbox"][contenteditable="true"]');
  const cards = () => page.locator('.ac-adaptiveCard');
  const lastCard = () => cards().last();

  /** What a compact choice set (combobox) shows as chosen. */
  const shownValue = async (combobox: Locator) =>
    (await combobox.evaluate((el) => ('value' in el && typeof el.value === 'string' ? el.value : el.textContent ?? ''))).trim();

  /** Types `text` in the message box, sends it, and waits for the bot's next card. */
  async function type(text: string): Promise<Locator> {
    const before = await cards().count();
    await messageBox().click();
    await messageBox().fill(text);
    await messageBox().press('Enter');
    await expect.poll(() => cards().count(), { timeout: 15_000, message: `a new card after "${text}"` }).toBeGreaterThan(before);
    return lastCard();
  }

  it('opens the Playground, which installs the app: a Dutch welcome for the partner', async () => {
    await page.goto(session.playground.url);
    await messageBox().waitFor({ timeout: 30_000 });
    const welcome = cards().first();
    await welcome.waitFor({ timeout: 15_000 });
    // The log panel is for developers; the screenshots show what a user sees.
    await page.getByRole('button', { name: 'Hide log panel' }).click();
    await expect.poll(() => welcome.innerText()).toContain('Welkom bij de Overlastbot');
    const text = await welcome.innerText();
    expect(text).toContain('Hallo Jesse Janssen');
    expect(text).toContain('partner bij Jongerenwerk Dordrecht');
    await expect.poll(() => welcome.getByRole('button', { name: 'Nieuwe melding' }).count()).toBe(1);
    await browser.screenshot('welkom', { fit: welcome });
  });

  it('"help" shows what a partner can do, every button labelled', async () => {
    const help = await type('help');
    await expect.poll(() => help.innerText()).toContain('Wat je kunt doen');
    const buttons = help.getByRole('button');
    expect(await buttons.count()).toBeGreaterThan(0);
    for (const name of await buttons.allInnerTexts()) expect(name.trim()).not.toBe('');
    await browser.screenshot('help', { fit: help });
    // The button works like typing the command: it brings the report form.
    const before = await cards().count();
    await help.getByRole('button', { name: 'Nieuwe melding' }).click();
    await expect.poll(() => cards().count(), { timeout: 15_000, message: 'the form after the help button' }).toBeGreaterThan(before);
    await expect.poll(() => lastCard().innerText()).toContain('Melding versturen');
  });

  it('"melding" brings the report form with Dutch labels and the privacy warning', async () => {
    const form = await type('melding');
    await expect.poll(() => form.innerText()).toContain('Nieuwe melding');
    const text = await form.innerText();
    expect(text).toMatch(/geen namen/);
    expect(text).toContain('Soort melding (verplicht)');
    expect(text).toContain('Beschrijving (verplicht, max. 2000 tekens)');
    // Defaults: an overlastmelding in the partner's own first district, observed now.
    expect(await form.getByRole('radio', { name: 'Overlastmelding' }).isChecked()).toBe(true);
    expect(await shownValue(form.getByRole('combobox', { name: 'Wijk (verplicht)' }))).toBe('Binnenstad');
    await expect(form.getByRole('button', { name: 'Melding versturen' }).isVisible()).resolves.toBe(true);
    await browser.screenshot('meldingsformulier', { fit: form });
  });

  it('"Melding versturen" with fields missing: the errors next to the fields, what was typed kept', async () => {
    const form = lastCard();
    await form.getByRole('combobox', { name: 'Bekende plek in deze wijk' }).click();
    await page.getByRole('option', { name: 'Statenplein' }).click();
    await form.getByRole('textbox', { name: /^Beschrijving/ }).fill(DESCRIPTION);
    // No category and no severity chosen.
    await form.getByRole('button', { name: 'Melding versturen' }).click();
    await expect.poll(() => lastCard().innerText(), { timeout: 15_000 }).toContain('Niet alle velden zijn goed ingevuld');
    const card = lastCard();
    const text = await card.innerText();
    expect(text).toContain('Kies ten minste één categorie.');
    expect(text).toContain('Kies de ernst: laag, middel of hoog.');
    expect(text).not.toContain('Melding ontvangen');
    expect(await card.getByRole('textbox', { name: /^Beschrijving/ }).inputValue()).toBe(DESCRIPTION);
    expect(await shownValue(card.getByRole('combobox', { name: 'Bekende plek in deze wijk' }))).toBe('Statenplein');
    await browser.screenshot('formulier-met-fouten', { fit: card });
  });

  it('corrected and sent: the form is replaced by the confirmation with references and next steps', async () => {
    const form = lastCard();
    const formsBefore = await page.getByRole('button', { name: 'Melding versturen' }).count();
    await form.getByRole('checkbox', { name: /Geluid$/ }).check();
    await form.getByRole('checkbox', { name: /Hangjongeren \/ groep$/ }).check();
    await form.getByRole('radio', { name: 'Middel' }).check();
    await form.getByRole('radio', { name: 'Groep' }).check();
    await form.getByRole('spinbutton', { name: 'Groepsgrootte (ongeveer)' }).fill('8');
    await browser.screenshot('formulier-ingevuld', { fit: form });
    await form.getByRole('button', { name: 'Melding versturen' }).click();

    await expect.poll(() => lastCard().innerText(), { timeout: 15_000 }).toContain('Melding ontvangen');
    const confirmation = lastCard();
    const text = await confirmation.innerText();
    expect(text).toMatch(/M-\d{4}-\d{5}/);
    expect(text).toMatch(/C-\d{4}-\d{5}/);
    expect(text).toContain('Statenplein');
    expect(text).toContain('Wat gebeurt er nu?');
    // The confirmation replaced the form in place: one form fewer in the chat.
    expect(await page.getByRole('button', { name: 'Melding versturen' }).count()).toBe(formsBefore - 1);
    for (const name of await confirmation.getByRole('button').allInnerTexts()) expect(name.trim()).not.toBe('');
    await browser.screenshot('bevestiging', { fit: confirmation });
  });

  it('the case of the new signal opens from the confirmation', async () => {
    const confirmation = lastCard();
    const caseRef = /C-\d{4}-\d{5}/.exec(await confirmation.innerText())![0];
    await confirmation.getByRole('button', { name: /casus/i }).first().click();
    await expect.poll(() => lastCard().innerText(), { timeout: 15_000 }).toContain(`Casus ${caseRef}`);
    const caseCard = lastCard();
    const text = await caseCard.innerText();
    expect(text).toContain('Beoordeling');
    expect(text).toContain(DESCRIPTION);
    await browser.screenshot('casus', { fit: caseCard });
  });

  it('talked only to loopback, without errors in the page', () => {
    // Fonts and an animation worklet from the Office CDN were asked for and aborted; nothing else.
    for (const url of browser.blocked) expect(url).toMatch(/^https:\/\/res-1\.cdn\.office\.net\//);
    expect(browser.pageErrors).toEqual([]);
  });
});

describe('a wijkmanager sees an escalation notice arrive in the Agents Playground (headless Chromium)', { timeout: 120_000 }, () => {
  let session: PlaygroundSession;
  let others: OtherPeople;
  let browser: TestBrowser;
  let page: Page;

  let setupError: unknown;

  beforeAll(async () => {
    const [s, b] = await Promise.allSettled([startPlaygroundSession(), launchBrowser({ testName: 'playground-wijkmanager' })]);
    if (s.status === 'fulfilled') session = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    setupError = s.status === 'rejected' ? s.reason : b.status === 'rejected' ? b.reason : undefined;
    if (browser) page = browser.page;
    if (session) others = await OtherPeople.start(session.client);
  }, 90_000);
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  afterAll(async () => {
    await others?.close();
    await browser?.close();
    await session?.stop();
  });

  const cards = () => page.locator('.ac-adaptiveCard');

  it('Wendy de Wit (wijkmanager) opens the Playground: her welcome card', async () => {
    expect(session.client.currentUser.aadObjectId).toBe(WENDY);
    await page.goto(session.playground.url);
    await page.locator('[role="textbox"][contenteditable="true"]').waitFor({ timeout: 30_000 });
    const welcome = cards().first();
    await welcome.waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Hide log panel' }).click();
    await expect.poll(() => welcome.innerText()).toContain('Hallo Wendy de Wit');
    expect(await welcome.innerText()).toContain('wijkmanager bij Gemeente Dordrecht');
    await browser.screenshot('welkom-wijkmanager', { fit: welcome });
  });

  it('two partners report about Statenplein (Binnenstad): the notice arrives in her chat, explained', async () => {
    const petra = others.person(PETRA);
    const jesse = others.person(JESSE);
    const since = session.client.mark();
    const cardsBefore = await cards().count();
    const observed = amsterdam(-90);
    for (const [user, description] of [
      [jesse, 'Groep jongeren met harde muziek op de trappen van het plein.'],
      [petra, 'Melding van bewoners: geluidsoverlast en blikjes op het plein.'],
    ] as const) {
      const form = cardOf(await others.say(user, 'melding'));
      const cardId = executeAction(form, 'signal.submit').data.cardId;
      await others.execute(user, 'signal.submit', {
        cardId,
        kind: 'overlast',
        district: 'binnenstad',
        hotspot: 'Statenplein',
        location: '',
        observedDate: observed.date,
        observedTime: observed.time,
        categories: 'geluid,hangjongeren',
        severity: 'middel',
        subject: 'locatie',
        source: 'eigen-waarneming',
        description,
        ...(user === petra ? { policeContact: 'false', policeReference: '' } : {}),
      });
      // Stored: it is in their "mijn meldingen" (the invoke answer itself went back to the Playground).
      await expect.poll(async () => cardText(cardOf(await others.say(user, 'mijn meldingen'))), { timeout: 10_000 }).toContain('Statenplein');
    }

    // The outbox delivers the notice to Wendy's personal chat in the Playground.
    const notice = await session.client.waitForMessage(
      since,
      (m) => m.conversationId === session.client.personalChatId && cardText(m.attachments[0]?.content).includes('Drempel bereikt'),
      30_000,
      'the escalation notice in the wijkmanager’s chat',
    );
    const noticeText = cardText(cardOf(notice));
    expect(noticeText).toContain('Meerdere partijen');
    expect(noticeText).toContain('Binnenstad');
    expect(noticeText).toContain('Statenplein');
    expect(noticeText).toMatch(/C-\d{4}-\d{5}/);
    // Nothing of the partners' own chats (their forms, confirmations) reached hers.
    expect(session.client.messages.slice(since).filter((m) => m.conversationId === session.client.personalChatId)).toHaveLength(1);

    // And the UI shows it.
    await expect.poll(() => cards().count(), { timeout: 15_000 }).toBe(cardsBefore + 1);
    const shown = cards().last();
    const text = await shown.innerText();
    expect(text).toContain('Drempel bereikt');
    expect(text).toContain('Politie');
    expect(text).toContain('Jongerenwerk Dordrecht');
    // No personal data in a notice, and every button labelled.
    expect(text).not.toMatch(/Karel|geboortedatum/i);
    const buttons = await shown.getByRole('button').allInnerTexts();
    expect(buttons.length).toBeGreaterThan(0);
    for (const name of buttons) expect(name.trim()).not.toBe('');
    await browser.screenshot('melding-drempel-bereikt', { fit: shown });
  });

  it('"Casus openen" on the notice shows her the case with both signals', async () => {
    const notice = cards().last();
    const caseRef = /C-\d{4}-\d{5}/.exec(await notice.innerText())![0];
    await notice.getByRole('button', { name: /casus/i }).last().click();
    await expect.poll(() => cards().last().innerText(), { timeout: 15_000 }).toContain(`Casus ${caseRef}`);
    const caseCard = cards().last();
    const text = await caseCard.innerText();
    expect(text).toContain('Jongerenwerk Dordrecht');
    expect(text).toMatch(/Meldende organisaties\s*2/);
    await browser.screenshot('casus-wijkmanager', { fit: caseCard });
  });

  it('talked only to loopback, without errors in the page', () => {
    for (const url of browser.blocked) expect(url).toMatch(/^https:\/\/res-1\.cdn\.office\.net\//);
    expect(browser.pageErrors).toEqual([]);
  });
});
