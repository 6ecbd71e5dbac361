import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESCALATION_INBOX } from '../../src/app/escalation-trigger.js';
import { indexes, keys } from '../../src/app/signals.js';
import type { Signal } from '../../src/domain/signal.js';
import type { Store } from '../../src/ports.js';
import { actionExecute, message, post } from '../../test/support/teams.js';
import { cardIdOf, REPORTERS, signalInputs } from '../support/data.js';
import { withDeadline, type NodeChild } from '../support/proc.js';

/** What every drill reports: each check with PASS/FAIL and its figures. */
export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export interface DrillResult {
  name: string;
  pass: boolean;
  checks: Check[];
  figures: Record<string, number | string>;
  /** Parts of the drill that could not run yet (e.g. a feature that has not landed), with why. */
  notDone: string[];
  durationMs: number;
}

export class DrillReport {
  readonly checks: Check[] = [];
  readonly figures: Record<string, number | string> = {};
  readonly notDone: string[] = [];
  private readonly started = Date.now();

  constructor(readonly name: string) {}

  check(name: string, pass: boolean, detail = ''): boolean {
    this.checks.push({ name, pass, detail });
    return pass;
  }

  figure(name: string, value: number | string): void {
    this.figures[name] = value;
  }

  result(): DrillResult {
    return {
      name: this.name,
      pass: this.checks.length > 0 && this.checks.every((c) => c.pass),
      checks: this.checks,
      figures: this.figures,
      notDone: this.notDone,
      durationMs: Date.now() - this.started,
    };
  }
}

export function formatDrill(result: DrillResult): string {
  const lines = [`== ${result.name}: ${result.pass ? 'PASS' : 'FAIL'} (${(result.durationMs / 1000).toFixed(1)} s)`];
  for (const c of result.checks) lines.push(`   ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  const figures = Object.entries(result.figures).map(([k, v]) => `${k}=${v}`);
  if (figures.length) lines.push(`   figures: ${figures.join(', ')}`);
  for (const n of result.notDone) lines.push(`   NOT DONE  ${n}`);
  return lines.join('\n');
}

/** A temp dir per drill, removed at the end unless KEEP_DRILL_DATA is set. */
/**
 * Runs a drill's body within its deadline; whatever happens, `cleanup` stops what the drill started
 * (bots, stub, Redis, temp dir). A body that throws or overruns is one failed check, not a crash.
 */
export async function runDrill(report: DrillReport, deadlineMs: number, body: () => Promise<void>, cleanup: () => Promise<void>): Promise<DrillResult> {
  try {
    await withDeadline(report.name, deadlineMs, body());
  } catch (error) {
    report.check('drill ran to the end', false, (error as Error).message.slice(0, 500));
  } finally {
    await cleanup();
  }
  return report.result();
}

export function drillDir(name: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ovb-drill-${name}-`));
  return { dir, remove: () => (process.env.KEEP_DRILL_DATA ? undefined : fs.rmSync(dir, { recursive: true, force: true })) };
}

export const TRY_AGAIN = /probeer het zo opnieuw/i;
const SIGNAL_REF = /M-\d{4}-\d{5}/;

export type SubmitAnswer =
  | { kind: 'confirmed'; ref: string }
  | { kind: 'try-again' }
  | { kind: 'other'; status: number; text: string }
  /** No HTTP answer at all (connection refused or reset: the bot was killed). */
  | { kind: 'no-answer'; error: string };

/** A user clicking through the report form against one bot (or a round-robin of several). */
export class Reporter {
  constructor(
    readonly userId: string,
    private readonly serviceUrl: string,
  ) {}

  /** `signal.open-form` (Action.Execute from the help card): a fresh card id, or undefined when refused/unreachable. */
  async openForm(botUrl: string): Promise<{ cardId?: string; answer: SubmitAnswer }> {
    try {
      const res = await post(botUrl, actionExecute({ aadObjectId: this.userId }, this.serviceUrl, 'signal.open-form', {}));
      const text = JSON.stringify(res.body ?? '');
      if (res.status === 200 && text.includes('signal.submit')) return { cardId: cardIdOf(res.body), answer: { kind: 'other', status: 200, text: 'form' } };
      return { answer: TRY_AGAIN.test(text) ? { kind: 'try-again' } : { kind: 'other', status: res.status, text: text.slice(0, 300) } };
    } catch (error) {
      return { answer: { kind: 'no-answer', error: (error as Error).message } };
    }
  }

