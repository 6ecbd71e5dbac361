import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import type { AppContext } from '../../src/app/context.js';
import {
  FORM_TTL_MS,
  countPoliceContacts,
  indexes,
  keys,
  listMySignals,
  openPassOnForm,
  openSignalForm,
  passOnCase,
  signalsFeature,
  submitSignal,
  updateSignalForm,
  viewCase,
} from '../../src/app/signals.js';
import { SIGNAL_VERBS } from '../../src/cards/signal-cards.js';
import { changeCaseLevel } from '../../src/app/escalation.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { parseDirectory } from '../../src/domain/directory.js';
import { caseSchema, policeContactSchema, signalSchema, type Case, type PoliceContact, type Signal } from '../../src/domain/signal.js';
import { nl } from '../../src/i18n/nl.js';
import { createLogger } from '../../src/log.js';
import type { AdaptiveCard } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { InProcessJobs } from '../../src/jobs/index.js';
import { OutboxService } from '../../src/app/outbox-service.js';

const TZ = 'Europe/Amsterdam';

const directory = parseDirectory(`
organisations:
  - { id: politie, name: Politie basisteam Dordrecht, kind: politie, covenant: true }
  - { id: handhaving, name: Stadstoezicht Dordrecht, kind: handhaving, covenant: true }
  - { id: jongerenwerk, name: Jongerenwerk Dordrecht, kind: jongerenwerk, covenant: true }
  - { id: woonbron, name: Woningcorporatie Woonbron, kind: woningcorporatie, covenant: true }
  - { id: swt, name: Sociaal Wijkteam Crabbehof, kind: sociaal-wijkteam, covenant: true }
  - { id: gemeente, name: Gemeente Dordrecht, kind: gemeente, covenant: true }
  - { id: school, name: Da Vinci College, kind: school, covenant: false }
districts:
  - { id: crabbehof, name: Crabbehof, wijkmanagers: [u-wm], hotspots: [Sumatraplein, Jacob Marisstraat] }
  - { id: binnenstad, name: Binnenstad, wijkmanagers: [u-wm2], hotspots: [Statenplein, Scheffersplein] }
users:
  - { id: u-politie, name: Petra Politie, organisation: politie, roles: [partner], districts: [crabbehof] }
  - { id: u-handhaving, name: Hans Handhaving, organisation: handhaving, roles: [partner], districts: [crabbehof] }
  - { id: u-jw, name: Jamal Jongerenwerk, organisation: jongerenwerk, roles: [partner], districts: [crabbehof] }
  - { id: u-jw2, name: Julia Jongerenwerk, organisation: jongerenwerk, roles: [partner], districts: [crabbehof] }
  - { id: u-woonbron, name: Wendy Woonbron, organisation: woonbron, roles: [partner] }
  - { id: u-swt, name: Sanne Wijkteam, organisation: swt, roles: [partner], districts: [crabbehof] }
  - { id: u-school, name: Sietse School, organisation: school, roles: [partner] }
  - { id: u-wm, name: Willem Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [crabbehof] }
  - { id: u-wm2, name: Wies Wijkmanager, organisation: gemeente, roles: [wijkmanager], districts: [binnenstad] }
  - { id: u-vz, name: Vera Voorzitter, organisation: gemeente, roles: [voorzitter] }
  - { id: u-bh, name: Bea Beheerder, organisation: gemeente, roles: [beheerder] }
`);

const actor = (id: string): Actor => {
  const a = actorFromDirectory(directory, id);
  if (!a) throw new Error(`no actor ${id}`);
  return a;
};

// Person data used in tests: none of it may ever reach a log line.
const PERSON = { personName: 'Jan de Vries', personDob: '2008-05-01' };
const SECRET_TEXT = 'Beschrijving-met-geheime-inhoud';

interface Harness {
  ctx: AppContext;
  store: EmbeddedStore;
  dir: string;
  logLines: string[];
  setNow(d: Date): void;
}

const open: Harness[] = [];

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'overlastbot-signals-'));
  const store = await EmbeddedStore.open(dir);
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // Sunday 15 March 2026, 11:00 in Amsterdam.
  let now = new Date('2026-03-15T10:00:00Z');
  const clock = { now: () => now };
  const log = createLogger({ level: 'debug', destination });
  // Not started: evaluations the signals schedule stay queued; these tests are about the signals.
  const jobs = new InProcessJobs({ store, clock, pollIntervalMs: 0 });
  const outbox = new OutboxService({ store, jobs, messenger: { sendToUser: async () => ({ ok: true }) }, directory, clock, log });
  const ctx: AppContext = {
    store,
    directory,
    clock,
    log,
    timeZone: TZ,
    jobs,
    outbox,
  };
  const h = { ctx, store, dir, logLines, setNow: (d: Date) => (now = d) };
  open.push(h);
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.store.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
});

type El = Record<string, unknown>;

function elements(card: AdaptiveCard): El[] {
  const out: El[] = [];
  const walk = (items: unknown) => {
    for (const el of (items as El[] | undefined) ?? []) {
      out.push(el);
      walk(el.items);
    }
  };
  walk(card.body);
  return out;
}

const texts = (card: AdaptiveCard) => elements(card).filter((e) => e.type === 'TextBlock').map((e) => e.text as string);

function cardIdOf(card: AdaptiveCard): string {
  const action = (card.actions as El[] | undefined)?.find((a) => (a.data as El | undefined)?.cardId);
  const id = (action?.data as El | undefined)?.cardId;
  if (typeof id !== 'string') throw new Error(`no card id on card: ${JSON.stringify(card).slice(0, 300)}`);
  return id;
}

async function newCard(h: Harness, a: Actor): Promise<string> {
  return cardIdOf(await openSignalForm(h.ctx, a));
}

