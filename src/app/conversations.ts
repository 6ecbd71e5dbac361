import type { Store } from '../ports.js';
import type { AppContext } from './context.js';

/**
 * Personal conversation references, keyed by the user's object id, so that later proactive
 * notices reach them. Only personal chats are kept: notices never go to channels or group chats.
 * The reference itself is opaque here (the Teams layer produces and consumes it).
 */
export const conversationKey = (userId: string) => `conv:${userId}`;

export interface StoredConversation {
  reference: Record<string, unknown>;
  updatedAt: string;
}

/**
 * What this process stored or found for a user lately, per store: a personal message within a
 * minute of the last one with the same reference skips the read (on Redis a round trip, on every
 * turn). Nothing deletes a stored reference, and a reference another instance wrote meanwhile is
 * as current as ours, so a minute-old memory is safe.
 */
const recentlySaved = new WeakMap<Store, Map<string, { json: string; at: number }>>();
const RECENT_MS = 60_000;
const RECENT_MAX = 10_000;

export async function saveConversation(ctx: AppContext, userId: string, reference: Record<string, unknown>): Promise<void> {
  const json = JSON.stringify(reference);
  const now = ctx.clock.now().getTime();
  let recent = recentlySaved.get(ctx.store);
  if (recent === undefined) {
    recent = new Map();
    recentlySaved.set(ctx.store, recent);
  }
  const seen = recent.get(userId);
  if (seen && seen.json === json && now - seen.at >= 0 && now - seen.at < RECENT_MS) return;
  const remember = () => {
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(userId, { json, at: now });
  };

  const key = conversationKey(userId);
  const existing = await ctx.store.get<StoredConversation>(key);
  // Skip the write when nothing changed: this runs on every personal message.
  if (existing && JSON.stringify(existing.value.reference) === json) {
    remember();
    return;
  }
  const value: StoredConversation = { reference, updatedAt: ctx.clock.now().toISOString() };
  await ctx.store.commit([{ op: 'put', key, value }]);
  remember();
  // Notices that waited for this person's first conversation (install, first message) go out now.
  await ctx.outbox.reachable?.(userId).catch((err: unknown) =>
    ctx.log.error({ event: 'notice.reachable-failed', userId, err: { message: (err as Error).message } }, 'could not queue waiting notices'),
  );
}

export async function loadConversation(ctx: AppContext, userId: string): Promise<StoredConversation | undefined> {
  return (await ctx.store.get<StoredConversation>(conversationKey(userId)))?.value;
}
