/**
 * The ObjectStore conformance suite: one set of behaviours every store must
 * show, run against memory and fs (unit) and S3 on a real server (integration).
 * Modules built on the memory store in unit tests rely on production stores
 * behaving identically; this suite is what makes that true.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../../src/store/types.ts';

/** A fresh, empty store per test, and how to dispose of it. */
export interface StoreFixture {
  readonly store: ObjectStore;
  /** Anything a failed upload could leave behind (S3: open multipart uploads; fs: temp files). */
  readonly leftovers?: () => Promise<string[]>;
  readonly dispose: () => Promise<void>;
}

/** Tunables of {@link describeStoreConformance}. */
export interface ConformanceOptions {
  /** How many keys the large listing test writes (S3: > 1000 to cross a page). */
  readonly manyKeys?: number;
  /** Part size for the streaming tests (S3 minimum is 5 MiB). */
  readonly partSize?: number;
  /** Concurrent creators in the race test. */
  readonly racers?: number;
  /**
   * Whether the server honours If-Match when committing a streamed upload of
   * several parts. When it does not (moto), the store must refuse such an
   * upload with a ConfigurationError rather than silently ignore the condition.
   */
  readonly streamedIfMatch?: 'honoured' | 'refused';
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A deterministic body of `size` bytes, produced in `chunk`-sized pieces without holding it all. */
function* patterned(size: number, chunk: number): Generator<Uint8Array> {
  for (let offset = 0; offset < size; offset += chunk) {
    const n = Math.min(chunk, size - offset);
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) buf[i] = (offset + i) % 251;
    yield buf;
  }
}

function patternedBuffer(size: number): Buffer {
  return Buffer.concat([...patterned(size, 1 << 16)]);
}

/**
 * Register the conformance tests for a store.
 *
 * @example
 * ```ts
 * describeStoreConformance('memory', async () => ({ store: new MemoryStore(), dispose: async () => {} }));
 * ```
 */
