// An event-loop and GC probe for investigations (docs/PERFORMANCE.md, item 15). Loaded into the bot
// under test with BOT_NODE_ARGS="--import ./bench/support/gc-probe.mjs"; every 0.5 s it appends one
// line to $GC_PROBE_DIR/gc-probe-<pid>.log (default: the OS temp dir): the event loop's max and
// p99 delay, heap used/total and RSS (MiB), and per GC kind (1 scavenge, 4 mark-compact,
// 8 incremental, 16 weak callbacks) count / total ms / longest ms. Not used by `npm test`.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

// Worker threads inherit the --import: only the main thread measures.
if (isMainThread) startProbe();

function startProbe() {
  const out = join(process.env.GC_PROBE_DIR ?? tmpdir(), `gc-probe-${process.pid}.log`);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcs = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const s = (gcs[e.detail?.kind ?? 0] ??= { n: 0, ms: 0, max: 0 });
      s.n++;
      s.ms += e.duration;
      s.max = Math.max(s.max, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const start = Date.now();
  const mib = (b) => (b / 2 ** 20).toFixed(0);
  setInterval(() => {
    const m = process.memoryUsage();
    const gc = Object.entries(gcs).map(([k, s]) => `k${k}:${s.n}/${s.ms.toFixed(0)}ms/max${s.max.toFixed(1)}`).join(' ');
    appendFileSync(out, `${((Date.now() - start) / 1000).toFixed(1)} s  loop max ${(delay.max / 1e6).toFixed(1)} p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms  heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} rss ${mib(m.rss)}  ${gc}\n`);
    delay.reset();
    gcs = {};
  }, 500).unref();
}
