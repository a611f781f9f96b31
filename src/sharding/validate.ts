/**
 * Validation of shard specs and inputs. Bad values fail fast with a
 * ConfigurationError naming the option and the value.
 */
import { checkOption } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { DuplicateShardKeyError } from './errors.ts';
import type { DuplicateKeyPolicy, ShardSpec } from './types.ts';

/**
 * Check `count >= 1` and `0 <= index < count`, both integers; return the spec.
 * `source` names where the values came from (e.g. `JOBKIT_INDEX/JOBKIT_COUNT`).
 *
 * @example
 * ```ts
 * validateShardSpec({ index: 3, count: 4 }); // ok
 * validateShardSpec({ index: 4, count: 4 }); // throws ConfigurationError
 * ```
 */
export function validateShardSpec(spec: ShardSpec, source = 'shard'): ShardSpec {
  const { index, count } = spec;
  checkOption('count', count, { min: 1, integer: true, label: `${source} count`, plain: true, required: true });
  // Bounded by the other value, so not a shape the option checker knows; the message says both.
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new ConfigurationError(`${source} index must be an integer with 0 <= index < count (${count}), got ${describe(index)}`);
  }
  return spec;
}

/**
 * Check a non-negative safe integer option (sizes, totals, bounds).
 *
 * @example
 * ```ts
 * assertNonNegativeInteger(1000, 'range.end');
 * ```
 */
export function assertNonNegativeInteger(value: number, name: string): void {
  checkOption(name, value, { min: 0, integer: true, label: name, plain: true, required: true });
}

/**
 * Check a positive integer option (page sizes, chunk counts).
 *
 * @example
 * ```ts
 * assertPositiveInteger(5000, 'pageSize');
 * ```
 */
export function assertPositiveInteger(value: number, name: string): void {
  checkOption(name, value, { min: 1, integer: true, label: name, plain: true, required: true });
}

/**
 * Keys that occur more than once, in order of their first repeat.
 *
 * @example
 * ```ts
 * findDuplicateKeys(['a', 'b', 'a', 'a']); // { duplicates: ['a'], occurrences: 2 }
 * ```
 */
export function findDuplicateKeys(keys: Iterable<string>): { duplicates: string[]; occurrences: number } {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  let occurrences = 0;
  for (const key of keys) {
    if (seen.has(key)) {
      occurrences++;
      duplicates.add(key);
    } else seen.add(key);
  }
  return { duplicates: [...duplicates], occurrences };
}

/**
 * Apply a duplicate-key policy to a keyed list: throw, drop repeats, or keep
 * everything. Returns the items to shard.
 *
 * @example
 * ```ts
 * applyDuplicatePolicy(['a', 'a'], (s) => s, 'keep-first'); // ['a']
 * ```
 */
export function applyDuplicatePolicy<T>(items: readonly T[], key: (item: T) => string, policy: DuplicateKeyPolicy): readonly T[] {
  if (policy === 'allow') return items;
  const seen = new Set<string>();
  const kept: T[] = [];
  const duplicates: string[] = [];
  let occurrences = 0;
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) {
      occurrences++;
      if (duplicates.length < 20 && !duplicates.includes(k)) duplicates.push(k);
    } else {
      seen.add(k);
      kept.push(item);
    }
  }
  if (occurrences > 0 && policy === 'error') throw new DuplicateShardKeyError(duplicates, occurrences);
  return occurrences === 0 ? items : kept;
}

/** A value for an error message: strings quoted, everything else as is. */
export function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