export function describeStoreConformance(
  name: string,
  fixture: () => Promise<StoreFixture>,
  options: ConformanceOptions = {},
): void {
  const manyKeys = options.manyKeys ?? 250;
  const partSize = options.partSize ?? 64 * 1024;
  const racers = options.racers ?? 16;
  const streamedIfMatch = options.streamedIfMatch ?? 'honoured';

  describe(`ObjectStore conformance: ${name}`, () => {
    let fx: StoreFixture;
    let store: ObjectStore;
    beforeEach(async () => {
      fx = await fixture();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.dispose();
    });

    it('round-trips bytes and strings through put/get/head/getStream', async () => {
      const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
      const a = await store.put('rt/bytes.bin', bytes, { contentType: 'application/octet-stream' });
      expect(a).toMatchObject({ key: 'rt/bytes.bin', size: 5 });
      expect(a.etag).toMatch(/\S/);
      const got = await store.get('rt/bytes.bin');
      expect(Buffer.from(got!.body)).toEqual(Buffer.from(bytes));
      expect(got!.info.etag).toBe(a.etag);
      expect(got!.info.size).toBe(5);

      await store.put('rt/text.json', '{"ü":"✓"}');
      const text = await store.get('rt/text.json');
      expect(Buffer.from(text!.body).toString('utf8')).toBe('{"ü":"✓"}');

      const head = await store.head('rt/bytes.bin');
      expect(head).toMatchObject({ key: 'rt/bytes.bin', size: 5, etag: a.etag });
      expect(head!.lastModified).toBeInstanceOf(Date);

      const stream = await store.getStream('rt/bytes.bin');
      expect(stream!.info.etag).toBe(a.etag);
      expect(await readAll(stream!.body)).toEqual(Buffer.from(bytes));
    });

    it('reports missing objects as undefined, not errors', async () => {
      expect(await store.get('missing/x')).toBeUndefined();
      expect(await store.head('missing/x')).toBeUndefined();
      expect(await store.getStream('missing/x')).toBeUndefined();
    });

    it('stores an empty body', async () => {
      await store.put('empty', new Uint8Array());
      const got = await store.get('empty');
      expect(got!.body.byteLength).toBe(0);
      expect(got!.info.size).toBe(0);
    });

    it('does not alias the caller buffer', async () => {
      const body = Buffer.from('abc');
      await store.put('alias', body);
      body.write('xyz');
      expect(Buffer.from((await store.get('alias'))!.body).toString()).toBe('abc');
    });

    it('overwrites unconditionally and changes the etag with the content', async () => {
      const a = await store.put('ow', 'one');
      const b = await store.put('ow', 'two');
      expect(b.etag).not.toBe(a.etag);
      expect(Buffer.from((await store.get('ow'))!.body).toString()).toBe('two');
    });

    it('create-only (ifNoneMatch *) fails on an existing key and keeps the first value', async () => {
      await store.put('create/k', 'first', { ifNoneMatch: '*' });
      const err = await store.put('create/k', 'second', { ifNoneMatch: '*' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreconditionFailedError);
      expect((err as PreconditionFailedError).key).toBe('create/k');
      expect(Buffer.from((await store.get('create/k'))!.body).toString()).toBe('first');
    });

    it(`lets exactly one of ${racers} concurrent creators win`, async () => {
      const results = await Promise.allSettled(
        Array.from({ length: racers }, (_, i) => store.put('race/k', `writer-${i}`, { ifNoneMatch: '*' })),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      }
      expect(Buffer.from((await store.get('race/k'))!.body).toString()).toBe(`writer-${winners[0]}`);
    });

    it('compare-and-swap (ifMatch) succeeds with the current etag and fails with a stale one', async () => {
      const v1 = await store.put('cas/k', 'v1', { ifNoneMatch: '*' });
      const v2 = await store.put('cas/k', 'v2', { ifMatch: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      await expect(store.put('cas/k', 'v3', { ifMatch: v1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(Buffer.from((await store.get('cas/k'))!.body).toString()).toBe('v2');
      expect((await store.head('cas/k'))!.etag).toBe(v2.etag);
    });

    it('lets exactly one of several CAS writers holding the same etag win', async () => {
      const base = await store.put('cas-race/k', 'base');
      const results = await Promise.allSettled(
        Array.from({ length: racers }, (_, i) => store.put('cas-race/k', `w-${i}`, { ifMatch: base.etag })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('compare-and-swap on a missing key fails', async () => {
      await expect(store.put('cas/missing', 'v', { ifMatch: '"0123456789abcdef0123456789abcdef"' })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await store.head('cas/missing')).toBeUndefined();
    });

    it('rejects both conditions at once', async () => {
      await expect(async () => store.put('both', 'x', { ifNoneMatch: '*', ifMatch: '"x"' })).rejects.toBeInstanceOf(TypeError);
    });

    it('lists by prefix in key order, respecting the prefix boundary', async () => {
      const keys = ['l/b/2', 'l/a', 'l/b/1', 'l/bc', 'm/a', 'l/b/10'];
      for (const k of keys) await store.put(k, k);
      expect((await collect(store.list('l/b/'))).map((i) => i.key)).toEqual(['l/b/1', 'l/b/10', 'l/b/2']);
      expect((await collect(store.list('l/b'))).map((i) => i.key)).toEqual(['l/b/1', 'l/b/10', 'l/b/2', 'l/bc']);
      const all = await collect(store.list('l/'));
      expect(all.map((i) => i.key)).toEqual(['l/a', 'l/b/1', 'l/b/10', 'l/b/2', 'l/bc']);
      expect(all[0]).toMatchObject({ key: 'l/a', size: 3 });
      expect(await collect(store.list('nothing/'))).toEqual([]);
    });

    it(`lists ${manyKeys} keys completely and in order`, async () => {
      const keys = Array.from({ length: manyKeys }, (_, i) => `many/${String(i).padStart(5, '0')}`);
      const pending = [...keys];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let k = pending.pop(); k !== undefined; k = pending.pop()) await store.put(k, 'x');
        }),
      );
      const listed = (await collect(store.list('many/'))).map((i) => i.key);
      expect(listed).toEqual(keys);
    });

    it('deletes; deleting a missing object is not an error', async () => {
      await store.put('del/k', 'x');
      await store.delete('del/k');
      expect(await store.head('del/k')).toBeUndefined();
      await store.delete('del/k');
      expect(await collect(store.list('del/'))).toEqual([]);
    });

    it('conditional delete removes only the expected version, or is refused', async () => {
      const v1 = await store.put('cdel/k', 'v1');
      if (!(await store.capabilities()).conditionalDelete) {
        // A server that would ignore If-Match must not get the chance to delete.
        await expect(store.delete('cdel/k', { ifMatch: '"stale"' })).rejects.toBeInstanceOf(ConfigurationError);
        expect((await store.head('cdel/k'))!.etag).toBe(v1.etag);
        return;
      }
      await store.put('cdel/k', 'v2');
      await expect(store.delete('cdel/k', { ifMatch: v1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await store.head('cdel/k')).toBeDefined();
      const current = (await store.head('cdel/k'))!;
      await store.delete('cdel/k', { ifMatch: current.etag });
      expect(await store.head('cdel/k')).toBeUndefined();
    });

    it('streams a body of several parts and reads it back intact', async () => {
      const size = partSize * 3 + 12_345;
      const info = await store.putStream('stream/big', Readable.from(patterned(size, 50_000)), {
        partSize,
        concurrency: 2,
        ifNoneMatch: '*',
      });
      expect(info.size).toBe(size);
      const head = await store.head('stream/big');
      expect(head!.size).toBe(size);
      expect(head!.etag).toBe(info.etag);
      const got = await store.getStream('stream/big');
      expect((await readAll(got!.body)).equals(patternedBuffer(size))).toBe(true);
      expect(await fx.leftovers?.()).toEqual(fx.leftovers ? [] : undefined);
    });

    it('streams from an async iterable and from a small body', async () => {
      async function* gen(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('hello ');
        await new Promise((r) => setImmediate(r));
        yield Buffer.from('world');
      }
      await store.putStream('stream/small', gen(), { partSize });
      expect(Buffer.from((await store.get('stream/small'))!.body).toString()).toBe('hello world');
    });

    it('applies create-only to streamed uploads at commit', async () => {
      const first = await store.putStream('stream/cond', Readable.from(patterned(partSize * 2 + 1, 40_000)), {
        partSize,
        ifNoneMatch: '*',
      });
      await expect(
        store.putStream('stream/cond', Readable.from(patterned(partSize * 2 + 7, 40_000)), { partSize, ifNoneMatch: '*' }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect((await store.head('stream/cond'))!.etag).toBe(first.etag);
      expect((await store.head('stream/cond'))!.size).toBe(partSize * 2 + 1);
      expect(await fx.leftovers?.()).toEqual(fx.leftovers ? [] : undefined);
    });

    it('applies compare-and-swap to streamed uploads at commit, or refuses them', async () => {
      const first = await store.put('stream/cas', 'v1');
      const upload = (ifMatch: string): Promise<ObjectInfo> =>
        store.putStream('stream/cas', Readable.from(patterned(partSize * 2 + 3, 40_000)), { partSize, ifMatch });
      if (streamedIfMatch === 'refused') {
        await expect(upload(first.etag)).rejects.toBeInstanceOf(ConfigurationError);
        expect((await store.head('stream/cas'))!.etag).toBe(first.etag);
      } else {
        const second = await upload(first.etag);
        await expect(upload(first.etag)).rejects.toBeInstanceOf(PreconditionFailedError);
        expect((await store.head('stream/cas'))!.etag).toBe(second.etag);
      }
      // A body that fits in one part is a single conditional request everywhere.
      const current = (await store.head('stream/cas'))!.etag;
      await expect(
        store.putStream('stream/cas', Readable.from(patterned(10, 10)), { partSize, ifMatch: first.etag === current ? '"stale"' : first.etag }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      const small = await store.putStream('stream/cas', Readable.from(patterned(10, 10)), { partSize, ifMatch: current });
      expect((await store.head('stream/cas'))!.etag).toBe(small.etag);
      expect(await fx.leftovers?.()).toEqual(fx.leftovers ? [] : undefined);
    });

    it('leaves nothing when the source stream fails mid-upload', async () => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        for (const chunk of patterned(partSize * 2 + 100, 30_000)) {
          yield chunk;
          await new Promise((r) => setImmediate(r));
        }
        throw new Error('source broke');
      }
      await expect(store.putStream('stream/failed', failing(), { partSize })).rejects.toThrow('source broke');
      expect(await store.head('stream/failed')).toBeUndefined();
      expect(await collect(store.list('stream/'))).toEqual([]);
      expect(await fx.leftovers?.()).toEqual(fx.leftovers ? [] : undefined);
    });

    it('leaves nothing when the upload is aborted by its signal', async () => {
      const controller = new AbortController();
      async function* slow(): AsyncGenerator<Uint8Array> {
        // Abort once about two and a half parts have been read: parts are in flight.
        const abortAt = Math.ceil((partSize * 2.5) / 30_000);
        let n = 0;
        for (const chunk of patterned(partSize * 4, 30_000)) {
          if (n++ === abortAt) controller.abort(new Error('stop now'));
          yield chunk;
          await new Promise((r) => setImmediate(r));
        }
      }
      await expect(store.putStream('stream/aborted', slow(), { partSize, signal: controller.signal })).rejects.toThrow();
      expect(await store.head('stream/aborted')).toBeUndefined();
      expect(await fx.leftovers?.()).toEqual(fx.leftovers ? [] : undefined);
    });

    it('rejects keys that are empty, absolute, or contain . / .. segments', async () => {
      for (const key of ['', '/abs', '../escape', 'a/../../b', 'a//b', 'a/./b', 'trailing/', '..']) {
        await expect(async () => store.put(key, 'x'), key).rejects.toBeInstanceOf(TypeError);
        await expect(async () => store.get(key), key).rejects.toBeInstanceOf(TypeError);
      }
      await expect(async () => collect(store.list('../'))).rejects.toBeInstanceOf(TypeError);
    });

    it('honours conditional writes according to its capability probe, and cleans up the probe', async () => {
      const caps = await store.capabilities();
      expect(caps.conditionalCreate).toBe(true);
      expect(caps.conditionalReplace).toBe(true);
      expect(await store.capabilities()).toBe(caps);
      expect(await collect(store.list(''))).toEqual([]);
    });
  });
}
