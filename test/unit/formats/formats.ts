/**
 * Every stored format, for the format tests: how to decode and encode it, its
 * current version, the errors it raises, and what each golden file in
 * test/golden/ must decode to. A new format or version is added here, and the
 * golden test refuses a golden file that has no entry.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { CheckpointCorruptError, CheckpointFormatError } from '../../../src/checkpoint/errors.ts';
import {
  decodeHead,
  decodeManifest as decodeCheckpointManifest,
  encodeHead,
  encodeManifest as encodeCheckpointManifest,
  HEAD_VERSION,
  type Head,
  type Manifest,
  MANIFEST_VERSION,
} from '../../../src/checkpoint/format.ts';
import { ExclusiveRecordCorruptError, ExclusiveRecordVersionError } from '../../../src/exclusive/errors.ts';
import { AttemptRecordCorruptError, AttemptRecordVersionError } from '../../../src/job/attempts/errors.ts';
import {
  ATTEMPT_RECORD_VERSION,
  type AttemptRecord,
  DEAD_LETTER_VERSION,
  type DeadLetterRecord,
  decodeAttemptRecord,
  decodeDeadLetter,
  encodeAttemptRecord,
  encodeDeadLetter,
} from '../../../src/job/attempts/format.ts';
import { decodeExclusiveRecord, encodeExclusiveRecord, EXCLUSIVE_RECORD_VERSION, type ExclusiveRecord } from '../../../src/exclusive/format.ts';
import { IdempotencyRecordCorruptError, IdempotencyRecordVersionError } from '../../../src/idempotency/errors.ts';
import { decodeRecord, encodeRecord, type IdempotencyRecord, RECORD_VERSION } from '../../../src/idempotency/format.ts';
import type { JobkitError } from '../../../src/runtime/errors.ts';
import { ShardPlanError, WorkQueueRecordError } from '../../../src/sharding/errors.ts';
import {
  decodeManifest as decodePlan,
  decodePage,
  encodeManifest as encodePlan,
  encodePage,
  PLAN_VERSION,
  type PlanEntry,
  type ShardPlanManifest,
} from '../../../src/sharding/plan-format.ts';
import {
  CHUNK_RECORD_VERSION,
  type ChunkRecord,
  decodeChunkRecord,
  decodeQueueRecord,
  encodeChunkRecord,
  encodeQueueRecord,
  QUEUE_RECORD_VERSION,
  type QueueRecord,
} from '../../../src/sharding/queue-format.ts';
import { sha256Hex } from '../../../src/util/hash.ts';

export const GOLDEN_DIR = new URL('../../golden/', import.meta.url);

/** The bytes of a golden file. */
export function golden(file: string): Buffer {
  return readFileSync(new URL(file, GOLDEN_DIR));
}

/** Every file of test/golden/ that is a golden file. */
export function goldenFiles(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).sort();
}

type ErrorClass = abstract new (...args: never[]) => JobkitError;

/** One stored format. */
export interface StoredFormat {
  /** The name golden files start with: `<name>-v<version>[.<variant>].json`. */
  readonly name: string;
  /** The version this jobkit writes. */
  readonly current: number;
  /** The field that holds the version. */
  readonly versionField: string;
  /** Decode bytes read from `key`. */
  decode(bytes: Uint8Array, key: string): unknown;
  /** Encode a decoded value of the current version. */
  encode(value: unknown): string | Buffer;
  /** Stored bytes from the JSON of a stored object, as a writer of any version makes them (plans seal their checksum). */
  store(value: Record<string, unknown>): Buffer;
  /** The error of a version this jobkit does not read. */
  readonly versionError: ErrorClass;
  /** The error of bytes that are not this format (not JSON, a field of the wrong type). */
  readonly damageError: ErrorClass;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** How many entries a page's bytes hold, for the reference it is checked against (0 when they are not a page). */
function entryCount(bytes: Uint8Array): number {
  try {
    const entries = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { entries?: unknown } | null)?.entries;
    return Array.isArray(entries) ? entries.length : 0;
  } catch {
    return 0;
  }
}

/** Seal a plan manifest as a writer would: its checksum over every other field. */
function sealPlan(value: Record<string, unknown>): Buffer {
  const { checksum: _checksum, ...fields } = value;
  return Buffer.from(encodePlan(fields as Omit<ShardPlanManifest, 'checksum'>));
}

