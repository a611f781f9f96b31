/**
 * A record written by a newer jobkit: the ledger stops with a configuration
 * error (exit 78) and leaves it alone; gc does not delete what it cannot read.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyRecordCorruptError, IdempotencyRecordVersionError } from '../../../src/idempotency/errors.ts';
import { collectExpiredRecords } from '../../../src/idempotency/gc.ts';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { recordKey } from '../../../src/idempotency/keys.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './helpers.ts';

const identity = testIdentity();

async function storedRecord(store: MemoryStore, key: string): Promise<{ storeKey: string; record: Record<string, unknown> }> {
  const ledger = createIdempotency({ store, identity });
  await ledger.run(key, () => ({ rows: 1 }));
  const { storeKey } = recordKey(ledger.prefix, key);
  const record = JSON.parse(Buffer.from((await store.get(storeKey))!.body).toString('utf8')) as Record<string, unknown>;
  return { storeKey, record };
}

describe('idempotency record versions', () => {
  it('a newer record is refused with IdempotencyRecordVersionError (78), and is not overwritten', async () => {
    const store = new MemoryStore();
    const { storeKey, record } = await storedRecord(store, 'k');
    const newer = JSON.stringify({ ...record, v: 2, status: 'SOMETHING_NEW' });
    await store.put(storeKey, newer);
    const err: unknown = await createIdempotency({ store, identity }).run('k', () => 'again').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyRecordVersionError);
    expect(err).toMatchObject({ exitCode: 78, storeKey, found: 2, supported: 1 });
    expect((err as Error).message).toMatch(/format version 2, but this jobkit reads version 1: .*newer jobkit/);
    expect(Buffer.from((await store.get(storeKey))!.body).toString('utf8')).toBe(newer);
    // gc counts it as unreadable and keeps it.
    const gc = await collectExpiredRecords({ store, prefix: createIdempotency({ store, identity }).prefix, nowMs: Date.now() + 10 * 365 * 86_400_000 });
    expect(gc).toMatchObject({ scanned: 1, unreadable: 1, deleted: 0 });
  });

  it('a field of the wrong type is a corrupt record (65) naming the field', async () => {
    const store = new MemoryStore();
    const { storeKey, record } = await storedRecord(store, 'k');
    await store.put(storeKey, JSON.stringify({ ...record, owner: { ...(record.owner as object), pid: 'one' } }));
    const err: unknown = await createIdempotency({ store, identity }).run('k', () => 'again').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyRecordCorruptError);
    expect((err as IdempotencyRecordCorruptError).exitCode).toBe(65);
    expect((err as Error).message).toContain(`idempotency record ${storeKey} is not readable (owner.pid must be an integer >= 0, got "one")`);
  });
});
