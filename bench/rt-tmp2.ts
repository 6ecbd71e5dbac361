import { performance, PerformanceObserver } from 'node:perf_hooks';
const gcs: {s:number,e:number,k:number}[] = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push({ s: e.startTime, e: e.startTime + e.duration, k: (e as any).detail?.kind }); }).observe({ entryTypes: ['gc'] });
const spans: {a:number,d:number,t:number}[] = [];
import { evaluateEscalationsNow } from '../src/app/escalation.js';
import { OutboxService } from '../src/app/outbox-service.js';
import { keys, submitSignal } from '../src/app/signals.js';
import { DEFAULT_ESCALATION_RULES } from '../src/domain/escalation.js';
import { loadDirectory } from '../src/domain/directory.js';
import { openJobs } from '../src/jobs/index.js';
import { createLogger } from '../src/log.js';
import { systemClock } from '../src/ports.js';
import { RedisStore } from '../src/store/redis.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { actor, issueCards, REPORTERS, signalInputs, TIME_ZONE } from './support/data.js';
import { TEST_DIRECTORY } from './support/proc.js';
import { percentile } from './support/load.js';
const redis = await startRedisServer();
const store = await RedisStore.connect(redis.url, {});
const jobs = openJobs({ store, clock: systemClock, redisUrl: redis.url });
const quiet = createLogger({ level: 'silent' });
const directory = loadDirectory(TEST_DIRECTORY);
const base = { store, directory, clock: systemClock, log: quiet, timeZone: TIME_ZONE };
const outbox = new OutboxService({ ...base, jobs, messenger: { sendToUser: async () => ({ ok: false, reason: 'error', detail: 'x' }) } as any });
const ctx: any = { ...base, jobs, outbox };
const N = Number(process.env.N ?? 1500);
const cards = await issueCards(ctx, REPORTERS, N);
const tS: number[] = [], tE: number[] = [], tT: number[] = [];
for (let i = 0; i < N; i++) {
  const card = cards[i]!;
  const a = performance.now();
  const r: any = await submitSignal(ctx, actor(ctx, card.userId), { cardId: card.cardId, ...signalInputs({ location: `Benchplein ${i % 100}` }) });
  const b = performance.now();
  const signalId = (await store.get<any>(keys.signalRef(r.signalRef)))!.value.signalId;
  const c = performance.now();
  await evaluateEscalationsNow(ctx, { rules: DEFAULT_ESCALATION_RULES }, { type: 'signal', signalId, caseId: (await store.get<any>(keys.signal(signalId)))!.value.caseId });
  const d = performance.now();
  if (i < 1000) continue;
  tS.push(b - a); spans.push({a, d, t: d - c + b - a}); tE.push(d - c); tT.push(d - c + b - a);
}
for (const [n, l] of [['store', tS], ['eval', tE], ['total', tT]] as const) { l.sort((x, y) => x - y); console.log(n, 'p50', percentile(l, .5).toFixed(2), 'p95', percentile(l, .95).toFixed(2), 'p99', percentile(l, .99).toFixed(2), 'max', l.at(-1)!.toFixed(2)); }
const sorted=[...spans].sort((x,y)=>y.t-x.t).slice(0, Math.ceil(spans.length*0.02));
let withGc=0, gcMs=0; for (const sp of sorted) { const o = gcs.filter(g => g.e > sp.a && g.s < sp.d); if (o.length) { withGc++; gcMs += o.reduce((x,g)=>x+(g.e-g.s),0);} }
console.log('slowest 2%:', sorted.length, 'with GC overlap', withGc, 'gc ms total', gcMs.toFixed(1), 'their time total', sorted.reduce((x,s)=>x+s.t,0).toFixed(1));
await jobs.stop(); await store.close(); await redis.stop();
