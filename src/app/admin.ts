import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { decide } from '../domain/access.js';
import type { Actor } from '../domain/actor.js';
import { localDateString, localToInstant, parseCalendarDate, shiftLocal } from '../domain/signal.js';
import { AUDIT_VERBS, auditExportCard, auditResultCard } from '../cards/admin-cards.js';
import { nl } from '../i18n/nl.js';
import type { LogEntry, OutgoingMessage } from '../ports.js';
import { AUDIT_LOG, audit, auditDecision } from './audit.js';
import { DELETIONS_LOG } from './retention.js';
import type { AppContext } from './context.js';
import type { CardActionResult, Feature } from './routes.js';

/**
 * The beheerder's audit export, for the DPIA and data-subject requests: who read or changed what in
 * a period, denials included. Small exports come back in the chat as CSV; larger ones are written
 * to a file on the server (only the path is shown), because a chat message has a size limit and a
 * personal chat is no place for thousands of lines.
 */

/** Rows shown in the chat at most; more go to a file. */
export const CHAT_ROW_LIMIT = 100;
/** Longest period one export may cover (and what the store reads at most). */
const MAX_DAYS = 366;
const MAX_ROWS = 1_000_000;

export interface AdminOptions {
  /** Where larger exports are written (created with mode 0700 if missing). */
  exportDir: string;
}

const periodSchema = z
  .object({
    from: z.string().max(10),
    to: z.string().max(10),
  })
  .strict();

type Period = { from: Date; to: Date; fromText: string; toText: string };

function parsePeriod(ctx: AppContext, fromText: string, toText: string): Period | { error: string } {
  const f = parseCalendarDate(fromText);
  const t = parseCalendarDate(toText);
  if (!f || !t) return { error: nl.admin.badDate };
  const from = localToInstant({ ...f, hour: 0, minute: 0 }, ctx.timeZone);
  // The whole last day counts: up to the start of the next local day.
  const to = new Date(shiftLocal(localToInstant({ ...t, hour: 0, minute: 0 }, ctx.timeZone), { days: 1 }, ctx.timeZone).getTime() - 1);
  if (to < from) return { error: nl.admin.toBeforeFrom };
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) return { error: nl.admin.periodTooLong(MAX_DAYS) };
  return { from, to, fromText, toText };
}

