import fs from 'node:fs';
import path from 'node:path';
import { TurnContext, type Activity } from 'botbuilder';
import { parse, stringify } from 'yaml';
import type { AppContext } from '../../src/app/context.js';
import { saveConversation } from '../../src/app/conversations.js';
import { OutboxService } from '../../src/app/outbox-service.js';
import { loadDirectory } from '../../src/domain/directory.js';
import { openJobs } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { systemClock, type Jobs, type Messenger, type Store } from '../../src/ports.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { RedisStore } from '../../src/store/redis.js';
import { message, personalConversationId } from '../../test/support/teams.js';
import { TEST_DIRECTORY } from './proc.js';
import { TIME_ZONE } from './data.js';

/**
 * Notices prepared with the project's own code before the bot starts: a directory with `n` extra
 * (fictional) users, their personal conversation references pointing at the connector stub, and one
 * notice each through the real OutboxService on the real Jobs adapter (in-process jobs in the
 * embedded store, BullMQ in Redis) — exactly what the running bot then finds and delivers.
 */

export const noticeUser = (i: number) => `u-notice-${String(i).padStart(5, '0')}`;

/** test/fixtures/directory.yaml plus `n` partner users of the municipality; returns the file. */
export function directoryWithUsers(dir: string, n: number): { file: string; users: string[] } {
  const data = parse(fs.readFileSync(TEST_DIRECTORY, 'utf8')) as { users: Record<string, unknown>[] };
  const users = Array.from({ length: n }, (_, i) => noticeUser(i + 1));
  data.users.push(...users.map((id, i) => ({ id, name: `Testgebruiker ${i + 1}`, organisation: 'gemeente', roles: ['partner'] })));
  const file = path.join(dir, 'directory.yaml');
  fs.writeFileSync(file, stringify(data));
  return { file, users };
}

export interface PreparedStore {
  ctx: AppContext;
  jobs: Jobs;
  close(): Promise<void>;
}

/** The store (and jobs adapter) the bot will use, opened by this process for preparation. */
export async function openForPreparation(options: { dataDir: string; redisUrl?: string; directoryFile: string }): Promise<PreparedStore> {
  const store: Store = options.redisUrl ? await RedisStore.connect(options.redisUrl) : await EmbeddedStore.open(options.dataDir);
  const log = createLogger({ level: 'silent' });
  // Not started: jobs are only enqueued here (durably, in the store or in Redis) for the bot to run.
  const jobs = openJobs({ store, clock: systemClock, ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}) });
  const directory = loadDirectory(options.directoryFile);
  const messenger: Messenger = { sendToUser: async () => ({ ok: false, reason: 'error', detail: 'preparation never sends' }) };
  const outbox = new OutboxService({ store, jobs, messenger, directory, clock: systemClock, log });
  const ctx: AppContext = { store, directory, clock: systemClock, log, timeZone: TIME_ZONE, jobs, outbox };
  return {
    ctx,
    jobs,
    close: async () => {
      await jobs.stop();
      await store.close();
    },
  };
}

/** What the Teams layer stores for a user's personal chat, built by botbuilder from a Teams-shaped message. */
export async function storeConversations(ctx: AppContext, users: readonly string[], serviceUrl: string): Promise<void> {
  for (const userId of users) {
    const reference = TurnContext.getConversationReference(message({ aadObjectId: userId }, serviceUrl, 'hallo') as unknown as Partial<Activity>);
    await saveConversation(ctx, userId, reference as Record<string, unknown>);
  }
}

/** One text notice per user, due at `deliverAt(i)` (now when undefined). Returns the notice ids. */
export async function sendNotices(ctx: AppContext, users: readonly string[], label: string, deliverAt?: (i: number) => Date | undefined): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, userId] of users.entries()) {
    const id = `${label}:${userId}`;
    const at = deliverAt?.(i);
    const result = await ctx.outbox.send({
      id,
      recipient: userId,
      message: { kind: 'text', text: `Drill-bericht ${id}` },
      about: `${label} ${i + 1}`,
      ...(at ? { deliverAt: at } : {}),
    });
    if (!result.queued) throw new Error(`notice ${id} was not queued`);
    ids.push(id);
  }
  return ids;
}

export { personalConversationId };
