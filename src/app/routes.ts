import type { Actor } from '../domain/actor.js';
import type { AdaptiveCard, OutgoingMessage } from '../ports.js';
import type { AppContext } from './context.js';

/**
 * How features plug into the bot without knowing the Teams SDK: each feature exports command
 * routes (typed text in the personal chat) and card-action routes (Action.Execute verbs).
 * src/teams registers them all; the catch-all (help) comes last.
 */
export interface CommandRoute {
  /** Stable name for logs and tests. */
  name: string;
  /** Matched against the trimmed, lower-cased text of the message. */
  match: RegExp;
  run(ctx: AppContext, actor: Actor, text: string): Promise<OutgoingMessage[]>;
}

/** What answers an Action.Execute: a card that replaces the one clicked, or a short text. */
export type CardActionResult = { kind: 'card'; card: AdaptiveCard } | { kind: 'message'; text: string };

export interface CardActionRoute {
  verb: string;
  /** `data` is the untrusted Action.Execute data (inputs merged in); validate it with zod. */
  run(ctx: AppContext, actor: Actor, data: unknown): Promise<CardActionResult>;
}

export interface Feature {
  commands: CommandRoute[];
  actions: CardActionRoute[];
}
