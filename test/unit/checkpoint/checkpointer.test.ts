import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { CheckpointFormatError, CheckpointStateError } from '../../../src/checkpoint/errors.ts';
import { dataKey } from '../../../src/checkpoint/layout.ts';
import { ConfigurationError, FencedError } from '../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { InterceptingStore, keysUnder, recordingLog, testIdentity } from './helpers.ts';

interface State {
  next: number;
  note?: string;
}

const identity = testIdentity();
const ROOT = 'jobs/default/train/index-0/checkpoints';

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobkit-cp-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('save and load', () => {
  it('returns undefined before the first save, then the latest committed state', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    expect(await cp.load()).toBeUndefined();
    await cp.save({ next: 1 });
    const second = await cp.save({ next: 2, note: 'héllo' });
    expect(second.seq).toBe(2);
    const resumed = await createCheckpointer<State>({ store, identity }).load();
    expect(resumed?.state).toEqual({ next: 2, note: 'héllo' });
    expect(resumed?.seq).toBe(2);
  });

  it('keys each index under its own prefix, or under an explicit shared scope', async () => {
    const store = new MemoryStore();
    await createCheckpointer<State>({ store, identity: testIdentity({ index: 3 }) }).save({ next: 3 });
    await createCheckpointer<State>({ store, identity, scope: 'nightly/../etl' }).save({ next: 9 });
    const keys = await keysUnder(store, '');
    expect(keys.some((k) => k.startsWith('jobs/default/train/index-3/checkpoints/manifests/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('scopes/nightly%2F%2E%2E%2Fetl/index-0/checkpoints/manifests/'))).toBe(true);
    expect(await createCheckpointer<State>({ store, identity }).load()).toBeUndefined();
  });

  it('round-trips parts given as bytes, streams and files, spooling large ones to disk', async () => {
    const store = new MemoryStore();
    const file = join(dir, 'weights.bin');
    await writeFile(file, bytes(300_000, 7));
    const cp = createCheckpointer<State>({ store, identity, inMemoryMaxBytes: 100_000, spoolDir: dir });
    await cp.save({ next: 5 }, {
      small: bytes(1000, 1),
      streamed: Readable.from([bytes(70_000, 2), bytes(70_000, 3)]),
      weights: { file },
      empty: new Uint8Array(0),
    });
    const loaded = await createCheckpointer<State>({ store, identity, inMemoryMaxBytes: 100_000, spoolDir: dir }).load();
    expect(loaded).toBeDefined();
    const parts = loaded!.parts;
    expect([...parts.keys()].sort()).toEqual(['empty', 'small', 'streamed', 'weights']);
    expect(await parts.get('small')!.buffer()).toEqual(bytes(1000, 1));
    expect(await parts.get('streamed')!.buffer()).toEqual(Buffer.concat([bytes(70_000, 2), bytes(70_000, 3)]));
    expect(parts.get('empty')!.size).toBe(0);
    const weights = parts.get('weights')!;
    expect(weights.path).toBeDefined();
    const chunks: Buffer[] = [];
    for await (const c of weights.stream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes(300_000, 7));
    await loaded!.dispose();
    await expect(import('node:fs/promises').then((fs) => fs.stat(weights.path!))).rejects.toThrow();
  });

  it('uploads a changed part of the same size with the right checksum (hashed once, multipart)', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity, partSize: 5 * 2 ** 20 });
    await cp.save({ next: 1 }, { weights: bytes(9 * 2 ** 20, 1) });
    const second = await cp.save({ next: 2 }, { weights: bytes(9 * 2 ** 20, 2) });
    expect(second.uploadedBytes).toBe(9 * 2 ** 20);
    const loaded = await createCheckpointer<State>({ store, identity }).load();
    expect(loaded?.state).toEqual({ next: 2 });
    expect((await loaded!.parts.get('weights')!.buffer()).equals(bytes(9 * 2 ** 20, 2))).toBe(true);
  });

  it('stores large state outside the manifest and reads it back', async () => {
    const store = new MemoryStore();
    const big = { next: 1, note: 'x'.repeat(5000) };
    await createCheckpointer<State>({ store, identity, inlineStateMaxBytes: 1024 }).save(big);
    const keys = await keysUnder(store, `${ROOT}/data/`);
    expect(keys.some((k) => k.endsWith('-state%2Ejson'))).toBe(true);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual(big);
  });

  it('rejects state JSON cannot represent, naming the path, and writes nothing', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<unknown>({ store, identity });
    await cp.save({ next: 1 });
    const before = await keysUnder(store, ROOT);
    const err = await cp.save({ model: { step: 10n } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointStateError);
    expect((err as CheckpointStateError).message).toContain('$.model.step');
    expect((err as CheckpointStateError).exitCode).toBe(65);
    expect(await keysUnder(store, ROOT)).toEqual(before);
  });

  it('rejects an invalid Date in the state, naming its path', async () => {
    const cp = createCheckpointer<unknown>({ store: new MemoryStore(), identity });
    const err = await cp.save({ at: new Date(Number.NaN) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointStateError);
    expect((err as CheckpointStateError).message).toContain('invalid Date at $.at');
  });

  it('refuses a store that ignores conditional writes, naming the store', async () => {
    const store = new MemoryStore({ ignoreConditions: true });
    const err = await createCheckpointer<State>({ store, identity }).save({ next: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/checkpoint fencing.*memory:\/\//);
    expect(await keysUnder(store, 'jobs/')).toEqual([]);
  });

  it('runs without fencing on a store without conditional writes only when told to', async () => {
    const store = new MemoryStore({ ignoreConditions: true });
    const cp = createCheckpointer<State>({ store, identity, fencing: false });
    await cp.save({ next: 1 }, { blob: bytes(10, 1) });
    expect((await createCheckpointer<State>({ store, identity, fencing: false }).load())?.state).toEqual({ next: 1 });
  });

  it('verifies crc32 checksums too, and old sha256 checkpoints still load after switching', async () => {
    const store = new MemoryStore();
    await createCheckpointer<State>({ store, identity }).save({ next: 1 }, { blob: bytes(5000, 1) });
    const cp = createCheckpointer<State>({ store, identity, checksum: 'crc32' });
    expect((await cp.load())?.state).toEqual({ next: 1 });
    const before = new Set(await keysUnder(store, `${ROOT}/data/`));
    await cp.save({ next: 2 }, { blob: bytes(5000, 2) });
    const newest = (await keysUnder(store, `${ROOT}/data/`)).find((k) => !before.has(k))!;
    const manifest = (await keysUnder(store, `${ROOT}/manifests/`)).at(-1)!;
    expect(Buffer.from((await store.get(manifest))!.body).toString()).toContain('"checksum":"crc32:');
    const damaged = bytes(5000, 2);
    damaged.writeUInt8(damaged[10]! ^ 4, 10);
    await store.put(newest, damaged);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 1 });
  });

  it('validates options with ConfigurationError naming the option', () => {
    const store = new MemoryStore();
    expect(() => createCheckpointer({ store, identity, keep: 0 })).toThrow(/keep must be an integer >= 1, got 0/);
    expect(() => createCheckpointer({ store, identity, partSize: 1024 })).toThrow(/partSize must be an integer >= 5242880/);
    expect(() => createCheckpointer({ store, identity, saveEvery: { seconds: -1 } })).toThrow(/saveEvery.seconds/);
  });
});

