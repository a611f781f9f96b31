import { DeleteObjectsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { markFresh } from '../../../src/store/fresh.ts';
import { openStore } from '../../../src/store/open.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { describeStoreConformance } from '../../unit/store/conformance.ts';
import { type FaultProxy, seededRule, startFaultProxy } from '../../support/fault-proxy.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
const kind = process.env.JOBKIT_TEST_S3_KIND ?? 'moto';
const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });

/** Multipart uploads still open under a prefix: must be none after any upload. */
async function openUploads(prefix: string): Promise<string[]> {
  const res = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (res.Uploads ?? []).map((u) => u.Key ?? '');
}

async function deleteAll(prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((c) => ({ Key: c.Key! }));
    if (keys.length > 0) await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    token = page.NextContinuationToken;
  } while (token !== undefined);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function newStore(prefix: string): S3Store {
  return new S3Store({ bucket, prefix, endpoint, region: 'us-east-1' });
}

describeStoreConformance(
  `s3 (${kind})`,
  () => {
    const prefix = `conformance-${randomUUID()}`;
    const store = newStore(prefix);
    return Promise.resolve({
      store,
      leftovers: () => openUploads(`${prefix}/`),
      dispose: async () => {
        await deleteAll(`${prefix}/`);
        await store.close();
      },
    });
  },
  // moto honours If-None-Match but ignores If-Match on CompleteMultipartUpload.
  { manyKeys: 1_100, partSize: 5 * 1024 * 1024, streamedIfMatch: kind === 'moto' ? 'refused' : 'honoured' },
);

