/**
 * The on-store format: one head object per checkpoint line, immutable manifests,
 * immutable data objects. Layout under the root (`<scope prefix>/checkpoints`):
 *
 * ```
 * head.json                               {format, epoch, lastSeq, checkpoints[], owner, nonce}  (CAS only)
 * manifests/<seq>-e<epoch>-<rand>.json    {format, seq, epoch, state, parts}                      (create-only)
 * data/e<epoch>/<rand>-<part name>        part bytes                                              (unique key)
 * ```
 *
 * Readers trust nothing they parse: every field is checked, every key must stay
 * inside the root, and a newer format version stops with CheckpointFormatError.
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.ts';
import { joinKey, keySegment } from '../store/keys.ts';
import { checksumAlgorithm } from './checksum.ts';
import { CheckpointCorruptError, CheckpointFormatError } from './errors.ts';
import type { PartRecord } from './types.ts';

/** The format version this jobkit writes and the highest it reads. */
export const FORMAT_VERSION = 1;

/** A committed checkpoint as the head lists it. */
export interface HeadEntry {
  readonly seq: number;
  /** Manifest key relative to the root. */
  readonly manifest: string;
  /** Manifest size and checksum, so a damaged manifest is detected before it is parsed. */
  readonly size: number;
  readonly checksum: string;
}

/** Who took the current epoch; for humans reading the head. */
export interface EpochOwner {
  readonly pod: string | null;
  readonly podUid: string | null;
  readonly node: string | null;
  readonly attempt: number | null;
  /**
   * The Job's index count (JOBKIT_COUNT) when the epoch was taken, for a
   * per-index line; null for a line shared by all indexes, and in heads
   * written before it was recorded. A pod with another count refuses the line.
   */
  readonly count?: number | null;
}

/** The head: the only mutable object, changed by compare-and-swap only. */
export interface Head {
  readonly format: number;
  /** The newest epoch taken; only its owner may commit. */
  readonly epoch: number;
  /** Highest sequence number committed so far (0 before the first). */
  readonly lastSeq: number;
  /** Committed checkpoints, newest first, at most `keep`. */
  readonly checkpoints: readonly HeadEntry[];
  readonly owner: EpochOwner;
  readonly updatedAt: string;
  /** Unique per write: equal bytes never come back (no ABA on etags), and a lost CAS response can be recognised. */
  readonly nonce: string;
}

/** Where the state lives: inside the manifest, or in a data object for large state. */
export type StateRecord = { readonly inline: unknown } | { readonly part: PartRecord };

/** An immutable manifest. */
export interface Manifest {
  readonly format: number;
  readonly seq: number;
  readonly epoch: number;
  readonly createdAt: string;
  readonly state: StateRecord;
  readonly parts: Readonly<Record<string, PartRecord>>;
}

export const HEAD_KEY = 'head.json';
const MANIFEST_DIR = 'manifests';
export const DATA_DIR = 'data';
const EPOCH_DIGITS = 10;
const SEQ_DIGITS = 12;
const MANIFEST_KEY = /^manifests\/(\d{12})-e(\d{10})-[0-9a-f]{16}\.json$/;
const DATA_KEY = /^data\/e(\d{10})\/[0-9a-f]{16}-[A-Za-z0-9_%-]{1,1200}$/;
const MAX_PART_NAME = 100;

const pad = (n: number, digits: number): string => String(n).padStart(digits, '0');
const nonce = (): string => randomBytes(8).toString('hex');

/**
 * A new unique manifest key (relative to the root).
 *
 * @example
 * ```ts
 * manifestKey(12, 7); // 'manifests/000000000012-e0000000007-9f2c...json'
 * ```
 */
export function manifestKey(seq: number, epoch: number): string {
  return joinKey(MANIFEST_DIR, `${pad(seq, SEQ_DIGITS)}-e${pad(epoch, EPOCH_DIGITS)}-${nonce()}.json`);
}

/**
 * A new unique data key for a part (relative to the root).
 *
 * @example
 * ```ts
 * dataKey(7, 'weights'); // 'data/e0000000007/3b1f...-weights'
 * ```
 */
export function dataKey(epoch: number, partName: string): string {
  return joinKey(DATA_DIR, `e${pad(epoch, EPOCH_DIGITS)}`, `${nonce()}-${keySegment(partName)}`);
}

/**
 * The store key of a key relative to a root; both are validated segment by
 * segment, so a relative key read from a manifest can never leave the root.
 *
 * @example
 * ```ts
 * resolveKey('jobs/default/etl/index-0/checkpoints', 'head.json');
 * ```
 */
export function resolveKey(root: string, relativeKey: string): string {
  return joinKey(...root.split('/'), ...relativeKey.split('/'));
}

/** The epoch a manifest or data key was written under, or undefined for a foreign key. */
export function epochOfKey(relativeKey: string): number | undefined {
  const m = MANIFEST_KEY.exec(relativeKey) ?? DATA_KEY.exec(relativeKey);
  const digits = m === null ? undefined : relativeKey.startsWith(MANIFEST_DIR) ? m[2] : m[1];
  return digits === undefined ? undefined : Number(digits);
}

/** The directories of the root that hold immutable objects (for listing leftovers). */
export const IMMUTABLE_DIRS: readonly string[] = [MANIFEST_DIR, DATA_DIR];

/**
 * Throw a TypeError unless `name` is a usable part name.
 *
 * @example
 * ```ts
 * assertPartName('weights'); // ok
 * ```
 */
export function assertPartName(name: string): void {
  if (name.length === 0 || name.length > MAX_PART_NAME) {
    throw new TypeError(`checkpoint part names must have 1..${MAX_PART_NAME} characters, got ${JSON.stringify(name.slice(0, 40))}`);
  }
}

