/**
 * What load() hands back: a part kept in memory (its chunks as they arrived,
 * joined once by buffer()) or spooled to a file (several writes in flight at
 * their own offsets), the same bytes either way and however it is read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { GetOptions, StoredStream } from '../../../src/store/types.ts';
import { testIdentity } from './helpers.ts';

const MiB = 2 ** 20;
const identity = testIdentity();

/** A store whose reads arrive in small chunks, as from a socket. */
class ChunkedStore extends MemoryStore {
  override async getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    const got = await super.getStream(key, options);
    if (got === undefined) return undefined;
    const bytes = Buffer.concat(await got.body.toArray());
    const chunks = function* (): Generator<Buffer> {
      for (let o = 0; o < bytes.byteLength; o += 64 * 1024 + 7) yield Buffer.from(bytes.subarray(o, o + 64 * 1024 + 7));
    };
    return { body: Readable.from(chunks(), { objectMode: false }), info: got.info };
  }
}

let spoolDir: string;
beforeEach(async () => {
  spoolDir = await mkdtemp(join(tmpdir(), 'jobkit-loaded-'));
});
afterEach(async () => {
  await rm(spoolDir, { recursive: true, force: true });
});

describe('loaded parts', () => {
  for (const [where, inMemoryMaxBytes] of [
    ['in memory', 64 * MiB],
    ['spooled', 0],
  ] as const) {
    it(`${where}: buffer() and stream() give the saved bytes, in any order and more than once`, async () => {
      const store = new ChunkedStore();
      const weights = randomBytes(41 * MiB + 3);
      await createCheckpointer({ store, identity }).save({ step: 1 }, { weights });
      const loaded = await createCheckpointer({ store, identity, inMemoryMaxBytes, spoolDir }).load();
      const part = loaded!.parts.get('weights')!;
      expect(part.path === undefined).toBe(where === 'in memory');
      expect(Buffer.concat(await part.stream().toArray()).equals(weights)).toBe(true);
      const first = await part.buffer();
      expect(first.equals(weights)).toBe(true);
      if (where === 'in memory') expect(await part.buffer()).toBe(first); // joined once
      expect(Buffer.concat(await part.stream().toArray()).equals(weights)).toBe(true);
      await loaded!.dispose();
      expect(await readdir(spoolDir)).toEqual([]);
    });
  }
});
