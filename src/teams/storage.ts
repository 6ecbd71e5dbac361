import type { Storage, StoreItems } from 'botbuilder';
import type { Store } from '../ports.js';

/**
 * teams-ai turn state in the project's own store, with MemoryStorage's eTag rules:
 * a write whose eTag is '*' or absent overwrites; any other eTag must match the stored one,
 * otherwise the write fails (another turn changed the state first).
 */
export class StoreStorage implements Storage {
  constructor(
    private readonly store: Store,
    private readonly prefix = 'turnstate:',
  ) {}

  async read(keys: string[]): Promise<StoreItems> {
    const found = await this.store.getMany<Record<string, unknown>>(keys.map((k) => this.prefix + k));
    const items: StoreItems = {};
    keys.forEach((key, i) => {
      const v = found[i];
      if (v) items[key] = { ...v.value, eTag: v.etag };
    });
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...value } = (item ?? {}) as Record<string, unknown> & { eTag?: string };
      const condition = eTag && eTag !== '*' ? { ifEtag: eTag } : {};
      const result = await this.store.commit([{ op: 'put', key: this.prefix + key, value, ...condition }]);
      if (!result.ok) throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const result = await this.store.commit(keys.map((k) => ({ op: 'delete' as const, key: this.prefix + k })));
    if (!result.ok) throw new Error('Unexpected: unconditional delete reported a conflict');
  }
}
