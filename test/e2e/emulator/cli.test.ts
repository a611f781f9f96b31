/**
 * The `jobkit` command's surface: subcommands, usage errors, output formats,
 * stdin manifests.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Job } from '../../../src/local/types.ts';
import { cli, CLI, jobManifest, removeTempDirs, tempDir } from './harness.ts';

afterAll(removeTempDirs);

describe('jobkit CLI', () => {
  it('prints its version and help, and exits 2 on an unknown command', async () => {
    const version = await cli(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^jobkit \d+\.\d+\.\d+/);
    const help = await cli(['help', 'run']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--backoff-scale');
    const unknown = await cli(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
  });

  it('exits 2 on bad --control-plane, --kubeconfig, --suspend-at and --resume-at combinations, before any pod', async () => {
    const dir = tempDir();
    const job = join(dir, 'job.json');
    writeFileSync(job, JSON.stringify(jobManifest({ script: `touch ${dir}/ran` })));
    const cronJob = join(dir, 'cronjob.json');
    writeFileSync(
      cronJob,
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '* * * * *', jobTemplate: { spec: (jobManifest({ script: 'true' }) as { spec: object }).spec } } }),
    );
    const cases: Array<[string[], string]> = [
      [['--control-plane', 'minikube'], '--control-plane must be emulator or kube, got "minikube"'],
      [['--kubeconfig', '/x'], '--kubeconfig needs --control-plane kube'],
      [['--suspend-at', '100'], '--suspend-at needs --resume-at: a suspended Job never ends'],
      [['--suspend-at', '500', '--resume-at', '500'], '--resume-at (500 ms) must come after --suspend-at (500 ms)'],
      [['--resume-at', 'soon'], '--resume-at'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['run', '-f', job, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const kubeCron = await cli(['run', '-f', cronJob, '--control-plane', 'kube']);
    expect(kubeCron.code).toBe(2);
    expect(kubeCron.stderr).toContain('--control-plane kube runs a CronJob only as one manual Job');
    const suspendCron = await cli(['run', '-f', cronJob, '--resume-at', '100']);
    expect(suspendCron.code).toBe(2);
    expect(suspendCron.stderr).toContain('--resume-at applies to Job manifests');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('exits 2 naming the bad option of jobkit run', async () => {
    const r = await cli(['run', '-f', '/nonexistent/job.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-f /nonexistent/job.yaml: cannot read the manifest: ENOENT');
    const chaos = await cli(['run', '-f', '-', '--chaos', 'flood=1']);
    expect(chaos.code).toBe(2);
    expect(chaos.stderr).toContain('--chaos: unknown kind "flood"');
    const scale = await cli(['run', '-f', '-', '--backoff-scale', 'fast']);
    expect(scale.code).toBe(2);
    expect(scale.stderr).toContain('--backoff-scale must be a number >= 0, got "fast"');
  });

  it('reads the manifest from stdin and prints the final Job as YAML', async () => {
    const manifest = JSON.stringify(jobManifest({ name: 'stdin', script: 'true' }));
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'run', '-f', '-', '-o', 'yaml', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.end(manifest);
    });
    expect(result.code).toBe(0);
    const job = parse(result.stdout) as Job;
    expect(job.metadata.name).toBe('stdin');
    expect(job.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });
});

describe('jobkit lint', () => {
  const fixture = (name: string): string => fileURLToPath(new URL(`../../unit/cli/fixtures/lint/${name}.yaml`, import.meta.url));

  it('exits 0 with an ok line on a clean manifest, 1 with one line per problem otherwise', async () => {
    const [clean, mismatch, policy, usage] = await Promise.all([
      cli(['lint', '-f', fixture('clean')]),
      cli(['lint', '-f', fixture('count-mismatch')]),
      cli(['lint', fixture('policy-mismatch')]),
      cli(['lint']),
    ]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe(`${fixture('clean')}: ok\n`);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toBe(
      `${fixture('count-mismatch')}: spec.template.spec.containers[0].env[6].value: Invalid value: "4": JOBKIT_COUNT is 4 but spec.completions is 3: ` +
        'the input would be split into 4 shards and shard 3 never processed while the Job reports Complete; set both to the same number\n',
    );
    expect(policy.code).toBe(1);
    // Three errors and the opt-in busy code's warning.
    expect(policy.stdout.trim().split('\n')).toHaveLength(4);
    expect(policy.stdout.trim().split('\n').filter((line) => line.includes(': spec.podFailurePolicy: warning: exit code 69 (busy)'))).toHaveLength(1);
    for (const line of policy.stdout.trim().split('\n')) expect(line.startsWith(`${fixture('policy-mismatch')}: spec.podFailurePolicy: `)).toBe(true);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('-f/--filename is required');
  });

  it('is run by jobkit run, which starts no pod when it finds an error', async () => {
    const dir = tempDir();
    const manifest = jobManifest({
      name: 'skips',
      spec: { completionMode: 'Indexed', completions: 3, parallelism: 3 },
      script: 'echo started',
      container: { env: [{ name: 'JOBKIT_COUNT', value: '4' }, { name: 'JOBKIT_STORE', value: `file://${dir}/store` }] },
    });
    const file = join(dir, 'job.json');
    writeFileSync(file, JSON.stringify(manifest));
    const r = await cli(['run', '-f', file, '--backoff-scale', '0.01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`jobkit run: ${file}: spec.template.spec.containers[0].env[0].value: Invalid value: "4": JOBKIT_COUNT is 4 but spec.completions is 3`);
    expect(r.stderr).toContain('\njobkit run: the manifest has errors (see jobkit lint); no pod was started\n');
    expect(r.stderr).not.toContain('[skips-');
  });
});
