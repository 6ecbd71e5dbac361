import { actorFromDirectory, type Actor } from '../domain/actor.js';
import { audit } from './audit.js';
import type { AppContext } from './context.js';
import { nl } from '../i18n/nl.js';

/** Who the Teams layer says is talking: raw, untrusted until resolved here. */
export interface IncomingIdentity {
  /** Entra object id (`from.aadObjectId`); absent for some clients and in local tools. */
  aadObjectId?: string;
  /** Channel-specific user id (`from.id`). */
  channelUserId?: string;
  /** `channelData.tenant.id` (or `conversation.tenantId`). */
  tenantId?: string;
}

export interface IdentityPolicy {
  /** When set, only this tenant is accepted. */
  tenantId?: string;
  /**
   * Without Bot Framework auth (local development, Playground) the user may be identified by
   * `from.id`; with auth on, only the Entra object id counts.
   */
  allowChannelIdFallback: boolean;
}

export type IdentityResult =
  | { ok: true; actor: Actor }
  | { ok: false; reason: 'wrong-tenant' | 'no-object-id' | 'unknown-user'; message: string };

/**
 * Resolves the actor of a turn. Refusals are audited (the only thing stored for an unknown user)
 * and answered with a Dutch message saying whom to ask.
 */
export async function resolveActor(ctx: AppContext, who: IncomingIdentity, policy: IdentityPolicy): Promise<IdentityResult> {
  const shownId = who.aadObjectId ?? who.channelUserId ?? 'onbekend';
  if (policy.tenantId && who.tenantId?.toLowerCase() !== policy.tenantId.toLowerCase()) {
    await audit(ctx, { actor: shownId, action: 'bot.use', resource: 'system', outcome: 'refused', reason: 'wrong-tenant' });
    ctx.log.warn({ event: 'identity.refused', reason: 'wrong-tenant' }, 'activity from another tenant refused');
    return { ok: false, reason: 'wrong-tenant', message: nl.identity.wrongTenant };
  }
  const userId = who.aadObjectId ?? (policy.allowChannelIdFallback ? who.channelUserId : undefined);
  if (!userId) {
    await audit(ctx, { actor: shownId, action: 'bot.use', resource: 'system', outcome: 'refused', reason: 'no-object-id' });
    ctx.log.warn({ event: 'identity.refused', reason: 'no-object-id' }, 'activity without Entra object id refused');
    return { ok: false, reason: 'no-object-id', message: unknownUserMessage(ctx) };
  }
  const actor = actorFromDirectory(ctx.directory, userId);
  if (!actor) {
    await audit(ctx, { actor: userId, action: 'bot.use', resource: 'system', outcome: 'refused', reason: 'unknown-user' });
    ctx.log.warn({ event: 'identity.refused', reason: 'unknown-user' }, 'unknown user refused');
    return { ok: false, reason: 'unknown-user', message: unknownUserMessage(ctx) };
  }
  return { ok: true, actor };
}

function unknownUserMessage(ctx: AppContext): string {
  const admins = ctx.directory.administrators().map((a) => a.name);
  return admins.length > 0 ? nl.identity.unknownUser(admins) : nl.identity.unknownUserNoAdmin;
}
