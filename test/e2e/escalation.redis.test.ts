import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluateEscalationsNow } from '../../src/app/escalation.js';
import { keys } from '../../src/app/signals.js';
import { loadConfig, type Config } from '../../src/config.js';
import { DEFAULT_ESCALATION_RULES } from '../../src/domain/escalation.js';
import { createLogger } from '../../src/log.js';
import { startBot, type RunningBot } from '../../src/main.js';
import { RedisStore } from '../../src/store/redis.js';
import { TEST_DIRECTORY } from '../support/bot.js';
import { startConnectorStub, type ConnectorStub } from '../support/connector-stub.js';
import { requireRedisUrl } from '../support/redis-url.js';
import { TEST_TENANT, actionExecute, message, personalConversationId, post, visibleText, type TestUser, findAll } from '../support/teams.js';

/**
 * Redis mode: bot instances sharing one Redis (store + BullMQ queue), real time. One Bot Connector
 * stub records what every instance posts. Tests wait for what must happen and then give extra runs
 * time to show up before checking that nothing more happened — counts, never durations.
 */

const jongerenwerk: TestUser = { aadObjectId: 'u-jongerenwerk' };
const politie: TestUser = { aadObjectId: 'u-politie' };
const wijkmanager: TestUser = { aadObjectId: 'u-wijkmanager' };
const WM_CONV = personalConversationId(wijkmanager);
/** Time given to a wrong second delivery to show up. */
const SETTLE_MS = 1_500;

const bots: RunningBot[] = [];
let stub: ConnectorStub | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  for (const b of bots.splice(0)) await b.stop();
  await stub?.close();
  stub = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function config(): Config {
  dataDir = mkdtempSync(join(tmpdir(), 'ovb-esc-redis-'));
  const loaded = loadConfig({ PORT: '0', DATA_DIR: dataDir, DIRECTORY_FILE: TEST_DIRECTORY, TENANT_ID: TEST_TENANT, REDIS_URL: requireRedisUrl(), LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return loaded.config;
}

/** A bot instance on the shared Redis, isolated from other tests by the prefixes. */
async function instance(cfg: Config, prefix: string): Promise<RunningBot> {
  const store = await RedisStore.connect(cfg.redisUrl!, { prefix: `${prefix}:` });
  const bot = await startBot(cfg, { store, jobs: { prefix }, log: createLogger({ level: 'silent' }) });
  bots.push(bot);
  return bot;
}

function amsterdamNow(): { date: string; time: string } {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(Date.now() - 60 * 60_000))
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

async function report(bot: RunningBot, s: ConnectorStub, user: TestUser): Promise<string> {
  await post(bot.url, message(user, s.url, 'melding'));
  const form = s.to(personalConversationId(user)).at(-1)!;
  const submit = findAll(form.activity.attachments, (n) => n.type === 'Action.Execute' && n.verb === 'signal.submit')[0];
  const { date, time } = amsterdamNow();
  const res = await post(
    bot.url,
    actionExecute(user, s.url, 'signal.submit', {
      cardId: submit.data.cardId,
      kind: 'overlast',
      district: 'crabbehof',
      location: 'Sumatraplein',
      observedDate: date,
      observedTime: time,
      categories: 'geluid',
      severity: 'middel',
      subject: 'locatie',
      source: 'eigen-waarneming',
      description: 'Harde muziek bij de speeltuin.',
    }),
  );
  const text = visibleText({ attachments: [{ content: res.body.value }] });
  expect(text).toContain('Melding ontvangen');
  return /M-\d{4}-\d{5}/.exec(text)![0];
}

const notices = (s: ConnectorStub) => s.to(WM_CONV).filter((p) => visibleText(p.activity).includes('Drempel bereikt'));

describe('escalation notices with two bot instances on one Redis', () => {
  it('signals through two instances, both evaluating: exactly one notice', async () => {
    const cfg = config();
    const prefix = `test-esc-${randomUUID()}`;
    stub = await startConnectorStub();
    const a = await instance(cfg, prefix);
    const b = await instance(cfg, prefix);
    await post(a.url, message(wijkmanager, stub.url, 'help'));
    await report(a, stub, jongerenwerk);
    const signalRef = await report(b, stub, politie);
    // Besides the jobs each instance runs, both evaluate the same change at the same moment.
    const signalId = (await a.ctx.store.get<{ signalId: string }>(keys.signalRef(signalRef)))!.value.signalId;
    const setup = { rules: DEFAULT_ESCALATION_RULES };
    await Promise.all([
      evaluateEscalationsNow(a.ctx, setup, { type: 'signal', signalId }),
      evaluateEscalationsNow(b.ctx, setup, { type: 'signal', signalId }),
    ]);
    await stub.waitFor((p) => p.conversationId === WM_CONV && visibleText(p.activity).includes('Drempel bereikt'), 10_000);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(notices(stub)).toHaveLength(1);
    expect(visibleText(notices(stub)[0]!.activity)).toContain('Meerdere partijen melden over één plek');
  });

  it('a restart with a notice waiting for its retry delivers it exactly once', async () => {
    const cfg = config();
    const prefix = `test-esc-${randomUUID()}`;
    stub = await startConnectorStub();
    let refused = 0;
    stub.respond((p) => {
      if (p.conversationId !== WM_CONV || !JSON.stringify(p.activity).includes('Drempel bereikt') || refused > 0) return undefined;
      refused++;
      return { status: 503, headers: { 'Retry-After': '1' }, body: { error: { code: 'ServiceUnavailable', message: 'try again' } } };
    });
    const first = await instance(cfg, prefix);
    await post(first.url, message(wijkmanager, stub.url, 'help'));
    await report(first, stub, jongerenwerk);
    await report(first, stub, politie);
    await vi.waitFor(() => expect(refused).toBe(1), { timeout: 10_000, interval: 20 });
    // The notice waits for its retry (Retry-After: 1 s) in Redis; this instance goes away.
    await first.stop();
    bots.splice(bots.indexOf(first), 1);
    expect(notices(stub)).toHaveLength(0);

    await instance(cfg, prefix);
    await stub.waitFor((p) => p.conversationId === WM_CONV && visibleText(p.activity).includes('Drempel bereikt'), 10_000);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(notices(stub)).toHaveLength(1);
  });
});
