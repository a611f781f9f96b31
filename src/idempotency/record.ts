/**
 * The record format: one small JSON object per key.
 *
 * - IN_PROGRESS: owner, claim time and lease expiry (a short lease of its own,
 *   so a crashed owner blocks the key for one lease, not for the record's TTL).
 * - COMPLETED: the result, completion time and TTL expiry.
 * - FAILED: a recorded permanent error (only with `permanentErrors: 'record'`).
 * - RELEASED: the owner gave the key back; the next claimant takes it at once.
 *   `partial` says whether the function ran under that claim (and threw): its
 *   side effect may then have happened in part, and the next claimant is told
 *   so through `takeover`, exactly as after a crash.
 *
 * Every write carries a fresh `writeId`, so every write changes the bytes and
 * hence the etag: a compare-and-swap against an older etag always fails.
 * Instants are `...AtMs` (ms since the epoch, writer's clock).
 */
import { randomUUID } from 'node:crypto';
import { RECORD_VERSION } from './constants.ts';
import { IdempotencyRecordCorruptError } from './errors.ts';
import type { RecordOwner } from './types.ts';

interface RecordBase {
  readonly v: typeof RECORD_VERSION;
  /** sha256 of the canonical JSON of the payload, or null when none was given. */
  readonly payloadHash: string | null;
  readonly owner: RecordOwner;
  /** Unique per write: makes every write's etag new. */
  readonly writeId: string;
}

/** A claim being worked on. */
export interface InProgressRecord extends RecordBase {
  readonly status: 'IN_PROGRESS';
  readonly claimedAtMs: number;
  readonly leaseExpiresAtMs: number;
  /** How many expired leases this key has been taken over from. */
  readonly takeovers: number;
}

/** A finished side effect. `result` is absent when the function returned undefined. */
export interface CompletedRecord extends RecordBase {
  readonly status: 'COMPLETED';
  readonly completedAtMs: number;
  /** `null`: never expires. */
  readonly expiresAtMs: number | null;
  readonly result?: unknown;
}

/** A recorded permanent failure. */
export interface FailedRecord extends RecordBase {
  readonly status: 'FAILED';
  readonly completedAtMs: number;
  readonly expiresAtMs: number | null;
  readonly error: { readonly name: string; readonly message: string };
}

/** A key given back by its owner. */
export interface ReleasedRecord extends RecordBase {
  readonly status: 'RELEASED';
  readonly releasedAtMs: number;
  /**
   * True when the function ran under the released claim and threw (or its
   * result could not be recorded): part of the side effect may have happened.
   * Absent in records written before this field existed (read as false).
   */
  readonly partial?: boolean;
}

/** Any record. */
export type IdempotencyRecord = InProgressRecord | CompletedRecord | FailedRecord | ReleasedRecord;

/** Fields of a record other than the version and the write id. */
export type RecordFields<R extends IdempotencyRecord> = Omit<R, 'v' | 'writeId'>;

/**
 * Serialize a record. `resultJson` is the result's JSON, already validated,
 * spliced in as is (it is not parsed again).
 *
 * @example
 * ```ts
 * encodeRecord({ status: 'RELEASED', payloadHash: null, owner, releasedAtMs: Date.now() });
 * ```
 */
export function encodeRecord<R extends IdempotencyRecord>(fields: RecordFields<R>, resultJson?: string): string {
  const head = JSON.stringify({ v: RECORD_VERSION, ...fields, writeId: randomUUID() });
  return resultJson === undefined ? head : `${head.slice(0, -1)},"result":${resultJson}}`;
}

const STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', 'COMPLETED', 'FAILED', 'RELEASED']);

/**
 * Parse a record read from the store.
 *
 * @throws IdempotencyRecordCorruptError when it is not a record this version wrote.
 * @example
 * ```ts
 * const record = decodeRecord(obj.body, storeKey);
 * if (record.status === 'COMPLETED') return record.result;
 * ```
 */
export function decodeRecord(body: Uint8Array, storeKey: string): IdempotencyRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new IdempotencyRecordCorruptError(storeKey, `not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new IdempotencyRecordCorruptError(storeKey, 'not a JSON object');
  const r = parsed as Record<string, unknown>;
  if (r.v !== RECORD_VERSION) throw new IdempotencyRecordCorruptError(storeKey, `unknown format version ${JSON.stringify(r.v)}`);
  if (typeof r.status !== 'string' || !STATUSES.has(r.status)) {
    throw new IdempotencyRecordCorruptError(storeKey, `unknown status ${JSON.stringify(r.status)}`);
  }
  const owner = r.owner as Record<string, unknown> | null | undefined;
  if (typeof owner !== 'object' || owner === null || typeof owner.token !== 'string') {
    throw new IdempotencyRecordCorruptError(storeKey, 'no owner');
  }
  if (r.payloadHash !== null && typeof r.payloadHash !== 'string') throw new IdempotencyRecordCorruptError(storeKey, 'bad payloadHash');
  const needNumber = (name: string, nullable = false): void => {
    const value = r[name];
    if (!(typeof value === 'number' && Number.isFinite(value)) && !(nullable && value === null)) {
      throw new IdempotencyRecordCorruptError(storeKey, `bad ${name}: ${JSON.stringify(value)}`);
    }
  };
  switch (r.status) {
    case 'IN_PROGRESS':
      needNumber('claimedAtMs');
      needNumber('leaseExpiresAtMs');
      needNumber('takeovers');
      break;
    case 'COMPLETED':
      needNumber('completedAtMs');
      needNumber('expiresAtMs', true);
      break;
    case 'FAILED': {
      needNumber('completedAtMs');
      needNumber('expiresAtMs', true);
      const error = r.error as Record<string, unknown> | null | undefined;
      if (typeof error !== 'object' || error === null || typeof error.name !== 'string' || typeof error.message !== 'string') {
        throw new IdempotencyRecordCorruptError(storeKey, 'bad error');
      }
      break;
    }
    default:
      needNumber('releasedAtMs');
      if (r.partial !== undefined && typeof r.partial !== 'boolean') throw new IdempotencyRecordCorruptError(storeKey, 'bad partial');
  }
  return parsed as IdempotencyRecord;
}

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
