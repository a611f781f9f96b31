/**
 * The clean-up of idempotency records: what it deletes changes no outcome
 * (a deleted record is one a claim would take over anyway), and what a later
 * call still needs is kept.
 */
import { describe, expect, it } from 'vitest';
import { collectExpiredRecords } from '../../../src/idempotency/gc.ts';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { DeleteOptions } from '../../../src/store/types.ts';
import { deferred, testIdentity } from './helpers.ts';

const identity = testIdentity();

describe('collectExpiredRecords', () => {
  it('deletes completed records past their TTL and clean releases; keeps live, in-progress and partial ones', async () => {
    const store = new MemoryStore();
    let nowMs = 1_000_000;
    const clock = (): number => nowMs;
    const shortLived = createIdempotency({ store, identity, clock, ttlMs: 1_000 });
    const forever = createIdempotency({ store, identity, clock, scope: 'forever' });
    for (let i = 0; i < 5; i++) await shortLived.run(`old-${i}`, () => i);
    await forever.run('kept', () => 'k');
    // A function that threw: released as partial, which the next claimer's takeover check needs.
    await shortLived.run('threw', () => Promise.reject(new Error('boom'))).catch(() => undefined);
    // A clean release (no partial effect).
    const outcome = await shortLived.claim('given-back');
    if (outcome.status !== 'claimed') throw new Error('expected a claim');
    await outcome.claim.release();
    // One in progress.
    const gate = deferred();
    const running = shortLived.run('running', async () => {
      await gate.promise;
      return 'r';
    });
    await new Promise((r) => setTimeout(r, 10));

    nowMs += 60_000;
    const result = await collectExpiredRecords({ store, prefix: shortLived.prefix, nowMs });
    expect(result).toMatchObject({ scanned: 8, deleted: 6, live: 1, partial: 1, unreadable: 0, changed: 0 });
    expect(result.deletedBytes).toBeGreaterThan(0);
    // The other scope is untouched.
    expect(await collectExpiredRecords({ store, prefix: forever.prefix, nowMs, dryRun: true })).toMatchObject({ scanned: 1, deleted: 0, live: 1 });

    gate.resolve();
    expect(await running).toBe('r');
    // A deleted record behaves as an expired one: the function runs again.
    let ran = 0;
    await createIdempotency({ store, identity, clock }).run('old-0', () => ++ran);
    expect(ran).toBe(1);
    const takeover = await createIdempotency({ store, identity, clock }).runDetailed('threw', () => 'again');
    expect(takeover.takeover).toBe(true);
  });

  it('with dryRun deletes nothing', async () => {
    const store = new MemoryStore();
    const ledger = createIdempotency({ store, identity, clock: () => 0, ttlMs: 1 });
    await ledger.run('a', () => 1);
    expect(await collectExpiredRecords({ store, prefix: ledger.prefix, nowMs: 10_000_000, dryRun: true })).toMatchObject({ deleted: 1 });
    expect(await collectExpiredRecords({ store, prefix: ledger.prefix, nowMs: 10_000_000, dryRun: true })).toMatchObject({ deleted: 1 });
  });

  it('keeps a record that changed between the read and the delete', async () => {
    class RacingStore extends MemoryStore {
      override async delete(key: string, options?: DeleteOptions): Promise<void> {
        // Another pod claims the key again just before our conditional delete.
        const current = key.includes('/idempotency/') ? await this.get(key) : undefined;
        if (current !== undefined) await this.put(key, `${Buffer.from(current.body).toString()} `);
        return await super.delete(key, options);
      }
    }
    const store = new RacingStore();
    const ledger = createIdempotency({ store, identity, clock: () => 0, ttlMs: 1 });
    await ledger.run('a', () => 1);
    const result = await collectExpiredRecords({ store, prefix: ledger.prefix, nowMs: 10_000_000 });
    expect(result).toMatchObject({ deleted: 0, changed: 1 });
  });
});
