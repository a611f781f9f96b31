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
 */
import { canonicalJson } from '../util/canonical-json.ts';
import { sha256Hex } from '../util/hash.ts';
import { ShardPlanError } from './errors.ts';
import type { ShardStrategy } from './types.ts';

/** The `format` field of every plan manifest. */
export const PLAN_FORMAT = 'jobkit.shard-plan';
/** The manifest version this release writes and reads. */
export const PLAN_VERSION = 1;

/** One page of a plan, as listed in the manifest. */
export interface PlanPageRef {
  /** Store key of the page. */
  readonly key: string;
  /** Hex SHA-256 of the page's bytes. */
  readonly sha256: string;
  /** Number of entries in the page. */
  readonly entries: number;
}

/**
 * A frozen plan's manifest.
 *
 * @example
 * ```ts
 * const plan = await freezeShardPlan({ store, identity, prefix: 'input/' });
 * console.log(plan.manifest.objects, plan.manifest.bytes);
 * ```
 */
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
 * Parse and verify a stored manifest; throws ShardPlanError when it is not JSON,
 * has another format or version, or fails its checksum.
 *
 * @example
 * ```ts
 * const manifest = decodeManifest(key, (await store.get(key))!.body);
 * ```
 */
export function decodeManifest(key: string, body: Uint8Array): ShardPlanManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new ShardPlanError(key, 'is not valid JSON (corrupt or truncated); delete it to re-plan', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { format?: unknown }).format !== PLAN_FORMAT) {
    throw new ShardPlanError(key, `is not a jobkit shard plan (format must be "${PLAN_FORMAT}")`);
  }
  const version: unknown = (parsed as { version?: unknown }).version;
  if (version !== PLAN_VERSION) {
    throw new ShardPlanError(key, `has format version ${String(version)}; this jobkit reads version ${String(PLAN_VERSION)}`);
  }
  const { checksum, ...fields } = parsed as ShardPlanManifest;
  if (typeof checksum !== 'string' || sha256Hex(canonicalJson(fields)) !== checksum) {
    throw new ShardPlanError(key, 'fails its checksum (corrupt or edited); delete it to re-plan');
  }
  const m = parsed as ShardPlanManifest;
  const starts: unknown = m.shardStarts;
  const pages: unknown = m.pages;
  const consistent =
    Number.isSafeInteger(m.count) &&
    m.count >= 1 &&
    isArrayOf(starts, (x) => Number.isSafeInteger(x)) &&
    starts.length === m.count + 1 &&
    starts[0] === 0 &&
    starts[m.count] === m.objects &&
    isArrayOf(pages, (p) => typeof p === 'object' && p !== null && Number.isSafeInteger((p as PlanPageRef).entries)) &&
    (pages as PlanPageRef[]).reduce((n, p) => n + p.entries, 0) === m.objects &&
    (m.input === undefined || typeof m.input === 'string') &&
    (m.jobCount === undefined || (Number.isSafeInteger(m.jobCount) && m.jobCount >= 1));
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
 * Parse and verify a page against its manifest reference.
 *
 * @example
 * ```ts
 * const entries = decodePage(ref, (await store.get(ref.key))!.body);
 * ```
 */
export function decodePage(ref: PlanPageRef, body: Uint8Array): readonly PlanEntry[] {
  if (sha256Hex(body) !== ref.sha256) throw new ShardPlanError(ref.key, 'page fails its checksum (corrupt or edited); delete the plan to re-plan');
  const { entries } = JSON.parse(Buffer.from(body).toString('utf8')) as { entries?: unknown };
  if (!Array.isArray(entries) || entries.length !== ref.entries) {
    throw new ShardPlanError(ref.key, `page should hold ${ref.entries} entries`);
  }
  return entries as PlanEntry[];
}

function isArrayOf(value: unknown, check: (item: unknown) => boolean): value is unknown[] {
  return Array.isArray(value) && (value as unknown[]).every(check);
}
