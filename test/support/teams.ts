import { randomUUID } from 'node:crypto';

/** Teams-shaped activities, as the Teams service sends them to /api/messages. */

export const TEST_TENANT = '11111111-2222-3333-4444-555555555555';
export const OTHER_TENANT = '99999999-8888-7777-6666-555555555555';
export const BOT_ID = '28:overlastbot';

export interface TestUser {
  /** Entra object id (directory user id). */
  aadObjectId: string;
  name?: string;
  tenantId?: string;
}

export const personalConversationId = (user: TestUser) => `a:personal-${user.aadObjectId}`;

function base(user: TestUser, serviceUrl: string) {
  const tenantId = user.tenantId ?? TEST_TENANT;
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: user.name ?? 'Test' },
    recipient: { id: BOT_ID, name: 'Overlastbot' },
    conversation: { id: personalConversationId(user), conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    locale: 'nl-NL',
  };
}

export function message(user: TestUser, serviceUrl: string, text: string, extra: Record<string, unknown> = {}) {
  return { ...base(user, serviceUrl), type: 'message', text, textFormat: 'plain', ...extra };
}

/** Personal install: Teams sends installationUpdate and conversationUpdate with the bot added. */
export function installationUpdate(user: TestUser, serviceUrl: string) {
  return { ...base(user, serviceUrl), type: 'installationUpdate', action: 'add' };
}

export function membersAdded(user: TestUser, serviceUrl: string) {
  return { ...base(user, serviceUrl), type: 'conversationUpdate', membersAdded: [{ id: BOT_ID }, { id: `29:${user.aadObjectId}` }] };
}

export function actionExecute(user: TestUser, serviceUrl: string, verb: string, data: Record<string, unknown>, replyToId = 'card-1') {
  return {
    ...base(user, serviceUrl),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

export async function post(botUrl: string, activity: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* plain text body */
  }
  return { status: res.status, body };
}

/** Every node of a card (or any JSON) for which `pred` holds, depth first. */
export function findAll(node: any, pred: (n: any) => boolean, out: any[] = []): any[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((n) => findAll(n, pred, out));
    return out;
  }
  if (pred(node)) out.push(node);
  Object.values(node).forEach((v) => findAll(v, pred, out));
  return out;
}

/** All text a posted activity shows a user: its text plus every TextBlock/Fact in its cards. */
export function visibleText(activity: { text?: string; attachments?: { content: any }[] }): string {
  const parts: string[] = [];
  if (activity.text) parts.push(activity.text);
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'text' || k === 'title' || k === 'value' || k === 'label' || k === 'placeholder') && typeof v === 'string') parts.push(v);
      else walk(v);
    }
  };
  for (const a of activity.attachments ?? []) walk(a.content);
  return parts.join('\n');
}
