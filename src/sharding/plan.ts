/**
 * Frozen shard plans: when the input is listed at run time (a store prefix),
 * every index must work from the same listing, even if objects appear or
 * disappear during the run. The first index to find no plan lists the prefix,
 * writes the pages and then the manifest with a create-only condition; every
 * other index (and every restart) reads that manifest and never lists again.
 * Two indexes listing at once both write pages under their own random plan id;
 * only one manifest create succeeds, the loser adopts the winner's plan and
 * deletes its own pages.
 */
import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobIdentity, JobLogger } from '../runtime/types.ts';
import { tryPut } from '../store/conditional.ts';
import { requireConditionalWrites } from '../store/probe.ts';
import type { OpenStoreOptions } from '../store/open.ts';
import type { ObjectInfo, ObjectStore } from '../store/types.ts';
import { sha256Hex } from '../util/hash.ts';
import { fingerprint, resumePosition } from './cursor.ts';
import { ShardPlanError } from './errors.ts';
import { type GuardedKeys, guardedItem } from './guarded.ts';
import { type ResolvedSource, type ShardInput, normalizeSource, resolveSource, withInputStore } from './input.ts';
import { childKey, moduleDir, PLAN_FILE, PLANS_AREA } from './keys.ts';
import {
  PLAN_FORMAT,
  PLAN_VERSION,
  type PlanEntry,
  type PlanPageRef,
  type ShardPlanManifest,
  decodeManifest,
  decodePage,
  encodeManifest,
  encodePage,
} from './plan-format.ts';
import { assignShards } from './strategies.ts';
import type { ItemGuard, ShardCursor, ShardStrategy } from './types.ts';
import { DEFAULT_PLAN_PAGE_SIZE, PAGE_WRITE_CONCURRENCY } from './constants.ts';
import { assertPositiveInteger, validateShardSpec } from './validate.ts';


/** An object of a plan, as handed to the job. */
export interface PlannedObject {
  /**
   * Full key (prefix included) in the listed store: pass it to `store.get`, or
   * to the input store's `get` when the plan lists an input store (`manifest.input`).
   */
  readonly key: string;
  /** Size in bytes when the plan was frozen. */
  readonly size: number;
  /** Etag when the plan was frozen (a change means the object was rewritten since). */
  readonly etag: string;
}

/**
 * What a frozen plan says about itself (`plan.manifest`): a stable view of the
 * stored manifest, without its format fields, checksums and page layout.
 *
 * @example
 * ```ts
 * const plan = await freezeShardPlan({ store, identity, prefix: 'input/' });
 * console.log(plan.manifest.objects, plan.manifest.bytes, plan.manifest.createdBy);
 * ```
 */
export interface ShardPlanInfo {
  /** Random id of the listing that won; a cursor of another plan id is refused. */
  readonly planId: string;
  /** The plan's name (default: derived from the prefix and input). */
  readonly name: string;
  /** The listed prefix (relative to the input store when `input` is set). */
  readonly prefix: string;
  /** URL of the input store that was listed (credentials removed); absent for the job's own store. */
  readonly input?: string;
  readonly strategy: ShardStrategy;
  /** Number of shards. */
  readonly count: number;
  /** The job's count (JOBKIT_COUNT) of the pod that froze the plan; absent in plans written before it was recorded. */
  readonly jobCount?: number;
  /** Wall-clock time the listing was frozen, in milliseconds since the epoch. */
  readonly createdAtMs: number;
  /** Pod (or index) that wrote the plan. */
  readonly createdBy: string;
  /** Objects in the plan. */
  readonly objects: number;
  /** Sum of the objects' sizes in bytes. */
  readonly bytes: number;
  /** Entries per page; a reader holds one page (plus one prefetched) at a time. */
  readonly pageSize: number;
  /** Number of pages. */
  readonly pageCount: number;
}

/** Where a plan lives. */
export interface ShardPlanLocation {
  /** The job's own store (JOBKIT_STORE): the plan is written here, and the input listed here unless `input` is set. */
  readonly store: ObjectStore;
  /** Namespace and job name place the plan under the job's prefix. */
  readonly identity: JobIdentity;
  /**
   * The listed prefix, e.g. `input/2024-06-01/`: relative to the root of
   * `input` when given, else of `store`. A store URL (`s3://raw/events/`) here
   * means `input: <that URL>` with an empty prefix.
   */
  readonly prefix: string;
  /**
   * A read-only store to list instead of `store`, e.g. a data-lake bucket:
   * a URL (opened with openStore, closed after listing) or an ObjectStore
   * (never closed). jobkit only lists it; the plan still goes to `store`.
   */
  readonly input?: ShardInput;
  /** Plan name; default derived from the prefix (and the input URL). Use another name to plan the same prefix twice. */
  readonly name?: string;
  /** Explicit scope shared across Jobs (see scopePrefix); default: this Job. */
  readonly scope?: string;
}