function formData(cardId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cardId,
    kind: 'overlast',
    district: 'crabbehof',
    location: 'Sumatraplein',
    observedDate: '2026-03-15',
    observedTime: '09:30',
    categories: 'geluid,hangjongeren',
    severity: 'middel',
    subject: 'locatie',
    source: 'eigen-waarneming',
    description: `Groep jongeren bij de bank. ${SECRET_TEXT}`,
    ...over,
  };
}

async function report(h: Harness, a: Actor, over: Record<string, unknown> = {}) {
  const result = await submitSignal(h.ctx, a, formData(await newCard(h, a), over));
  if (result.outcome !== 'created') throw new Error(`expected created, got ${result.outcome}: ${JSON.stringify(result)}`);
  return result;
}

/** Opschalen to overlast by the district's wijkmanager (the app's own use case). */
async function raiseToOverlast(h: Harness, ref: string): Promise<void> {
  const result = await changeCaseLevel(h.ctx, actor('u-wm'), (await caseByRef(h, ref)).id, 'overlast', 'Meerdere partners melden overlast.');
  if (result.outcome !== 'changed') throw new Error(`expected changed, got ${JSON.stringify(result)}`);
}

async function caseByRef(h: Harness, ref: string): Promise<Case> {
  const ptr = await h.store.get<{ caseId: string }>(keys.caseRef(ref));
  const c = ptr && (await h.store.get<Case>(keys.case(ptr.value.caseId)));
  if (!c) throw new Error(`no case ${ref}`);
  return c.value;
}

/** The facts (case details and assessment) of the case card the district's wijkmanager gets. */
async function wijkmanagerFacts(h: Harness, caseRef: string): Promise<{ title: string; value: string }[]> {
  const card = (await viewCase(h.ctx, actor('u-wm'), caseRef, { details: false })).card;
  return elements(card)
    .filter((e) => e.type === 'FactSet')
    .flatMap((f) => f.facts as { title: string; value: string }[]);
}

async function signalByRef(h: Harness, ref: string): Promise<Signal> {
  const ptr = await h.store.get<{ signalId: string }>(keys.signalRef(ref));
  const s = ptr && (await h.store.get<Signal>(keys.signal(ptr.value.signalId)));
  if (!s) throw new Error(`no signal ${ref}`);
  return s.value;
}

async function auditEntries(h: Harness): Promise<Record<string, unknown>[]> {
  return (await h.store.readLog(AUDIT_LOG, -Infinity, Infinity)).map((e) => e.entry);
}

const journal = (h: Harness) => readFileSync(join(h.dir, 'journal.jsonl'), 'utf8');

/** Journal records written since `before`: what a step stored, straight from disk. */
function writtenSince(h: Harness, before: string): { ops?: { op: string; log?: string; key?: string }[]; seq?: string }[] {
  const after = journal(h);
  expect(after.startsWith(before)).toBe(true);
  return after
    .slice(before.length)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Only audit entries were written: the refusal is recorded, nothing else is stored. */
function expectOnlyAudit(h: Harness, before: string) {
  const records = writtenSince(h, before);
  expect(records.length).toBeGreaterThan(0);
  for (const r of records) {
    expect(r.seq).toBeUndefined();
    for (const op of r.ops ?? []) expect({ op: op.op, log: op.log }).toEqual({ op: 'append', log: AUDIT_LOG });
  }
}

describe('reporting a signal', () => {
  it('a valid submit stores one signal, a new hinder case directed by the reporter, and confirms', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const result = await report(h, jw, { location: ' St. Jorisweg ' });

    expect(result).toMatchObject({ signalRef: 'M-2026-00001', caseRef: 'C-2026-00001', caseIsNew: true });
    const signal = await signalByRef(h, 'M-2026-00001');
    expect(signal).toMatchObject({
      kind: 'overlast',
      district: 'crabbehof',
      location: 'St. Jorisweg',
      locationKey: 'sint-jorisweg',
      observedAt: '2026-03-15T08:30:00.000Z',
      categories: ['geluid', 'hangjongeren'],
      reporter: { userId: 'u-jw', organisation: 'jongerenwerk', fromPolice: false },
      caseRef: 'C-2026-00001',
    });
    // Internal ids are random UUIDs, not the human reference.
    expect(signal.id).toMatch(/^[0-9a-f-]{36}$/);
    const c = await caseByRef(h, 'C-2026-00001');
    expect(c).toMatchObject({
      level: 'hinder',
      status: 'open',
      hinderDirector: 'jongerenwerk',
      involvedOrganisations: ['jongerenwerk'],
      signalCount: 1,
      events: [{ type: 'created', signalRef: 'M-2026-00001' }],
    });
    expect(await h.store.count(indexes.caseSignals(c.id), -Infinity, Infinity)).toBe(1);
    expect(await h.store.count(indexes.userSignals('u-jw'), -Infinity, Infinity)).toBe(1);
    expect(await h.store.count(indexes.locationSignals('crabbehof', 'sint-jorisweg'), -Infinity, Infinity)).toBe(1);

    const json = JSON.stringify(result.card);
    expect(json).toContain('M-2026-00001');
    expect(json).toContain(nl.signals.confirmation.caseNew('C-2026-00001'));
    expect(texts(result.card)).toContain(nl.signals.confirmation.nextHinderOwn);
    // The confirmation summarises without free text.
    expect(json).not.toContain(SECRET_TEXT);

    expect(await auditEntries(h)).toEqual([
      { actor: 'u-jw', action: 'signal.create', resource: 'signal:M-2026-00001', outcome: 'allow' },
      { actor: 'u-jw', action: 'case.create', resource: 'case:C-2026-00001', outcome: 'allow' },
    ]);
  });

  it('an invalid submit returns the same card with values and Dutch errors per field, and stores nothing', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const before = journal(h);
    const result = await submitSignal(
      h.ctx,
      jw,
      formData(cardId, { location: '', description: 'x'.repeat(2001), observedDate: '2026-03-16', severity: '' }),
    );
    if (result.outcome !== 'invalid') throw new Error(result.outcome);
    expect(result.codes).toEqual({
      location: 'locationRequired',
      description: 'descriptionTooLong',
      observedDate: 'observedInFuture',
      severity: 'severityRequired',
    });
    const els = elements(result.card);
    const idx = (id: string) => els.findIndex((e) => e.id === id);
    expect(els[idx('description')]!.value).toBe('x'.repeat(2001));
    expect(els[idx('description') + 1]).toMatchObject({ text: nl.signals.errors.descriptionTooLong, color: 'attention' });
    expect(els[idx('location') + 1]).toMatchObject({ text: nl.signals.errors.locationRequired });
    expect(els[idx('observedDate')]!.value).toBe('2026-03-16');
    // The same card instance: a corrected submit is still one card, one signal.
    expect(cardIdOf(result.card)).toBe(cardId);
    expect(journal(h)).toBe(before);

    const fixed = await submitSignal(h.ctx, jw, formData(cardId));
    expect(fixed.outcome).toBe('created');
  });

  it('a double submit of the same card creates one signal and answers with the same confirmation', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const first = await submitSignal(h.ctx, jw, formData(cardId));
    const before = journal(h);
    // A retry may even carry other values: the card was used, its signal stands.
    const second = await submitSignal(h.ctx, jw, formData(cardId, { location: 'Elders' }));
    expect(first.outcome).toBe('created');
    expect(second.outcome).toBe('duplicate');
    if (first.outcome !== 'created' || second.outcome !== 'duplicate') return;
    expect(second.signalRef).toBe(first.signalRef);
    expect(second.card).toEqual(first.card);
    expect(journal(h)).toBe(before);
    expect(await h.store.count(indexes.userSignals('u-jw'), -Infinity, Infinity)).toBe(1);
  });

  it('two concurrent submits of the same card create one signal', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const results = await Promise.all([submitSignal(h.ctx, jw, formData(cardId)), submitSignal(h.ctx, jw, formData(cardId))]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'duplicate']);
    const refs = results.map((r) => ('signalRef' in r ? r.signalRef : undefined));
    expect(refs[0]).toBe(refs[1]);
    expect(await h.store.count(indexes.userSignals('u-jw'), -Infinity, Infinity)).toBe(1);
    const c = await caseByRef(h, (results[0] as { caseRef: string }).caseRef);
    expect(c.signalCount).toBe(1);
  });

  it('concurrent submits of different cards on one case both land, none lost', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const hh = actor('u-handhaving');
    await report(h, jw);
    const [a, b] = await Promise.all([newCard(h, jw), newCard(h, hh)]);
    const results = await Promise.all([submitSignal(h.ctx, jw, formData(a)), submitSignal(h.ctx, hh, formData(b))]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created']);
    const c = await caseByRef(h, 'C-2026-00001');
    expect(c.signalCount).toBe(3);
    expect(await h.store.count(indexes.caseSignals(c.id), -Infinity, Infinity)).toBe(3);
    expect(c.involvedOrganisations.sort()).toEqual(['handhaving', 'jongerenwerk']);
  });
});

