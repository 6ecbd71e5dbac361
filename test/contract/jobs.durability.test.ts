import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessJobs } from '../../src/jobs/in-process.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { ENQUEUER_JOB_TYPE, enqueuerJobId } from '../support/fixtures/jobs-enqueuer.js';

/**
 * "A restart between enqueue and send delivers the notice exactly once", tested the hard way: a
 * real process enqueues notices and is killed with SIGKILL at a random moment, twice; then a
 * scheduler on the same data runs what is there. Every notice whose enqueue resolved must run
 * exactly once — including the ones enqueued again (as duplicates) after the first kill.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const enqueuerScript = path.join(root, 'test/support/fixtures/jobs-enqueuer.ts');

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Enqueuer {
  /** n → `enqueued` as printed in `ACK n enqueued`. */
  acks: Map<number, boolean>;
  /** Resolves once `ACK n` was printed; rejects if the enqueuer dies first. */
  waitForAck(n: number): Promise<void>;
  /** SIGKILL, resolved once the process is reaped (so its store LOCK is stale). */
  killHard(): Promise<void>;
}

function startEnqueuer(dir: string): Enqueuer {
  const child = spawn(process.execPath, ['--import', 'tsx', enqueuerScript, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const acks = new Map<number, boolean>();
  let highest = 0;
  let buffered = '';
  let stderr = '';
  const waiters: { n: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /^ACK (\d+) (true|false)$/.exec(line);
      if (!match) continue;
      acks.set(Number(match[1]), match[2] === 'true');
      highest = Math.max(highest, Number(match[1]));
    }
    for (const w of waiters.filter((w) => highest >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`enqueuer exited (code ${code}, signal ${signal}) after ACK ${highest}:\n${stderr}`));
      }
      resolve();
    });
  });
  return {
    acks,
    waitForAck: (n) => (highest >= n ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ n, resolve, reject }))),
    async killHard() {
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode).toBe('SIGKILL');
    },
  };
}

const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

describe('InProcessJobs durability', () => {
  it('every job whose enqueue was acknowledged before kill -9 runs exactly once, also across two kills', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-jobs-durability-'));
    dirs.push(dir);

    // Round 1: enqueue 1, 2, 3, … and die at a random moment.
    const first = startEnqueuer(dir);
    await first.waitForAck(randomBetween(20, 80));
    await first.killHard();
    const acked1 = Math.max(...first.acks.keys());
    expect([...first.acks.values()].every(Boolean)).toBe(true);

    // Round 2: the restarted process enqueues the same ids again (duplicates), then new ones, and dies too.
    const second = startEnqueuer(dir);
    await second.waitForAck(acked1 + randomBetween(20, 80));
    await second.killHard();
    const acked2 = Math.max(...second.acks.keys());
    for (const [n, enqueued] of second.acks) {
      // n = acked1 + 1 may or may not have been committed before the first kill.
      if (n <= acked1) expect(enqueued, `job ${n} was pending already`).toBe(false);
      if (n > acked1 + 1) expect(enqueued, `job ${n} is new`).toBe(true);
    }

    // The bot starts again and sends what is pending.
    const store = await EmbeddedStore.open(dir);
    const later = Date.now() + 24 * 60 * 60_000;
    const jobs = new InProcessJobs({
      store,
      clock: { now: () => new Date(later) },
      pollIntervalMs: 0,
      concurrency: 32,
      // Pacing is not under test here; a few hundred runs should not take seconds.
      limiter: { max: 100_000, durationMs: 1_000 },
    });
    const runs = new Map<string, number>();
    const payloadMismatches: string[] = [];
    jobs.register(ENQUEUER_JOB_TYPE, async (run) => {
      runs.set(run.id, (runs.get(run.id) ?? 0) + 1);
      if (run.id !== enqueuerJobId(run.payload.n as number)) payloadMismatches.push(run.id);
      return { status: 'done' };
    });
    try {
      await jobs.start();
      await jobs.runDue();
      expect(await jobs.runDue()).toBe(0);

      const acked = Array.from({ length: acked2 }, (_, i) => enqueuerJobId(i + 1));
      expect(acked.filter((id) => runs.get(id) !== 1)).toEqual([]);
      expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      // At most the one job whose commit was on disk when the second kill came, without its ACK.
      expect(runs.size).toBeLessThanOrEqual(acked2 + 1);
      expect(payloadMismatches).toEqual([]);
    } finally {
      await jobs.stop();
      await store.close();
    }
  });
});
