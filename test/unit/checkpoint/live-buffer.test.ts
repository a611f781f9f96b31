/**
 * A part buffer the job keeps writing to while its save runs (weights that
 * training goes on updating) must never give a committed checkpoint whose
 * bytes fail their checksum: the save either fails with
 * CheckpointSourceChangedError (nothing committed) or, with `snapshot: true`,
 * commits the copy taken when the save was called.
 */
import { randomFillSync } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { CheckpointSourceChangedError } from '../../../src/checkpoint/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { ObjectInfo, PutOptions, PutStreamOptions } from '../../../src/store/types.ts';
import { InterceptingStore, keysUnder, recordingLog, testIdentity } from './helpers.ts';

interface State {
  step: number;
}
const identity = testIdentity();
const MiB = 2 ** 20;

/**
 * Runs `write` (the training loop's next step) after each chunk of a data
 * upload the store has taken, and before a single-PUT data upload: the worst
 * moments for a buffer that is read during its upload.
 */
class WritingStore extends InterceptingStore {
  write: (() => void) | undefined;

  override put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    if (key.includes('/data/')) this.write?.();
    return super.put(key, body, options);
  }

  override putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo> {
    const write = this.write;
    if (write === undefined || !key.includes('/data/')) return super.putStream(key, body, options);
    const chunks = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        yield chunk;
        write();
      }
    };
    return super.putStream(key, chunks(), options);
  }
}

/** Load with a fresh checkpointer; returns what loaded and whether any checkpoint failed verification. */
async function loadFresh(store: MemoryStore) {
  const log = recordingLog();
  const loaded = await createCheckpointer<State>({ store, identity, log }).load();
  const failedVerification = log.lines.filter((l) => l.msg.includes('failed verification') || l.msg.includes('no checkpoint passed'));
  return { loaded, failedVerification };
}

describe('a buffer written to during its save', () => {
  for (const [what, size] of [
    ['a multipart buffer', 12 * MiB],
    // Beyond (concurrency + 1) x partSize (25 MiB here): copied part by part, checked by CRC afterwards.
    ['a buffer larger than the parts in flight', 27 * MiB],
    ['a single-PUT buffer', 1 * MiB],
  ] as const) {
    it(`${what}: a changed buffer fails the save with a clear error and is never committed`, async () => {
      const store = new WritingStore(new MemoryStore());
      const cp = createCheckpointer<State>({ store, identity, partSize: 5 * MiB });
      const weights = new Float32Array(size / 4);
      const view = new Uint8Array(weights.buffer);
      await cp.save({ step: 0 }, { weights: view });
      weights[0] = -1; // a training step: not the durable part's bytes any more
      let step = 0;
      store.write = () => {
        step++;
        for (let i = 0; i < weights.length; i += 1024) weights[i] = step;
      };
      // Same size as the durable part: the reuse check hashes it, then it changes during the upload.
      const { durable } = await cp.saveInBackground({ step: 1 }, { weights: view });
      const err: unknown = await durable.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointSourceChangedError);
      expect((err as CheckpointSourceChangedError).part).toBe('weights');
      expect((err as Error).message).toMatch(/changed while it was being saved.*snapshot: true/);
      await expect(cp.flush()).rejects.toBeInstanceOf(CheckpointSourceChangedError);
      // Also without an earlier part to compare with (the first save of a line).
      const fresh = createCheckpointer<State>({ store, identity, scope: 'fresh', partSize: 5 * MiB });
      await expect(fresh.save({ step: 2 }, { weights: view })).rejects.toBeInstanceOf(CheckpointSourceChangedError);
      store.write = undefined;

      const { loaded, failedVerification } = await loadFresh(store.inner as MemoryStore);
      expect(failedVerification).toEqual([]);
      expect(loaded?.state).toEqual({ step: 0 });
      // The failed saves' data objects were removed, not left for a later sweep.
      expect(await keysUnder(store.inner, `${fresh.root}/data/`)).toEqual([]);
    });

    it(`${what}: with snapshot: true the copy taken at the call is committed and verifies`, async () => {
      const store = new WritingStore(new MemoryStore());
      const cp = createCheckpointer<State>({ store, identity, partSize: 5 * MiB });
      const weights = new Float32Array(size / 4).fill(1);
      const view = new Uint8Array(weights.buffer);
      let step = 0;
      store.write = () => {
        step++;
        for (let i = 0; i < weights.length; i += 1024) weights[i] = step + 100;
      };
      const expected = Buffer.from(view);
      const { durable } = await cp.saveInBackground({ step: 1 }, { weights: view }, { snapshot: true });
      weights.fill(7); // the loop goes on right after the call
      await durable;
      const again = Buffer.from(view);
      await cp.save({ step: 2 }, { weights: view }, { snapshot: true });
      store.write = undefined;

      const { loaded, failedVerification } = await loadFresh(store.inner as MemoryStore);
      expect(failedVerification).toEqual([]);
      expect(loaded?.state).toEqual({ step: 2 });
      expect((await loaded!.parts.get('weights')!.buffer()).equals(again)).toBe(true);
      expect(again.equals(expected)).toBe(false);
    });
  }

  it('a background loop writing weights during autosaves never yields a checkpoint that fails verification', async () => {
    const store = new MemoryStore();
    const weights = new Uint8Array(11 * MiB);
    let writing = true;
    // The training loop: writes between event-loop turns, i.e. while saves upload and hash.
    const loop = (async () => {
      while (writing) {
        randomFillSync(weights, Math.floor(Math.random() * (weights.length - 4096)), 4096);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    for (const snapshot of [false, true]) {
      const cp = createCheckpointer<State>({ store, identity, partSize: 5 * MiB, saveEvery: { items: 1 } });
      let step = 0;
      cp.track(() => ({ state: { step }, parts: { weights } }), { snapshot });
      const outcomes: string[] = [];
      for (; step < 6; step++) {
        await cp.progress().then(
          () => outcomes.push('accepted'),
          (err: unknown) => outcomes.push(err instanceof CheckpointSourceChangedError ? 'changed' : String(err)),
        );
      }
      await cp.flush().then(
        () => outcomes.push('durable'),
        (err: unknown) => outcomes.push(err instanceof CheckpointSourceChangedError ? 'changed' : String(err)),
      );
      expect(outcomes.filter((o) => o !== 'accepted' && o !== 'durable' && o !== 'changed')).toEqual([]);
      if (snapshot) expect(outcomes).not.toContain('changed');
      const { failedVerification } = await loadFresh(store);
      expect(failedVerification).toEqual([]);
      await cp.close();
    }
    writing = false;
    await loop;
    const { loaded } = await loadFresh(store);
    expect(loaded?.state.step).toBeGreaterThanOrEqual(4);
  });
});
