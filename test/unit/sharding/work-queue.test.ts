import { describe, expect, it } from 'vitest';
import { isTransientError } from '../../../src/runtime/classify.ts';
import { ConfigurationError, FencedError, PermanentError } from '../../../src/runtime/errors.ts';
import type { Lifecycle, ShutdownHook } from '../../../src/runtime/types.ts';
import { LeaseLostError } from '../../../src/sharding/errors.ts';
import type { ChunkRecord } from '../../../src/sharding/queue-format.ts';
import { chunkBounds, createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './identity.ts';

// Short leases keep these fast; no assertion depends on timing.
// Leases far longer than the renewal period and the chunks: a loaded machine's event-loop stalls do not let a live lease lapse.
const FAST = { leaseMs: 1_000, renewEveryMs: 100, pollMs: 10 } as const;
const identity = testIdentity();

describe('work queue', () => {
  it('several workers complete every chunk exactly once, fast ones taking more', async () => {
    const store = new MemoryStore();
    const runs = new Map<number, number>();
    const worker = (delayMs: number, id: string) =>
      createWorkQueue({ store, identity, chunks: 40, workerId: id, ...FAST }).run(async ({ chunk }) => {
        runs.set(chunk, (runs.get(chunk) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, delayMs));
      });
    const summaries = await Promise.all([worker(1, 'fast'), worker(8, 'slow-1'), worker(8, 'slow-2')]);
    const completed = summaries.flatMap((s) => s.completed);
    expect(completed.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(summaries[0].completed.length).toBeGreaterThan(summaries[1].completed.length);
    const status = await createWorkQueue({ store, identity, chunks: 40 }).status();
    expect([...status.values()].every((r) => r.state === 'done')).toBe(true);
  });

  it('tells onProgress how many chunks are left, never more than before, down to 0 at the end', async () => {
    const store = new MemoryStore();
    const seen: { name: string; chunks: number; left: number }[] = [];
    const other = createWorkQueue({ store, identity, chunks: 6, name: 'reindex', workerId: 'other', ...FAST });
    // Another worker finished two chunks before this one starts: the first scan already counts them once read.
    let n = 0;
    await other
      .run(async () => {
        await Promise.resolve();
        if (++n > 2) throw new Error('stop after two');
      })
      .catch(() => undefined);
    const summary = await createWorkQueue({ store, identity, chunks: 6, name: 'reindex', workerId: 'me', ...FAST, onProgress: (p) => seen.push({ ...p }) }).run(async () => {
      await Promise.resolve();
    });
    expect(summary.completed.length).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.name === 'reindex' && p.chunks === 6)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.left).toBeLessThanOrEqual(seen[i - 1]!.left);
    expect(seen.at(-1)!.left).toBe(0);
  });

  it("takes over a dead worker's expired lease by compare-and-swap", async () => {
    const store = new MemoryStore();
    const queue = createWorkQueue({ store, identity, chunks: 2, workerId: 'survivor', ...FAST });
    const nowMs = Date.now();
    const dead: ChunkRecord = {
      version: 1, chunk: 1, state: 'leased', owner: 'dead-pod', attempt: 1, failures: 0, leaseMs: 150,
      leasedAtMs: nowMs, renewedAtMs: nowMs, expiresAtMs: nowMs + 150,
    };
    await store.put(queue.chunkKey(1), JSON.stringify(dead), { ifNoneMatch: '*' });
    const attempts: [number, number, string | undefined][] = [];
    const summary = await queue.run(async ({ chunk, attempt, takenOverFrom }) => {
      attempts.push([chunk, attempt, takenOverFrom]);
      await Promise.resolve();
    });
    expect([...summary.completed].sort()).toEqual([0, 1]);
    expect(summary.takenOver).toEqual([1]);
    expect(attempts).toContainEqual([1, 2, 'dead-pod']);
    const record = (await queue.status()).get(1)!;
    expect(record).toMatchObject({ state: 'done', owner: 'survivor', attempt: 2, takenOverFrom: 'dead-pod' });
  });

  it('a worker whose lease was taken over stops (LeaseLostError) and does not record completion', async () => {
    const store = new MemoryStore();
    const queue = createWorkQueue({ store, identity, chunks: 1, workerId: 'slow', ...FAST });
    let reason: unknown;
    const running = queue.run(async ({ signal, attempt }) => {
      if (attempt > 1) return;
      // Someone else takes the chunk while this worker still works on it.
      const current = (await store.get(queue.chunkKey(0)))!;
      const record = JSON.parse(Buffer.from(current.body).toString('utf8')) as ChunkRecord;
      await store.put(queue.chunkKey(0), JSON.stringify({ ...record, owner: 'thief', attempt: 2 }), { ifMatch: current.info.etag });
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reason = signal.reason;
      throw reason;
    });
    // The thief "dies" too: after expiry the slow worker takes the chunk back and finishes it.
    const summary = await running;
    expect(reason).toBeInstanceOf(LeaseLostError);
    // Same exit class as a lost idempotency lease: not the pod's fault, not counted (docs/exit-codes.md, "Lost leases").
    expect(reason).toBeInstanceOf(FencedError);
    expect((reason as LeaseLostError).exitCode).toBe(73);
    expect(isTransientError(reason)).toBe(false); // retry() never runs a lost chunk again
    expect(summary).toMatchObject({ leasesLost: [0] });
    expect((await queue.status()).get(0)).toMatchObject({ state: 'done', owner: 'slow', attempt: 3, takenOverFrom: 'thief' });
  });

  it('releases a chunk whose handler failed so others retry it, and rethrows', async () => {
    const store = new MemoryStore();
    const failing = createWorkQueue({ store, identity, chunks: 1, workerId: 'a', ...FAST });
    await expect(failing.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await failing.status()).get(0)).toMatchObject({ state: 'released', failures: 1, lastError: 'Error: boom' });
    const summary = await createWorkQueue({ store, identity, chunks: 1, workerId: 'b', ...FAST }).run(() => Promise.resolve());
    expect(summary.completed).toEqual([0]);
  });

  it('marks a chunk failed after maxFailuresPerChunk and ends with a PermanentError once the rest is done', async () => {
    const store = new MemoryStore();
    const options = { store, identity, chunks: 3, maxFailuresPerChunk: 2, ...FAST };
    const handler = ({ chunk }: { chunk: number }) => (chunk === 1 ? Promise.reject(new Error('bad row')) : Promise.resolve());
    for (let i = 0; i < 2; i++) await createWorkQueue(options).run(handler).catch(() => undefined);
    expect((await createWorkQueue(options).status()).get(1)).toMatchObject({ state: 'failed', failures: 2 });
    const err = await createWorkQueue(options).run(handler).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/chunks 1 failed/);
  });

  it('hands its chunk back at shutdown instead of letting it expire', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const hooks: ShutdownHook[] = [];
    const lifecycle: Lifecycle = {
      signal: controller.signal,
      onShutdown: (hook) => {
        hooks.push(hook);
        return () => hooks.splice(hooks.indexOf(hook), 1);
      },
    };
    const queue = createWorkQueue({ store, identity, chunks: 1, lifecycle, ...FAST, leaseMs: 60_000, renewEveryMs: 20_000 });
    const run = queue.run(async ({ signal }) => {
      expect(hooks.map((h) => h.phase)).toEqual(['release']);
      controller.abort(new Error('SIGTERM'));
      signal.throwIfAborted();
      await Promise.resolve();
    });
    await expect(run).rejects.toThrow('SIGTERM');
    expect((await queue.status()).get(0)).toMatchObject({ state: 'released', failures: 0 });
    expect(hooks).toEqual([]);
  });

  it('refuses workers that disagree on the chunk count, and bad options', async () => {
    const store = new MemoryStore();
    await createWorkQueue({ store, identity, chunks: 2, ...FAST }).run(() => Promise.resolve());
    await expect(createWorkQueue({ store, identity, chunks: 3, ...FAST }).run(() => Promise.resolve())).rejects.toThrow(
      /created with chunks=2, this worker has chunks=3/,
    );
    expect(() => createWorkQueue({ store, identity, chunks: 0 })).toThrow(/chunks must be an integer >= 1, got 0/);
    expect(() => createWorkQueue({ store, identity, chunks: 1, leaseMs: 100, renewEveryMs: 100 })).toThrow(ConfigurationError);
  });

  it('refuses a store that ignores conditional writes', async () => {
    const store = new MemoryStore({ ignoreConditions: true });
    await expect(createWorkQueue({ store, identity, chunks: 1 }).run(() => Promise.resolve())).rejects.toThrow(/conditional writes/);
  });

  it('cuts a range into chunks', () => {
    expect(chunkBounds(10, 3, 0)).toEqual({ start: 0, end: 4 });
    expect(chunkBounds(10, 3, 2)).toEqual({ start: 7, end: 10 });
  });
});
