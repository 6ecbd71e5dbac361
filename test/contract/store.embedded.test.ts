import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../src/store/embedded.js';
import type { Store } from '../../src/ports.js';
import { storeContract, type StoreFixture } from './store.contract.js';

async function embeddedFixture(options: EmbeddedStoreOptions): Promise<StoreFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-embedded-'));
  let current: Store = await EmbeddedStore.open(dir, options);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await EmbeddedStore.open(dir, options);
      return current;
    },
    async cleanup() {
      await current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract('embedded', () => embeddedFixture({}));

// The same contract while snapshots are taken all the time: compaction must be invisible.
storeContract('embedded, compacting every 3 journal records', () => embeddedFixture({ compactAfterRecords: 3 }));
