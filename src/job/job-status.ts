/**
 * Where a job stands, read from its store (`jobkit status`): each index's
 * checkpoint line (latest checkpoint, its age and size, epochs taken, the
 * shard cursor it carries), the idempotency records by state, the frozen
 * plans and the work queues by chunk state. Strictly read-only: only `list`
 * and `get` (and, with `verify`, `getStream`) are called, nothing is written,
 * locked or deleted.
 *
 * Each module's records are read by that module's inspector (checkpoint/,
 * idempotency/, sharding/ `inspect.ts`), so no key layout or format is known
 * here. Attempt records and dead letters (quarantined items) are read by
 * attempts/inspect.ts.
 */
import { type CheckpointSummary, type CheckpointVerdict, inspectCheckpointLine, readLineHead, verifyCheckpoint } from '../checkpoint/inspect.ts';
import { CheckpointCorruptError, CheckpointFormatError } from '../checkpoint/errors.ts';
import { checkpointRoot } from '../checkpoint/layout.ts';
import { summarizeRecords, type RecordsSummary } from '../idempotency/inspect.ts';
import { recordsPrefix } from '../idempotency/keys.ts';
import type { JobIdentity } from '../runtime/types.ts';
import { findCursor } from '../sharding/cursor.ts';
import { storedPlans, storedQueues, type StoredQueueSummary } from '../sharding/inspect.ts';
import { planShardFingerprint, type ShardPlanInfo } from '../sharding/plan.ts';
import { indexOfKey, perIndexListPrefix, scopePrefix } from '../store/keys.ts';
import type { ObjectStore } from '../store/types.ts';
import { mapBounded } from '../util/bounded.ts';
import { type IndexAttempts, inspectIndexAttempts, isLineageKey } from './attempts/inspect.ts';

