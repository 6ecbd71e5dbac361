import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG } from '../../src/app/audit.js';
import { SIGNAL_VERBS } from '../../src/cards/signal-cards.js';
import { nl } from '../../src/i18n/nl.js';
import type { WriteOp } from '../../src/ports.js';
import { manualClock, startHarness, type Harness } from '../support/bot.js';
import { TEST_TENANT, actionExecute, membersAdded, message, personalConversationId, post, visibleText, type TestUser } from '../support/teams.js';

/**
 * The gate in front of every feature (src/teams/bot.ts), over real HTTP:
 * - personal chat only: in a group chat or channel every member reads along, so nothing runs there
 *   — a Dutch refusal pointing to the personal chat, an audit entry, nothing else stored;
 * - the per-user rate limit counts card clicks (Action.Execute) like typed messages, and resets
 *   after the window.
 */

const u = (id: string): TestUser => ({ aadObjectId: id });
const politie = u('u-politie');
const wijkmanager = u('u-wijkmanager');
const jongerenwerk = u('u-jongerenwerk');
const handhaving = u('u-handhaving');
const PERSON = { personName: 'Gerrit Groepschat', personDob: '1993-03-03' };
const SECRETS = ['Gerrit', 'Groepschat', '1993-03-03', '03-03-1993', 'PL-GATE-5150', 'Gedrag-in-de-poortwachter'];

function localDay(offsetDays: number): string {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** The same activity, arriving in a shared conversation instead of the personal chat. */
function shared<T extends { conversation: object }>(activity: T, conversationType: 'groupChat' | 'channel', id: string): T {
  return { ...activity, conversation: { id, conversationType, tenantId: TEST_TENANT } };
}

describe('personal chat only: group chats and channels are refused at the gate', () => {
  let h: Harness;
  let caseRef: string;
  const writes: WriteOp[] = [];
  let recording = false;

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
    const store = h.bot.ctx.store;
    const commit = store.commit.bind(store);
    store.commit = async (ops) => {
      if (recording) writes.push(...ops);
      return commit(ops);
    };
    // The police report a person (personal chat): data that must never reach a shared conversation.
    await post(h.bot.url, message(politie, h.stub.url, 'melding'));
    const form = h.stub.to(personalConversationId(politie)).at(-1)!.activity;
    const cardId = JSON.stringify(form).match(/"cardId":"([0-9a-f-]{36})"/)![1];
    const res = await post(
      h.bot.url,
      actionExecute(politie, h.stub.url, SIGNAL_VERBS.submit, {
        cardId,
        kind: 'overlast',
        district: 'crabbehof',
        location: 'Sumatraplein',
        observedDate: localDay(-1),
        observedTime: '23:00',
        categories: 'intimidatie',
        severity: 'hoog',
        source: 'eigen-waarneming',
        subject: 'persoon',
        ...PERSON,
        policeContact: 'true',
        policeReference: 'PL-GATE-5150',
        description: 'Gedrag-in-de-poortwachter.',
      }),
    );
    caseRef = /C-\d{4}-\d{5}/.exec(JSON.stringify(res.body))![0];
  });
  afterAll(async () => h?.close());

  async function audits(actor: string) {
    return (await h.bot.ctx.store.readLog(AUDIT_LOG, 0, Date.now() + 1000)).map((e) => e.entry).filter((e) => e.actor === actor);
  }

  for (const [conversationType, kind] of [
    ['groupChat', 'group'],
    ['channel', 'channel'],
  ] as const) {
    it(`a ${conversationType}: commands, card actions and installs get the refusal; audited; nothing else stored or shown`, async () => {
      const conversationId = `19:${conversationType}-gate@thread.v2`;
      writes.splice(0);
      recording = true;
      const auditBefore = (await audits('u-politie')).length;

      // Typed commands, including one that would show the person in the personal chat.
      for (const text of [`casus ${caseRef}`, 'mijn meldingen', 'melding', 'help']) {
        const res = await post(h.bot.url, shared(message(politie, h.stub.url, text), conversationType, conversationId));
        expect(res.status).toBe(200);
      }
      // A card action (the user-specific view of the case) and the help card's submit.
      const click = await post(h.bot.url, shared(actionExecute(politie, h.stub.url, SIGNAL_VERBS.caseDetails, { caseRef }), conversationType, conversationId));
      expect(click.status).toBe(200);
      expect(click.body?.value).toBe(nl.identity.personalChatOnly);
      const submit = await post(h.bot.url, shared(message(wijkmanager, h.stub.url, '', { text: undefined, value: { command: `casus ${caseRef}` } }), conversationType, conversationId));
      expect(submit.status).toBe(200);
      // The bot added to the group chat / team: no welcome card, the refusal.
      await post(h.bot.url, shared(membersAdded(wijkmanager, h.stub.url), conversationType, conversationId));
      recording = false;

      // Every answer in the shared conversation is the Dutch refusal pointing to the personal chat.
      const posted = h.stub.to(conversationId);
      expect(posted).toHaveLength(6);
      for (const p of posted) {
        expect(p.activity.text).toBe(nl.identity.personalChatOnly);
        expect(p.activity.attachments ?? []).toEqual([]);
      }
      expect(nl.identity.personalChatOnly).toContain('persoonlijke chat');
      // Nothing personal anywhere in what went to the shared conversation or back to the click.
      const everything = JSON.stringify(posted) + JSON.stringify(click.body) + JSON.stringify(submit.body);
      for (const secret of SECRETS) expect(everything).not.toContain(secret);
      expect(everything).not.toContain(caseRef);

      // Audited (the refusal only), and nothing else stored: no turn state, no conversation
      // reference, no card, no case read.
      const audited = (await audits('u-politie')).slice(auditBefore);
      expect(audited).toHaveLength(5);
      for (const e of audited) expect(e).toMatchObject({ action: 'bot.use', resource: `conversation:${kind}`, outcome: 'deny', reason: 'personal-chat-only' });
      expect(writes.filter((op) => !(op.op === 'append' && op.log === AUDIT_LOG))).toEqual([]);
      expect(writes).toHaveLength(7);
      expect(await h.bot.ctx.store.get(`conv:u-politie`)).toBeDefined(); // the personal reference is untouched …
      expect(JSON.stringify((await h.bot.ctx.store.get(`conv:u-politie`))!.value)).not.toContain(conversationId); // … and not replaced
    });
  }

  it('an activity without a conversation type is refused the same way (fail closed)', async () => {
    const res = await post(h.bot.url, { ...actionExecute(politie, h.stub.url, SIGNAL_VERBS.caseDetails, { caseRef }), conversation: { id: 'a:no-type' } });
    expect(res.body?.value).toBe(nl.identity.personalChatOnly);
    expect((await audits('u-politie')).at(-1)).toMatchObject({ resource: 'conversation:unknown', outcome: 'deny', reason: 'personal-chat-only' });
  });

  it('the same user in the personal chat still gets the case and the person', async () => {
    const res = await post(h.bot.url, actionExecute(politie, h.stub.url, SIGNAL_VERBS.caseDetails, { caseRef }));
    expect(JSON.stringify(res.body)).toContain(PERSON.personName);
  });
});

