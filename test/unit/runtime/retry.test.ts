import { describe, expect, it } from 'vitest';
import { ConfigurationError, InterruptedError, PermanentError, RetryableError } from '../../../src/runtime/errors.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { type RetryInfo, retry } from '../../../src/runtime/retry.ts';

const fast = { minDelayMs: 1, maxDelayMs: 2 };
const throttled = (): Error => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
const reset = (): Error => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('retry', () => {
  it('retries transient failures until the operation succeeds', async () => {
    const seen: number[] = [];
    const result = await retry(
      (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw attempt === 1 ? throttled() : reset();
        return 'done';
      },
      fast,
    );
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rethrows a non-transient error at once, unchanged', async () => {
    const bad = new PermanentError('row 7 has no id');
    let calls = 0;
    const outcome = retry(() => {
      calls += 1;
      throw bad;
    }, fast);
    await expect(outcome).rejects.toBe(bad);
    expect(calls).toBe(1);
  });

  it('does not retry a bug (TypeError)', async () => {
    let calls = 0;
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    await expect(
      retry(() => {
        calls += 1;
        throw bug;
      }, fast),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });

  it('gives up after the retries with a RetryableError (exit 75) carrying the last error', async () => {
    let calls = 0;
    const last = throttled();
    const error: unknown = await retry(
      () => {
        calls += 1;
        throw last;
      },
      { ...fast, retries: 3 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).cause).toBe(last);
    expect((error as Error).message).toMatch(/^gave up after 4 attempt\(s\) in \d+ ms: Please reduce your request rate\.$/);
    expect(exitCodeOf(error)).toBe(75);
  });

  it('stops retrying when the elapsed-time cap is spent, long before the retry count', async () => {
    let calls = 0;
    const error = await retry(
      () => {
        calls += 1;
        throw reset();
      },
      { minDelayMs: 5, maxDelayMs: 5, retries: 10_000, maxElapsedMs: 30 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(10_000);
  });

  it('stops at once when the signal is aborted, with the signal reason, without another attempt', async () => {
    const controller = new AbortController();
    const stop = new InterruptedError('received SIGTERM');
    let calls = 0;
    const outcome = retry(
      () => {
        calls += 1;
        if (calls === 2) controller.abort(stop);
        throw reset();
      },
      { signal: controller.signal, minDelayMs: 1, maxDelayMs: 1 },
    );
    await expect(outcome).rejects.toBe(stop);
    expect(calls).toBe(2);
  });

  it('never calls the operation when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new InterruptedError('stopped'));
    let calls = 0;
    await expect(retry(() => (calls += 1), { signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(calls).toBe(0);
  });

  it('reports each failed attempt before waiting, with exponential delays', async () => {
    const infos: RetryInfo[] = [];
    await retry(
      (attempt) => {
        if (attempt <= 3) throw reset();
        return attempt;
      },
      { minDelayMs: 2, maxDelayMs: 1_000, factor: 2, onRetry: (info) => infos.push(info) },
    );
    expect(infos.map((i) => i.attempt)).toEqual([1, 2, 3]);
    // randomize multiplies by 1..2: attempt n waits within [2 * 2^(n-1), 4 * 2^(n-1)].
    infos.forEach((info, n) => {
      expect(info.delayMs).toBeGreaterThanOrEqual(2 * 2 ** n);
      expect(info.delayMs).toBeLessThanOrEqual(4 * 2 ** n);
    });
  });

  it('accepts a custom retry predicate', async () => {
    let calls = 0;
    const result = await retry(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('flaky but unclassified');
        return 'ok';
      },
      { ...fast, isRetryable: (e) => e instanceof Error && e.message.startsWith('flaky') },
    );
    expect(result).toBe('ok');
  });

  it('refuses bad options with a ConfigurationError naming the option', async () => {
    await expect(retry(() => 1, { retries: -1 })).rejects.toThrow(ConfigurationError);
    await expect(retry(() => 1, { retries: 1.5 })).rejects.toThrow('option retries must be an integer');
    await expect(retry(() => 1, { factor: 0.5 })).rejects.toThrow('option factor must be a number >= 1, got "0.5"');
  });
});
