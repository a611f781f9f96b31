/**
 * The work-queue mode, for NonIndexed Jobs (completions unset, parallelism N)
 * and for evening out stragglers: the input is cut into chunks, and pods lease
 * chunks through conditional writes on one small record per chunk.
 *
 * - claim: create the record (If-None-Match: *), or compare-and-swap a
 *   released one (If-Match);
 * - renew: compare-and-swap while working, every `renewEveryMs`;
 * - take over: compare-and-swap a lease that stopped changing for `leaseMs`;
 * - complete: compare-and-swap to `done`.
 * Every transition is a compare-and-swap on the etag the worker last saw, so a
 * chunk never has two recorded owners and is recorded done exactly once.
 *
 * Expiry is judged by observation, as Kubernetes leader election does: a lease
 * is expired for a worker when that worker has seen the same version of it for
 * `leaseMs` on its own monotonic clock, so clock skew between pods cannot cause
 * an early takeover. A lease whose wall-clock `expiresAtMs` is more than a
 * further `leaseMs` in the past is taken at once (skew up to `leaseMs` is safe).
 *
 * A worker returns only when every chunk is done: in a work-queue Job the
 * first pod to exit 0 stops the controller from creating pods, so a pod that
 * left early could strand the chunk of a peer that dies later.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConfigurationError, PermanentError } from '../runtime/errors.ts';
import type { JobIdentity, JobLogger, Lifecycle } from '../runtime/types.ts';
import { type ConditionalPut, tryPut } from '../store/conditional.ts';
import { requireConditionalWrites } from '../store/probe.ts';
import type { ObjectStore } from '../store/types.ts';
import { LeaseLostError } from './errors.ts';
import { CHUNKS_DIR, childKey, moduleDir, QUEUE_FILE, QUEUES_AREA } from './keys.ts';
import {
  CHUNK_RECORD_VERSION,
  type ChunkRecord,
  type ChunkState,
  decodeChunkRecord,
  decodeQueueRecord,
  encodeChunkRecord,
  encodeQueueRecord,
  QUEUE_RECORD_VERSION,
} from './queue-format.ts';
import { contiguousBounds } from './strategies.ts';
import { DEFAULT_MAX_FAILURES_PER_CHUNK, DEFAULT_WORK_QUEUE_LEASE_MS, DEFAULT_WORK_QUEUE_NAME, MAX_DEFAULT_POLL_MS } from './constants.ts';
import { assertPositiveInteger, validateShardSpec } from './validate.ts';

/**
 * A chunk as `status()` reports it: the stored record without its format
 * version. Times are wall-clock milliseconds since the epoch, for operators;
 * expiry decisions use each worker's monotonic clock.
 *
 * @example
 * ```ts
 * for (const [chunk, c] of await queue.status()) console.log(chunk, c.state, c.owner, c.attempt);
 * ```
 */
export type ChunkStatus = Omit<ChunkRecord, 'version'>;

