import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedStore } from '../src/store/embedded.js';
import { RedisStore } from '../src/store/redis.js';
import type { Store } from '../src/ports.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { actionExecute, message, personalConversationId, visibleText } from '../test/support/teams.js';
import { connectorClient } from './support/connector.js';
import { benchContext, issueCards, prepareCase, REPORTERS, signalInputs, WIJKMANAGER, type IssuedCard } from './support/data.js';
import { runLoad, type LoadResult } from './support/load.js';
import { ROOT, cpuCounters, cpuTimeMs, startBotProcess, startNode, type NodeChild } from './support/proc.js';
import { ESCALATION_PARTS, runEscalationBenchmarks, type Figure } from './support/escalation-bench.js';

/**
 * `npm run bench`: Overlastbot (embedded store, then Redis) against a bare teams-ai echo bot on the
 * same stack, driven over HTTP by autocannon with the same Teams-shaped load, replies going to one
 * fast Bot Connector stub. Every process under test is a child (`node --import tsx …`); data is
 * prepared with the project's code before the bot starts. See docs/PERFORMANCE.md.
 *
 *   npm run bench                       # 10 s per measurement, 2 s warm-up, 1 and 20 connections
 *   npm run bench -- --duration 5 --warmup 1 --out /tmp/bench.json
 */

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1,20' },
    /** Which targets to run: echo, embedded, redis, escalation. */
    only: { type: 'string', default: 'echo,embedded,redis,escalation' },
    /** Which bot workloads to measure: help, case, submit. */
    workloads: { type: 'string', default: 'help,case,submit' },
    /** Upper bound on submits/s used to size the pre-issued card ids per run. */
    'max-submit-rate': { type: 'string', default: '' },
    'log-level': { type: 'string', default: 'info' },
    'signals-1m': { type: 'string', default: '1000000' },
    notices: { type: 'string', default: '1000' },
    /** Which escalation benchmarks to run: rules, notices-embedded, notices-redis. */
    escalation: { type: 'string', default: ESCALATION_PARTS.join(',') },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = args.connections!.split(',').map(Number);
const ONLY = new Set(args.only!.split(','));
const STORES = (['embedded', 'redis'] as const).filter((s) => ONLY.has(s));

type Kind = 'message' | 'invoke';
interface Workload {
  name: 'help' | 'case' | 'submit';
  kind: Kind;
}
const WORKLOADS: Workload[] = (
  [
    { name: 'help', kind: 'message' },
    { name: 'case', kind: 'message' },
    { name: 'submit', kind: 'invoke' },
  ] as const
).filter((w) => args.workloads!.split(',').includes(w.name));

interface Row {
  target: string;
  workload: string;
  kind: Kind;
  result: LoadResult;
  /** Activities the connector stub accepted during the measurement (replies), for message workloads. */
  posted?: number;
  cardsShort?: number;
  /** CPU time (user + system) the process under test used per measured request, ms. */
  cpuMsPerRequest?: number;
  /** Share of the machine's CPU time the hypervisor gave to other guests during the measurement. */
  stealPercent?: number;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-bench-'));
const children: NodeChild[] = [];
let redis: RedisServer | undefined;
const log = (line: string) => console.log(line);

function machineFacts() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    if (execSync('git status --porcelain', { cwd: ROOT }).toString().trim()) commit += ' (+ uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    commit,
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  };
}

