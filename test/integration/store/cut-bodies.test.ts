/**
 * Response bodies cut or damaged in transit, injected for real by a proxy in
 * front of the S3 server. The SDK retries requests but not the reading of a
 * body, so the store must: a cut or damaged read is read again (small
 * objects) or resumed from where it stopped (streams), and a body that never
 * arrives whole is a retryable error naming the key and bucket.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { type Fault, type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(endpoint);
});
afterAll(async () => {
  await proxy.close();
});

function newStore(): S3Store {
  return new S3Store({ bucket, prefix: `cut-${randomUUID()}`, endpoint: proxy.endpoint, region: 'us-east-1' });
}

/** Fault the first `times` GETs, pass every other request. */
function cutGets(fault: Fault, times = 1): void {
  let left = times;
  proxy.setRule((r) => (r.method === 'GET' && !r.url.includes('list-type') && left-- > 0 ? fault : undefined));
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('a body cut or damaged in transit', () => {
  for (const fault of ['reset-mid-response', 'truncate-body', 'corrupt-body'] as const) {
    it(`is read again by get() (${fault})`, async () => {
      const store = newStore();
      const body = Buffer.from(JSON.stringify({ seq: 7, parts: Array.from({ length: 200 }, (_, i) => `part-${i}`) }));
      await store.put('manifest.json', body);
      cutGets(fault);
      const back = await store.get('manifest.json');
      expect(proxy.injected.get(fault)).toBeGreaterThan(0);
      expect(Buffer.compare(Buffer.from(back!.body), body)).toBe(0);
      await store.close();
    });
  }

  function patterned(): Buffer {
    const body = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    return body;
  }

  it('is resumed by getStream() from where it stopped (reset-mid-response)', async () => {
    const store = newStore();
    const body = patterned();
    await store.put('part.bin', body);
    cutGets('reset-mid-response');
    const object = await store.getStream('part.bin');
    const back = await readAll(object!.body as AsyncIterable<Buffer>);
    expect(back.length).toBe(body.length);
    expect(Buffer.compare(back, body)).toBe(0);
    await store.close();
  });

  for (const fault of ['truncate-body', 'corrupt-body'] as const) {
    it(`never ends a stream silently short or wrong: a retryable error instead (${fault})`, async () => {
      const store = newStore();
      await store.put('part.bin', patterned());
      cutGets(fault);
      const object = await store.getStream('part.bin');
      const err = await readAll(object!.body as AsyncIterable<Buffer>).catch((e: unknown) => e);
      expect(exitCodeOf(err)).toBe(75);
      expect(String((err as Error).message)).toContain('"part.bin"');
      await store.close();
    });
  }

  it('that never arrives whole is retryable (75) and names the key and bucket', async () => {
    const store = newStore();
    await store.put('head.json', JSON.stringify({ epoch: 1, pad: 'x'.repeat(4096) }));
    cutGets('reset-mid-response', 1_000);
    const err = await store.get('head.json').catch((e: unknown) => e);
    proxy.setRule(() => undefined);
    expect(exitCodeOf(err)).toBe(75);
    expect(String((err as Error).message)).toContain('"head.json"');
    expect(String((err as Error).message)).toContain(bucket);
    expect(String((err as Error).message)).not.toContain('failed after retries');
    await store.close();
  });
});
