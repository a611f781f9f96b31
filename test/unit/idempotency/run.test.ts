import { describe, expect, it } from 'vitest';
import {
  createIdempotency,
  IdempotencyKeyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyRecordedFailureError,
  IdempotencyResultError,
  idempotent,
  idempotentFn,
} from '../../../src/idempotency/index.ts';
import { recordKey } from '../../../src/idempotency/keys.ts';
import { ConfigurationError, PermanentError, RetryableError } from '../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { CountingStore, deferred, readJson, TestClock, testIdentity } from './helpers.ts';

const identity = testIdentity();

describe('run: exactly once', () => {
  it('runs the function for the first caller and replays its result to later callers', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const ledger = createIdempotency({ store, identity });
    const first = await ledger.runDetailed('order-1', () => ({ receipt: `r-${++runs}` }));
    // A second ledger: another pod, with a cold cache.
    const second = await createIdempotency({ store, identity }).runDetailed('order-1', () => ({ receipt: `r-${++runs}` }));
    expect(runs).toBe(1);
    expect(first).toMatchObject({ value: { receipt: 'r-1' }, replayed: false });
    expect(second).toMatchObject({ value: { receipt: 'r-1' }, replayed: true, cached: false });
  });

  it('gives every caller the value as recorded (JSON), the first caller included', async () => {
    const store = new MemoryStore();
    const when = new Date('2026-11-23T10:00:00Z');
    const first = await createIdempotency({ store, identity }).run('k', () => ({ when }));
    const replay = await createIdempotency({ store, identity }).run('k', () => ({ when }));
    expect(first).toEqual({ when: '2026-11-23T10:00:00.000Z' });
    expect(replay).toEqual(first);
  });

  it('records an undefined result and replays undefined', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const fn = (): void => {
      runs++;
    };
    await expect(createIdempotency({ store, identity }).run('void', fn)).resolves.toBeUndefined();
    await expect(createIdempotency({ store, identity }).run('void', fn)).resolves.toBeUndefined();
    expect(runs).toBe(1);
  });

  it('runs once when many callers in one process race on one key; the others wait and replay', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    let runs = 0;
    const ledgers = Array.from({ length: 8 }, () => createIdempotency({ store, identity, pollMinMs: 1, pollMaxMs: 5 }));
    const results = Promise.all(
      ledgers.map((l) =>
        l.run('shared', async () => {
          runs++;
          await gate.promise;
          return 'done';
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    gate.resolve();
    expect(await results).toEqual(Array(8).fill('done'));
    expect(runs).toBe(1);
    const stats = ledgers.map((l) => l.stats);
    expect(stats.reduce((n, s) => n + s.misses, 0)).toBe(1);
    expect(stats.reduce((n, s) => n + s.hits, 0)).toBe(7);
    expect(stats.reduce((n, s) => n + s.conflicts, 0)).toBeGreaterThanOrEqual(7);
  });

  it("fails at once with onInProgress 'fail' (retryable, exit 75)", async () => {
    const store = new MemoryStore();
    const held = await createIdempotency({ store, identity }).claim('busy');
    expect(held.status).toBe('claimed');
    const err: unknown = await createIdempotency({ store, identity, onInProgress: 'fail' })
      .run('busy', () => 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyKeyInProgressError);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as IdempotencyKeyInProgressError).exitCode).toBe(75);
    expect((err as Error).message).toContain('etl-0-abcde');
    if (held.status === 'claimed') await held.claim.release();
  });

  it('gives up waiting after maxWaitMs with IdempotencyKeyInProgressError', async () => {
    const store = new MemoryStore();
    const held = await createIdempotency({ store, identity }).claim('busy');
    let runs = 0;
    await expect(
      createIdempotency({ store, identity, maxWaitMs: 30, pollMinMs: 5 }).run('busy', () => ++runs),
    ).rejects.toThrow(/gave up after maxWaitMs \(30\)/);
    expect(runs).toBe(0);
    if (held.status === 'claimed') await held.claim.release();
  });

  it('replays to a waiter once the owner completes', async () => {
    const store = new MemoryStore();
    const owner = await createIdempotency({ store, identity }).claim('k');
    const waiter = createIdempotency({ store, identity, pollMinMs: 2, pollMaxMs: 5 }).runDetailed('k', () => 'waiter ran');
    await new Promise((r) => setTimeout(r, 15));
    if (owner.status !== 'claimed') throw new Error('expected a claim');
    await owner.claim.complete('owner result');
    expect(await waiter).toMatchObject({ value: 'owner result', replayed: true });
  });
});