/** Options of {@link freezeShardPlan}. */
export interface FreezeShardPlanOptions extends ShardPlanLocation {
  /** Default `weighted` (balances bytes). */
  readonly strategy?: ShardStrategy;
  /** Number of shards; default `identity.count`. */
  readonly count?: number;
  /**
   * Which listed objects belong to the input (e.g. only `.parquet`). Applied
   * only by the pod that lists; it must be the same code on every pod.
   */
  readonly filter?: (object: ObjectInfo) => boolean;
  /**
   * Entries per page.
   *
   * @default {@link DEFAULT_PLAN_PAGE_SIZE} (5 000)
   */
  readonly pageSize?: number;
  /** How a URL `input` is opened (S3 endpoint, region, env); default the process environment. */
  readonly inputOptions?: OpenStoreOptions;
  readonly signal?: AbortSignal;
  readonly log?: JobLogger;
}

/**
 * The store key of a plan's manifest.
 *
 * @example
 * ```ts
 * shardPlanKey({ store, identity, prefix: 'input/' }); // 'jobs/default/etl/shard-plans/prefix%3Ainput%2F/plan.json'
 * ```
 */
export function shardPlanKey(location: ShardPlanLocation): string {
  return childKey(planDir(location, normalizeSource(location.prefix, location.input)), PLAN_FILE);
}

function planDir(location: ShardPlanLocation, source: ResolvedSource): string {
  return moduleDir(location.identity, location.scope, PLANS_AREA, location.name ?? defaultPlanName(source));
}

/** `prefix:<prefix>` for the job's store (as before input stores), `input:<url>/<prefix>` for another store. */
function defaultPlanName(source: ResolvedSource): string {
  return source.inputUrl === undefined ? `prefix:${source.prefix}` : `input:${source.inputUrl}/${source.prefix}`;
}

/**
 * Get the job's frozen plan of `prefix`, creating it when this pod is the
 * first: lists the prefix once, assigns every object to a shard, and commits
 * the plan with a create-only write. Later calls (other indexes, restarts)
 * read the same plan, whatever changed under the prefix since.
 *
 * @example
 * ```ts
 * const plan = await freezeShardPlan({ store, identity: job.identity, prefix: 'input/' });
 * for await (const obj of plan.shard(job.identity.index)) await convert(obj.key);
 * ```
 */
export async function freezeShardPlan(options: FreezeShardPlanOptions): Promise<FrozenShardPlan> {
  const count = options.count ?? options.identity.count;
  validateShardSpec({ index: 0, count }, 'plan');
  const strategy = options.strategy ?? 'weighted';
  const pageSize = options.pageSize ?? DEFAULT_PLAN_PAGE_SIZE;
  assertPositiveInteger(pageSize, 'pageSize');
  const source = resolveSource(options.prefix, options.input);
  const key = shardPlanKey(options);

  const existing = await readManifest(options.store, key, options.signal);
  if (existing !== undefined) return adopt(options, source, key, existing, strategy, count);

  // Probed on the job's store only: the probe writes, and the input may be read-only.
  await requireConditionalWrites(options.store, 'frozen shard plans', { create: true, replace: false });
  const fields = await listAndWritePages(options, source, strategy, count, pageSize);
  const body = encodeManifest(fields);
  const frozen = await tryPut(options.store, key, body, { ifNoneMatch: '*', contentType: 'application/json', signal: options.signal });
  if (frozen.ok) {
    options.log?.info({ plan: key, objects: fields.objects, bytes: fields.bytes, count, strategy }, 'froze shard plan');
    return new FrozenShardPlan(options.store, key, decodeManifest(Buffer.from(body), key));
  }
  // Another pod froze the plan first: its listing is the one everyone uses.
  await Promise.all(fields.pages.map((p) => options.store.delete(p.key).catch(() => undefined)));
  const winner = await readManifest(options.store, key, options.signal);
  if (winner === undefined) throw new ShardPlanError(key, 'was created by another pod and then deleted while freezing', { cause: frozen.error });
  return adopt(options, source, key, winner, strategy, count);
}

