/**
 * `jobkit gc`: the clean-up path for what runs leave in the store. Expired
 * idempotency records of a job (or scope) are deleted with conditional
 * deletes; with `--plans`, its frozen shard plans and work-queue records too
 * (only once the Job has finished: running pods read them); with
 * `--attempts`, every index's attempt records and dead letters (same rule:
 * a running attempt reads them at start).
 */
import { parseArgs } from 'node:util';
import { collectExpiredRecords, type CollectExpiredResult } from '../idempotency/gc.ts';
import { recordsPrefix } from '../idempotency/keys.ts';
import { exitCodeOf } from '../runtime/classify.ts';
import { storedJobIdentity } from '../job/job-status.ts';
import { indexOfKey, perIndexListPrefix, scopePrefix } from '../store/keys.ts';
import { isLineageKey } from '../job/attempts/inspect.ts';
import { openStore } from '../store/open.ts';
import type { ObjectStore } from '../store/types.ts';
import { GC_USAGE } from './usage.ts';

/** What `--plans` removes under the job's (or scope's) prefix. */
const SHARDING_AREAS = ['shard-plans', 'work-queues'] as const;

/** The result of `jobkit gc`, as printed with `-o json`. */
export interface GcReport {
  readonly store: string;
  readonly prefix: string;
  readonly dryRun: boolean;
  readonly records: CollectExpiredResult;
  /** Objects of shard plans and work queues deleted (`--plans`), else undefined. */
  readonly shardingObjects: number | undefined;
  /** Attempt records and dead letters deleted (`--attempts`), else undefined. */
  readonly attemptObjects: number | undefined;
}

async function deleteLineage(store: ObjectStore, base: string, dryRun: boolean): Promise<number> {
  let n = 0;
  for await (const info of store.list(perIndexListPrefix(base))) {
    const index = indexOfKey(base, info.key);
    if (index === undefined || !isLineageKey(`${base}/index-${index}`, info.key)) continue;
    if (!dryRun) await store.delete(info.key);
    n++;
  }
  return n;
}

async function deleteUnder(store: ObjectStore, prefix: string, dryRun: boolean): Promise<number> {
  let n = 0;
  for await (const info of store.list(`${prefix}/`)) {
    if (!dryRun) await store.delete(info.key);
    n++;
  }
  return n;
}

/**
 * Runs `jobkit gc` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await gcCommand(['--job', 'etl', '--namespace', 'data', '--store', 's3://bucket/jobkit', '--dry-run']);
 * ```
 */
export async function gcCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        job: { type: 'string' },
        namespace: { type: 'string' },
        scope: { type: 'string' },
        store: { type: 'string' },
        plans: { type: 'boolean' },
        attempts: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
    if (values.help === true) {
      process.stdout.write(GC_USAGE);
      return 0;
    }
    if ((values.job === undefined) === (values.scope === undefined)) throw new Error('give either --job (with --namespace) or --scope');
    if (values.output !== undefined && values.output !== 'json') throw new Error(`-o must be json, got "${values.output}"`);
  } catch (err) {
    process.stderr.write(`jobkit gc: ${(err as Error).message}\n\n${GC_USAGE}`);
    return 2;
  }
  const dryRun = values['dry-run'] === true;
  const identity = storedJobIdentity(values.namespace ?? 'default', values.job ?? '-');
  let store: ObjectStore | undefined;
  try {
    store = openStore(values.store);
    const where = values.scope === undefined ? { identity } : { scope: values.scope };
    const prefix = recordsPrefix(where);
    const records = await collectExpiredRecords({ store, prefix, dryRun });
    let shardingObjects: number | undefined;
    if (values.plans === true) {
      const base = scopePrefix(identity, { perIndex: false, scope: values.scope });
      shardingObjects = 0;
      for (const area of SHARDING_AREAS) shardingObjects += await deleteUnder(store, `${base}/${area}`, dryRun);
    }
    let attemptObjects: number | undefined;
    if (values.attempts === true) {
      if (values.scope !== undefined) throw new Error('--attempts needs --job: attempt records belong to a Job, not a scope');
      attemptObjects = await deleteLineage(store, scopePrefix(identity, { perIndex: false }), dryRun);
    }
    const report: GcReport = { store: store.url, prefix, dryRun, records, shardingObjects, attemptObjects };
    if (values.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(describeReport(report));
    return 0;
  } catch (err) {
    process.stderr.write(`jobkit gc: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  } finally {
    await store?.close();
  }
}

/**
 * The report as lines for a person.
 *
 * @example
 * ```ts
 * process.stdout.write(describeReport(report));
 * // jobkit gc: s3://bucket/jobkit jobs/data/etl/idempotency: 1200 records read, 1180 deleted (412 KiB); kept 20 live, 0 partial, 0 unreadable, 0 changed
 * ```
 */
export function describeReport(report: GcReport): string {
  const r = report.records;
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const kib = Math.ceil(r.deletedBytes / 1024);
  let out =
    `jobkit gc: ${report.store} ${report.prefix}: ${r.scanned} records read, ${verb} ${r.deleted} (${kib} KiB); ` +
    `kept ${r.live} live, ${r.partial} partial, ${r.unreadable} unreadable, ${r.changed} changed\n`;
  if (report.shardingObjects !== undefined) out += `jobkit gc: shard plans and work queues: ${verb} ${report.shardingObjects} objects\n`;
  if (report.attemptObjects !== undefined) out += `jobkit gc: attempt records and dead letters: ${verb} ${report.attemptObjects} objects\n`;
  return out;
}
