import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import type { AppContext } from '../../src/app/context.js';
import {
  meetingIndexes,
  meetingKeys,
  meetingsFeature,
  noticeIds,
  registerMeetingJobs,
  reminderJobId,
  runReminderJob,
} from '../../src/app/meetings.js';
import type { Notice, NoticeStatus, Outbox } from '../../src/app/outbox.js';
import { keys, openSignalForm, submitSignal, viewCase } from '../../src/app/signals.js';
import { MEETING_VERBS } from '../../src/cards/meeting-cards.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { parseDirectory } from '../../src/domain/directory.js';
import type { Intervention } from '../../src/domain/intervention.js';
import type { Meeting } from '../../src/domain/meeting.js';
import type { Case } from '../../src/domain/signal.js';
import { InProcessJobs } from '../../src/jobs/in-process.js';
import { createLogger } from '../../src/log.js';
import type { AdaptiveCard, Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';
import { requireRedisUrl } from '../support/redis-url.js';
import { findAll } from '../support/teams.js';
import { deleteRedisKeys } from '../support/store-dump.js';

/**
 * The casusoverleg use cases against a real embedded store and the in-process Jobs adapter, with a
 * controllable clock and an in-memory Outbox that honours the Outbox contract (stable ids de-dup).
 */

const TZ = 'Europe/Amsterdam';

const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: handhaving, name: Stadstoezicht Dordrecht, kind: handhaving, covenant: true }
  - { id: jongerenwerk, name: Jongerenwerk Dordrecht, kind: jongerenwerk, covenant: true, contacts: [u-jw] }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
  - { id: school, name: Da Vinci College, kind: school, covenant: false }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wm], hotspots: [Sumatraplein] }
  - { id: binnenstad, name: Binnenstad, wijkmanagers: [u-wm2] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-handhaving, name: Hans Handhaving, organisation: handhaving, roles: [partner], districts: [crabbehof] }
  - { id: u-jw, name: Jamal Jongerenwerk, organisation: jongerenwerk, roles: [partner], districts: [crabbehof] }
  - { id: u-jw2, name: Julia Jongerenwerk, organisation: jongerenwerk, roles: [partner], districts: [crabbehof] }
  - { id: u-woonbron, name: Wendy Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-school, name: Sietse School, organisation: school, roles: [partner] }
  - { id: u-wm, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-wm2, name: Wies Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [binnenstad] }
