import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDrill, type DrillResult } from './drills/common.js';
import { crashDrill } from './drills/crash.js';
import { redisRestartDrill } from './drills/redis-restart.js';
import { twoInstancesDrill } from './drills/two-instances.js';
import { soakDrill } from './drills/soak.js';

/**
 * `npm run drills`: the reliability drills, each bounded in time, stopping by itself, on loopback
 * only. Each prints what it checked and PASS/FAIL with figures; the exit code is 1 if any failed.
 * Short versions of the same drills run in `npm test` (test/drills/). See docs/RELIABILITY.md.
 *
 *   npm run drills                          # all, full size (a few minutes)
 *   npm run drills -- --only crash-embedded,soak
 *   npm run drills -- --smoke               # the sizes npm test uses
 */

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'crash-embedded,crash-redis,redis-restart,two-instances,soak,soak-redis' },
    smoke: { type: 'boolean', default: false },
  },
});

type DrillName = 'crash-embedded' | 'crash-redis' | 'redis-restart' | 'two-instances' | 'soak' | 'soak-redis';

/** Full sizes for `npm run drills`; smoke sizes are what test/drills/*.test.ts use. */
export const DRILLS: Record<DrillName, { full: () => Promise<DrillResult>; smoke: () => Promise<DrillResult> }> = {
  'crash-embedded': {
    full: () => crashDrill({ mode: 'embedded', killAfterConfirmed: 300, minLoadMs: 3_000, workers: 16, afterSubmits: 1_000, notices: 2_000, killAfterNotices: 100, reminderDelayMs: 40_000, killWhenQuiet: false, leaseWaitMs: 75_000, deadlineMs: 240_000 }),
    smoke: () => crashDrill({ mode: 'embedded', killAfterConfirmed: 60, minLoadMs: 1_000, workers: 4, pauseMs: 100, places: 4, afterSubmits: 30, notices: 40, killAfterNotices: 20, reminderDelayMs: 10_000, killWhenQuiet: true, leaseWaitMs: 0 }),
  },
  'crash-redis': {
    full: () => crashDrill({ mode: 'redis', killAfterConfirmed: 300, minLoadMs: 3_000, workers: 16, afterSubmits: 1_000, notices: 2_000, killAfterNotices: 100, reminderDelayMs: 40_000, killWhenQuiet: false, leaseWaitMs: 75_000, deadlineMs: 240_000 }),
    smoke: () => crashDrill({ mode: 'redis', killAfterConfirmed: 60, minLoadMs: 1_000, workers: 4, pauseMs: 100, places: 4, afterSubmits: 30, notices: 40, killAfterNotices: 20, reminderDelayMs: 10_000, killWhenQuiet: true, leaseWaitMs: 0 }),
  },
  'redis-restart': {
    full: () => redisRestartDrill({ confirmedBefore: 1_000, minBeforeMs: 4_000, downMs: 5_000, confirmedAfter: 1_000, workers: 12 }),
    smoke: () => redisRestartDrill({ confirmedBefore: 30, minBeforeMs: 1_000, downMs: 2_000, confirmedAfter: 30, workers: 4 }),
  },
  'two-instances': {
    full: () => twoInstancesDrill({ submits: 2_000, doubleSubmits: 200, workers: 16, notices: 600, reminderDelayMs: 15_000 }),
    smoke: () => twoInstancesDrill({ submits: 150, doubleSubmits: 20, workers: 6, notices: 40, reminderDelayMs: 4_000 }),
  },
  soak: {
    full: () => soakDrill({ activities: 10_000, warmup: 4_000, concurrency: 8, checkRss: true }),
    smoke: () => soakDrill({ activities: 600, concurrency: 6, checkRss: false }),
  },
  'soak-redis': {
    full: () => soakDrill({ activities: 10_000, warmup: 4_000, concurrency: 8, checkRss: true, mode: 'redis' }),
    smoke: () => soakDrill({ activities: 600, concurrency: 6, checkRss: false, mode: 'redis' }),
  },
};

async function main(): Promise<void> {
  const names = args.only!.split(',') as DrillName[];
  for (const n of names) if (!DRILLS[n]) throw new Error(`unknown drill "${n}"; known: ${Object.keys(DRILLS).join(', ')}`);
  console.log(`# Overlastbot reliability drills — ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`size: ${args.smoke ? 'smoke (as in npm test)' : 'full'}\n`);
  const results: DrillResult[] = [];
  for (const name of names) {
    const result = await (args.smoke ? DRILLS[name].smoke() : DRILLS[name].full());
    results.push(result);
    console.log(formatDrill(result) + '\n');
  }
  console.log('## Summary');
  for (const r of results) console.log(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}  (${r.checks.filter((c) => c.pass).length}/${r.checks.length} checks, ${(r.durationMs / 1000).toFixed(1)} s)${r.notDone.length ? `  — ${r.notDone.length} part(s) not done` : ''}`);
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main()
    .catch((error) => {
      console.error(`drills failed: ${(error as Error).stack ?? error}`);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
