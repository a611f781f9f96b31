/**
 * A per-index checkpoint line remembers the Job's index count; a pod of a Job
 * with another count (completions edited, JOBKIT_COUNT left behind or the
 * reverse) refuses it with the configuration code, naming both counts.
 */
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './helpers.ts';

describe('checkpoints written with another index count', () => {
  it('are refused at load with exit 78, naming both counts', async () => {
    const store = new MemoryStore();
    await createCheckpointer({ store, identity: testIdentity({ index: 0, count: 4 }) }).save({ cursor: 10 });
    const err = await createCheckpointer({ store, identity: testIdentity({ index: 0, count: 3 }) }).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(exitCodeOf(err)).toBe(78);
    expect(String(err)).toContain('JOBKIT_COUNT=4');
    expect(String(err)).toContain('JOBKIT_COUNT=3');
  });

  it('load as usual with the same count, and for a line shared by all indexes', async () => {
    const store = new MemoryStore();
    await createCheckpointer({ store, identity: testIdentity({ index: 1, count: 4 }) }).save({ cursor: 10 });
    expect((await createCheckpointer({ store, identity: testIdentity({ index: 1, count: 4 }) }).load())?.state).toEqual({ cursor: 10 });
    await createCheckpointer({ store, identity: testIdentity({ count: 4 }), perIndex: false, scope: 'shared' }).save({ n: 1 });
    const shared = await createCheckpointer({ store, identity: testIdentity({ count: 2 }), perIndex: false, scope: 'shared' }).load();
    expect(shared?.state).toEqual({ n: 1 });
  });
});