describe('verification and fallback', () => {
  async function twoCheckpoints() {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    await cp.save({ next: 1 }, { blob: bytes(2000, 1) });
    await cp.save({ next: 2 }, { blob: bytes(2000, 2) });
    const manifests = await keysUnder(store, `${ROOT}/manifests/`);
    return { store, newestManifest: manifests[1]! };
  }

  it('falls back to the previous checkpoint when a part is corrupt, with a log line saying why', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    await cp.save({ next: 1 }, { blob: bytes(2000, 1) });
    const before = new Set(await keysUnder(store, `${ROOT}/data/`));
    await cp.save({ next: 2 }, { blob: bytes(2000, 2) });
    const newest = (await keysUnder(store, `${ROOT}/data/`)).find((k) => !before.has(k))!;
    const corrupt = bytes(2000, 2);
    corrupt.writeUInt8(corrupt[100]! ^ 0xff, 100);
    await store.put(newest, corrupt);
    const log = recordingLog();
    const loaded = await createCheckpointer<State>({ store, identity, log }).load();
    expect(loaded?.state).toEqual({ next: 1 });
    expect(await loaded!.parts.get('blob')!.buffer()).toEqual(bytes(2000, 1));
    const line = log.lines.find((l) => l.level === 'warn');
    expect(line?.msg).toContain('falling back');
    expect(JSON.stringify(line?.obj)).toContain('fails its checksum');
  });

  it('checks every shard of a many-part checkpoint: one bad shard means fallback', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity, concurrency: 3 });
    const shards = (seed: number) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`shard-${i}`, bytes(500 + i, seed + i)]));
    await cp.save({ next: 1 }, shards(10));
    const before = new Set(await keysUnder(store, `${ROOT}/data/`));
    await cp.save({ next: 2 }, shards(20));
    const intact = await createCheckpointer<State>({ store, identity }).load();
    expect(intact?.state).toEqual({ next: 2 });
    expect(await intact!.parts.get('shard-7')!.buffer()).toEqual(bytes(507, 27));
    const added = (await keysUnder(store, `${ROOT}/data/`)).filter((k) => !before.has(k));
    expect(added).toHaveLength(10);
    await store.delete(added[6]!);
    const loaded = await createCheckpointer<State>({ store, identity }).load();
    expect(loaded?.state).toEqual({ next: 1 });
    expect(loaded!.parts.size).toBe(10);
  });

  it('falls back when a part or a manifest is missing or the manifest is damaged', async () => {
    const { store, newestManifest } = await twoCheckpoints();
    const original = (await store.get(newestManifest))!.body;
    await store.put(newestManifest, Buffer.from(Buffer.from(original).toString().replace('"seq":2', '"seq":3')));
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 1 });
    await store.delete(newestManifest);
    const log = recordingLog();
    expect((await createCheckpointer<State>({ store, identity, log }).load())?.state).toEqual({ next: 1 });
    expect(JSON.stringify(log.lines)).toContain('is missing');
  });

  it('starts from scratch, with an error line, when no checkpoint verifies', async () => {
    const store = new MemoryStore();
    await createCheckpointer<State>({ store, identity }).save({ next: 1 }, { blob: bytes(10, 1) });
    for (const k of await keysUnder(store, `${ROOT}/data/`)) await store.delete(k);
    const log = recordingLog();
    expect(await createCheckpointer<State>({ store, identity, log }).load()).toBeUndefined();
    expect(log.lines.some((l) => l.level === 'error' && l.msg.includes('no checkpoint passed verification'))).toBe(true);
  });

  it('stops with CheckpointFormatError on a newer format version and overwrites nothing', async () => {
    const store = new MemoryStore();
    await createCheckpointer<State>({ store, identity }).save({ next: 1 });
    const headKey = `${ROOT}/head.json`;
    const head = JSON.parse(Buffer.from((await store.get(headKey))!.body).toString()) as Record<string, unknown>;
    const newer = Buffer.from(JSON.stringify({ ...head, format: 2 }));
    await store.put(headKey, newer);
    const snapshot = await keysUnder(store, ROOT);
    const err = await createCheckpointer<State>({ store, identity }).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as CheckpointFormatError).exitCode).toBe(78);
    expect((err as Error).message).toMatch(/format version 2.*up to 1/);
    expect(Buffer.from((await store.get(headKey))!.body)).toEqual(newer);
    expect(await keysUnder(store, ROOT)).toEqual(snapshot);
  });

  it('stops with CheckpointFormatError when the latest manifest has a newer format', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    await cp.save({ next: 1 });
    const [manifest] = await keysUnder(store, `${ROOT}/manifests/`);
    const body = JSON.parse(Buffer.from((await store.get(manifest!))!.body).toString()) as Record<string, unknown>;
    const newer = Buffer.from(JSON.stringify({ ...body, format: 7 }));
    await store.put(manifest!, newer);
    // Keep the head's checksum consistent so only the format differs.
    const headKey = `${ROOT}/head.json`;
    const head = JSON.parse(Buffer.from((await store.get(headKey))!.body).toString()) as { checkpoints: { size: number; checksum: string }[] };
    const { createHash } = await import('node:crypto');
    head.checkpoints[0]!.size = newer.byteLength;
    head.checkpoints[0]!.checksum = `sha256:${createHash('sha256').update(newer).digest('hex')}`;
    await store.put(headKey, JSON.stringify(head));
    const reader = createCheckpointer<State>({ store, identity });
    const err = await reader.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toMatch(/^checkpoint manifest ".*" has checkpoint format version 7, but this jobkit understands up to 1/);
    // The head has its own version: a manifest-only change does not stop a reader at the head (it took its epoch).
    expect(reader.epoch).toBe(2);
  });
});

