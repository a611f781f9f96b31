/**
 * `jobkit status` and `jobkit checkpoint`: argument parsing (every refusal
 * names the option and the value) and the human formatting, on a status
 * collected from a memory store the real SDK wrote (collectJobStatus on a
 * real checkpointer, ledger and work queue; the CLI itself is spawned by
 * test/integration/cli/status.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { parseCheckpointArgs, describeRemoval, describeVerdict } from '../../../src/cli/checkpoint-command.ts';
import { checkName, jsonOutput, parseCount } from '../../../src/cli/job-args.ts';
import { formatAge } from '../../../src/cli/duration.ts';
import { describeStatus, formatBytes, parseStatusArgs, table } from '../../../src/cli/status-command.ts';
import { createIdempotency } from '../../../src/idempotency/ledger.ts';
import { collectJobStatus } from '../../../src/job/job-status.ts';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from '../../support/identity.ts';

const store = ['--store', 'file:///tmp/x'];

describe('parseStatusArgs', () => {
  it('reads the job, namespace (default "default"), --verify and -o json', () => {
    expect(parseStatusArgs([...store, '--job', 'etl'], {})).toEqual({ storeUrl: 'file:///tmp/x', job: 'etl', namespace: 'default', verify: false, output: undefined });
    expect(parseStatusArgs(['--job', 'etl', '--namespace', 'data', '--verify', '-o', 'json'], { JOBKIT_STORE: 's3://bucket/p' })).toEqual({
      storeUrl: 's3://bucket/p',
      job: 'etl',
      namespace: 'data',
      verify: true,
      output: 'json',
    });
    expect(parseStatusArgs(['--help'], {})).toBeUndefined();
  });

  it.each([
    [['--job', 'etl'], '--store is required (or set JOBKIT_STORE)'],
    [[...store], '--job is required'],
    [[...store, '--job', '..'], '--job must be one name of the job\'s identity (JOBKIT_JOB_NAME, JOBKIT_NAMESPACE): it cannot be "." or "..", got ".."'],
    [[...store, '--job', 'data/etl'], 'cannot contain "/" or "\\" (give the namespace with --namespace), got "data/etl"'],
    [[...store, '--job', 'etl', '--namespace', 'a\u0000b'], '--namespace must be one name'],
    [[...store, '--job', 'etl', '--namespace', ''], 'cannot be empty'],
    [[...store, '--job', 'etl', '-o', 'yaml'], '-o must be json, got "yaml"'],
    [['--store', 's3://Bad_Bucket', '--job', 'etl'], '--store must be s3://bucket[/prefix]'],
    [[...store, '--job', 'etl', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseStatusArgs(argv, {})).toThrow(message);
  });

  it('names a store URL without its credentials', () => {
    expect(() => parseStatusArgs(['--store', 's3://AKIA:secret@bucket', '--job', 'etl'], {})).toThrow(/^(?!.*secret).*$/s);
  });
});

describe('parseCheckpointArgs', () => {
  const job = [...store, '--job', 'etl', '--index', '2'];
  it('reads each subcommand', () => {
    expect(parseCheckpointArgs(['ls', ...job], {})).toMatchObject({ subcommand: 'ls', index: 2, seqs: [], all: false, yes: false, force: false });
    expect(parseCheckpointArgs(['verify', ...job, '--seq', '7'], {})).toMatchObject({ subcommand: 'verify', seqs: [7] });
    expect(parseCheckpointArgs(['rm', ...job, '--seq', '3', '--seq', '4', '--yes'], {})).toMatchObject({ subcommand: 'rm', seqs: [3, 4], yes: true });
    expect(parseCheckpointArgs(['rm', ...job, '--all', '--force', '--yes', '-o', 'json'], {})).toMatchObject({ all: true, force: true, output: 'json' });
    expect(parseCheckpointArgs([], {})).toBeUndefined();
    expect(parseCheckpointArgs(['ls', '--help'], {})).toBeUndefined();
  });

  it.each([
    [['mv', ...job], 'unknown subcommand "mv": use ls, verify or rm'],
    [['ls', ...store, '--job', 'etl'], '--index is required'],
    [['ls', ...store, '--job', 'etl', '--index', '100000'], '--index must be an integer from 0 to 99999, got "100000"'],
    [['ls', ...store, '--job', 'etl', '--index', '0x1'], '--index must be an integer from 0 to 99999, got "0x1"'],
    [['ls', ...store, '--job', 'etl', '--index', '1e3'], '--index must be an integer'],
    [['ls', ...job, '--seq', '3'], '--seq is not an option of "checkpoint ls"'],
    [['verify', ...job, '--seq', '3', '--seq', '4'], 'verify takes at most one --seq'],
    [['verify', ...job, '--seq', '0'], '--seq must be an integer from 1'],
    [['verify', ...job, '--yes'], '--yes is not an option of "checkpoint verify"'],
    [['rm', ...job], 'rm needs --seq S (repeatable) or --all'],
    [['rm', ...job, '--all', '--seq', '3'], 'give --seq or --all, not both'],
    [['rm', ...store, '--job', '../etc', '--index', '0', '--all'], '--job must be one name'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCheckpointArgs(argv, {})).toThrow(message);
  });
});

describe('helpers', () => {
  it('checks names and counts', () => {
    expect(checkName('--job', 'etl.v2_nightly')).toBe('etl.v2_nightly');
    expect(() => checkName('--job', 'x'.repeat(254))).toThrow('at most 253 characters');
    expect(parseCount('--index', '0', 0, 9)).toBe(0);
    expect(() => parseCount('--index', '', 0, 9)).toThrow('got ""');
  });

  it('formats bytes, ages and tables', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(12 * 2 ** 20), formatBytes(3 * 2 ** 40)]).toEqual(['512 B', '1.5 KiB', '12.0 MiB', '3.0 TiB']);
    expect([formatAge(45), formatAge(600), formatAge(7200), formatAge(3 * 86_400)]).toEqual(['45s', '10m', '2h', '3d']);
    expect(table([['a', 'bb'], ['ccc', 'd']], '  ')).toBe('  a    bb\n  ccc  d\n');
  });

  it('prints every field of -o json, null for unknown', () => {
    expect(JSON.parse(jsonOutput({ a: 1, b: undefined, c: [undefined] }))).toEqual({ a: 1, b: null, c: [null] });
  });
});

describe('human formatting', () => {
  it('describes a job collected from a memory store written by the SDK', async () => {
    const memory = new MemoryStore();
    const now = Date.parse('2026-12-01T10:00:00Z');
    for (const index of [0, 1]) {
      const identity = testIdentity({ jobName: 'etl', namespace: 'data', index, count: 2, podName: `etl-${index}-x`, attempt: 1 });
      const cp = createCheckpointer({ store: memory, identity, saveEvery: false });
      await cp.save({ next: 1 }, { weights: Buffer.alloc(2048, index) });
      await cp.close();
    }
    const identity = testIdentity({ jobName: 'etl', namespace: 'data', index: 0, count: 2, podName: 'etl-0-x', attempt: 1 });
    const ledger = createIdempotency({ store: memory, identity });
    await ledger.run('k1', () => 1);
    await createWorkQueue({ store: memory, identity, chunks: 2 }).run(async () => {});

    const status = await collectJobStatus({ store: memory, namespace: 'data', job: 'etl', nowMs: now });
    const text = describeStatus(status);
    expect(text).toContain(`jobkit status: job data/etl in ${memory.url} (jobs/data/etl), at 2026-12-01T10:00:00.000Z`);
    expect(text).toContain('Checkpoints: 2 indexes (latest checkpoints not verified: --verify downloads and checks them)');
    expect(text).toMatch(/^ {2}index +seq +age +size +parts +kept +epochs +attempt +pod +items done +checkpoint$/m);
    expect(text).toMatch(/^ {2}1 +1 +\S+ +2\.0 KiB +1 +1 +1 +1 +etl-1-x +- +not verified$/m);
    expect(text).toContain('Idempotency records (jobs/data/etl/idempotency): 1 (');
    expect(text).toContain('1 done, 0 in progress (0 with an expired lease), 0 failed');
    expect(text).toContain('owners: etl-0-x (index 0, attempt 1): 1');
    expect(text).toContain('Shard plans: 0');
    expect(text).toContain('default: 2 chunks: 2 done, 0 leased (0 expired), 0 released, 0 failed, 0 unclaimed');

    const none = await collectJobStatus({ store: memory, namespace: 'data', job: 'other', nowMs: now });
    expect(none.found).toBe(false);
    expect(describeStatus(none)).toContain(`no records for job data/other in ${memory.url}`);
  });

  it('describes verdicts and removals', () => {
    const part = { name: 'weights', key: 'jobs/d/e/index-0/checkpoints/data/e0000000001/ab-weights', size: 10, checksum: 'sha256:aa' };
    expect(
      describeVerdict(
        { seq: 3, manifestKey: 'm', ok: false, problem: undefined, bytesRead: 0, parts: [{ ...part, ok: false, problem: 'part "weights" fails its checksum: expected sha256:aa, got sha256:bb' }] },
        'index 0 of job d/e',
      ),
    ).toBe(`  CORRUPT  weights  10 B  ${part.key}: part "weights" fails its checksum: expected sha256:aa, got sha256:bb\ncheckpoint 3 of index 0 of job d/e: CORRUPT: 1 of 1 parts fail verification\n`);
    expect(describeRemoval({ kind: 'refused', latest: 4 }, 'index 0 of job d/e')).toContain('refused: checkpoint 4 is the latest');
    expect(describeRemoval({ kind: 'removed', seqs: [2], keys: ['a', 'b'], dryRun: true }, 'index 0 of job d/e')).toBe(
      '  would delete a\n  would delete b\ncheckpoint 2 of index 0 of job d/e: would delete 2 objects (a dry run: add --yes to delete them)\n',
    );
  });
});
