import type { Logger } from '../log.js';
import type { Directory } from '../domain/directory.js';
import type { Clock, Jobs, Store } from '../ports.js';
import type { Outbox } from './outbox.js';

/** What every use case gets: the ports, the directory and a logger. Built once in src/main.ts. */
export interface AppContext {
  store: Store;
  directory: Directory;
  clock: Clock;
  log: Logger;
  /** Time zone of the process (Europe/Amsterdam): dates in cards and night-time rules use it. */
  timeZone: string;
  /** Delayed and retried work (notices, reminders, rule evaluation). */
  jobs: Jobs;
  /** Proactive notices to personal chats, delivered exactly once or reported as failed. */
  outbox: Outbox;
}
