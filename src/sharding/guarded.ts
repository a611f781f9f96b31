/**
 * The per-item guard of the shard iterators (`quarantine: true`): how a
 * sequence's positions become item keys, and the loop that asks the guard
 * before each item and tells it after.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { ItemGuard } from './types.ts';

/**
 * A guard and the key of each item, as one sequence uses them.
 *
 * @example
 * ```ts
 * const guarded: GuardedKeys<number> = { guard, key: String, what: 'job.shard.range' };
 * const rows = resumableRange(shardRange(10, spec), undefined, guarded);
 * ```
 */
export interface GuardedKeys<T> {
  readonly guard: ItemGuard;
  /** The item's key for the guard (a dead letter's key). */
  readonly key: (item: T) => string;
  /** What the iterator is, for messages: `job.shard.range`. */
  readonly what: string;
}

/**
 * The default item key of `job.shard.items` under quarantine: the item when
 * it is a string or a number, else its `key` property when that is a string.
 * Undefined when neither holds, so the caller asks for a `key` option.
 *
 * @example
 * ```ts
 * defaultItemKey('a.csv'); // 'a.csv'
 * defaultItemKey(17); // '17'
 * defaultItemKey({ key: 'row-1' }); // 'row-1'
 * ```
 */
export function defaultItemKey(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  if (typeof item === 'number') return String(item);
  if (typeof item === 'object' && item !== null) {
    const key = (item as Record<string, unknown>).key;
    if (typeof key === 'string') return key;
  }
  return undefined;
}

/**
 * The error of a quarantine-enabled sequence iterated synchronously: a plain
 * `for...of` cannot wait for the mark to be durable, and iterating unmarked
 * would silently drop the crash detection that was asked for. A
 * ConfigurationError (exit 78): retrying the same code cannot help.
 *
 * @example
 * ```ts
 * throw syncIterationError('job.shard.range');
 * ```
 */
export function syncIterationError(what: string): ConfigurationError {
  return new ConfigurationError(`${what} was created with quarantine: iterate it with for await (const x of ...) so each item is marked in progress before the loop body runs`);
}

/**
 * The error of `quarantine: true` without a guard (createShardHelpers called
 * without `itemGuard`, outside runJob): refused rather than iterating unmarked.
 *
 * @example
 * ```ts
 * throw noGuardError('shard.range');
 * ```
 */
export function noGuardError(what: string): ConfigurationError {
  return new ConfigurationError(`${what}: quarantine needs an item guard (runJob's job.shard provides one; createShardHelpers takes itemGuard)`);
}

/**
 * One item of a guarded loop: ask the guard (a quarantined item is skipped,
 * and `advance` moves the cursor past it so a checkpoint never resumes onto
 * it), yield it, and on the next `next()` or on `return()` tell the guard it
 * ended. `advance` runs once the item is finished, so a cursor read in the
 * loop body still counts the current item as not done. Delegated to with
 * `yield*`, which forwards `return()` here, so the mark is cleared on break.
 *
 * @example
 * ```ts
 * while (position < size) yield* guardedItem(guarded, at(position), () => position++);
 * ```
 */
export async function* guardedItem<T>(guarded: GuardedKeys<T>, item: T, advance: () => void): AsyncGenerator<T, void, undefined> {
  const key = guarded.key(item);
  if ((await guarded.guard.begin(key)) === 'skip') {
    advance();
    return;
  }
  let finished = false;
  try {
    yield item;
    finished = true;
  } finally {
    guarded.guard.end(key, finished);
  }
  advance();
}
