/**
 * A caller that meets another owner's live lease says so (once per call, at
 * info, naming the key as given, the owner and when the lease expires) and
 * counts the wait; the default lease frees a crashed owner's key in about 15 s.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SKEW_MARGIN_MS, DEFAULT_LEASE_MS } from '../../../src/idempotency/constants.ts';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import type { IdempotencyEvent } from '../../../src/idempotency/types.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { captureLines } from '../telemetry/helpers.ts';
import { deferred, testIdentity } from './helpers.ts';

describe('waiting on another owner', () => {
  it('logs once at info with the key, the owner and the expiry, and counts the wait', async () => {
    const store = new MemoryStore();
    const owner = createIdempotency({ store, identity: testIdentity({ podName: 'etl-0-owner' }) });
    const { stream, lines } = captureLines();
    const events: IdempotencyEvent['type'][] = [];
    const waiter = createIdempotency({
      store,
      identity: testIdentity({ podName: 'etl-0-waiter' }),
      log: createLogger({ destination: stream, level: 'info' }),
      pollMinMs: 1,
      pollMaxMs: 5,
      onEvent: (e) => events.push(e.type),
    });
    const gate = deferred();
    const started = deferred();
    const first = owner.run('invoice-42', async () => {
      started.resolve();
      await gate.promise;
      return 'r1';
    });
    await started.promise;
    const second = waiter.run('invoice-42', () => 'r2');
    await new Promise((r) => setTimeout(r, 50)); // several polls
    gate.resolve();
    expect(await first).toBe('r1');
    expect(await second).toBe('r1');

    const waits = lines().filter((l) => String(l.msg).includes("held by another owner's lease"));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ level: 'info', key: 'invoice-42' });
    expect(String(waits[0]!.owner)).toContain('etl-0-owner');
    expect(Date.parse(String(waits[0]!.leaseExpiresAt))).toBeGreaterThan(Date.now() - 60_000);
    expect(events.filter((e) => e === 'lease-wait')).toHaveLength(1);
    expect(waiter.stats.leaseWaits).toBe(1);
  });

  it('frees a crashed owner\'s key within about 15 s by default', () => {
    expect(DEFAULT_LEASE_MS + DEFAULT_CLOCK_SKEW_MARGIN_MS).toBeLessThanOrEqual(15_000);
  });
});
