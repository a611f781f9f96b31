/**
 * Work-queue records read back from the store are checked, not cast: a newer
 * version or a damaged record stops the worker with WorkQueueRecordError (a
 * configuration error, exit 78) naming the key, and the record is left alone.
 */
import { describe, expect, it } from 'vitest';
import { WorkQueueRecordError } from '../../../src/sharding/errors.ts';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './identity.ts';

// Leases far longer than the renewal period and the chunks: a loaded machine's event-loop stalls do not let a live lease lapse.
const FAST = { leaseMs: 1_000, renewEveryMs: 100, pollMs: 10 } as const;
const identity = testIdentity();

async function refusal(store: MemoryStore, key: string, body: string): Promise<WorkQueueRecordError> {
  await store.put(key, body);
  const err: unknown = await createWorkQueue({ store, identity, chunks: 2, ...FAST })
    .run(() => Promise.resolve())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkQueueRecordError);
  expect((err as WorkQueueRecordError).exitCode).toBe(78);
  expect((err as WorkQueueRecordError).key).toBe(key);
  expect(Buffer.from((await store.get(key))!.body).toString('utf8')).toBe(body);
  return err as WorkQueueRecordError;
}

describe('work-queue records', () => {
  const queue = createWorkQueue({ store: new MemoryStore(), identity, chunks: 2 });
  const chunk = {
    version: 1, chunk: 1, state: 'leased', owner: 'other/1', leaseMs: 150, leasedAtMs: 1, renewedAtMs: 1, expiresAtMs: 151, attempt: 1, failures: 0,
  };

  it('a chunk record of a newer version is refused, naming the key and both versions', async () => {
    const err = await refusal(new MemoryStore(), queue.chunkKey(1), JSON.stringify({ ...chunk, version: 2 }));
    expect(err.message).toMatch(/work-queue record .*chunks\/00000001\.json has format version 2, but this jobkit reads version 1: .*newer jobkit/);
  });

  it('a chunk record with a field of the wrong type is refused, naming the field', async () => {
    const err = await refusal(new MemoryStore(), queue.chunkKey(1), JSON.stringify({ ...chunk, attempt: '2' }));
    expect(err.message).toContain('is malformed (corrupt, truncated or not a jobkit record): attempt must be an integer >= 0, got "2"');
  });

  it('a chunk record that is not JSON is refused instead of crashing the worker', async () => {
    const err = await refusal(new MemoryStore(), queue.chunkKey(1), '{"version":1,"chu');
    expect(err.message).toMatch(/is malformed .*not JSON/);
  });

  it('a queue.json of a newer version, or with a field of the wrong type, is refused', async () => {
    const key = `${queue.dir}/queue.json`;
    const record = { version: 1, chunks: 2, count: 1, createdAtMs: 1, createdBy: 'w' };
    expect((await refusal(new MemoryStore(), key, JSON.stringify({ ...record, version: 3 }))).message).toMatch(/format version 3/);
    expect((await refusal(new MemoryStore(), key, JSON.stringify({ ...record, chunks: 'two' }))).message).toMatch(/chunks must be an integer >= 1, got "two"/);
  });

  it('status() reports chunks without the stored format version', async () => {
    const store = new MemoryStore();
    const q = createWorkQueue({ store, identity, chunks: 1, workerId: 'w', ...FAST });
    await q.run(() => Promise.resolve());
    const status = (await q.status()).get(0)!;
    expect(status).toMatchObject({ chunk: 0, state: 'done', owner: 'w', attempt: 1 });
    expect(status).not.toHaveProperty('version');
  });
});
