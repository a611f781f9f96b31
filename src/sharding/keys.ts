/**
 * Store keys of the sharding module, all under the job's scope prefix
 * (src/store/keys.ts) so user input cannot escape it.
 */
import type { JobIdentity } from '../runtime/types.ts';
import { joinKey, keySegment, scopePrefix } from '../store/keys.ts';

/**
 * `<scope prefix>/<area>/<encoded name>`: the directory of one plan or queue,
 * shared by every index of the job (or of the explicit scope).
 *
 * @example
 * ```ts
 * moduleDir(identity, undefined, 'work-queues', 'default'); // 'jobs/default/etl/work-queues/default'
 * ```
 */
export function moduleDir(identity: JobIdentity, scope: string | undefined, area: string, name: string): string {
  return `${scopePrefix(identity, { perIndex: false, scope })}/${joinKey(area, keySegment(name))}`;
}

/**
 * A key under a directory built by {@link moduleDir}; segments are jobkit literals.
 *
 * @example
 * ```ts
 * childKey(dir, 'chunks', '00000001.json');
 * ```
 */
export function childKey(dir: string, ...segments: string[]): string {
  return `${dir}/${joinKey(...segments)}`;
}
