/**
 * The stored format of a single-run guard: one small JSON object per guard
 * name, rewritten by compare-and-swap on every acquisition, renewal and
 * release (never deleted, so the fencing epoch only grows).
 *
 * - HELD: the holder, its epoch, when it acquired and when its lease expires.
 * - RELEASED: the last holder let go; the next run takes it at once.
 *
 * Every write carries a fresh `writeId`, so every write changes the etag.
 * Compatibility: CONTRIBUTING.md, "How to change a stored format" (policy in
 * util/format-version.ts); version 1 is the first, so only 1 is read.
 */
import { randomUUID } from 'node:crypto';
import { versionVerdict } from '../util/format-version.ts';
import { describeValue, type JsonFields, parseJsonObject } from '../util/json-fields.ts';
import { type ExclusiveHolder, ExclusiveRecordCorruptError, ExclusiveRecordVersionError } from './errors.ts';

/** Version (`v`) of the records this jobkit writes. */
export const EXCLUSIVE_RECORD_VERSION = 1;

/** A guard record. */
export interface ExclusiveRecord {
  readonly v: typeof EXCLUSIVE_RECORD_VERSION;
  readonly status: 'HELD' | 'RELEASED';
  /** The guard's name as given to `exclusive`. */
  readonly name: string;
  /** The holder (the last one, once released). */
  readonly holder: ExclusiveHolder;
  /** Unique per acquisition: tells this holder's renewals from a new holder's. */
  readonly token: string;
  /** Unique per write. */
  readonly writeId: string;
}

/**
 * The bytes of a record.
 *
 * @example
 * ```ts
 * await store.put(key, encodeExclusiveRecord(record), { ifMatch: etag });
 * ```
 */
export function encodeExclusiveRecord(record: Omit<ExclusiveRecord, 'v' | 'writeId'>, writeId: string = randomUUID()): string {
  const { holder } = record;
  // Field by field, so the bytes do not depend on how the caller built the object.
  const full: ExclusiveRecord = {
    v: EXCLUSIVE_RECORD_VERSION,
    status: record.status,
    name: record.name,
    holder: {
      job: holder.job,
      pod: holder.pod,
      podUid: holder.podUid,
      node: holder.node,
      attempt: holder.attempt,
      run: holder.run,
      epoch: holder.epoch,
      acquiredAt: holder.acquiredAt,
      expiresAt: holder.expiresAt,
    },
    token: record.token,
    writeId,
  };
  return JSON.stringify(full);
}

const STATUSES = ['HELD', 'RELEASED'] as const;

/**
 * Decode and check a record read from the store.
 *
 * @throws ExclusiveRecordVersionError for a version this jobkit does not read.
 * @throws ExclusiveRecordCorruptError when it is not a record (the message names the field).
 * @example
 * ```ts
 * const record = decodeExclusiveRecord(obj.body, key);
 * if (record.status === 'HELD') console.log(record.holder.pod);
 * ```
 */
export function decodeExclusiveRecord(body: Uint8Array, storeKey: string): ExclusiveRecord {
  const fields = parseJsonObject(body, (why) => {
    throw new ExclusiveRecordCorruptError(storeKey, why);
  });
  const verdict = versionVerdict(fields.raw('v'), EXCLUSIVE_RECORD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readV1(fields);
    case 'previous':
    case 'older':
    case 'newer':
      throw new ExclusiveRecordVersionError(storeKey, verdict.version, EXCLUSIVE_RECORD_VERSION);
    case 'invalid':
      throw new ExclusiveRecordCorruptError(storeKey, `unknown format version ${describeValue(verdict.found)}`);
  }
}

function readV1(f: JsonFields): ExclusiveRecord {
  const h = f.object('holder');
  return {
    v: EXCLUSIVE_RECORD_VERSION,
    status: f.oneOf('status', STATUSES),
    name: f.string('name'),
    holder: {
      job: h.string('job'),
      pod: h.nullable('pod', h.string),
      podUid: h.nullable('podUid', h.string),
      node: h.nullable('node', h.string),
      attempt: h.nullable('attempt', h.integer),
      run: h.string('run'),
      epoch: h.integer('epoch', 1),
      acquiredAt: h.number('acquiredAt'),
      expiresAt: h.number('expiresAt'),
    },
    token: f.string('token'),
    writeId: f.string('writeId'),
  };
}