async function openPrepared(kind: 'embedded' | 'redis', dataDir: string): Promise<Store> {
  return kind === 'embedded' ? EmbeddedStore.open(dataDir) : RedisStore.connect(redis!.url);
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

async function main(): Promise<void> {
  const facts = machineFacts();
  log(`# Overlastbot benchmark — ${facts.date}`);
  log(`machine: ${facts.cpus} × ${facts.cpuModel}, ${facts.memGiB} GiB, ${facts.platform}; node ${facts.node}; load ${facts.loadavg}`);
  log(`code: ${facts.commit}; command: ${facts.command}`);
  log(`runs: ${DURATION} s measured after ${WARMUP} s warm-up, connections ${CONNECTIONS.join(' and ')}, bot LOG_LEVEL=${args['log-level']}`);

  const stubChild = await startNode({ name: 'connector', script: 'bench/support/connector.ts', env: {}, logFile: path.join(tmp, 'connector.log') });
  children.push(stubChild);
  const stub = connectorClient(stubChild.url);
  const serviceUrl = stubChild.url;

  // --- prepare data and start the processes under test ----------------------------------------
  if (STORES.includes('redis')) redis = await startRedisServer();
  const cards = new Map<string, IssuedCard[]>();
  const caseRefs = new Map<string, string>();
  const maxRate = (c: number) => Number(args['max-submit-rate'] || (c === 1 ? 1500 : 4500));
  const bots = new Map<string, NodeChild>();
  for (const kind of STORES) {
    const dataDir = path.join(tmp, `data-${kind}`);
    const started = Date.now();
    const store = await openPrepared(kind, dataDir);
    const ctx = benchContext(store);
    const caseRef = await prepareCase(ctx, 50);
    caseRefs.set(kind, caseRef);
    for (const c of CONNECTIONS) {
      const n = Math.ceil(maxRate(c) * (DURATION + WARMUP)) + c;
      cards.set(`${kind}:${c}`, await issueCards(ctx, REPORTERS, n));
    }
    await store.close();
    log(`prepared ${kind}: case ${caseRef} with 50 signals, ${[...cards.entries()].filter(([k]) => k.startsWith(kind)).reduce((s, [, v]) => s + v.length, 0)} card ids (${Date.now() - started} ms)`);
    const bot = await startBotProcess(
      `bot-${kind}`,
      { dataDir, ...(kind === 'redis' ? { redisUrl: redis!.url } : {}), logLevel: args['log-level']! },
      path.join(tmp, `bot-${kind}.log`),
    );
    children.push(bot);
    bots.set(kind, bot);
  }
  let echo: NodeChild | undefined;
  if (ONLY.has('echo')) {
    echo = await startNode({
      name: 'echo',
      script: 'bench/echo-bot.ts',
      env: {},
      logFile: path.join(tmp, 'echo.log'),
      // For investigations only, as BOT_NODE_ARGS for the bots, e.g. ECHO_NODE_ARGS="--cpu-prof".
      ...(process.env.ECHO_NODE_ARGS ? { nodeArgs: process.env.ECHO_NODE_ARGS.split(' ').filter(Boolean) } : {}),
    });
    children.push(echo);
  }

  // --- request bodies ----------------------------------------------------------------------------
  let n = 0;
  const reporter = () => ({ aadObjectId: REPORTERS[n++ % REPORTERS.length]! });
  const wijkmanager = { aadObjectId: WIJKMANAGER };
  const bodies = (target: string, workload: Workload, c: number): { body: () => string; check?: (s: number, b: string) => boolean; short: () => number } => {
    if (target === 'echo') {
      return workload.kind === 'message'
        ? { body: () => JSON.stringify(message(reporter(), serviceUrl, 'help')), short: () => 0 }
        : {
            body: () => JSON.stringify(actionExecute(reporter(), serviceUrl, 'signal.submit', { cardId: '00000000-0000-4000-8000-000000000000', ...signalInputs() })),
            check: (s, b) => s === 200 && b.includes('Ontvangen'),
            short: () => 0,
          };
    }
    if (workload.name === 'help') return { body: () => JSON.stringify(message(reporter(), serviceUrl, 'help')), short: () => 0 };
    if (workload.name === 'case') {
      const text = `casus ${caseRefs.get(target)}`;
      return { body: () => JSON.stringify(message(wijkmanager, serviceUrl, text)), short: () => 0 };
    }
    // submit: a fresh card id per request; running out would hit the cheap duplicate path, so it is counted.
    const queue = cards.get(`${target}:${c}`)!;
    let next = 0;
    let short = 0;
    const inputs = signalInputs();
    return {
      body: () => {
        const card = queue[next] ?? (short++, queue[queue.length - 1]!);
        next = Math.min(next + 1, queue.length);
        const location = `Benchstraat ${next % 100}`;
        return JSON.stringify(actionExecute({ aadObjectId: card.userId }, serviceUrl, 'signal.submit', { cardId: card.cardId, ...inputs, location }));
      },
      check: (s, b) => s === 200 && b.includes('Melding ontvangen'),
      short: () => short,
    };
  };

  // --- sanity: every workload does what it should before it is measured --------------------------
  for (const [kind, bot] of bots) {
    for (const w of WORKLOADS) {
      if (w.name === 'submit') {
        // One card from the end of a queue (the load takes them from the front; queues have a margin).
        const card = cards.get(`${kind}:${CONNECTIONS[0]}`)!.pop()!;
        const res = await post(bot.url, actionExecute({ aadObjectId: card.userId }, serviceUrl, 'signal.submit', { cardId: card.cardId, ...signalInputs({ location: 'Probeplein' }) }));
        if (!JSON.stringify(res.body).includes('Melding ontvangen')) throw new Error(`sanity: ${kind} submit did not confirm: ${JSON.stringify(res.body).slice(0, 300)}`);
        continue;
      }
      const { body } = bodies(kind, w, CONNECTIONS[0]!);
      const activity = JSON.parse(body());
      const conv = personalConversationId({ aadObjectId: activity.from.aadObjectId });
      await post(bot.url, activity);
      // Not just the last activity: the first message of the wijkmanager releases the escalation
      // notices that waited for their conversation, and one may arrive right after the reply.
      const texts = (await stub.recent(conv)).map((a) => visibleText(a as never));
      const expected = w.name === 'help' ? 'Wat je kunt doen' : 'Beoordeling';
      if (!texts.some((t) => t.includes(expected))) throw new Error(`sanity: ${kind} ${w.name} reply lacks "${expected}": ${(texts.at(-1) ?? '').slice(0, 200)}`);
    }
  }

  // --- measurements ------------------------------------------------------------------------------
  const rows: Row[] = [];
  const measure = async (target: string, url: string, pid: number, workload: Workload, c: number, label = target) => {
    const { body, check, short } = bodies(target, workload, c);
    let cpuBefore = 0;
    let machineBefore = cpuCounters();
    const result = await runLoad({
      url,
      connections: c,
      durationSec: DURATION,
      warmupSec: WARMUP,
      body,
      ...(check ? { check } : {}),
      beforeMeasure: () => {
        cpuBefore = cpuTimeMs(pid);
        machineBefore = cpuCounters();
        return stub.reset();
      },
    });
    // Less noisy than requests/s on a shared host: the CPU the process spent per request (the load
    // generator and the stub run on the same cores, so throughput also depends on their share).
    const cpuMsPerRequest = result.requests > 0 ? (cpuTimeMs(pid) - cpuBefore) / result.requests : undefined;
    const machineAfter = cpuCounters();
    const stealPercent = (100 * (machineAfter.steal - machineBefore.steal)) / Math.max(1, machineAfter.total - machineBefore.total);
    const posted = (await stub.stats()).posted;
    const row: Row = {
      target: label,
      workload: workload.name === 'help' && target === 'echo' ? 'message' : workload.name === 'submit' && target === 'echo' ? 'invoke' : workload.name,
      kind: workload.kind,
      result,
      posted,
      cardsShort: short(),
      ...(cpuMsPerRequest !== undefined ? { cpuMsPerRequest } : {}),
      stealPercent,
    };
    rows.push(row);
    log(
      `${label.padEnd(14)} ${row.workload.padEnd(8)} c=${String(c).padEnd(3)} ${fmt(result.rps, 0).padStart(6)} req/s  p50 ${fmt(result.p50)}  p95 ${fmt(result.p95)}  p99 ${fmt(result.p99)}  max ${fmt(result.max)} ms  cpu ${cpuMsPerRequest?.toFixed(2) ?? '?'} ms/req` +
        `  (n=${result.requests}, replies=${posted}, errors=${result.errors + result.timeouts + result.non2xx}, bad=${result.badResponses}${row.cardsShort ? `, CARDS RAN OUT ×${row.cardsShort}` : ''}, load ${result.loadBefore.toFixed(1)}→${result.loadAfter.toFixed(1)}, steal ${stealPercent.toFixed(0)} %)`,
    );
  };

  for (const c of CONNECTIONS) {
    if (echo) {
      await measure('echo', echo.url, echo.pid, { name: 'help', kind: 'message' }, c, 'echo (before)');
      await measure('echo', echo.url, echo.pid, { name: 'submit', kind: 'invoke' }, c, 'echo (before)');
    }
    for (const [kind, bot] of bots) for (const w of WORKLOADS) await measure(kind, bot.url, bot.pid, w, c, `bot-${kind}`);
    if (echo) {
      await measure('echo', echo.url, echo.pid, { name: 'help', kind: 'message' }, c, 'echo (after)');
      await measure('echo', echo.url, echo.pid, { name: 'submit', kind: 'invoke' }, c, 'echo (after)');
    }
  }

  // Are the processes under test still healthy (no crash under load)?
  for (const ch of children) if (!ch.alive()) throw new Error(`${ch.name} died during the benchmark:\n${ch.log().slice(-2000)}`);
  for (const [kind, bot] of bots) {
    const problems = bot.log().split('\n').filter((l) => /"event":"(unhandled-rejection|turn\.error|http\.error)"/.test(l));
    if (problems.length) log(`WARNING: bot-${kind} logged ${problems.length} error lines, first: ${problems[0]!.slice(0, 300)}`);
  }
  for (const ch of [...children].reverse()) await ch.stop();
  children.length = 0;

  // --- escalation benchmarks ---------------------------------------------------------------------
  let escalation: Figure[] = [];
  if (ONLY.has('escalation')) {
    escalation = await runEscalationBenchmarks({ tmp, signals: Number(args['signals-1m']), notices: Number(args.notices), parts: args.escalation!.split(','), log });
  }

  // --- report ------------------------------------------------------------------------------------
  const figures = report(rows, escalation);
  if (args.out) fs.writeFileSync(args.out, JSON.stringify({ facts, durationSec: DURATION, warmupSec: WARMUP, rows, escalation, figures }, null, 2));
  const failed = figures.filter((f) => f.verdict === 'MISS');
  log(`\n${figures.filter((f) => f.verdict).length} targets checked, ${failed.length} missed; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

async function post(url: string, activity: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** The compact table: one row per figure, `key value unit target verdict`, stable keys across runs. */
function report(rows: Row[], escalation: Figure[]): Figure[] {
  const figures: Figure[] = [];
  const echoBest = (kind: Kind, c: number) => {
    const runs = rows.filter((r) => r.target.startsWith('echo') && r.kind === kind && r.result.connections === c);
    if (runs.length === 0) return undefined;
    const cpu = runs.map((r) => r.cpuMsPerRequest).filter((x) => x !== undefined);
    return {
      rps: Math.max(...runs.map((r) => r.result.rps)),
      p99: Math.min(...runs.map((r) => r.result.p99)),
      ...(cpu.length > 0 ? { cpuMsPerRequest: Math.min(...cpu) } : {}),
    };
  };
  for (const r of rows) {
    const c = r.result.connections;
    const key = `${r.target.startsWith('echo') ? r.target.replace(/ \((before|after)\)/, '.$1').replace(' ', '') : r.target}.${r.workload}.c${c}`;
    const valid = r.result.errors + r.result.timeouts + r.result.non2xx + r.result.badResponses === 0 && !r.cardsShort;
    figures.push({ key: `${key}.rps`, value: r.result.rps, unit: 'req/s', ...(valid ? {} : { note: 'errors or bad responses in this run' }) });
    figures.push({ key: `${key}.p50`, value: r.result.p50, unit: 'ms' });
    figures.push({ key: `${key}.p95`, value: r.result.p95, unit: 'ms' });
    const p99: Figure = { key: `${key}.p99`, value: r.result.p99, unit: 'ms' };
    if (!r.target.startsWith('echo') && c === 1) {
      p99.target = '<= 25 ms';
      p99.verdict = r.result.p99 <= 25 ? 'MET' : 'MISS';
    }
    figures.push(p99);
    if (r.cpuMsPerRequest !== undefined) figures.push({ key: `${key}.cpu-per-request`, value: r.cpuMsPerRequest, unit: 'ms' });
    const echo = r.target.startsWith('echo') ? undefined : echoBest(r.kind, c);
    if (echo) {
      const rpsRatio: Figure = { key: `${key}.rps-vs-echo`, value: r.result.rps / echo.rps, unit: '×' };
      const p99Ratio: Figure = { key: `${key}.p99-vs-echo`, value: r.result.p99 / echo.p99, unit: '×' };
      if (c === 20) {
        rpsRatio.target = '>= 0.5×';
        rpsRatio.verdict = rpsRatio.value >= 0.5 ? 'MET' : 'MISS';
        p99Ratio.target = '<= 2×';
        p99Ratio.verdict = p99Ratio.value <= 2 ? 'MET' : 'MISS';
      }
      figures.push(rpsRatio, p99Ratio);
      // No target of its own: what the bot's work costs next to the framework's, without the noise.
      if (r.cpuMsPerRequest !== undefined && echo.cpuMsPerRequest) {
        figures.push({ key: `${key}.cpu-vs-echo`, value: r.cpuMsPerRequest / echo.cpuMsPerRequest, unit: '×' });
      }
    }
    if (!valid) {
      const bad: Figure = { key: `${key}.errors`, value: r.result.errors + r.result.timeouts + r.result.non2xx + r.result.badResponses + (r.cardsShort ?? 0), unit: 'count', target: '0', verdict: 'MISS' };
      figures.push(bad);
    }
  }
  figures.push(...escalation);
  const w = Math.max(...figures.map((f) => f.key.length));
  log('\n## Figures (one per row)\n');
  log(`${'figure'.padEnd(w)}  ${'value'.padStart(10)}  unit   target     verdict`);
  for (const f of figures) {
    const value = f.unit === '×' ? f.value.toFixed(2) : f.unit === 'ms' ? f.value.toFixed(f.key.endsWith('.cpu-per-request') ? 2 : 1) : f.unit === 'req/s' ? f.value.toFixed(0) : String(Math.round(f.value * 100) / 100);
    log(`${f.key.padEnd(w)}  ${value.padStart(10)}  ${f.unit.padEnd(5)}  ${(f.target ?? '').padEnd(9)}  ${f.verdict ?? ''}${f.note ? `  (${f.note})` : ''}`);
  }
  return figures;
}

async function cleanup(): Promise<void> {
  for (const ch of [...children].reverse()) await ch.kill9().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
  if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

main()
  .then(cleanup, async (error) => {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 100).unref());