describe('run: payload validation', () => {
  it('throws IdempotencyPayloadMismatchError (permanent, exit 65) instead of replaying another item', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const ledger = createIdempotency({ store, identity });
    await ledger.run('order-1', () => ++runs, { payload: { amount: 10 } });
    for (const l of [ledger, createIdempotency({ store, identity })]) {
      const err: unknown = await l.run('order-1', () => ++runs, { payload: { amount: 99 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdempotencyPayloadMismatchError);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).exitCode).toBe(65);
    }
    // Same payload with keys in another order: same canonical JSON, replays.
    await expect(createIdempotency({ store, identity }).run('order-1', () => ++runs, { payload: { amount: 10 } })).resolves.toBe(1);
    expect(runs).toBe(1);
    expect(ledger.stats.mismatches).toBe(1);
  });

  it('treats "payload" and "no payload" as different', async () => {
    const store = new MemoryStore();
    await createIdempotency({ store, identity }).run('k', () => 1, { payload: { a: 1 } });
    await expect(createIdempotency({ store, identity }).run('k', () => 2)).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
  });

  it('refuses a mismatched payload while the key is still in progress, without waiting', async () => {
    const store = new MemoryStore();
    const held = await createIdempotency({ store, identity }).claim('k', { payload: 1 });
    await expect(createIdempotency({ store, identity }).run('k', () => 0, { payload: 2 })).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
    if (held.status === 'claimed') await held.claim.release();
  });
});

