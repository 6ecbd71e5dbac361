import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../src/app/context.js';
import { keys, openSignalForm, submitSignal } from '../../src/app/signals.js';
import { actorFromDirectory, type Actor } from '../../src/domain/actor.js';
import { loadDirectory } from '../../src/domain/directory.js';
import { createLogger } from '../../src/log.js';
import { systemClock, type AdaptiveCard, type Messenger, type Store } from '../../src/ports.js';
import { InProcessJobs } from '../../src/jobs/index.js';
import { OutboxService } from '../../src/app/outbox-service.js';
import { amsterdam } from '../../test/support/amsterdam.js';
import { TEST_DIRECTORY } from './proc.js';

export { amsterdam };

/**
 * Test data prepared with the project's own code on the store the bot will open afterwards (same
 * data dir, same Redis): report-form card ids for the submit workload and a case with ~50 signals.
 */

export const TIME_ZONE = 'Europe/Amsterdam';
/** Non-police partners in district crabbehof (test/fixtures/directory.yaml): the reporters under load. */
export const REPORTERS = ['u-handhaving', 'u-jongerenwerk', 'u-swt'] as const;
export const WIJKMANAGER = 'u-wijkmanager';

export function benchContext(store: Store): AppContext {
  const base = { store, directory: loadDirectory(TEST_DIRECTORY), clock: systemClock, log: createLogger({ level: 'silent' }), timeZone: TIME_ZONE };
  // Not started: rule evaluations the preparation schedules wait in the store for the bot.
  const jobs = new InProcessJobs({ store, clock: systemClock, pollIntervalMs: 0 });
  const messenger: Messenger = { sendToUser: async () => ({ ok: false, reason: 'no-conversation' }) };
  return { ...base, jobs, outbox: new OutboxService({ ...base, jobs, messenger }) };
}

export function actor(ctx: AppContext, userId: string): Actor {
  const a = actorFromDirectory(ctx.directory, userId);
  if (!a) throw new Error(`bench: user ${userId} is not in ${TEST_DIRECTORY}`);
  return a;
}

/** The report form's inputs as Teams sends them on submit (a valid signal about a location). */
export function signalInputs(over: Record<string, unknown> = {}): Record<string, unknown> {
  const { date, time } = amsterdam();
  return {
    kind: 'overlast',
    district: 'crabbehof',
    location: 'Sumatraplein',
    observedDate: date,
    observedTime: time,
    categories: 'geluid,hangjongeren',
    severity: 'middel',
    subject: 'locatie',
    source: 'eigen-waarneming',
    description: 'Groep van ongeveer acht jongeren, harde muziek bij de speeltuin.',
    ...over,
  };
}

/** The card id of a report form (the data of its `signal.submit` action). */
export function cardIdOf(card: unknown): string {
  let found: string | undefined;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as Record<string, any>;
    if (n.type === 'Action.Execute' && n.verb === 'signal.submit' && typeof n.data?.cardId === 'string') found = n.data.cardId;
    else Object.values(n).forEach(walk);
  };
  walk(card);
  if (!found) throw new Error('bench: no signal.submit action with a cardId on the card');
  return found;
}

export interface IssuedCard {
  userId: string;
  cardId: string;
}

/**
 * `n` fresh report-form card ids, spread over `users`. The first is issued by `openSignalForm`
 * itself; the rest copy the document it stored (so the layout is the project's, not a guess) and
 * are written in batches — one journal fsync per 500 cards instead of one per card.
 */
export async function issueCards(ctx: AppContext, users: readonly string[], n: number): Promise<IssuedCard[]> {
  const first = cardIdOf(await openSignalForm(ctx, actor(ctx, users[0]!)));
  const template = (await ctx.store.get<Record<string, unknown>>(keys.form(first)))?.value;
  if (!template || template.userId !== users[0] || typeof template.issuedAt !== 'string') {
    throw new Error('bench: the stored report-form document changed shape; update bench/support/data.ts');
  }
  const cards: IssuedCard[] = [{ userId: users[0]!, cardId: first }];
  const issuedAt = new Date().toISOString();
  while (cards.length < n) {
    const batch: IssuedCard[] = [];
    for (let i = 0; i < 500 && cards.length + batch.length < n; i++) {
      batch.push({ userId: users[(cards.length + batch.length) % users.length]!, cardId: randomUUID() });
    }
    const result = await ctx.store.commit(
      batch.map((c) => ({ op: 'put' as const, key: keys.form(c.cardId), value: { ...template, userId: c.userId, issuedAt }, ifAbsent: true })),
    );
    if (!result.ok) throw new Error(`bench: issuing cards conflicted on ${result.conflict}`);
    cards.push(...batch);
  }
  return cards;
}

const CATEGORY_SETS = ['geluid,hangjongeren', 'vernieling', 'intimidatie,geluid', 'drugs', 'zwerfafval', 'alcohol,agressie'];
const SEVERITIES = ['laag', 'middel', 'hoog'];

/**
 * A case with `n` signals at one hotspot, reported by the partners over the last weeks, through the
 * real use cases (openSignalForm + submitSignal). Returns its reference (C-yyyy-nnnnn).
 */
export async function prepareCase(ctx: AppContext, n = 50, location = 'Sumatraplein'): Promise<string> {
  let caseRef: string | undefined;
  for (let i = 0; i < n; i++) {
    const reporter = actor(ctx, REPORTERS[i % REPORTERS.length]!);
    const cardId = cardIdOf(await openSignalForm(ctx, reporter));
    const when = amsterdam(-(i + 1) * 26 * 60);
    const result = await submitSignal(ctx, reporter, {
      cardId,
      ...signalInputs({
        location,
        observedDate: when.date,
        observedTime: when.time,
        categories: CATEGORY_SETS[i % CATEGORY_SETS.length],
        severity: SEVERITIES[i % SEVERITIES.length],
        description: `Melding ${i + 1} voor de benchmark: overlast bij de speeltuin.`,
      }),
    });
    if (result.outcome !== 'created') throw new Error(`bench: preparing the case, signal ${i + 1} was ${result.outcome}`);
    if (caseRef && result.caseRef !== caseRef) throw new Error(`bench: signal ${i + 1} went to ${result.caseRef}, not ${caseRef}`);
    caseRef = result.caseRef;
  }
  return caseRef!;
}

export type { AdaptiveCard };
