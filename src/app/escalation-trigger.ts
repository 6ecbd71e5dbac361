import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LIMITS, type Case, type Signal } from '../domain/signal.js';
import type { WriteOp } from '../ports.js';
import type { AppContext } from './context.js';

/**
 * How a change that can cross an escalation threshold asks for the rules to be evaluated. Kept apart
 * from src/app/escalation.ts so that the features that cause changes (signals, meetings, feedback,
 * Kerngroep) can call it without importing the evaluator (which imports their keys).
 *
 * Evaluations run off the invoke path (Teams wants card actions answered quickly):
 * - After a signal — the most frequent change by far — in the process that stored it
 *   (`evaluateSignalSoon`, a local run of `escalation.evaluate-signal`). The signal's commit puts it in
 *   the inbox (`signalInboxOp`); the evaluation takes it out. What a crash or a failed run leaves in the
 *   inbox, the recovery job `escalation.inbox` evaluates (src/app/escalation.ts). A queued job per
 *   signal cost Redis and the bot more than the rest of the submit (BullMQ's add, fetch and finish;
 *   in embedded mode three commits).
 * - After any other change, as a queued job (`escalation.evaluate`), retried when the store
 *   hiccups, on any bot instance.
 */

export const ESCALATION_EVALUATE_JOB = 'escalation.evaluate';
/** The local run after a signal: evaluates, then takes the signal out of the inbox. */
export const ESCALATION_SIGNAL_JOB = 'escalation.evaluate-signal';
/**
 * Signals whose evaluation has not finished (member: signal id), scored by when they were stored
 * (ms). Written in the signal's own commit, so a signal confirmed to the user is never left
 * unevaluated.
 */
export const ESCALATION_INBOX = 'escalation-inbox';

const id = z.string().min(1).max(200);
/**
 * The persons whose facts changed (person keys, never names): the person rules (kerngroep-criterium,
 * huisbezoek-criterium) are evaluated for each. Absent: every person of the case.
 */
const personKeys = z.array(id).min(1).max(100).optional();

export const escalationTriggerSchema = z.discriminatedUnion('type', [
  /**
   * A signal was stored (with or without a police contact). The person rules are evaluated for the
   * signal's own person (its `personKey`): a signal about one person changes no other person's facts.
   * `caseId` (the case the signal joined) and `place` (where it was observed — a place, never a
   * person) let the evaluation read signal, case, counts and markers in one go; the signal stays the
   * truth (a trigger whose place or case differ from the stored signal's is evaluated from the signal).
   */
  z
    .object({
      type: z.literal('signal'),
      signalId: id,
      caseId: id.optional(),
      place: z.object({ district: id, locationKey: z.string().min(1).max(400), location: z.string().min(1).max(LIMITS.location) }).strict().optional(),
    })
    .strict(),
  /** A partner passed a case on to the wijkmanager. */
  z.object({ type: z.literal('pass-on'), passOnId: id }).strict(),
  /** A case's level changed (human decision). */
  z.object({ type: z.literal('level-change'), caseId: id, personKeys }).strict(),
  /** Feedback (terugkoppeling) with an effect was recorded on a case's intervention (feedback feature). */
  z.object({ type: z.literal('feedback'), caseId: id, personKeys }).strict(),
  /**
   * A wijkmanager registered a person of a case with the Kerngroep (Kerngroep feature), or a
   * person's Kerngroep colour changed. `registrationId` identifies the registration (one notice each).
   */
  z
    .object({ type: z.literal('registration'), caseId: id, registrationId: id, at: z.string().datetime({ offset: true }), personKeys })
    .strict(),
  /** A person's Kerngroep colour changed: pass that person's key in `personKeys` (else every person of the case). */
  z.object({ type: z.literal('colour'), caseId: id, personKeys }).strict(),
  /** The periodic sweep: time-based rules, re-arming, recovery. */
  z.object({ type: z.literal('sweep') }).strict(),
]);

export type EscalationTrigger = z.infer<typeof escalationTriggerSchema>;

function jobIdFor(trigger: EscalationTrigger): string {
  switch (trigger.type) {
    case 'signal':
      return `escalation-eval:signal:${trigger.signalId}`;
    case 'pass-on':
      return `escalation-eval:pass-on:${trigger.passOnId}`;
    case 'registration':
      return `escalation-eval:registration:${trigger.registrationId}`;
    // A later change must not be swallowed by an evaluation of an earlier one that already runs.
    case 'level-change':
    case 'feedback':
    case 'colour':
      return `escalation-eval:${trigger.type}:${trigger.caseId}:${randomUUID()}`;
    case 'sweep':
      return `escalation-eval:sweep:${randomUUID()}`;
  }
}

/**
 * Schedules the evaluation of the escalation rules after `trigger`. Resolves once it is durably
 * scheduled. Never rejects: the change that triggered it is stored (a signal's submit schedules its
 * evaluation together with its commit: the job waits for the signal if it is quicker), and a failure
 * here is logged, not shown to the user — the next change of the same subject evaluates the same
 * rules again, and the periodic sweep re-checks every rule that fired.
 */
export async function evaluateEscalations(ctx: AppContext, trigger: EscalationTrigger): Promise<void> {
  try {
    // A signal's evaluation has the id of a signal stored just now: nobody enqueued it before.
    await ctx.jobs.enqueue({ id: jobIdFor(trigger), type: ESCALATION_EVALUATE_JOB, payload: { trigger }, ...(trigger.type === 'signal' ? { newId: true } : {}) });
  } catch (err) {
    ctx.log.error({ event: 'escalation.schedule-failed', trigger: trigger.type, err: { message: (err as Error).message } }, 'could not schedule escalation evaluation');
  }
}

export type SignalTrigger = Extract<EscalationTrigger, { type: 'signal' }>;

/** The signal and its case as the submit committed them: the local evaluation does not read them back. */
export interface CommittedSignal {
  signal: Signal;
  case: Case;
}

/** The op a signal's commit carries: from the moment it is stored, the signal waits for its evaluation. */
export function signalInboxOp(signalId: string, at: Date): WriteOp {
  return { op: 'index', index: ESCALATION_INBOX, member: signalId, score: at.getTime() };
}

/**
 * After the signal's commit (with `signalInboxOp`): evaluates in this process, soon. Never throws:
 * when it cannot start here (too much pending, shutting down) the recovery job takes the signal from
 * the inbox.
 */
export function evaluateSignalSoon(ctx: AppContext, trigger: SignalTrigger, committed?: CommittedSignal): void {
  try {
    if (!ctx.jobs.runHere(ESCALATION_SIGNAL_JOB, committed ? { trigger, committed } : { trigger })) {
      ctx.log.warn({ event: 'escalation.left-to-recovery' }, 'signal evaluation not started here; the inbox recovery does it');
    }
  } catch (err) {
    ctx.log.error({ event: 'escalation.schedule-failed', trigger: 'signal', err: { message: (err as Error).message } }, 'could not start the signal evaluation');
  }
}
