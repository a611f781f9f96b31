/**
 * `jobkit status`: where a job stands, read from its store (src/job/job-status.ts
 * collects; this file parses the arguments and prints). Strictly read-only.
 */
import { parseArgs } from 'node:util';
import { collectJobStatus, type IndexStatus, type JobStatus } from '../job/job-status.ts';
import { exitCodeOf } from '../runtime/classify.ts';
import { openStore } from '../store/open.ts';
import type { ObjectStore } from '../store/types.ts';
import { checkName, checkOutput, jsonOutput, storeUrlOf } from './job-args.ts';
import { formatAge } from './duration.ts';
import { STATUS_USAGE } from './usage.ts';

/** Exit status when the store holds no record of the job (the report is still printed with `-o json`). */
export const NO_RECORDS_EXIT = 1;
/** Exit status of `--verify` when a latest checkpoint fails verification (the corrupt-checkpoint code of the exit-code table). */
export const CORRUPT_EXIT = 65;

/** The parsed arguments of `jobkit status`. */
export interface StatusArgs {
  readonly storeUrl: string;
  readonly job: string;
  readonly namespace: string;
  readonly verify: boolean;
  readonly output: 'json' | undefined;
}

/**
 * Parse `jobkit status` arguments; undefined for `--help`.
 *
 * @throws Error naming the bad option (the command exits 2, having opened nothing).
 * @example
 * ```ts
 * parseStatusArgs(['--store', 's3://b/p', '--job', 'etl', '--namespace', 'data'], {}); // { job: 'etl', namespace: 'data', ... }
 * ```
 */
export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv): StatusArgs | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      store: { type: 'string' },
      job: { type: 'string' },
      namespace: { type: 'string' },
      verify: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return undefined;
  if (values.job === undefined) throw new Error('--job is required');
  return {
    job: checkName('--job', values.job),
    namespace: checkName('--namespace', values.namespace ?? 'default'),
    output: checkOutput(values.output),
    verify: values.verify === true,
    storeUrl: storeUrlOf(values.store, env),
  };
}

/**
 * Runs `jobkit status` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await statusCommand(['--store', 's3://bucket/jobkit', '--namespace', 'data', '--job', 'etl', '-o', 'json']);
 * ```
 */
