import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/app/signals.js';
import type { Case } from '../../src/domain/signal.js';
import { startBot, type RunningBot } from '../../src/main.js';
import { createLogger } from '../../src/log.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import type { PostedActivity } from '../support/connector-stub.js';
import { actionExecute, installationUpdate, membersAdded, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';

/**
 * Escalation notices over real HTTP: the bot under test, a Bot Connector stub that records (and
 * can refuse) what the bot posts, the in-process scheduler run on demand with a controllable clock.
 */

const politie: TestUser = { aadObjectId: 'u-politie' };
const jongerenwerk: TestUser = { aadObjectId: 'u-jongerenwerk' };
const handhaving: TestUser = { aadObjectId: 'u-handhaving' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };
const WM_CONV = personalConversationId(wijkmanager);

function amsterdam(d: Date): { date: string; time: string } {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

const harnesses: Harness[] = [];
const extraBots: RunningBot[] = [];
afterEach(async () => {
  for (const b of extraBots.splice(0)) await b.stop();
  for (const h of harnesses.splice(0)) await h.close();
});

async function start() {
  const clock = manualClock(new Date());
  const h = await startHarness({}, { clock });
  harnesses.push(h);
  return { h, clock };
}

/** Types "melding", submits the form about Sumatraplein; returns the case reference. */
async function report(h: Harness, clock: { now(): Date }, user: TestUser, over: Record<string, unknown> = {}): Promise<string> {
  await post(h.bot.url, message(user, h.stub.url, 'melding'));
  const form = h.stub.to(personalConversationId(user)).at(-1)!;
  const submitAction = findAll(form.activity.attachments, (n) => n.type === 'Action.Execute' && n.verb === 'signal.submit')[0];
  const observed = amsterdam(new Date(clock.now().getTime() - 60 * 60_000));
  const res = await post(
    h.bot.url,
    actionExecute(user, h.stub.url, 'signal.submit', {
      cardId: submitAction.data.cardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      observedDate: observed.date,
      observedTime: observed.time,
      categories: 'geluid,hangjongeren',
      severity: 'middel',
      subject: 'locatie',
      source: 'eigen-waarneming',
      description: 'Groep jongeren met harde muziek bij de speeltuin.',
      ...over,
    }),
  );
  expect(res.status).toBe(200);
  const text = visibleText({ attachments: [{ content: res.body.value }] });
  expect(text).toContain('Melding ontvangen');
  return /C-\d{4}-\d{5}/.exec(text)![0];
}

/** The wijkmanager talks to the bot once: Teams then has a personal conversation to deliver to. */
async function greet(h: Harness, user: TestUser) {
  await post(h.bot.url, message(user, h.stub.url, 'help'));
}

const notices = (h: Harness, conv = WM_CONV) =>
  h.stub.to(conv).filter((p) => p.method === 'POST' && visibleText(p.activity).includes('Drempel bereikt'));
const cardOf = (p: PostedActivity) => p.activity.attachments![0]!.content;

describe('escalation notices over HTTP', () => {
  it('signals from two organisations at one place → exactly one explained notice in the wijkmanager’s personal chat', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    const caseRef = await report(h, clock, jongerenwerk);
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(0);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    const got = notices(h);
    expect(got).toHaveLength(1);
    const text = visibleText(got[0]!.activity);
    expect(text).toContain('Drempel bereikt: Meerdere partijen melden over één plek');
    expect(text).toContain('ten minste 2 verschillende partners binnen 28 dagen');
    expect(text).toMatch(/2 partners binnen 28 dagen: (Jongerenwerk Dordrecht|Politie basisteam Dordrecht) \(laatste melding \d{2}-\d{2}-\d{4}\)/);
    expect(text).toContain(caseRef);
    expect(text).toContain('Crabbehof');
    expect(text).toContain('Sumatraplein');
    // Only the wijkmanager, in the personal chat; nobody else got a notice.
    for (const user of [politie, jongerenwerk]) expect(notices(h, personalConversationId(user))).toHaveLength(0);
    expect(got[0]!.conversationId).toBe(WM_CONV);
  });

  it('the wijkmanager acts on the card: dismiss with a reason, recorded, card replaced', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    const card = cardOf(notices(h)[0]!);
    const dismiss = findAll(card, (n) => n.type === 'Action.Execute' && n.verb === 'escalation.dismiss')[0];
    const res = await post(
      h.bot.url,
      actionExecute(wijkmanager, h.stub.url, 'escalation.dismiss', { ...dismiss.data, reasonDismiss: 'Al besproken in het leefbaarheidsoverleg.' }),
    );
    expect(res.status).toBe(200);
    const answer = visibleText({ attachments: [{ content: res.body.value }] });
    expect(answer).toContain('Afgewezen door Willem Wijkmanager');
    expect(answer).toContain('Al besproken in het leefbaarheidsoverleg.');
  });

  it('429 with Retry-After, then 200: delivered once, after the wait (controllable clock)', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    let refused = 0;
    h.stub.respond((p) => {
      if (p.conversationId !== WM_CONV || !JSON.stringify(p.activity).includes('Drempel bereikt') || refused > 0) return undefined;
      refused++;
      return { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'Throttled', message: 'Too many requests' } } };
    });
    await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    expect(refused).toBe(1);
    expect(await h.bot.outbox.status(await noticeIdFor(h, 'u-wijkmanager'))).toEqual({ state: 'pending', attempts: 1 });
    expect(notices(h)).toHaveLength(0);
    clock.advance(6_999);
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(0);
    clock.advance(1);
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(1);
    clock.advance(60_000);
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(1);
  });

  it('403 (the wijkmanager blocked the bot): the failure is recorded and the case’s director is told who could not be reached', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    h.stub.respond((p) =>
      p.conversationId === WM_CONV && p.method === 'POST' && JSON.stringify(p.activity).includes('Drempel bereikt')
        ? { status: 403, body: { error: { code: 'Forbidden', message: 'User blocked the conversation with the bot.' }, subCode: 'MessageWritesBlocked' } }
        : undefined,
    );
    // Jongerenwerk reports first: it directs the case at hinder level.
    const caseRef = await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(0);
    const told = h.stub.to(personalConversationId(jongerenwerk)).filter((p) => visibleText(p.activity).includes('Niet afgeleverd'));
    expect(told).toHaveLength(1);
    const text = visibleText(told[0]!.activity);
    expect(text).toContain('Willem Wijkmanager (Gemeente Dordrecht) kon niet worden bereikt');
    expect(text).toContain('geblokkeerd of verwijderd (403)');
    expect(text).toContain(caseRef);
    // The notice itself is marked failed with the reason.
    const id = await noticeIdFor(h, 'u-wijkmanager');
    expect(await h.bot.outbox.status(id)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^blocked \(403\)/) });
  });

  it('404 (conversation not found): the notice fails at once with the reason and the case’s director is told', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    let refused = 0;
    h.stub.respond((p) => {
      if (p.conversationId !== WM_CONV || p.method !== 'POST' || !JSON.stringify(p.activity).includes('Drempel bereikt')) return undefined;
      refused++;
      return { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } };
    });
    const caseRef = await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    // Not retried: one call, then failed with the reason.
    expect(refused).toBe(1);
    expect(notices(h)).toHaveLength(0);
    const id = await noticeIdFor(h, 'u-wijkmanager');
    expect(await h.bot.outbox.status(id)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^not-found \(404\)/) });
    const told = h.stub.to(personalConversationId(jongerenwerk)).filter((p) => visibleText(p.activity).includes('Niet afgeleverd'));
    expect(told).toHaveLength(1);
    const text = visibleText(told[0]!.activity);
    expect(text).toContain('Willem Wijkmanager (Gemeente Dordrecht) kon niet worden bereikt');
    expect(text).toContain('het persoonlijke gesprek met de Overlastbot bestaat niet meer (404)');
    expect(text).toContain(caseRef);
    clock.advance(60 * 60_000);
    await h.bot.runDueJobs();
    expect(refused).toBe(1);
  });

  it('no conversation yet: the notice waits, the director sees "nog niet bereikbaar", delivery follows the install', async () => {
    const { h, clock } = await start();
    await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    await h.bot.runDueJobs();
    expect(h.stub.to(WM_CONV)).toHaveLength(0);
    const told = h.stub.to(personalConversationId(jongerenwerk)).filter((p) => visibleText(p.activity).includes('nog niet bereikbaar'));
    expect(told).toHaveLength(1);
    expect(visibleText(told[0]!.activity)).toContain('Willem Wijkmanager (Gemeente Dordrecht) is nog niet bereikbaar');

    // The wijkmanager installs the app (personal scope): Teams sends installationUpdate + membersAdded.
    await post(h.bot.url, installationUpdate(wijkmanager, h.stub.url));
    await post(h.bot.url, membersAdded(wijkmanager, h.stub.url));
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    expect(notices(h)).toHaveLength(1);
    expect(h.stub.to(personalConversationId(jongerenwerk)).filter((p) => visibleText(p.activity).includes('nog niet bereikbaar'))).toHaveLength(1);
  });

  it('a restart with a pending notice delivers it exactly once', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    await report(h, clock, jongerenwerk);
    await report(h, clock, politie);
    // One pass: the rules are evaluated and the notice queued; it is not sent yet.
    await (h.bot.jobs as unknown as { runDue(): Promise<number> }).runDue();
    expect(notices(h)).toHaveLength(0);
    const id = await noticeIdFor(h, 'u-wijkmanager');
    expect(await h.bot.outbox.status(id)).toMatchObject({ state: 'pending' });
    await h.bot.stop();

    const again = await startBot(h.config, { clock, jobs: { pollIntervalMs: 0 }, log: createLogger({ level: 'silent' }) });
    extraBots.push(again);
    await again.runDueJobs();
    await again.runDueJobs();
    expect(notices(h)).toHaveLength(1);
    expect(await again.outbox.status(id)).toMatchObject({ state: 'delivered' });
    await again.stop();
    const third = await startBot(h.config, { clock, jobs: { pollIntervalMs: 0 }, log: createLogger({ level: 'silent' }) });
    extraBots.push(third);
    await third.runDueJobs();
    expect(notices(h)).toHaveLength(1);
  });

  it('a pass-on request is delivered to the wijkmanager and the case card says so', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    const caseRef = await report(h, clock, jongerenwerk);
    const formRes = await post(h.bot.url, actionExecute(jongerenwerk, h.stub.url, 'case.pass-on-form', { caseRef }));
    const passOnAction = findAll(formRes.body.value, (n) => n.type === 'Action.Execute' && n.verb === 'case.pass-on')[0];
    await post(
      h.bot.url,
      actionExecute(jongerenwerk, h.stub.url, 'case.pass-on', { ...passOnAction.data, reason: 'Onze gesprekken met de groep helpen niet meer.' }),
    );
    await h.bot.runDueJobs();
    await h.bot.runDueJobs();
    expect(notices(h).map((p) => /Drempel bereikt: ([^\n]+)/.exec(visibleText(p.activity))?.[1])).toEqual(['Casus doorgezet naar de wijkmanager']);
    const ptr = await h.bot.ctx.store.get<{ caseId: string }>(keys.caseRef(caseRef));
    const c = await h.bot.ctx.store.get<Case>(keys.case(ptr!.value.caseId));
    expect(c!.value.passOns[0]!.status).toBe('delivered');
    h.stub.clear();
    await post(h.bot.url, message(jongerenwerk, h.stub.url, `casus ${caseRef}`));
    expect(visibleText(h.stub.to(personalConversationId(jongerenwerk))[0]!.activity)).toContain('afgeleverd');
  });

  it('the notice card carries no personal data', async () => {
    const { h, clock } = await start();
    await greet(h, wijkmanager);
    const person = { subject: 'persoon', personName: 'Karel Testpersoon', personDob: '2007-02-03' };
    await report(h, clock, handhaving, person);
    await report(h, clock, jongerenwerk, person);
    await h.bot.runDueJobs();
    const got = notices(h);
    expect(got).toHaveLength(1);
    const everything = JSON.stringify(got[0]!.activity);
    expect(everything).not.toContain('Karel');
    expect(everything).not.toContain('2007-02-03');
    expect(everything).not.toContain('Groep jongeren');
    expect(h.logs.join('')).not.toContain('Karel');
  });
});

async function noticeIdFor(h: Harness, userId: string): Promise<string> {
  const entries = await h.bot.ctx.store.range('escalation-fired', -Infinity, Infinity);
  const marker = await h.bot.ctx.store.get<{ firingId: string }>(entries[0]!.member);
  const firing = await h.bot.ctx.store.get<{ noticeIds: string[] }>(`escalation-firing:${marker!.value.firingId}`);
  return firing!.value.noticeIds.find((id) => id.endsWith(`:${userId}`))!;
}

describe('ESCALATION_RULES_FILE', () => {
  it('a broken rules file stops `npm start` with one clear line per problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ovb-rules-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'rules:\n  vaker-op-plek:\n    minSignals: 0\n  doorgezet:\n    notify: [burgemeester]\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', DATA_DIR: dir, DIRECTORY_FILE: 'test/fixtures/directory.yaml', ESCALATION_RULES_FILE: file, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(err).toContain('Ongeldige escalatieregels (ESCALATION_RULES_FILE):');
    expect(err).toContain('rules.vaker-op-plek.minSignals');
    expect(err).toContain('onbekende ontvanger "burgemeester"');
    expect(err).not.toMatch(/\n\s+at /);
  });
});