describe('forged and replayed submits are refused, audited, and store nothing else', () => {
  it('a card id that was never issued', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const forgedId = randomUUID();
    const before = journal(h);
    const result = await submitSignal(h.ctx, jw, formData(forgedId));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'unknown-card' });
    expect(texts(result.card)).toContain(nl.signals.refusals.unknownCard);
    expectOnlyAudit(h, before);
    expect(await auditEntries(h)).toEqual([
      { actor: 'u-jw', action: 'signal.create', resource: `form:${forgedId}`, outcome: 'refused', reason: 'unknown-card' },
    ]);
  });

  it('the card of another user', async () => {
    const h = await harness();
    const othersCard = await newCard(h, actor('u-handhaving'));
    const before = journal(h);
    const result = await submitSignal(h.ctx, actor('u-jw'), formData(othersCard));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'foreign-card' });
    expectOnlyAudit(h, before);
    expect((await auditEntries(h)).at(-1)).toEqual({
      actor: 'u-jw',
      action: 'signal.create',
      resource: `form:${othersCard}`,
      outcome: 'refused',
      reason: 'foreign-card',
    });
    // The owner can still use it.
    expect((await submitSignal(h.ctx, actor('u-handhaving'), formData(othersCard))).outcome).toBe('created');
  });

  it.each([
    ['fields the card does not have', { role: 'beheerder' }, 'unknown-fields'],
    ['police fields on a non-police card', { policeContact: 'true', policeReference: 'PL-1' }, 'unknown-fields'],
    ['a nested object', { description: { toString: 'x' } }, 'bad-shape'],
    ['oversized text', { description: 'x'.repeat(20_000) }, 'oversized'],
  ])('%s', async (_label, over, reason) => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const before = journal(h);
    const result = await submitSignal(h.ctx, jw, formData(cardId, over));
    expect(result).toMatchObject({ outcome: 'refused', reason });
    expectOnlyAudit(h, before);
    expect(await h.store.get(keys.formUsed(cardId))).toBeUndefined();
    // Refusals are logged without the payload.
    expect(h.logLines.join('')).not.toContain('beheerder"');
  });

  it('an expired card', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    h.setNow(new Date(Date.parse('2026-03-15T10:00:00Z') + FORM_TTL_MS + 60_000));
    const before = journal(h);
    const result = await submitSignal(h.ctx, jw, formData(cardId, { observedDate: '2026-03-22' }));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'expired-card' });
    expectOnlyAudit(h, before);
  });

  it('a user without a reporting role', async () => {
    const h = await harness();
    const result = await submitSignal(h.ctx, actor('u-bh'), formData(randomUUID()));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'role-required' });
    expect((await auditEntries(h)).at(-1)).toMatchObject({ actor: 'u-bh', outcome: 'deny', reason: 'role-required' });
    expect(texts(await openSignalForm(h.ctx, actor('u-bh')))).toContain(nl.signals.refusals.notAllowedToReport);
  });
});

