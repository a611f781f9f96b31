import { describe, expect, it } from 'vitest';
import { CheckpointCorruptError, CheckpointFormatError } from '../../../src/checkpoint/errors.ts';
import { decodeHead, decodeManifest } from '../../../src/checkpoint/format.ts';
import { dataKey, epochOfKey, manifestKey, resolveKey } from '../../../src/checkpoint/layout.ts';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const part = (key: string) => ({ key, size: 1, checksum: 'sha256:00' });
const manifest = (parts: Record<string, unknown>) => ({ format: 1, seq: 1, epoch: 1, createdAt: new Date(0).toISOString(), state: { inline: {} }, parts });

describe('manifest format', () => {
  it('refuses part keys that would leave the data directory of the checkpoint', () => {
    for (const key of ['../../other-job/data/x', 'data/e0000000001/../../head.json', '/etc/passwd', 'data/x']) {
      expect(() => decodeManifest(json(manifest({ w: part(key) })), 'm')).toThrow(CheckpointCorruptError);
    }
    const ok = dataKey(1, 'w');
    expect(decodeManifest(json(manifest({ w: part(ok) })), 'm').parts.w?.key).toBe(ok);
  });

  it('refuses head entries that are not manifest keys, and unknown checksum algorithms', () => {
    const head = (manifest: string, checksum = 'sha256:ab') => ({
      format: 1, epoch: 1, lastSeq: 1, nonce: 'n', checkpoints: [{ seq: 1, manifest, size: 1, checksum }],
    });
    expect(() => decodeHead(json(head('manifests/../head.json')), 'h')).toThrow(CheckpointCorruptError);
    expect(() => decodeHead(json(head(manifestKey(1, 1), 'md5:ab')), 'h')).toThrow(/unknown algorithm/);
    expect(decodeHead(json(head(manifestKey(1, 1))), 'h').checkpoints).toHaveLength(1);
  });

  it('reports a newer format version before anything else', () => {
    expect(() => decodeHead(json({ format: 9 }), 'h')).toThrow(CheckpointFormatError);
    expect(() => decodeManifest(json({ format: 2, parts: 'garbage' }), 'm')).toThrow(CheckpointFormatError);
    expect(() => decodeManifest(Buffer.from('{not json'), 'm')).toThrow(CheckpointCorruptError);
  });

  it('encodes the writer epoch in object keys, and resolves keys segment by segment', () => {
    expect(epochOfKey(manifestKey(12, 7))).toBe(7);
    expect(epochOfKey(dataKey(42, 'weights/../x'))).toBe(42);
    expect(epochOfKey('manifests/foreign.json')).toBeUndefined();
    expect(resolveKey('jobs/a/b', 'data/e0000000001/x')).toBe('jobs/a/b/data/e0000000001/x');
    expect(() => resolveKey('jobs/a/b', '../x')).toThrow(TypeError);
  });
});
