import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { requireConditionalWrites } from '../../../src/store/probe.ts';
import { describeStoreConformance } from './conformance.ts';

describeStoreConformance('memory', () => Promise.resolve({ store: new MemoryStore(), dispose: () => Promise.resolve() }));

describe('MemoryStore', () => {
  it('shares objects between stores of the same name, not across names', async () => {
    const a = new MemoryStore({ name: 'mem-share-test' });
    const b = new MemoryStore({ name: 'mem-share-test' });
    const other = new MemoryStore({ name: 'mem-share-other' });
    await a.put('k', 'v');
    expect(b.url).toBe('memory://mem-share-test');
    expect(await b.head('k')).toBeDefined();
    expect(await other.head('k')).toBeUndefined();
    expect(await new MemoryStore().head('k')).toBeUndefined();
    MemoryStore.clear('mem-share-test');
    expect(await new MemoryStore({ name: 'mem-share-test' }).head('k')).toBeUndefined();
  });

  it('reports conditional delete as supported', async () => {
    expect(await new MemoryStore().capabilities()).toEqual({
      conditionalCreate: true,
      conditionalReplace: true,
      conditionalDelete: true,
    });
  });

  describe('ignoreConditions (a non-compliant server double)', () => {
    it('lets a second create and a stale CAS through, as a broken server would', async () => {
      const store = new MemoryStore({ ignoreConditions: true });
      const a = await store.put('k', 'one', { ifNoneMatch: '*' });
      await store.put('k', 'two', { ifNoneMatch: '*' });
      await store.put('k', 'three', { ifMatch: a.etag });
      expect(Buffer.from((await store.get('k'))!.body).toString()).toBe('three');
    });

    it('is detected by the probe, and requireConditionalWrites refuses it', async () => {
      const store = new MemoryStore({ ignoreConditions: true });
      expect(await store.capabilities()).toEqual({
        conditionalCreate: false,
        conditionalReplace: false,
        conditionalDelete: false,
      });
      const err = await requireConditionalWrites(store, 'checkpoint fencing').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toMatch(/checkpoint fencing.*JOBKIT_STORE=memory:\/\//);
      expect((err as Error).message).toContain('If-None-Match');
    });
  });
});
