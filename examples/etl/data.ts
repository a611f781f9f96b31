/**
 * The ETL example's input and transformation, free of any jobkit call so the
 * benchmark can run the same transformation in a bare loop.
 */

/** One input record (a line of an input object). */
export interface SaleRecord {
  readonly id: number;
  readonly customer: string;
  readonly amountCents: number;
  readonly day: string;
}

/** mulberry32: a tiny seeded PRNG, so every run generates the same input. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The name of input object `i` (`part-0007.jsonl`).
 *
 * @example
 * ```ts
 * inputName(7); // 'part-0007.jsonl'
 * ```
 */
export function inputName(i: number): string {
  return `part-${String(i).padStart(4, '0')}.jsonl`;
}

/**
 * Input object `i`: `records` JSON lines of sales, the same bytes on every call.
 *
 * @example
 * ```ts
 * const body = generateInput(3, 400); // '{"id":1200,"customer":"c07",...}\n...'
 * ```
 */
export function generateInput(i: number, records: number): string {
  const next = prng(i + 1);
  const lines: string[] = [];
  for (let r = 0; r < records; r++) {
    const record: SaleRecord = {
      id: i * records + r,
      customer: `c${String(Math.floor(next() * 40)).padStart(2, '0')}`,
      amountCents: Math.floor(next() * 100_000),
      day: `2026-11-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`,
    };
    lines.push(JSON.stringify(record));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The transformation: per-customer totals of one input object, as JSON whose
 * bytes depend only on the input (sorted keys and rows), so a retried or
 * duplicated run writes exactly what a clean run writes.
 *
 * @example
 * ```ts
 * const out = transform('part-0003.jsonl', generateInput(3, 400)); // '{"source":"part-0003.jsonl",...}'
 * ```
 */
export function transform(source: string, body: string): string {
  const totals = new Map<string, { orders: number; cents: number; days: Set<string> }>();
  let records = 0;
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as SaleRecord;
    records++;
    const t = totals.get(r.customer) ?? { orders: 0, cents: 0, days: new Set<string>() };
    t.orders++;
    t.cents += r.amountCents;
    t.days.add(r.day);
    totals.set(r.customer, t);
  }
  const customers = [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([customer, t]) => ({ customer, orders: t.orders, cents: t.cents, activeDays: t.days.size }));
  return `${JSON.stringify({ source, records, customers })}\n`;
}