/**
 * Read an existing plan without ever creating one; undefined when there is none.
 *
 * @example
 * ```ts
 * const plan = await loadShardPlan({ store, identity, prefix: 'input/' });
 * ```
 */
export async function loadShardPlan(location: ShardPlanLocation & { readonly signal?: AbortSignal }): Promise<FrozenShardPlan | undefined> {
  const key = shardPlanKey(location);
  const manifest = await readManifest(location.store, key, location.signal);
  return manifest === undefined ? undefined : new FrozenShardPlan(location.store, key, manifest);
}

/**
 * Delete a plan (manifest first, so no reader sees a plan with missing pages,
 * then its pages). For operators re-running a Job name on new input.
 *
 * @example
 * ```ts
 * await deleteShardPlan({ store, identity, prefix: 'input/' });
 * ```
 */
export async function deleteShardPlan(location: ShardPlanLocation): Promise<boolean> {
  const key = shardPlanKey(location);
  const manifest = await readManifest(location.store, key, undefined);
  if (manifest === undefined) return false;
  await location.store.delete(key);
  for (const page of manifest.pages) await location.store.delete(page.key);
  return true;
}

async function readManifest(store: ObjectStore, key: string, signal: AbortSignal | undefined): Promise<ShardPlanManifest | undefined> {
  const obj = await store.get(key, { signal });
  return obj === undefined ? undefined : decodeManifest(obj.body, key);
}

function adopt(
  options: FreezeShardPlanOptions,
  source: ResolvedSource,
  key: string,
  m: ShardPlanManifest,
  strategy: ShardStrategy,
  count: number,
): FrozenShardPlan {
  const inputOf = (url: string | undefined): string => (url === undefined ? '' : ` of ${url}`);
  if (m.prefix !== source.prefix || m.input !== source.inputUrl || m.strategy !== strategy || m.count !== count) {
    throw new ConfigurationError(
      `shard plan ${key} was frozen for prefix ${JSON.stringify(m.prefix)}${inputOf(m.input)}, strategy ${m.strategy}, count ${m.count}, ` +
        `but this pod asks for prefix ${JSON.stringify(source.prefix)}${inputOf(source.inputUrl)}, strategy ${strategy}, count ${count}; ` +
        `use another plan name, or delete the plan if the input really changed`,
    );
  }
  // A plan with an explicit shard count (work-queue chunks) would still "fit";
  // but pods disagreeing on the job's count means mixed manifests or a Job
  // re-submitted with other completions under the same name.
  if (m.jobCount !== undefined && m.jobCount !== options.identity.count) {
    throw new ConfigurationError(
      `shard plan ${key} was frozen by a pod with job count ${m.jobCount} (JOBKIT_COUNT), ` +
        `but this pod has job count ${options.identity.count} (JOBKIT_COUNT / identity.count); ` +
        `every index of a Job must have the same count: use another plan name, or delete the plan if the Job really changed`,
    );
  }
  return new FrozenShardPlan(options.store, key, m);
}

type Listed = { key: string; size: number; etag: string }[];

/** List the input: the job's store, or a read-only view of the input store. */
async function listInput(options: FreezeShardPlanOptions, source: ResolvedSource): Promise<Listed> {
  const { filter, signal } = options;
  const { prefix } = source;
  const collect = async (store: ObjectStore): Promise<Listed> => {
    const objects: Listed = [];
    for await (const info of store.list(prefix, { signal })) {
      if (filter !== undefined && !filter(info)) continue;
      objects.push({ key: info.key.slice(prefix.length), size: info.size, etag: info.etag });
    }
    return objects;
  };
  return source.input === undefined ? collect(options.store) : withInputStore(source.input, options.inputOptions ?? {}, collect);
}

