import { describe, expect, it } from 'vitest';
import { createIdempotency, IdempotencyLeaseLostError } from '../../../src/idempotency/index.ts';
import { recordKey } from '../../../src/idempotency/keys.ts';
import { FencedError } from '../../../src/runtime/errors.ts';
import type { Lifecycle, ShutdownHook } from '../../../src/runtime/types.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { CountingStore, deferred, readJson, TestClock, testIdentity } from './helpers.ts';

const identity = testIdentity();

function claimed<T extends { status: string }>(outcome: T): Extract<T, { status: 'claimed' }> {
  if (outcome.status !== 'claimed') throw new Error(`expected a claim, got ${outcome.status}`);
  return outcome as Extract<T, { status: 'claimed' }>;
}

describe('leases and takeover', () => {
  it('takes over a crashed owner only after its lease (+ skew margin) expired, exactly once', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    const options = { store, identity, clock: clock.now, leaseMs: 60_000, clockSkewMarginMs: 5_000, onInProgress: 'fail' as const };
    // The owner claims, then "crashes": it never settles and (real timers) never renews in this test.
    const crashed = claimed(await createIdempotency(options).claim('k'));
    let runs = 0;
    clock.advance(60_000 + 5_000);
    await expect(createIdempotency(options).run('k', () => ++runs)).rejects.toThrow(/is in progress/);
    clock.advance(1);
    const takers = Array.from({ length: 5 }, () => createIdempotency(options));
    const outcomes = await Promise.allSettled(takers.map((l) => l.runDetailed('k', () => ++runs)));
    expect(runs).toBe(1);
    expect(outcomes.filter((o) => o.status === 'fulfilled' && !o.value.replayed)).toHaveLength(1);
    expect(outcomes.find((o) => o.status === 'fulfilled' && !o.value.replayed)).toMatchObject({ value: { takeover: true } });
    expect(takers.reduce((n, l) => n + l.stats.takeovers, 0)).toBe(1);
    // The old owner comes back: its result is not recorded.
    const err: unknown = await crashed.claim.complete('late').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyLeaseLostError);
    expect(err).toBeInstanceOf(FencedError);
    expect((err as FencedError).exitCode).toBe(73);
    const record = await readJson(store, recordKey(takers[0]!.prefix, 'k').storeKey);
    expect(record).toMatchObject({ status: 'COMPLETED', result: 1 });
  });

  it('counts takeovers in the record', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    const options = { store, identity, clock: clock.now, leaseMs: 1_000, clockSkewMarginMs: 0 };
    claimed(await createIdempotency(options).claim('k'));
    clock.advance(1_001);
    claimed(await createIdempotency(options).claim('k'));
    clock.advance(1_001);
    const third = claimed(await createIdempotency(options).claim('k'));
    expect(third.claim.takeover).toBe(true);
    expect(await readJson(store, third.claim.storeKey)).toMatchObject({ status: 'IN_PROGRESS', takeovers: 2 });
  });

  it('renews the lease while a long function runs, so nobody takes over', async () => {
    const store = new MemoryStore();
    // Real timers: the function outlives its first lease, so only renewals keep it. The lease is far
    // longer than the renewal period, so a loaded machine (event-loop stalls of several hundred ms) does not
    // let it lapse between two renewals; a keeper that never renews loses it after 1 s.
    const options = { store, identity, leaseMs: 1_000, renewEveryMs: 50, clockSkewMarginMs: 0 };
    let runs = 0;
    const long = createIdempotency(options).run('k', async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 1_600));
      return 'long';
    });
    await new Promise((r) => setTimeout(r, 20));
    // A waiter polls for more than a lease's worth of time; it must replay, never run.
    const waiter = createIdempotency({ ...options, pollMinMs: 10, pollMaxMs: 20 }).run('k', () => ++runs);
    expect(await long).toBe('long');
    expect(await waiter).toBe('long');
    expect(runs).toBe(1);
  });

  it('aborts the function and records nothing when the lease is taken over', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    const options = { store, identity, clock: clock.now, leaseMs: 10_000, renewEveryMs: 20, clockSkewMarginMs: 0 };
    const started = deferred();
    let abortReason: unknown;
    const owner = createIdempotency(options).run('k', async ({ signal }) => {
      started.resolve();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      abortReason = signal.reason;
      return 'stale';
    });
    await started.promise;
    // Another pod's clock is far ahead: to it the lease has expired.
    const aheadClock = new TestClock();
    aheadClock.nowMs = clock.nowMs + 20_000;
    const taker = await createIdempotency({ ...options, clock: aheadClock.now }).run('k', () => 'fresh');
    expect(taker).toBe('fresh');
    await expect(owner).rejects.toBeInstanceOf(IdempotencyLeaseLostError);
    expect(abortReason).toBeInstanceOf(IdempotencyLeaseLostError);
    expect((abortReason as Error).message).toMatch(/taken over by pod etl-0-abcde/);
    expect(await createIdempotency(options).run('k', () => 'again')).toBe('fresh');
  });

  it('tells the function to stop when no renewal succeeds before the lease expires', async () => {
    const store = new CountingStore();
    const options = { store, identity, leaseMs: 80, renewEveryMs: 60, clockSkewMarginMs: 0 };
    let reason: unknown;
    const run = createIdempotency(options).run('k', async ({ signal }) => {
      // The store becomes unreachable for renewals (every put hangs past the lease).
      store.latencyMs = 500;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reason = signal.reason;
      store.latencyMs = 0;
      throw signal.reason;
    });
    await expect(run).rejects.toBeInstanceOf(IdempotencyLeaseLostError);
    expect((reason as Error).message).toMatch(/no renewal succeeded before the lease expired/);
  });

  it('recognises its own claim when the create response was lost', async () => {
    const store = new CountingStore();
    const ledger = createIdempotency({ store, identity });
    await ledger.claim('warm-up-probe').then((o) => (o.status === 'claimed' ? o.claim.release() : undefined));
    store.loseResponses = 1; // the create lands, the caller sees a 503 and retries: 412
    let runs = 0;
    expect(await ledger.runDetailed('k', () => ++runs)).toMatchObject({ value: 1, replayed: false });
    store.loseResponses = 1; // the completion lands, its response is lost
    expect(await ledger.runDetailed('k2', () => ++runs)).toMatchObject({ value: 2, replayed: false });
    expect(await createIdempotency({ store, identity, onInProgress: 'fail' }).run('k2', () => ++runs)).toBe(2);
    expect(runs).toBe(2);
  });
});

