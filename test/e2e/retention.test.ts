import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { DELETIONS_LOG, RETENTION_JOB } from '../../src/app/retention.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { dumpStore } from '../support/store-dump.js';
import { actionExecute, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';
import { signalForm } from '../support/signal-form.js';

/**
 * Retention and erasure over the real HTTP path (Bot Connector stub), with the bot's own daily job:
 * a closed case older than 12 months disappears from `casus` and `mijn meldingen` while a recently
 * closed case and open cases stay; the deletion is on record for the beheerder's export; the
 * beheerder erases a person, whose name is then nowhere in the store (nor in its files on disk);
 * a partner who tries the erase command is refused, and that refusal is in the audit log.
 */

const TZ = 'Europe/Amsterdam';
const politie: TestUser = { aadObjectId: 'u-politie' };
const handhaving: TestUser = { aadObjectId: 'u-handhaving' };
const jongerenwerk: TestUser = { aadObjectId: 'u-jongerenwerk' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };
const beheerder: TestUser = { aadObjectId: 'u-beheerder' };

const OLD_PERSON = 'Karel Oudgeval';
const ERASED = { name: 'Dirk Doelwit', dateOfBirth: '1998-07-07' };

/** Today in Amsterdam (real time): logs are stamped by the store with the real clock. */
function today(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());
}

