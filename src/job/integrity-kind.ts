/**
 * Which kind of stored data an error says is corrupt, for
 * `jobkit_integrity_failures_total{kind}`: the modules throw their own
 * errors when a record they read is unreadable (bad JSON, a failed checksum,
 * a missing field), and the job root, which knows every module, names the kind.
 */
import { CheckpointCorruptError, CheckpointFormatError } from '../checkpoint/errors.ts';
import { ExclusiveRecordCorruptError } from '../exclusive/errors.ts';
import { IdempotencyRecordCorruptError } from '../idempotency/errors.ts';
import { ShardPlanError, WorkQueueRecordError } from '../sharding/errors.ts';
import type { IntegrityKind } from '../telemetry/metrics.ts';

/**
 * The integrity kind of `err` or of an error in its `cause` chain; undefined
 * for every other error.
 *
 * @example
 * ```ts
 * integrityKindOf(new ShardPlanError('jobs/a/b/shard-plans/p.json', 'fails its checksum')); // 'shard_plan'
 * ```
 */
export function integrityKindOf(err: unknown): IntegrityKind | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof CheckpointCorruptError || e instanceof CheckpointFormatError) return 'checkpoint';
    if (e instanceof ShardPlanError) return 'shard_plan';
    if (e instanceof WorkQueueRecordError) return 'work_queue';
    if (e instanceof IdempotencyRecordCorruptError) return 'idempotency_record';
    if (e instanceof ExclusiveRecordCorruptError) return 'exclusive_record';
  }
  return undefined;
}
