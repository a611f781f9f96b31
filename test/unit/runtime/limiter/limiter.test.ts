import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../src/runtime/errors.ts';
import { createRateLimiter, type RateLimiter } from '../../../../src/runtime/limiter/limiter.ts';
import { podShare } from '../../../../src/runtime/limiter/options.ts';
import type { JobLogger } from '../../../../src/runtime/types.ts';

/** A limiter on a fake clock: sleep advances it, so no test waits. */
function fake(options: Parameters<typeof podShare>[1] = { ratePerSecond: 10 }, signal?: AbortSignal) {
  let t = 0;
  const lines: Array<{ level: string; msg: string }> = [];
  const log: JobLogger = {
    debug: (_, msg) => lines.push({ level: 'debug', msg }),
    info: (_, msg) => lines.push({ level: 'info', msg }),
    warn: (_, msg) => lines.push({ level: 'warn', msg }),
    error: (_, msg) => lines.push({ level: 'error', msg }),
  };
  const waits: number[] = [];
  const rates: number[] = [];
  let throttles = 0;
  const sleeps: number[] = [];
  const limiter: RateLimiter = createRateLimiter({
    name: 'api',
    limit: podShare('api', options, { count: 1 }),
    log,
    ...(signal === undefined ? {} : { signal }),
    now: () => t,
    wallNow: () => Date.parse('2026-12-03T18:00:00Z') + t,
    sleep: (ms, s) => {
      if (s?.aborted === true) return Promise.reject(s.reason instanceof Error ? s.reason : new Error('aborted'));
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    hooks: { onWait: (ms) => waits.push(ms), onRate: (r) => rates.push(r), onThrottled: () => (throttles += 1) },
  });
  return { limiter, lines, waits, rates, sleeps, throttles: () => throttles, clock: { get: () => t, advance: (ms: number) => (t += ms) } };
}

describe('createRateLimiter (fake clock)', () => {
  it('spaces acquisitions 1/rate apart and reports the time waited', async () => {
    const f = fake({ ratePerSecond: 10 });
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      await f.limiter.acquire();
      at.push(f.clock.get());
    }
    expect(at).toEqual([100, 200, 300, 400, 500]);
    expect(f.waits.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('a throttle halves the rate once per cooldown, never below the floor, and logs once per state change', () => {
    const f = fake({ ratePerSecond: 10, minRatePerSecond: 2 });
    f.limiter.throttled();
    f.limiter.throttled(); // same overload: within the cooldown
    expect(f.limiter.ratePerSecond).toBe(5);
    f.clock.advance(1_000);
    f.limiter.throttled();
    f.clock.advance(1_000);
    f.limiter.throttled();
    expect(f.limiter.ratePerSecond).toBe(2);
    expect(f.throttles()).toBe(4);
    expect(f.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['limiter api throttled: slowed to 5/s']);
  });

  it('successes add back 5 % of the configured rate until it is reached, then log recovered once', () => {
    const f = fake({ ratePerSecond: 20 });
    f.limiter.throttled();
    expect(f.limiter.ratePerSecond).toBe(10);
    for (let i = 0; i < 9; i++) f.limiter.succeeded();
    expect(f.limiter.ratePerSecond).toBeCloseTo(19);
    f.limiter.succeeded();
    f.limiter.succeeded();
    expect(f.limiter.ratePerSecond).toBe(20);
    expect(f.lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['limiter api recovered to 20/s']);
    expect(f.rates[0]).toBe(20);
    expect(f.rates.at(-1)).toBe(20);
  });

  it('Retry-After pauses every acquisition until then (seconds or an HTTP date)', async () => {
    const f = fake({ ratePerSecond: 100 });
    await f.limiter.acquire();
    const t0 = f.clock.get();
    f.limiter.throttled('2');
    await f.limiter.acquire();
    // 2 s of pause, then one interval at the halved rate (50/s).
    expect(f.clock.get() - t0).toBeCloseTo(2_000 + 20);
    const t1 = f.clock.get();
    f.clock.advance(2_000); // past the cooldown
    f.limiter.throttled('Thu, 03 Dec 2026 18:00:09 GMT');
    await f.limiter.acquire();
    expect(f.clock.get()).toBeGreaterThanOrEqual(9_000);
    expect(t1).toBeLessThan(9_000);
  });

  it('run() reads a returned 429 Response with Retry-After, and a success speeds back up', async () => {
    const f = fake({ ratePerSecond: 10 });
    const res = await f.limiter.run(() => new Response('', { status: 429, headers: { 'retry-after': '1' } }));
    expect(res.status).toBe(429);
    expect(f.limiter.ratePerSecond).toBe(5);
    const t = f.clock.get();
    await f.limiter.run(() => 'ok');
    expect(f.clock.get() - t).toBeGreaterThanOrEqual(1_000);
    expect(f.limiter.ratePerSecond).toBeCloseTo(5.5);
  });

  it('run() rethrows; a thrown 503 slows down, another error changes nothing', async () => {
    const f = fake({ ratePerSecond: 10 });
    await expect(f.limiter.run(() => Promise.reject(new Error('ECONNRESET')))).rejects.toThrow('ECONNRESET');
    expect(f.limiter.ratePerSecond).toBe(10);
    await expect(f.limiter.run(() => Promise.reject(Object.assign(new Error('busy'), { statusCode: 503 })))).rejects.toThrow('busy');
    expect(f.limiter.ratePerSecond).toBe(5);
  });

  it('an aborted signal rejects the wait with its reason', async () => {
    const controller = new AbortController();
    const f = fake({ ratePerSecond: 1 }, controller.signal);
    controller.abort(new Error('SIGTERM'));
    await expect(f.limiter.acquire()).rejects.toThrow('SIGTERM');
    const own = new AbortController();
    own.abort(new Error('mine'));
    const g = fake({ ratePerSecond: 1 });
    await expect(g.limiter.acquire(1, { signal: own.signal })).rejects.toThrow('mine');
  });

  it('refuses n above the burst or not > 0 with a ConfigurationError', async () => {
    const f = fake({ ratePerSecond: 10, burst: 3 });
    await expect(f.limiter.acquire(4)).rejects.toThrow(ConfigurationError);
    await expect(f.limiter.acquire(4)).rejects.toThrow('limiter api: acquire(4) asks for more than the burst (3)');
    await expect(f.limiter.acquire(0)).rejects.toThrow('limiter api: acquire(n) needs a number > 0, got 0');
    await f.limiter.acquire(3);
  });
});
