import { describe, expect, it } from 'vitest';
import { decide } from '../../src/domain/access.js';
import type { Actor } from '../../src/domain/actor.js';
import { conversationKindOf } from '../../src/teams/activity-schema.js';

/** Teams' conversationType → the policy's conversation kind, and the gate's decision on it. */
const actor: Actor = {
  id: 'u-wm',
  name: 'u-wm',
  roles: ['wijkmanager'],
  organisation: { id: 'gemeente', name: 'Gemeente', kind: 'gemeente', covenant: true },
  districts: ['crabbehof'],
};

describe('conversationKindOf', () => {
  it.each([
    ['personal', 'personal', 'allow'],
    ['groupChat', 'group', 'deny'],
    ['channel', 'channel', 'deny'],
    [undefined, 'unknown', 'deny'],
    ['', 'unknown', 'deny'],
    ['Personal', 'unknown', 'deny'],
    ['meeting', 'unknown', 'deny'],
  ] as const)('%s → %s → %s', (conversationType, kind, effect) => {
    expect(conversationKindOf(conversationType)).toBe(kind);
    expect(decide(actor, 'bot.use', { type: 'conversation', conversation: conversationKindOf(conversationType) }).effect).toBe(effect);
  });
});