/** A fresh head for a newly taken epoch. */
export function nextHead(previous: Head | undefined, epoch: number, owner: EpochOwner): Head {
  return {
    format: FORMAT_VERSION,
    epoch,
    lastSeq: previous?.lastSeq ?? 0,
    checkpoints: previous?.checkpoints ?? [],
    owner,
    updatedAt: new Date().toISOString(),
    nonce: nonce(),
  };
}

/**
 * The head after committing `entry`: newest first, trimmed to `keep`.
 *
 * @example
 * ```ts
 * const next = committedHead(head, { seq: 4, manifest, size, checksum }, 3);
 * ```
 */
export function committedHead(head: Head, entry: HeadEntry, keep: number): Head {
  return {
    ...head,
    lastSeq: entry.seq,
    checkpoints: [entry, ...head.checkpoints].slice(0, keep),
    updatedAt: new Date().toISOString(),
    nonce: nonce(),
  };
}

/** Serialize a head or manifest (canonical JSON: stable bytes, stable checksums). */
export function encode(value: Head | Manifest): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

// ---- parsing: everything read from the store is untrusted ----

type Json = Record<string, unknown>;

function fail(key: string, what: string): never {
  throw new CheckpointCorruptError(key, `checkpoint object "${key}" is invalid: ${what}`);
}

function parseObject(bytes: Uint8Array, key: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    fail(key, `not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, `${what} is not an object`);
  const obj = value as Json;
  const format = obj.format;
  if (typeof format !== 'number' || !Number.isSafeInteger(format) || format < 1) fail(key, 'missing format version');
  if (format > FORMAT_VERSION) throw new CheckpointFormatError(`${what} "${key}"`, format, FORMAT_VERSION);
  return obj;
}

function count(obj: Json, field: string, key: string, min = 0): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(key, `${field} must be an integer >= ${min}`);
  return v;
}

function text(obj: Json, field: string, key: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.length === 0) fail(key, `${field} must be a non-empty string`);
  return v;
}

function record(value: unknown, key: string, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, `${what} must be an object`);
  return value as Json;
}

function nullable<T>(value: unknown, check: (v: unknown) => v is T): T | null {
  return value === null || value === undefined ? null : check(value) ? value : null;
}

function parsePartRecord(value: unknown, key: string, what: string): PartRecord {
  const r = record(value, key, what);
  const partKey = text(r, 'key', key);
  if (!DATA_KEY.test(partKey)) fail(key, `${what}.key ${JSON.stringify(partKey)} is not a data key of this checkpoint`);
  const checksum = text(r, 'checksum', key);
  if (checksumAlgorithm(checksum) === undefined) fail(key, `${what}.checksum uses an unknown algorithm`);
  return { key: partKey, size: count(r, 'size', key), checksum };
}

/**
 * Parse and check a head read from the store.
 *
 * @example
 * ```ts
 * const head = parseHead(obj.body, 'jobs/default/etl/index-0/checkpoints/head.json');
 * ```
 */
export function parseHead(bytes: Uint8Array, key: string): Head {
  const obj = parseObject(bytes, key, 'checkpoint head');
  const list = obj.checkpoints;
  if (!Array.isArray(list)) fail(key, 'checkpoints must be an array');
  const checkpoints = list.map((item: unknown, i): HeadEntry => {
    const e = record(item, key, `checkpoints[${i}]`);
    const manifest = text(e, 'manifest', key);
    if (!MANIFEST_KEY.test(manifest)) fail(key, `checkpoints[${i}].manifest is not a manifest key of this checkpoint`);
    const checksum = text(e, 'checksum', key);
    if (checksumAlgorithm(checksum) === undefined) fail(key, `checkpoints[${i}].checksum uses an unknown algorithm`);
    return { seq: count(e, 'seq', key, 1), manifest, size: count(e, 'size', key), checksum };
  });
  const owner = obj.owner === undefined ? {} : record(obj.owner, key, 'owner');
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  return {
    format: FORMAT_VERSION,
    epoch: count(obj, 'epoch', key, 1),
    lastSeq: count(obj, 'lastSeq', key),
    checkpoints,
    owner: {
      pod: nullable(owner.pod, isString),
      podUid: nullable(owner.podUid, isString),
      node: nullable(owner.node, isString),
      attempt: nullable(owner.attempt, isInt),
      count: nullable(owner.count, isInt),
    },
    updatedAt: typeof obj.updatedAt === 'string' ? obj.updatedAt : '',
    nonce: text(obj, 'nonce', key),
  };
}

/**
 * Parse and check a manifest read from the store.
 *
 * @example
 * ```ts
 * const manifest = parseManifest(obj.body, key);
 * ```
 */
export function parseManifest(bytes: Uint8Array, key: string): Manifest {
  const obj = parseObject(bytes, key, 'checkpoint manifest');
  const state = record(obj.state, key, 'state');
  let stateRecord: StateRecord;
  if ('inline' in state) stateRecord = { inline: state.inline };
  else if ('part' in state) stateRecord = { part: parsePartRecord(state.part, key, 'state.part') };
  else fail(key, 'state has neither inline nor part');
  const parts: Record<string, PartRecord> = {};
  for (const [name, value] of Object.entries(record(obj.parts, key, 'parts'))) {
    parts[name] = parsePartRecord(value, key, `parts.${name}`);
  }
  const createdAt = text(obj, 'createdAt', key);
  if (Number.isNaN(Date.parse(createdAt))) fail(key, 'createdAt is not a date');
  return { format: FORMAT_VERSION, seq: count(obj, 'seq', key, 1), epoch: count(obj, 'epoch', key, 1), createdAt, state: stateRecord, parts };
}
