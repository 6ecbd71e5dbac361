import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEETING_VERBS } from '../../src/cards/meeting-cards.js';
import { PREP_TEXT_FIELDS } from '../../src/domain/meeting.js';
import { SIGNAL_VERBS } from '../../src/cards/signal-cards.js';
import { startHarness, type Harness } from '../support/bot.js';
import { actionExecute, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';

/**
 * A whole flow over HTTP with a fictional marker in every free-text and person field — person
 * signals with name and date of birth, a police contact, case reads, a pass-on with its reason,
 * opschalen with a reason, a casusoverleg with a place and a "verhinderd" reason — then: none of
 * the markers appears in any log line the bot wrote (at debug level).
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const politie = u('u-politie');
const handhaving = u('u-handhaving');
const jongerenwerk = u('u-jongerenwerk');
const wijkmanager = u('u-wijkmanager');

/** Each marker is unique and appears nowhere in the bot's own texts. */
const M = {
  name: 'Xaviera Logmarkering',
  dob: '1987-04-13',
  dobShown: '13-04-1987',
  description: 'Omschrijving-LOGMARKER-1',
  location: 'Markeerstraat 77',
  categoryOther: 'Anders-LOGMARKER-2',
  policeReference: 'PLMARK-2026-4242',
  handhavingDescription: 'Handhaving-LOGMARKER-3',
  passOnReason: 'Doorzetreden-LOGMARKER-4',
  levelReason: 'Opschaalreden-LOGMARKER-5',
  place: 'Vergaderzaal-LOGMARKER-6',
  rsvpReason: 'Verhinderd-LOGMARKER-7',
  jwDescription: 'Jongerenwerk-LOGMARKER-8',
};
/** Appendix 1 (the casusoverleg preparation): a marker in every text field. */
const PREP = Object.fromEntries(PREP_TEXT_FIELDS.map((f, i) => [f, `Voorbereiding-${f}-PREPMARKER-${i}`]));

function localDay(offsetDays: number): string {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

describe('no personal data or free text in any log line of a full scenario', () => {
  let h: Harness;

  async function say(user: TestUser, text: string) {
    const before = h.stub.to(personalConversationId(user)).length;
    const res = await post(h.bot.url, message(user, h.stub.url, text));
    expect(res.status).toBe(200);
    return h.stub.to(personalConversationId(user)).slice(before);
  }

  async function click(user: TestUser, verb: string, data: Record<string, unknown>) {
    const res = await post(h.bot.url, actionExecute(user, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    return res.body?.value;
  }

  async function report(user: TestUser, fields: Record<string, unknown>): Promise<string> {
    const [form] = await say(user, 'melding');
    const cardId = JSON.stringify(form!.activity).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const body = await click(user, SIGNAL_VERBS.submit, {
      cardId,
      kind: 'overlast',
      district: 'crabbehof',
      observedDate: localDay(-1),
      observedTime: '22:30',
      severity: 'hoog',
      source: 'eigen-waarneming',
      categories: 'intimidatie',
      ...fields,
    });
    const ref = /C-\d{4}-\d{5}/.exec(JSON.stringify(body))?.[0];
    expect(ref, visibleText({ attachments: [{ content: body }] }).split("\n").filter((l) => /moet|ongeldig|kies|te lang|fout|niet/i.test(l)).join(" | ")).toBeTruthy();
    return ref!;
  }

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => h?.close());

  it('runs the flow and no marker reaches the logs', async () => {
    // 1. The police report a person, with a police contact (mutatie), a description and "anders".
    const caseRef = await report(politie, {
      subject: 'persoon',
      personName: M.name,
      personDob: M.dob,
      location: M.location,
      description: M.description,
      categories: 'intimidatie,overig',
      categoryOther: M.categoryOther,
      policeContact: 'true',
      policeReference: M.policeReference,
    });
    // 2. Handhaving about the same person; jongerenwerk at the same place.
    expect(await report(handhaving, { subject: 'persoon', personName: M.name, personDob: M.dob, location: M.location, description: M.handhavingDescription })).toBe(caseRef);
    await report(jongerenwerk, { subject: 'locatie', location: M.location, description: M.jwDescription });

    // 3. Case reads, base card and user-specific view.
    await say(politie, `casus ${caseRef}`);
    expect(JSON.stringify(await click(politie, SIGNAL_VERBS.caseDetails, { caseRef }))).toContain(M.name);
    await say(wijkmanager, `casus ${caseRef}`);
    await click(wijkmanager, SIGNAL_VERBS.caseDetails, { caseRef });
    await say(jongerenwerk, 'mijn meldingen');

    // 4. The directing partner passes the hinder case on, with a reason.
    const passOnForm = await click(politie, SIGNAL_VERBS.passOnForm, { caseRef });
    const passOnCardId = findAll(passOnForm, (n) => n.verb === SIGNAL_VERBS.passOn)[0]?.data?.cardId;
    expect(passOnCardId, JSON.stringify(passOnForm).slice(0, 300)).toBeTruthy();
    expect(visibleText({ attachments: [{ content: await click(politie, SIGNAL_VERBS.passOn, { cardId: passOnCardId, caseRef, reason: M.passOnReason }) }] })).toContain(caseRef);
    await h.bot.runDueJobs();

    // 5. The wijkmanager raises the case to overlast, with a reason, and now sees the person.
    expect(JSON.stringify(await click(wijkmanager, 'case.change-level', { caseRef, to: 'overlast', reason: M.levelReason }))).toContain(caseRef);
    expect(JSON.stringify(await click(wijkmanager, SIGNAL_VERBS.caseDetails, { caseRef }))).toContain(M.name);

    // 6. A casusoverleg with a place; the police answer "verhinderd" with a reason.
    const [planActivity] = await say(wijkmanager, `overleg plannen ${caseRef}`);
    const planCardId = findAll(planActivity!.activity, (n) => n.verb === MEETING_VERBS.plan)[0]?.data?.cardId;
    expect(planCardId).toBeTruthy();
    const overview = await click(wijkmanager, MEETING_VERBS.plan, {
      cardId: planCardId,
      cases: caseRef,
      date: localDay(10),
      start: '10:00',
      end: '11:00',
      place: M.place,
      orgs: 'politie,handhaving',
    });
    const meetingId = findAll(overview, (n) => n.verb === MEETING_VERBS.overview)[0]?.data?.meetingId;
    expect(meetingId, JSON.stringify(overview).slice(0, 300)).toBeTruthy();
    await h.bot.runDueJobs();
    await click(politie, MEETING_VERBS.summons, { meetingId });
    expect(JSON.stringify(await click(politie, MEETING_VERBS.rsvp, { meetingId, answer: 'verhinderd', reason: M.rsvpReason }))).toContain('verhinderd');
    // Handhaving attends and fills in appendix 1, every text field with a marker.
    expect(JSON.stringify(await click(handhaving, MEETING_VERBS.rsvp, { meetingId, answer: 'aanwezig' }))).toContain('aanwezig');
    const prep = await click(handhaving, MEETING_VERBS.prep, { meetingId, ...PREP });
    expect(visibleText({ attachments: [{ content: prep }] }), JSON.stringify(prep).slice(0, 300)).toMatch(/opgeslagen|ontvangen|bijgewerkt/i);
    await click(wijkmanager, MEETING_VERBS.prepView, { meetingId, organisation: 'handhaving' });
    await click(wijkmanager, MEETING_VERBS.overview, { meetingId });
    await h.bot.runDueJobs();

    // The scenario was logged (so the check below is not vacuous) …
    const logs = h.logs.join('');
    expect(h.logs.length).toBeGreaterThan(10);
    expect(logs).toContain(caseRef);
    // … and not one marker reached a log line.
    for (const [field, marker] of Object.entries({ ...M, ...PREP })) expect(logs, `${field} leaked into the logs`).not.toContain(marker);
    expect(logs).not.toContain('PREPMARKER');
    expect(logs).not.toContain('Xaviera');
    expect(logs).not.toContain('Logmarkering');
    expect(logs).not.toContain('LOGMARKER');
  });
});
