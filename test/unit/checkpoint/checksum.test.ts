/**
 * Part checksums: the sha256 tree of large parts (one leaf per multipart
 * part, whose digests S3 signs the parts with), the whole sha256 of small
 * ones, and what a save records and reuses with each.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumForm, checksumFormFor, checksumOf, createHasher } from '../../../src/checkpoint/checksum.ts';
import { uploadPart, type UploadSettings } from '../../../src/checkpoint/upload.ts';
import { freshMark } from '../../../src/store/fresh.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { ObjectInfo, PutOptions, PutStreamOptions } from '../../../src/store/types.ts';
import { Readable } from 'node:stream';

const MiB = 2 ** 20;
const sha = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** The tree as the docs define it, computed independently of the hasher. */
function treeOf(bytes: Uint8Array, leaf: number): string {
  const root = createHash('sha256');
  for (let o = 0; o < bytes.byteLength; o += leaf) root.update(sha(bytes.subarray(o, o + leaf)));
  return `sha256-tree:${leaf}:${root.digest('hex')}`;
}

describe('sha256 tree checksums', () => {
  it('is the sha256 of the leaves’ digests, however the bytes are chunked', () => {
    const leaf = 1000;
    for (const size of [1, 999, 1000, 1001, 3005]) {
      const bytes = randomBytes(size);
      const expected = treeOf(bytes, leaf);
      for (const chunk of [1, 7, 1000, 1500, size]) {
        const h = createHasher(checksumFormFor('sha256', leaf));
        for (let o = 0; o < size; o += chunk) h.update(bytes.subarray(o, o + chunk));
        expect(h.digest(), `size ${size}, chunks of ${chunk}`).toBe(expected);
      }
    }
  });

  it('returns the sha256 of a chunk that starts a leaf and stays inside it, and nothing for one that does not', () => {
    const h = createHasher('sha256-tree:100');
    const bytes = randomBytes(350);
    expect(h.update(bytes.subarray(0, 100))).toBe(sha(bytes.subarray(0, 100)).toString('hex'));
    expect(h.update(bytes.subarray(100, 150))).toBe(sha(bytes.subarray(100, 150)).toString('hex'));
    expect(h.update(bytes.subarray(150, 200))).toBeUndefined(); // the second half of a leaf
    expect(h.update(bytes.subarray(200, 350))).toBeUndefined(); // runs past its leaf
    expect(h.digest()).toBe(treeOf(bytes, 100));
    const whole = createHasher('sha256');
    expect(whole.update(bytes.subarray(0, 10))).toBe(sha(bytes.subarray(0, 10)).toString('hex'));
    expect(whole.update(bytes.subarray(10))).toBeUndefined();
    expect(whole.digest()).toBe(`sha256:${sha(bytes).toString('hex')}`);
    expect(createHasher('crc32').update(bytes)).toBeUndefined();
  });

  it('parses the forms a manifest may name, and refuses others', async () => {
    expect(checksumForm('sha256:ab')).toBe('sha256');
    expect(checksumForm('crc32:ab')).toBe('crc32');
    expect(checksumForm('sha256-tree:16777216:ab')).toBe('sha256-tree:16777216');
    for (const bad of ['md5:ab', 'sha256-tree:0:ab', 'sha256-tree:x:ab', 'sha256-tree::ab', 'sha256-tree:ab', 'ab', '']) {
      expect(checksumForm(bad), bad).toBeUndefined();
    }
    expect(() => createHasher('md5')).toThrow(/unknown checksum form "md5"/);
    expect(checksumFormFor('crc32', 5 * MiB)).toBe('crc32');
    expect(await checksumOf(Buffer.from('abc'), 'sha256-tree:2')).toBe(treeOf(Buffer.from('abc'), 2));
  });
});

/** Records the sha256 marks of the chunks a putStream / put is handed. */
class MarkRecordingStore extends MemoryStore {
  marks: (string | undefined)[] = [];

