import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../../src/runtime/limiter/bucket.ts';

describe('TokenBucket (injected clock)', () => {
  it('starts empty: the first take waits one interval, then one token per 1/rate', () => {
    const b = new TokenBucket({ ratePerSecond: 10, burst: 1, nowMs: 0 });
    expect(b.tryTake(1, 0)).toBe(100);
    expect(b.tryTake(1, 100)).toBe(0);
    expect(b.tryTake(1, 100)).toBe(100);
    expect(b.tryTake(1, 150)).toBeCloseTo(50);
    expect(b.tryTake(1, 200)).toBe(0);
  });

  it('caps the tokens at burst however long it sat idle', () => {
    const b = new TokenBucket({ ratePerSecond: 10, burst: 3, nowMs: 0 });
    expect(b.tokens(60_000)).toBe(3);
    expect([b.tryTake(1, 60_000), b.tryTake(1, 60_000), b.tryTake(1, 60_000)]).toEqual([0, 0, 0]);
    expect(b.tryTake(1, 60_000)).toBe(100);
  });

  it('lets at most rate × window + burst through in any window', () => {
    const b = new TokenBucket({ ratePerSecond: 5, burst: 2, nowMs: 0 });
    let taken = 0;
    for (let t = 0; t <= 10_000; t += 7) while (b.tryTake(1, t) === 0) taken += 1;
    expect(taken).toBeLessThanOrEqual(5 * 10 + 2);
    expect(taken).toBeGreaterThanOrEqual(5 * 10 - 1);
  });

  it('takes n at once, and says how long until n are there', () => {
    const b = new TokenBucket({ ratePerSecond: 4, burst: 4, nowMs: 0, initialTokens: 1 });
    expect(b.tryTake(3, 0)).toBe(500);
    expect(b.tryTake(3, 500)).toBe(0);
    expect(b.tokens(500)).toBe(0);
  });

  it('setRate keeps what was gathered and refills at the new rate from then on', () => {
    const b = new TokenBucket({ ratePerSecond: 10, burst: 10, nowMs: 0 });
    b.setRate(2, 500); // 5 tokens gathered at 10/s
    expect(b.tokens(500)).toBeCloseTo(5);
    expect(b.tokens(1_000)).toBeCloseTo(6);
  });

  it('pauseUntil empties the bucket, refuses takes until then, and refills only after', () => {
    const b = new TokenBucket({ ratePerSecond: 10, burst: 5, nowMs: 0 });
    expect(b.tokens(1_000)).toBe(5);
    b.pauseUntil(2_000);
    expect(b.tryTake(1, 1_500)).toBe(500 + 100);
    expect(b.tryTake(1, 2_000)).toBe(100);
    expect(b.tryTake(1, 2_100)).toBe(0);
    // A shorter pause does not cut a longer one.
    b.pauseUntil(5_000);
    b.pauseUntil(3_000);
    expect(b.pausedUntilMs).toBe(5_000);
  });
});