describe('retention and erasure over real HTTP', () => {
  // Monday 3 March 2025, 10:00 in Amsterdam.
  const clock = manualClock(new Date('2025-03-03T09:00:00Z'));
  let h: Harness;
  const refs = { oldCase: '', oldSignal: '', recentCase: '', recentSignal: '', openCase: '', openSignal: '' };

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' }, { clock });
  });
  afterAll(async () => h?.close());

  const lastTo = (u: TestUser) => h.stub.to(personalConversationId(u)).at(-1)!.activity;
  async function say(u: TestUser, text: string): Promise<string> {
    const res = await post(h.bot.url, message(u, h.stub.url, text));
    expect(res.status).toBe(200);
    return visibleText(lastTo(u));
  }
  async function click(u: TestUser, verb: string, data: Record<string, unknown>): Promise<{ text: string; card: any }> {
    const res = await post(h.bot.url, actionExecute(u, h.stub.url, verb, data));
    expect(res.status).toBe(200);
    const value = res.body.value;
    return { text: typeof value === 'string' ? value : visibleText({ attachments: [{ content: value }] }), card: value };
  }

  /** `melding`, then submit, observed a minute ago on the test clock; returns the signal and case references. */
  async function report(u: TestUser, over: Record<string, unknown>): Promise<{ signal: string; caseRef: string }> {
    await post(h.bot.url, message(u, h.stub.url, 'melding'));
    const form = lastTo(u).attachments![0]!.content;
    const cardId = findAll(form, (n) => n.type === 'Action.Execute' && n.verb === 'signal.submit')[0].data.cardId;
    const { text } = await click(u, 'signal.submit', { cardId, ...signalForm(new Date(clock.now().getTime() - 60_000), over) });
    expect(text).toContain('Melding ontvangen');
    return { signal: /M-\d{4}-\d{5}/.exec(text)![0], caseRef: /C-\d{4}-\d{5}/.exec(text)![0] };
  }

  /** The wijkmanager closes a case: `casus afsluiten <ref>`, then the card's button with a reason. */
  async function closeCase(ref: string): Promise<void> {
    const form = await say(wijkmanager, `casus afsluiten ${ref}`);
    expect(form).toContain(`Casus ${ref} afsluiten`);
    const card = lastTo(wijkmanager).attachments![0]!.content;
    expect(findAll(card, (n) => n.verb === 'case.close')).toHaveLength(1);
    const { text } = await click(wijkmanager, 'case.close', { caseRef: ref, reason: 'Geen meldingen meer, situatie rustig.' });
    expect(text).toContain(`Casus ${ref} is afgesloten op`);
  }

  it('the daily job deletes a case closed more than 12 months ago; a recently closed and an open case stay', async () => {
    const old = await report(politie, { subject: 'persoon', personName: OLD_PERSON, personDob: '2001-02-03', description: 'Oude melding.' });
    refs.oldCase = old.caseRef;
    refs.oldSignal = old.signal;
    const open = await report(handhaving, { district: 'binnenstad', location: 'Statenplein', description: 'Open casus.' });
    refs.openCase = open.caseRef;
    refs.openSignal = open.signal;
    await closeCase(refs.oldCase);
    // A closed case takes no new signals: a new report at the same place starts a new case.
    const again = await report(jongerenwerk, { description: 'Weer muziek.' });
    expect(again.caseRef).not.toBe(refs.oldCase);
    await closeCase(again.caseRef);

    // December 2025: the daily job runs (nothing is 12 months old yet); a case is closed now.
    clock.set(new Date('2025-12-01T09:00:00Z'));
    await h.bot.runDueJobs();
    expect(await h.bot.ctx.store.get(`job:retention:2025-12-02`)).toMatchObject({ value: { type: RETENTION_JOB, status: 'pending' } });
    expect(await say(wijkmanager, `casus ${refs.oldCase}`)).toContain(`Casus ${refs.oldCase}`);
    const recent = await report(handhaving, { location: 'Jacob Marisstraat', description: 'Recente casus.' });
    refs.recentCase = recent.caseRef;
    refs.recentSignal = recent.signal;
    await closeCase(refs.recentCase);

    // 5 March 2026: the job scheduled for the night runs and deletes what was closed before 5 March 2025.
    clock.set(new Date('2026-03-05T08:00:00Z'));
    await h.bot.runDueJobs();
    expect(await h.bot.ctx.store.get(`job:retention:2026-03-06`)).toMatchObject({ value: { type: RETENTION_JOB, status: 'pending' } });

    expect(await say(wijkmanager, `casus ${refs.oldCase}`)).toContain(`Er is geen casus met referentie ${refs.oldCase}`);
    expect(await say(wijkmanager, `casus ${again.caseRef}`)).toContain(`Er is geen casus met referentie ${again.caseRef}`);
    const politieSignals = await say(politie, 'mijn meldingen');
    expect(politieSignals).not.toContain(refs.oldSignal);
    expect(politieSignals).not.toContain(refs.oldCase);
    expect(await say(jongerenwerk, 'mijn meldingen')).not.toContain(again.signal);
    const handhavingSignals = await say(handhaving, 'mijn meldingen');
    expect(handhavingSignals).toContain(refs.recentSignal);
    expect(handhavingSignals).toContain(refs.openSignal);
    const recentCard = await say(wijkmanager, `casus ${refs.recentCase}`);
    expect(recentCard).toContain(`Casus ${refs.recentCase}`);
    expect(recentCard).toContain('Afgesloten');
    expect(await say(handhaving, `casus ${refs.openCase}`)).toContain(`Casus ${refs.openCase}`);

    // Each deletion left a record: kind, when, why, counts — and the person's name nowhere.
    const records = (await h.bot.ctx.store.readLog(DELETIONS_LOG, 0, Number.MAX_SAFE_INTEGER)).map((e) => e.entry);
    expect(records.map((r) => r.caseRefs).flat().sort()).toEqual([refs.oldCase, again.caseRef].sort());
    expect(records.every((r) => r.kind === 'retentie' && r.by === 'system')).toBe(true);
    const dump = await dumpStore(h.bot.ctx.store);
    expect(dump.raw).not.toContain(OLD_PERSON);

    // The beheerder's export shows the records next to the audit log.
    // (Log entries carry the real time of writing: the export period is today's date.)
    const exported = await say(beheerder, `audit ${today()} ${today()}`);
    expect(exported).toContain('Verwijderingen (bewaartermijn en verzoeken)');
    expect(exported).toContain('tijdstip,referentie,soort,door,casussen,reden,aantallen');
    expect(exported).toMatch(new RegExp(`"V-2026-\\d{5}","bewaartermijn","systeem \\(dagelijkse taak\\)","${refs.oldCase}","Bewaartermijn van 12 maanden verstreken \\(casus afgesloten op 2025-03-03\\)\\.","casussen=1; meldingen=1; meldingen over een persoon=1`));
    expect(exported).not.toContain(OLD_PERSON);
  });

  it('"casus afsluiten" without a reference explains how to use it', async () => {
    expect(await say(wijkmanager, 'casus afsluiten')).toContain('Typ "casus afsluiten" gevolgd door de referentie');
  });

  it('refuses a partner who tries to erase, and audits the refusal', async () => {
    expect(await say(politie, 'wissen')).toContain('Alleen een beheerder');
    const entries = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER);
    expect(entries.at(-1)!.entry).toMatchObject({ actor: 'u-politie', action: 'person.erase', outcome: 'deny', reason: 'role-required' });
    // The card actions are refused the same way, whatever card id is sent.
    const { text } = await click(politie, 'erasure.preview', { cardId: '00000000-0000-4000-8000-000000000000', name: ERASED.name, dateOfBirth: ERASED.dateOfBirth });
    expect(text).toContain('Alleen een beheerder');
    const after = await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER);
    expect(after.at(-1)!.entry).toMatchObject({ actor: 'u-politie', action: 'person.erase', outcome: 'deny' });
    // The help card offers the command to the beheerder only.
    expect(await say(politie, 'help')).not.toContain('Persoon wissen');
    expect(await say(beheerder, 'help')).toContain('Persoon wissen');
  });

  it("the beheerder erases a person: the name is nowhere in the store afterwards, the case stays", async () => {
    const s1 = await report(politie, { subject: 'persoon', personName: ERASED.name, personDob: ERASED.dateOfBirth, description: 'Dirk viel voorbijgangers lastig.' });
    await report(jongerenwerk, { description: 'Groep rond Dirk Doelwit bij de speeltuin.' });
    await post(h.bot.url, message(beheerder, h.stub.url, 'wissen'));
    const form = lastTo(beheerder).attachments![0]!.content;
    expect(visibleText({ attachments: [{ content: form }] })).toContain('Persoon wissen');
    const cardId = findAll(form, (n) => n.verb === 'erasure.preview')[0].data.cardId;

    const preview = await click(beheerder, 'erasure.preview', { cardId, name: ERASED.name, dateOfBirth: ERASED.dateOfBirth });
    expect(preview.text).toContain('Gevonden: 1 melding in 1 casus');
    expect(preview.text).toContain(s1.caseRef);
    // The name is only in the input the beheerder filled in, never in a text of the card.
    expect(findAll(preview.card, (n) => n.type === 'TextBlock' && String(n.text).includes('Dirk'))).toEqual([]);
    const done = await click(beheerder, 'erasure.confirm', { cardId, name: ERASED.name, dateOfBirth: ERASED.dateOfBirth, reason: 'Verzoek van 4 maart 2026, kenmerk AVG-17-003.' });
    expect(done.text).toMatch(/Gewist\. Verwijderingsrecord V-2026-\d{5}: persoonsgegevens verwijderd uit 1 melding in 1 casus/);
    expect(JSON.stringify(done.card)).not.toContain('Dirk');

    // Nowhere in the store: documents, indexes, logs, and the files on disk (snapshot + journal).
    const dump = await dumpStore(h.bot.ctx.store);
    expect(dump.raw).not.toMatch(/dirk/i);
    expect(dump.raw).not.toContain(ERASED.dateOfBirth);
    expect(h.logs.join('')).not.toMatch(/dirk/i);
    // The case and the signal (as a fact) stay; person data is gone from the case view.
    const caseView = await say(wijkmanager, `casus ${s1.caseRef}`);
    expect(caseView).toContain(`Casus ${s1.caseRef}`);
    expect(caseView).toContain(s1.signal);
    expect(await say(politie, 'mijn meldingen')).toContain(s1.signal);
    // On record, and in the export.
    const exported = await say(beheerder, `audit ${today()} ${today()}`);
    expect(exported).toMatch(/"V-2026-\d{5}","verzoek van betrokkene","Bea Beheerder","C-\d{4}-\d{5}","Verzoek van 4 maart 2026, kenmerk AVG-17-003\.","meldingen=1; casussen=1; naam in vrije tekst=1"/);
    expect(exported).not.toMatch(/dirk/i);
    const audit = (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Number.MAX_SAFE_INTEGER)).map((e) => e.entry);
    expect(audit).toContainEqual({ actor: 'u-beheerder', action: 'person.erase', resource: `case:${s1.caseRef}`, outcome: 'allow', reason: expect.stringMatching(/^V-2026-\d{5}$/) });
  });
});