describe('the form', () => {
  it('defaults to the user’s own district with its hotspots, and police users get the police fields', async () => {
    const h = await harness();
    const card = await openSignalForm(h.ctx, actor('u-jw'));
    const byId = (c: AdaptiveCard, id: string) => elements(c).find((e) => e.id === id);
    expect(byId(card, 'district')!.value).toBe('crabbehof');
    expect((byId(card, 'hotspot')!.choices as El[]).map((c) => c.value)).toEqual(['Sumatraplein', 'Jacob Marisstraat']);
    expect(byId(card, 'observedTime')!.value).toBe('11:00');
    expect(byId(card, 'policeContact')).toBeUndefined();
    expect(byId(await openSignalForm(h.ctx, actor('u-politie')), 'policeContact')).toBeDefined();
    // Woonbron's user has no district: none preselected.
    expect(byId(await openSignalForm(h.ctx, actor('u-woonbron')), 'district')!.value).toBeUndefined();
    const form = await h.store.get<{ userId: string; kind: string }>(keys.form(cardIdOf(card)));
    expect(form?.value).toMatchObject({ userId: 'u-jw', kind: 'signal' });
  });

  it('re-renders with the chosen district’s hotspots and keeps what was typed', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const card = await updateSignalForm(h.ctx, jw, { cardId, district: 'binnenstad', description: 'half af' });
    const byId = (id: string) => elements(card).find((e) => e.id === id);
    expect((byId('hotspot')!.choices as El[]).map((c) => c.value)).toEqual(['Statenplein', 'Scheffersplein']);
    expect(byId('description')!.value).toBe('half af');
    expect(cardIdOf(card)).toBe(cardId);
    // The hotspot of the chosen district is then a valid location.
    const result = await submitSignal(h.ctx, jw, formData(cardId, { district: 'binnenstad', location: '', hotspot: 'Statenplein' }));
    expect(result.outcome).toBe('created');
  });
});

describe('cases form per location, group or person', () => {
  it('a signal joins the open case for the same district and normalised location', async () => {
    const h = await harness();
    const first = await report(h, actor('u-jw'), { location: 'Sint-Jorisweg' });
    const second = await report(h, actor('u-handhaving'), { location: 'st.  jorisweg.' });
    expect(second.caseRef).toBe(first.caseRef);
    expect(second.caseIsNew).toBe(false);
    expect(texts(second.card)).toContain(nl.signals.confirmation.nextHinderOther('Jongerenwerk Dordrecht'));
    const c = await caseByRef(h, first.caseRef);
    expect(c.signalCount).toBe(2);
    expect(c.hinderDirector).toBe('jongerenwerk');
    expect(c.involvedOrganisations).toEqual(['jongerenwerk', 'handhaving']);
  });

  it('the same spot in another district, or a zorgmelding there, is another case', async () => {
    const h = await harness();
    const first = await report(h, actor('u-jw'), { location: 'Kerkplein' });
    const otherDistrict = await report(h, actor('u-jw'), { location: 'Kerkplein', district: 'binnenstad' });
    const zorg = await report(h, actor('u-jw'), { location: 'Kerkplein', kind: 'zorg' });
    expect(new Set([first.caseRef, otherDistrict.caseRef, zorg.caseRef]).size).toBe(3);
  });

  it('signals about the same person join one case, wherever they happen, without a name in any key', async () => {
    const h = await harness();
    const first = await report(h, actor('u-jw'), { subject: 'persoon', ...PERSON, location: 'Sumatraplein' });
    const second = await report(h, actor('u-handhaving'), {
      subject: 'persoon',
      personName: '  jan DE vries ',
      personDob: '2008-05-01',
      district: 'binnenstad',
      location: 'Statenplein',
    });
    expect(second.caseRef).toBe(first.caseRef);
    const other = await report(h, actor('u-handhaving'), { subject: 'persoon', personName: 'Jan de Vries', personDob: '2009-05-01', location: 'Elders' });
    expect(other.caseRef).not.toBe(first.caseRef);

    const c = await caseByRef(h, first.caseRef);
    expect(c.personKey).toMatch(/^[0-9a-f]{64}$/);
    const disk = journal(h);
    // Names live only inside the signal document; keys and indexes carry the HMAC.
    for (const line of disk.split('\n').filter(Boolean)) {
      for (const op of JSON.parse(line).ops ?? []) {
        // Not /2008/: a 64-digit hex HMAC contains those four digits now and then.
        expect(String(op.key ?? op.index ?? '')).not.toMatch(/vries|2008-05/i);
      }
    }
  });

  it('a zorgmelding goes to the care partner of the district, not to the reporter', async () => {
    const h = await harness();
    const result = await report(h, actor('u-handhaving'), { kind: 'zorg', location: 'Jacob Marisstraat 3', categories: 'overig', categoryOther: 'verwaarloosde woning' });
    const c = await caseByRef(h, result.caseRef);
    expect(c.kind).toBe('zorg');
    expect(c.hinderDirector).toBe('swt');
    expect(c.involvedOrganisations.sort()).toEqual(['handhaving', 'swt']);
    expect(texts(result.card)).toContain(nl.signals.confirmation.nextZorg('Sociaal Wijkteam Crabbehof'));
    // The care partner can open its case.
    expect((await viewCase(h.ctx, actor('u-swt'), result.caseRef, { details: false })).outcome).toBe('allowed');
  });

  it('a zorgmelding in a district without care partner is refused on the form, with nothing stored', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const cardId = await newCard(h, jw);
    const before = journal(h);
    const result = await submitSignal(h.ctx, jw, formData(cardId, { kind: 'zorg', district: 'binnenstad', location: 'Statenplein' }));
    expect(result).toMatchObject({ outcome: 'invalid', codes: { kind: 'noCarePartner' } });
    expect(texts(result.card)).toContain(nl.signals.errors.noCarePartner);
    expect(journal(h)).toBe(before);
  });
});

