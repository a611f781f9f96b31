/**
 * `jobkit checkpoint ls|verify|rm`: one index's checkpoint line, through the
 * checkpoint module's inspector (src/checkpoint/inspect.ts). `ls` and
 * `verify` only read; `rm` is a dry run unless `--yes`, and refuses the
 * latest checkpoint (the one a restarted pod resumes from) unless `--force`.
 */
import { parseArgs } from 'node:util';
import {
  type CheckpointLineSummary,
  type CheckpointVerdict,
  inspectCheckpointLine,
  readLineHead,
  removeCheckpoints,
  type RemoveCheckpointsOutcome,
  verifyCheckpoint,
} from '../checkpoint/inspect.ts';
import { checkpointRoot } from '../checkpoint/layout.ts';
import { exitCodeOf } from '../runtime/classify.ts';
import { storedJobIdentity } from '../job/job-status.ts';
import { openStore } from '../store/open.ts';
import type { ObjectStore } from '../store/types.ts';
import { checkName, checkOutput, jsonOutput, MAX_INDEX, parseCount, storeUrlOf } from './job-args.ts';
import { CORRUPT_EXIT, formatBytes, table } from './status-command.ts';
import { CHECKPOINT_USAGE } from './usage.ts';

/** Exit status when there is nothing to act on: no checkpoint line, a seq the head does not keep, or a refused `rm`. */
export const NOTHING_EXIT = 1;

