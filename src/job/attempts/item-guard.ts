/**
 * The item guard of the shard iterators (`job.shard.range(n, { quarantine:
 * true })`): the two halves of job.item (begin: skip or mark; end: count and
 * clear) with the loop in between, for code that iterates instead of passing
 * a function. The sharding layer sees only the ItemGuard interface.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import type { ItemGuard } from '../../sharding/types.ts';
import type { BegunItem, ItemRunner } from './quarantine.ts';

/**
 * An {@link ItemGuard} on top of the attempt's item runner: crash quarantine
 * only (`'crashes'`), since an error thrown in a for-await body leaves the
 * loop before the iterator could see it.
 *
 * @example
 * ```ts
 * const shard = createShardHelpers({ identity, itemGuard: createItemGuard(lineage.items) });
 * for await (const i of shard.range(10, { quarantine: true })) await handle(i);
 * ```
 */
export function createItemGuard(runner: ItemRunner): ItemGuard {
  // Items begun and not yet ended, by key. A key begun twice at once (two
  // loops over the same keys) is refused by the map below, not double-counted.
  const begun = new Map<string, BegunItem>();
  return {
    async begin(key) {
      if (begun.has(key)) throw new ConfigurationError(`job.shard: item ${JSON.stringify(key)} is already in progress in another guarded loop (two quarantine iterators share item keys)`);
      const started = await runner.begin(key, 'crashes');
      if (started.skip) return 'skip';
      begun.set(key, started.item);
      return 'run';
    },
    end(key, finished) {
      const item = begun.get(key);
      if (item === undefined) return;
      begun.delete(key);
      runner.end(item, finished ? 'processed' : 'uncounted');
    },
  };
}
