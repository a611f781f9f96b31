/**
 * Clean-up of idempotency records: a run leaves one record per key, forever
 * unless something deletes it. Records past their TTL are dead weight (a
 * claim would take them over anyway), so deleting them changes no outcome.
 * Deletes are conditional on the etag read, so a record claimed again between
 * the read and the delete is kept.
 */
import { DEFAULT_CLOCK_SKEW_MARGIN_MS } from './constants.ts';
import { tryDelete } from '../store/conditional.ts';
import { requireConditionalWrites } from '../store/probe.ts';
import type { ObjectStore } from '../store/types.ts';
import { decodeRecord } from './format.ts';

/** Options of {@link collectExpiredRecords}. */
export interface CollectExpiredOptions {
  readonly store: ObjectStore;
  /** The records prefix of one ledger (see `recordsPrefix`, or `ledger.prefix`). */
  readonly prefix: string;
  /** Now, ms since the epoch (default `Date.now()`). */
  readonly nowMs?: number;
  /** A record counts as expired this long after its expiry, like a takeover (default 5 000). */
  readonly clockSkewMarginMs?: number;
  /** Count what would be deleted, delete nothing. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** What a clean-up found and did. */
export interface CollectExpiredResult {
  /** Records read. */
  readonly scanned: number;
  /** Records deleted (or, with `dryRun`, that would be). */
  readonly deleted: number;
  /** Bytes of the deleted records. */
  readonly deletedBytes: number;
  /** Kept: in progress, completed or failed within their TTL or without one. */
  readonly live: number;
  /**
   * Kept: released after their function ran and threw. The record tells the
   * next claimer to check whether the effect happened (`takeover`); deleting
   * it would lose that.
   */
  readonly partial: number;
  /** Kept: not a readable record (left for a person to look at). */
  readonly unreadable: number;
  /** Kept: changed between the read and the delete (claimed again). */
  readonly changed: number;
}

/**
 * Delete the records of one ledger that no call can use any more: completed
 * or failed records past their TTL, and records released without a partial
 * effect. Needs conditional deletes (refused with a ConfigurationError
 * otherwise), so a record claimed again in the meantime is never deleted.
 *
 * @example
 * ```ts
 * const result = await collectExpiredRecords({ store, prefix: recordsPrefix({ identity }) });
 * console.log(`${result.deleted} of ${result.scanned} records deleted`);
 * ```
 */
export async function collectExpiredRecords(options: CollectExpiredOptions): Promise<CollectExpiredResult> {
  const { store, signal } = options;
  const nowMs = options.nowMs ?? Date.now();
  const margin = options.clockSkewMarginMs ?? DEFAULT_CLOCK_SKEW_MARGIN_MS;
  if (options.dryRun !== true) await requireConditionalWrites(store, 'jobkit gc', { create: false, replace: false, delete: true });
  const counts = { scanned: 0, deleted: 0, deletedBytes: 0, live: 0, partial: 0, unreadable: 0, changed: 0 };
  for await (const info of store.list(`${options.prefix}/`, { signal })) {
    const obj = await store.get(info.key, { signal });
    if (obj === undefined) continue;
    counts.scanned++;
    let record;
    try {
      record = decodeRecord(obj.body, info.key);
    } catch {
      counts.unreadable++;
      continue;
    }
    let expired: boolean;
    switch (record.status) {
      case 'IN_PROGRESS':
        expired = false;
        break;
      case 'COMPLETED':
      case 'FAILED':
        expired = record.expiresAtMs !== null && record.expiresAtMs + margin < nowMs;
        break;
      case 'RELEASED':
        if (record.partial === true) {
          counts.partial++;
          continue;
        }
        expired = true;
        break;
    }
    if (!expired) {
      counts.live++;
      continue;
    }
    if (options.dryRun !== true && !(await tryDelete(store, info.key, { ifMatch: obj.info.etag, signal })).ok) {
      // Written since it was read (claimed again): kept.
      counts.changed++;
      continue;
    }
    counts.deleted++;
    counts.deletedBytes += obj.body.byteLength;
  }
  return counts;
}