/** Options of {@link collectJobStatus}. */
export interface JobStatusOptions {
  readonly store: ObjectStore;
  readonly namespace: string;
  readonly job: string;
  /** Download every part of each index's latest checkpoint and check its checksums (costs its bytes). */
  readonly verify?: boolean;
  /** Records and chunks kept per sample (default 5). */
  readonly sample?: number;
  /** Attempts shown per index, newest first (default 5). */
  readonly recentAttempts?: number;
  /** Quarantined items read per index (default 20; all are counted). */
  readonly quarantinedSample?: number;
  /** Now, ms since the epoch (default `Date.now()`). */
  readonly nowMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The latest checkpoint of an index. `verification` is `not-verified`
 * unless `verify` was asked: then `verified` (every part read and matching
 * its checksum) or `corrupt` (`problems` names the part, expected and
 * actual checksum; `load()` would fall back to the previous one).
 */
export interface LatestCheckpoint {
  readonly seq: number;
  readonly epoch: number | null;
  readonly createdAt: string | null;
  readonly ageSeconds: number | null;
  readonly size: number;
  readonly parts: number;
  readonly verification: 'not-verified' | 'verified' | 'corrupt';
  readonly problems: readonly string[];
}

/** One index's checkpoint line. */
export interface IndexStatus {
  readonly index: number;
  /** Objects and bytes stored under the line (head, manifests, data, leftovers). */
  readonly objects: number;
  readonly bytes: number;
  /** Epochs taken: one per attempt (pod) that opened the line; null without a head. */
  readonly epoch: number | null;
  readonly lastSeq: number | null;
  /** Checkpoints the head keeps. */
  readonly kept: number;
  /** The pod that took the current epoch (the latest attempt), as the head records it. */
  readonly owner: { readonly pod: string | null; readonly node: string | null; readonly attempt: number | null } | null;
  readonly updatedAt: string | null;
  readonly latest: LatestCheckpoint | null;
  /** Items done: the position of the shard cursor in the latest checkpoint's state, when it carries one. */
  readonly itemsDone: number | null;
  /** Items of the shard, when the cursor is over a frozen plan of this job. */
  readonly shardItems: number | null;
  /** Damage found: an unreadable head, manifests that do not match the head. */
  readonly problems: readonly string[];
}

/** A frozen plan, as shown. */
export interface PlanStatus {
  readonly key: string;
  readonly plan: ShardPlanInfo | null;
  readonly problem: string | null;
}

/**
 * Everything `jobkit status` shows (also its `-o json`, see docs/cli.md).
 *
 * @example
 * ```ts
 * const status = await collectJobStatus({ store, namespace: 'data', job: 'etl' });
 * if (!status.found) console.log('no records');
 * for (const i of status.checkpoints) console.log(i.index, i.latest?.seq, i.itemsDone);
 * ```
 */
export interface JobStatus {
  readonly store: string;
  readonly namespace: string;
  readonly job: string;
  /** The job's key prefix. */
  readonly prefix: string;
  readonly generatedAt: string;
  /** Whether any record of the job was found. */
  readonly found: boolean;
  /** Whether the latest checkpoints were downloaded and checked. */
  readonly verified: boolean;
  readonly checkpoints: readonly IndexStatus[];
  readonly idempotency: RecordsSummary;
  readonly plans: readonly PlanStatus[];
  readonly queues: readonly StoredQueueSummary[];
  /** Per index that recorded attempts: the newest attempts and how each ended, and the quarantined items (docs/attempts.md). */
  readonly attempts: readonly IndexAttempts[];
}

/** Checkpoint lines read at once. */
const LINE_CONCURRENCY = 4;

/**
 * The identity the store's key builders need to find an index of a job from
 * outside its pods (`jobkit status`, `checkpoint`, `gc`): only job,
 * namespace and index are read.
 *
 * @example
 * ```ts
 * checkpointRoot(storedJobIdentity('data', 'etl', 3), { perIndex: true }); // 'jobs/data/etl/index-3/checkpoints'
 * ```
 */
export function storedJobIdentity(namespace: string, job: string, index = 0): JobIdentity {
  return { platform: 'local', jobName: job, namespace, podName: undefined, podUid: undefined, nodeName: undefined, index, count: index + 1, attempt: undefined };
}

/** Objects and bytes of each index that stored anything, from one streamed listing. */
async function indexesOf(
  store: ObjectStore,
  base: string,
  signal: AbortSignal | undefined,
): Promise<{ lines: Map<number, { objects: number; bytes: number }>; lineage: Set<number> }> {
  const out = new Map<number, { objects: number; bytes: number }>();
  const lineage = new Set<number>();
  for await (const info of store.list(perIndexListPrefix(base), { signal })) {
    const index = indexOfKey(base, info.key);
    if (index === undefined) continue;
    // Attempt records and dead letters are not part of the checkpoint line.
    if (isLineageKey(`${base}/index-${index}`, info.key)) {
      lineage.add(index);
      continue;
    }
    const seen = out.get(index) ?? { objects: 0, bytes: 0 };
    seen.objects++;
    seen.bytes += info.size;
    out.set(index, seen);
  }
  return { lines: out, lineage };
}

function latestOf(c: CheckpointSummary | undefined, verdict: CheckpointVerdict | undefined, nowMs: number): LatestCheckpoint | null {
  if (c === undefined) return null;
  const created = c.createdAt === undefined ? undefined : Date.parse(c.createdAt);
  const problems = verdict === undefined ? (c.problem === undefined ? [] : [c.problem]) : [verdict.problem, ...verdict.parts.map((p) => p.problem)].filter((p) => p !== undefined);
  return {
    seq: c.seq,
    epoch: c.epoch ?? null,
    createdAt: c.createdAt ?? null,
    ageSeconds: created === undefined ? null : Math.max(0, Math.round((nowMs - created) / 1000)),
    size: c.size,
    parts: c.parts.length,
    verification: verdict === undefined ? (c.problem === undefined ? 'not-verified' : 'corrupt') : verdict.ok ? 'verified' : 'corrupt',
    problems,
  };
}

async function indexStatus(
  options: JobStatusOptions,
  index: number,
  stored: { objects: number; bytes: number },
  plans: readonly PlanStatus[],
  shardSizes: ReadonlyMap<string, readonly number[]>,
  nowMs: number,
): Promise<IndexStatus> {
  const { store, signal } = options;
  const root = checkpointRoot(storedJobIdentity(options.namespace, options.job, index), { perIndex: true });
  const empty = { index, ...stored, epoch: null, lastSeq: null, kept: 0, owner: null, updatedAt: null, latest: null, itemsDone: null, shardItems: null };
  let line;
  try {
    line = await inspectCheckpointLine(store, root, { withState: true, signal });
  } catch (err) {
    // A damaged or newer-version head of one index must not hide every other index.
    if (!(err instanceof CheckpointCorruptError || err instanceof CheckpointFormatError)) throw err;
    return { ...empty, problems: [err.message] };
  }
  if (line === undefined) return { ...empty, problems: ['no head.json: objects of a save that never committed'] };
  const newest = line.checkpoints[0];
  let verdict: CheckpointVerdict | undefined;
  if (options.verify === true && newest !== undefined && newest.problem === undefined) {
    const current = await readLineHead(store, root, signal);
    const entry = current?.head.checkpoints.find((e) => e.seq === newest.seq);
    if (entry !== undefined) verdict = await verifyCheckpoint(store, root, entry, signal);
  }
  const cursor = findCursor(newest?.state);
  const plan = cursor?.kind === 'plan' ? plans.find((p) => p.plan !== null && planShardFingerprint(p.plan.planId, p.plan.count, index) === cursor.of) : undefined;
  return {
    index,
    ...stored,
    epoch: line.epoch,
    lastSeq: line.lastSeq,
    kept: line.checkpoints.length,
    owner: { pod: line.owner.pod, node: line.owner.node, attempt: line.owner.attempt },
    updatedAt: line.updatedAt ?? null,
    latest: latestOf(newest, verdict, nowMs),
    itemsDone: cursor?.position ?? null,
    shardItems: plan === undefined ? null : (shardSizes.get(plan.key)?.[index] ?? null),
    problems: line.checkpoints.slice(1).flatMap((c) => (c.problem === undefined ? [] : [`checkpoint ${c.seq}: ${c.problem}`])),
  };
}

/**
 * Read where a job stands from its store. Reads only; memory is bounded by
 * the number of indexes and plans plus small samples, whatever the number of
 * records (they are streamed and counted).
 *
 * @example
 * ```ts
 * const status = await collectJobStatus({ store: openStore('s3://bucket/jobkit'), namespace: 'data', job: 'etl' });
 * console.log(status.idempotency.inProgress, status.queues[0]?.states.done);
 * ```
 */
export async function collectJobStatus(options: JobStatusOptions): Promise<JobStatus> {
  const { store, signal } = options;
  const nowMs = options.nowMs ?? Date.now();
  const identity = storedJobIdentity(options.namespace, options.job);
  const base = scopePrefix(identity, { perIndex: false });
  const sample = options.sample ?? 5;

  const plans: PlanStatus[] = [];
  // Objects per shard of each plan, by plan key: for the index lines, not printed (one number per shard).
  const shardSizes = new Map<string, readonly number[]>();
  for await (const p of storedPlans({ store, identity, signal })) {
    plans.push({ key: p.key, plan: p.info ?? null, problem: p.problem ?? null });
    shardSizes.set(p.key, p.shardObjects);
  }
  const queues: StoredQueueSummary[] = [];
  for await (const q of storedQueues({ store, identity, signal }, { sample, nowMs })) queues.push(q);
  const idempotency = await summarizeRecords({ store, prefix: recordsPrefix({ identity }), sample, nowMs, ...(signal === undefined ? {} : { signal }) });

  const indexes = await indexesOf(store, base, signal);
  const stored = [...indexes.lines.entries()].sort(([a], [b]) => a - b);
  const checkpoints = await mapBounded(stored, LINE_CONCURRENCY, ([index, s]) => indexStatus(options, index, s, plans, shardSizes, nowMs), signal);
  const attempts = await mapBounded(
    [...indexes.lineage].sort((a, b) => a - b),
    LINE_CONCURRENCY,
    (index) => inspectIndexAttempts(store, storedJobIdentity(options.namespace, options.job, index), { recent: options.recentAttempts ?? 5, sample: options.quarantinedSample ?? 20, ...(signal === undefined ? {} : { signal }) }),
    signal,
  );

  return {
    store: store.url,
    namespace: options.namespace,
    job: options.job,
    prefix: base,
    generatedAt: new Date(nowMs).toISOString(),
    found: checkpoints.length > 0 || idempotency.total > 0 || plans.length > 0 || queues.length > 0 || attempts.length > 0,
    verified: options.verify === true,
    checkpoints,
    idempotency,
    plans,
    queues,
    attempts,
  };
}
