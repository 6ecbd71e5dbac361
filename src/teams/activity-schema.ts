import { z } from 'zod';
import type { ConversationKind } from '../domain/access.js';

/**
 * The shape an incoming activity must have before the SDK sees it. botbuilder's own parser throws
 * on malformed input (a 500); this answers 400 instead and bounds every field we read.
 * Unknown fields pass through (Teams adds new ones); their size is bounded by the body limit.
 */
const id = z.string().min(1).max(1024);
const account = z.object({ id, name: z.string().max(1024).optional(), aadObjectId: z.string().max(128).optional() }).passthrough();

export const incomingActivitySchema = z
  .object({
    type: z.string().min(1).max(64),
    id: z.string().max(1024).optional(),
    channelId: z.string().min(1).max(64),
    serviceUrl: z.string().url().max(2048),
    from: account,
    recipient: account,
    conversation: z
      .object({ id, conversationType: z.string().max(64).optional(), tenantId: z.string().max(128).optional() })
      .passthrough(),
    text: z.string().max(100_000).optional(),
    name: z.string().max(256).optional(),
    channelData: z.object({ tenant: z.object({ id: z.string().max(128) }).passthrough().optional() }).passthrough().optional(),
    value: z.unknown().optional(),
    membersAdded: z.array(account).max(1000).optional(),
    membersRemoved: z.array(account).max(1000).optional(),
  })
  .passthrough();

export type IncomingActivity = z.infer<typeof incomingActivitySchema>;

/**
 * Without Bot Framework authentication nothing vouches for `serviceUrl`, and the bot would post its
 * replies wherever a request points it. Unauthenticated mode is for local tools (Playground, tests),
 * so replies may then only go to this machine.
 */
export function isLoopbackServiceUrl(serviceUrl: string): boolean {
  try {
    const host = new URL(serviceUrl).hostname;
    return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Teams' `conversation.conversationType` as the access policy's conversation kind. Anything but
 * `personal` (a group chat, a channel, a missing or unknown type) is a shared conversation, where
 * the bot does nothing (issue #8: no personal data in any channel or group chat message).
 */
export function conversationKindOf(conversationType: string | undefined): ConversationKind {
  switch (conversationType) {
    case 'personal':
      return 'personal';
    case 'groupChat':
      return 'group';
    case 'channel':
      return 'channel';
    default:
      return 'unknown';
  }
}
