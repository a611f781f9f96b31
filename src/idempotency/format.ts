/**
 * The stored format of idempotency records: one small JSON object per key.
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
 *
 * Compatibility (CONTRIBUTING.md, "How to change a stored format"; the policy
 * is util/format-version.ts): a reader decodes its own version `v` and the one
 * before it; there is none before 1 yet, so today it reads only 1. A newer
 * version is IdempotencyRecordVersionError (configuration, exit 78) and the
 * record is left alone; bytes that are not a record, or a field of the wrong
 * type, are IdempotencyRecordCorruptError (exit 65), naming the field.
 */
import { randomUUID } from 'node:crypto';
import { versionVerdict } from '../util/format-version.ts';
import { describeValue, type JsonFields, parseJsonObject } from '../util/json-fields.ts';
import { IdempotencyRecordCorruptError, IdempotencyRecordVersionError } from './errors.ts';
import type { RecordOwner } from './types.ts';

/** Version (`v`) of the records this jobkit writes (it also reads the one before, once there is one). */
export const RECORD_VERSION = 1;

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
 * spliced in as is (it is not parsed again). `writeId` is random unless given
 * (tests pass one to get fixed bytes).
 *
 * @example
 * ```ts
 * encodeRecord<ReleasedRecord>({ status: 'RELEASED', payloadHash: null, owner, releasedAtMs: Date.now(), partial: false });
 * ```
 */
export function encodeRecord<R extends IdempotencyRecord>(fields: RecordFields<R>, resultJson?: string, writeId: string = randomUUID()): string {
  const head = JSON.stringify({ v: RECORD_VERSION, ...fields, writeId });
  return resultJson === undefined ? head : `${head.slice(0, -1)},"result":${resultJson}}`;
}

const STATUSES = ['IN_PROGRESS', 'COMPLETED', 'FAILED', 'RELEASED'] as const;

/**
 * Decode and check a record read from the store.
 *
 * @throws IdempotencyRecordVersionError for a version this jobkit does not read (newer, or more than one older).
 * @throws IdempotencyRecordCorruptError when it is not a record (the message names the field).
 * @example
 * ```ts
 * const record = decodeRecord(obj.body, storeKey);
 * if (record.status === 'COMPLETED') return record.result;
 * ```
 */
export function decodeRecord(body: Uint8Array, storeKey: string): IdempotencyRecord {
  const fields = parseJsonObject(body, (why) => {
    throw new IdempotencyRecordCorruptError(storeKey, why);
  });
  const verdict = versionVerdict(fields.raw('v'), RECORD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readV1(fields);
    // There is no record version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new IdempotencyRecordVersionError(storeKey, verdict.version, RECORD_VERSION);
    case 'invalid':
      throw new IdempotencyRecordCorruptError(storeKey, `unknown format version ${describeValue(verdict.found)}`);
  }
}

function readV1(f: JsonFields): IdempotencyRecord {
  const base = {
    v: RECORD_VERSION,
    payloadHash: f.nullable('payloadHash', f.string),
    owner: readOwner(f.object('owner')),
    writeId: f.string('writeId'),
  } as const;
  const status = f.oneOf('status', STATUSES);
  switch (status) {
    case 'IN_PROGRESS':
      return { ...base, status, claimedAtMs: f.number('claimedAtMs'), leaseExpiresAtMs: f.number('leaseExpiresAtMs'), takeovers: f.integer('takeovers') };
    case 'COMPLETED':
      return {
        ...base,
        status,
        completedAtMs: f.number('completedAtMs'),
        expiresAtMs: f.nullable('expiresAtMs', f.number),
        // Absent when the function returned undefined; any JSON value (null included) otherwise.
        ...(f.has('result') ? { result: f.raw('result') } : {}),
      };
    case 'FAILED': {
      const error = f.object('error');
      return {
        ...base,
        status,
        completedAtMs: f.number('completedAtMs'),
        expiresAtMs: f.nullable('expiresAtMs', f.number),
        error: { name: error.string('name'), message: error.string('message') },
      };
    }
    case 'RELEASED': {
      // Absent in records written before it existed (read as false by callers).
      const partial = f.optional('partial', f.boolean);
      return { ...base, status, releasedAtMs: f.number('releasedAtMs'), ...(partial === undefined ? {} : { partial }) };
    }
  }
}

function readOwner(f: JsonFields): RecordOwner {
  return {
    token: f.text('token'),
    pod: f.nullable('pod', f.string),
    podUid: f.nullable('podUid', f.string),
    node: f.nullable('node', f.string),
    index: f.nullable('index', f.integer),
    attempt: f.nullable('attempt', f.integer),
    host: f.string('host'),
    pid: f.integer('pid'),
  };
}