/** What a chunk handler receives. */
export interface ChunkContext {
  /** The chunk number, `0 <= chunk < chunks`. */
  readonly chunk: number;
  /** 1 for the first claim; higher after a release or takeover: a fencing token for side effects. */
  readonly attempt: number;
  /**
   * Aborted when the lease is lost (reason: LeaseLostError) or the job stops
   * (reason: the job signal's). Stop working on the chunk then.
   */
  readonly signal: AbortSignal;
  /** This worker's id. */
  readonly workerId: string;
  /** Previous owner when this claim took over an expired lease. */
  readonly takenOverFrom: string | undefined;
}

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions {
  readonly store: ObjectStore;
  /** Namespace and job name place the queue under the job's prefix; index and count pick where to start. */
  readonly identity: JobIdentity;
  /** Number of chunks; every worker must agree (checked against the stored queue). */
  readonly chunks: number;
  /**
   * Queue name.
   *
   * @default {@link DEFAULT_WORK_QUEUE_NAME} (`'default'`)
   */
  readonly name?: string;
  /** Explicit scope shared across Jobs; default: this Job. */
  readonly scope?: string;
  /**
   * Lease duration. A dead worker's chunk is taken over after about this long.
   *
   * @default {@link DEFAULT_WORK_QUEUE_LEASE_MS} (60 000)
   */
  readonly leaseMs?: number;
  /**
   * Renewal period.
   *
   * @default `leaseMs / 3`
   */
  readonly renewEveryMs?: number;
  /**
   * Re-scan period while no chunk is claimable.
   *
   * @default `min(`{@link MAX_DEFAULT_POLL_MS}`, leaseMs / 4)` (5 000 with the default lease)
   */
  readonly pollMs?: number;
  /**
   * A chunk whose handler failed this many times is marked failed.
   *
   * @default {@link DEFAULT_MAX_FAILURES_PER_CHUNK} (3)
   */
  readonly maxFailuresPerChunk?: number;
  /** Default: `<pod name or host name>/<random>`. */
  readonly workerId?: string;
  /** When given, a lease still held at shutdown is released in the `release` phase. */
  readonly lifecycle?: Lifecycle;
  /**
   * Told after every scan and every chunk this worker finishes: the queue's
   * chunks and how many of them are not known to be done or failed (as this
   * worker last saw them: an upper bound that tightens as it scans).
   */
  readonly onProgress?: (progress: WorkQueueProgress) => void;
  /** Stops the worker (default: the lifecycle's signal). */
  readonly signal?: AbortSignal;
  readonly log?: JobLogger;
}

/** A work queue's progress, as one worker sees it. */
export interface WorkQueueProgress {
  /** The queue's name (`WorkQueueOptions.name`). */
  readonly name: string;
  readonly chunks: number;
  /** Chunks not known to be done or failed. */
  readonly left: number;
}

/** What {@link WorkQueue.run} returns. */
export interface WorkQueueSummary {
  readonly chunks: number;
  /** Chunks this worker completed. */
  readonly completed: readonly number[];
  /** Chunks this worker took over from an expired lease. */
  readonly takenOver: readonly number[];
  /** Chunks whose lease this worker lost while working on them. */
  readonly leasesLost: readonly number[];
}

/**
 * The integer bounds `[start, end)` of chunk `chunk` when `total` items are cut
 * into `chunks` contiguous chunks.
 *
 * @example
 * ```ts
 * await queue.run(async ({ chunk }) => {
 *   const { start, end } = chunkBounds(1_000_000, 100, chunk);
 *   for (let i = start; i < end; i++) await processRow(i);
 * });
 * ```
 */
export function chunkBounds(total: number, chunks: number, chunk: number): { start: number; end: number } {
  return contiguousBounds(total, { index: chunk, count: chunks });
}

/**
 * Create a work queue of `chunks` chunks in the store.
 *
 * @example
 * ```ts
 * const queue = createWorkQueue({ store, identity: job.identity, chunks: 100, lifecycle: job.lifecycle });
 * const summary = await queue.run(async ({ chunk, signal }) => {
 *   const { start, end } = chunkBounds(totalRows, 100, chunk);
 *   for (let i = start; i < end; i++) { signal.throwIfAborted(); await processRow(i); }
 * });
 * job.log.info(summary, 'all chunks done');
 * ```
 */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  return new WorkQueue(options);
}

interface Held {
  readonly chunk: number;
  etag: string;
  record: ChunkRecord;
  lost: boolean;
}

/** What a worker knows of a chunk it did not claim. */
interface Observation {
  /** Etag as listed: expiry is "the listing showed this etag for leaseMs". */
  listedEtag: string;
  /** Monotonic time the listed etag was first seen. */
  sinceMs: number;
  /** The record read since the listed etag last changed, with the etag the read returned (for compare-and-swap). */
  read?: { record: ChunkRecord; etag: string };
}

/**
 * A work queue over chunk leases; see {@link createWorkQueue}.
 */
