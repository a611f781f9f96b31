/**
 * The S3 upload paths against a scripted client (no server): the memory bound,
 * cleanup after every kind of failure, and the 409 restart rule. The same
 * paths run against the real moto server in test/integration/store.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, RetryableError } from '../../../src/runtime/errors.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import { crc32Base64, markFresh } from '../../../src/store/fresh.ts';
import { replayableBody } from '../../../src/store/replayable.ts';
import { S3Store } from '../../../src/store/s3.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;

type Command = { input: Record<string, unknown> };
type Handler = (command: Command) => Promise<unknown>;

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status } });
}

/**
 * A fake client: records command class names and answers with `handlers` or a
 * default success. Put/Head/Delete keep objects and honour If-None-Match /
 * If-Match like S3 (unless `compliant` is false), so the store's capability
 * probe finds conditions honoured.
 */
function fakeClient(handlers: { [name: string]: Handler } = {}, compliant = true): { client: S3Client; calls: string[] } {
  const calls: string[] = [];
  const objects = new Map<string, string>();
  let parts = 0;
  let version = 0;
  const key = (c: Command): string => String(c.input.Key);
  const conditionFails = (c: Command): boolean => {
    if (!compliant) return false;
    const current = objects.get(key(c));
    return (c.input.IfNoneMatch === '*' && current !== undefined) || (c.input.IfMatch !== undefined && c.input.IfMatch !== current);
  };
  const defaults: { [name: string]: Handler } = {
    CreateMultipartUploadCommand: () => Promise.resolve({ UploadId: 'upload-1' }),
    UploadPartCommand: (c) => Promise.resolve({ ETag: `"part-${String(c.input.PartNumber)}-${++parts}"` }),
    CompleteMultipartUploadCommand: (c) => (conditionFails(c) ? Promise.reject(s3Error('PreconditionFailed', 412)) : Promise.resolve({ ETag: '"done-2"' })),
    AbortMultipartUploadCommand: () => Promise.resolve({}),
    PutObjectCommand: (c) => {
      if (conditionFails(c)) return Promise.reject(s3Error('PreconditionFailed', 412));
      const etag = `"v${++version}"`;
      objects.set(key(c), etag);
      return Promise.resolve({ ETag: etag });
    },
    HeadObjectCommand: (c) => {
      const etag = objects.get(key(c));
      return etag === undefined ? Promise.reject(s3Error('NotFound', 404)) : Promise.resolve({ ETag: etag, ContentLength: 1 });
    },
    DeleteObjectCommand: (c) => {
      if (conditionFails(c)) return Promise.reject(s3Error('PreconditionFailed', 412));
      objects.delete(key(c));
      return Promise.resolve({});
    },
  };
  const client = {
    send: (command: Command) => {
      const name = command.constructor.name;
      // Probe traffic (under _jobkit/probe/) gets the compliant defaults and is not recorded.
      const probe = key(command).includes('_jobkit/probe/');
      const handler = (probe ? undefined : handlers[name]) ?? defaults[name];
      if (!probe) calls.push(name);
      if (handler === undefined) return Promise.reject(new Error(`unexpected ${name}`));
      return handler(command);
    },
    destroy: () => undefined,
  };
  return { client: client as unknown as S3Client, calls };
}

function store(client: S3Client, concurrency = 2): S3Store {
  return new S3Store({ bucket: 'test-bucket', prefix: 'p', client, partSize: PART, uploadConcurrency: concurrency });
}

/** `totalBytes` zeros in 1 MiB chunks, counting how much was pulled. */
function countingSource(totalBytes: number): { body: Readable; pulled: () => number } {
  let pulled = 0;
  async function* gen(): AsyncGenerator<Uint8Array> {
    while (pulled < totalBytes) {
      const n = Math.min(MIB, totalBytes - pulled);
      pulled += n;
      yield Buffer.alloc(n);
      await new Promise((r) => setImmediate(r));
    }
  }
  return { body: Readable.from(gen()), pulled: () => pulled };
}

