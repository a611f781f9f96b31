/**
 * Metrics recorded once per item, kept as plain numbers and handed to
 * prom-client only when the registry is read (at a push).
 *
 * prom-client hashes the label set on every `inc()`/`observe()`, a few hundred
 * nanoseconds each: noticeable on a loop of millions of small items, and paid
 * for nothing between two pushes. Here the per-item cost is an increment and a
 * short bucket scan; the exposition output is the same.
 */
import { Counter, Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';

/**
 * A counter with one label whose values are known up front, counted in plain numbers.
 *
 * @example
 * ```ts
 * const items = createTally(registry, { name: 'jobkit_items_total', help: 'Items.', label: 'outcome', values: ['processed', 'failed'] });
 * items.counts.processed += 1;
 * ```
 */
export function createTally<const V extends string>(
  registry: Registry,
  config: { readonly name: string; readonly help: string; readonly label: string; readonly values: readonly V[] },
): { readonly counts: Record<V, number> } {
  const counts = Object.fromEntries(config.values.map((v) => [v, 0])) as Record<V, number>;
  new Counter({
    name: config.name,
    help: config.help,
    labelNames: [config.label],
    registers: [registry],
    collect() {
      this.reset();
      for (const value of config.values) this.inc({ [config.label]: value }, counts[value]);
    },
  });
  return { counts };
}

/**
 * A label-less histogram whose observations cost a bucket scan and two additions.
 *
 * @example
 * ```ts
 * const duration = createFastHistogram(registry, { name: 'jobkit_item_duration_seconds', help: 'Item time.', buckets: [0.01, 0.1, 1] });
 * duration.observe(0.042);
 * ```
 */
export function createFastHistogram(
  registry: Registry,
  config: { readonly name: string; readonly help: string; readonly buckets: readonly number[] },
): { observe(value: number): void } {
  const bounds = [...config.buckets].sort((a, b) => a - b);
  const counts = new Float64Array(bounds.length + 1); // last slot: above every bound (+Inf only)
  const totals = { sum: 0, count: 0 };
  registry.registerMetric(new PrecountedHistogram(config.name, config.help, bounds, counts, totals));
  return {
    observe(value) {
      if (!Number.isFinite(value)) return;
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      counts[i]! += 1;
      totals.sum += value;
      totals.count += 1;
    },
  };
}

/** A prom-client Histogram whose values come from counts kept outside it. */
class PrecountedHistogram extends Histogram {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #counts: Float64Array;
  readonly #totals: { readonly sum: number; readonly count: number };

  constructor(
    name: string,
    help: string,
    bounds: readonly number[],
    counts: Float64Array,
    totals: { readonly sum: number; readonly count: number },
  ) {
    super({ name, help, buckets: [...bounds], registers: [] });
    this.#name = name;
    this.#help = help;
    this.#bounds = bounds;
    this.#counts = counts;
    this.#totals = totals;
  }

  // The registry's text output reads getForPromString() when a metric has it
  // (prom-client's Histogram does, undeclared in its types), get() otherwise.
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.get();
  }

  override get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const bucket = `${this.#name}_bucket`;
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    this.#bounds.forEach((le, i) => {
      cumulative += this.#counts[i]!;
      values.push({ labels: { le }, value: cumulative, metricName: bucket });
    });
    values.push(
      { labels: { le: '+Inf' }, value: this.#totals.count, metricName: bucket },
      { labels: {}, value: this.#totals.sum, metricName: `${this.#name}_sum` },
      { labels: {}, value: this.#totals.count, metricName: `${this.#name}_count` },
    );
    // prom-client's d.ts types `type` as a numeric enum; at run time it is the string.
    const type = 'histogram' as unknown as MetricObjectWithValues<MetricValueWithName<string>>['type'];
    return Promise.resolve({ name: this.#name, help: this.#help, type, aggregator: 'sum', values, collect: () => {} });
  }
}
