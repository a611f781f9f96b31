/**
 * How a record's owner is named in messages and logs.
 */
import type { RecordOwner } from './types.ts';

/**
 * A short description of an owner for messages: `pod etl-3-x7k2p (pid 12)`.
 *
 * @example
 * ```ts
 * describeOwner(record.owner); // 'pod etl-3-x7k2p (pid 1)'
 * ```
 */
export function describeOwner(owner: RecordOwner): string {
  return `${owner.pod === null ? `host ${owner.host}` : `pod ${owner.pod}`} (pid ${owner.pid})`;
}