/** The guard record of the golden files, held or released. */
function exclusiveRecord(status: ExclusiveRecord['status']): ExclusiveRecord {
  return {
    v: 1,
    status,
    name: 'migrate-users',
    holder: {
      job: 'report-29453761',
      pod: 'report-29453761-x7k2p',
      podUid: '6f1c0b3e-1111-2222-3333-444455556666',
      node: 'node-a',
      attempt: 0,
      run: 'report@2026-01-01T00:01:00Z',
      epoch: 3,
      acquiredAt: 1_767_225_661_000,
      expiresAt: 1_767_225_676_000,
    },
    token: '0d9f6a52-5a0b-4d2e-9c61-6b0f0e7a1c33',
    writeId: 'b7c3e2a1-9f1e-4a57-8e55-2d1c0b9a8f77',
  };
}

export const FORMATS: readonly StoredFormat[] = [
  {
    name: 'checkpoint-head',
    current: HEAD_VERSION,
    versionField: 'format',
    decode: decodeHead,
    encode: (v) => encodeHead(v as Head),
    store: json,
    versionError: CheckpointFormatError,
    damageError: CheckpointCorruptError,
  },
  {
    name: 'checkpoint-manifest',
    current: MANIFEST_VERSION,
    versionField: 'format',
    decode: decodeCheckpointManifest,
    encode: (v) => encodeCheckpointManifest(v as Manifest),
    store: json,
    versionError: CheckpointFormatError,
    damageError: CheckpointCorruptError,
  },
  {
    name: 'idempotency-record',
    current: RECORD_VERSION,
    versionField: 'v',
    decode: decodeRecord,
    encode: (value) => {
      // The result is spliced in as JSON after the other fields, as the ledger does.
      const { v: _v, writeId, result, ...fields } = value as { v: number; writeId: string; result?: unknown };
      return encodeRecord(fields as never, Object.hasOwn(value as object, 'result') ? JSON.stringify(result) : undefined, writeId);
    },
    store: json,
    versionError: IdempotencyRecordVersionError,
    damageError: IdempotencyRecordCorruptError,
  },
  {
    name: 'exclusive-record',
    current: EXCLUSIVE_RECORD_VERSION,
    versionField: 'v',
    decode: decodeExclusiveRecord,
    encode: (value) => {
      const { v: _v, writeId, ...fields } = value as ExclusiveRecord;
      return encodeExclusiveRecord(fields, writeId);
    },
    store: json,
    versionError: ExclusiveRecordVersionError,
    damageError: ExclusiveRecordCorruptError,
  },
  {
    name: 'attempt-record',
    current: ATTEMPT_RECORD_VERSION,
    versionField: 'v',
    decode: decodeAttemptRecord,
    encode: (v) => encodeAttemptRecord(v as AttemptRecord),
    store: json,
    versionError: AttemptRecordVersionError,
    damageError: AttemptRecordCorruptError,
  },
  {
    name: 'dead-letter',
    current: DEAD_LETTER_VERSION,
    versionField: 'v',
    decode: decodeDeadLetter,
    encode: (v) => encodeDeadLetter(v as DeadLetterRecord),
    store: json,
    versionError: AttemptRecordVersionError,
    damageError: AttemptRecordCorruptError,
  },
  {
    name: 'shard-plan',
    current: PLAN_VERSION,
    versionField: 'version',
    decode: decodePlan,
    encode: (v) => sealPlan(v as Record<string, unknown>),
    store: sealPlan,
    versionError: ShardPlanError,
    damageError: ShardPlanError,
  },
  {
    // Pages carry no version of their own: the manifest's covers them.
    name: 'shard-plan-page',
    current: PLAN_VERSION,
    versionField: '',
    // A page is verified against the reference its manifest holds; here one made for the bytes, so damage
    // past the checksum is what gets tested.
    decode: (bytes, key) => decodePage(bytes, { key, sha256: sha256Hex(bytes), entries: entryCount(bytes) }),
    encode: (v) => encodePage(v as PlanEntry[]),
    store: json,
    versionError: ShardPlanError,
    damageError: ShardPlanError,
  },
  {
    name: 'work-queue',
    current: QUEUE_RECORD_VERSION,
    versionField: 'version',
    decode: decodeQueueRecord,
    encode: (v) => encodeQueueRecord(v as QueueRecord),
    store: json,
    versionError: WorkQueueRecordError,
    damageError: WorkQueueRecordError,
  },
  {
    name: 'work-queue-chunk',
    current: CHUNK_RECORD_VERSION,
    versionField: 'version',
    decode: decodeChunkRecord,
    encode: (v) => encodeChunkRecord(v as ChunkRecord),
    store: json,
    versionError: WorkQueueRecordError,
    damageError: WorkQueueRecordError,
  },
];