describe('police contacts (mutaties) feed the "2 in 6 months" threshold', () => {
  it('are recorded per person and counted in person-police:<key>', async () => {
    const h = await harness();
    const pol = actor('u-politie');
    const first = await report(h, pol, { subject: 'persoon', ...PERSON, policeContact: 'true', policeReference: 'PL1800-2026-001' });
    h.setNow(new Date('2026-03-20T10:00:00Z'));
    await report(h, pol, {
      subject: 'persoon',
      ...PERSON,
      observedDate: '2026-03-20',
      location: 'Elders',
      policeContact: 'true',
      policeReference: 'PL1800-2026-002',
    });
    // Without a police contact: not counted.
    await report(h, pol, { subject: 'persoon', ...PERSON, observedDate: '2026-03-20', policeContact: 'false' });

    const c = await caseByRef(h, first.caseRef);
    const pKey = c.personKey!;
    const to = new Date('2026-03-20T10:00:00Z');
    const from = new Date('2025-09-20T10:00:00Z');
    expect(await countPoliceContacts(h.store, pKey, from, to)).toBe(2);
    expect(await h.store.count(indexes.personPolice(pKey), -Infinity, Infinity)).toBe(2);
    expect(await h.store.count(indexes.casePolice(c.id), -Infinity, Infinity)).toBe(2);
    // The window is by observation time: only the second falls after 16 March.
    expect(await countPoliceContacts(h.store, pKey, new Date('2026-03-16T00:00:00Z'), to)).toBe(1);

    const signal = await signalByRef(h, first.signalRef);
    const contact = await h.store.get<PoliceContact>(keys.policeContact(signal.policeContactId!));
    expect(contact?.value).toMatchObject({ reference: 'PL1800-2026-001', personKey: pKey, caseId: c.id, signalRef: first.signalRef });
    expect((await auditEntries(h)).filter((e) => e.action === 'police-contact.create')).toHaveLength(2);
  });
});

describe('what a submit stores', () => {
  // storeSignal builds these from the validated form without a zod pass (the hot path): the schemas
  // are the contract every reader relies on, so every kind of submit is checked against them here.
  it('a signal, its case and its police contact satisfy their schemas, for every kind of report', async () => {
    const h = await harness();
    const results = [
      await report(h, actor('u-jw')),
      await report(h, actor('u-jw2'), { categories: 'overig,geluid', categoryOther: 'Vuurwerk' }),
      await report(h, actor('u-politie'), { subject: 'persoon', ...PERSON, policeContact: 'true', policeReference: 'PL1800-2026-009' }),
      await report(h, actor('u-handhaving'), { subject: 'groep', groupSize: '6', location: 'Jacob Marisstraat' }),
      await report(h, actor('u-swt'), { kind: 'zorg', subject: 'persoon', ...PERSON, location: 'Elders' }),
    ];
    let contacts = 0;
    for (const r of results) {
      const signal = await signalByRef(h, r.signalRef);
      expect(signalSchema.safeParse(signal).error?.issues ?? []).toEqual([]);
      expect(caseSchema.safeParse(await caseByRef(h, r.caseRef)).error?.issues ?? []).toEqual([]);
      if (signal.policeContactId) {
        contacts++;
        const contact = await h.store.get<PoliceContact>(keys.policeContact(signal.policeContactId));
        expect(policeContactSchema.safeParse(contact?.value).error?.issues ?? []).toEqual([]);
      }
    }
    expect(contacts).toBe(1);
  });
});

describe('mijn meldingen', () => {
  it('lists the user’s own recent signals, newest first, with case and level', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const a = await report(h, jw, { location: 'Sumatraplein' });
    h.setNow(new Date('2026-03-15T11:00:00Z'));
    const b = await report(h, jw, { location: 'Jacob Marisstraat' });
    await report(h, actor('u-handhaving'), { location: 'Elders' });

    const card = await listMySignals(h.ctx, jw);
    const json = JSON.stringify(card);
    expect(json.indexOf(b.signalRef)).toBeLessThan(json.indexOf(a.signalRef));
    expect(texts(card)).toContain(nl.signals.mine.caseAndLevel(a.caseRef, 'Hinder'));
    expect(json).not.toContain('Elders');
    expect(texts(await listMySignals(h.ctx, actor('u-woonbron')))).toContain(nl.signals.mine.empty);
  });
});

