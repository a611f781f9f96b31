import { describe, expect, it } from 'vitest';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { CountingStore, testIdentity } from './helpers.ts';

const identity = testIdentity();
const keys = Array.from({ length: 40 }, (_, i) => `item-${i}`);

describe('batch API', () => {
  it('checkMany reports each key in order, with bounded concurrency, and warms the cache', async () => {
    const store = new CountingStore();
    const writer = createIdempotency({ store, identity });
    for (const k of keys.slice(0, 10)) await writer.run(k, () => k.toUpperCase());
    const held = await writer.claim('item-10');
    store.latencyMs = 2;
    store.maxInFlight = 0;
    const reader = createIdempotency({ store, identity });
    const states = await reader.checkMany(keys, { concurrency: 4 });
    expect(store.maxInFlight).toBeLessThanOrEqual(4);
    for (const [i, k] of keys.slice(0, 10).entries()) expect(states[i]).toMatchObject({ status: 'completed', result: k.toUpperCase() });
    expect(states[10]).toMatchObject({ status: 'in-progress', expired: false });
    expect(states.slice(11).every((s) => s.status === 'absent')).toBe(true);
    const gets = store.gets;
    expect(await reader.run('item-3', () => 'never')).toBe('ITEM-3');
    expect(store.gets).toBe(gets); // answered by the cache checkMany filled
    if (held.status === 'claimed') await held.claim.release();
  });

  it('claimMany claims free keys, reports taken ones, and bounds concurrency', async () => {
    const store = new CountingStore();
    const other = createIdempotency({ store, identity });
    await other.run('item-0', () => 'done');
    const busy = await other.claim('item-1');
    store.latencyMs = 2;
    store.maxInFlight = 0;
    const ledger = createIdempotency({ store, identity });
    const outcomes = await ledger.claimMany(keys, { concurrency: 3 });
    expect(store.maxInFlight).toBeLessThanOrEqual(3);
    expect(outcomes[0]).toMatchObject({ status: 'completed', result: 'done' });
    expect(outcomes[1]).toMatchObject({ status: 'in-progress' });
    const claims = outcomes.flatMap((o) => (o.status === 'claimed' ? [o.claim] : []));
    expect(claims.map((c) => c.key)).toEqual(keys.slice(2));
    await Promise.all(claims.map((c, i) => c.complete(i)));
    expect(await createIdempotency({ store, identity }).run('item-2', () => 'x')).toBe(0);
    if (busy.status === 'claimed') await busy.claim.release();
  });

  it('runMany runs each item once across two racing ledgers, results in item order', async () => {
    const store = new MemoryStore();
    const ran: string[] = [];
    const items = keys.map((k, i) => ({ id: k, n: i }));
    const go = () =>
      createIdempotency({ store, identity, pollMinMs: 1, pollMaxMs: 5 }).runMany(
        items,
        (item) => item.id,
        async (item) => {
          ran.push(item.id);
          await new Promise((r) => setTimeout(r, 1));
          return item.n * 2;
        },
        { concurrency: 5, payloadOf: (item) => item },
      );
    const [a, b] = await Promise.all([go(), go()]);
    expect(a).toEqual(items.map((i) => i.n * 2));
    expect(b).toEqual(a);
    expect(ran.sort()).toEqual([...keys].sort());
  });

  it('runMany stops launching after the first error and throws it', async () => {
    const ledger = createIdempotency({ store: new MemoryStore(), identity });
    const started: number[] = [];
    await expect(
      ledger.runMany(
        [0, 1, 2, 3, 4, 5, 6, 7],
        (n) => `n-${n}`,
        (n) => {
          started.push(n);
          if (n === 1) throw new Error('boom');
          return n;
        },
        { concurrency: 2 },
      ),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(8);
  });
});
