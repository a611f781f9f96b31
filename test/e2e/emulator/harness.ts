/**
 * Runs the real `jobkit` CLI (node src/cli/main.ts) on a manifest written to a
 * temp file and returns its exit code, final Job (from -o json) and stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../../src/local/types.ts';

export const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunResult extends CliResult {
  readonly job: Job;
}

const tempDirs: string[] = [];

/** A new temp directory, removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-emulator-'));
  tempDirs.push(dir);
  return dir;
}

/** Remove every directory {@link tempDir} made (each test file calls it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A minimal valid Job; `spec` and `container` fields override the defaults. */
export function jobManifest(opts: {
  name?: string;
  spec?: Record<string, unknown>;
  script: string;
  container?: Record<string, unknown>;
  pod?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: opts.name ?? 'test' },
    spec: {
      ...opts.spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          ...opts.pod,
          containers: [{ name: 'main', image: 'node:24', command: ['sh', '-c', opts.script], ...opts.container }],
        },
      },
    },
  };
}

export async function runManifest(manifest: object, extraArgs: readonly string[] = [], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const dir = tempDir();
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(manifest));
  const result = await cli(['run', '-f', file, '-o', 'json', '--backoff-scale', '0.01', '--seed', '7', ...extraArgs], env);
  let job = {} as Job;
  if (result.stdout.trim() !== '') job = JSON.parse(result.stdout) as Job;
  return { ...result, job };
}

/** The conditions as [type, reason, message] triples. */
export function conditionsOf(job: Job): Array<[string, string | undefined, string | undefined]> {
  return (job.status?.conditions ?? []).map((c) => [c.type, c.reason, c.message]);
}
