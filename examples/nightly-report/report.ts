/**
 * The data of the nightly-report example: a day's orders, generated from the
 * day and the hour (so every run computes the same report for the same day),
 * and the report itself.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../src/index.ts';

/** One hour's totals per region. */
export type Totals = Readonly<Record<string, { readonly orders: number; readonly cents: number }>>;

const REGIONS = ['eu-west', 'us-east', 'ap-south'] as const;

/** A small deterministic generator, seeded by a string. */
function numbers(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1;
  return () => {
    // xorshift32: enough for demo data, the same on every machine.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/**
 * The orders of one hour of `day` (YYYY-MM-DD), summed per region: what a real
 * report would read from a warehouse partition.
 *
 * @example
 * ```ts
 * hourTotals('2026-12-01', 13); // { 'eu-west': { orders: 41, cents: 812345 }, ... }
 * ```
 */
export function hourTotals(day: string, hour: number): Totals {
  const next = numbers(`${day}T${String(hour).padStart(2, '0')}`);
  const out: Record<string, { orders: number; cents: number }> = {};
  for (const region of REGIONS) {
    const orders = 20 + Math.floor(next() * 40);
    let cents = 0;
    for (let i = 0; i < orders; i++) cents += 500 + Math.floor(next() * 20_000);
    out[region] = { orders, cents };
  }
  return out;
}

/**
 * `a + b`, per region.
 *
 * @example
 * ```ts
 * addTotals({}, hourTotals('2026-12-01', 0));
 * ```
 */
export function addTotals(a: Totals, b: Totals): Totals {
  const out: Record<string, { orders: number; cents: number }> = {};
  for (const region of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[region] = { orders: (a[region]?.orders ?? 0) + (b[region]?.orders ?? 0), cents: (a[region]?.cents ?? 0) + (b[region]?.cents ?? 0) };
  }
  return out;
}

/**
 * The report document for a day: the same bytes whichever run writes it.
 *
 * @example
 * ```ts
 * renderReport('2026-12-01', totals); // '{"day":"2026-12-01","regions":[...]}'
 * ```
 */
export function renderReport(day: string, totals: Totals): string {
  const regions = Object.keys(totals)
    .sort()
    .map((region) => ({ region, orders: totals[region]!.orders, revenue: (totals[region]!.cents / 100).toFixed(2) }));
  return `${JSON.stringify({ day, regions }, null, 2)}\n`;
}

/**
 * The day a run reports on: `REPORT_DAY` when set (a backfill), else the day
 * before the scheduled time, else (a manual run, which has none) the day
 * before now. Never the clock for a scheduled run: a run that starts late
 * (caught up after an outage, or waiting behind another) still reports on
 * the day it was scheduled for.
 *
 * @example
 * ```ts
 * reportDay({ scheduledTime: new Date('2026-12-02T02:00:00Z') }, {}); // '2026-12-01'
 * ```
 */
export function reportDay(run: { readonly scheduledTime: Date | undefined }, env: NodeJS.ProcessEnv, now = new Date()): string {
  const given = env.REPORT_DAY;
  if (given !== undefined && given !== '') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(given) || Number.isNaN(Date.parse(`${given}T00:00:00Z`))) {
      throw new ConfigurationError(`REPORT_DAY must be a date YYYY-MM-DD, got ${JSON.stringify(given)}`);
    }
    return given;
  }
  const base = run.scheduledTime ?? now;
  return new Date(base.getTime() - 86_400_000).toISOString().slice(0, 10);
}
