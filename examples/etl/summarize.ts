/**
 * After the ETL example: copy its outputs out of the store (JOBKIT_STORE) into
 * plain files in a directory, and print what the run produced. The demo
 * (scripts/demo.sh) ends with it.
 *
 * Usage: node examples/etl/summarize.ts <directory for the plain output files>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joinKey, openStore } from '../../src/index.ts';
import { countEffects } from '../shared/effects.ts';

interface Output {
  readonly source: string;
  readonly records: number;
  readonly customers: readonly { customer: string; orders: number; cents: number }[];
}

const target = process.argv[2];
if (target === undefined) {
  process.stderr.write('usage: node examples/etl/summarize.ts <output directory>\n');
  process.exit(2);
}
const store = openStore(process.env.JOBKIT_STORE);
try {
  await mkdir(target, { recursive: true });
  const prefix = `${joinKey('etl', 'output')}/`;
  let files = 0;
  let records = 0;
  const cents = new Map<string, number>();
  for await (const info of store.list(prefix)) {
    const object = await store.get(info.key);
    if (object === undefined) continue;
    const name = decodeURIComponent(info.key.slice(prefix.length));
    await writeFile(join(target, name), object.body);
    const output = JSON.parse(Buffer.from(object.body).toString('utf8')) as Output;
    files++;
    records += output.records;
    for (const c of output.customers) cents.set(c.customer, (cents.get(c.customer) ?? 0) + c.cents);
  }
  const effects = await countEffects(store, ['etl', 'effects']);
  const repeated = [...effects.values()].filter((n) => n !== 1).length;
  const top = [...cents.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  process.stdout.write(
    [
      `outputs: ${files} files (${records} records) in ${target}`,
      `side effects: ${effects.size} recorded, ${repeated === 0 ? 'each exactly once' : `${repeated} repeated!`}`,
      `top customers: ${top.map(([c, v]) => `${c} $${(v / 100).toFixed(2)}`).join(', ')}`,
      '',
    ].join('\n'),
  );
} finally {
  await store.close();
}
