import { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { markFresh } from '../../../src/store/fresh.ts';
import { signWithKnownSha256 } from '../../../src/store/s3-known-sha256.ts';

/** A client whose requests are recorded (after signing) and answered 200 without a network. */
function recordingClient(): { client: S3Client; sent: { headers: Record<string, string> }[] } {
  const sent: { headers: Record<string, string> }[] = [];
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: (request: { headers: Record<string, string> }) => {
        sent.push({ headers: { ...request.headers } });
        return Promise.resolve({ response: { statusCode: 200, headers: { etag: '"e"' }, body: Readable.from([]) } });
      },
    },
  });
  signWithKnownSha256(client);
  return { client, sent };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('signing with a known sha256', () => {
  it("signs a marked body with the marked digest, not the SDK's hash of the bytes", async () => {
    const { client, sent } = recordingClient();
    // A digest that is not the bytes' hash: only the marking can have put it there.
    const marked = 'ab'.repeat(32);
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: markFresh(Buffer.from('payload'), { sha256: marked }) }));
    await client.send(new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: markFresh(Buffer.from('part'), { sha256: marked }) }));
    expect(sent.map((r) => r.headers['x-amz-content-sha256'])).toEqual([marked, marked]);
    expect(sent.every((r) => (r.headers.authorization ?? '').includes('x-amz-content-sha256'))).toBe(true);
  });

  it('leaves unmarked bodies, and bodies marked without a digest, to the SDK', async () => {
    const { client, sent } = recordingClient();
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Buffer.from('plain') }));
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: markFresh(Buffer.from('fresh')) }));
    expect(sent.map((r) => r.headers['x-amz-content-sha256'])).toEqual([sha256(Buffer.from('plain')), sha256(Buffer.from('fresh'))]);
  });

  it('marks the buffer object itself: a copy or another view of the same bytes carries no digest', async () => {
    const { client, sent } = recordingClient();
    const bytes = markFresh(Buffer.from('payload'), { sha256: 'cd'.repeat(32) });
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: bytes.subarray(0) }));
    expect(sent[0]?.headers['x-amz-content-sha256']).toBe(sha256(bytes));
  });
});