export async function statusCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: StatusArgs | undefined;
  try {
    args = parseStatusArgs(argv, env);
  } catch (err) {
    process.stderr.write(`jobkit status: ${(err as Error).message}\n\n${STATUS_USAGE}`);
    return 2;
  }
  if (args === undefined) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  let store: ObjectStore | undefined;
  try {
    store = openStore(args.storeUrl, { env });
    const status = await collectJobStatus({ store, namespace: args.namespace, job: args.job, verify: args.verify });
    process.stdout.write(args.output === 'json' ? jsonOutput(status) : describeStatus(status));
    if (!status.found) {
      process.stderr.write(`jobkit status: no records for job ${status.namespace}/${status.job} in ${status.store}\n`);
      return NO_RECORDS_EXIT;
    }
    return status.checkpoints.some((i) => i.latest?.verification === 'corrupt') ? CORRUPT_EXIT : 0;
  } catch (err) {
    process.stderr.write(`jobkit status: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  } finally {
    await store?.close();
  }
}

/**
 * Bytes for a person: `512 B`, `1.5 KiB`, `12.0 MiB`.
 *
 * @example
 * ```ts
 * formatBytes(1536); // '1.5 KiB'
 * ```
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/**
 * Lay rows out in columns (two spaces apart), the first row being the header.
 *
 * @example
 * ```ts
 * table([['a', 'bb'], ['ccc', 'd']], '  '); // '  a    bb\n  ccc  d\n'
 * ```
 */
export function table(rows: readonly (readonly string[])[], indent: string): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0))) ?? [];
  return rows.map((r) => `${`${indent}${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ')}`.trimEnd()}\n`).join('');
}

const dash = '-';

function ended(a: JobStatus['attempts'][number]['recent'][number]): string {
  switch (a.outcome) {
    case 'completed':
      return 'completed';
    case 'failed':
      return `failed (${a.exitClass ?? `exit ${a.exitCode ?? '?'}`})`;
    case 'stopped':
      return `stopped (${a.reason ?? a.exitClass ?? '?'})`;
    case 'crashed':
      return a.inProgress.length === 0 ? 'crashed' : `crashed on ${a.inProgress.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')}${a.inProgress.length > 3 ? ', ...' : ''}`;
  }
}

/** The attempts and quarantined items of each index (only indexes that recorded attempts). */
function describeAttempts(status: JobStatus): string {
  let out = `\nAttempts: ${status.attempts.length} index${status.attempts.length === 1 ? '' : 'es'} recorded attempts\n`;
  for (const i of status.attempts) {
    out += `  index ${i.index}: ${i.total} attempt${i.total === 1 ? '' : 's'} kept, ${i.quarantinedTotal} item${i.quarantinedTotal === 1 ? '' : 's'} quarantined\n`;
    const rows = [['started', 'attempt', 'pod', 'duration', 'items done', 'ended']];
    for (const a of i.recent) {
      rows.push([a.startedAt, String(a.attempt), a.pod ?? dash, formatAge(Math.round(a.durationMs / 1000)), String(a.position ?? a.itemsDone), ended(a)]);
    }
    if (i.recent.length > 0) out += table(rows, '    ');
    for (const q of i.quarantined) {
      out += `    quarantined ${JSON.stringify(q.key)}: ${q.cause === 'crashed' ? `${q.attempts.length} attempts died on it` : `${q.lastErrorClass}: ${q.lastError}`}, at ${q.quarantinedAt}\n`;
    }
    if (i.quarantinedTotal > i.quarantined.length) out += `    ... and ${i.quarantinedTotal - i.quarantined.length} more quarantined\n`;
    for (const p of i.problems) out += `    ${p}\n`;
  }
  return out;
}

function verification(i: IndexStatus): string {
  switch (i.latest?.verification) {
    case undefined:
      return dash;
    case 'not-verified':
      return 'not verified';
    case 'verified':
      return 'verified';
    case 'corrupt':
      return 'CORRUPT';
  }
}

function checkpointRows(status: JobStatus): string {
  const rows = [['index', 'seq', 'age', 'size', 'parts', 'kept', 'epochs', 'attempt', 'pod', 'items done', 'checkpoint']];
  for (const i of status.checkpoints) {
    const l = i.latest;
    const items = i.itemsDone === null ? dash : i.shardItems === null ? String(i.itemsDone) : `${i.itemsDone}/${i.shardItems}`;
    rows.push([
      String(i.index),
      l === null ? dash : String(l.seq),
      l?.ageSeconds === null || l === null ? dash : formatAge(l.ageSeconds),
      l === null ? dash : formatBytes(l.size),
      l === null ? dash : String(l.parts),
      String(i.kept),
      i.epoch === null ? dash : String(i.epoch),
      i.owner?.attempt === null || i.owner === null ? dash : String(i.owner.attempt),
      i.owner?.pod ?? dash,
      items,
      verification(i),
    ]);
  }
  let out = table(rows, '  ');
  for (const i of status.checkpoints) {
    for (const p of [...(i.latest?.problems ?? []), ...i.problems]) out += `  index ${i.index}: ${p}\n`;
  }
  return out;
}

function at(ms: number, nowMs: number): string {
  const delta = Math.round((ms - nowMs) / 1000);
  return `${new Date(ms).toISOString()} (${delta >= 0 ? `in ${formatAge(delta)}` : `${formatAge(-delta)} ago`})`;
}

function ownerText(o: { readonly pod: string | null; readonly index: number | null; readonly attempt: number | null }): string {
  return `pod ${o.pod ?? '(unknown)'} (index ${o.index ?? dash}, attempt ${o.attempt ?? dash})`;
}

/**
 * The status as lines for a person (`jobkit status` without `-o json`).
 *
 * @example
 * ```ts
 * process.stdout.write(describeStatus(await collectJobStatus({ store, namespace: 'data', job: 'etl' })));
 * ```
 */
export function describeStatus(status: JobStatus): string {
  const nowMs = Date.parse(status.generatedAt);
  let out = `jobkit status: job ${status.namespace}/${status.job} in ${status.store} (${status.prefix}), at ${status.generatedAt}\n`;
  if (!status.found) return `${out}no records for job ${status.namespace}/${status.job} in ${status.store}\n`;

  out += `\nCheckpoints: ${status.checkpoints.length} index${status.checkpoints.length === 1 ? '' : 'es'}`;
  out += status.verified ? ', latest checkpoints downloaded and verified\n' : ' (latest checkpoints not verified: --verify downloads and checks them)\n';
  if (status.checkpoints.length > 0) out += checkpointRows(status);

  const r = status.idempotency;
  out +=
    `\nIdempotency records (${r.prefix}): ${r.total} (${formatBytes(r.bytes)}): ${r.completed} done, ` +
    `${r.inProgress} in progress (${r.expiredLeases} with an expired lease), ${r.failed} failed, ${r.partial} released after a partial effect, ` +
    `${r.released} released, ${r.unreadable} unreadable\n`;
  for (const s of r.inProgressSample) {
    out += `  in progress  ${s.keyHash.slice(0, 16)}  ${ownerText(s.owner)}  lease ${s.expired ? 'EXPIRED' : 'expires'} ${at(s.leaseExpiresAtMs, nowMs)}\n`;
  }
  for (const s of r.failedSample) {
    const what = s.error === undefined ? 'released after a partial effect' : `${s.error.name}: ${s.error.message}`;
    out += `  ${s.status === 'failed' ? 'failed ' : 'partial'}      ${s.keyHash.slice(0, 16)}  ${ownerText(s.owner)}  ${what}\n`;
  }
  if (r.owners.length > 0) {
    out += `  owners: ${r.owners.map((o) => `${o.pod ?? '(unknown)'} (index ${o.index ?? dash}, attempt ${o.attempt ?? dash}): ${o.records}`).join(', ')}`;
    out += r.ownersTruncated ? ', ...\n' : '\n';
  }

  out += `\nShard plans: ${status.plans.length}\n`;
  for (const p of status.plans) {
    if (p.plan === null) {
      out += `  ${p.key}: ${p.problem ?? 'unreadable'}\n`;
      continue;
    }
    const source = p.plan.input === undefined ? p.plan.prefix : `${p.plan.input} ${p.plan.prefix}`;
    out +=
      `  ${p.plan.name}: ${p.plan.strategy}, ${p.plan.count} shards, ${p.plan.objects} objects (${formatBytes(p.plan.bytes)}) of ${source}, ` +
      `frozen ${new Date(p.plan.createdAtMs).toISOString()} by ${p.plan.createdBy}\n`;
  }

  out += describeAttempts(status);

  out += `\nWork queues: ${status.queues.length}\n`;
  for (const q of status.queues) {
    const s = q.states;
    out +=
      `  ${q.name}: ${q.chunks ?? '?'} chunks: ${s.done} done, ${s.leased} leased (${q.expiredLeases} expired), ${s.released} released, ` +
      `${s.failed} failed, ${s.unclaimed} unclaimed${q.unreadable > 0 ? `, ${q.unreadable} unreadable` : ''}\n`;
    for (const c of [...q.leasedSample, ...q.failedSample]) {
      const when = c.state === 'leased' ? `lease ${c.expired ? 'EXPIRED' : 'expires'} ${at(c.expiresAtMs, nowMs)}` : `failed ${c.failures} times: ${c.lastError ?? ''}`;
      out += `    chunk ${c.chunk}  ${c.state}  owner ${c.owner}  attempt ${c.attempt}  ${when}\n`;
    }
    for (const p of q.problems) out += `    ${p}\n`;
  }
  return out;
}
