import type { TeamsAdapter } from '@microsoft/teams-ai';
import type { ConversationReference } from 'botbuilder';
import type { AppContext } from '../app/context.js';
import { loadConversation } from '../app/conversations.js';
import type { DeliveryResult, Messenger, OutgoingMessage } from '../ports.js';
import { toActivity } from './bot.js';
import { parseRetryAfter } from './proactive-transport.js';

/**
 * Proactive delivery to a person's personal chat, through the conversation reference stored when
 * they installed the app or last talked to the bot. Maps Bot Connector answers to delivery results
 * the outbox can act on (retry on 429/412/5xx, give up on 403/404).
 */
export class TeamsMessenger implements Messenger {
  constructor(
    private readonly adapter: TeamsAdapter,
    private readonly ctx: AppContext,
    private readonly botAppId: string,
  ) {}

  async sendToUser(userId: string, message: OutgoingMessage): Promise<DeliveryResult> {
    const stored = await loadConversation(this.ctx, userId);
    if (!stored) return { ok: false, reason: 'no-conversation' };
    let activityId: string | undefined;
    try {
      await this.adapter.continueConversationAsync(
        this.botAppId,
        stored.reference as Partial<ConversationReference>,
        async (context) => {
          activityId = (await context.sendActivity(toActivity(message)))?.id;
        },
      );
      return { ok: true, ...(activityId ? { activityId } : {}) };
    } catch (err) {
      return deliveryFailure(err);
    }
  }
}

export function deliveryFailure(err: unknown): DeliveryResult {
  const e = err as { statusCode?: number; response?: { status?: number; headers?: { get?(n: string): string | undefined } }; message?: string };
  const status = e.statusCode ?? e.response?.status;
  // Retry-After on a RestError's response: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
  const fromHeader = parseRetryAfter(e.response?.headers?.get?.('retry-after'));
  const retryAfterMs =
    fromHeader !== undefined
      ? fromHeader
      : // The proactive transport's TransientDeliveryError carries it parsed (src/teams/proactive-transport.ts).
        typeof (err as { retryAfterMs?: unknown }).retryAfterMs === 'number'
        ? (err as { retryAfterMs: number }).retryAfterMs
        : undefined;
  const base = { ...(status ? { status } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), detail: String(e.message ?? err).slice(0, 200) };
  if (status === 403) return { ok: false, reason: 'blocked', ...base };
  if (status === 404) return { ok: false, reason: 'not-found', ...base };
  if (status === 429) return { ok: false, reason: 'throttled', ...base };
  return { ok: false, reason: 'error', ...base };
}
