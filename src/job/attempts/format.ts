/**
 * The stored formats of the attempt lineage: the attempt records (a start
 * record, rewritten while items are in progress, and an end record written
 * once at exit) and the dead letters of quarantined items. Each has its own
 * version constant; nothing else reads or writes their bytes.
 *
 * Compatibility: CONTRIBUTING.md, "How to change a stored format" (policy in
 * util/format-version.ts); version 1 is the first, so only 1 is read.
 */
import { versionVerdict } from '../../util/format-version.ts';
import { describeValue, type JsonFields, parseJsonObject } from '../../util/json-fields.ts';
import { AttemptRecordCorruptError, AttemptRecordVersionError } from './errors.ts';

/** Version (`v`) of the attempt records this jobkit writes. */
export const ATTEMPT_RECORD_VERSION = 1;

/** Version (`v`) of the dead-letter records this jobkit writes. */
export const DEAD_LETTER_VERSION = 1;

/** How far an attempt got: items processed (`jobkit_items_total{outcome="processed"}`) and the shard position, when a share was handed out. */
export interface AttemptProgress {
  readonly items: number;
  readonly position: number | null;
}

/** The start record of an attempt (rewritten while items are in progress). */
export interface AttemptStartRecord {
  readonly v: typeof ATTEMPT_RECORD_VERSION;
  readonly phase: 'start';
  readonly id: string;
  /** 0-based: the platform's attempt number when it tells one, else one more than the previous attempt's. */
  readonly attempt: number;
  /** Where `attempt` came from. */
  readonly attemptSource: 'platform' | 'sequence';
  readonly pod: string | null;
  readonly podUid: string | null;
  readonly node: string | null;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** When this version of the record was written (the attempt's last sign of life), ms since the epoch. */
  readonly writtenAt: number;
  /** Progress when this version was written. */
  readonly progress: AttemptProgress;
  /** Item keys in progress (job.item) when this version was written. */
  readonly inProgress: readonly string[];
}

/** The end record of an attempt, written by a shutdown hook. */
export interface AttemptEndRecord {
  readonly v: typeof ATTEMPT_RECORD_VERSION;
  readonly phase: 'end';
  readonly id: string;
  /** ms since the epoch. */
  readonly endedAt: number;
  readonly durationMs: number;
  readonly exitCode: number;
  /** The exit code's class in the exit-code table; null for a code outside it. */
  readonly exitClass: string | null;
  /** The shutdown reason: completed, failed, signal, deadline. */
  readonly reason: string;
  readonly progress: AttemptProgress;
  /** Items this attempt quarantined. */
  readonly quarantined: number;
}

/** One record of an attempt. */
export type AttemptRecord = AttemptStartRecord | AttemptEndRecord;

/** A quarantined item. */
export interface DeadLetterRecord {
  readonly v: typeof DEAD_LETTER_VERSION;
  /** The item key given to job.item. */
  readonly key: string;
  readonly index: number;
  /** `crashed`: attempts died with it in progress; `permanent`: it threw a permanent error. */
  readonly cause: 'crashed' | 'permanent';
  /** The attempts that died on it (crashed), or the attempt whose run threw (permanent). */
  readonly attempts: readonly string[];
  /** Exit class of the last failure: `crash` for a process that died. */
  readonly lastErrorClass: string;
  /** What is known of the last failure. */
  readonly lastError: string;
  /** ms since the epoch. */
  readonly quarantinedAt: number;
  /** The attempt that quarantined it. */
  readonly by: string;
}

const progressOf = (p: AttemptProgress): AttemptProgress => ({ items: p.items, position: p.position });

/**
 * The bytes of an attempt record (fields in a fixed order).
 *
 * @example
 * ```ts
 * await store.put(attemptKey(prefix, id, 'start'), encodeAttemptRecord(record));
 * ```
 */
export function encodeAttemptRecord(record: AttemptRecord): string {
  switch (record.phase) {
    case 'start':
      return JSON.stringify({
        v: ATTEMPT_RECORD_VERSION,
        phase: 'start',
        id: record.id,
        attempt: record.attempt,
        attemptSource: record.attemptSource,
        pod: record.pod,
        podUid: record.podUid,
        node: record.node,
        startedAt: record.startedAt,
        writtenAt: record.writtenAt,
        progress: progressOf(record.progress),
        inProgress: [...record.inProgress],
      } satisfies AttemptStartRecord);
    case 'end':
      return JSON.stringify({
        v: ATTEMPT_RECORD_VERSION,
        phase: 'end',
        id: record.id,
        endedAt: record.endedAt,
        durationMs: record.durationMs,
        exitCode: record.exitCode,
        exitClass: record.exitClass,
        reason: record.reason,
        progress: progressOf(record.progress),
        quarantined: record.quarantined,
      } satisfies AttemptEndRecord);
  }
}

function corrupt(storeKey: string): (why: string) => never {
  return (why) => {
    throw new AttemptRecordCorruptError(storeKey, why);
  };
}

function readProgress(f: JsonFields): AttemptProgress {
  const p = f.object('progress');
  return { items: p.integer('items'), position: p.nullable('position', p.integer) };
}

function readStrings(f: JsonFields, name: string): string[] {
  const list = f.array(name);
  const bad = list.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) f.reject(`${name}[${bad}]`, `must be a string, got ${describeValue(list[bad])}`);
  return list as string[];
}

