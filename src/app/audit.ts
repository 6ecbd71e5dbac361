import type { Actor } from '../domain/actor.js';
import type { Decision } from '../domain/access.js';
import type { AppContext } from './context.js';
import type { WriteOp } from '../ports.js';

/**
 * The audit trail: who read or changed what, denials included. Append-only (a Redis Stream in
 * Redis mode, the journal in embedded mode). Entries carry ids and references, never personal data.
 */
export const AUDIT_LOG = 'audit';

export interface AuditEvent {
  /** Object id of the person, or the raw Teams id for unknown users. */
  actor: string;
  action: string;
  /** e.g. `case:C-2026-00012`, `signal:M-2026-00042`, `system`. */
  resource: string;
  outcome: 'allow' | 'deny' | 'redact' | 'refused' | 'error';
  reason?: string;
}

export function auditOp(event: AuditEvent): WriteOp {
  return { op: 'append', log: AUDIT_LOG, entry: { ...event } };
}

export function auditDecision(actor: Actor, action: string, resource: string, decision: Decision): AuditEvent {
  return {
    actor: actor.id,
    action,
    resource,
    outcome: decision.effect,
    ...(decision.effect === 'allow' ? {} : { reason: decision.reason }),
  };
}

/** Appends an audit entry on its own (when there is no other write to make it atomic with). */
export async function audit(ctx: AppContext, event: AuditEvent): Promise<void> {
  const result = await ctx.store.commit([auditOp(event)]);
  if (!result.ok) throw new Error('Unexpected: an append-only audit write reported a conflict');
}