async function listAndWritePages(
  options: FreezeShardPlanOptions,
  source: ResolvedSource,
  strategy: ShardStrategy,
  count: number,
  pageSize: number,
): Promise<Omit<ShardPlanManifest, 'checksum'>> {
  const { store, signal } = options;
  const { prefix } = source;
  const objects = await listInput(options, source);
  const shardOf = assignShards(objects, count, { strategy, duplicates: 'allow', key: (o) => o.key, weight: (o) => o.size });

  // Counting sort by shard; stable, so each shard keeps key order.
  const shardStarts = new Array<number>(count + 1).fill(0);
  const shardBytes = new Array<number>(count).fill(0);
  for (let i = 0; i < objects.length; i++) {
    const s = shardOf[i]!;
    shardStarts[s + 1]!++;
    shardBytes[s]! += objects[i]!.size;
  }
  for (let s = 0; s < count; s++) shardStarts[s + 1]! += shardStarts[s]!;
  const order = new Int32Array(objects.length);
  const next = shardStarts.slice(0, count);
  for (let i = 0; i < objects.length; i++) order[next[shardOf[i]!]!++] = i;

  const planId = randomUUID();
  const pagesDir = childKey(planDir(options, source), 'pages', planId);
  const pageCount = Math.ceil(objects.length / pageSize);
  const pages = new Array<PlanPageRef>(pageCount);
  let nextPage = 0;
  const writer = async (): Promise<void> => {
    while (nextPage < pageCount) {
      const p = nextPage++;
      const entries: PlanEntry[] = [];
      for (let j = p * pageSize; j < Math.min(objects.length, (p + 1) * pageSize); j++) {
        const o = objects[order[j]!]!;
        entries.push([o.key, o.size, o.etag]);
      }
      const body = encodePage(entries);
      const key = childKey(pagesDir, `${String(p).padStart(6, '0')}.json`);
      await store.put(key, body, { ifNoneMatch: '*', contentType: 'application/json', signal });
      pages[p] = { key, sha256: sha256Hex(body), entries: entries.length };
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAGE_WRITE_CONCURRENCY, pageCount) }, writer));

  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    planId,
    name: options.name ?? defaultPlanName(source),
    prefix,
    ...(source.inputUrl === undefined ? {} : { input: source.inputUrl }),
    strategy,
    count,
    jobCount: options.identity.count,
    createdAtMs: Date.now(),
    createdBy: options.identity.podName ?? `index-${options.identity.index}`,
    objects: objects.length,
    bytes: shardBytes.reduce((a, b) => a + b, 0),
    pageSize,
    pages,
    shardStarts,
    shardBytes,
  };
}

/**
 * A frozen plan: the same listing for every index and every restart.
 *
 * @example
 * ```ts
 * const plan = await freezeShardPlan({ store, identity, prefix: 'input/' });
 * const mine = plan.shard(identity.index, { resume: saved?.cursor });
 * for await (const obj of mine) { await handle(obj); }
 * ```
 */
export class FrozenShardPlan {
  /** Store key of the manifest. */
  readonly key: string;
  /** What the plan says about itself. */
  readonly manifest: ShardPlanInfo;
  readonly #store: ObjectStore;
  readonly #stored: ShardPlanManifest;

  /** @internal Made by freezeShardPlan and loadShardPlan from the decoded manifest. */
  constructor(store: ObjectStore, key: string, manifest: ShardPlanManifest) {
    this.#store = store;
    this.key = key;
    this.#stored = manifest;
    this.manifest = planInfo(manifest);
  }

  /** Objects in shard `index`. */
  shardSize(index: number): number {
    this.#check(index);
    return this.#stored.shardStarts[index + 1]! - this.#stored.shardStarts[index]!;
  }

  /** Bytes in shard `index`. */
  shardBytes(index: number): number {
    this.#check(index);
    return this.#stored.shardBytes[index]!;
  }

  /**
   * The objects of shard `index`, read page by page (bounded memory), resumable
   * from a saved cursor without listing again.
   */
  shard(index: number, options: { readonly resume?: ShardCursor; readonly signal?: AbortSignal; readonly guard?: ItemGuard } = {}): PlanShardIterator {
    this.#check(index);
    const guarded = options.guard === undefined ? undefined : { guard: options.guard, key: (o: PlannedObject) => o.key, what: 'job.shard.objects' };
    return new PlanShardIterator(this.#store, this.#stored, index, options.resume, options.signal, guarded);
  }

  #check(index: number): void {
    validateShardSpec({ index, count: this.manifest.count }, `plan ${this.key}`);
  }
}

/**
 * The `of` of a cursor over shard `index` of a plan: tells which plan and
 * shard a checkpointed cursor belongs to (`jobkit status` matches them).
 *
 * @example
 * ```ts
 * planShardFingerprint(plan.manifest.planId, plan.manifest.count, 3) === files.cursor.of; // for shard 3
 * ```
 */
export function planShardFingerprint(planId: string, count: number, index: number): string {
  return fingerprint(['plan', planId, count, index]);
}

/**
 * The public view of a stored manifest: a fresh object, so no stored-only field leaks through it.
 *
 * @example
 * ```ts
 * const info = planInfo(decodeManifest(obj.body, key));
 * ```
 */
