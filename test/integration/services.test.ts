// The test servers themselves: if these fail, every integration result is moot.
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';

function s3(): S3Client {
  return new S3Client({ endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true });
}

describe('test services', () => {
  it('S3 server honours If-None-Match: * and If-Match', async () => {
    const client = s3();
    const Bucket = process.env.JOBKIT_TEST_S3_BUCKET;
    const Key = `services-test/${Date.now()}-${Math.random()}`;
    const first = await client.send(new PutObjectCommand({ Bucket, Key, Body: 'a', IfNoneMatch: '*' }));
    const second = client.send(new PutObjectCommand({ Bucket, Key, Body: 'b', IfNoneMatch: '*' }));
    await expect(second).rejects.toSatisfy((e) => e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412);
    await expect(client.send(new PutObjectCommand({ Bucket, Key, Body: 'c', IfMatch: '"nope"' }))).rejects.toSatisfy(
      (e) => e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412,
    );
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'd', IfMatch: first.ETag }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe('d');
    client.destroy();
  });

  it('Pushgateway is ready', async () => {
    const res = await fetch(`${process.env.JOBKIT_TEST_PUSHGATEWAY_URL}/-/ready`);
    expect(res.status).toBe(200);
  });
});
