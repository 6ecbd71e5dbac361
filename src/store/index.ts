import type { Store } from '../ports.js';
import { EmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
import { RedisStore, type RedisStoreOptions } from './redis.js';

export { EmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
export { RedisStore, type RedisStoreOptions } from './redis.js';

export interface StoreConfig {
  /** When set (and not blank), Redis is the store; `dataDir` is then not used for data. */
  redisUrl?: string;
  /** Data dir of the embedded store (journal, snapshot, LOCK). */
  dataDir: string;
  /** Adapter tuning; optional, defaults suit production. */
  redis?: RedisStoreOptions;
  embedded?: EmbeddedStoreOptions;
}

/**
 * Redis when a URL is configured (several bot instances can share it), otherwise the embedded
 * store in `dataDir` (one process only: it takes a lock on the dir).
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  const redisUrl = config.redisUrl?.trim();
  // An empty REDIS_URL= in an env file means "not configured", not "connect to nothing".
  if (redisUrl) return RedisStore.connect(redisUrl, config.redis);
  return EmbeddedStore.open(config.dataDir, config.embedded);
}
