import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../src/util/bounded.ts';

/** A call that finishes when the test says so, so in-flight counts are exact without timers. */
function gate(): { readonly promise: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('mapBounded', () => {
  it('keeps input order and never runs more than `concurrency` calls at once', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const out = await mapBounded(items, 4, async (n) => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      await Promise.resolve();
      running--;
      return n * 10;
    });
    expect(out).toEqual(items.map((n) => n * 10));
    expect(most).toBe(4);
  });

  it('starts nothing after the first failure and throws it once the running calls settled', async () => {
    const started: number[] = [];
    const slow = gate();
    let slowSettled = false;
    const run = mapBounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 0) {
        await slow.promise;
        slowSettled = true;
        return n;
      }
      throw new Error(`item ${n} failed`);
    });
    let settled = false;
    void run.catch(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // item 0 is still running
    slow.open();
    await expect(run).rejects.toThrow('item 1 failed');
    expect(slowSettled).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it('an aborted signal stops launching calls and throws its reason', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = mapBounded(
      [0, 1, 2, 3],
      1,
      async (n) => {
        started.push(n);
        if (n === 1) controller.abort(new Error('stop'));
        await Promise.resolve();
        return n;
      },
      controller.signal,
    );
    await expect(run).rejects.toThrow('stop');
    expect(started).toEqual([0, 1]);
  });

  it('maps an empty list to an empty list', async () => {
    expect(await mapBounded([], 3, () => Promise.reject(new Error('never called')))).toEqual([]);
  });
});
