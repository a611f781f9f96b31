/**
 * The stored format of frozen shard plans: one small manifest, written last with
 * a create-only condition, pointing at pages of entries. Every object carries a
 * SHA-256 checksum that is verified on read.
 *
 * Layout under `<scope>/shard-plans/<name>/`:
 * - `plan.json`: the manifest (format, version, source, strategy, count, the
 *   offset of each shard in the entry sequence, page keys and checksums, and
 *   its own checksum over its canonical JSON).
 * - `pages/<planId>/<n>.json`: entries `[key relative to the prefix, size, etag]`,
 *   shard 0's entries first, then shard 1's, ..., cut into pages of `pageSize`.
 *
 * A reader needs the manifest and only the pages that hold its shard, so memory
 * stays bounded by the page size whatever the number of objects; the manifest
 * grows with the shard count (a number per shard) and the page count.
 *
 * Compatibility (CONTRIBUTING.md, "How to change a stored format"; the policy
 * is util/format-version.ts): the manifest's `version` covers its pages too. A
 * reader decodes its own version and the one before it; there is none before 1
 * yet, so today it reads only 1. Every failure is a ShardPlanError (a
 * configuration error, exit 78: every index reads the same plan), with a
 * message that tells a newer version (upgrade the image) from damage (delete
 * the plan to re-plan) and names the field.
 */
import { canonicalJson } from '../util/canonical-json.ts';
import { versionMismatch, versionVerdict } from '../util/format-version.ts';
import { describeValue, type FieldFailure, JsonFields } from '../util/json-fields.ts';
import { sha256Hex } from '../util/hash.ts';
import { ShardPlanError } from './errors.ts';
import type { ShardStrategy } from './types.ts';

/** The `format` field of every plan manifest: tells a plan from any other JSON. */
export const PLAN_FORMAT = 'jobkit.shard-plan';
/** Version of the plans this jobkit writes (it also reads the one before, once there is one). */
export const PLAN_VERSION = 1;

/** Every strategy, typed against the union so a new one must be added here (the decoder accepts only these). */
const STRATEGIES: Readonly<Record<ShardStrategy, true>> = { contiguous: true, strided: true, hash: true, weighted: true };
const STRATEGY_NAMES = Object.keys(STRATEGIES) as ShardStrategy[];

/** One page of a plan, as listed in the manifest. */
export interface PlanPageRef {
  /** Store key of the page. */
  readonly key: string;
  /** Hex SHA-256 of the page's bytes. */
  readonly sha256: string;
  /** Number of entries in the page. */
  readonly entries: number;
}

/** A frozen plan's manifest, as stored (the public view is ShardPlanInfo in plan.ts). */
export interface ShardPlanManifest {
  readonly format: typeof PLAN_FORMAT;
  readonly version: typeof PLAN_VERSION;
  /** Random id of the listing that won; page keys contain it. */
  readonly planId: string;
  /** The plan's name (default: derived from the prefix). */
  readonly name: string;
  /** The store prefix that was listed (relative to the input store when `input` is set). */
  readonly prefix: string;
  /**
   * URL of the input store that was listed (credentials removed), when it is
   * not the job's own store. Absent in plans of the job's store and in plans
   * written before input stores existed.
   */
  readonly input?: string;
  readonly strategy: ShardStrategy;
  /** Number of shards. */
  readonly count: number;
  /**
   * The job's count (JOBKIT_COUNT, identity.count) of the pod that froze the
   * plan; pods with another count are refused. Absent in plans written before
   * it was recorded (those are accepted: `count` was checked alone).
   */
  readonly jobCount?: number;
  /** Wall-clock time the listing was frozen, in milliseconds since the epoch. */
  readonly createdAtMs: number;
  /** Pod (or index) that wrote the plan, for operators. */
  readonly createdBy: string;
  /** Objects in the plan. */
  readonly objects: number;
  /** Sum of the objects' sizes in bytes. */
  readonly bytes: number;
  /** Entries per page (the last page may hold fewer). */
  readonly pageSize: number;
  readonly pages: readonly PlanPageRef[];
  /** `count + 1` offsets: shard i holds entries `[shardStarts[i], shardStarts[i+1])`. */
  readonly shardStarts: readonly number[];
  /** Total bytes of each shard. */
  readonly shardBytes: readonly number[];
  /** Hex SHA-256 of the canonical JSON of every other field. */
  readonly checksum: string;
}

/** One entry of a page: key relative to the prefix, size in bytes, etag. */
export type PlanEntry = readonly [relativeKey: string, sizeBytes: number, etag: string];

/**
 * Seal a manifest: compute its checksum and serialize it.
 *
 * @example
 * ```ts
 * const body = encodeManifest(fieldsWithoutChecksum);
 * ```
 */
export function encodeManifest(fields: Omit<ShardPlanManifest, 'checksum'>): string {
  const checksum = sha256Hex(canonicalJson(fields));
  return canonicalJson({ ...fields, checksum });
}

/**
 * Decode and verify a stored manifest.
 *
 * @throws ShardPlanError when it is not JSON, not a plan, of a version this
 *   jobkit does not read, fails its checksum, has a field of the wrong type
 *   (named in the message) or does not add up.
 * @example
 * ```ts
 * const manifest = decodeManifest((await store.get(key))!.body, key);
 * ```
 */