describe('releases', () => {
  it('lets the next claimant in at once after release(), without a takeover', async () => {
    const store = new MemoryStore();
    const first = claimed(await createIdempotency({ store, identity }).claim('k'));
    await first.claim.release();
    await first.claim.release(); // idempotent
    const next = createIdempotency({ store, identity, onInProgress: 'fail' });
    expect(await next.runDetailed('k', () => 1)).toMatchObject({ value: 1, takeover: false });
    expect(next.stats.takeovers).toBe(0);
  });

  it('releases held claims at shutdown through the lifecycle hook', async () => {
    const store = new MemoryStore();
    const hooks: ShutdownHook[] = [];
    const lifecycle: Lifecycle = {
      signal: new AbortController().signal,
      onShutdown: (hook) => {
        hooks.push(hook);
        return () => undefined;
      },
    };
    const ledger = createIdempotency({ store, identity, lifecycle });
    claimed(await ledger.claim('a'));
    claimed(await ledger.claim('b'));
    expect(hooks.map((h) => [h.name, h.phase])).toEqual([['idempotency.release-claims', 'release']]);
    await hooks[0]!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 1_000 });
    const other = createIdempotency({ store, identity, onInProgress: 'fail' });
    expect(await other.run('a', () => 'a2')).toBe('a2');
    expect(await other.run('b', () => 'b2')).toBe('b2');
  });

  it('does not release at shutdown a claim whose function is still running', async () => {
    const store = new MemoryStore();
    const hooks: ShutdownHook[] = [];
    const lifecycle: Lifecycle = {
      signal: new AbortController().signal,
      onShutdown: (hook) => {
        hooks.push(hook);
        return () => undefined;
      },
    };
    const gate = deferred();
    const started = deferred();
    const running = createIdempotency({ store, identity, lifecycle }).run('k', async () => {
      started.resolve();
      await gate.promise;
      return 'owner';
    });
    await started.promise;
    await hooks[0]!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 1_000 });
    const other = createIdempotency({ store, identity, onInProgress: 'fail' });
    await expect(other.run('k', () => 'intruder')).rejects.toThrow(/is in progress/);
    gate.resolve();
    expect(await running).toBe('owner');
    expect(await other.run('k', () => 'intruder')).toBe('owner');
  });

  it("passes the ledger's default signal (job.signal) to the function", async () => {
    const controller = new AbortController();
    const ledger = createIdempotency({ store: new MemoryStore(), identity, signal: controller.signal });
    const run = ledger.run('k', ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))));
    setTimeout(() => controller.abort(new DOMException('SIGTERM', 'AbortError')), 5);
    await expect(run).rejects.toThrow('SIGTERM');
    await expect(ledger.run('k2', () => 1)).rejects.toThrow('SIGTERM');
  });

  it('releases the key when the caller aborts (SIGTERM), so the next pod need not wait', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const run = createIdempotency({ store, identity }).run(
      'k',
      async ({ signal }) => {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new DOMException('stopping', 'AbortError')), 10);
    await expect(run).rejects.toThrow('stopping');
    expect(await createIdempotency({ store, identity, onInProgress: 'fail' }).run('k', () => 'next pod')).toBe('next pod');
  });
});