describe('per-user rate limit on card clicks', () => {
  let h: Harness;
  const clock = manualClock(new Date());
  /** Cards issued (`form:<cardId>` puts): what the "Nieuwe melding" click writes when it runs. */
  let forms = 0;

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: '3' }, { clock });
    const store = h.bot.ctx.store;
    const commit = store.commit.bind(store);
    store.commit = async (ops) => {
      forms += ops.filter((op) => op.op === 'put' && op.key.startsWith('form:')).length;
      return commit(ops);
    };
  });
  afterAll(async () => h?.close());

  const click = (user: TestUser) => post(h.bot.url, actionExecute(user, h.stub.url, SIGNAL_VERBS.openForm, {}));
  const formsIssued = async () => forms;

  it('limits Action.Execute invokes with the Dutch message, per user, and resets after the window', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await click(jongerenwerk);
      expect(res.status).toBe(200);
      expect(res.body?.value, `click ${i + 1}`).not.toBe(nl.general.rateLimited);
      expect(visibleText({ attachments: [{ content: res.body?.value }] })).toContain('Nieuwe melding');
    }
    const stored = await formsIssued();
    expect(stored).toBe(3);
    // The fourth click within the minute: the Dutch message, and the action did not run.
    const limited = await click(jongerenwerk);
    expect(limited.status).toBe(200);
    expect(limited.body?.value).toBe(nl.general.rateLimited);
    // Clicks and typed messages share the budget.
    await post(h.bot.url, message(jongerenwerk, h.stub.url, 'help'));
    expect(h.stub.to(personalConversationId(jongerenwerk)).at(-1)!.activity.text).toBe(nl.general.rateLimited);
    expect(await formsIssued()).toBe(stored);
    // Another user is not affected.
    expect((await click(handhaving)).body?.value).not.toBe(nl.general.rateLimited);

    // Still inside the window: still limited.
    clock.advance(59_000);
    expect((await click(jongerenwerk)).body?.value).toBe(nl.general.rateLimited);
    // After the window: clicks work again.
    clock.advance(1_001);
    const again = await click(jongerenwerk);
    expect(again.body?.value).not.toBe(nl.general.rateLimited);
    expect(visibleText({ attachments: [{ content: again.body?.value }] })).toContain('Nieuwe melding');
  });
});
