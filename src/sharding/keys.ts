/**
 * Store keys of the sharding module, all under the job's scope prefix
 * (src/store/keys.ts) so user input cannot escape it.
 */
import type { JobIdentity } from '../runtime/types.ts';
import { joinKey, keySegment, scopePrefix } from '../store/keys.ts';

/** Where frozen shard plans live under the job's (or scope's) prefix: `shard-plans/<name>/plan.json` and its pages. */
export const PLANS_AREA = 'shard-plans';
/** Where work queues live under the job's (or scope's) prefix: `work-queues/<name>/queue.json` and `chunks/`. */
export const QUEUES_AREA = 'work-queues';
/** A plan's manifest, in its directory. */
export const PLAN_FILE = 'plan.json';
/** A work queue's record, in its directory. */
export const QUEUE_FILE = 'queue.json';
/** A work queue's chunk records, in its directory. */
export const CHUNKS_DIR = 'chunks';

/**
 * `<scope prefix>/<area>`: the directory holding every plan (or queue) of the
 * job, for listing them all.
 *
 * @example
 * ```ts
 * areaDir(identity, undefined, PLANS_AREA); // 'jobs/default/etl/shard-plans'
 * ```
 */
export function areaDir(identity: JobIdentity, scope: string | undefined, area: string): string {
  return `${scopePrefix(identity, { perIndex: false, scope })}/${joinKey(area)}`;
}

/**
 * Split a key listed under {@link areaDir} into the encoded name of its plan
 * or queue and the rest (`plan.json`, `chunks/00000003.json`, ...); undefined
 * for a key outside the area.
 *
 * @example
 * ```ts
 * splitAreaKey('jobs/default/etl/work-queues', 'jobs/default/etl/work-queues/default/queue.json'); // { name: 'default', rest: 'queue.json' }
 * ```
 */
export function splitAreaKey(dir: string, key: string): { readonly name: string; readonly rest: string } | undefined {
  if (!key.startsWith(`${dir}/`)) return undefined;
  const rel = key.slice(dir.length + 1);
  const slash = rel.indexOf('/');
  return slash <= 0 ? undefined : { name: rel.slice(0, slash), rest: rel.slice(slash + 1) };
}

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
