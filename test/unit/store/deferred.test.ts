/**
 * DeferredStore (what openStore returns for s3://): the backend is created at
 * the first operation, once; every operation, error, the capability probe and
 * close() are the backend's; a store never used closes without loading it.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { DeferredStore } from '../../../src/store/deferred.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { requireConditionalWrites } from '../../../src/store/probe.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { describeStoreConformance } from './conformance.ts';

function deferred(make: () => ObjectStore = () => new MemoryStore()): { store: DeferredStore; loads: () => number; closes: () => number } {
  let loads = 0;
  let closes = 0;
  const store = new DeferredStore('memory://deferred', () => {
    loads += 1;
    const target = make();
    const close = target.close.bind(target);
    target.close = () => {
      closes += 1;
      return close();
    };
    return Promise.resolve(target);
  });
  return { store, loads: () => loads, closes: () => closes };
}

describe('DeferredStore', () => {
  it('loads its backend at the first operation, once, even for concurrent first calls', async () => {
    const { store, loads } = deferred();
    expect(store.url).toBe('memory://deferred');
    expect(loads()).toBe(0);
    await Promise.all([store.put('a', '1'), store.put('b', '2'), store.head('a')]);
    expect(loads()).toBe(1);
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    expect(keys).toEqual(['a', 'b']);
    expect(new TextDecoder().decode((await store.get('b'))?.body)).toBe('2');
    expect(loads()).toBe(1);
  });

  it('passes on the backend errors and conditions', async () => {
    const { store } = deferred();
    await store.put('k', 'v', { ifNoneMatch: '*' });
    await expect(store.put('k', 'v', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(store.delete('k', { ifMatch: '"nope"' })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('runs the capability probe of the backend', async () => {
    const { store } = deferred(() => new MemoryStore({ ignoreConditions: true }));
    expect(await store.capabilities()).toEqual({ conditionalCreate: false, conditionalReplace: false, conditionalDelete: false });
    await expect(requireConditionalWrites(store, 'checkpoint fencing')).rejects.toThrow(/memory:\/\/deferred ignores create-only writes/);
  });

  it('a failed load is the error of that call and of the later ones', async () => {
    let loads = 0;
    const store = new DeferredStore('s3://b-b', () => {
      loads += 1;
      return Promise.reject(new ConfigurationError('cannot load the backend'));
    });
    await expect(store.head('k')).rejects.toThrow('cannot load the backend');
    await expect(store.put('k', 'v')).rejects.toThrow('cannot load the backend');
    expect(loads).toBe(1);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('close() loads nothing when the store was never used, and closes the backend when it was', async () => {
    const unused = deferred();
    await unused.store.close();
    expect(unused.loads()).toBe(0);
    const used = deferred();
    await used.store.head('k');
    await used.store.close();
    expect(used.closes()).toBe(1);
  });

  it('abortIncompleteUploads is 0 for a backend without uploads', async () => {
    const { store } = deferred();
    expect(await store.abortIncompleteUploads('', () => true)).toBe(0);
  });
});

describeStoreConformance('DeferredStore over MemoryStore', () =>
  Promise.resolve({ store: new DeferredStore('memory://conformance', () => Promise.resolve(new MemoryStore())), dispose: () => Promise.resolve() }),
);
