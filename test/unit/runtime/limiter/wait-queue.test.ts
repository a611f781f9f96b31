import { getActiveResourcesInfo } from 'node:process';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../../src/runtime/limiter/bucket.ts';
import { abortableSleep } from '../../../../src/runtime/limiter/wait.ts';
import { createWaitQueue } from '../../../../src/runtime/limiter/wait-queue.ts';

/** A queue on a fake clock whose sleep resolves on the next microtask, advancing the clock. */
function fakeQueue(ratePerSecond: number, burst: number) {
  let t = 0;
  const sleeps: number[] = [];
  const bucket = new TokenBucket({ ratePerSecond, burst, nowMs: 0 });
  const queue = createWaitQueue({
    bucket,
    now: () => t,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      if (signal.aborted) return Promise.reject(new Error('aborted'));
      t += ms;
      return Promise.resolve();
    },
  });
  return { queue, sleeps, clock: () => t };
}

describe('createWaitQueue', () => {
  it('serves callers in the order they came, a big request not overtaken by small ones', async () => {
    const { queue, sleeps, clock } = fakeQueue(10, 3);
    const order: string[] = [];
    const take = (name: string, n: number) => queue.take(n, undefined).then(() => order.push(name));
    await Promise.all([take('big', 3), take('small-1', 1), take('small-2', 1)]);
    expect(order).toEqual(['big', 'small-1', 'small-2']);
    // 3 tokens at 10/s for the big one, then one interval each.
    expect(sleeps).toEqual([300, 100, 100]);
    expect(clock()).toBe(500);
  });

  it('one timer for many waiters: sleeps only for the head', async () => {
    const { queue, sleeps } = fakeQueue(10, 1);
    await Promise.all(Array.from({ length: 10 }, () => queue.take(1, undefined)));
    expect(sleeps).toHaveLength(10);
    expect(queue.length).toBe(0);
  });

  it('an aborted caller leaves the queue; the others are still served; no timer is left', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 0.001, burst: 1, nowMs: performance.now() });
    const queue = createWaitQueue({ bucket, now: () => performance.now(), sleep: abortableSleep });
    const before = getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const a = new AbortController();
    const b = new AbortController();
    const first = queue.take(1, a.signal);
    const second = queue.take(1, b.signal);
    expect(queue.length).toBe(2);
    a.abort(new Error('a stopped'));
    await expect(first).rejects.toThrow('a stopped');
    expect(queue.length).toBe(1);
    b.abort(new Error('b stopped'));
    await expect(second).rejects.toThrow('b stopped');
    expect(queue.length).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
