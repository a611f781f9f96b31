/**
 * `jobkit manifest --exec` end to end: the generated Job runs under `jobkit
 * run` with `jobkit` on the PATH (as in the base image), and each pod's
 * program runs under `jobkit exec`: its output comes out as JSON log lines
 * carrying the pod's identity, and its exit code goes through the table.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Job } from '../../../src/local/types.ts';
import { CLI, cli, removeTempDirs, tempDir } from '../emulator/harness.ts';

afterAll(removeTempDirs);

/** PATH with a `jobkit` that runs the CLI from the sources first. */
function pathWithJobkit(): string {
  const dir = tempDir();
  const shim = join(dir, 'jobkit');
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  chmodSync(shim, 0o755);
  return `${dir}:${process.env.PATH ?? ''}`;
}

/** The JSON objects in `jobkit run`'s stderr (each pod line is prefixed with its pod name). */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    const at = line.indexOf('{"');
    if (at === -1) continue;
    try {
      out.push(JSON.parse(line.slice(at)) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

const PROGRAM = [
  'import json, os, sys',
  'index = int(os.environ["JOBKIT_INDEX"])',
  'print(f"python index {index} of {os.environ[\'JOBKIT_COUNT\']}")',
  'print(json.dumps({"msg": "rows done", "rows": 10 * index}), flush=True)',
  // index 1 fails once with the retryable code, then succeeds
  'sys.exit(75 if index == 1 and os.environ.get("JOBKIT_ATTEMPT") in ("", "0") else 0)',
].join('\n');

describe('jobkit manifest --exec under jobkit run', () => {
  it('each pod runs the program under jobkit exec: JSON log lines with its identity, exit codes through the table', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'job.py'), PROGRAM);
    const generated = await cli(['manifest', '--name', 'pyexec', '--image', 'acme/py:1', '--completions', '2', '--grace-period', '5', '--store', `file://${dir}/store`, '--exec', '--', 'python3', join(dir, 'job.py')]);
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    const container = (parse(generated.stdout) as Job).spec.template.spec.containers[0];
    expect([container?.command, container?.args]).toEqual([['jobkit', 'exec', '--'], ['python3', join(dir, 'job.py')]]);
    const file = join(dir, 'job.yaml');
    writeFileSync(file, generated.stdout);

    const env = { ...process.env, PATH: pathWithJobkit(), JOBKIT_LOG_LEVEL: 'info' };
    const r = await cli(['run', '-f', file, '-o', 'json', '--backoff-scale', '0.01', '--seed', '3'], env);
    expect(r.code, r.stderr.slice(-3_000)).toBe(0);
    expect((JSON.parse(r.stdout) as Job).status?.completedIndexes).toBe('0,1');
    expect(r.stderr).not.toContain('runs without jobkit'); // lint is quiet on the --exec form

    const lines = jsonLines(r.stderr);
    for (const index of [0, 1]) {
      const said = lines.find((l) => l.msg === `python index ${index} of 2`);
      expect(said, `index ${index}`).toMatchObject({ level: 'info', stream: 'stdout', job: 'pyexec', index });
      expect(String(said?.pod)).toMatch(new RegExp(`^pyexec-${index}-`));
      expect(lines.find((l) => l.msg === 'rows done' && l.index === index)).toMatchObject({ rows: 10 * index });
    }
    // index 1's first attempt exited 75 through the supervisor (retryable, counted), the second 0
    expect(lines.filter((l) => l.index === 1 && l.msg === 'program exited 75')).toHaveLength(1);
    expect(lines.find((l) => l.index === 1 && l.attempt === 1 && l.msg === 'program exited 0')).toBeDefined();
  });
});
