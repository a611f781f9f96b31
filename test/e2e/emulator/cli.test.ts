/**
 * The `jobkit` command's surface: subcommands, usage errors, output formats,
 * stdin manifests.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Job } from '../../../src/local/types.ts';
import { cli, CLI, jobManifest, removeTempDirs } from './harness.ts';

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
