import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFastHistogram, createTally } from '../../../src/telemetry/hot-path-metrics.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

describe('createFastHistogram', () => {
  it('writes exactly what a prom-client Histogram writes for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 100, noNaN: true })), { maxLength: 50 }), async (values) => {
        const ours = new Registry();
        const theirs = new Registry();
        const fast = createFastHistogram(ours, { name: 'd_seconds', help: 'h', buckets: BUCKETS });
        const reference = new Histogram({ name: 'd_seconds', help: 'h', buckets: BUCKETS, registers: [theirs] });
        for (const v of values) {
          fast.observe(v);
          reference.observe(v);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        const samples = async (r: Registry) =>
          (await r.getMetricsAsJSON()).flatMap((m) =>
            m.values.map((v) => [(v as { metricName?: string }).metricName, v.labels, v.value] as const),
          );
        expect(await samples(ours)).toEqual(await samples(theirs));
      }),
      { numRuns: 50 },
    );
  });

  it('ignores values that are not finite numbers instead of poisoning the sum', async () => {
    const registry = new Registry();
    const fast = createFastHistogram(registry, { name: 'd_seconds', help: 'h', buckets: BUCKETS });
    fast.observe(Number.NaN);
    fast.observe(Number.POSITIVE_INFINITY);
    fast.observe(0.5);
    expect(await registry.metrics()).toContain('d_seconds_sum 0.5\nd_seconds_count 1');
  });
});

describe('createTally', () => {
  it('writes what a labelled prom-client Counter writes for the same increments', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const tally = createTally(ours, { name: 'items_total', help: 'h', label: 'outcome', values: ['ok', 'bad'] });
    const reference = new Counter({ name: 'items_total', help: 'h', labelNames: ['outcome'], registers: [theirs] });
    reference.inc({ outcome: 'ok' }, 0);
    reference.inc({ outcome: 'bad' }, 0);
    for (let i = 0; i < 5; i++) {
      tally.counts.ok += 1;
      reference.inc({ outcome: 'ok' });
    }
    tally.counts.bad += 2;
    reference.inc({ outcome: 'bad' }, 2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // Reading twice does not double-count.
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