function readAttemptV1(f: JsonFields): AttemptRecord {
  const phase = f.oneOf('phase', ['start', 'end'] as const);
  if (phase === 'start') {
    return {
      v: ATTEMPT_RECORD_VERSION,
      phase,
      id: f.text('id'),
      attempt: f.integer('attempt'),
      attemptSource: f.oneOf('attemptSource', ['platform', 'sequence'] as const),
      pod: f.nullable('pod', f.string),
      podUid: f.nullable('podUid', f.string),
      node: f.nullable('node', f.string),
      startedAt: f.number('startedAt'),
      writtenAt: f.number('writtenAt'),
      progress: readProgress(f),
      inProgress: readStrings(f, 'inProgress'),
    };
  }
  return {
    v: ATTEMPT_RECORD_VERSION,
    phase,
    id: f.text('id'),
    endedAt: f.number('endedAt'),
    durationMs: f.number('durationMs'),
    exitCode: f.integer('exitCode'),
    exitClass: f.nullable('exitClass', f.string),
    reason: f.text('reason'),
    progress: readProgress(f),
    quarantined: f.integer('quarantined'),
  };
}

/**
 * Decode and check an attempt record read from the store.
 *
 * @throws AttemptRecordVersionError for a version this jobkit does not read.
 * @throws AttemptRecordCorruptError when it is not a record (the message names the field).
 * @example
 * ```ts
 * const record = decodeAttemptRecord(obj.body, key);
 * if (record.phase === 'start') console.log(record.inProgress);
 * ```
 */
export function decodeAttemptRecord(body: Uint8Array, storeKey: string): AttemptRecord {
  const fields = parseJsonObject(body, corrupt(storeKey));
  const verdict = versionVerdict(fields.raw('v'), ATTEMPT_RECORD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readAttemptV1(fields);
    case 'previous':
    case 'older':
    case 'newer':
      throw new AttemptRecordVersionError(storeKey, verdict.version, ATTEMPT_RECORD_VERSION);
    case 'invalid':
      throw new AttemptRecordCorruptError(storeKey, `unknown format version ${describeValue(verdict.found)}`);
  }
}

/**
 * The bytes of a dead-letter record (fields in a fixed order).
 *
 * @example
 * ```ts
 * await store.put(deadLetterKey(prefix, record.key), encodeDeadLetter(record), { ifNoneMatch: '*' });
 * ```
 */
export function encodeDeadLetter(record: DeadLetterRecord): string {
  return JSON.stringify({
    v: DEAD_LETTER_VERSION,
    key: record.key,
    index: record.index,
    cause: record.cause,
    attempts: [...record.attempts],
    lastErrorClass: record.lastErrorClass,
    lastError: record.lastError,
    quarantinedAt: record.quarantinedAt,
    by: record.by,
  } satisfies DeadLetterRecord);
}

/**
 * Decode and check a dead-letter record read from the store.
 *
 * @throws AttemptRecordVersionError for a version this jobkit does not read.
 * @throws AttemptRecordCorruptError when it is not a record.
 * @example
 * ```ts
 * const letter = decodeDeadLetter(obj.body, key);
 * console.log(letter.key, letter.cause, letter.attempts.length);
 * ```
 */
export function decodeDeadLetter(body: Uint8Array, storeKey: string): DeadLetterRecord {
  const f = parseJsonObject(body, corrupt(storeKey));
  const verdict = versionVerdict(f.raw('v'), DEAD_LETTER_VERSION);
  switch (verdict.kind) {
    case 'current':
      return {
        v: DEAD_LETTER_VERSION,
        key: f.text('key'),
        index: f.integer('index'),
        cause: f.oneOf('cause', ['crashed', 'permanent'] as const),
        attempts: readStrings(f, 'attempts'),
        lastErrorClass: f.text('lastErrorClass'),
        lastError: f.string('lastError'),
        quarantinedAt: f.number('quarantinedAt'),
        by: f.text('by'),
      };
    case 'previous':
    case 'older':
    case 'newer':
      throw new AttemptRecordVersionError(storeKey, verdict.version, DEAD_LETTER_VERSION);
    case 'invalid':
      throw new AttemptRecordCorruptError(storeKey, `unknown format version ${describeValue(verdict.found)}`);
  }
}