/** The format a golden file belongs to, its version and variant, from its name. */
export function parseGoldenName(file: string): { format: StoredFormat; version: number; variant: string | undefined } {
  const m = /^(?<name>[a-z-]+?)-v(?<version>\d+)(?:\.(?<variant>[a-z-]+))?\.json$/.exec(file);
  const format = FORMATS.find((f) => f.name === m?.groups?.name);
  if (m === null || format === undefined) throw new Error(`test/golden/${file} is not named <format>-v<N>[.<variant>].json for a format in formats.ts`);
  return { format, version: Number(m.groups!.version), variant: m.groups!.variant };
}

const owner = {
  token: '5b0c1c7e-4a8f-4e57-9a55-2f1d0b6c9e11',
  pod: 'etl-3-x7k2p',
  podUid: 'uid-3',
  node: 'node-a',
  index: 3,
  attempt: 1,
  host: 'etl-3-x7k2p',
  pid: 1,
};
const payloadHash = 'a3f1c9d2e4b5a6978812c0ffee000000000000000000000000000000000000aa';

/**
 * What each golden file decodes to. The files were written once by the code of
 * commit 39558db (before these codecs existed): the checkpointer, work queue
 * and plan freezer writing to a MemoryStore, and encodeRecord for the records.
 * For a file of the current version, encoding this value must give the file's
 * bytes exactly; the key order of the idempotency values is the order the
 * ledger builds records in, because their encoder keeps it.
 */