  async submit(botUrl: string, cardId: string, over: Record<string, unknown> = {}): Promise<SubmitAnswer> {
    try {
      const res = await post(botUrl, actionExecute({ aadObjectId: this.userId }, this.serviceUrl, 'signal.submit', { cardId, ...signalInputs(over) }));
      const text = JSON.stringify(res.body ?? '');
      const ref = SIGNAL_REF.exec(text)?.[0];
      if (res.status === 200 && ref && text.includes('Melding ontvangen')) return { kind: 'confirmed', ref };
      if (TRY_AGAIN.test(text)) return { kind: 'try-again' };
      return { kind: 'other', status: res.status, text: text.slice(0, 300) };
    } catch (error) {
      return { kind: 'no-answer', error: (error as Error).message };
    }
  }

  /** A chat message; the reply goes to the connector stub (match it by `replyToId` = the returned id). */
  async say(botUrl: string, text: string): Promise<{ id: string; status: number } | { id: string; error: string }> {
    const activity = message({ aadObjectId: this.userId }, this.serviceUrl, text);
    try {
      const res = await post(botUrl, activity);
      return { id: activity.id, status: res.status };
    } catch (error) {
      return { id: activity.id, error: (error as Error).message };
    }
  }
}

export const reporters = (serviceUrl: string) => REPORTERS.map((u) => new Reporter(u, serviceUrl));

/** The outcome of every card a drill submitted: what the user was told. */
export class Ledger {
  /** card id → the reference the user was shown (an acknowledged signal). */
  readonly confirmed = new Map<string, string>();
  /** card ids submitted without a confirmation (no answer, try-again, other). */
  readonly unconfirmed = new Map<string, { userId: string; answer: SubmitAnswer }>();
  tryAgain = 0;
  noAnswer = 0;
  other: string[] = [];

  record(userId: string, cardId: string, answer: SubmitAnswer): void {
    if (answer.kind === 'confirmed') {
      const earlier = this.confirmed.get(cardId);
      if (earlier && earlier !== answer.ref) this.other.push(`card ${cardId} confirmed as ${earlier} and as ${answer.ref}`);
      this.confirmed.set(cardId, answer.ref);
      this.unconfirmed.delete(cardId);
      return;
    }
    if (answer.kind === 'try-again') this.tryAgain++;
    else if (answer.kind === 'no-answer') this.noAnswer++;
    else if (this.other.length < 20) this.other.push(`${answer.status}: ${answer.text.slice(0, 160)}`);
    if (!this.confirmed.has(cardId)) this.unconfirmed.set(cardId, { userId, answer });
  }
}

/**
 * Workers that report signals in a loop (open the form, submit it) until `stop()`; `target()`
 * picks the bot for each request (one URL, or a round-robin). Every card's outcome goes to the ledger.
 */