describe('run: when the function throws', () => {
  it('releases the key on a retryable error: the next call runs the function', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const ledger = createIdempotency({ store, identity });
    await expect(
      ledger.run('k', () => {
        runs++;
        throw new RetryableError('upstream 503');
      }),
    ).rejects.toThrow('upstream 503');
    expect(await ledger.check('k')).toEqual({ status: 'absent' });
    await expect(createIdempotency({ store, identity, onInProgress: 'fail' }).run('k', () => ++runs)).resolves.toBe(2);
    expect(ledger.stats.releases).toBe(1);
  });

  it('tells the next run that the thrown run may have done part of the work (takeover), without counting a lease takeover', async () => {
    // The CI failure this guards: SIGTERM aborts a PUT that the server had
    // already committed; the effect happened, the function threw an abort.
    const store = new MemoryStore();
    const effects: string[] = [];
    const controller = new AbortController();
    const first = createIdempotency({ store, identity });
    await expect(
      first.run(
        'k',
        ({ signal }) => {
          effects.push('sent');
          controller.abort(new DOMException('SIGTERM', 'AbortError'));
          signal.throwIfAborted();
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('SIGTERM');
    expect(await readJson(store, recordKey(first.prefix, 'k').storeKey)).toMatchObject({ status: 'RELEASED', partial: true });
    const next = createIdempotency({ store, identity, onInProgress: 'fail' });
    const outcome = await next.runDetailed('k', ({ takeover }) => {
      if (!takeover || !effects.includes('sent')) effects.push('sent');
      return takeover;
    });
    expect(outcome).toMatchObject({ value: true, replayed: false, takeover: true });
    expect(effects).toEqual(['sent']);
    expect(next.stats.takeovers).toBe(0);
  });

  it('marks partial a release after a result that cannot be recorded (the side effect ran)', async () => {
    const store = new MemoryStore();
    const ledger = createIdempotency({ store, identity });
    await expect(ledger.run('k', () => new Map([[1, 2]]))).rejects.toBeInstanceOf(IdempotencyResultError);
    expect(await createIdempotency({ store, identity }).runDetailed('k', () => 'ok')).toMatchObject({ value: 'ok', takeover: true });
  });

  it('releases the key on a permanent error by default', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const fail = (): never => {
      runs++;
      throw new PermanentError('bad row');
    };
    await expect(createIdempotency({ store, identity }).run('k', fail)).rejects.toThrow('bad row');
    await expect(createIdempotency({ store, identity }).run('k', fail)).rejects.toThrow('bad row');
    expect(runs).toBe(2);
  });

  it("records a permanent error with permanentErrors 'record' and replays it without running again", async () => {
    const store = new MemoryStore();
    let runs = 0;
    const fail = (): never => {
      runs++;
      throw new PermanentError('row 7 has no id');
    };
    await expect(createIdempotency({ store, identity, permanentErrors: 'record' }).run('k', fail)).rejects.toBeInstanceOf(PermanentError);
    const replayed: unknown = await createIdempotency({ store, identity }).run('k', fail).catch((e: unknown) => e);
    expect(replayed).toBeInstanceOf(IdempotencyRecordedFailureError);
    expect(replayed).toMatchObject({ message: 'row 7 has no id', originalName: 'PermanentError', exitCode: 65 });
    expect(runs).toBe(1);
  });

  it("still releases crashes (unclassified errors) with permanentErrors 'record'", async () => {
    const store = new MemoryStore();
    await expect(
      createIdempotency({ store, identity, permanentErrors: 'record' }).run('k', () => {
        throw new TypeError('x is undefined');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(createIdempotency({ store, identity }).run('k', () => 'ok')).resolves.toBe('ok');
  });

  it('does not mark completed a result that cannot be serialized, and names the path', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const err: unknown = await createIdempotency({ store, identity })
      .run('k', () => {
        runs++;
        return { rows: [1, 2], client: { send: () => undefined } };
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyResultError);
    expect((err as Error).message).toMatch(/cannot serialize a function at \$\.client\.send/);
    expect((err as Error).message).toMatch(/side effect happened/);
    expect((err as IdempotencyResultError).exitCode).toBe(65);
    await expect(createIdempotency({ store, identity }).run('k', () => ++runs)).resolves.toBe(2);
  });

  it('refuses a result larger than maxResultBytes', async () => {
    await expect(createIdempotency({ store: new MemoryStore(), identity, maxResultBytes: 10 }).run('k', () => 'x'.repeat(20))).rejects.toThrow(
      /22 bytes, more than maxResultBytes \(10\)/,
    );
  });
});

describe('run: TTL', () => {
  it('runs the function again once the completed record is older than ttlMs (+ skew margin)', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    let runs = 0;
    const options = { store, identity, clock: clock.now, ttlMs: 60_000, clockSkewMarginMs: 1_000 };
    const ledger = createIdempotency(options);
    await ledger.run('k', () => ++runs);
    clock.advance(60_000 + 1_000);
    expect(await ledger.run('k', () => ++runs)).toBe(1); // cached, still inside the margin
    expect(await createIdempotency(options).run('k', () => ++runs)).toBe(1);
    clock.advance(1);
    expect(await ledger.run('k', () => ++runs)).toBe(2);
    expect(runs).toBe(2);
  });

  it('keeps a record forever with ttlMs Infinity', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    await createIdempotency({ store, identity, clock: clock.now, ttlMs: Infinity }).run('k', () => 1);
    clock.advance(10 * 365 * 24 * 3_600_000);
    expect(await createIdempotency({ store, identity, clock: clock.now }).run('k', () => 2)).toBe(1);
  });
});

describe('cache', () => {
  it('answers a completed key without any store request', async () => {
    const store = new CountingStore();
    const ledger = createIdempotency({ store, identity });
    await ledger.run('k', () => 'v');
    const before = { gets: store.gets, puts: store.puts };
    expect(await ledger.runDetailed('k', () => 'other')).toMatchObject({ value: 'v', cached: true });
    expect({ gets: store.gets, puts: store.puts }).toEqual(before);
    expect(ledger.stats.cacheHits).toBe(1);
  });

  it('never caches "in progress": the owner completing is seen at once', async () => {
    const store = new MemoryStore();
    const owner = await createIdempotency({ store, identity }).claim('k');
    const other = createIdempotency({ store, identity, onInProgress: 'fail' });
    await expect(other.run('k', () => 'x')).rejects.toBeInstanceOf(IdempotencyKeyInProgressError);
    if (owner.status !== 'claimed') throw new Error('expected a claim');
    await owner.claim.complete('done');
    await expect(other.run('k', () => 'x')).resolves.toBe('done');
  });

  it('hands every caller its own copy of a cached result', async () => {
    const ledger = createIdempotency({ store: new MemoryStore(), identity });
    await ledger.run('k', () => ({ list: [1] }));
    const a = await ledger.run<{ list: number[] }>('k', () => ({ list: [] }));
    a.list.push(2);
    expect(await ledger.run('k', () => ({ list: [] }))).toEqual({ list: [1] });
  });

  it('evicts the least recently used entry beyond cacheSize', async () => {
    const store = new CountingStore();
    const ledger = createIdempotency({ store, identity, cacheSize: 2 });
    for (const k of ['a', 'b', 'c']) await ledger.run(k, () => k);
    const gets = store.gets;
    await ledger.run('c', () => 'x');
    await ledger.run('b', () => 'x');
    expect(store.gets).toBe(gets);
    await ledger.run('a', () => 'x'); // evicted: read from the store
    expect(store.gets).toBe(gets + 1);
  });
});

describe('configuration', () => {
  it('refuses a store that ignores conditional writes (ConfigurationError, exit 78)', async () => {
    const store = new MemoryStore({ ignoreConditions: true });
    let runs = 0;
    const err: unknown = await createIdempotency({ store, identity }).run('k', () => ++runs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).exitCode).toBe(78);
    expect((err as Error).message).toMatch(/idempotency needs an object store that honours conditional writes/);
    expect(runs).toBe(0);
  });

  it.each([
    [{ leaseMs: 0 }, /option leaseMs must be an integer >= 1, got "0"/],
    [{ leaseMs: 1_000, renewEveryMs: 1_000 }, /option renewEveryMs must be below leaseMs \(1000\), got 1000/],
    [{ ttlMs: -5 }, /option ttlMs/],
    [{ onInProgress: 'retry' as never }, /option onInProgress must be one of 'wait', 'fail', got "retry"/],
    [{ permanentErrors: 'ignore' as never }, /option permanentErrors/],
    [{ cacheSize: -1 }, /option cacheSize/],
  ])('names a bad option: %j', (bad, message) => {
    expect(() => createIdempotency({ store: new MemoryStore(), identity, ...bad })).toThrow(message);
    expect(() => createIdempotency({ store: new MemoryStore(), identity, ...bad })).toThrow(ConfigurationError);
  });

  it('checks per-call options too', async () => {
    await expect(createIdempotency({ store: new MemoryStore(), identity }).run('k', () => 1, { maxWaitMs: -1 })).rejects.toThrow(
      /option maxWaitMs/,
    );
  });

  it('needs a store, an identity or a scope, and a usable wrap name', () => {
    expect(() => createIdempotency({ store: new MemoryStore() })).toThrow(ConfigurationError);
    expect(() => createIdempotency({ store: undefined as never, scope: 's' })).toThrow(/option store must be an ObjectStore \(see openStore\), got undefined/);
    expect(() => createIdempotency({ store: new MemoryStore(), scope: 's' }).wrap(() => 1, { name: '' })).toThrow(
      /option name of wrap\(\) must be a usable key/,
    );
  });
});

describe('scopes', () => {
  it('keeps jobs apart by default and shares keys across jobs with an explicit scope', async () => {
    const store = new MemoryStore();
    const job1 = testIdentity({ jobName: 'billing-28901' });
    const job2 = testIdentity({ jobName: 'billing-28902' });
    let runs = 0;
    await createIdempotency({ store, identity: job1 }).run('k', () => ++runs);
    await createIdempotency({ store, identity: job2 }).run('k', () => ++runs);
    expect(runs).toBe(2);
    await createIdempotency({ store, identity: job1, scope: 'nightly-billing' }).run('k', () => ++runs);
    await createIdempotency({ store, identity: job2, scope: 'nightly-billing' }).run('k', () => ++runs);
    expect(runs).toBe(3);
  });

  it('stores a record under the hash of the key: user input never escapes the prefix', async () => {
    const store = new MemoryStore();
    const ledger = createIdempotency({ store, identity, scope: '../../etc' });
    const key = '../../../passwd/%2F..';
    await ledger.run(key, () => 1);
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    expect(keys).toEqual([recordKey(ledger.prefix, key).storeKey]);
    expect(keys[0]).toMatch(/^scopes\/%2E%2E%2F%2E%2E%2Fetc\/idempotency\/[0-9a-f]{64}$/);
  });
});

describe('records', () => {
  it('writes owner, lease and completion fields with their units in the names', async () => {
    const store = new MemoryStore();
    const clock = new TestClock();
    const ledger = createIdempotency({ store, identity, clock: clock.now, ttlMs: 3_600_000, leaseMs: 30_000 });
    const held = await ledger.claim('k', { payload: { id: 1 } });
    const storeKey = recordKey(ledger.prefix, 'k').storeKey;
    expect(await readJson(store, storeKey)).toMatchObject({
      v: 1,
      status: 'IN_PROGRESS',
      claimedAtMs: clock.nowMs,
      leaseExpiresAtMs: clock.nowMs + 30_000,
      owner: { pod: 'etl-0-abcde', podUid: 'uid-1', node: 'node-a', index: 0, attempt: 0, pid: process.pid },
    });
    if (held.status !== 'claimed') throw new Error('expected a claim');
    await held.claim.complete({ ok: true });
    expect(await readJson(store, storeKey)).toMatchObject({
      status: 'COMPLETED',
      completedAtMs: clock.nowMs,
      expiresAtMs: clock.nowMs + 3_600_000,
      result: { ok: true },
    });
  });

  it('refuses to overwrite a record it cannot read', async () => {
    const store = new MemoryStore();
    const ledger = createIdempotency({ store, identity });
    await store.put(recordKey(ledger.prefix, 'k').storeKey, 'not json');
    await expect(ledger.run('k', () => 1)).rejects.toThrow(/is not readable \(not JSON/);
  });
});

describe('standalone forms', () => {
  it('idempotent() takes its whole configuration per call', async () => {
    const store = new MemoryStore();
    let runs = 0;
    expect(await idempotent('k', () => ++runs, { store, scope: 'script' })).toBe(1);
    expect(await idempotent('k', () => ++runs, { store, scope: 'script' })).toBe(1);
    expect(await idempotent('k', () => ++runs, { store, scope: 'other-script' })).toBe(2);
  });

  it('idempotentFn derives keys from the arguments', async () => {
    const store = new MemoryStore();
    const sent: string[] = [];
    const send = idempotentFn((user: string, template: string) => void sent.push(`${user}:${template}`), {
      store,
      scope: 'mail',
      name: 'send',
    });
    await send('u1', 'welcome');
    await send('u1', 'welcome');
    await send('u1', 'reminder');
    expect(sent).toEqual(['u1:welcome', 'u1:reminder']);
  });

  it('idempotentFn with a custom key checks the other arguments as the payload', async () => {
    const store = new MemoryStore();
    const charge = idempotentFn((orderId: string, cents: number) => ({ orderId, cents }), {
      store,
      scope: 'payments',
      name: 'charge',
      key: (orderId) => `charge-${orderId}`,
    });
    expect(await charge('o-1', 500)).toEqual({ orderId: 'o-1', cents: 500 });
    await expect(charge('o-1', 700)).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
  });
});
