import v8 from 'node:v8';

/**
 * Garbage-collector tuning of the bot's own process (docs/PERFORMANCE.md, items 17 and 19).
 *
 * V8 starts a full (mark-compact) collection once the old generation has grown by a factor over
 * what the last one kept. It picks the factor itself, between 1.1 and a cap that depends on the heap
 * limit: 4 for a limit of 2 GB and more (Node's default on a large host, which is how the benchmark's
 * echo bot runs), but only 1.4 under npm start's 512 MB. Under a heavy write load the bot promotes
 * a steady stream of objects, and with 1.4 a full collection ran about once a second, each holding
 * the event loop for several pauses: the slowest answers. With `percent` = 100 (the default) the
 * heap may grow to twice what the last collection kept: half as many full collections, each no
 * dearer (marking costs what is alive, not what is garbage). 0 leaves the factor to V8.
 *
 * Node refuses this V8 flag in NODE_OPTIONS, so it is set here, before the first request; V8 reads
 * it at every collection. `--max-old-space-size` still caps the heap, and npm start's
 * `--initial-old-space-size` sets a floor under which V8 does not collect at all: a fixed budget,
 * which keeps the resident memory flat where the factor alone let it swing.
 */
export function tuneHeap(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
