import v8 from 'node:v8';

/**
 * Garbage-collector tuning of the bot's own process (docs/PERFORMANCE.md, item 17).
 *
 * V8 starts a full (mark-compact) collection once the old generation has grown by a factor over
 * what the last one kept, a factor it picks itself (about 1.4 under the benchmark's load). Under a
 * heavy write load the bot promotes a steady stream of objects, and a full collection then runs about
 * once a second, each holding the event loop for several pauses of 4–15 ms: the slowest answers.
 * With `percent` = 100 the heap may grow to twice what the last collection kept: half as many full
 * collections, each no dearer (marking costs what is alive, not what is garbage), for more memory
 * between them. The default is V8's own choice (0): with 100 the soak drill's resident memory grew
 * by 9–10 % over 10,000 activities (once 10.3 %) against 2–4 % (its limit is 10 %).
 *
 * Node refuses this V8 flag in NODE_OPTIONS, so it is set here, before the first request; V8 reads
 * it at every collection. `--max-old-space-size` still caps the heap: near the cap V8 collects
 * sooner whatever the factor.
 */
export function tuneHeap(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