describe('fencing', () => {
  it('fences the older of two writers of one index: exactly one commits', async () => {
    const store = new MemoryStore();
    const zombie = createCheckpointer<State>({ store, identity: testIdentity({ podName: 'old' }) });
    const owner = createCheckpointer<State>({ store, identity: testIdentity({ podName: 'new' }) });
    await zombie.open();
    await owner.open();
    expect(owner.epoch).toBe(zombie.epoch! + 1);
    const results = await Promise.allSettled([zombie.save({ next: 100 }), owner.save({ next: 1 })]);
    expect(results[0].status).toBe('rejected');
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(FencedError);
    expect(((results[0] as PromiseRejectedResult).reason as FencedError).exitCode).toBe(73);
    expect(results[1].status).toBe('fulfilled');
    await expect(zombie.save({ next: 101 })).rejects.toBeInstanceOf(FencedError);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 1 });
  });

  it('fences a writer whose commit races with a newer epoch being taken (check-then-commit)', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const zombie = createCheckpointer<State>({ store, identity });
    await zombie.save({ next: 1 });
    // The zombie has read the head and written its manifest; right before its
    // head CAS lands, a new attempt takes the next epoch.
    let newcomer: ReturnType<typeof createCheckpointer<State>> | undefined;
    store.around = async (op, key, run) => {
      if (op === 'put' && key.endsWith('/head.json') && newcomer === undefined) {
        newcomer = createCheckpointer<State>({ store: store.inner, identity });
        await newcomer.open();
      }
      return await run();
    };
    await expect(zombie.save({ next: 2 })).rejects.toBeInstanceOf(FencedError);
    const loaded = await newcomer!.load();
    expect(loaded?.state).toEqual({ next: 1 });
    // The zombie's objects for the failed save are gone.
    expect(await keysUnder(store.inner, `${ROOT}/manifests/`)).toHaveLength(1);
  });

  it('keeps commit order consistent with epoch order under any interleaving', async () => {
    const fc = await import('fast-check');
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 4 }), async (s, writers) => {
        const inner = new MemoryStore();
        await inner.capabilities();
        const store = new InterceptingStore(inner);
        store.around = (_op, _key, run) => s.schedule(Promise.resolve()).then(run);
        const outcomes = Array.from({ length: writers }, (_, w) =>
          (async () => {
            const cp = createCheckpointer<State>({ store, identity, keep: 100 });
            await cp.open();
            const epoch = cp.epoch!;
            const saved: number[] = [];
            try {
              for (let i = 0; i < 2; i++) saved.push((await cp.save({ next: w * 10 + i })).seq);
            } catch (err) {
              if (!(err instanceof FencedError)) throw err;
            }
            return { epoch, saved };
          })(),
        );
        await s.waitFor(Promise.all(outcomes));
        const results = await Promise.all(outcomes);
        const history = (await createCheckpointer<State>({ store: inner, identity, keep: 100 }).list()).reverse();
        // seq increases with epoch: nobody committed after a newer epoch committed.
        for (let i = 1; i < history.length; i++) expect(history[i]!.epoch).toBeGreaterThanOrEqual(history[i - 1]!.epoch);
        // Every reported commit is in the history with its writer's epoch; nothing else is.
        const reported = results.flatMap((r) => r.saved.map((seq) => `${seq}@${r.epoch}`)).sort();
        expect(history.map((h) => `${h.seq}@${h.epoch}`).sort()).toEqual(reported);
        // The newest epoch never gets fenced.
        const newest = results.reduce((a, b) => (b.epoch > a.epoch ? b : a));
        expect(newest.saved).toHaveLength(2);
      }),
      { numRuns: 60 },
    );
  });

  it('recovers from a lost commit response without skipping or duplicating a sequence number', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const cp = createCheckpointer<State>({ store, identity });
    await cp.save({ next: 1 });
    let failOnce = true;
    store.around = async (op, key, run) => {
      const result = await run();
      if (op === 'put' && key.endsWith('/head.json') && failOnce) {
        failOnce = false;
        throw new Error('socket hang up');
      }
      return result;
    };
    await expect(cp.save({ next: 2 })).rejects.toThrow('socket hang up');
    const third = await cp.save({ next: 3 });
    expect(third.seq).toBe(3);
    const seqs = (await cp.list()).map((c) => c.seq);
    expect(seqs).toEqual([3, 2, 1]);
  });
});