export function planInfo(m: ShardPlanManifest): ShardPlanInfo {
  return {
    planId: m.planId,
    name: m.name,
    prefix: m.prefix,
    ...(m.input === undefined ? {} : { input: m.input }),
    strategy: m.strategy,
    count: m.count,
    ...(m.jobCount === undefined ? {} : { jobCount: m.jobCount }),
    createdAtMs: m.createdAtMs,
    createdBy: m.createdBy,
    objects: m.objects,
    bytes: m.bytes,
    pageSize: m.pageSize,
    pageCount: m.pages.length,
  };
}

/**
 * The objects of one shard of a frozen plan, in key order. Read
 * {@link PlanShardIterator.cursor} to checkpoint; pass it as `resume` after a
 * restart to skip the finished objects (only the pages still needed are read).
 *
 * @example
 * ```ts
 * const files = plan.shard(job.identity.index, { resume: saved?.cursor });
 * for await (const file of files) {
 *   await convert(file.key);
 *   await checkpoint.save({ cursor: files.cursor });
 * }
 * ```
 */
export class PlanShardIterator implements AsyncIterable<PlannedObject> {
  /** Objects in the shard (finished or not). */
  readonly size: number;
  /** Bytes in the shard. */
  readonly bytes: number;
  readonly #store: ObjectStore;
  readonly #manifest: ShardPlanManifest;
  readonly #start: number;
  readonly #of: string;
  readonly #signal: AbortSignal | undefined;
  readonly #guarded: GuardedKeys<PlannedObject> | undefined;
  #position: number;

  /** @internal Made by FrozenShardPlan.shard. */
  constructor(
    store: ObjectStore,
    manifest: ShardPlanManifest,
    index: number,
    resume: ShardCursor | undefined,
    signal: AbortSignal | undefined,
    guarded?: GuardedKeys<PlannedObject>,
  ) {
    this.#store = store;
    this.#guarded = guarded;
    this.#manifest = manifest;
    this.#start = manifest.shardStarts[index]!;
    this.size = manifest.shardStarts[index + 1]! - this.#start;
    this.bytes = manifest.shardBytes[index]!;
    this.#of = planShardFingerprint(manifest.planId, manifest.count, index);
    this.#signal = signal;
    this.#position = resumePosition(resume, 'plan', this.#of, this.size);
  }

  /** Objects finished so far (the object being processed is not counted). */
  get position(): number {
    return this.#position;
  }

  /** Objects not yet finished. */
  get remaining(): number {
    return this.size - this.#position;
  }

  /** The cursor to save; a small JSON value. */
  get cursor(): ShardCursor {
    return { v: 1, kind: 'plan', of: this.#of, position: this.#position };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PlannedObject> {
    const { pageSize, pages, prefix } = this.#manifest;
    const end = this.#start + this.size;
    let pageNo = Math.floor((this.#start + this.#position) / pageSize);
    let pending = this.#position < this.size ? this.#readPage(pageNo) : undefined;
    while (pending !== undefined) {
      const entries = await pending;
      const pageStart = pageNo * pageSize;
      const pageEnd = pageStart + entries.length;
      pageNo++;
      // Fetch the next page while this one is processed.
      pending = pageEnd < end && pageNo < pages.length ? this.#readPage(pageNo) : undefined;
      // Swallow a prefetch failure until it is awaited, so it is not unhandled if iteration stops early.
      void pending?.catch(() => undefined);
      while (this.#start + this.#position < Math.min(pageEnd, end)) {
        const [rel, size, etag] = entries[this.#start + this.#position - pageStart]!;
        const object: PlannedObject = { key: prefix + rel, size, etag };
        if (this.#guarded === undefined) {
          yield object;
          this.#position++;
        } else {
          yield* guardedItem(this.#guarded, object, () => this.#position++);
        }
      }
    }
  }

  async #readPage(pageNo: number): Promise<readonly PlanEntry[]> {
    const ref = this.#manifest.pages[pageNo]!;
    for (let attempt = 1; ; attempt++) {
      const obj = await this.#store.get(ref.key, { signal: this.#signal });
      if (obj === undefined) throw new ShardPlanError(ref.key, 'page is missing (deleted while the plan is in use?)');
      try {
        return decodePage(obj.body, ref);
      } catch (err) {
        // One re-read rules out a torn response; a stored corruption fails twice.
        if (attempt >= 2) throw err;
      }
    }
  }
}