describe('casus <ref>: need-to-know', () => {
  it('allows the involved organisation and the municipality, denies others; every read is audited', async () => {
    const h = await harness();
    const { caseRef } = await report(h, actor('u-jw'));

    const allowed = await viewCase(h.ctx, actor('u-jw2'), caseRef.toLowerCase(), { details: false });
    expect(allowed.outcome).toBe('allowed');
    expect(texts(allowed.card)).toContain(nl.signals.caseCard.title(caseRef));
    expect((await viewCase(h.ctx, actor('u-wm'), caseRef, { details: false })).outcome).toBe('allowed');
    expect((await viewCase(h.ctx, actor('u-vz'), caseRef, { details: false })).outcome).toBe('allowed');

    const denied = await viewCase(h.ctx, actor('u-woonbron'), caseRef, { details: false });
    expect(denied).toMatchObject({ outcome: 'refused', reason: 'not-involved' });
    expect(texts(denied.card)).toContain(nl.signals.refusals.caseDenied(caseRef));
    expect(JSON.stringify(denied.card)).not.toContain(SECRET_TEXT);
    expect((await viewCase(h.ctx, actor('u-wm2'), caseRef, { details: false })).outcome).toBe('refused');

    const reads = (await auditEntries(h)).filter((e) => e.action === 'case.read');
    expect(reads).toEqual([
      { actor: 'u-jw2', action: 'case.read', resource: `case:${caseRef}`, outcome: 'allow' },
      { actor: 'u-wm', action: 'case.read', resource: `case:${caseRef}`, outcome: 'allow' },
      { actor: 'u-vz', action: 'case.read', resource: `case:${caseRef}`, outcome: 'allow' },
      { actor: 'u-woonbron', action: 'case.read', resource: `case:${caseRef}`, outcome: 'deny', reason: 'not-involved' },
      { actor: 'u-wm2', action: 'case.read', resource: `case:${caseRef}`, outcome: 'deny', reason: 'not-involved' },
    ]);
  });

  it('answers unknown and malformed references clearly', async () => {
    const h = await harness();
    const missing = await viewCase(h.ctx, actor('u-jw'), 'C-2026-09999', { details: false });
    expect(missing).toMatchObject({ outcome: 'refused', reason: 'not-found' });
    expect(texts(missing.card)).toContain(nl.signals.refusals.caseNotFound('C-2026-09999'));
    const bad = await viewCase(h.ctx, actor('u-jw'), '[x](http://evil)', { details: false });
    expect(bad).toMatchObject({ outcome: 'refused', reason: 'bad-ref' });
    expect(texts(bad.card)[1]).toContain('\\[x\\]\\(http://evil\\)');
  });

  it('shows the assessment figures of the case', async () => {
    const h = await harness();
    const { caseRef } = await report(h, actor('u-jw'), { observedDate: '2026-03-14', observedTime: '23:30', categories: 'geluid' });
    await report(h, actor('u-handhaving'), { observedDate: '2026-03-15', observedTime: '10:00', categories: 'drugs', severity: 'hoog' });
    const facts = await wijkmanagerFacts(h, caseRef);
    const a = nl.signals.caseCard.assessment;
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: a.last7, value: '2' },
        { title: a.organisations, value: '2' },
        { title: a.night, value: a.nightValue(50, 1) },
        { title: a.severity, value: 'Hoog' },
        { title: a.regularity, value: a.regularityValue(2, 1) },
        { title: a.categories, value: a.categoriesValue(2, 'Geluid, Drugs') },
      ]),
    );
  });

  it('assesses from the facts index, which holds no names or free text, and from the documents when a case has no complete index', async () => {
    const h = await harness();
    const { caseRef } = await report(h, actor('u-jw'), { observedDate: '2026-03-14', observedTime: '23:30', categories: 'geluid' });
    await report(h, actor('u-handhaving'), { observedDate: '2026-03-15', observedTime: '10:00', categories: 'drugs', severity: 'hoog' });
    await report(h, actor('u-politie'), { subject: 'persoon', ...PERSON, observedDate: '2026-03-15', observedTime: '11:00', categories: 'geluid', description: SECRET_TEXT });
    const fromIndex = await wijkmanagerFacts(h, caseRef);
    const a = nl.signals.caseCard.assessment;
    expect(fromIndex).toEqual(
      expect.arrayContaining([
        { title: a.total, value: '3' },
        { title: a.organisations, value: '3' },
        { title: a.night, value: a.nightValue(33, 1) },
        { title: a.severity, value: 'Hoog' },
        { title: a.categories, value: a.categoriesValue(2, 'Geluid, Drugs') },
      ]),
    );

    const c = await caseByRef(h, caseRef);
    const members = (await h.store.range(indexes.caseSignalFacts(c.id), -Infinity, Infinity)).map((e) => e.member);
    expect(members).toHaveLength(3);
    for (const m of members) {
      expect(m).not.toContain(PERSON.personName);
      expect(m).not.toContain(SECRET_TEXT);
    }

    // A case stored before the index existed (or with one entry missing): the same figures, from the documents.
    await h.store.commit([{ op: 'unindex', index: indexes.caseSignalFacts(c.id), member: members[0]! }]);
    expect(await wijkmanagerFacts(h, caseRef)).toEqual(fromIndex);
  });

  it('person data: the reporting organisation and the municipality see it, another partner sees only that it exists', async () => {
    const h = await harness();
    const person = await report(h, actor('u-jw'), {
      subject: 'persoon',
      ...PERSON,
      location: 'Sumatraplein',
      description: 'Over-deze-persoon-geschreven',
    });
    // Handhaving reports at the same spot, so it is involved in the case and may read it.
    await report(h, actor('u-handhaving'), { location: 'Sumatraplein' });
    const ref = person.caseRef;

    const seen = async (id: string, details: boolean) => {
      const r = await viewCase(h.ctx, actor(id), ref, { details });
      if (r.outcome !== 'allowed') throw new Error(`${id}: ${r.outcome}`);
      return r;
    };
    // Base card (chat history): no names for anyone, but a refresh for those who may see them.
    const base = await seen('u-jw', false);
    expect(JSON.stringify(base.card)).not.toContain('Vries');
    expect(JSON.stringify(base.card)).not.toContain('2008-05-01');
    expect(base.card.refresh).toMatchObject({ action: { verb: SIGNAL_VERBS.caseDetails }, userIds: ['u-jw'] });

    const own = await seen('u-jw2', true);
    expect(own.personDataShown).toBe(true);
    expect(texts(own.card)).toContain(nl.signals.caseCard.personShown('Jan de Vries', '2008-05-01'));
    // §2: at hinder level nothing is shared, not even with the municipality; from overlast on it is.
    expect((await seen('u-wm', true)).personDataShown).toBe(false);
    await raiseToOverlast(h, ref);
    const wm = await seen('u-wm', true);
    expect(wm.personDataShown).toBe(true);

    const other = await seen('u-handhaving', true);
    expect(other.personDataShown).toBe(false);
    expect(texts(other.card)).toContain(nl.signals.caseCard.personHidden);
    expect(JSON.stringify(other.card)).not.toContain('Vries');
    // A description about a person goes with the person data.
    expect(JSON.stringify(other.card)).not.toContain('Over-deze-persoon-geschreven');
    expect(texts(other.card)).toContain(nl.signals.caseCard.descriptionHidden);
    expect(JSON.stringify(own.card)).toContain('Over-deze-persoon-geschreven');
    expect((await seen('u-handhaving', false)).card.refresh).toBeUndefined();

    const personAudit = (await auditEntries(h)).filter((e) => e.action === 'person-data.read');
    expect(personAudit).toEqual([
      { actor: 'u-jw2', action: 'person-data.read', resource: `case:${ref}`, outcome: 'allow' },
      { actor: 'u-wm', action: 'person-data.read', resource: `case:${ref}`, outcome: 'redact' },
      { actor: 'u-wm', action: 'person-data.read', resource: `case:${ref}`, outcome: 'allow' },
      { actor: 'u-handhaving', action: 'person-data.read', resource: `case:${ref}`, outcome: 'redact' },
    ]);
  });

  it('police person data (WPG): the municipality and the police see it, other partners do not', async () => {
    const h = await harness();
    const pol = await report(h, actor('u-politie'), {
      subject: 'persoon',
      ...PERSON,
      location: 'Sumatraplein',
      policeContact: 'true',
      policeReference: 'PL1800-2026-777',
    });
    await report(h, actor('u-jw'), { location: 'Sumatraplein' });
    const view = (id: string) => viewCase(h.ctx, actor(id), pol.caseRef, { details: true });

    const jw = await view('u-jw');
    expect(jw.outcome).toBe('allowed');
    const jwJson = JSON.stringify(jw.card);
    expect(jwJson).not.toContain('Vries');
    expect(jwJson).not.toContain('PL1800-2026-777');
    expect(texts(jw.card)).toContain(nl.signals.caseCard.policeContact);

    // At hinder only the police itself; the municipality from overlast on (§2, §4).
    expect(JSON.stringify((await view('u-wm')).card)).not.toContain('Vries');
    await raiseToOverlast(h, pol.caseRef);
    for (const id of ['u-wm', 'u-vz', 'u-politie']) {
      const r = await view(id);
      expect(JSON.stringify(r.card)).toContain('Jan de Vries');
      expect(texts(r.card)).toContain(nl.signals.caseCard.policeReference('PL1800-2026-777'));
    }
    expect((await view('u-wm2')).outcome).toBe('refused');
  });

  it('a non-covenant organisation never sees person data, even of its own signal', async () => {
    const h = await harness();
    const r = await report(h, actor('u-school'), { subject: 'persoon', ...PERSON, location: 'Schoolplein' });
    const view = await viewCase(h.ctx, actor('u-school'), r.caseRef, { details: true });
    expect(view.outcome).toBe('allowed');
    expect(JSON.stringify(view.card)).not.toContain('Vries');
  });
});

