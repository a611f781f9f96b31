/**
 * The sharding records of a job seen from outside (`jobkit status`): every
 * frozen plan (its manifest only, never its pages) and every work queue
 * (`queue.json` and each chunk record, counted by state). Reads only, through
 * the formats' own decoders; a listing is streamed and chunk records are read
 * a batch at a time, so memory stays bounded whatever the number of chunks.
 */
import type { JobIdentity } from '../runtime/types.ts';
import { readListed } from '../store/read-listed.ts';
import type { ObjectStore } from '../store/types.ts';
import { areaDir, CHUNKS_DIR, PLAN_FILE, PLANS_AREA, QUEUE_FILE, QUEUES_AREA, splitAreaKey } from './keys.ts';
import { decodeManifest } from './plan-format.ts';
import { planInfo, type ShardPlanInfo } from './plan.ts';
import { type ChunkState, decodeChunkRecord, decodeQueueRecord } from './queue-format.ts';
import type { ChunkStatus } from './work-queue.ts';

/** Where the job's sharding records live: the job's prefix, or a shared scope's. */
export interface ShardingScope {
  readonly store: ObjectStore;
  readonly identity: JobIdentity;
  readonly scope?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A frozen plan as `jobkit status` shows it: what the plan says about itself,
 * and the number of objects of each shard. `problem` is set (and `info`
 * undefined) when the manifest does not decode.
 *
 * @example
 * ```ts
 * for await (const plan of storedPlans({ store, identity })) console.log(plan.info?.strategy, plan.shardObjects[0]);
 * ```
 */
export interface StoredPlanSummary {
  /** Store key of the plan's manifest. */
  readonly key: string;
  readonly info: ShardPlanInfo | undefined;
  /** Objects of shard `i` at `[i]`. */
  readonly shardObjects: readonly number[];
  readonly problem: string | undefined;
}

/**
 * Every frozen plan of a job (or scope), in key order. Reads each manifest;
 * page objects are listed past, never read.
 *
 * @example
 * ```ts
 * for await (const plan of storedPlans({ store, identity })) console.log(plan.key, plan.info?.objects);
 * ```
 */
export async function* storedPlans(where: ShardingScope): AsyncGenerator<StoredPlanSummary> {
  const dir = areaDir(where.identity, where.scope, PLANS_AREA);
  const isManifest = (key: string): boolean => splitAreaKey(dir, key)?.rest === PLAN_FILE;
  for await (const { info, object } of readListed(where.store, `${dir}/`, { filter: (i) => isManifest(i.key), signal: where.signal })) {
    if (object === undefined) continue;
    try {
      const m = decodeManifest(object.body, info.key);
      const shardObjects = m.shardStarts.slice(1).map((end, i) => end - m.shardStarts[i]!);
      yield { key: info.key, info: planInfo(m), shardObjects, problem: undefined };
    } catch (err) {
      yield { key: info.key, info: undefined, shardObjects: [], problem: (err as Error).message };
    }
  }
}

/** A chunk in a sample of {@link StoredQueueSummary}: its record, and whether its lease is past its expiry. */
export interface ChunkSample extends ChunkStatus {
  /** `expiresAtMs` is in the past (by the reader's clock): the holder stopped renewing, a worker will take it over. */
  readonly expired: boolean;
}

/**
 * A work queue as `jobkit status` shows it. `unclaimed` chunks have no record
 * yet; `released` ones were handed back and are claimable at once.
 *
 * @example
 * ```ts
 * for await (const q of storedQueues({ store, identity }, { sample: 5 })) console.log(q.name, q.states.done, '/', q.chunks);
 * ```
 */
export interface StoredQueueSummary {
  /** The queue's name as stored (the encoded key segment; `default` for the default queue). */
  readonly name: string;
  /** Store key of the queue's directory. */
  readonly dir: string;
  /** Chunks of the queue (`queue.json`); undefined when that record is missing or unreadable. */
  readonly chunks: number | undefined;
  /** The job count (JOBKIT_COUNT) of the worker that created it. */
  readonly jobCount: number | undefined;
  readonly createdAtMs: number | undefined;
  readonly createdBy: string | undefined;
  readonly states: Readonly<Record<ChunkState | 'unclaimed', number>>;
  /** Of the leased chunks, those whose lease is past its expiry. */
  readonly expiredLeases: number;
  /** Records that do not decode (named in `problems`, at most the sample size). */
  readonly unreadable: number;
  /** Up to `sample` leased chunks (expired ones first) and up to `sample` failed ones. */
  readonly leasedSample: readonly ChunkSample[];
  readonly failedSample: readonly ChunkSample[];
  readonly problems: readonly string[];
}

/** Options of {@link storedQueues}. */
export interface StoredQueuesOptions {
  /** Chunks kept per sample (default 5). */
  readonly sample?: number;
  /** Now, ms since the epoch (default `Date.now()`). */
  readonly nowMs?: number;
}

class QueueTally {
  readonly #sample: number;
  readonly #nowMs: number;
  chunks: number | undefined;
  jobCount: number | undefined;
  createdAtMs: number | undefined;
  createdBy: string | undefined;
  readonly states: Record<ChunkState | 'unclaimed', number> = { unclaimed: 0, leased: 0, released: 0, done: 0, failed: 0 };
  expiredLeases = 0;
  unreadable = 0;
  leased: ChunkSample[] = [];
  failed: ChunkSample[] = [];
  readonly problems: string[] = [];

