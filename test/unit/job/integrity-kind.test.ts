import { describe, expect, it } from 'vitest';
import { CheckpointCorruptError } from '../../../src/checkpoint/errors.ts';
import { integrityKindOf } from '../../../src/job/integrity-kind.ts';
import { IdempotencyRecordCorruptError } from '../../../src/idempotency/errors.ts';
import { PermanentError, RetryableError } from '../../../src/runtime/errors.ts';
import { ShardPlanError, WorkQueueRecordError } from '../../../src/sharding/errors.ts';

describe('integrityKindOf', () => {
  it('names the kind of stored data a module error says is corrupt, also through the cause chain', () => {
    expect(integrityKindOf(new ShardPlanError('jobs/a/b/shard-plans/p.json', 'fails its checksum'))).toBe('shard_plan');
    expect(integrityKindOf(new WorkQueueRecordError('jobs/a/b/work-queues/q/queue.json', 'is malformed'))).toBe('work_queue');
    const wrapped = new PermanentError('batch 7 failed', { cause: new WorkQueueRecordError('k', 'is malformed') });
    expect(integrityKindOf(wrapped)).toBe('work_queue');
    expect(integrityKindOf(Object.assign(Object.create(CheckpointCorruptError.prototype) as Error, { message: 'x' }))).toBe('checkpoint');
    expect(integrityKindOf(Object.assign(Object.create(IdempotencyRecordCorruptError.prototype) as Error, { message: 'x' }))).toBe('idempotency_record');
  });

  it('is undefined for every other error and for non-errors', () => {
    expect(integrityKindOf(new RetryableError('503'))).toBeUndefined();
    expect(integrityKindOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(integrityKindOf('a string')).toBeUndefined();
    expect(integrityKindOf(undefined)).toBeUndefined();
  });
});