describe('doorzetten naar wijkmanager', () => {
  it('records the request with its reason on the case, waiting for delivery', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const { caseRef } = await report(h, jw);

    const caseView = await viewCase(h.ctx, jw, caseRef, { details: false });
    expect((caseView.card.actions as El[]).map((a) => a.verb)).toContain(SIGNAL_VERBS.passOnForm);

    const form = await openPassOnForm(h.ctx, jw, { caseRef });
    expect(form.outcome).toBe('form');
    const cardId = cardIdOf(form.card);

    const before = journal(h);
    const empty = await passOnCase(h.ctx, jw, { cardId, caseRef, reason: '   ' });
    expect(empty).toMatchObject({ outcome: 'form', error: nl.signals.refusals.passOnReasonRequired });
    expect(journal(h)).toBe(before);

    const reason = 'Interventies werken niet, meer partners krijgen meldingen.';
    const done = await passOnCase(h.ctx, jw, { cardId, caseRef, reason });
    expect(done.outcome).toBe('recorded');
    expect(texts(done.card)).toContain(nl.signals.passOn.done(caseRef));
    const again = await passOnCase(h.ctx, jw, { cardId, caseRef, reason });
    expect(again.outcome).toBe('duplicate');

    const c = await caseByRef(h, caseRef);
    expect(c.level).toBe('hinder');
    expect(c.passOns).toEqual([expect.objectContaining({ reason, status: 'pending-delivery', by: { userId: 'u-jw', organisation: 'jongerenwerk' } })]);
    expect(c.events.at(-1)).toMatchObject({ type: 'pass-on-requested', passOnId: c.passOns[0]!.id });
    expect(await h.store.count(indexes.passOnPending, -Infinity, Infinity)).toBe(1);
    const stored = await h.store.get<Record<string, unknown>>(keys.passOn(c.passOns[0]!.id));
    expect(stored?.value).toMatchObject({ caseRef, district: 'crabbehof', status: 'pending-delivery' });

    const card = (await viewCase(h.ctx, actor('u-wm'), caseRef, { details: false })).card;
    expect(texts(card).some((x) => x.includes('wacht op aflevering'))).toBe(true);
    expect(texts(card)).toContain(reason);
    expect(elements(card).some((e) => e.type === 'FactSet' && JSON.stringify(e).includes(nl.signals.caseCard.events.passOnRequested))).toBe(true);
    // No second request while one is waiting.
    expect(await openPassOnForm(h.ctx, jw, { caseRef })).toMatchObject({ outcome: 'refused', reason: 'pass-on-pending' });
    expect((await auditEntries(h)).filter((e) => e.action === 'case.pass-on' && e.outcome === 'allow')).toHaveLength(1);
  });

  it('a pass-on and a new signal on the same case at the same time both land', async () => {
    const h = await harness();
    const jw = actor('u-jw');
    const { caseRef } = await report(h, jw);
    const passOnCard = cardIdOf((await openPassOnForm(h.ctx, jw, { caseRef })).card);
    const signalCard = await newCard(h, actor('u-handhaving'));
    const [passOn, signal] = await Promise.all([
      passOnCase(h.ctx, jw, { cardId: passOnCard, caseRef, reason: 'Het jongerenwerk komt er niet meer tussen.' }),
      submitSignal(h.ctx, actor('u-handhaving'), formData(signalCard)),
    ]);
    expect([passOn.outcome, signal.outcome]).toEqual(['recorded', 'created']);
    const c = await caseByRef(h, caseRef);
    expect(c.passOns).toHaveLength(1);
    expect(c.signalCount).toBe(2);
    expect(c.involvedOrganisations).toContain('handhaving');
  });

  it('is refused for an organisation not involved, and for a card of another user', async () => {
    const h = await harness();
    const { caseRef } = await report(h, actor('u-jw'));
    const denied = await openPassOnForm(h.ctx, actor('u-woonbron'), { caseRef });
    expect(denied).toMatchObject({ outcome: 'refused', reason: 'not-involved' });
    expect((await auditEntries(h)).at(-1)).toMatchObject({ actor: 'u-woonbron', action: 'case.pass-on', outcome: 'deny' });

    const form = await openPassOnForm(h.ctx, actor('u-jw'), { caseRef });
    const cardId = cardIdOf(form.card);
    const stolen = await passOnCase(h.ctx, actor('u-jw2'), { cardId, caseRef, reason: 'Ik neem het over want het werkt niet' });
    expect(stolen).toMatchObject({ outcome: 'refused', reason: 'foreign-card' });
    const otherCase = await passOnCase(h.ctx, actor('u-jw'), { cardId, caseRef: 'C-2026-00099', reason: 'Een andere casus dan op de kaart' });
    expect(otherCase).toMatchObject({ outcome: 'refused', reason: 'unknown-card' });
    const extra = await passOnCase(h.ctx, actor('u-jw'), { cardId, caseRef, reason: 'Reden van voldoende lengte', level: 'ernstig' });
    expect(extra).toMatchObject({ outcome: 'refused', reason: 'bad-shape' });
    expect((await caseByRef(h, caseRef)).passOns).toEqual([]);
  });
});