  readonly name: string;
  readonly dir: string;

  constructor(name: string, dir: string, sample: number, nowMs: number) {
    this.name = name;
    this.dir = dir;
    this.#sample = sample;
    this.#nowMs = nowMs;
  }

  problem(message: string): void {
    if (this.problems.length < this.#sample) this.problems.push(message);
  }

  chunk(status: ChunkStatus): void {
    this.states[status.state]++;
    const expired = status.state === 'leased' && status.expiresAtMs < this.#nowMs;
    if (expired) this.expiredLeases++;
    const sample: ChunkSample = { ...status, expired };
    if (status.state === 'leased') {
      // Expired leases first: they are the ones worth a look.
      this.leased.push(sample);
      this.leased.sort((a, b) => Number(b.expired) - Number(a.expired) || a.chunk - b.chunk);
      this.leased.length = Math.min(this.leased.length, this.#sample);
    } else if (status.state === 'failed' && this.failed.length < this.#sample) this.failed.push(sample);
  }

  summary(): StoredQueueSummary {
    const recorded = this.states.leased + this.states.released + this.states.done + this.states.failed + this.unreadable;
    const states = { ...this.states, unclaimed: this.chunks === undefined ? 0 : Math.max(0, this.chunks - recorded) };
    return {
      name: this.name,
      dir: this.dir,
      chunks: this.chunks,
      jobCount: this.jobCount,
      createdAtMs: this.createdAtMs,
      createdBy: this.createdBy,
      states,
      expiredLeases: this.expiredLeases,
      unreadable: this.unreadable,
      leasedSample: this.leased,
      failedSample: this.failed,
      problems: this.problems,
    };
  }
}

/**
 * Every work queue of a job (or scope), in key order, with its chunks counted
 * by state and a small sample of leased and failed chunks. Reads every
 * record, a batch at a time; keeps only counts and the samples.
 *
 * @example
 * ```ts
 * for await (const q of storedQueues({ store, identity })) console.log(`${q.name}: ${q.states.done} of ${q.chunks} done`);
 * ```
 */
export async function* storedQueues(where: ShardingScope, options: StoredQueuesOptions = {}): AsyncGenerator<StoredQueueSummary> {
  const dir = areaDir(where.identity, where.scope, QUEUES_AREA);
  const sample = options.sample ?? 5;
  const nowMs = options.nowMs ?? Date.now();
  const wanted = (key: string): boolean => {
    const rest = splitAreaKey(dir, key)?.rest;
    return rest === QUEUE_FILE || (rest?.startsWith(`${CHUNKS_DIR}/`) ?? false);
  };
  let tally: QueueTally | undefined;
  // A listing is in key order, so each queue's records arrive together.
  for await (const { info, object } of readListed(where.store, `${dir}/`, { filter: (i) => wanted(i.key), signal: where.signal })) {
    const at = splitAreaKey(dir, info.key);
    if (at === undefined || object === undefined) continue;
    if (tally?.name !== at.name) {
      if (tally !== undefined) yield tally.summary();
      tally = new QueueTally(at.name, `${dir}/${at.name}`, sample, nowMs);
    }
    try {
      if (at.rest === QUEUE_FILE) {
        const q = decodeQueueRecord(object.body, info.key);
        tally.chunks = q.chunks;
        tally.jobCount = q.count;
        tally.createdAtMs = q.createdAtMs;
        tally.createdBy = q.createdBy;
      } else {
        const { version: _version, ...status } = decodeChunkRecord(object.body, info.key);
        tally.chunk(status);
      }
    } catch (err) {
      if (at.rest !== QUEUE_FILE) tally.unreadable++;
      tally.problem((err as Error).message);
    }
  }
  if (tally !== undefined) yield tally.summary();
}