  override async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    if (body instanceof Uint8Array) this.marks.push(freshMark(body)?.sha256);
    return await super.put(key, body, options);
  }

  override async putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo> {
    const marks = this.marks;
    const chunks = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        marks.push(freshMark(chunk)?.sha256);
        yield chunk;
      }
    };
    return await super.putStream(key, chunks(), options);
  }
}

describe('what a save records', () => {
  const partSize = 5 * MiB;
  const settings = (store: MemoryStore, concurrency = 4): UploadSettings => ({
    store,
    root: 'r',
    epoch: 1,
    algorithm: 'sha256',
    partSize,
    concurrency,
    signal: undefined,
  });

  for (const [what, concurrency] of [
    ['a buffer within the parts in flight', 4],
    ['a buffer copied part by part', 1],
  ] as const) {
    it(`${what}: a tree of its parts, each handed to the store with its digest`, async () => {
      const store = new MarkRecordingStore();
      const bytes = randomBytes(12 * MiB);
      const up = await uploadPart(settings(store, concurrency), 'w', bytes, undefined);
      expect(up.record.checksum).toBe(treeOf(bytes, partSize));
      const partDigests = [0, 1, 2].map((i) => sha(bytes.subarray(i * partSize, (i + 1) * partSize)).toString('hex'));
      expect(store.marks).toEqual(partDigests);
      // Unchanged: reused without an upload.
      store.marks = [];
      expect(await uploadPart(settings(store, concurrency), 'w', Buffer.from(bytes), up.record)).toMatchObject({ reused: true, uploadedBytes: 0 });
      expect(store.marks).toEqual([]);
    });
  }

  it('a stream: copied into whole parts, each handed to the store with its digest', async () => {
    const store = new MarkRecordingStore();
    const bytes = randomBytes(12 * MiB + 5);
    // Chunks of an odd size, as a producer's would be, and reused by it: 1 MiB + 1 views of one buffer.
    const chunks = function* (): Generator<Uint8Array> {
      for (let o = 0; o < bytes.byteLength; o += MiB + 1) yield bytes.subarray(o, o + MiB + 1);
    };
    const up = await uploadPart(settings(store), 'w', Readable.from(chunks()), undefined);
    expect(up.record.checksum).toBe(treeOf(bytes, partSize));
    expect(up.record.size).toBe(bytes.byteLength);
    expect(store.marks).toEqual([0, 1, 2].map((i) => sha(bytes.subarray(i * partSize, (i + 1) * partSize)).toString('hex')));
    const stored = await store.get(`r/${up.record.key}`);
    expect(Buffer.from(stored!.body).equals(bytes)).toBe(true);
  });

  it('a small part: the whole sha256, and that digest handed with its single PUT', async () => {
    const store = new MarkRecordingStore();
    const bytes = randomBytes(MiB);
    const up = await uploadPart(settings(store), 'w', bytes, undefined);
    expect(up.record.checksum).toBe(`sha256:${sha(bytes).toString('hex')}`);
    expect(store.marks).toEqual([sha(bytes).toString('hex')]);
  });

  it('a large part recorded with a whole sha256 (a checkpoint from before trees) is still reused when unchanged', async () => {
    const store = new MarkRecordingStore();
    const bytes = randomBytes(12 * MiB);
    const old = { key: 'data/old-w', size: bytes.byteLength, checksum: `sha256:${sha(bytes).toString('hex')}` };
    for (const concurrency of [4, 1]) {
      expect(await uploadPart(settings(store, concurrency), 'w', Buffer.from(bytes), old)).toMatchObject({ reused: true, record: old });
    }
    bytes[0] = (bytes[0]! + 1) % 256;
    const changed = await uploadPart(settings(store), 'w', bytes, old);
    expect(changed.reused).toBe(false);
    expect(changed.record.checksum).toBe(treeOf(bytes, partSize));
  });
});
