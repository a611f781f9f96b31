/**
 * The two stored formats of a checkpoint line, each with its own version:
 *
 * ```
 * head.json        {format, epoch, lastSeq, checkpoints: [{seq, manifest, size, checksum}], owner, updatedAt, nonce}
 * manifests/*.json {format, seq, epoch, createdAt, state: {inline} | {part}, parts: {name: {key, size, checksum}}}
 * ```
 *
 * Separate versions because they change for separate reasons: a manifest-only
 * change must not make pods of the previous release refuse the head (they
 * could then not even take an epoch), and the other way round.
 *
 * Compatibility (CONTRIBUTING.md, "How to change a stored format"; the policy
 * is util/format-version.ts): a reader decodes its own version and the one
 * before it. There is no version before 1 yet, so today each reads only 1.
 * A newer version stops with CheckpointFormatError (configuration, exit 78)
 * and nothing is overwritten. Damaged bytes, a field of the wrong type or a key
 * outside the root are CheckpointCorruptError (a damaged manifest makes
 * `load()` fall back to an older checkpoint; a damaged head escapes).
 *
 * Both are written as canonical JSON: equal values give equal bytes, so the
 * checksum the head records for a manifest is stable.
 */
import { canonicalJson } from '../util/canonical-json.ts';
import { versionVerdict } from '../util/format-version.ts';
import { describeValue, type FieldFailure, type JsonFields, parseJsonObject } from '../util/json-fields.ts';
import { checksumForm } from './checksum.ts';
import { CheckpointCorruptError, CheckpointFormatError } from './errors.ts';
import { isDataKey, isManifestKey } from './layout.ts';

/** Version of head.json this jobkit writes (it also reads the one before, once there is one). */
export const HEAD_VERSION = 1;
/** Version of the manifests this jobkit writes (it also reads the one before, once there is one). */
export const MANIFEST_VERSION = 1;

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
  readonly format: typeof HEAD_VERSION;
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

/** Where a committed part lives and how to verify it. */
export interface PartRecord {
  /** Key relative to the checkpoint root (`data/e<epoch>/...`). */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** `<algorithm>:<hex>`, e.g. `sha256:ab12...`. */
  readonly checksum: string;
}

/** Where the state lives: inside the manifest, or in a data object for large state. */
export type StateRecord = { readonly inline: unknown } | { readonly part: PartRecord };

/** An immutable manifest. */
export interface Manifest {
  readonly format: typeof MANIFEST_VERSION;
  readonly seq: number;
  readonly epoch: number;
  readonly createdAt: string;
  readonly state: StateRecord;
  readonly parts: Readonly<Record<string, PartRecord>>;
}

/**
 * Serialize a head.
 *
 * @example
 * ```ts
 * await store.put(headKey, encodeHead(nextHead(undefined, 1, owner)), { ifNoneMatch: '*' });
 * ```
 */
export function encodeHead(head: Head): Buffer {
  return Buffer.from(canonicalJson(head), 'utf8');
}

/**
 * Serialize a manifest.
 *
 * @example
 * ```ts
 * const bytes = encodeManifest({ format: MANIFEST_VERSION, seq, epoch, createdAt, state: { inline: state }, parts });
 * ```
 */
export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/**
 * Decode and check a head read from the store.
 *
 * @throws CheckpointFormatError for a version this jobkit does not read (newer, or more than one older).
 * @throws CheckpointCorruptError when the bytes are not a head (the message names the field).
 * @example
 * ```ts
 * const head = decodeHead(obj.body, 'jobs/default/etl/index-0/checkpoints/head.json');
 * ```
 */
export function decodeHead(bytes: Uint8Array, key: string): Head {
  const fields = parseJsonObject(bytes, invalid(key));
  const verdict = versionVerdict(fields.raw('format'), HEAD_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readHeadV1(fields);
    // There is no head version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new CheckpointFormatError(`checkpoint head "${key}"`, verdict.version, HEAD_VERSION);
    case 'invalid':
      return fields.reject('format', `must be a format version (an integer >= 1), got ${describeValue(verdict.found)}`);
  }
}