describe('retention and leftovers', () => {
  it('keeps the last N checkpoints and deletes the rest, parts included', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity, keep: 2 });
    for (let i = 1; i <= 6; i++) await cp.save({ next: i }, { blob: bytes(100, i) });
    await cp.close();
    expect((await cp.list()).map((c) => c.seq)).toEqual([6, 5]);
    expect(await keysUnder(store, `${ROOT}/manifests/`)).toHaveLength(2);
    expect(await keysUnder(store, `${ROOT}/data/`)).toHaveLength(2);
  });

  it('never deletes a part object still used by a kept checkpoint', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity, keep: 1 });
    const weights = bytes(50_000, 9);
    await cp.save({ next: 1 }, { weights });
    const second = await cp.save({ next: 2 }, { weights });
    expect(second.reusedParts).toEqual(['weights']);
    expect(second.uploadedBytes).toBe(0);
    await cp.close();
    const loaded = await createCheckpointer<State>({ store, identity }).load();
    expect(loaded?.state).toEqual({ next: 2 });
    expect(await loaded!.parts.get('weights')!.buffer()).toEqual(weights);
  });

  it('a later run deletes the leftovers of a save that crashed before its commit', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const crashed = createCheckpointer<State>({ store, identity });
    await crashed.save({ next: 1 }, { blob: bytes(100, 1) });
    store.around = async (op, key, run) => {
      if (op === 'put' && key.endsWith('/head.json')) throw new Error('SIGKILL (simulated)');
      return await run();
    };
    await expect(crashed.save({ next: 2 }, { blob: bytes(100, 2) })).rejects.toThrow('SIGKILL');
    expect(await keysUnder(store.inner, `${ROOT}/manifests/`)).toHaveLength(2);
    store.around = (_op, _key, run) => run();
    const next = createCheckpointer<State>({ store, identity });
    expect((await next.load())?.state).toEqual({ next: 1 });
    await next.save({ next: 3 }, { blob: bytes(100, 3) });
    await next.close();
    const manifests = await keysUnder(store.inner, `${ROOT}/manifests/`);
    expect(manifests).toHaveLength(2);
    expect(await keysUnder(store.inner, `${ROOT}/data/`)).toHaveLength(2);
    // The crashed save never committed, so its sequence number is reused.
    expect((await next.list()).map((c) => c.seq)).toEqual([2, 1]);
  });

  it('asks only for uploads of older epochs, and a store that cannot list uploads costs a warning, not the sweep', async () => {
    const asked: { prefix: string; selected: boolean[] }[] = [];
    class NoUploadListing extends InterceptingStore {
      abortIncompleteUploads(prefix: string, select: (key: string) => boolean): Promise<number> {
        asked.push({ prefix, selected: [dataKey(1, 'w'), dataKey(2, 'w')].map((rel) => select(`${ROOT}/${rel}`)) });
        return Promise.reject(new Error('501 NotImplemented: ListMultipartUploads'));
      }
    }
    const store = new NoUploadListing(new MemoryStore());
    const first = createCheckpointer<State>({ store, identity });
    await first.save({ next: 1 }, { blob: bytes(100, 1) });
    const log = recordingLog();
    const second = createCheckpointer<State>({ store, identity, log });
    await second.save({ next: 2 }, { blob: bytes(100, 2) });
    await second.prune();
    expect(second.epoch).toBe(2);
    expect(asked.at(-1)).toEqual({ prefix: `${ROOT}/data/`, selected: [true, false] });
    expect(log.lines.find((l) => l.level === 'warn')?.msg).toContain('could not list or abort unfinished multipart uploads');
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 2 });
  });
});
