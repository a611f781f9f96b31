import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/runtime/errors.ts';
import { tryDelete, tryPut } from '../../../src/store/conditional.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';

describe('conditional writes as values', () => {
  it('tryPut returns the etag when the create wins and the store error when it loses', async () => {
    const store = new MemoryStore();
    const first = await tryPut(store, 'k', 'a', { ifNoneMatch: '*' });
    expect(first).toEqual({ ok: true, etag: (await store.head('k'))?.etag });
    const second = await tryPut(store, 'k', 'b', { ifNoneMatch: '*' });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error).toBeInstanceOf(PreconditionFailedError);
    expect(Buffer.from((await store.get('k'))!.body).toString()).toBe('a');
  });

  it('tryPut compare-and-swaps on ifMatch: the current etag wins, a stale one loses', async () => {
    const store = new MemoryStore();
    const v1 = await store.put('k', '1');
    const swapped = await tryPut(store, 'k', '2', { ifMatch: v1.etag });
    expect(swapped.ok).toBe(true);
    expect((await tryPut(store, 'k', '3', { ifMatch: v1.etag })).ok).toBe(false);
  });

  it('tryDelete deletes on the etag read and keeps an object rewritten since', async () => {
    const store = new MemoryStore();
    const v1 = await store.put('k', '1');
    await store.put('k', '2');
    expect((await tryDelete(store, 'k', { ifMatch: v1.etag })).ok).toBe(false);
    expect(await store.head('k')).toBeDefined();
    expect(await tryDelete(store, 'k', { ifMatch: (await store.head('k'))!.etag })).toEqual({ ok: true });
    expect(await store.head('k')).toBeUndefined();
  });

  it('any other failure is thrown as it is', async () => {
    const store = new MemoryStore();
    const boom = new RetryableError('503 from the store');
    store.put = () => Promise.reject(boom);
    store.delete = () => Promise.reject(boom);
    await expect(tryPut(store, 'k', 'v', { ifNoneMatch: '*' })).rejects.toBe(boom);
    await expect(tryDelete(store, 'k', { ifMatch: '"x"' })).rejects.toBe(boom);
  });
});
