/**
 * The stored formats of a work queue, under `<scope>/work-queues/<name>/`:
 *
 * ```
 * queue.json              {version, chunks, count, createdAtMs, createdBy}       (create-only)
 * chunks/<chunk>.json     {version, chunk, state, owner, leaseMs, leasedAtMs,     (create, then compare-and-swap)
 *                          renewedAtMs, expiresAtMs, attempt, failures,
 *                          takenOverFrom?, lastError?, completedAtMs?}
 * ```
 *
 * Each has its own version. Compatibility (CONTRIBUTING.md, "How to change a
 * stored format"; the policy is util/format-version.ts): a reader decodes its
 * own version and the one before it; there is none before 1 yet, so today each
 * reads only 1. Every failure is a WorkQueueRecordError (a configuration
 * error, exit 78: every worker reads the same records), whose message tells a
 * newer version (upgrade the image) from damage and names the key and field.
 *
 * The encoders write the fields in one fixed order (the order the queue always
 * wrote them in), so equal records give equal bytes whoever built them.
 */
import { versionMismatch, versionVerdict } from '../util/format-version.ts';
import { describeValue, type FieldFailure, type JsonFields, parseJsonObject } from '../util/json-fields.ts';
import { WorkQueueRecordError } from './errors.ts';

/** Version of the chunk records this jobkit writes (it also reads the one before, once there is one). */
export const CHUNK_RECORD_VERSION = 1;
/** Version of queue.json this jobkit writes (it also reads the one before, once there is one). */
export const QUEUE_RECORD_VERSION = 1;

/**
 * State of a chunk: held by a worker, handed back, finished, or given up on
 * after `maxFailuresPerChunk` handler failures.
 *
 * @example
 * ```ts
 * const done = [...(await queue.status()).values()].filter((c) => c.state === 'done').length;
 * ```
 */
export type ChunkState = 'leased' | 'released' | 'done' | 'failed';

const CHUNK_STATES: readonly ChunkState[] = ['leased', 'released', 'done', 'failed'];

/**
 * The stored record of one chunk. Times are wall-clock milliseconds since the
 * epoch, for operators; expiry decisions use each worker's monotonic clock.
 */
export interface ChunkRecord {
  readonly version: typeof CHUNK_RECORD_VERSION;
  readonly chunk: number;
  readonly state: ChunkState;
  /** The worker that holds (or last held) the chunk. */
  readonly owner: string;
  /** How many times the chunk was claimed or taken over. */
  readonly attempt: number;
  /** How many times a handler failed on it. */
  readonly failures: number;
  /** Lease duration the owner promised to renew within. */
  readonly leaseMs: number;
  readonly leasedAtMs: number;
  readonly renewedAtMs: number;
  readonly expiresAtMs: number;
  readonly completedAtMs?: number;
  /** Owner whose expired lease this one took over. */
  readonly takenOverFrom?: string;
  /** Last handler error (name and message, truncated). */
  readonly lastError?: string;
}

/** The stored record of the queue itself: what every worker must agree on. */
export interface QueueRecord {
  readonly version: typeof QUEUE_RECORD_VERSION;
  /** Number of chunks. */
  readonly chunks: number;
  /** The job's count (JOBKIT_COUNT) of the worker that created the queue; absent in queues created before it was recorded. */
  readonly count?: number;
  readonly createdAtMs: number;
  readonly createdBy: string;
}

/**
 * Serialize a chunk record.
 *
 * @example
 * ```ts
 * await store.put(queue.chunkKey(3), encodeChunkRecord(record), { ifNoneMatch: '*' });
 * ```
 */
export function encodeChunkRecord(record: ChunkRecord): string {
  return JSON.stringify({
    version: record.version,
    chunk: record.chunk,
    state: record.state,
    owner: record.owner,
    leaseMs: record.leaseMs,
    leasedAtMs: record.leasedAtMs,
    renewedAtMs: record.renewedAtMs,
    expiresAtMs: record.expiresAtMs,
    attempt: record.attempt,
    failures: record.failures,
    takenOverFrom: record.takenOverFrom,
    lastError: record.lastError,
    completedAtMs: record.completedAtMs,
  });
}