export function decodeManifest(body: Uint8Array, key: string): ShardPlanManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new ShardPlanError(key, 'is not valid JSON (corrupt or truncated); delete it to re-plan', { cause: err });
  }
  const notPlan = (): never => {
    throw new ShardPlanError(key, `is not a jobkit shard plan (format must be "${PLAN_FORMAT}")`);
  };
  const fields = JsonFields.of(parsed, '', notPlan);
  if (fields.raw('format') !== PLAN_FORMAT) notPlan();
  const verdict = versionVerdict(fields.raw('version'), PLAN_VERSION);
  switch (verdict.kind) {
    case 'current':
      break;
    // There is no plan version before 1 yet: a v2 makes this case read v1 and upgrade it.
    case 'previous':
    case 'older':
    case 'newer':
      throw new ShardPlanError(key, versionMismatch(verdict.version, PLAN_VERSION));
    case 'invalid':
      throw new ShardPlanError(key, `has no valid format version (got ${describeValue(verdict.found)}); delete it to re-plan`);
  }
  // The checksum covers the bytes as written, before any field is trusted.
  const { checksum, ...sealed } = parsed as Record<string, unknown>;
  if (typeof checksum !== 'string' || sha256Hex(canonicalJson(sealed)) !== checksum) {
    throw new ShardPlanError(key, 'fails its checksum (corrupt or edited); delete it to re-plan');
  }
  return checkConsistent(readManifestV1(JsonFields.of(parsed, '', malformed(key)), checksum), key);
}

function malformed(key: string): FieldFailure {
  return (why) => {
    throw new ShardPlanError(key, `is malformed: ${why}; delete it to re-plan`);
  };
}

function readManifestV1(f: JsonFields, checksum: string): ShardPlanManifest {
  const input = f.optional('input', f.string);
  const jobCount = f.optional('jobCount', (name) => f.integer(name, 1));
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    planId: f.text('planId'),
    name: f.string('name'),
    prefix: f.string('prefix'),
    ...(input === undefined ? {} : { input }),
    strategy: f.oneOf('strategy', STRATEGY_NAMES),
    count: f.integer('count', 1),
    ...(jobCount === undefined ? {} : { jobCount }),
    createdAtMs: f.number('createdAtMs'),
    createdBy: f.string('createdBy'),
    objects: f.integer('objects'),
    bytes: f.integer('bytes'),
    pageSize: f.integer('pageSize', 1),
    pages: f.objects('pages').map((p) => ({ key: p.text('key'), sha256: p.text('sha256'), entries: p.integer('entries') })),
    shardStarts: f.integers('shardStarts'),
    shardBytes: f.integers('shardBytes'),
    checksum,
  };
}

function checkConsistent(m: ShardPlanManifest, key: string): ShardPlanManifest {
  const starts = m.shardStarts;
  const consistent =
    starts.length === m.count + 1 &&
    starts[0] === 0 &&
    starts[m.count] === m.objects &&
    starts.every((s, i) => i === 0 || s >= starts[i - 1]!) &&
    m.shardBytes.length === m.count &&
    m.pages.reduce((n, p) => n + p.entries, 0) === m.objects;
  if (!consistent) throw new ShardPlanError(key, 'is internally inconsistent (shard offsets or page sizes do not add up)');
  return m;
}

/**
 * Serialize a page of entries.
 *
 * @example
 * ```ts
 * const body = encodePage([['a.csv', 10, '"etag"']]);
 * ```
 */
export function encodePage(entries: readonly PlanEntry[]): string {
  return JSON.stringify({ entries });
}

/**
 * Decode and verify a page against its manifest reference.
 *
 * @throws ShardPlanError when it fails its checksum, holds another number of
 *   entries, or an entry is not `[key, size, etag]` (named by its position).
 * @example
 * ```ts
 * const entries = decodePage((await store.get(ref.key))!.body, ref);
 * ```
 */
export function decodePage(body: Uint8Array, ref: PlanPageRef): readonly PlanEntry[] {
  if (sha256Hex(body) !== ref.sha256) throw new ShardPlanError(ref.key, 'page fails its checksum (corrupt or edited); delete the plan to re-plan');
  const fail: FieldFailure = (why) => {
    throw new ShardPlanError(ref.key, `page is malformed: ${why}; delete the plan to re-plan`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    fail(`not JSON: ${(err as Error).message}`);
  }
  const list = JsonFields.of(parsed, '', fail).array('entries');
  if (list.length !== ref.entries) throw new ShardPlanError(ref.key, `page should hold ${ref.entries} entries, holds ${list.length}`);
  list.forEach((entry, i) => {
    if (!isEntry(entry)) fail(`entries[${i}] must be [key, size, etag], got ${describeValue(entry)}`);
  });
  return list as PlanEntry[];
}

function isEntry(value: unknown): value is PlanEntry {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    Number.isSafeInteger(value[1]) &&
    value[1] >= 0 &&
    typeof value[2] === 'string'
  );
}