export const GOLDEN_VALUES: Readonly<Record<string, unknown>> = {
  'checkpoint-head-v1.json': {
    format: 1,
    epoch: 1,
    lastSeq: 1,
    checkpoints: [
      {
        seq: 1,
        manifest: 'manifests/000000000001-e0000000001-5668d0f38726165b.json',
        size: 287,
        checksum: 'sha256:902b83642c8d056d5876cff02e620ddc558007796676d52421f171c2bd208a38',
      },
    ],
    owner: { pod: 'etl-0-abcde', podUid: 'uid-1', node: 'node-a', attempt: 0, count: 2 },
    updatedAt: '2026-12-02T17:57:58.203Z',
    nonce: 'b680421ff822c0fb',
  } satisfies Head,
  'checkpoint-manifest-v1.json': {
    format: 1,
    seq: 1,
    epoch: 1,
    createdAt: '2026-12-02T17:57:58.203Z',
    state: { inline: { cursor: 'row-1200', step: 42 } },
    parts: {
      weights: {
        key: 'data/e0000000001/9a637bddb6d15bed-weights',
        size: 14,
        checksum: 'sha256:2168cf69380116fa1bf8f315f57390565d3b682f6c6fd7851b90dacccc1d4bb2',
      },
    },
  } satisfies Manifest,
  'checkpoint-manifest-v1.part-state.json': {
    format: 1,
    seq: 1,
    epoch: 1,
    createdAt: '2026-12-02T17:57:58.235Z',
    state: { part: { key: 'data/e0000000001/0c4b7a8aa12596e3-state%2Ejson', size: 75, checksum: 'crc32:4edc0c53' } },
    parts: {},
  } satisfies Manifest,
  'idempotency-record-v1.json': {
    v: 1,
    status: 'COMPLETED',
    payloadHash,
    owner,
    completedAtMs: 1_718_000_000_000,
    expiresAtMs: 1_718_604_800_000,
    writeId: '7e15d296-ab1c-471c-a71b-4481db2461e6',
    result: { rows: 3, file: 'out/part-0003.parquet' },
  } satisfies IdempotencyRecord,
  'idempotency-record-v1.in-progress.json': {
    v: 1,
    status: 'IN_PROGRESS',
    payloadHash,
    owner,
    claimedAtMs: 1_718_000_000_000,
    leaseExpiresAtMs: 1_718_000_010_000,
    takeovers: 1,
    writeId: '4f12f08d-340b-4de3-ab77-39d548e725fd',
  } satisfies IdempotencyRecord,
  'idempotency-record-v1.failed.json': {
    v: 1,
    status: 'FAILED',
    payloadHash: null,
    owner: { ...owner, pod: null, podUid: null, node: null, index: null, attempt: null, host: 'laptop' },
    completedAtMs: 1_718_000_000_000,
    expiresAtMs: null,
    error: { name: 'PermanentError', message: 'row 12 has no id' },
    writeId: '60e4747c-72b5-417d-8af9-f0b3c5485b03',
  } satisfies IdempotencyRecord,
  'idempotency-record-v1.released.json': {
    v: 1,
    status: 'RELEASED',
    payloadHash,
    owner,
    releasedAtMs: 1_718_000_005_000,
    partial: true,
    writeId: 'a2c7d587-435a-44df-9f1c-a0c1ed1207d6',
  } satisfies IdempotencyRecord,
  'shard-plan-v1.json': {
    format: 'jobkit.shard-plan',
    version: 1,
    planId: 'a5927673-eb01-4262-9439-b866aa10ce5e',
    name: 'prefix:input/',
    prefix: 'input/',
    strategy: 'weighted',
    count: 2,
    jobCount: 2,
    createdAtMs: 1_796_234_278_237,
    createdBy: 'etl-0-abcde',
    objects: 5,
    bytes: 60,
    pageSize: 3,
    pages: [
      {
        key: 'jobs/default/etl/shard-plans/prefix%3Ainput%2F/pages/a5927673-eb01-4262-9439-b866aa10ce5e/000000.json',
        sha256: '8e2f3eb8daba48b67a9dbd02f81847d4b27fb510a62c5c197b27f2206cfe4df2',
        entries: 3,
      },
      {
        key: 'jobs/default/etl/shard-plans/prefix%3Ainput%2F/pages/a5927673-eb01-4262-9439-b866aa10ce5e/000001.json',
        sha256: 'ea9000d7d374dc46429601f4c8bceda67186b9e399041f7640bfe52f15626ae6',
        entries: 2,
      },
    ],
    shardStarts: [0, 3, 5],
    shardBytes: [35, 25],
    checksum: '7f29ca25fc3d62254a8c2ce1d44ce4830a254154db2d213eae4e21cfc7a61ada',
  } satisfies ShardPlanManifest,
  'shard-plan-page-v1.json': [
    ['file-0.csv', 10, '"336311a016184326ddbdd61edd4eeb52"'],
    ['file-1.csv', 11, '"dcb740b2c2836cb11f707d63e6ac664f"'],
    ['file-4.csv', 14, '"4e619f5b28df4a9744963e6700abe7ca"'],
  ] satisfies PlanEntry[],
  // Written by the encoders of src/job/attempts/format.ts when the formats were added (branch lineage).
  'attempt-record-v1.json': {
    v: 1,
    phase: 'start',
    id: '1767225661000-6f1c0b3e-1111-2222-3333-444455556666',
    attempt: 2,
    attemptSource: 'platform',
    pod: 'etl-3-x7k2p',
    podUid: '6f1c0b3e-1111-2222-3333-444455556666',
    node: 'node-a',
    startedAt: 1_767_225_661_000,
    writtenAt: 1_767_226_501_000,
    progress: { items: 1200, position: 1200 },
    inProgress: ['row-1200'],
  } satisfies AttemptRecord,
  'attempt-record-v1.end.json': {
    v: 1,
    phase: 'end',
    id: '1767225661000-6f1c0b3e-1111-2222-3333-444455556666',
    endedAt: 1_767_226_502_000,
    durationMs: 841_000,
    exitCode: 143,
    exitClass: 'interrupted',
    reason: 'signal',
    progress: { items: 1200, position: 1200 },
    quarantined: 1,
  } satisfies AttemptRecord,
  'dead-letter-v1.json': {
    v: 1,
    key: 'row-900',
    index: 3,
    cause: 'crashed',
    attempts: ['1767224000000-aaaa', '1767224600000-bbbb'],
    lastErrorClass: 'crash',
    lastError: 'the process died with the item in progress in 2 attempts (no end record: OOM kill, SIGKILL, abort, node loss)',
    quarantinedAt: 1_767_225_662_000,
    by: '1767225661000-6f1c0b3e-1111-2222-3333-444455556666',
  } satisfies DeadLetterRecord,
  'exclusive-record-v1.json': exclusiveRecord('HELD'),
  'exclusive-record-v1.released.json': exclusiveRecord('RELEASED'),
  'work-queue-v1.json': {
    version: 1,
    chunks: 2,
    count: 2,
    createdAtMs: 1_796_234_278_238,
    createdBy: 'etl-0-abcde/1f2e3d4c',
  } satisfies QueueRecord,
  'work-queue-chunk-v1.json': {
    version: 1,
    chunk: 0,
    state: 'done',
    owner: 'etl-0-abcde/1f2e3d4c',
    leaseMs: 60_000,
    leasedAtMs: 1_796_234_278_238,
    renewedAtMs: 1_796_234_278_241,
    expiresAtMs: 1_796_234_338_238,
    attempt: 1,
    failures: 0,
    completedAtMs: 1_796_234_278_241,
  } satisfies ChunkRecord,
  'work-queue-chunk-v1.released.json': {
    version: 1,
    chunk: 1,
    state: 'released',
    owner: 'etl-0-abcde/1f2e3d4c',
    leaseMs: 60_000,
    leasedAtMs: 1_796_234_278_241,
    renewedAtMs: 1_796_234_278_241,
    expiresAtMs: 1_796_234_338_241,
    attempt: 1,
    failures: 1,
    lastError: 'TypeError: bad row 7',
  } satisfies ChunkRecord,
};