export class WorkQueue {
  readonly chunks: number;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly pollMs: number;
  readonly workerId: string;
  /** Store key prefix of the queue. */
  readonly dir: string;
  /** The queue's name (default {@link DEFAULT_WORK_QUEUE_NAME}). */
  readonly name: string;
  readonly #o: WorkQueueOptions;
  readonly #signal: AbortSignal | undefined;
  readonly #maxFailures: number;
  readonly #seen = new Map<number, Observation>();
  readonly #terminal = new Map<number, ChunkState>();
  /**
   * Chunks the last scan saw unclaimed (no record), in preferred order, from
   * `#unlistedNext` on, not tried yet: the next claim tries the first of them
   * with a create-only write before scanning again. The write fails when
   * another worker created the record since (the list is only a hint), and
   * then the list is dropped for a new scan. While a worker claims its own
   * region, a queue of n chunks costs O(n) requests instead of a full listing
   * per claim (O(n²)).
   */
  #unlisted: number[] = [];
  #unlistedNext = 0;
  #ops: Promise<unknown> = Promise.resolve();

  constructor(options: WorkQueueOptions) {
    this.#o = options;
    assertPositiveInteger(options.chunks, 'chunks');
    this.chunks = options.chunks;
    this.leaseMs = options.leaseMs ?? DEFAULT_WORK_QUEUE_LEASE_MS;
    assertPositiveInteger(this.leaseMs, 'leaseMs');
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    assertPositiveInteger(this.renewEveryMs, 'renewEveryMs');
    if (this.renewEveryMs >= this.leaseMs) {
      throw new ConfigurationError(`renewEveryMs (${this.renewEveryMs}) must be less than leaseMs (${this.leaseMs})`);
    }
    this.pollMs = options.pollMs ?? Math.max(1, Math.min(MAX_DEFAULT_POLL_MS, Math.floor(this.leaseMs / 4)));
    assertPositiveInteger(this.pollMs, 'pollMs');
    this.#maxFailures = options.maxFailuresPerChunk ?? DEFAULT_MAX_FAILURES_PER_CHUNK;
    assertPositiveInteger(this.#maxFailures, 'maxFailuresPerChunk');
    validateShardSpec(options.identity, 'identity');
    this.workerId = options.workerId ?? `${options.identity.podName ?? hostname()}/${randomUUID().slice(0, 8)}`;
    this.#signal = options.signal ?? options.lifecycle?.signal;
    this.name = options.name ?? DEFAULT_WORK_QUEUE_NAME;
    this.dir = moduleDir(options.identity, options.scope, QUEUES_AREA, this.name);
  }

  /** Store key of a chunk's record. */
  chunkKey(chunk: number): string {
    return childKey(this.dir, CHUNKS_DIR, `${String(chunk).padStart(8, '0')}.json`);
  }

  /**
   * Claim and process chunks until every chunk of the queue is done (by this
   * worker or others), then return what this worker did. A handler error
   * releases the chunk for others (after `maxFailuresPerChunk` failures it is
   * marked failed) and is rethrown; at the end, failed chunks make run() throw
   * a PermanentError.
   */
  async run(handler: (ctx: ChunkContext) => Promise<void>): Promise<WorkQueueSummary> {
    await requireConditionalWrites(this.#o.store, 'the work queue', { create: true, replace: true });
    await this.#ensureQueue();
    const completed: number[] = [];
    const takenOver: number[] = [];
    const leasesLost: number[] = [];
    for (;;) {
      this.#signal?.throwIfAborted();
      const next = await this.#claimNext();
      if (next === 'all-done') break;
      if (next === undefined) {
        await sleep(this.pollMs, this.#signal);
        continue;
      }
      if (next.record.takenOverFrom !== undefined) takenOver.push(next.chunk);
      const outcome = await this.#process(next, handler);
      if (outcome === 'completed') completed.push(next.chunk);
      else leasesLost.push(next.chunk);
    }
    const failed = [...this.#terminal].filter(([, s]) => s === 'failed').map(([c]) => c);
    if (failed.length > 0) {
      throw new PermanentError(`work-queue ${this.dir}: chunks ${failed.join(', ')} failed ${this.#maxFailures} time(s) each`);
    }
    return { chunks: this.chunks, completed, takenOver, leasesLost };
  }

  /** Read every chunk's record (missing chunks are unclaimed), for status and tests. */
  async status(): Promise<Map<number, ChunkStatus>> {
    const out = new Map<number, ChunkStatus>();
    for await (const info of this.#o.store.list(childKey(this.dir, CHUNKS_DIR) + '/')) {
      const obj = await this.#o.store.get(info.key);
      if (obj !== undefined) {
        const { version: _version, ...status } = decodeChunkRecord(obj.body, info.key);
        out.set(status.chunk, status);
      }
    }
    return out;
  }

  async #ensureQueue(): Promise<void> {
    const key = childKey(this.dir, QUEUE_FILE);
    const count = this.#o.identity.count;
    // `count` (the job's JOBKIT_COUNT) was added later: records without it are accepted.
    const body = encodeQueueRecord({ version: QUEUE_RECORD_VERSION, chunks: this.chunks, count, createdAtMs: Date.now(), createdBy: this.workerId });
    const created = await tryPut(this.#o.store, key, body, { ifNoneMatch: '*', contentType: 'application/json' });
    if (!created.ok) {
      const existing = await this.#o.store.get(key);
      if (existing === undefined) return;
      const stored = decodeQueueRecord(existing.body, key);
      if (stored.chunks !== this.chunks) {
        throw new ConfigurationError(
          `work queue ${this.dir} was created with chunks=${stored.chunks}, this worker has chunks=${this.chunks}; use another queue name`,
        );
      }
      // Pods disagreeing on the job's count: mixed manifests, or a Job re-submitted
      // with other completions under the same name, reusing the old queue.
      if (stored.count !== undefined && stored.count !== count) {
        throw new ConfigurationError(
          `work queue ${this.dir} was created by a pod with job count ${stored.count} (JOBKIT_COUNT), ` +
            `but this worker has job count ${count} (JOBKIT_COUNT / identity.count); ` +
            `every pod of a Job must have the same count: use another queue name, or delete ${key} if the Job really changed`,
        );
      }
    }
  }

  /** Scan once and claim a chunk; undefined when none is claimable right now. */
  async #claimNext(): Promise<Held | 'all-done' | undefined> {
    const store = this.#o.store;
    if (this.#unlistedNext < this.#unlisted.length) {
      const held = await this.#tryCreate(this.#unlisted[this.#unlistedNext++]!);
      if (held !== undefined) return held;
      // Another worker got there first: the list is stale (the others' regions
      // are being claimed too), so scan again rather than walk it write by write.
      this.#unlisted = [];
      this.#unlistedNext = 0;
    }
    const etags = new Map<number, string>();
    for await (const info of store.list(childKey(this.dir, CHUNKS_DIR) + '/', { signal: this.#signal })) {
      const chunk = Number(info.key.slice(info.key.lastIndexOf('/') + 1, -'.json'.length));
      if (Number.isSafeInteger(chunk) && chunk >= 0 && chunk < this.chunks) etags.set(chunk, info.etag);
    }
    const now = performance.now();
    for (const [chunk, etag] of etags) {
      const seen = this.#seen.get(chunk);
      if (seen === undefined || seen.listedEtag !== etag) this.#seen.set(chunk, { listedEtag: etag, sinceMs: now });
    }
    this.#told();
    if (this.#terminal.size === this.chunks) return 'all-done';

    const order = this.#preferredOrder();
    // Unclaimed chunks first: no read needed, one create-only write each; the
    // rest of them are tried at the next claims, before scanning again.
    const unclaimed = order.filter((chunk) => !etags.has(chunk));
    for (let i = 0; i < unclaimed.length; i++) {
      const held = await this.#tryCreate(unclaimed[i]!);
      if (held !== undefined) {
        this.#unlisted = unclaimed;
        this.#unlistedNext = i + 1;
        return held;
      }
    }
    this.#unlisted = [];
    this.#unlistedNext = 0;
    for (const chunk of order) {
      if (this.#terminal.has(chunk) || !etags.has(chunk)) continue;
      const seen = this.#seen.get(chunk)!;
      if (seen.read === undefined) {
        const obj = await store.get(this.chunkKey(chunk), { signal: this.#signal });
        if (obj === undefined) continue;
        seen.read = { record: decodeChunkRecord(obj.body, this.chunkKey(chunk)), etag: obj.info.etag };
      }
      const { record, etag } = seen.read;
      if (record.state === 'done' || record.state === 'failed') {
        this.#terminal.set(chunk, record.state);
        continue;
      }
      const staleForMs = performance.now() - seen.sinceMs;
      const expired = record.state === 'released' || staleForMs >= record.leaseMs || Date.now() > record.expiresAtMs + record.leaseMs;
      if (!expired) continue;
      const held = await this.#tryTake(chunk, etag, record);
      if (held !== undefined) return held;
    }
    this.#told();
    return this.#terminal.size === this.chunks ? 'all-done' : undefined;
  }

  /** Tells `onProgress` how many chunks are left. */
  #told(): void {
    this.#o.onProgress?.({ name: this.name, chunks: this.chunks, left: this.chunks - this.#terminal.size });
  }

  /** Start at this index's own contiguous region (locality, fewer collisions), then wrap around. */
  #preferredOrder(): number[] {
    const { index, count, podName } = this.#o.identity;
    const start =
      count > 1 ? contiguousBounds(this.chunks, { index, count }).start % this.chunks : hashOffset(podName ?? this.workerId, this.chunks);
    return Array.from({ length: this.chunks }, (_, i) => (start + i) % this.chunks);
  }

  async #tryCreate(chunk: number): Promise<Held | undefined> {
    const record = this.#leaseRecord(chunk, { attempt: 1, failures: 0 });
    const created = await tryPut(this.#o.store, this.chunkKey(chunk), encodeChunkRecord(record), { ifNoneMatch: '*', signal: this.#signal });
    return created.ok ? { chunk, etag: created.etag, record, lost: false } : undefined;
  }

  async #tryTake(chunk: number, etag: string, previous: ChunkRecord): Promise<Held | undefined> {
    if (previous.failures >= this.#maxFailures) {
      await this.#cas({ chunk, etag, record: previous, lost: false }, { ...previous, state: 'failed' }).catch(() => undefined);
      return undefined;
    }
    const record = this.#leaseRecord(chunk, {
      attempt: previous.attempt + 1,
      failures: previous.failures,
      ...(previous.state === 'leased' ? { takenOverFrom: previous.owner } : {}),
      ...(previous.lastError === undefined ? {} : { lastError: previous.lastError }),
    });
    const taken = await tryPut(this.#o.store, this.chunkKey(chunk), encodeChunkRecord(record), { ifMatch: etag, signal: this.#signal });
    if (!taken.ok) return undefined;
    if (previous.state === 'leased') {
      this.#o.log?.warn({ chunk, previousOwner: previous.owner, attempt: record.attempt }, 'took over an expired work-queue lease');
    }
    return { chunk, etag: taken.etag, record, lost: false };
  }

  #leaseRecord(chunk: number, fields: Pick<ChunkRecord, 'attempt' | 'failures' | 'takenOverFrom' | 'lastError'>): ChunkRecord {
    const nowMs = Date.now();
    return {
      version: CHUNK_RECORD_VERSION,
      chunk,
      state: 'leased',
      owner: this.workerId,
      leaseMs: this.leaseMs,
      leasedAtMs: nowMs,
      renewedAtMs: nowMs,
      expiresAtMs: nowMs + this.leaseMs,
      ...fields,
    };
  }

  /**
   * Compare-and-swap the held record; serialized so renewals never race a
   * completion. `ok: false`: another worker changed the record, the lease is theirs.
   */
  #cas(held: Held, next: ChunkRecord): Promise<ConditionalPut> {
    const op = this.#ops.then(async () => {
      const swapped = await tryPut(this.#o.store, this.chunkKey(held.chunk), encodeChunkRecord(next), { ifMatch: held.etag });
      if (swapped.ok) {
        held.etag = swapped.etag;
        held.record = next;
      }
      return swapped;
    });
    this.#ops = op.catch(() => undefined);
    return op;
  }

  async #process(held: Held, handler: (ctx: ChunkContext) => Promise<void>): Promise<'completed' | 'lost'> {
    const { chunk } = held;
    const lease = new AbortController();
    const signal = this.#signal === undefined ? lease.signal : AbortSignal.any([lease.signal, this.#signal]);
    const stopRenewing = new AbortController();
    const renewing = this.#renewLoop(held, lease, stopRenewing.signal);
    const unhook = this.#o.lifecycle?.onShutdown({
      name: 'work-queue.release',
      phase: 'release',
      budgetMs: 5_000,
      run: async () => {
        stopRenewing.abort();
        await renewing;
        await this.#release(held, undefined);
      },
    });
    try {
      await handler({ chunk, attempt: held.record.attempt, signal, workerId: this.workerId, takenOverFrom: held.record.takenOverFrom });
    } catch (err) {
      stopRenewing.abort();
      await renewing;
      if (held.lost) return 'lost';
      await this.#release(held, this.#signal?.aborted === true ? undefined : err);
      throw err;
    } finally {
      stopRenewing.abort();
      unhook?.();
    }
    await renewing;
    if (held.lost) return 'lost';
    const done = await this.#cas(held, { ...held.record, state: 'done', completedAtMs: Date.now(), renewedAtMs: Date.now() });
    if (done.ok) {
      this.#terminal.set(chunk, 'done');
      this.#told();
      return 'completed';
    }
    held.lost = true;
    this.#o.log?.warn({ chunk }, 'work-queue lease was taken over before completion was recorded');
    return 'lost';
  }

  async #renewLoop(held: Held, lease: AbortController, stop: AbortSignal): Promise<void> {
    let lastRenewedMs = performance.now();
    while (!stop.aborted) {
      await sleep(this.renewEveryMs, stop).catch(() => undefined);
      if (stop.aborted) return;
      const nowMs = Date.now();
      try {
        const renewed = await this.#cas(held, { ...held.record, renewedAtMs: nowMs, expiresAtMs: nowMs + this.leaseMs });
        if (!renewed.ok) {
          held.lost = true;
          lease.abort(new LeaseLostError(held.chunk, 'the lease was taken over by another worker', { cause: renewed.error }));
          return;
        }
        lastRenewedMs = performance.now();
      } catch (err) {
        this.#o.log?.warn({ chunk: held.chunk, err }, 'work-queue lease renewal failed; retrying');
        if (performance.now() - lastRenewedMs >= this.leaseMs) {
          // Others may already consider the lease expired: stop before two workers run the chunk.
          held.lost = true;
          lease.abort(new LeaseLostError(held.chunk, `could not renew the lease within leaseMs (${this.leaseMs})`, { cause: err }));
          return;
        }
      }
    }
  }

  /** Hand a held chunk back (after a failure, or at shutdown) so others need not wait for expiry. */
  async #release(held: Held, error: unknown): Promise<void> {
    if (held.lost || held.record.state !== 'leased') return;
    const failures = held.record.failures + (error === undefined ? 0 : 1);
    const next: ChunkRecord = {
      ...held.record,
      state: failures >= this.#maxFailures ? 'failed' : 'released',
      failures,
      ...(error === undefined ? {} : { lastError: describeError(error) }),
    };
    // Taken over meanwhile or store trouble: either way the lease is left to expire.
    const released = await this.#cas(held, next).catch((err: unknown) => ({ ok: false, error: err }) as const);
    if (!released.ok) {
      this.#o.log?.warn({ chunk: held.chunk, err: released.error }, 'could not release the work-queue lease; it will expire');
      return;
    }
    if (next.state === 'failed') this.#terminal.set(held.chunk, 'failed');
  }
}

function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 300);
}

function hashOffset(text: string, modulo: number): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h % modulo;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
