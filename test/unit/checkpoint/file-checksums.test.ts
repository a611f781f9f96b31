/**
 * Reusing an unchanged { file } part without reading it: trusted only while
 * the file's stat is identical and its last change predates the read by the
 * margin (git's racy-clean rule), and never for a file changed since.
 */
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/checkpoint/checksum.ts';
import { FileChecksums, TIMESTAMP_MARGIN_MS } from '../../../src/checkpoint/file-checksums.ts';
import { type UploadSettings, uploadPart } from '../../../src/checkpoint/upload.ts';
import { MemoryStore } from '../../../src/store/memory.ts';

const file = (content: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'jobkit-sums-')), 'state.bin');
  writeFileSync(path, content);
  return path;
};
const settings = (fileChecksums: FileChecksums): UploadSettings => ({
  store: new MemoryStore(), root: 'cp', epoch: 1, algorithm: 'sha256', partSize: 8 * 2 ** 20, concurrency: 2, signal: undefined, fileChecksums,
});
const later = (): number => Date.now() + TIMESTAMP_MARGIN_MS + 1_000; // a read long after the file's last change

describe('FileChecksums', () => {
  it('answers for a file whose stat is identical to the one remembered', () => {
    const path = file('abc');
    const sums = new FileChecksums();
    sums.remember(path, statSync(path, { bigint: true }), 'sha256', 'sha256:x', later());
    expect(sums.lookup(path, statSync(path, { bigint: true }), 'sha256')).toBe('sha256:x');
    expect(sums.lookup(path, statSync(path, { bigint: true }), 'crc32')).toBeUndefined();
  });

  it('forgets a read that could have raced a write: the last change within the margin of the read', () => {
    const path = file('abc');
    const sums = new FileChecksums();
    sums.remember(path, statSync(path, { bigint: true }), 'sha256', 'sha256:x', Date.now());
    expect(sums.lookup(path, statSync(path, { bigint: true }), 'sha256')).toBeUndefined();
  });

  it('does not answer once the file changed, even with the same size and a restored mtime (ctime moved)', () => {
    const path = file('abc');
    const sums = new FileChecksums();
    const before = statSync(path, { bigint: true });
    sums.remember(path, before, 'sha256', 'sha256:x', later());
    writeFileSync(path, 'xyz');
    const seconds = Number(before.mtimeNs) / 1e9;
    utimesSync(path, seconds, seconds);
    const now = statSync(path, { bigint: true });
    expect(now.size).toBe(before.size);
    expect(sums.lookup(path, now, 'sha256')).toBeUndefined();
  });
});

describe('uploadPart with remembered checksums', () => {
  it('reuses an unchanged file without reading it', async () => {
    const path = file('the content that was saved');
    const durable = { key: 'data/e1/old-state', size: statSync(path).size, checksum: await checksumOf(Buffer.from('the content that was saved'), 'sha256') };
    const sums = new FileChecksums();
    // Remember a checksum that is NOT the file's: a reuse that read the file would see the mismatch and upload.
    const planted = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';
    sums.remember(path, statSync(path, { bigint: true }), 'sha256', planted, later());
    const up = await uploadPart(settings(sums), 'state', { file: path }, { ...durable, checksum: planted });
    expect(up).toMatchObject({ reused: true, uploadedBytes: 0 });
  });

  it('reads, and uploads, a file rewritten in place with the same size and mtime', async () => {
    const path = file('first version');
    const s = settings(new FileChecksums());
    const first = await uploadPart(s, 'state', { file: path }, undefined);
    const before = statSync(path);
    writeFileSync(path, 'other version');
    utimesSync(path, before.atime, before.mtime);
    const second = await uploadPart(s, 'state', { file: path }, first.record);
    expect(second.reused).toBe(false);
    expect(second.record.checksum).toBe(await checksumOf(Buffer.from('other version'), 'sha256'));
  });

  it('does not trust a read within the margin of the last change (ctime is now): the next save reads the file again', async () => {
    const path = file('old content');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old); // an old mtime does not help: utimes moved ctime to now
    const sums = new FileChecksums();
    const s = settings(sums);
    const first = await uploadPart(s, 'state', { file: path }, undefined);
    // The first upload read the file just now, within the margin of its ctime: nothing trusted yet.
    expect(sums.lookup(path, statSync(path, { bigint: true }), 'sha256')).toBeUndefined();
    const again = await uploadPart(s, 'state', { file: path }, first.record);
    expect(again.reused).toBe(true); // reused after reading and hashing it
  });
});