`);

const actor = (id: string): Actor => actorFromDirectory(directory, id)!;
const wm = actor('u-wm');
const jw = actor('u-jw');
const jw2 = actor('u-jw2');
const pol = actor('u-politie');
const school = actor('u-school');
const woonbron = actor('u-woonbron');
const wm2 = actor('u-wm2');

const JW_PERSON = 'Jan de Vries';
const POLICE_PERSON = 'Pieter Politiegeval';

/** The Outbox contract in memory: a stable id delivers once; pending notices can be cancelled. */
class MemoryOutbox implements Outbox {
  readonly notices = new Map<string, { notice: Notice; status: NoticeStatus }>();
  /** When set, new notices stay pending (e.g. the recipient has no conversation yet). */
  holdFor = new Set<string>();
  constructor(private readonly now: () => Date) {}
  async send(notice: Notice) {
    if (this.notices.has(notice.id)) return { queued: false };
    const at = this.now().toISOString();
    this.notices.set(notice.id, {
      notice,
      status: this.holdFor.has(notice.recipient) ? { state: 'pending', attempts: 0, waitingForConversation: true } : { state: 'delivered', at },
    });
    return { queued: true };
  }
  /** Transactional staging: here the notices are sent when the caller's commit succeeded. */
  stage(notices: readonly Notice[]) {
    return { ops: [], dispatch: async () => void (await Promise.all(notices.map((n) => this.send(n)))) };
  }
  async cancel(id: string) {
    const n = this.notices.get(id);
    if (!n || n.status.state !== 'pending') return false;
    n.status = { state: 'cancelled', at: this.now().toISOString() };
    return true;
  }
  async status(id: string) {
    return this.notices.get(id)?.status;
  }
  delivered(filter: (n: Notice) => boolean = () => true): Notice[] {
    return [...this.notices.values()].filter((n) => n.status.state === 'delivered' && filter(n.notice)).map((n) => n.notice);
  }
  to(userId: string) {
    return this.delivered((n) => n.recipient === userId);
  }
}

interface Harness {
  ctx: AppContext;
  store: Store;
  outbox: MemoryOutbox;
  jobs: InProcessJobs;
  logLines: string[];
  setNow(d: Date | string): void;
}

const open: { h: Harness; cleanup: () => Promise<void> }[] = [];


async function harness(kind: 'embedded' | 'redis' = 'embedded'): Promise<Harness> {
  let store: Store;
  let cleanup: () => Promise<void>;
  if (kind === 'redis') {
    const url = requireRedisUrl();
    const prefix = `test:${randomUUID()}:`;
    store = await RedisStore.connect(url, { prefix });
    cleanup = () => deleteRedisKeys(url, prefix);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'overlastbot-meetings-'));
    store = await EmbeddedStore.open(dir);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // Sunday 15 March 2026, 11:00 in Amsterdam (CET); the meetings are after the change to CEST.
  let now = new Date('2026-03-15T10:00:00Z');
  const clock = { now: () => now };
  const outbox = new MemoryOutbox(() => now);
  const jobs = new InProcessJobs({ store, clock, pollIntervalMs: 0 });
  const ctx: AppContext = { store, directory, clock, log: createLogger({ level: 'debug', destination }), timeZone: TZ, outbox, jobs };
  registerMeetingJobs(jobs, ctx);
  await jobs.start();
  const h: Harness = { ctx, store, outbox, jobs, logLines, setNow: (d) => (now = new Date(d)) };
  open.push({ h, cleanup });
  return h;
}

afterEach(async () => {
  for (const { h, cleanup } of open.splice(0)) {
    await h.jobs.stop();
    await h.store.close();
    await cleanup();
  }
});

// --- helpers --------------------------------------------------------------------------------------

type El = Record<string, any>;

const textOf = (card: unknown) =>
  findAll(card, (n) => typeof n.text === 'string' || (typeof n.title === 'string' && typeof n.value === 'string'))
    .map((n) => (typeof n.text === 'string' ? n.text : `${n.title}: ${n.value}`))
    .join('\n');

const actionOf = (card: unknown, verb: string) => findAll(card, (n) => n.type === 'Action.Execute' && n.verb === verb)[0];

const feature = Object.fromEntries(meetingsFeature.actions.map((a) => [a.verb, a]));

async function click(h: Harness, a: Actor, verb: string, data: unknown): Promise<AdaptiveCard> {
  const result = await feature[verb]!.run(h.ctx, a, data);
  if (result.kind !== 'card') throw new Error(`expected a card, got ${JSON.stringify(result)}`);
  return result.card;
}

async function report(h: Harness, a: Actor, over: Record<string, unknown> = {}): Promise<string> {
  const form = await openSignalForm(h.ctx, a);
  const cardId = JSON.stringify(form).match(/"cardId":"([0-9a-f-]{36})"/)![1];
  const result = await submitSignal(h.ctx, a, {
    cardId,
    kind: 'overlast',
    district: 'crabbehof',
    location: 'Sumatraplein',
    observedDate: '2026-03-15',
    observedTime: '09:30',
    categories: 'hangjongeren',
    severity: 'middel',
    subject: 'locatie',
    source: 'eigen-waarneming',
    description: 'Groep jongeren bij de bank.',
    ...over,
  });
  if (result.outcome !== 'created') throw new Error(`expected created: ${result.outcome}`);
  return result.caseRef;
}

/** A case at Sumatraplein: youths (jongerenwerk), a person reported by jongerenwerk and one by the police. */
async function seedCase(h: Harness): Promise<string> {
  const ref = await report(h, jw);
  await report(h, jw, { subject: 'persoon', personName: JW_PERSON, personDob: '2008-05-01', description: 'Jongere die de groep aanvoert.' });
  await report(h, pol, { subject: 'persoon', personName: POLICE_PERSON, personDob: '2006-06-06', categories: 'drugs', description: 'Dealt bij de bank.' });
  return ref;
}

function planInputs(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    date: '2026-03-30',
    start: '10:00',
    end: '11:30',
    place: 'Stadskantoor, kamer 3.12',
    orgs: 'jongerenwerk,politie',
    users: 'u-school',
    prepare: 'Wat weten jullie over de groep?',
    ...over,
  };
}

async function planMeeting(h: Harness, caseRef: string, over: Record<string, unknown> = {}): Promise<{ meeting: Meeting; overview: AdaptiveCard; cardId: string }> {
  const form = await click(h, wm, MEETING_VERBS.planForm, { caseRef });
  const cardId = actionOf(form, MEETING_VERBS.plan)!.data.cardId as string;
  const overview = await click(h, wm, MEETING_VERBS.plan, { cardId, cases: caseRef, ...planInputs(over) });
  const entries = await h.store.range(meetingIndexes.userMeetings('u-wm'), -Infinity, Infinity);
  const ids = entries.map((e) => e.member);
  const meetings = (await h.store.getMany<Meeting>(ids.map(meetingKeys.meeting))).map((m) => m!.value);
  const meeting = meetings.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.ref.localeCompare(a.ref))[0]!;
  return { meeting, overview, cardId };
}

async function stored(h: Harness, id: string): Promise<Meeting> {
  return (await h.store.get<Meeting>(meetingKeys.meeting(id)))!.value;
}

/** Pending reminder jobs (other features enqueue jobs of their own, e.g. on every signal). */
async function pendingJobs(h: Harness): Promise<string[]> {
  return (await h.store.range('jobs:due', -Infinity, Infinity))
    .map((e) => e.member)
    .filter((id) => id.startsWith('meeting-reminder-slot:'))
    .sort();
}

async function caseByRef(h: Harness, ref: string): Promise<Case> {
  const ptr = await h.store.get<{ caseId: string }>(keys.caseRef(ref));
  return (await h.store.get<Case>(keys.case(ptr!.value.caseId)))!.value;
}

// --- planning -------------------------------------------------------------------------------------

describe('planning a casusoverleg', () => {
  it('suggests partners from the case and preselects them', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    const form = await click(h, wm, MEETING_VERBS.planForm, { caseRef: ref });
    const text = textOf(form);
    expect(text).toContain('Jongerenwerk Dordrecht: meldde signalen, past bij "Hangjongeren / groep"');
    expect(text).toContain('Politie basisteam Dordrecht: meldde signalen, past bij "Drugs"');
    expect(text).toMatch(/Stadstoezicht Dordrecht: past bij "Drugs"/);
    // A person case: the woningcorporatie (a tenant).
    expect(text).toContain('Woningcorporatie Woonbron: casus over een persoon');
    const orgs = findAll(form, (n) => n.id === 'orgs')[0]!;
    expect(orgs.value.split(',').sort()).toEqual(['handhaving', 'jongerenwerk', 'politie', 'woonbron']);
    expect(findAll(form, (n) => n.id === 'cases')[0]!.value).toBe(ref);
    // The organiser's own organisation is never suggested.
    expect(text).not.toMatch(/Gemeente Dordrecht: (meldde|past|casus|zorg)/);
  });

  it('stores the meeting, sends each invitee a summons, schedules reminders and writes the case timeline', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    const { meeting, overview } = await planMeeting(h, ref);
    expect(meeting).toMatchObject({ ref: 'O-2026-00001', state: 'gepland', version: 1, start: '2026-03-30T08:00:00.000Z', end: '2026-03-30T09:30:00.000Z' });
    // jongerenwerk's contact person (not Julia), all police users, and the school by name.
    expect(meeting.invitees.map((i) => i.userId).sort()).toEqual(['u-jw', 'u-politie', 'u-school']);
    expect(textOf(overview)).toContain('Oproep verstuurd aan 3 personen.');
    expect(overview.refresh).toEqual({ action: { type: 'Action.Execute', verb: MEETING_VERBS.overview, data: { meetingId: meeting.id } }, userIds: ['u-wm'] });

    for (const u of ['u-jw', 'u-politie', 'u-school']) {
      const summons = h.outbox.to(u);
      expect(summons.map((n) => n.id)).toEqual([noticeIds.summons(meeting.id, u)]);
      expect(summons[0]!.reportFailureTo).toBe('u-wm');
      const card = summons[0]!.message.kind === 'card' ? summons[0]!.message.card : undefined;
      const text = textOf(card);
      expect(text).toContain('Oproep casusoverleg O-2026-00001');
      expect(text).toContain('maandag 30 maart 2026, 10:00–11:30');
      expect(text).toContain(ref);
      expect(text).toContain('Sumatraplein');
      // Base cards carry no personal data of the case.
      expect(JSON.stringify(card)).not.toContain(JW_PERSON);
      expect(JSON.stringify(card)).not.toContain(POLICE_PERSON);
      expect(JSON.stringify(card)).not.toContain('2008-05-01');
      expect(actionOf(card, MEETING_VERBS.rsvp)).toBeTruthy();
      expect(card!.refresh).toMatchObject({ userIds: [u] });
    }
    expect(await pendingJobs(h)).toEqual(['t24', 't2', 't48'].map((s) => reminderJobId(meeting.id, 1, s)).sort());
    const c = await caseByRef(h, ref);
    expect(c.events.at(-1)).toMatchObject({ type: 'meeting', change: 'planned', meetingRef: 'O-2026-00001' });
    const caseCard = await viewCase(h.ctx, wm, ref, { details: false });
    expect(textOf(caseCard.card)).toContain('Casusoverleg O-2026-00001 gepland');
  });

  it('the case card offers "Casusoverleg plannen" to the wijkmanager only', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    expect(actionOf((await viewCase(h.ctx, wm, ref, { details: false })).card, MEETING_VERBS.planForm)?.data).toEqual({ caseRef: ref });
    expect(actionOf((await viewCase(h.ctx, jw, ref, { details: false })).card, MEETING_VERBS.planForm)).toBeUndefined();
  });

  it('refuses bad input with a Dutch message per field and stores nothing', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    const form = await click(h, wm, MEETING_VERBS.planForm, { caseRef: ref });
    const cardId = actionOf(form, MEETING_VERBS.plan)!.data.cardId;
    const cases = [
      [{ date: '2026-03-15', start: '09:00', end: '10:00' }, 'Dit tijdstip ligt in het verleden.'],
      [{ start: '11:00', end: '10:00' }, 'De eindtijd ligt vóór (of op) de begintijd.'],
      [{ orgs: '', users: '' }, 'Nodig ten minste één organisatie of persoon uit.'],
      [{ users: 'u-onbekend' }, '"u-onbekend" staat niet in het adresboek.'],
      [{ orgs: 'geen-organisatie' }, '"geen-organisatie" staat niet in het adresboek.'],
      [{ adviceOrgs: 'jongerenwerk' }, 'Jongerenwerk Dordrecht is al uitgenodigd'],
      [{ cases: 'C-2026-99999' }, 'Casus C-2026-99999 bestaat niet.'],
      [{ place: '' }, 'Vul een plaats of een link naar de online vergadering in.'],
    ] as const;
    for (const [over, message] of cases) {
      const card = await click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs(over) });
      expect(textOf(card), message).toContain(message);
      expect(textOf(card)).toContain('Niet alles is goed ingevuld');
    }
    expect(await h.store.range(meetingIndexes.userMeetings('u-wm'), -Infinity, Infinity)).toEqual([]);
    expect(h.outbox.notices.size).toBe(0);
    expect(await pendingJobs(h)).toEqual([]);
    // The same card, corrected, then plans.
    const ok = await click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs() });
    expect(textOf(ok)).toContain('Oproep verstuurd aan 3 personen.');
  });

  it('a wijkmanager of another district cannot put the case on an agenda', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    expect(textOf(await click(h, wm2, MEETING_VERBS.planForm, { caseRef: ref }))).toContain('valt niet onder jouw wijk');
    const form = await click(h, wm2, MEETING_VERBS.planForm, {});
    const cardId = actionOf(form, MEETING_VERBS.plan)!.data.cardId;
    expect(textOf(await click(h, wm2, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs() }))).toContain('valt niet onder jouw wijk');
    // A partner cannot plan at all.
    expect(textOf(await click(h, jw, MEETING_VERBS.planForm, {}))).toContain('Alleen de wijkmanager');
  });

  it('refuses forged payloads and cards of others, and a double submit plans once', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    const form = await click(h, wm, MEETING_VERBS.planForm, { caseRef: ref });
    const cardId = actionOf(form, MEETING_VERBS.plan)!.data.cardId;
    expect(textOf(await click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs(), organiser: 'u-jw' }))).toContain('niet (meer) geldig');
    expect(textOf(await click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs({ place: 'x'.repeat(20_000) }) }))).toContain('te groot');
    expect(textOf(await click(h, wm2, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs() }))).toContain('niet (meer) geldig');
    const [a, b] = await Promise.all([
      click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs() }),
      click(h, wm, MEETING_VERBS.plan, { cardId, cases: ref, ...planInputs() }),
    ]);
    expect(textOf(a)).toContain('O-2026-00001');
    expect(textOf(b)).toContain('O-2026-00001');
    expect(await h.store.range(meetingIndexes.userMeetings('u-wm'), -Infinity, Infinity)).toHaveLength(1);
    const audit = await h.store.readLog(AUDIT_LOG, 0, Infinity);
    expect(audit.some((e) => e.entry.action === 'meeting.plan' && e.entry.reason === 'unknown-fields')).toBe(true);
  });
});

// --- answers --------------------------------------------------------------------------------------

describe('answering the summons', () => {
  it('aanwezig / verhinderd update the card in place and the overview', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    const yes = await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    expect(textOf(yes)).toContain('Je bent aanwezig.');
    const noReason = await click(h, pol, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'verhinderd', reason: '  ' });
    expect(textOf(noReason)).toContain('Vul een reden in');
    expect((await stored(h, meeting.id)).invitees.find((i) => i.userId === 'u-politie')?.answer).toBeUndefined();
    const no = await click(h, pol, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'verhinderd', reason: 'Andere inzet' });
    expect(textOf(no)).toContain('Je bent verhinderd: Andere inzet');
    // Changed until the meeting starts.
    expect(textOf(await click(h, pol, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('Je bent aanwezig.');
    const overview = await click(h, wm, MEETING_VERBS.overview, { meetingId: meeting.id });
    expect(textOf(overview)).toContain('2 aanwezig · 0 vervanger · 0 verhinderd · 1 nog niet gereageerd');
    h.setNow('2026-03-30T08:00:00Z');
    expect(textOf(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('al begonnen');
  });

  it('a substitute is a colleague of the same organisation and gets their own summons', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    const other = await click(h, jw, MEETING_VERBS.substitute, { meetingId: meeting.id, substitute: 'u-politie' });
    expect(textOf(other)).toContain('collega van je eigen organisatie');
    expect(textOf(await click(h, jw, MEETING_VERBS.substitute, { meetingId: meeting.id, substitute: 'u-niemand' }))).toContain('niet in het adresboek');
    expect((await stored(h, meeting.id)).invitees).toHaveLength(3);
    const card = await click(h, jw, MEETING_VERBS.substitute, { meetingId: meeting.id, substitute: 'u-jw2' });
    expect(textOf(card)).toContain('Je stuurt Julia Jongerenwerk als vervanger.');
    const m = await stored(h, meeting.id);
    expect(m.invitees.find((i) => i.userId === 'u-jw2')).toMatchObject({ via: 'substitute', substituteFor: 'u-jw' });
    const summons = h.outbox.to('u-jw2');
    expect(summons.map((n) => n.id)).toEqual([noticeIds.summons(meeting.id, 'u-jw2')]);
    expect(textOf(summons[0]!.message)).toContain('als vervanger van Jamal Jongerenwerk');
    expect(textOf(await click(h, jw2, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('Je bent aanwezig.');
    expect(await h.store.range(meetingIndexes.userMeetings('u-jw2'), -Infinity, Infinity)).toHaveLength(1);
  });

  it('refuses an RSVP from someone not invited, on a cancelled meeting, and forged payloads', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    expect(textOf(await click(h, woonbron, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('niet (meer) uitgenodigd');
    expect(textOf(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: randomUUID(), answer: 'aanwezig' }))).toContain('bestaat niet');
    expect(textOf(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'misschien' }))).toContain('niet (meer) geldig');
    expect(textOf(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig', userId: 'u-politie' }))).toContain('niet (meer) geldig');
    await click(h, wm, MEETING_VERBS.cancel, { meetingId: meeting.id, version: 1, reason: 'Casus opgelost' });
    const before = await stored(h, meeting.id);
    expect(textOf(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('geannuleerd');
    expect(await stored(h, meeting.id)).toEqual(before);
  });
});

// --- privacy --------------------------------------------------------------------------------------

describe('person data in the summons', () => {
  it('only in the user-specific view, only what the policy allows, never for a non-covenant organisation', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    // Jongerenwerk reported Jan: sees Jan, not the police's person (WPG).
    const jwView = JSON.stringify(await click(h, jw, MEETING_VERBS.summons, { meetingId: meeting.id }));
    expect(jwView).toContain(JW_PERSON);
    expect(jwView).not.toContain(POLICE_PERSON);
    expect(jwView).toContain('1 melding bevat persoonsgegevens die jij niet mag inzien.');
    // The police see their own person only.
    const polView = JSON.stringify(await click(h, pol, MEETING_VERBS.summons, { meetingId: meeting.id }));
    expect(polView).toContain(POLICE_PERSON);
    expect(polView).not.toContain(JW_PERSON);
    // The school never gets person data, not even the count of what is withheld.
    const schoolView = JSON.stringify(await click(h, school, MEETING_VERBS.summons, { meetingId: meeting.id }));
    expect(schoolView).not.toContain(JW_PERSON);
    expect(schoolView).not.toContain(POLICE_PERSON);
    expect(schoolView).not.toContain('persoonsgegevens die jij niet');
    // An answer's card (which Teams may keep in the chat) has no person data either.
    expect(JSON.stringify(await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).not.toContain(JW_PERSON);
    // Nothing personal in the logs.
    const logs = h.logLines.join('\n');
    expect(logs).not.toContain(JW_PERSON);
    expect(logs).not.toContain(POLICE_PERSON);
    const audit = await h.store.readLog(AUDIT_LOG, 0, Infinity);
    expect(audit.filter((e) => e.entry.action === 'person-data.read' && e.entry.resource === `meeting:${meeting.ref}`).length).toBeGreaterThan(0);
  });
});

// --- preparation and advice -----------------------------------------------------------------------

describe('preparation (appendix 1) and advice beforehand', () => {
  it('stores the preparation per partner, editable until the start, visible to the organiser', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    const form = await click(h, jw, MEETING_VERBS.prepForm, { meetingId: meeting.id });
    expect(textOf(form)).toContain('Voorbereidingsformat (bijlage 1)');
    expect(findAll(form, (n) => n.id === 'mostAffected')).toHaveLength(1);
    const empty = await click(h, jw, MEETING_VERBS.prep, { meetingId: meeting.id });
    expect(textOf(empty)).toContain('Vul ten minste één veld in.');
    const saved = await click(h, jw, MEETING_VERBS.prep, { meetingId: meeting.id, nuisanceArea: 'Sumatraplein', classification: 'B', groupSize: '8', proposedApproach: 'Gesprekken en sport' });
    expect(textOf(saved)).toMatch(/Opgeslagen/);
    expect(textOf(await click(h, jw, MEETING_VERBS.prep, { meetingId: meeting.id, classification: 'X' }))).toContain('Kies A, B of C.');
    expect(textOf(await click(h, jw, MEETING_VERBS.prep, { meetingId: meeting.id, culturalBackground: 'x' }))).toContain('niet (meer) geldig');
    // The overview shows it; the organiser can open it; nobody else can.
    expect(textOf(await click(h, wm, MEETING_VERBS.overview, { meetingId: meeting.id }))).toMatch(/Jamal Jongerenwerk[\s\S]*Voorbereiding: ingevuld/);
    const view = await click(h, wm, MEETING_VERBS.prepView, { meetingId: meeting.id, organisation: 'jongerenwerk' });
    expect(textOf(view)).toContain('Gesprekken en sport');
    expect(textOf(await click(h, pol, MEETING_VERBS.prepView, { meetingId: meeting.id, organisation: 'jongerenwerk' }))).toContain('organisator');
    // A non-covenant organisation may prepare as well.
    expect(textOf(await click(h, school, MEETING_VERBS.prep, { meetingId: meeting.id, analysis: 'Leerlingen van ons in de groep' }))).toMatch(/Opgeslagen/);
    h.setNow('2026-03-30T08:00:01Z');
    expect(textOf(await click(h, jw, MEETING_VERBS.prep, { meetingId: meeting.id, analysis: 'te laat' }))).toContain('al begonnen');
    expect(textOf(await click(h, jw, MEETING_VERBS.prepForm, { meetingId: meeting.id }))).toContain('kan niet meer worden gewijzigd');
  });

  it('organisations asked for advice get a card with a text answer; the organiser sees it', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h), { adviceOrgs: 'woonbron', adviceQuestion: 'Zijn er huurders betrokken?' });
    const request = h.outbox.to('u-woonbron');
    expect(request.map((n) => n.id)).toEqual([noticeIds.advice(meeting.id, 'u-woonbron')]);
    expect(textOf(request[0]!.message)).toContain('Zijn er huurders betrokken?');
    expect(textOf(await click(h, woonbron, MEETING_VERBS.advice, { meetingId: meeting.id, answer: '' }))).toContain('Vul je advies');
    expect(textOf(await click(h, woonbron, MEETING_VERBS.advice, { meetingId: meeting.id, answer: 'Twee huishoudens, brief verstuurd.' }))).toContain('Je advies is opgeslagen');
    expect(textOf(await click(h, jw, MEETING_VERBS.advice, { meetingId: meeting.id, answer: 'ik ook' }))).toContain('niet om advies gevraagd');
    expect(textOf(await click(h, wm, MEETING_VERBS.overview, { meetingId: meeting.id }))).toContain('advies gegeven');
    expect(textOf(await click(h, wm, MEETING_VERBS.adviceView, { meetingId: meeting.id, organisation: 'woonbron' }))).toContain('Twee huishoudens');
    // Advisers are not invitees: no summons, no RSVP.
    expect(textOf(await click(h, woonbron, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' }))).toContain('niet (meer) uitgenodigd');
  });
});

// --- reminders ------------------------------------------------------------------------------------

describe('reminders', () => {
  const reminders = (h: Harness, userId: string) => h.outbox.to(userId).filter((n) => n.id.startsWith('meeting-reminder:')).map((n) => n.id.split(':')[3]);

  async function at(h: Harness, iso: string) {
    h.setNow(iso);
    await h.jobs.runDue();
  }

  it('fire at T-48 h and T-24 h (wall clock, across DST) to who has not answered, at T-2 h to who attends', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    // Just before T-48 (Saturday 28 March 10:00 CET): nothing.
    await at(h, '2026-03-28T08:59:00Z');
    expect(['u-jw', 'u-politie', 'u-school'].flatMap((u) => reminders(h, u))).toEqual([]);
    await at(h, '2026-03-28T09:00:00Z');
    expect(reminders(h, 'u-jw')).toEqual([]);
    expect(reminders(h, 'u-politie')).toEqual(['t48']);
    expect(reminders(h, 'u-school')).toEqual(['t48']);
    await click(h, pol, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'verhinderd', reason: 'Andere inzet' });
    // T-24: Sunday 29 March 10:00 CEST = 08:00Z (only 23 real hours after T-48).
    await at(h, '2026-03-29T08:00:00Z');
    expect(reminders(h, 'u-politie')).toEqual(['t48']);
    expect(reminders(h, 'u-school')).toEqual(['t48', 't24']);
    await click(h, school, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    // T-2: 08:00 CEST on the day, to who will attend.
    await at(h, '2026-03-30T06:00:00Z');
    expect(reminders(h, 'u-jw')).toEqual(['t2']);
    expect(reminders(h, 'u-school')).toEqual(['t48', 't24', 't2']);
    expect(reminders(h, 'u-politie')).toEqual(['t48']);
    expect(textOf(h.outbox.to('u-jw').at(-1)!.message)).toContain('Herinnering: het overleg begint maandag 30 maart 2026 om 10:00.');
    expect(await pendingJobs(h)).toEqual([]);
    // Each fires once: running a handler again (a second instance, a rerun after a crash) delivers nothing new.
    const before = h.outbox.delivered().length;
    await runReminderJob(h.ctx, { meetingId: meeting.id, version: 1, slot: 't2' });
    h.setNow('2026-03-29T08:30:00Z');
    await runReminderJob(h.ctx, { meetingId: meeting.id, version: 1, slot: 't24' });
    expect(h.outbox.delivered().length).toBe(before);
  });

  it('each reminder fires once, also with two instances running the jobs of one store', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    // A second bot instance: its own scheduler on the same store and the same (shared) outbox.
    const second = new InProcessJobs({ store: h.store, clock: h.ctx.clock, pollIntervalMs: 0 });
    registerMeetingJobs(second, { ...h.ctx, jobs: second });
    await second.start();
    try {
      h.setNow('2026-03-28T09:00:00Z');
      await Promise.all([h.jobs.runDue(), second.runDue(), h.jobs.runDue(), second.runDue()]);
      const sent = h.outbox.delivered((n) => n.id.startsWith('meeting-reminder:')).map((n) => n.recipient).sort();
      expect(sent).toEqual(['u-jw', 'u-politie', 'u-school']);
      expect(await pendingJobs(h)).toEqual(['t24', 't2'].map((x) => reminderJobId(meeting.id, 1, x)).sort());
    } finally {
      await second.stop();
    }
  });

  it('a reschedule sends an update card and moves the reminders; old ones never fire', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    const form = await click(h, wm, MEETING_VERBS.rescheduleForm, { meetingId: meeting.id });
    expect(findAll(form, (n) => n.id === 'date')[0]!.value).toBe('2026-03-30');
    const past = await click(h, wm, MEETING_VERBS.reschedule, { meetingId: meeting.id, version: 1, date: '2026-03-14', start: '10:00', end: '11:00', place: 'x' });
    expect(textOf(past)).toContain('in het verleden');
    expect((await stored(h, meeting.id)).version).toBe(1);
    const overview = await click(h, wm, MEETING_VERBS.reschedule, { meetingId: meeting.id, version: 1, date: '2026-04-02', start: '14:00', end: '15:00', place: 'Wijkcentrum Crabbehof' });
    expect(textOf(overview)).toContain('Verplaatst');
    const m = await stored(h, meeting.id);
    expect(m).toMatchObject({ state: 'verplaatst', version: 2, start: '2026-04-02T12:00:00.000Z', place: 'Wijkcentrum Crabbehof' });
    expect(m.invitees.find((i) => i.userId === 'u-jw')?.answer?.kind).toBe('aanwezig');
    expect(await pendingJobs(h)).toEqual(['t24', 't2', 't48'].map((s) => reminderJobId(meeting.id, 2, s)).sort());
    for (const u of ['u-jw', 'u-politie', 'u-school']) {
      const update = h.outbox.to(u).find((n) => n.id === noticeIds.update(meeting.id, 2, u));
      expect(textOf(update!.message)).toContain('Het overleg is verplaatst naar donderdag 2 april 2026, 14:00–15:00');
    }
    // A stale card (version 1) is refused; a double click of the same new time is harmless.
    expect(textOf(await click(h, wm, MEETING_VERBS.reschedule, { meetingId: meeting.id, version: 1, date: '2026-04-03', start: '14:00', end: '15:00', place: 'x' }))).toContain('intussen gewijzigd');
    await click(h, wm, MEETING_VERBS.reschedule, { meetingId: meeting.id, version: 1, date: '2026-04-02', start: '14:00', end: '15:00', place: 'Wijkcentrum Crabbehof' });
    expect((await stored(h, meeting.id)).version).toBe(2);
    // The old schedule's T-48 would have been 28 March: nothing then. An old job that runs anyway sends nothing.
    h.setNow('2026-03-28T09:00:00Z');
    await h.jobs.runDue();
    await runReminderJob(h.ctx, { meetingId: meeting.id, version: 1, slot: 't48' });
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-reminder:')).length).toBe(0);
    // The new T-48: Tuesday 31 March 14:00 CEST.
    h.setNow('2026-03-31T12:00:00Z');
    await h.jobs.runDue();
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-reminder:')).map((n) => n.id).sort()).toEqual(
      ['u-politie', 'u-school'].map((u) => noticeIds.reminder(meeting.id, 2, 't48', u)),
    );
  });

  it('a cancellation tells the invitees, removes the reminders, and a stray job sends nothing', async () => {
    const h = await harness();
    h.outbox.holdFor.add('u-school');
    const { meeting } = await planMeeting(h, await seedCase(h));
    expect(textOf(await click(h, wm, MEETING_VERBS.cancel, { meetingId: meeting.id, version: 1, reason: '' }))).toContain('Vul een reden in.');
    expect((await stored(h, meeting.id)).state).toBe('gepland');
    const overview = await click(h, wm, MEETING_VERBS.cancel, { meetingId: meeting.id, version: 1, reason: 'Situatie is opgelost' });
    expect(textOf(overview)).toContain('Geannuleerd: Situatie is opgelost');
    expect(await pendingJobs(h)).toEqual([]);
    for (const u of ['u-jw', 'u-politie']) expect(h.outbox.to(u).map((n) => n.id)).toContain(noticeIds.cancelled(meeting.id, u));
    // The school's summons never left the outbox: withdrawn, and no cancellation for a meeting they never heard of.
    expect((await h.outbox.status(noticeIds.summons(meeting.id, 'u-school')))?.state).toBe('cancelled');
    expect(h.outbox.notices.has(noticeIds.cancelled(meeting.id, 'u-school'))).toBe(false);
    h.setNow('2026-03-28T09:00:00Z');
    await runReminderJob(h.ctx, { meetingId: meeting.id, version: 1, slot: 't48' });
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-reminder:'))).toEqual([]);
    expect(textOf(await click(h, wm, MEETING_VERBS.rescheduleForm, { meetingId: meeting.id }))).toContain('niet meer worden verplaatst');
    const c = await caseByRef(h, meeting.cases[0]!.caseRef);
    expect(c.events.at(-1)).toMatchObject({ type: 'meeting', change: 'cancelled' });
  });

  it('"herinner wie nog niet reageerde" reminds now, once an hour at most', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    expect(textOf(await click(h, wm, MEETING_VERBS.remind, { meetingId: meeting.id }))).toContain('Herinnering verstuurd aan 2 personen.');
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-remind:')).map((n) => n.recipient).sort()).toEqual(['u-politie', 'u-school']);
    expect(textOf(await click(h, wm, MEETING_VERBS.remind, { meetingId: meeting.id }))).toContain('al een herinnering verstuurd');
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-remind:'))).toHaveLength(2);
    expect(textOf(await click(h, jw, MEETING_VERBS.remind, { meetingId: meeting.id }))).toContain('Alleen de organisator');
  });
});

// --- agreements -----------------------------------------------------------------------------------

describe('agreements after the meeting', () => {
  it('records interventions, tells the responsible partners, plans the follow-up and writes the timeline', async () => {
    const h = await harness();
    const ref = await seedCase(h);
    const { meeting } = await planMeeting(h, ref);
    expect(textOf(await click(h, wm, MEETING_VERBS.agreementsForm, { meetingId: meeting.id }))).toContain('na afloop');
    h.setNow('2026-03-30T10:00:00Z');
    const form = await click(h, wm, MEETING_VERBS.agreementsForm, { meetingId: meeting.id });
    const cardId = actionOf(form, MEETING_VERBS.agreements)!.data.cardId;
    // The follow-up is prefilled six weeks later, same time and place.
    expect(findAll(form, (n) => n.id === 'fuDate')[0]!.value).toBe('2026-05-11');
    expect(findAll(form, (n) => n.id === 'fuStart')[0]!.value).toBe('10:00');
    const inputs = {
      cardId,
      org_1: 'jongerenwerk',
      instrument_1: 'jongerenwerk:gesprek',
      feedbackDue_1: '2026-04-15',
      behaviourBy_1: '2026-05-11',
      org_2: 'politie',
      person_2: 'u-politie',
      instrument_2: 'politie:toezicht',
      what_2: 'Extra toezicht vrijdag- en zaterdagavond',
      feedbackDue_2: '2026-04-20',
      behaviourBy_2: '2026-05-11',
      followUp: 'true',
      fuDate: '2026-05-11',
      fuStart: '10:00',
      fuEnd: '11:00',
      fuPlace: 'Stadskantoor',
    };
    const bad = await click(h, wm, MEETING_VERBS.agreements, { ...inputs, instrument_1: 'politie:boete', feedbackDue_2: '2026-03-01' });
    expect(textOf(bad)).toContain('hoort bij een andere partner');
    expect(textOf(bad)).toContain('Deze datum ligt in het verleden.');
    expect((await stored(h, meeting.id)).state).toBe('gepland');
    expect(textOf(await click(h, wm, MEETING_VERBS.agreements, { cardId, followUp: 'false' }))).toContain('ten minste één interventie');

    const done = await click(h, wm, MEETING_VERBS.agreements, inputs);
    expect(textOf(done)).toContain('2 afspraken vastgelegd voor O-2026-00001.');
    expect(textOf(done)).toContain('Vervolgoverleg O-2026-00002 gepland op maandag 11 mei 2026, 10:00–11:00');
    const m = await stored(h, meeting.id);
    expect(m.state).toBe('afgelopen');
    expect(m.closed?.interventionIds).toHaveLength(2);
    const interventions = (await h.store.getMany<Intervention>(m.closed!.interventionIds.map(meetingKeys.intervention))).map((x) => x!.value);
    expect(interventions.map((i) => [i.organisation, i.responsibleUserIds, i.feedbackDue])).toEqual([
      ['jongerenwerk', ['u-jw'], '2026-04-15'],
      ['politie', ['u-politie'], '2026-04-20'],
    ]);
    // The feedback issue finds them by due date.
    expect((await h.store.range(meetingIndexes.interventionsByFeedbackDue, -Infinity, Infinity)).map((e) => e.member)).toEqual(m.closed!.interventionIds);
    // Each responsible partner gets their agreement.
    const jwAgreement = h.outbox.to('u-jw').find((n) => n.id.startsWith('agreement:'));
    expect(textOf(jwAgreement!.message)).toContain('Gesprek met jongeren over oorzaken');
    expect(textOf(jwAgreement!.message)).toContain('15 april 2026');
    const polAgreement = h.outbox.to('u-politie').find((n) => n.id.startsWith('agreement:'));
    expect(textOf(polAgreement!.message)).toContain('Toezicht: Extra toezicht vrijdag- en zaterdagavond');
    expect(h.outbox.to('u-school').some((n) => n.id.startsWith('agreement:'))).toBe(false);
    // The follow-up meeting: same cases and invitees, summons sent, linked both ways.
    const next = await stored(h, m.followUp!.meetingId);
    expect(next).toMatchObject({ ref: 'O-2026-00002', state: 'gepland', previous: { meetingId: m.id } });
    expect(next.invitees.map((i) => i.userId).sort()).toEqual(['u-jw', 'u-politie', 'u-school']);
    expect(h.outbox.to('u-school').some((n) => n.id === noticeIds.summons(next.id, 'u-school'))).toBe(true);
    // The case timeline.
    const c = await caseByRef(h, ref);
    expect(c.events.slice(-4).map((e) => e.type)).toEqual(['meeting', 'intervention-agreed', 'intervention-agreed', 'meeting']);
    const caseText = textOf((await viewCase(h.ctx, wm, ref, { details: false })).card);
    expect(caseText).toContain('Afspraken vastgelegd in casusoverleg O-2026-00001: 2 interventies');
    expect(caseText).toContain('Interventie afgesproken met Jongerenwerk Dordrecht, terugkoppeling uiterlijk 15 april 2026');
    // A second submit records nothing more.
    expect(textOf(await click(h, wm, MEETING_VERBS.agreements, inputs))).toContain('al vastgelegd');
    expect((await h.store.range(meetingIndexes.interventionsByFeedbackDue, -Infinity, Infinity))).toHaveLength(2);
  });
});

// --- my meetings ----------------------------------------------------------------------------------

describe('overleg (my meetings)', () => {
  it('lists meetings per role; answers through the commands', async () => {
    const h = await harness();
    const { meeting } = await planMeeting(h, await seedCase(h));
    const command = meetingsFeature.commands.find((c) => c.name === 'meetings.mine')!;
    expect(command.match.test('overleg')).toBe(true);
    expect(meetingsFeature.commands.find((c) => c.name === 'meetings.plan')!.match.test('overleg plannen')).toBe(true);
    const [mine] = await command.run(h.ctx, jw, 'overleg');
    expect(mine?.kind === 'card' && textOf(mine.card)).toContain(`${meeting.ref}`);
    expect(mine?.kind === 'card' && textOf(mine.card)).toContain('Nog niet gereageerd');
    const [organiser] = await command.run(h.ctx, wm, 'overleg');
    expect(organiser?.kind === 'card' && textOf(organiser.card)).toContain('Jij organiseert');
    const [none] = await command.run(h.ctx, woonbron, 'overleg');
    expect(none?.kind === 'card' && textOf(none.card)).toContain('geen komende overleggen');
    // meeting.open: the overview for the organiser, the summons for an invitee.
    expect(textOf(await click(h, wm, MEETING_VERBS.open, { meetingId: meeting.id }))).toContain('Overzicht casusoverleg');
    expect(textOf(await click(h, jw, MEETING_VERBS.open, { meetingId: meeting.id }))).toContain('Oproep casusoverleg');
    expect(textOf(await click(h, woonbron, MEETING_VERBS.open, { meetingId: meeting.id }))).toContain('geen toegang');
  });
});

// --- the same flow on the Redis store -------------------------------------------------------------

describe('on the Redis store', () => {
  it('plans, answers, reminds and cancels with the same results', async () => {
    const h = await harness('redis');
    const { meeting } = await planMeeting(h, await seedCase(h));
    expect(meeting.invitees.map((i) => i.userId).sort()).toEqual(['u-jw', 'u-politie', 'u-school']);
    await click(h, jw, MEETING_VERBS.rsvp, { meetingId: meeting.id, answer: 'aanwezig' });
    expect(textOf(await click(h, wm, MEETING_VERBS.overview, { meetingId: meeting.id }))).toContain('1 aanwezig · 0 vervanger · 0 verhinderd · 2 nog niet gereageerd');
    h.setNow('2026-03-28T09:00:00Z');
    await h.jobs.runDue();
    expect(h.outbox.delivered((n) => n.id.startsWith('meeting-reminder:')).map((n) => n.recipient).sort()).toEqual(['u-politie', 'u-school']);
    await click(h, wm, MEETING_VERBS.cancel, { meetingId: meeting.id, version: 1, reason: 'Opgelost' });
    expect(await pendingJobs(h)).toEqual([]);
    expect((await stored(h, meeting.id)).state).toBe('geannuleerd');
    const mine = await h.store.range(meetingIndexes.userMeetings('u-school'), -Infinity, Infinity);
    expect(mine.map((e) => e.member)).toEqual([meeting.id]);
  });
});
