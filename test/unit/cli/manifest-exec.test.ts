/**
 * `jobkit manifest --exec`: the program goes in args after command
 * ["jobkit", "exec", (exec options), "--"], on every output form (Job,
 * CronJob, platforms); exec options are checked as `jobkit exec` checks them;
 * and `jobkit lint` warns about a jobkit container whose command bypasses the
 * supervisor.
 */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { lintManifest } from '../../../src/cli/lint.ts';
import { EXEC_COMMAND, manifestCommand } from '../../../src/cli/manifest-command.ts';
import { generateJobManifest } from '../../../src/local/manifest-generator.ts';
import type { Job } from '../../../src/local/types.ts';
import { type Captured, captureOutput } from '../../support/capture-output.ts';

function run(argv: readonly string[]): Captured<number> {
  return captureOutput(() => manifestCommand(argv));
}

const BASE = ['--name', 'train', '--image', 'acme/train:1', '--completions', '2', '--store', 's3://acme-batch/jobkit'];
const container = (stdout: string): Job['spec']['template']['spec']['containers'][number] => {
  const c = (parse(stdout) as Job).spec.template.spec.containers[0];
  if (c === undefined) throw new Error('no container');
  return c;
};

describe('jobkit manifest --exec', () => {
  it('writes command ["jobkit", "exec", "--"] and the program as args', () => {
    const r = run([...BASE, '--exec', '--', 'python3', 'train.py', '--lr', '0.1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(EXEC_COMMAND).toEqual(['jobkit', 'exec', '--']);
    const c = container(r.stdout);
    expect(c.command).toEqual(['jobkit', 'exec', '--']);
    expect(c.args).toEqual(['python3', 'train.py', '--lr', '0.1']);
    // everything else is what the plain form writes (identity env, policy)
    const plain = parse(run([...BASE, '--', 'python3', 'train.py', '--lr', '0.1']).stdout) as Job;
    const withExec = parse(r.stdout) as Job;
    const strip = (job: Job): unknown => {
      const copy = structuredClone(job);
      const only = copy.spec.template.spec.containers[0]!;
      delete only.command;
      delete only.args;
      return copy;
    };
    expect(strip(withExec)).toEqual(strip(plain));
    expect(lintManifest(r.stdout)).toEqual([]);
  });

  it('puts --exec-arg options before the "--" of jobkit exec, in order', () => {
    const r = run([...BASE, '--exec', '--exec-arg=--logs=raw', '--exec-arg=--signal-to=child', '--', 'python3', 'train.py']);
    expect(r.stderr).toBe('');
    expect(container(r.stdout).command).toEqual(['jobkit', 'exec', '--logs=raw', '--signal-to=child', '--']);
    expect(container(r.stdout).args).toEqual(['python3', 'train.py']);
    // a value that starts with a dash needs the "=" form (node:util parseArgs)
    expect(run([...BASE, '--exec', '--exec-arg', '--logs=raw', '--', 'x']).stderr).toContain("use '--exec-arg=-XYZ'");
  });

  it('refuses what jobkit exec would refuse at start, and --exec without a program', () => {
    const bad = run([...BASE, '--exec', '--exec-arg=--logs=xml', '--', 'python3', 'train.py']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^jobkit manifest: --exec-arg: --logs must be one of .*json.*raw.*exit 78 at start\)\n$/);
    expect(run([...BASE, '--exec', '--exec-arg=--nope', '--', 'x']).stderr).toContain("--exec-arg: Unknown option '--nope'");
    expect(run([...BASE, '--exec', '--exec-arg=positional', '--', 'x']).stderr).toContain('--exec-arg "positional" is not a jobkit exec option');
    expect(run([...BASE, '--exec']).stderr).toBe('jobkit manifest: --exec needs the program after "--" (e.g. -- python3 train.py)\n');
    expect(run([...BASE, '--exec-arg=--logs=raw', '--', 'x']).stderr).toBe('jobkit manifest: --exec-arg needs --exec\n');
  });

  it('a CronJob and the other platforms get the same command and args', () => {
    const cron = run([...BASE, '--schedule', '0 2 * * *', '--exec', '--', 'python3', 'report.py']);
    expect(cron.status, cron.stderr).toBe(0);
    const template = (parse(cron.stdout) as { spec: { jobTemplate: Job } }).spec.jobTemplate.spec.template.spec.containers[0];
    expect([template?.command, template?.args]).toEqual([['jobkit', 'exec', '--'], ['python3', 'report.py']]);
    const aws = run([...BASE, '--platform', 'aws-batch', '--exec', '--', 'python3', 'train.py']);
    expect(aws.status, aws.stderr).toBe(0);
    expect((parse(aws.stdout) as { containerProperties: { command: string[] } }).containerProperties.command).toEqual(['jobkit', 'exec', '--', 'python3', 'train.py']);
    const batch = run([...BASE, '--platform', 'cloud-batch', '--exec', '--', 'python3', 'train.py']);
    expect(batch.status, batch.stderr).toBe(0);
    expect(batch.stdout).toContain('entrypoint: jobkit');
  });
});

describe('jobkit lint: a command that bypasses the image ENTRYPOINT', () => {
  const job = (command: string[] | undefined, args?: string[]): string =>
    stringify(generateJobManifest({ name: 'train', image: 'i', ...(command === undefined ? {} : { command }), ...(args === undefined ? {} : { args }), store: 's3://acme-batch/jobkit' }));
  const warnings = (text: string): string[] => lintManifest(text).filter((p) => p.severity === 'warning').map((p) => `${p.path}: ${p.message}`);

  it('warns about a jobkit container whose command is a bare non-Node program', () => {
    const found = warnings(job(['python3', 'train.py']));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^spec\.template\.spec\.containers\[0\]\.command: "python3" runs without jobkit: a container's command replaces the image's ENTRYPOINT/);
    expect(found[0]).toContain('jobkit manifest --exec');
  });

  it('is quiet for jobkit exec, node, a wrapper that names them, args only, and no command', () => {
    for (const text of [
      job(['jobkit', 'exec', '--'], ['python3', 'train.py']),
      job(['/usr/local/bin/jobkit', 'exec', '--logs=raw', '--'], ['./run.sh']),
      job(['node', 'job.js']),
      job(['/usr/bin/tini', '--', 'node', 'job.js']),
      job(['sh', '-c', 'exec jobkit exec -- python3 train.py']),
      job(undefined, ['python3', 'train.py']),
    ]) {
      expect(warnings(text)).toEqual([]);
    }
  });

  it('ignores containers that are not jobkit programs (no JOBKIT_* env)', () => {
    const plain = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'p' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i', command: ['python3', 'x.py'] }] } } } };
    expect(lintManifest(JSON.stringify(plain))).toEqual([]);
  });
});