// What runJob uses: openStore's s3:// store, which loads the S3 backend at its
// first operation (src/store/deferred.ts); the same contract must hold through it.
describeStoreConformance(
  `s3 (${kind}) opened from an s3:// URL`,
  () => {
    const prefix = `conformance-open-${randomUUID()}`;
    const store = openStore(`s3://${bucket}/${prefix}`, { env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1' } });
    return Promise.resolve({
      store,
      leftovers: () => openUploads(`${prefix}/`),
      dispose: async () => {
        await deleteAll(`${prefix}/`);
        await store.close();
      },
    });
  },
  { manyKeys: 1_100, partSize: 5 * 1024 * 1024, streamedIfMatch: kind === 'moto' ? 'refused' : 'honoured' },
);

// The same contract through a fault-injecting proxy on a seeded schedule: lost
// responses (500 after the write, resets), SlowDown and latency must not change
// any observable behaviour. Damaged bodies are left to cut-bodies.test.ts (a
// streamed body that fails its checksum is a retryable error by design), and
// CreateMultipartUpload is spared: a lost response there leaves an orphan
// upload, which the epoch sweep and the bucket lifecycle rule reclaim (docs/stores.md).
let faultProxy: FaultProxy | undefined;
afterAll(async () => {
  await faultProxy?.close();
});
describeStoreConformance(
  `s3 (${kind}) through a fault-injecting proxy`,
  async () => {
    faultProxy ??= await startFaultProxy(endpoint);
    const seeded = seededRule(31, 0.05, ['slow-down', 'error-after-write', 'reset-after-write', 'reset-mid-response', 'latency']);
    faultProxy.setRule((r) => (r.method === 'POST' && r.url.includes('uploads') && !r.url.includes('uploadId') ? undefined : seeded(r)));
    const prefix = `conformance-faults-${randomUUID()}`;
    const store = new S3Store({ bucket, prefix, endpoint: faultProxy.endpoint, region: 'us-east-1', maxAttempts: 6 });
    return {
      store,
      leftovers: () => openUploads(`${prefix}/`),
      dispose: async () => {
        await deleteAll(`${prefix}/`);
        await store.close();
      },
    };
  },
  { manyKeys: 1_100, partSize: 5 * 1024 * 1024, streamedIfMatch: kind === 'moto' ? 'refused' : 'honoured' },
);

describe('S3Store against a real server', () => {
  it('is opened from an s3:// URL with AWS_ENDPOINT_URL_S3 and path-style by default', async () => {
    const prefix = `open-${randomUUID()}`;
    const store = openStore(`s3://${bucket}/${prefix}/`, { env: { ...process.env, AWS_ENDPOINT_URL_S3: endpoint } });
    expect(store.url).toBe(`s3://${bucket}/${prefix}`);
    await store.put('k', 'v', { ifNoneMatch: '*' });
    const raw = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
    expect(raw.Contents?.map((c) => c.Key)).toEqual([`${prefix}/k`]);
    await deleteAll(`${prefix}/`);
    await store.close();
  });

  it('keeps each store inside its prefix', async () => {
    const a = newStore(`iso-${randomUUID()}/a`);
    const ab = newStore(`${a.prefix}b`.replace(/\/b$/, 'b'));
    await a.put('x', '1');
    await ab.put('y', '2');
    const keys: string[] = [];
    for await (const info of a.list('')) keys.push(info.key);
    expect(keys).toEqual(['x']);
    await deleteAll(a.prefix.split('/')[0]!);
    await a.close();
    await ab.close();
  });

  it('an s3:// store from openStore reports a missing bucket at its first operation, as S3Store does', async () => {
    const store = openStore('s3://no-such-bucket-jobkit/p', { env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1' } });
    const err = await store.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('no-such-bucket-jobkit');
    await store.close();
  });

  it('reports a missing bucket as a ConfigurationError naming it, without credentials', async () => {
    const store = new S3Store({ bucket: 'no-such-bucket-jobkit', endpoint, region: 'us-east-1' });
    const err = await store.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('no-such-bucket-jobkit');
    expect((err as Error).message).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
    await expect(store.capabilities()).rejects.toBeInstanceOf(ConfigurationError);
    await store.close();
  });

  it('turns an unreachable endpoint into a RetryableError after the SDK retries', async () => {
    const store = new S3Store({ bucket, endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts: 2 });
    const err = await store.get('k').catch((e: unknown) => e);
    expect((err as Error).name).toBe('RetryableError');
    await store.close();
  });

  // The checkpointer hands the store part copies marked with their sha256 so
  // that the SDK signs with it instead of hashing each byte again
  // (src/store/s3-known-sha256.ts; test/unit/store/s3-known-sha256.test.ts
  // shows the SDK does not hash them).
  it('stores bodies marked with their sha256, in one PUT and in multipart parts', async () => {
    const prefix = `known-sha256-${randomUUID()}`;
    const store = newStore(prefix);
    const bytes = Buffer.alloc(6 * 2 ** 20, 7);
    await store.put('one', markFresh(Buffer.from(bytes), { sha256: sha256(bytes) }));
    expect(Buffer.from((await store.get('one'))!.body).equals(bytes)).toBe(true);
    const first = bytes.subarray(0, 5 * 2 ** 20);
    await store.putStream('parts', Readable.from([markFresh(Buffer.from(first), { sha256: sha256(first) }), bytes.subarray(first.byteLength)]), { partSize: first.byteLength });
    expect(Buffer.from((await store.get('parts'))!.body).equals(bytes)).toBe(true);
    await deleteAll(`${prefix}/`);
    await store.close();
  });

  // moto does not check the payload hash against the body; MinIO (and S3) do.
  // A wrong digest refused is the proof that the marked one is what is signed
  // and sent, and that the server still verifies the bytes against it.
  it.runIf(kind === 'minio')('a wrong marked digest is refused by the server, in one PUT and in a part, and nothing is left', async () => {
    const prefix = `known-sha256-wrong-${randomUUID()}`;
    const store = newStore(prefix);
    const bytes = Buffer.alloc(6 * 2 ** 20, 7);
    const wrong = sha256(Buffer.from('other bytes'));
    await expect(store.put('one', markFresh(Buffer.from(bytes), { sha256: wrong }))).rejects.toThrow(/x-amz-content-sha256/);
    const first = bytes.subarray(0, 5 * 2 ** 20);
    const parts = Readable.from([markFresh(Buffer.from(first), { sha256: wrong }), bytes.subarray(first.byteLength)]);
    await expect(store.putStream('parts', parts, { partSize: first.byteLength })).rejects.toThrow(/x-amz-content-sha256/);
    expect(await store.head('one')).toBeUndefined();
    expect(await store.head('parts')).toBeUndefined();
    expect(await openUploads(`${prefix}/`)).toEqual([]);
    await store.close();
  });
});