export function reportInLoop(options: {
  reporters: Reporter[];
  workers: number;
  target: () => string;
  ledger: Ledger;
  location?: (n: number) => string;
  /** Pause between iterations of one worker (ms). */
  pauseMs?: number;
  /** Stop after this many submits in total. */
  maxSubmits?: number;
}): { stop(): Promise<void>; finished(): Promise<void>; submits(): number } {
  let running = true;
  let submits = 0;
  const loops = Array.from({ length: options.workers }, async (_, w) => {
    const reporter = options.reporters[w % options.reporters.length]!;
    while (running && (options.maxSubmits === undefined || submits < options.maxSubmits)) {
      const form = await reporter.openForm(options.target());
      if (!form.cardId) {
        if (form.answer.kind === 'try-again') options.ledger.tryAgain++;
        await pause(50);
        continue;
      }
      const n = submits++;
      const answer = await reporter.submit(options.target(), form.cardId, { location: options.location?.(n) ?? `Drillstraat ${n % 20}` });
      options.ledger.record(reporter.userId, form.cardId, answer);
      if (answer.kind !== 'confirmed') await pause(50);
      else if (options.pauseMs) await pause(options.pauseMs);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    /** Waits until `maxSubmits` were made, without stopping early. */
    finished: async () => void (await Promise.all(loops)),
    submits: () => submits,
  };
}

/** Polls `condition` every 50 ms until it holds (true) or `timeoutMs` passed (false). */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await pause(50);
  }
  return true;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface StoredSignal {
  id: string;
  ref: string;
  cardId: string;
}

/** Every signal of the drill's reporters, read directly from the store. */
export async function storedSignals(store: Store, userIds: readonly string[] = REPORTERS): Promise<StoredSignal[]> {
  const out: StoredSignal[] = [];
  for (const userId of userIds) {
    const entries = await store.range(indexes.userSignals(userId), -Infinity, Infinity);
    const docs = await store.getMany<Signal>(entries.map((e) => keys.signal(e.member)));
    for (const d of docs) if (d) out.push({ id: d.value.id, ref: d.value.ref, cardId: d.value.cardId });
  }
  return out;
}

/**
 * The invariants behind "every signal that got a confirmation is stored, none twice": every
 * confirmed card has its signal with the reference the user was shown; no card has two signals;
 * no reference is used twice.
 */
export function checkSignals(report: DrillReport, ledger: Ledger, stored: StoredSignal[], label = ''): void {
  const byCard = new Map<string, StoredSignal[]>();
  for (const s of stored) byCard.set(s.cardId, [...(byCard.get(s.cardId) ?? []), s]);
  const missing = [...ledger.confirmed].filter(([cardId, ref]) => !byCard.get(cardId)?.some((s) => s.ref === ref));
  const twice = [...byCard.values()].filter((list) => list.length > 1);
  const refs = new Set(stored.map((s) => s.ref));
  report.check(
    `${label}every confirmed signal is stored with the reference the user saw`,
    missing.length === 0,
    `${ledger.confirmed.size} confirmed, ${missing.length} missing${missing.length ? ` (e.g. ${missing.slice(0, 3).map(([c, r]) => `${r}/${c}`).join(', ')})` : ''}`,
  );
  report.check(`${label}no card stored twice`, twice.length === 0, `${stored.length} signals from ${byCard.size} cards, ${twice.length} cards with more than one`);
  report.check(`${label}no reference used twice`, refs.size === stored.length, `${refs.size} distinct references for ${stored.length} signals`);
  report.check(`${label}no unexpected answers`, ledger.other.length === 0, ledger.other.length ? ledger.other.slice(0, 3).join(' | ') : 'none');
}

/**
 * "Every stored signal had its rules evaluated": the escalation inbox (a signal's commit puts it
 * there, its evaluation takes it out; src/app/escalation-trigger.ts) is empty. Waits up to
 * `waitMs` for it: an evaluation that failed (Redis was down) is redone by the inbox recovery, which
 * runs every 30 s for entries older than 10 s.
 */
export async function checkEvaluated(report: DrillReport, store: Store, waitMs = 0, label = ''): Promise<void> {
  const deadline = Date.now() + waitMs;
  let left = await store.count(ESCALATION_INBOX, -Infinity, Infinity);
  while (left > 0 && Date.now() < deadline) {
    await pause(500);
    left = await store.count(ESCALATION_INBOX, -Infinity, Infinity);
  }
  report.check(`${label}every stored signal had its rules evaluated (the escalation inbox is empty)`, left === 0, `${left} signals still waiting for their evaluation`);
}

/**
 * Lines in a bot's log that must never be there: unhandled rejections (src/main.ts logs them as
 * `unhandled-rejection`) and what Node prints for an uncaught exception or rejection. Failed turns
 * (`turn.error`) are not in this list: while Redis is down they are expected, and answered.
 */
export function fatalLogLines(bot: NodeChild): string[] {
  return bot
    .log()
    .split('\n')
    .filter((l) => /"event":"unhandled-rejection"|UnhandledPromiseRejection|^Uncaught|uncaughtException|"level":60/.test(l));
}

export async function readyStatus(botUrl: string): Promise<number> {
  try {
    const res = await fetch(`${botUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
