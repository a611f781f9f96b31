import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { type AwsCredentialIdentity, credentialsError, RefreshingCredentials, REFRESH_BEFORE_MS, refreshingCredentials } from '../../../src/store/s3-credentials.ts';
import { isExpiredTokenError } from '../../../src/store/s3-expired-token.ts';

function source(lifetimeMs: number | undefined, now: () => number): { calls: { forceRefresh?: boolean }[]; fn: (o?: { forceRefresh?: boolean }) => Promise<AwsCredentialIdentity> } {
  const calls: { forceRefresh?: boolean }[] = [];
  return {
    calls,
    fn: async (o) => {
      calls.push(o ?? {});
      await Promise.resolve();
      return {
        accessKeyId: `AKID${calls.length}`,
        secretAccessKey: 'secret',
        ...(lifetimeMs === undefined ? {} : { expiration: new Date(now() + lifetimeMs) }),
      };
    },
  };
}

describe('RefreshingCredentials', () => {
  it('keeps an hour-long credential until 5 minutes before expiry, then fetches new ones', async () => {
    let t = 1_000_000;
    const s = source(3_600_000, () => t);
    const c = new RefreshingCredentials({ source: s.fn, now: () => t });
    expect((await c.provide()).accessKeyId).toBe('AKID1');
    t += 3_600_000 - REFRESH_BEFORE_MS - 1;
    expect((await c.provide()).accessKeyId).toBe('AKID1');
    t += 2;
    expect((await c.provide()).accessKeyId).toBe('AKID2');
    expect(c.provide.memoized).toBe(true);
  });

  it('refreshes short-lived credentials at half their lifetime, not on every request', async () => {
    let t = 0;
    const s = source(4_000, () => t);
    const c = new RefreshingCredentials({ source: s.fn, now: () => t });
    await c.provide();
    t = 1_999;
    await c.provide();
    expect(s.calls).toHaveLength(1);
    t = 2_000;
    await c.provide();
    expect(s.calls).toHaveLength(2);
  });

  it('concurrent requests share one fetch; static keys are fetched once', async () => {
    const s = source(undefined, () => 0);
    const c = new RefreshingCredentials({ source: s.fn, now: () => 0 });
    await Promise.all([c.provide(), c.provide(), c.provide()]);
    await c.provide();
    expect(s.calls).toHaveLength(1);
  });

  it('invalidate drops the rejected key and forces the source past its cache; a stale invalidate is ignored', async () => {
    const s = source(3_600_000, () => 0);
    const c = new RefreshingCredentials({ source: s.fn, now: () => 0 });
    await c.provide();
    c.invalidate('AKID1');
    expect((await c.provide()).accessKeyId).toBe('AKID2');
    expect(s.calls[1]).toEqual({ forceRefresh: true });
    c.invalidate('AKID1'); // already replaced
    expect((await c.provide()).accessKeyId).toBe('AKID2');
    expect(s.calls).toHaveLength(2);
  });

  it('a source failure: 75 when unreachable, 78 when refused, and never the provider message', async () => {
    const refused = Object.assign(new Error('token abc.def.tok3nvalue refused'), { name: 'InvalidIdentityToken', $metadata: { httpStatusCode: 400 } });
    const c = new RefreshingCredentials({ source: () => Promise.reject(refused) });
    const err = await c.provide().catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(78);
    expect((err as Error).message).toContain('InvalidIdentityToken');
    expect((err as Error).message).not.toContain('tok3nvalue');
    expect(exitCodeOf(credentialsError(new Error('Error: connect ECONNREFUSED 127.0.0.1:9')))).toBe(75);
    expect(exitCodeOf(credentialsError(new Error('Server responded with status: 503')))).toBe(75);
    expect(exitCodeOf(credentialsError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })))).toBe(75);
    expect(exitCodeOf(credentialsError(new Error('Server responded with status: 401')))).toBe(78);
    expect(exitCodeOf(credentialsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })))).toBe(78);
  });

  it('wraps the default chain and provider functions, not static keys', () => {
    expect(refreshingCredentials(undefined)).toBeInstanceOf(RefreshingCredentials);
    expect(refreshingCredentials(() => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }))).toBeInstanceOf(RefreshingCredentials);
    expect(refreshingCredentials({ accessKeyId: 'a', secretAccessKey: 'b' })).toBeUndefined();
  });

  it('isExpiredTokenError knows the codes', () => {
    expect(isExpiredTokenError({ name: 'ExpiredToken' })).toBe(true);
    expect(isExpiredTokenError({ Code: 'ExpiredTokenException' })).toBe(true);
    expect(isExpiredTokenError({ name: 'AccessDenied' })).toBe(false);
  });
});