/**
 * Decode and check a chunk record read from the store.
 *
 * @throws WorkQueueRecordError for a version this jobkit does not read, or a
 *   record that is not JSON or has a field of the wrong type (named with the key).
 * @example
 * ```ts
 * const record = decodeChunkRecord(obj.body, queue.chunkKey(3));
 * ```
 */
export function decodeChunkRecord(body: Uint8Array, key: string): ChunkRecord {
  const fields = parseJsonObject(body, malformed(key));
  const verdict = versionVerdict(fields.raw('version'), CHUNK_RECORD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readChunkV1(fields);
    // There is no chunk record version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new WorkQueueRecordError(key, versionMismatch(verdict.version, CHUNK_RECORD_VERSION));
    case 'invalid':
      throw new WorkQueueRecordError(key, `has no valid format version (got ${describeValue(verdict.found)})`);
  }
}

/**
 * Serialize the queue record.
 *
 * @example
 * ```ts
 * const body = encodeQueueRecord({ version: QUEUE_RECORD_VERSION, chunks: 100, count: 4, createdAtMs: Date.now(), createdBy: workerId });
 * ```
 */
export function encodeQueueRecord(record: QueueRecord): string {
  return JSON.stringify({
    version: record.version,
    chunks: record.chunks,
    count: record.count,
    createdAtMs: record.createdAtMs,
    createdBy: record.createdBy,
  });
}

/**
 * Decode and check the queue record read from the store.
 *
 * @throws WorkQueueRecordError for a version this jobkit does not read, or a
 *   record that is not JSON or has a field of the wrong type (named with the key).
 * @example
 * ```ts
 * const { chunks, count } = decodeQueueRecord(obj.body, key);
 * ```
 */
export function decodeQueueRecord(body: Uint8Array, key: string): QueueRecord {
  const fields = parseJsonObject(body, malformed(key));
  const verdict = versionVerdict(fields.raw('version'), QUEUE_RECORD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readQueueV1(fields);
    // There is no queue record version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new WorkQueueRecordError(key, versionMismatch(verdict.version, QUEUE_RECORD_VERSION));
    case 'invalid':
      throw new WorkQueueRecordError(key, `has no valid format version (got ${describeValue(verdict.found)})`);
  }
}

function malformed(key: string): FieldFailure {
  return (why, cause) => {
    throw new WorkQueueRecordError(key, `is malformed (corrupt, truncated or not a jobkit record): ${why}`, { cause });
  };
}

function readChunkV1(f: JsonFields): ChunkRecord {
  const completedAtMs = f.optional('completedAtMs', f.number);
  const takenOverFrom = f.optional('takenOverFrom', f.string);
  const lastError = f.optional('lastError', f.string);
  return {
    version: CHUNK_RECORD_VERSION,
    chunk: f.integer('chunk'),
    state: f.oneOf('state', CHUNK_STATES),
    owner: f.string('owner'),
    leaseMs: f.integer('leaseMs', 1),
    leasedAtMs: f.number('leasedAtMs'),
    renewedAtMs: f.number('renewedAtMs'),
    expiresAtMs: f.number('expiresAtMs'),
    attempt: f.integer('attempt'),
    failures: f.integer('failures'),
    ...(takenOverFrom === undefined ? {} : { takenOverFrom }),
    ...(lastError === undefined ? {} : { lastError }),
    ...(completedAtMs === undefined ? {} : { completedAtMs }),
  };
}

function readQueueV1(f: JsonFields): QueueRecord {
  const count = f.optional('count', (name) => f.integer(name, 1));
  return {
    version: QUEUE_RECORD_VERSION,
    chunks: f.integer('chunks', 1),
    ...(count === undefined ? {} : { count }),
    createdAtMs: f.number('createdAtMs'),
    createdBy: f.string('createdBy'),
  };
}
