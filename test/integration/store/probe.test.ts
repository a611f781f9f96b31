/**
 * The capability probe against a server that ignores conditional headers: a
 * tiny HTTP proxy in front of the real S3 server strips If-None-Match and
 * If-Match, the way some S3-compatible servers and gateways silently do.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { requireConditionalWrites } from '../../../src/store/probe.ts';
import { S3Store } from '../../../src/store/s3.ts';

const endpoint = new URL(process.env.JOBKIT_TEST_S3_ENDPOINT!);
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
// MinIO verifies request signatures, which cover the stripped headers.
const signaturesChecked = process.env.JOBKIT_TEST_S3_KIND === 'minio';

let proxy: Server;
let proxyUrl: string;

beforeAll(async () => {
  proxy = createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers['if-none-match'];
    delete headers['if-match'];
    const upstream = request(
      { host: endpoint.hostname, port: endpoint.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  proxyUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
});

describe('capability probe', () => {
  it('reports conditional writes on the real server', async () => {
    const store = new S3Store({ bucket, prefix: `probe-${randomUUID()}`, endpoint: endpoint.href, region: 'us-east-1' });
    expect(await requireConditionalWrites(store, 'checkpoint fencing')).toEqual({
      conditionalCreate: true,
      conditionalReplace: true,
      // MinIO (built from source here) deletes despite a wrong If-Match: the probe must say so.
      conditionalDelete: !signaturesChecked,
    });
    if (signaturesChecked) {
      await expect(requireConditionalWrites(store, 'lease release', { delete: true })).rejects.toThrow(/conditional deletes/);
    }
    await store.close();
  });

  it.skipIf(signaturesChecked)('detects a server that ignores the headers, and requireConditionalWrites refuses to run on it', async () => {
    const prefix = `probe-${randomUUID()}`;
    // What the probe protects against: through this server both "create-only" writes succeed.
    const raw = new S3Client({ endpoint: proxyUrl, region: 'us-east-1', forcePathStyle: true });
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/k`, Body: 'first', IfNoneMatch: '*' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/k`, Body: 'second', IfNoneMatch: '*' }));
    raw.destroy();

    const store = new S3Store({ bucket, prefix, endpoint: proxyUrl, region: 'us-east-1' });
    // The store refuses instead: its first conditional request runs the probe.
    await expect(store.put('k', 'third', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ConfigurationError);
    expect(Buffer.from((await store.get('k'))!.body).toString()).toBe('second');

    expect(await store.capabilities()).toEqual({
      conditionalCreate: false,
      conditionalReplace: false,
      conditionalDelete: false,
    });
    const err = await requireConditionalWrites(store, 'idempotency').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/^idempotency needs an object store that honours conditional writes/);
    expect((err as Error).message).toContain(store.url);
    // The probe leaves nothing behind.
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    expect(keys).toEqual(['k']);
    await store.delete('k');
    await store.close();
  });
});