function csvField(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  // Quote always; double embedded quotes. A leading = + - @ is defused so a spreadsheet never
  // evaluates an id as a formula (CSV injection).
  const defused = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${defused.replace(/"/g, '""')}"`;
}

export function auditCsv(ctx: AppContext, entries: readonly LogEntry[]): string {
  const header = nl.admin.csvHeader;
  const lines = entries.map((e) => {
    const actorId = String(e.entry.actor ?? '');
    const user = ctx.directory.user(actorId);
    const org = user ? ctx.directory.organisation(user.organisation) : undefined;
    return [
      new Date(e.at).toISOString(),
      actorId,
      user?.name ?? '',
      org?.name ?? '',
      e.entry.action,
      e.entry.resource,
      e.entry.outcome,
      e.entry.reason,
    ]
      .map(csvField)
      .join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

/**
 * The deletion records (retention and erasure on request) as CSV: when, reference, kind, by whom,
 * which cases, why and how many records of each type — never personal data.
 */
export function deletionsCsv(ctx: AppContext, entries: readonly LogEntry[]): string {
  const header = nl.admin.deletions.csvHeader;
  const lines = entries.map((e) => {
    const r = e.entry as { ref?: unknown; kind?: unknown; by?: unknown; caseRefs?: unknown; reason?: unknown; counts?: unknown; at?: unknown };
    const kind = r.kind === 'retentie' || r.kind === 'verzoek' ? nl.admin.deletions.kinds[r.kind] : r.kind;
    const by = r.by === 'system' ? nl.admin.deletions.system : typeof r.by === 'string' ? (ctx.directory.user(r.by)?.name ?? r.by) : '';
    const counts = r.counts && typeof r.counts === 'object' ? Object.entries(r.counts as Record<string, unknown>).map(([k, n]) => `${nl.admin.deletions.countNames[k] ?? k}=${String(n)}`).join('; ') : '';
    return [typeof r.at === 'string' ? r.at : new Date(e.at).toISOString(), r.ref, kind, by, Array.isArray(r.caseRefs) ? r.caseRefs.join(' ') : '', r.reason, counts]
      .map(csvField)
      .join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

export async function exportAudit(ctx: AppContext, actor: Actor, fromText: string, toText: string, options: AdminOptions): Promise<OutgoingMessage> {
  const decision = decide(actor, 'audit.export', { type: 'system' });
  const period = parsePeriod(ctx, fromText, toText);
  const resource = `audit:${fromText}..${toText}`;
  if (decision.effect !== 'allow') {
    await audit(ctx, auditDecision(actor, 'audit.export', resource, decision));
    return { kind: 'text', text: nl.admin.denied };
  }
  if ('error' in period) return { kind: 'text', text: period.error };
  const entries = await ctx.store.readLog(AUDIT_LOG, period.from.getTime(), period.to.getTime(), { limit: MAX_ROWS });
  const deletions = await ctx.store.readLog(DELETIONS_LOG, period.from.getTime(), period.to.getTime(), { limit: MAX_ROWS });
  // The export itself is a read of case-related data: it is audited like any other.
  await audit(ctx, auditDecision(actor, 'audit.export', resource, decision));
  ctx.log.info({ event: 'audit.export', actor: actor.id, rows: entries.length, deletions: deletions.length }, 'audit log exported');
  const csv = auditCsv(ctx, entries);
  const stamp = ctx.clock.now().getTime();
  const toFile = (name: string, content: string): string => {
    const dir = resolve(options.exportDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${name}-${fromText}_${toText}-${stamp}.csv`);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  const d = nl.admin.deletions;
  const deletionsView =
    deletions.length === 0
      ? { summary: d.none }
      : deletions.length <= CHAT_ROW_LIMIT
        ? { summary: d.exported(deletions.length), csv: deletionsCsv(ctx, deletions) }
        : { summary: d.exportedToFile(deletions.length, toFile(d.fileName, deletionsCsv(ctx, deletions))) };
  if (entries.length <= CHAT_ROW_LIMIT) {
    return { kind: 'card', card: auditResultCard({ summary: nl.admin.exported(entries.length, fromText, toText), csv, deletions: deletionsView }) };
  }
  const file = toFile('audit', csv);
  return { kind: 'card', card: auditResultCard({ summary: nl.admin.exportedToFile(entries.length, fromText, toText, file), deletions: deletionsView }) };
}

function defaultPeriod(ctx: AppContext): { from: string; to: string } {
  const now = ctx.clock.now();
  return { from: localDateString(shiftLocal(now, { days: -7 }, ctx.timeZone), ctx.timeZone), to: localDateString(now, ctx.timeZone) };
}

export function adminFeature(options: AdminOptions): Feature {
  return {
    commands: [
      {
        name: 'audit',
        match: /^audit(\s+\S+\s+\S+)?$/,
        run: async (ctx, actor, text) => {
          const args = text.trim().split(/\s+/).slice(1);
          if (args.length === 2) return [await exportAudit(ctx, actor, args[0]!, args[1]!, options)];
          const decision = decide(actor, 'audit.export', { type: 'system' });
          if (decision.effect !== 'allow') {
            await audit(ctx, auditDecision(actor, 'audit.export', 'audit:form', decision));
            return [{ kind: 'text', text: nl.admin.denied }];
          }
          return [{ kind: 'card', card: auditExportCard(defaultPeriod(ctx)) }];
        },
      },
    ],
    actions: [
      {
        verb: AUDIT_VERBS.export,
        run: async (ctx, actor, data): Promise<CardActionResult> => {
          const parsed = periodSchema.safeParse(data);
          if (!parsed.success) return { kind: 'message', text: nl.admin.badDate };
          const message = await exportAudit(ctx, actor, parsed.data.from, parsed.data.to, options);
          return message.kind === 'card' ? { kind: 'card', card: message.card } : { kind: 'message', text: message.text };
        },
      },
    ],
  };
}
