import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexes, keys } from '../../src/app/signals.js';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { startHarness, type Harness } from '../support/bot.js';
import { actionExecute, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';
import { signalForm } from '../support/signal-form.js';

/** Mission part 1 through the real HTTP path: partners report signals with Adaptive Cards. */

const politie: TestUser = { aadObjectId: 'u-politie' };
const handhaving: TestUser = { aadObjectId: 'u-handhaving' };
const jongerenwerk: TestUser = { aadObjectId: 'u-jongerenwerk' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };

const PERSON_NAME = 'Karel Testpersoon';
const PERSON_DOB = '2007-02-03';

/** A valid report about the Sumatraplein, observed an hour ago. */
function inputs(over: Record<string, unknown> = {}): Record<string, unknown> {
  return signalForm(new Date(Date.now() - 3_600_000), {
    categories: 'geluid,hangjongeren',
    description: 'Groep van ongeveer acht jongeren, harde muziek bij de speeltuin.',
    ...over,
  });
}

type Card = { type: string; body: any[]; actions?: any[]; refresh?: any };

describe('signals (meldingen) over real HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());
  beforeEach(() => h.stub.clear());

  /** Types `melding` and returns the form card and its card id. */
  async function openForm(user: TestUser): Promise<{ card: Card; cardId: string }> {
    const res = await post(h.bot.url, message(user, h.stub.url, 'melding'));
    expect(res.status).toBe(200);
    const posted = h.stub.to(personalConversationId(user)).at(-1)!;
    const card = posted.activity.attachments![0]!.content as Card;
    const submit = findAll(card, (n) => n.type === 'Action.Execute' && n.verb === 'signal.submit')[0];
    expect(submit, 'the form has a submit action').toBeTruthy();
    return { card, cardId: submit.data.cardId };
  }

  async function submit(user: TestUser, cardId: string, over: Record<string, unknown> = {}) {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, 'signal.submit', { cardId, ...inputs(over) }));
    expect(res.status).toBe(200);
    return res.body as { statusCode: number; type: string; value: Card | string };
  }

  const signalCount = (userId: string) => h.bot.ctx.store.count(indexes.userSignals(userId), -Infinity, Infinity);

  it('sends the form on "melding": Dutch labels, the privacy warning, hotspots of the own district', async () => {
    const { card } = await openForm(jongerenwerk);
    const text = visibleText({ attachments: [{ content: card }] });
    expect(text).toContain('Beschrijving');
    expect(text).toMatch(/geen namen|persoonsgegevens/i);
    expect(text).toContain('Sumatraplein');
    // Only police users get the police contact fields.
    expect(findAll(card, (n) => n.id === 'policeContact')).toHaveLength(0);
    const police = await openForm(politie);
    expect(findAll(police.card, (n) => n.id === 'policeContact')).toHaveLength(1);
  });

  it('stores a valid submit and replaces the card with a confirmation carrying a reference', async () => {
    const { cardId } = await openForm(jongerenwerk);
    const before = await signalCount('u-jongerenwerk');
    const res = await submit(jongerenwerk, cardId);
    expect(res.type).toBe('application/vnd.microsoft.card.adaptive');
    const text = visibleText({ attachments: [{ content: res.value }] });
    expect(text).toContain('Melding ontvangen');
    const ref = /M-\d{4}-\d{5}/.exec(text)?.[0];
    expect(ref).toBeTruthy();
    expect(text).toMatch(/C-\d{4}-\d{5}/);
    expect(text).toContain('Wat gebeurt er nu?');
    expect(await signalCount('u-jongerenwerk')).toBe(before + 1);
    expect(await h.bot.ctx.store.get(keys.signalRef(ref!))).toBeDefined();
  });

  it('returns an invalid submit with the values kept and a Dutch error next to the field, storing nothing', async () => {
    const { cardId } = await openForm(jongerenwerk);
    const before = await signalCount('u-jongerenwerk');
    const tomorrow = signalForm(new Date(Date.now() + 25 * 3_600_000)).observedDate;
    const res = await submit(jongerenwerk, cardId, { observedDate: tomorrow, description: 'Vuurwerk bij de ingang van de flat.' });
    const card = res.value as Card;
    const text = visibleText({ attachments: [{ content: card }] });
    expect(text).toContain('Het tijdstip van waarneming ligt in de toekomst.');
    expect(text).not.toContain('Melding ontvangen');
    // Values kept.
    expect(findAll(card, (n) => n.id === 'description')[0].value).toBe('Vuurwerk bij de ingang van de flat.');
    expect(findAll(card, (n) => n.id === 'location')[0].value).toBe('Sumatraplein');
    // The error stands right after the date field.
    const flat = findAll(card, (n) => typeof n.type === 'string' && (n.type.startsWith('Input.') || n.type === 'TextBlock'));
    const dateIndex = flat.findIndex((n) => n.id === 'observedDate');
    const errorIndex = flat.findIndex((n) => n.text === 'Het tijdstip van waarneming ligt in de toekomst.');
    expect(errorIndex).toBeGreaterThan(dateIndex);
    expect(flat.slice(dateIndex + 1, errorIndex).every((n) => n.type === 'TextBlock' || n.id === 'observedTime')).toBe(true);
    expect(await signalCount('u-jongerenwerk')).toBe(before);
    // The same card can then be corrected and submitted.
    const fixed = await submit(jongerenwerk, cardId);
    expect(visibleText({ attachments: [{ content: fixed.value }] })).toContain('Melding ontvangen');
  });

  it('creates one signal for a double-clicked submit', async () => {
    const { cardId } = await openForm(handhaving);
    const before = await signalCount('u-handhaving');
    const [a, b] = await Promise.all([submit(handhaving, cardId), submit(handhaving, cardId)]);
    const refA = /M-\d{4}-\d{5}/.exec(visibleText({ attachments: [{ content: a.value }] }))?.[0];
    const refB = /M-\d{4}-\d{5}/.exec(visibleText({ attachments: [{ content: b.value }] }))?.[0];
    expect(refA).toBeTruthy();
    expect(refB).toBe(refA);
    expect(await signalCount('u-handhaving')).toBe(before + 1);
  });

  it("refuses another user's card and forged fields, storing nothing", async () => {
    const { cardId } = await openForm(jongerenwerk);
    const before = await signalCount('u-handhaving');
    const stolen = await submit(handhaving, cardId);
    expect(visibleText({ attachments: [{ content: stolen.value }] })).toMatch(/niet voor jou bestemd|geweigerd/);
    const forged = await submit(jongerenwerk, cardId, { reporterId: 'u-politie' });
    expect(visibleText({ attachments: [{ content: forged.value }] })).toContain('geweigerd');
    expect(await signalCount('u-handhaving')).toBe(before);
    const audit = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000);
    expect(audit.some((e) => e.entry.actor === 'u-handhaving' && e.entry.outcome === 'refused')).toBe(true);
  });

  it('records a police contact about a person, and keeps the person from other partners and from logs', async () => {
    const { cardId } = await openForm(politie);
    const res = await submit(politie, cardId, {
      subject: 'persoon',
      personName: PERSON_NAME,
      personDob: PERSON_DOB,
      policeContact: 'true',
      policeReference: 'PL1700-2026-123456',
      description: 'Persoon valt voorbijgangers lastig.',
    });
    const text = visibleText({ attachments: [{ content: res.value }] });
    expect(text).toContain('Melding ontvangen');
    expect(text).toContain('Politiecontact vastgelegd');
    // The confirmation itself, which stays in chat history, carries no name or date of birth.
    expect(JSON.stringify(res.value)).not.toContain(PERSON_NAME);
    const caseRef = /C-\d{4}-\d{5}/.exec(text)![0];
    const casePtr = await h.bot.ctx.store.get<{ caseId: string }>(keys.caseRef(caseRef));
    expect(await h.bot.ctx.store.count(indexes.casePolice(casePtr!.value.caseId), -Infinity, Infinity)).toBe(1);

    // Handhaving reports about the same person: involved in the case, but police data is WPG.
    const hh = await openForm(handhaving);
    const joined = await submit(handhaving, hh.cardId, { subject: 'persoon', personName: PERSON_NAME, personDob: PERSON_DOB });
    expect(visibleText({ attachments: [{ content: joined.value }] })).toContain(caseRef);
    h.stub.clear();
    await post(h.bot.url, message(handhaving, h.stub.url, `casus ${caseRef}`));
    const seenByHandhaving = h.stub.to(personalConversationId(handhaving));
    expect(seenByHandhaving).toHaveLength(1);
    expect(visibleText(seenByHandhaving[0]!.activity)).toContain(`Casus ${caseRef}`);
    const details = await post(h.bot.url, actionExecute(handhaving, h.stub.url, 'case.details', { caseRef }));
    const everything = JSON.stringify(seenByHandhaving) + JSON.stringify(details.body);
    // Handhaving sees the person in its own signal, never what the police recorded (WPG).
    expect(everything).toContain('Betreft: Karel Testpersoon');
    expect(everything.match(/Karel Testpersoon/g)).toHaveLength(1);
    expect(everything).not.toContain('PL1700-2026-123456');
    expect(everything).not.toContain('voorbijgangers');
    // The base card (kept in chat history) carries no person data at all.
    expect(JSON.stringify(seenByHandhaving)).not.toContain('Karel');

    // The wijkmanager of the district sees the person only in the user-specific view, and only from
    // overlast on (§2: no personal data is shared at hinder level).
    // The partner's case card offers no level change; the wijkmanager's does ("Niveau wijzigen").
    expect(JSON.stringify(seenByHandhaving)).not.toContain('Niveau wijzigen');
    h.stub.clear();
    await post(h.bot.url, message(wijkmanager, h.stub.url, `casus ${caseRef}`));
    const atHinder = h.stub.to(personalConversationId(wijkmanager))[0]!.activity.attachments![0]!.content as Card;
    const changeLevel = findAll(atHinder, (n) => n.type === 'Action.ShowCard' && n.title === 'Niveau wijzigen')[0];
    expect(findAll(changeLevel, (n) => n.id === 'to')[0].choices.map((c: any) => c.value)).toEqual(['overlast', 'ernstig']);
    const submitLevel = findAll(changeLevel, (n) => n.type === 'Action.Execute')[0];
    const tooShort = await post(h.bot.url, actionExecute(wijkmanager, h.stub.url, submitLevel.verb, { ...submitLevel.data, to: 'overlast', reason: 'kort' }));
    expect(JSON.stringify(tooShort.body)).not.toContain('naar Overlast');
    const raised = await post(h.bot.url, actionExecute(wijkmanager, h.stub.url, submitLevel.verb, { ...submitLevel.data, to: 'overlast', reason: 'Meerdere partners melden overlast.' }));
    expect(JSON.stringify(raised.body)).toContain('van Hinder naar Overlast');
    h.stub.clear();
    await post(h.bot.url, message(wijkmanager, h.stub.url, `casus ${caseRef}`));
    const base = h.stub.to(personalConversationId(wijkmanager))[0]!.activity.attachments![0]!.content as Card;
    expect(JSON.stringify(base)).not.toContain('Karel');
    expect(base.refresh?.userIds).toEqual(['u-wijkmanager']);
    const view = await post(h.bot.url, actionExecute(wijkmanager, h.stub.url, base.refresh.action.verb, base.refresh.action.data ?? {}));
    expect(JSON.stringify(view.body)).toContain(PERSON_NAME);

    // Nothing personal reached a log line.
    const logs = h.logs.join('');
    expect(logs).not.toContain('Karel');
    expect(logs).not.toContain(PERSON_DOB);
    expect(logs).not.toContain('voorbijgangers');
  });

  it('shows the wijkmanager the assessment of a case, and refuses an uninvolved partner', async () => {
    const first = await openForm(jongerenwerk);
    const res = await submit(jongerenwerk, first.cardId, { location: 'Jacob Marisstraat' });
    const caseRef = /C-\d{4}-\d{5}/.exec(visibleText({ attachments: [{ content: res.value }] }))![0];
    const second = await openForm(handhaving);
    await submit(handhaving, second.cardId, { location: 'jacob marisstraat ' });

    h.stub.clear();
    await post(h.bot.url, message(wijkmanager, h.stub.url, `casus ${caseRef}`));
    const text = visibleText(h.stub.to(personalConversationId(wijkmanager))[0]!.activity);
    expect(text).toContain('Beoordeling');
    expect(text).toContain('Meldingen laatste 28 dagen');
    expect(text).toContain('Meldende organisaties');

    await post(h.bot.url, message(politie, h.stub.url, `casus ${caseRef}`));
    const refused = visibleText(h.stub.to(personalConversationId(politie)).at(-1)!.activity);
    expect(refused).toContain(`Je hebt geen toegang tot casus ${caseRef}`);
    const audit = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000);
    expect(audit.some((e) => e.entry.actor === 'u-politie' && e.entry.outcome === 'deny' && String(e.entry.resource).includes(caseRef))).toBe(true);
    expect(audit.some((e) => e.entry.actor === 'u-wijkmanager' && e.entry.outcome === 'allow' && String(e.entry.resource).includes(caseRef))).toBe(true);
  });

  it('lists "mijn meldingen" with case reference and level', async () => {
    const { cardId } = await openForm(jongerenwerk);
    await submit(jongerenwerk, cardId, { location: 'Zuidendijk' });
    h.stub.clear();
    await post(h.bot.url, message(jongerenwerk, h.stub.url, 'mijn meldingen'));
    const text = visibleText(h.stub.to(personalConversationId(jongerenwerk))[0]!.activity);
    expect(text).toContain('Mijn meldingen');
    expect(text).toMatch(/Casus C-\d{4}-\d{5} · hinder/i);
  });

  it('offers the report form in the help card once signals work', async () => {
    await post(h.bot.url, message(jongerenwerk, h.stub.url, 'help'));
    const help = h.stub.to(personalConversationId(jongerenwerk))[0]!.activity;
    const buttons = findAll(help.attachments, (n) => n.type === 'Action.Submit').map((a) => a.data.command);
    expect(buttons).toContain('melding');
    expect(buttons).toContain('mijn meldingen');
    expect(visibleText(help)).not.toContain('Nieuwe melding (komt binnenkort)');
    // Clicking the button (Action.Submit, no text) works like typing the command.
    h.stub.clear();
    await post(h.bot.url, message(jongerenwerk, h.stub.url, '', { text: undefined, value: { command: 'melding' } }));
    const form = h.stub.to(personalConversationId(jongerenwerk))[0]!.activity;
    expect(findAll(form.attachments, (n) => n.verb === 'signal.submit')).toHaveLength(1);
  });
});