const SUBCOMMANDS = ['ls', 'verify', 'rm'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The parsed arguments of `jobkit checkpoint`. */
export interface CheckpointArgs {
  readonly subcommand: Subcommand;
  readonly storeUrl: string;
  readonly job: string;
  readonly namespace: string;
  readonly index: number;
  /** `verify --seq` (one) or `rm --seq` (one or more); empty: the latest (verify) or none (rm). */
  readonly seqs: readonly number[];
  readonly all: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly output: 'json' | undefined;
}

/**
 * Parse `jobkit checkpoint` arguments; undefined for `--help`.
 *
 * @throws Error naming the bad subcommand or option (the command exits 2, having opened nothing).
 * @example
 * ```ts
 * parseCheckpointArgs(['rm', '--store', 's3://b/p', '--job', 'etl', '--index', '0', '--seq', '3', '--yes'], {});
 * ```
 */
export function parseCheckpointArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CheckpointArgs | undefined {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') return undefined;
  const subcommand = SUBCOMMANDS.find((s) => s === sub);
  if (subcommand === undefined) throw new Error(`unknown subcommand ${JSON.stringify(sub)}: use ls, verify or rm`);
  const { values } = parseArgs({
    args: rest,
    options: {
      store: { type: 'string' },
      job: { type: 'string' },
      namespace: { type: 'string' },
      index: { type: 'string' },
      seq: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      force: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return undefined;
  if (values.job === undefined) throw new Error('--job is required');
  if (values.index === undefined) throw new Error('--index is required');
  const seqs = (values.seq ?? []).map((s) => parseCount('--seq', s, 1, Number.MAX_SAFE_INTEGER));
  const all = values.all === true;
  const only = (flag: string, allowed: readonly Subcommand[]): void => {
    if (!allowed.includes(subcommand)) throw new Error(`${flag} is not an option of "checkpoint ${subcommand}"`);
  };
  if (seqs.length > 0) only('--seq', ['verify', 'rm']);
  if (all) only('--all', ['rm']);
  if (values.yes === true) only('--yes', ['rm']);
  if (values.force === true) only('--force', ['rm']);
  if (subcommand === 'verify' && seqs.length > 1) throw new Error('verify takes at most one --seq');
  if (subcommand === 'rm' && seqs.length === 0 && !all) throw new Error('rm needs --seq S (repeatable) or --all');
  if (subcommand === 'rm' && seqs.length > 0 && all) throw new Error('give --seq or --all, not both');
  return {
    subcommand,
    job: checkName('--job', values.job),
    namespace: checkName('--namespace', values.namespace ?? 'default'),
    index: parseCount('--index', values.index, 0, MAX_INDEX),
    seqs,
    all,
    yes: values.yes === true,
    force: values.force === true,
    output: checkOutput(values.output),
    storeUrl: storeUrlOf(values.store, env),
  };
}

/**
 * Runs `jobkit checkpoint` with its argv (after the subcommand name) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await checkpointCommand(['verify', '--store', 's3://bucket/jobkit', '--job', 'etl', '--index', '0']);
 * ```
 */
export async function checkpointCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: CheckpointArgs | undefined;
  try {
    parsed = parseCheckpointArgs(argv, env);
  } catch (err) {
    process.stderr.write(`jobkit checkpoint: ${(err as Error).message}\n\n${CHECKPOINT_USAGE}`);
    return 2;
  }
  if (parsed === undefined) {
    (argv.length === 0 ? process.stderr : process.stdout).write(CHECKPOINT_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const args = parsed;
  const identity = storedJobIdentity(args.namespace, args.job, args.index);
  const root = checkpointRoot(identity, { perIndex: true });
  const where = `index ${args.index} of job ${args.namespace}/${args.job}`;
  let store: ObjectStore | undefined;
  try {
    store = openStore(args.storeUrl, { env });
    const say = (text: string, json: unknown): void => {
      process.stdout.write(args.output === 'json' ? jsonOutput(json) : text);
    };
    const noLine = (): number => {
      process.stderr.write(`jobkit checkpoint ${args.subcommand}: no checkpoints for ${where} in ${store?.url ?? ''} (no ${root}/head.json)\n`);
      return NOTHING_EXIT;
    };
    switch (args.subcommand) {
      case 'ls': {
        const line = await inspectCheckpointLine(store, root);
        if (line === undefined) return noLine();
        say(describeLine(line, where), { store: store.url, ...line });
        return 0;
      }
      case 'verify': {
        const current = await readLineHead(store, root);
        if (current === undefined) return noLine();
        const seq = args.seqs[0] ?? current.head.checkpoints[0]?.seq;
        const entry = current.head.checkpoints.find((e) => e.seq === seq);
        if (entry === undefined) {
          const kept = current.head.checkpoints.map((e) => e.seq).join(', ') || 'none';
          process.stderr.write(`jobkit checkpoint verify: ${where} keeps no checkpoint ${seq ?? ''} (kept: ${kept})\n`);
          return NOTHING_EXIT;
        }
        const verdict = await verifyCheckpoint(store, root, entry);
        say(describeVerdict(verdict, where), { store: store.url, ...verdict });
        return verdict.ok ? 0 : CORRUPT_EXIT;
      }
      case 'rm': {
        const outcome = await removeCheckpoints({ store, root, seqs: args.all ? 'all' : args.seqs, force: args.force, dryRun: !args.yes });
        say(describeRemoval(outcome, where), { store: store.url, root, ...outcome });
        if (outcome.kind === 'no-line') return noLine();
        return outcome.kind === 'removed' ? 0 : NOTHING_EXIT;
      }
    }
    // Unreachable (the switch covers every subcommand); a return for the compiler, which does not see that inside try.
    return NOTHING_EXIT;
  } catch (err) {
    process.stderr.write(`jobkit checkpoint ${args.subcommand}: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  } finally {
    await store?.close();
  }
}

/**
 * `checkpoint ls` for a person.
 *
 * @example
 * ```ts
 * process.stdout.write(describeLine(line, 'index 0 of job data/etl'));
 * ```
 */
export function describeLine(line: CheckpointLineSummary, where: string): string {
  const o = line.owner;
  let out =
    `${where}: ${line.headKey}: epoch ${line.epoch} (taken by pod ${o.pod ?? '(unknown)'}, node ${o.node ?? '-'}, attempt ${o.attempt ?? '-'}), ` +
    `last seq ${line.lastSeq}, ${line.checkpoints.length} kept\n`;
  const rows = [['seq', 'epoch', 'created', 'size', 'parts', 'head']];
  for (const c of line.checkpoints) {
    rows.push([String(c.seq), String(c.epoch ?? '-'), c.createdAt ?? '-', formatBytes(c.size), String(c.parts.length), c.latest ? 'latest' : '']);
  }
  out += table(rows, '  ');
  for (const c of line.checkpoints) if (c.problem !== undefined) out += `  seq ${c.seq}: ${c.problem}\n`;
  return out;
}

/**
 * `checkpoint verify` for a person: one line per part, the broken ones named with expected and actual checksums.
 *
 * @example
 * ```ts
 * process.stdout.write(describeVerdict(verdict, 'index 0 of job data/etl'));
 * ```
 */
export function describeVerdict(v: CheckpointVerdict, where: string): string {
  if (v.problem !== undefined) return `checkpoint ${v.seq} of ${where}: CORRUPT: ${v.problem}\n`;
  let out = '';
  for (const p of v.parts) out += `  ${p.ok ? 'ok     ' : 'CORRUPT'}  ${p.name}  ${formatBytes(p.size)}  ${p.key}${p.ok ? '' : `: ${p.problem ?? ''}`}\n`;
  const bad = v.parts.filter((p) => !p.ok).length;
  const verdict = bad === 0 ? `verified: ${v.parts.length} part${v.parts.length === 1 ? '' : 's'}, ${formatBytes(v.bytesRead)} read` : `CORRUPT: ${bad} of ${v.parts.length} parts fail verification`;
  return `${out}checkpoint ${v.seq} of ${where}: ${verdict}\n`;
}

/**
 * `checkpoint rm` for a person.
 *
 * @example
 * ```ts
 * process.stdout.write(describeRemoval(outcome, 'index 0 of job data/etl'));
 * ```
 */
export function describeRemoval(outcome: RemoveCheckpointsOutcome, where: string): string {
  switch (outcome.kind) {
    case 'no-line':
      return '';
    case 'refused':
      return `refused: checkpoint ${outcome.latest} is the latest of ${where}, the one a restarted pod resumes from; nothing deleted (add --force to delete it anyway)\n`;
    case 'not-found':
      return `${where} keeps no checkpoint ${outcome.missing.join(', ')} (kept: ${outcome.kept.join(', ') || 'none'}); nothing deleted\n`;
    case 'removed': {
      const verb = outcome.dryRun ? 'would delete' : 'deleted';
      let out = outcome.keys.map((k) => `  ${verb} ${k}\n`).join('');
      out += `checkpoint ${outcome.seqs.join(', ')} of ${where}: ${verb} ${outcome.keys.length} objects`;
      return `${out}${outcome.dryRun ? ' (a dry run: add --yes to delete them)\n' : '\n'}`;
    }
  }
}