describe('logs carry ids and references only', () => {
  it('never a name, date of birth or free text', async () => {
    const h = await harness();
    const pol = actor('u-politie');
    const r = await report(h, pol, { subject: 'persoon', ...PERSON, policeContact: 'true', policeReference: 'PL-SECRET-1' });
    const cardId = await newCard(h, pol);
    await submitSignal(h.ctx, pol, formData(cardId, { subject: 'persoon', ...PERSON, description: '' }));
    await submitSignal(h.ctx, pol, formData(randomUUID(), { subject: 'persoon', ...PERSON }));
    await viewCase(h.ctx, actor('u-wm'), r.caseRef, { details: true });
    await viewCase(h.ctx, actor('u-jw'), r.caseRef, { details: true });
    const all = h.logLines.join('\n');
    expect(h.logLines.length).toBeGreaterThan(3);
    for (const secret of ['Vries', '2008-05-01', SECRET_TEXT, 'PL-SECRET-1', 'Sumatraplein']) expect(all).not.toContain(secret);
    expect(all).toContain(r.signalRef);
  });
});

describe('the feature as the Teams layer sees it', () => {
  it('answers its commands and verbs', async () => {
    const h = await harness();
    const match = (text: string) => signalsFeature.commands.find((c) => c.match.test(text))?.name;
    expect(match('melding')).toBe('signals.new');
    expect(match('nieuwe melding')).toBe('signals.new');
    expect(match('mijn meldingen')).toBe('signals.mine');
    expect(match('casus c-2026-00001')).toBe('signals.case');
    expect(match('meldingen')).toBeUndefined();
    expect(signalsFeature.actions.map((a) => a.verb).sort()).toEqual(Object.values(SIGNAL_VERBS).sort());

    const jw = actor('u-jw');
    const [formMessage] = await signalsFeature.commands.find((c) => c.name === 'signals.new')!.run(h.ctx, jw, 'melding');
    expect(formMessage).toMatchObject({ kind: 'card', summary: nl.signals.form.title });
    const cardId = cardIdOf((formMessage as { card: AdaptiveCard }).card);
    const submit = signalsFeature.actions.find((a) => a.verb === SIGNAL_VERBS.submit)!;
    const answer = await submit.run(h.ctx, jw, formData(cardId));
    expect(answer.kind).toBe('card');
    expect(JSON.stringify(answer)).toContain('M-2026-00001');

    const caseCommand = signalsFeature.commands.find((c) => c.name === 'signals.case')!;
    const [caseMessage] = await caseCommand.run(h.ctx, jw, 'casus c-2026-00001');
    expect(JSON.stringify(caseMessage)).toContain(nl.signals.caseCard.title('C-2026-00001'));
    const [noRef] = await caseCommand.run(h.ctx, jw, 'casus');
    expect(noRef).toEqual({ kind: 'text', text: nl.help.actions.casus.description });

    const details = signalsFeature.actions.find((a) => a.verb === SIGNAL_VERBS.caseDetails)!;
    expect((await details.run(h.ctx, jw, { caseRef: 'C-2026-00001', extra: 1 })).kind).toBe('card');
    expect((await auditEntries(h)).at(-1)).toMatchObject({ action: 'case.read', outcome: 'refused', reason: 'bad-shape' });
  });
});
