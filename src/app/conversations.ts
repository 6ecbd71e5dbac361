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

export async function saveConversation(ctx: AppContext, userId: string, reference: Record<string, unknown>): Promise<void> {
  const key = conversationKey(userId);
  const existing = await ctx.store.get<StoredConversation>(key);
  // Skip the write when nothing changed: this runs on every personal message.
  if (existing && JSON.stringify(existing.value.reference) === JSON.stringify(reference)) return;
  const value: StoredConversation = { reference, updatedAt: ctx.clock.now().toISOString() };
  await ctx.store.commit([{ op: 'put', key, value }]);
  // Notices that waited for this person's first conversation (install, first message) go out now.
  await ctx.outbox.reachable?.(userId).catch((err: unknown) =>
    ctx.log.error({ event: 'notice.reachable-failed', userId, err: { message: (err as Error).message } }, 'could not queue waiting notices'),
  );
}

export async function loadConversation(ctx: AppContext, userId: string): Promise<StoredConversation | undefined> {
  return (await ctx.store.get<StoredConversation>(conversationKey(userId)))?.value;
}
