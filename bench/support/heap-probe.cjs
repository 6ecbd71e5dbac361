// Diagnostics for the soak drill (not used by default): preload into the bot with
//   BOT_NODE_ARGS="--expose-gc --require ./bench/support/heap-probe.cjs" npm run drills -- --only soak
// Every 2 s it runs a full GC and prints the live heap, so RSS growth can be told apart from a leak.
'use strict';
const { isMainThread } = require('node:worker_threads');
if (isMainThread && typeof global.gc === 'function') {
  setInterval(() => {
    global.gc();
    const m = process.memoryUsage();
    process.stdout.write(`HEAP_PROBE ${JSON.stringify({ at: Date.now(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external })}\n`);
  }, 2_000).unref();
}
