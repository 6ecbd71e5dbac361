import type { Store } from '../../src/ports.js';

/** `store` as it is, but every method called on it is pushed to `calls` by name (to count round trips). */
export function countingStore(store: Store, calls: string[]): Store {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
