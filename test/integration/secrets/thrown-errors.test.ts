/**
 * What jobkit throws on a rejected signature carries no credential: S3's
 * SignatureDoesNotMatch body echoes the access key id, the string to sign and
 * the canonical request (with x-amz-security-token); the raw SDK error keeps
 * them, and the raw response. A loopback server answers exactly that.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
const KEY_ID = 'ASIAEXAMPLEKEYID7777';
const SECRET = 'wJalr/XUtnFEMI#K7MDENG?bPxRfiCY%EX@MPLE';
const TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN/with+slash==';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(endpoint, () => 'signature-does-not-match');
});
afterAll(async () => {
  await proxy.close();
});

describe('errors thrown by the S3 store', () => {
  it('on SignatureDoesNotMatch: configuration (78), and nothing printed or carried holds the key id, secret or token', async () => {
    const store = new S3Store({
      bucket,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN },
    });
    for (const op of [() => store.put('k', 'v'), () => store.get('k'), () => store.put('k', 'v', { ifNoneMatch: '*' })]) {
      const err = await op().catch((e: unknown) => e);
      expect(exitCodeOf(err)).toBe(78);
      const printed = [String(err), inspect(err, { depth: Infinity, showHidden: true }), JSON.stringify(err), (err as Error).stack ?? ''].join('\n');
      for (const secret of [KEY_ID, SECRET, TOKEN, 'CanonicalRequest', 'StringToSign']) expect(printed).not.toContain(secret);
    }
    expect(proxy.injected.get('signature-does-not-match')).toBeGreaterThan(0);
    await store.close();
  });
});