/**
 * Decode and check a manifest read from the store.
 *
 * @throws CheckpointFormatError for a version this jobkit does not read (newer, or more than one older).
 * @throws CheckpointCorruptError when the bytes are not a manifest (the message names the field).
 * @example
 * ```ts
 * const manifest = decodeManifest(obj.body, key);
 * ```
 */
export function decodeManifest(bytes: Uint8Array, key: string): Manifest {
  const fields = parseJsonObject(bytes, invalid(key));
  const verdict = versionVerdict(fields.raw('format'), MANIFEST_VERSION);
  switch (verdict.kind) {
    case 'current':
      return readManifestV1(fields);
    // There is no manifest version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new CheckpointFormatError(`checkpoint manifest "${key}"`, verdict.version, MANIFEST_VERSION);
    case 'invalid':
      return fields.reject('format', `must be a format version (an integer >= 1), got ${describeValue(verdict.found)}`);
  }
}

function invalid(key: string): FieldFailure {
  return (why) => {
    throw new CheckpointCorruptError(key, `checkpoint object "${key}" is invalid: ${why}`);
  };
}

function readHeadV1(f: JsonFields): Head {
  const checkpoints = f.objects('checkpoints').map(
    (e): HeadEntry => ({
      seq: e.integer('seq', 1),
      manifest: checked(e, 'manifest', isManifestKey, 'is not a manifest key of this checkpoint'),
      size: e.integer('size'),
      checksum: checksumField(e, 'checksum'),
    }),
  );
  // Heads may lack the owner or some of its fields (written before they were
  // recorded): absent reads as null; a value of the wrong type is damage.
  const owner = f.objectOrEmpty('owner');
  return {
    format: HEAD_VERSION,
    epoch: f.integer('epoch', 1),
    lastSeq: f.integer('lastSeq'),
    checkpoints,
    owner: {
      pod: owner.nullish('pod', owner.string),
      podUid: owner.nullish('podUid', owner.string),
      node: owner.nullish('node', owner.string),
      attempt: owner.nullish('attempt', owner.integer),
      count: owner.nullish('count', (name) => owner.integer(name, 1)),
    },
    updatedAt: f.optional('updatedAt', f.string) ?? '',
    nonce: f.text('nonce'),
  };
}

function readManifestV1(f: JsonFields): Manifest {
  const stateFields = f.object('state');
  let state: StateRecord;
  if (stateFields.has('inline')) state = { inline: stateFields.raw('inline') };
  else if (stateFields.has('part')) state = { part: readPart(stateFields.object('part')) };
  else return f.reject('state', 'has neither inline nor part');
  const partFields = f.object('parts');
  const parts: Record<string, PartRecord> = {};
  for (const name of partFields.names()) parts[name] = readPart(partFields.object(name));
  const createdAt = f.text('createdAt');
  if (Number.isNaN(Date.parse(createdAt))) f.reject('createdAt', `is not a date: ${JSON.stringify(createdAt)}`);
  return { format: MANIFEST_VERSION, seq: f.integer('seq', 1), epoch: f.integer('epoch', 1), createdAt, state, parts };
}

function readPart(f: JsonFields): PartRecord {
  return {
    key: checked(f, 'key', isDataKey, 'is not a data key of this checkpoint'),
    size: f.integer('size'),
    checksum: checksumField(f, 'checksum'),
  };
}

function checksumField(f: JsonFields, name: string): string {
  return checked(f, name, (c) => checksumForm(c) !== undefined, 'uses an unknown algorithm');
}

function checked(f: JsonFields, name: string, ok: (value: string) => boolean, why: string): string {
  const value = f.text(name);
  return ok(value) ? value : f.reject(name, `${why}: ${JSON.stringify(value.slice(0, 80))}`);
}
