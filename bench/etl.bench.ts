/**
 * ETL overhead: the ETL example (examples/etl/main.ts) end to end with the
 * full SDK (runJob, a frozen shard plan, an idempotency claim and completion
 * per object, cursor checkpoints every 2 objects, metrics) against the same
 * transformation in a bare loop over the same store (list, get, transform,
 * put the output, append the effect record). Both run as a fresh Node
 * process, one pod, no artificial delay. Ratio = bare / SDK (1 = no overhead).
 *
 * Measured on the filesystem store and on the S3-compatible server (MinIO, moto
 * in the second column;
 * started here unless JOBKIT_TEST_S3_ENDPOINT is set).
 *
 * `node bench/etl.bench.ts` (the `--bare <store url>` form is the baseline's child).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateInput, inputName, transform } from '../examples/etl/data.ts';
import { appendEffect } from '../examples/shared/effects.ts';
import { type ObjectStore, joinKey, keySegment, openStore } from '../src/index.ts';
import { type BenchFigure, lowerIsBetter, median, motoColumn, msSince, s3Server, writeResults } from './lib.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RECORDS = 400;
const ROUNDS = 3;

/** The baseline: what the example does per object, without jobkit around it. */
async function bareLoop(store: ObjectStore): Promise<void> {
  const prefix = `${joinKey('etl', 'input')}/`;
  for await (const info of store.list(prefix)) {
    const object = await store.get(info.key);
    if (object === undefined) throw new Error(`${info.key} vanished`);
    const source = decodeURIComponent(info.key.slice(prefix.length));
    const name = source.replace(/\.jsonl$/, '');
    const output = transform(source, Buffer.from(object.body).toString('utf8'));
    await store.put(joinKey('etl', 'output', keySegment(`${name}.json`)), output);
    await appendEffect(store, ['etl', 'effects'], name, { signal: AbortSignal.timeout(60_000), takeover: false });
  }
}

if (process.argv[2] === '--bare') {
  const store = openStore(process.argv[3]);
  await bareLoop(store);
  await store.close();
  process.exit(0);
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(msSince(start)) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

async function measure(label: string, storeUrl: string, objects: number, env: NodeJS.ProcessEnv): Promise<BenchFigure> {
  const store = openStore(storeUrl, { env });
  for (let i = 0; i < objects; i++) await store.put(joinKey('etl', 'input', keySegment(inputName(i))), generateInput(i, RECORDS));
  await store.close();
  const sdk: number[] = [];
  const bare: number[] = [];
  const bench = fileURLToPath(import.meta.url);
  for (let round = 0; round <= ROUNDS; round++) {
    const podEnv = {
      ...env,
      JOBKIT_STORE: storeUrl,
      JOBKIT_JOB_NAME: `etl-bench-${round}`, // a fresh plan and ledger each round: no replays
      JOBKIT_INDEX: '0',
      JOBKIT_COUNT: '1',
      JOBKIT_LOG_LEVEL: 'warn',
      ETL_INPUT_OBJECTS: '0',
      ETL_ITEM_DELAY_MS: '0',
      ETL_CHECKPOINT_EVERY: '2',
    };
    const s = await run(['examples/etl/main.ts'], podEnv);
    const b = await run([bench, '--bare', storeUrl], podEnv);
    // Round 0 warms the file cache and the server; it is not counted.
    if (round > 0) {
      sdk.push(s);
      bare.push(b);
    }
  }
  const value = median(sdk);
  const baseline = median(bare);
  return {
    name: `ETL example, ${objects} objects x ${RECORDS} records, ${label}`,
    value,
    unit: 'ms',
    baseline,
    baselineName: 'bare loop (list, get, transform, put, append effect)',
    ratio: lowerIsBetter(value, baseline),
    note: `median of ${ROUNDS}, each a fresh Node process (start-up included in both); SDK adds a plan freeze, 2 ledger writes per object and a checkpoint every 2 objects`,
  };
}

const figures: BenchFigure[] = [];
const dir = mkdtempSync(join(tmpdir(), 'jobkit-etl-bench-'));
try {
  if (!motoColumn()) figures.push(await measure('fs store', `file://${dir}`, 200, process.env));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const services = await import('../test/setup/services.ts');
const ownServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (ownServers) await services.setup();
try {
  const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT ?? '';
  const url = `s3://${process.env.JOBKIT_TEST_S3_BUCKET ?? ''}/bench-etl-${Date.now()}`;
  figures.push({ ...(await measure('S3', url, 100, { ...process.env, AWS_ENDPOINT_URL_S3: endpoint })), server: s3Server(), target: '>= 0.8' });
} finally {
  if (ownServers) await services.teardown();
}
writeResults('etl', figures);
