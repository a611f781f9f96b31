/**
 * Lost responses on conditional writes, injected for real by a proxy in
 * front of the S3 server: the write lands, its response does not, the SDK
 * retries and meets its own object. The store must recognise its own write
 * (a token in the object's metadata) instead of reporting a lost race.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/runtime/errors.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(endpoint);
});
afterAll(async () => {
  await proxy.close();
});

function storeThroughProxy(): S3Store {
  return new S3Store({ bucket, prefix: `lost-${randomUUID()}`, endpoint: proxy.endpoint, region: 'us-east-1' });
}

/** Fault the first request that `match` accepts, pass every other one. */
function once(match: (method: string, url: string) => boolean, fault: 'error-after-write' | 'reset-after-write'): void {
  let done = false;
  proxy.setRule((r) => {
    if (done || !match(r.method, r.url)) return undefined;
    done = true;
    return fault;
  });
}

describe('a lost response on a conditional write', () => {
  for (const fault of ['error-after-write', 'reset-after-write'] as const) {
    it(`does not fail the capability probe's create-only PUT (${fault})`, async () => {
      const store = storeThroughProxy();
      once((m, u) => m === 'PUT' && u.includes('_jobkit/probe/'), fault);
      const caps = await store.capabilities();
      expect(caps.conditionalCreate).toBe(true);
      expect(caps.conditionalReplace).toBe(true);
      await store.close();
    });

    it(`does not fail the probe's compare-and-swap PUT (${fault})`, async () => {
      const store = storeThroughProxy();
      // The fourth probe PUT is the one with the right etag: it must land and be recognised.
      let puts = 0;
      proxy.setRule((r) => (r.method === 'PUT' && r.url.includes('_jobkit/probe/') && ++puts === 4 ? fault : undefined));
      const caps = await store.capabilities();
      expect(caps.conditionalReplace).toBe(true);
      await store.close();
    });

    it(`returns success for a create-only put whose response was lost (${fault})`, async () => {
      const store = storeThroughProxy();
      await store.capabilities();
      once((m, u) => m === 'PUT' && u.includes('/manifest'), fault);
      const info = await store.put('cp/manifest-1.json', '{"seq":1}', { ifNoneMatch: '*' });
      const back = await store.get('cp/manifest-1.json');
      expect(Buffer.from(back!.body).toString()).toBe('{"seq":1}');
      expect(info.etag).toBe(back!.info.etag);
      await store.close();
    });

    it(`returns success for a compare-and-swap put whose response was lost (${fault})`, async () => {
      const store = storeThroughProxy();
      const first = await store.put('head.json', 'v1', { ifNoneMatch: '*' });
      once((m, u) => m === 'PUT' && u.includes('/head.json'), fault);
      const second = await store.put('head.json', 'v2', { ifMatch: first.etag });
      expect((await store.head('head.json'))?.etag).toBe(second.etag);
      await store.close();
    });
  }

  for (const conditions of [{ ifNoneMatch: '*' as const }, {}]) {
    it(`returns success for a streamed upload whose Complete response was lost (${JSON.stringify(conditions)})`, async () => {
      const store = storeThroughProxy();
      await store.capabilities();
      once((m, u) => m === 'POST' && u.includes('uploadId='), 'error-after-write');
      const body = Buffer.alloc(12 * 1024 * 1024, 7);
      const info = await store.putStream('parts/big.bin', Readable.from([body]), { ...conditions, partSize: 5 * 1024 * 1024 });
      expect(proxy.injected.get('error-after-write')).toBeGreaterThan(0);
      const back = await store.get('parts/big.bin');
      expect(Buffer.compare(Buffer.from(back!.body), body)).toBe(0);
      expect(info.size).toBe(body.length);
      await store.close();
    });
  }

  it('still reports a lost race when the object is another writer\'s', async () => {
    const store = storeThroughProxy();
    const key = 'race.json';
    const sharedPrefix = new S3Store({ bucket, prefix: store.prefix, endpoint: proxy.endpoint, region: 'us-east-1' });
    await sharedPrefix.put(key, 'theirs', { ifNoneMatch: '*' });
    // Our PUT is answered 500 once, then the retry meets the other writer's object.
    once((m, u) => m === 'PUT' && u.includes(`/${key}`), 'error-after-write');
    await expect(store.put(key, 'ours', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(Buffer.from((await store.get(key))!.body).toString()).toBe('theirs');
    await Promise.all([store.close(), sharedPrefix.close()]);
  });

  it('exits with the retryable code when resets never stop', async () => {
    const store = storeThroughProxy();
    proxy.setRule(() => 'reset-after-write');
    const err = await store.capabilities().catch((e: unknown) => e);
    proxy.setRule(() => undefined);
    expect(err).toBeInstanceOf(RetryableError);
    expect(exitCodeOf(err)).toBe(75);
    await store.close();
  });
});
