import type { JobHandler } from '../ports.js';
import type { JobsLog } from './index.js';

/** At most n runs at a time; waiters are served in order. */
export class Slots {
  private readonly waiters: (() => void)[] = [];

  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/** Local runs queued or running at most (`Jobs.runHere` answers false beyond that). */
export const MAX_LOCAL_RUNS = 10_000;

interface Waiting {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * `Jobs.runHere` for both adapters: handler runs in this process, nothing stored. `held` (the
 * in-process adapter with polling off, for tests) keeps them until `drain()`; otherwise each starts
 * as soon as one of `concurrency` slots is free. Anything but `done` is logged, not retried: the
 * caller's recovery job redoes the work.
 */
export class LocalRuns {
  private readonly slots: Slots;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Queued or running. */
  private count = 0;
  private stopped = false;

  constructor(
    private readonly handlers: ReadonlyMap<string, JobHandler>,
    concurrency: number,
    private readonly log: JobsLog,
    private readonly held = false,
    private readonly max = MAX_LOCAL_RUNS,
  ) {
    this.slots = new Slots(concurrency);
  }

  submit(type: string, payload: Record<string, unknown>): boolean {
    if (this.stopped) return false;
    if (!this.handlers.has(type)) throw new Error(`runHere('${type}'): no handler is registered for this type`);
    if (this.count >= this.max) {
      this.log.warn({ type, pending: this.max }, 'jobs: too many local runs pending; this one is left to its recovery');
      return false;
    }
    this.count++;
    if (this.held) this.waiting.push({ type, payload });
    else this.start(type, payload);
    return true;
  }

  /** Starts what is held and resolves when nothing runs any more; how many runs it started. */
  async drain(): Promise<number> {
    const started = this.waiting.length;
    for (const w of this.waiting.splice(0)) this.start(w.type, w.payload);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    return started;
  }

  /** Takes nothing new, drops what waits (its recovery redoes it) and waits for what runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.count -= this.waiting.splice(0).length;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private start(type: string, payload: Record<string, unknown>): void {
    const run = (async () => {
      await this.slots.acquire();
      try {
        if (this.stopped) return;
        const outcome = await this.handlers.get(type)!({ id: `here:${type}`, type, payload, attempt: 1 });
        if (outcome?.status !== 'done') {
          this.log.warn({ type, status: outcome?.status, reason: outcome && 'reason' in outcome ? outcome.reason : undefined }, 'jobs: a local run did not finish; left to its recovery');
        }
      } catch (error) {
        this.log.warn({ type, err: { message: error instanceof Error ? error.message : String(error) } }, 'jobs: a local run failed; left to its recovery');
      } finally {
        this.slots.release();
        this.count--;
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }
}
