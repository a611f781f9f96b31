/**
 * The idempotency records of a ledger seen from outside (`jobkit status`):
 * counted by state, with a small sample of the keys in progress (owner,
 * lease expiry) and of recorded failures, and the owners (pod, index,
 * attempt) the records name. Reads only, through the record codec; the
 * listing is streamed and records are read a batch at a time, so memory stays
 * bounded by the samples whatever the number of records.
 */
import { readListed } from '../store/read-listed.ts';
import type { ObjectStore } from '../store/types.ts';
import { DEFAULT_CLOCK_SKEW_MARGIN_MS } from './constants.ts';
import { decodeRecord } from './format.ts';
import type { RecordOwner } from './types.ts';

/** A key in progress, as sampled. Keys are stored hashed: `keyHash` is the record's name (the sha256 of the key). */
export interface InProgressSample {
  readonly keyHash: string;
  readonly owner: RecordOwner;
  readonly claimedAtMs: number;
  readonly leaseExpiresAtMs: number;
  /** The lease is past its expiry plus the clock-skew margin: the next claimer takes the key over. */
  readonly expired: boolean;
  readonly takeovers: number;
}

/** A recorded failure (or a release after a partial effect), as sampled. */
export interface FailedSample {
  readonly keyHash: string;
  readonly status: 'failed' | 'partial';
  readonly owner: RecordOwner;
  readonly atMs: number;
  /** The recorded error (`FAILED` only). */
  readonly error: { readonly name: string; readonly message: string } | undefined;
}

/** One owner named by records: a pod (or process) of an index and attempt. */
export interface RecordOwnerSeen {
  readonly index: number | null;
  readonly attempt: number | null;
  readonly pod: string | null;
  /** Records naming this owner. */
  readonly records: number;
}

/**
 * What a ledger's records say.
 *
 * @example
 * ```ts
 * const s = await summarizeRecords({ store, prefix: recordsPrefix({ identity }) });
 * console.log(`${s.completed} done, ${s.inProgress} in progress (${s.expiredLeases} expired)`);
 * ```
 */
export interface RecordsSummary {
  readonly prefix: string;
  readonly total: number;
  readonly bytes: number;
  readonly completed: number;
  readonly failed: number;
  readonly inProgress: number;
  /** Of `inProgress`, leases past expiry (owner crashed or stalled; taken over at the next claim). */
  readonly expiredLeases: number;
  /** Released without a partial effect (claimable, nothing happened). */
  readonly released: number;
  /** Released after the function ran and threw: the effect may have happened in part. */
  readonly partial: number;
  /** Not readable as a record (corrupt, or written by a newer jobkit). */
  readonly unreadable: number;
  readonly inProgressSample: readonly InProgressSample[];
  readonly failedSample: readonly FailedSample[];
  /** Distinct owners, most records first, at most `maxOwners`; `ownersTruncated` when there were more. */
  readonly owners: readonly RecordOwnerSeen[];
  readonly ownersTruncated: boolean;
}

/** Options of {@link summarizeRecords}. */
export interface SummarizeRecordsOptions {
  readonly store: ObjectStore;
  /** The records prefix of one ledger (`recordsPrefix`, or `ledger.prefix`). */
  readonly prefix: string;
  /** Records kept per sample (default 5). */
  readonly sample?: number;
  /** Distinct owners tracked (default 50). */
  readonly maxOwners?: number;
  /** Now, ms since the epoch (default `Date.now()`). */
  readonly nowMs?: number;
  /** As the ledger's (default 5 000): a lease counts as expired this long after its expiry. */
  readonly clockSkewMarginMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Count a ledger's records by state and sample the live and failed ones.
 * Reads every record once; writes nothing.
 *
 * @example
 * ```ts
 * const s = await summarizeRecords({ store, prefix: 'jobs/data/etl/idempotency', sample: 3 });
 * for (const r of s.inProgressSample) console.log(r.owner.pod, new Date(r.leaseExpiresAtMs));
 * ```
 */
export async function summarizeRecords(options: SummarizeRecordsOptions): Promise<RecordsSummary> {
  const sample = options.sample ?? 5;
  const maxOwners = options.maxOwners ?? 50;
  const nowMs = options.nowMs ?? Date.now();
  const margin = options.clockSkewMarginMs ?? DEFAULT_CLOCK_SKEW_MARGIN_MS;
  const counts = { total: 0, bytes: 0, completed: 0, failed: 0, inProgress: 0, expiredLeases: 0, released: 0, partial: 0, unreadable: 0 };
  const inProgressSample: InProgressSample[] = [];
  const failedSample: FailedSample[] = [];
  const owners = new Map<string, RecordOwnerSeen>();
  let ownersTruncated = false;
  const seen = (owner: RecordOwner): void => {
    const id = JSON.stringify([owner.index, owner.attempt, owner.pod]);
    const known = owners.get(id);
    if (known !== undefined) owners.set(id, { ...known, records: known.records + 1 });
    else if (owners.size < maxOwners) owners.set(id, { index: owner.index, attempt: owner.attempt, pod: owner.pod, records: 1 });
    else ownersTruncated = true;
  };
  for await (const { info, object } of readListed(options.store, `${options.prefix}/`, { signal: options.signal })) {
    if (object === undefined) continue;
    counts.total++;
    counts.bytes += object.body.byteLength;
    let record;
    try {
      record = decodeRecord(object.body, info.key);
    } catch {
      counts.unreadable++;
      continue;
    }
    seen(record.owner);
    const keyHash = info.key.slice(options.prefix.length + 1);
    switch (record.status) {
      case 'COMPLETED':
        counts.completed++;
        break;
      case 'FAILED':
        counts.failed++;
        if (failedSample.length < sample) {
          failedSample.push({ keyHash, status: 'failed', owner: record.owner, atMs: record.completedAtMs, error: record.error });
        }
        break;
      case 'IN_PROGRESS': {
        counts.inProgress++;
        const expired = record.leaseExpiresAtMs + margin < nowMs;
        if (expired) counts.expiredLeases++;
        if (inProgressSample.length < sample) {
          inProgressSample.push({
            keyHash,
            owner: record.owner,
            claimedAtMs: record.claimedAtMs,
            leaseExpiresAtMs: record.leaseExpiresAtMs,
            expired,
            takeovers: record.takeovers,
          });
        }
        break;
      }
      case 'RELEASED':
        if (record.partial === true) {
          counts.partial++;
          if (failedSample.length < sample) failedSample.push({ keyHash, status: 'partial', owner: record.owner, atMs: record.releasedAtMs, error: undefined });
        } else counts.released++;
        break;
    }
  }
  return {
    prefix: options.prefix,
    ...counts,
    inProgressSample,
    failedSample,
    owners: [...owners.values()].sort((a, b) => b.records - a.records),
    ownersTruncated,
  };
}
