import { describe, expect, it } from 'vitest';
import { isAuthError } from '../../../src/runtime/auth-error.ts';
import { retry } from '../../../src/runtime/retry.ts';

const http = (status: number): Error => Object.assign(new Error(`HTTP ${status}`), { status });

describe('isAuthError', () => {
  it('knows 401/403 in every common shape, credential error names, and causes', () => {
    expect(isAuthError(http(401))).toBe(true);
    expect(isAuthError(Object.assign(new Error('x'), { statusCode: 403 }))).toBe(true);
    expect(isAuthError({ name: 'Whatever', $metadata: { httpStatusCode: 403 } })).toBe(true);
    expect(isAuthError(Object.assign(new Error('x'), { response: { status: 401 } }))).toBe(true);
    expect(isAuthError({ name: 'ExpiredToken', $metadata: { httpStatusCode: 400 } })).toBe(true);
    expect(isAuthError(new Error('wrapped', { cause: { Code: 'InvalidAccessKeyId' } }))).toBe(true);
    expect(isAuthError(http(404))).toBe(false);
    expect(isAuthError(http(500))).toBe(false);
    expect(isAuthError(new TypeError('x'))).toBe(false);
    expect(isAuthError(undefined)).toBe(false);
  });
});

describe('retry onAuthError', () => {
  it('refreshes once on a 401 and runs the attempt again without counting it as a failure', async () => {
    let token = 'old';
    const seen: string[] = [];
    const retried: number[] = [];
    const result = await retry(
      () => {
        seen.push(token);
        if (token !== 'new') throw http(401);
        return 'ok';
      },
      { retries: 0, onAuthError: () => { token = 'new'; }, onRetry: ({ attempt }) => retried.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual(['old', 'new']);
    expect(retried).toEqual([]);
  });

  it('refreshes only once per call: the second auth error is thrown as it is', async () => {
    let refreshes = 0;
    let calls = 0;
    const err = await retry(
      () => {
        calls++;
        throw http(403);
      },
      { retries: 3, minDelayMs: 0, onAuthError: () => { refreshes++; } },
    ).catch((e: unknown) => e);
    expect(refreshes).toBe(1);
    expect(calls).toBe(2);
    expect((err as { status: number }).status).toBe(403);
  });

  it('refreshes once even when the auth error comes after transient ones, and not for other errors', async () => {
    let refreshes = 0;
    let calls = 0;
    const out = await retry(
      () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        if (calls === 2) throw http(401);
        return calls;
      },
      { retries: 2, minDelayMs: 0, maxDelayMs: 0, onAuthError: () => { refreshes++; } },
    );
    expect(out).toBe(3);
    expect(refreshes).toBe(1);

    let other = 0;
    await expect(retry(() => { throw http(400); }, { retries: 0, onAuthError: () => { other++; } })).rejects.toThrow('HTTP 400');
    expect(other).toBe(0);
  });

  it('an error of the refresh is thrown, and the operation is not run again', async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          throw http(401);
        },
        { retries: 2, onAuthError: () => { throw new Error('token file gone'); } },
      ),
    ).rejects.toThrow('token file gone');
    expect(calls).toBe(1);
  });

  it('stops with the signal when it aborted during the refresh', async () => {
    const controller = new AbortController();
    let calls = 0;
    const err = await retry(
      () => {
        calls++;
        throw http(401);
      },
      { signal: controller.signal, onAuthError: () => controller.abort(new Error('shutdown')) },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('shutdown');
    expect(calls).toBe(1);
  });
});