describe('S3Store.putStream (scripted client)', () => {
  it('never reads more than (concurrency + 1) parts ahead of the parts S3 has acknowledged', async () => {
    const concurrency = 2;
    const pending: (() => void)[] = [];
    let acknowledged = 0;
    let maxAhead = 0;
    const source = countingSource(10 * PART);
    const { client } = fakeClient({
      UploadPartCommand: (c) =>
        new Promise((resolve) => {
          maxAhead = Math.max(maxAhead, source.pulled() - acknowledged * PART);
          pending.push(() => {
            acknowledged++;
            resolve({ ETag: `"p${String(c.input.PartNumber)}"` });
          });
        }),
    });
    const upload = store(client, concurrency).putStream('big', source.body);
    // Each time the uploader has filled its window, measure, then acknowledge one part.
    while (acknowledged < 10) {
      while (pending.length < Math.min(concurrency, 10 - acknowledged)) await new Promise((r) => setImmediate(r));
      // Let it read ahead as far as it is willing to.
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
      maxAhead = Math.max(maxAhead, source.pulled() - acknowledged * PART);
      pending.shift()?.();
    }
    const info = await upload;
    expect(info).toMatchObject({ key: 'big', size: 10 * PART, etag: '"done-2"' });
    expect(maxAhead).toBeGreaterThanOrEqual(concurrency * PART); // parts do run in parallel
    expect(maxAhead).toBeLessThanOrEqual((concurrency + 1) * PART + MIB);
  });

  it("sends a fresh part with its producer's CRC-32, and releases each fresh chunk once its request has settled", async () => {
    const settled: number[] = [];
    const released: number[] = [];
    const sentCrc: unknown[] = [];
    const { client } = fakeClient({
      UploadPartCommand: (c) => {
        sentCrc.push(c.input.ChecksumCRC32);
        settled.push(Number(c.input.PartNumber));
        return Promise.resolve({ ETag: `"p${String(c.input.PartNumber)}"` });
      },
    });
    const parts = [0, 1, 2].map((i) =>
      markFresh(Buffer.alloc(PART, i), { crc32: crc32(Buffer.alloc(PART, i)), release: () => released.push(i + 1) }),
    );
    // A fresh chunk shorter than a part is copied, and released once copied.
    const tail = markFresh(Buffer.alloc(MIB, 9), { release: () => released.push(4) });
    const s3 = new S3Store({ bucket: 'test-bucket', prefix: 'p', client, partSize: PART, uploadConcurrency: 2 });
    await s3.putStream('fresh', Readable.from([...parts, tail]));
    expect(sentCrc).toEqual([...[0, 1, 2].map((i) => crc32Base64(crc32(Buffer.alloc(PART, i)))), undefined]);
    expect([...released].sort()).toEqual([1, 2, 3, 4]);
    // Without flexible checksums the upload has no checksum algorithm: no CRC is sent.
    sentCrc.length = 0;
    const plain = new S3Store({ bucket: 'test-bucket', prefix: 'p', client, partSize: PART, uploadConcurrency: 2, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await plain.putStream('fresh-2', Readable.from([markFresh(Buffer.alloc(PART), { crc32: 1 }), Buffer.alloc(PART)]));
    expect(sentCrc).toEqual([undefined, undefined]);
  });

  it('sends a body that fits one part as a single conditional PutObject', async () => {
    const seen: Record<string, unknown>[] = [];
    const { client, calls } = fakeClient({
      PutObjectCommand: (c) => {
        seen.push(c.input);
        return Promise.resolve({ ETag: '"single"' });
      },
    });
    const info = await store(client).putStream('small', Readable.from([Buffer.from('abc')]), { ifNoneMatch: '*' });
    expect(calls).toEqual(['PutObjectCommand']);
    expect(seen[0]).toMatchObject({ Bucket: 'test-bucket', Key: 'p/small', IfNoneMatch: '*', ContentLength: 3 });
    expect(info).toMatchObject({ size: 3, etag: '"single"' });
  });

  it('aborts the multipart upload when the condition fails at Complete', async () => {
    const { client, calls } = fakeClient({ CompleteMultipartUploadCommand: () => Promise.reject(s3Error('PreconditionFailed', 412)) });
    const err = await store(client)
      .putStream('k', countingSource(2 * PART + 1).body, { ifNoneMatch: '*' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(calls.at(-1)).toBe('AbortMultipartUploadCommand');
  });

  it('aborts the multipart upload and stops reading when a part fails', async () => {
    const source = countingSource(20 * PART);
    const { client, calls } = fakeClient({
      UploadPartCommand: (c) => (c.input.PartNumber === 2 ? Promise.reject(s3Error('InternalError', 500)) : Promise.resolve({ ETag: '"ok"' })),
    });
    const err = await store(client).putStream('k', source.body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(calls).toContain('AbortMultipartUploadCommand');
    expect(calls).not.toContain('CompleteMultipartUploadCommand');
    expect(source.pulled()).toBeLessThan(6 * PART);
  });

  it('restarts a replayable upload after 409 ConditionalRequestConflict at Complete', async () => {
    let completes = 0;
    const { client, calls } = fakeClient({
      CompleteMultipartUploadCommand: () => (++completes === 1 ? Promise.reject(s3Error('ConditionalRequestConflict', 409)) : Promise.resolve({ ETag: '"second"' })),
    });
    let opened = 0;
    const body = replayableBody(() => {
      opened++;
      return countingSource(2 * PART + 10).body;
    });
    const info = await store(client).putStream('k', body);
    expect(info.etag).toBe('"second"');
    expect(opened).toBe(2);
    expect(calls.filter((c) => c === 'CreateMultipartUploadCommand')).toHaveLength(2);
    expect(calls.filter((c) => c === 'AbortMultipartUploadCommand')).toHaveLength(1);
  });

  it('fails a one-shot stream on 409 with a RetryableError, leaving no upload', async () => {
    const { client, calls } = fakeClient({ CompleteMultipartUploadCommand: () => Promise.reject(s3Error('ConditionalRequestConflict', 409)) });
    const err = await store(client).putStream('k', countingSource(2 * PART + 10).body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(calls.filter((c) => c === 'CreateMultipartUploadCommand')).toHaveLength(1);
    expect(calls.at(-1)).toBe('AbortMultipartUploadCommand');
  });

  it('retries a single PutObject on 409 (it holds the bytes)', async () => {
    let puts = 0;
    const { client } = fakeClient({
      PutObjectCommand: () => (++puts < 3 ? Promise.reject(s3Error('ConditionalRequestConflict', 409)) : Promise.resolve({ ETag: '"ok"' })),
    });
    const info = await store(client).put('k', 'v', { ifNoneMatch: '*' });
    expect(info.etag).toBe('"ok"');
    expect(puts).toBe(3);
  });

  it('refuses part sizes S3 would reject', async () => {
    const { client } = fakeClient();
    await expect(store(client).putStream('k', Readable.from([]), { partSize: MIB })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('puts SSE and the content type on every write', async () => {
    const inputs: Record<string, unknown>[] = [];
    const record: Handler = (c) => {
      inputs.push(c.input);
      return Promise.resolve({ UploadId: 'u', ETag: '"e"' });
    };
    const { client } = fakeClient({ PutObjectCommand: record, CreateMultipartUploadCommand: record });
    const s = new S3Store({ bucket: 'test-bucket', client, serverSideEncryption: 'aws:kms', sseKmsKeyId: 'key-1', partSize: PART });
    await s.put('a', 'x', { contentType: 'application/json' });
    await s.putStream('b', countingSource(2 * PART).body, { contentType: 'application/octet-stream' });
    for (const input of inputs) expect(input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1' });
    expect(inputs[0]).toMatchObject({ ContentType: 'application/json' });
    expect(inputs[1]).toMatchObject({ ContentType: 'application/octet-stream', ChecksumAlgorithm: 'CRC32' });
  });

  it('refuses conditional requests that a non-compliant server would apply unconditionally', async () => {
    const { client, calls } = fakeClient({}, false);
    const s = store(client);
    await s.put('plain', 'unconditional writes still work');
    await expect(s.put('k', 'v', { ifNoneMatch: '*' })).rejects.toThrow(/ignores If-None-Match on PutObject/);
    await expect(s.put('k', 'v', { ifMatch: '"x"' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(s.delete('plain', { ifMatch: '"x"' })).rejects.toThrow(/ignores If-Match on DeleteObject/);
    expect(calls).toEqual(['PutObjectCommand']);
  });
});
