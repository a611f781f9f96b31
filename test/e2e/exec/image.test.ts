/**
 * The base image's argv, run for real without a Docker engine: the
 * Dockerfile's exec-form ENTRYPOINT after tini (`jobkit exec --`) followed by
 * its CMD, or by the args a manifest gives, started with `jobkit` on the PATH
 * (a shim that execs the CLI from the sources, as /usr/local/bin/jobkit
 * is the installed CLI in the image). Where Debian's tini is installed
 * (scripts/install-test-services.sh installs it), the whole ENTRYPOINT runs,
 * tini included, as a subreaper (`-s`) since it is not PID 1 here: orphans
 * the program leaves are reaped, and SIGTERM to tini reaches the program.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, type ExecResult, execEnv, runProcess, tempDir } from './exec-child.ts';

const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

/** The last exec-form `OP [...]` of the Dockerfile. */
function execForm(op: 'ENTRYPOINT' | 'CMD'): string[] {
  const line = dockerfile
    .split('\n')
    .filter((l) => l.startsWith(`${op} [`))
    .at(-1);
  if (line === undefined) throw new Error(`no exec-form ${op} in the Dockerfile`);
  return JSON.parse(line.slice(op.length + 1)) as string[];
}

const ENTRYPOINT = execForm('ENTRYPOINT');
const CMD = execForm('CMD');

/** A directory with `jobkit` in it, for the front of PATH. */
function jobkitOnPath(): string {
  const dir = tempDir();
  const shim = join(dir, 'jobkit');
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/** Run the container's argv: ENTRYPOINT without tini, then `args`. */
function runImage(args: readonly string[], onLine: (line: Record<string, unknown>, pid: number) => void = () => {}, cwd?: string): Promise<ExecResult> {
  const [tini, dashDash, file, ...rest] = ENTRYPOINT;
  expect([tini, dashDash]).toEqual(['/usr/bin/tini', '--']);
  const env = execEnv({ PATH: `${jobkitOnPath()}:${process.env.PATH ?? ''}`, JOBKIT_POD_NAME: 'exec-e2e-2-abcde' });
  return runProcess(file ?? '', [...rest, ...args], env, (line, child) => onLine(line, child.pid ?? 0), cwd);
}

describe('the base image argv (ENTRYPOINT + CMD/args) through the real CLI', () => {
  it('the default CMD runs under jobkit exec: its output becomes JSON log lines with the identity', async () => {
    const run = await runImage(CMD);
    expect(run.code, run.stderr).toBe(0);
    const program = run.lines.filter((l) => l.stream === 'stdout');
    expect(program.some((l) => String(l.msg).startsWith('Usage: jobkit'))).toBe(true);
    for (const line of program) expect(line).toMatchObject({ job: 'exec-e2e', namespace: 'batch', pod: 'exec-e2e-2-abcde', index: 2 });
    expect(run.lines.find((l) => l.msg === 'program exited 0')).toBeDefined();
  });

  it('args ["python3", ...] (a program in any language) gets the identity and exits through the exit-code table', async () => {
    const script = 'import os, sys; print("index", os.environ["JOBKIT_INDEX"], "of", os.environ["JOBKIT_COUNT"]); sys.exit(3)';
    const run = await runImage(['python3', '-c', script]);
    expect(run.code, run.stderr).toBe(70); // 3 is not in the table: a crash
    expect(run.lines.find((l) => l.stream === 'stdout')).toMatchObject({ msg: 'index 2 of 4', job: 'exec-e2e', index: 2, level: 'info' });
  });

  it('args ["node", "job.js"] (a TypeScript job) runs under it too', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'job.js'), 'console.log(JSON.stringify({ msg: "rows done", rows: 7, index: process.env.JOBKIT_INDEX }));\n');
    const run = await runImage(['node', join(dir, 'job.js')]);
    expect(run.code, run.stderr).toBe(0);
    // the program's JSON fields are kept, the identity's win a clash (index is a number, jobkit's)
    expect(run.lines.find((l) => l.msg === 'rows done')).toMatchObject({ rows: 7, index: 2, job: 'exec-e2e', stream: 'stdout' });
  });

  it('an old job image\'s CMD ["job.ts"] (a relative, non-executable script; the old ENTRYPOINT was node) runs under this Node', async () => {
    const dir = tempDir();
    const script = 'console.log(JSON.stringify({ msg: "ran", node: process.execPath, argv1: process.argv[1], extra: process.argv[2] }));\n';
    writeFileSync(join(dir, 'job.ts'), `const index: string = process.env.JOBKIT_INDEX ?? '';\n${script}`, { mode: 0o644 });
    const run = await runImage(['job.ts', '--flag'], () => {}, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.find((l) => l.msg === 'ran')).toMatchObject({ node: process.execPath, argv1: join(dir, 'job.ts'), extra: '--flag', stream: 'stdout' });
    const notes = run.lines.filter((l) => String(l.msg).includes('JavaScript/TypeScript file'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ level: 'info', command: 'job.ts', node: process.execPath });
  });

  it('CMD ["job.js"] with no such file exits 78 before anything runs, naming the file', async () => {
    const dir = tempDir();
    const run = await runImage(['job.js'], () => {}, dir);
    expect(run.code, run.stderr).toBe(78);
    const fatal = run.lines.find((l) => l.level === 'fatal');
    expect((fatal?.err as { message?: string } | undefined)?.message).toContain(`cannot start "job.js": no such file ${join(dir, 'job.js')} and no program of that name on PATH`);
    expect(run.lines.find((l) => l.msg === 'program started')).toBeUndefined();
  });

  it('SIGTERM to the entrypoint process (what tini forwards) reaches the program, which exits 143 through the supervisor', async () => {
    const script = 'trap "echo got TERM; exit 143" TERM; echo ready; while :; do sleep 0.05; done';
    let sent = false;
    const run = await runImage(['sh', '-c', script], (line, pid) => {
      if (!sent && line.msg === 'ready') {
        sent = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    expect(sent).toBe(true);
    expect(run.code, run.stderr).toBe(143);
    expect(run.lines.find((l) => l.msg === 'got TERM')).toMatchObject({ stream: 'stdout', job: 'exec-e2e' });
  });

  const tini = ENTRYPOINT[0] !== undefined && existsSync(ENTRYPOINT[0]) ? ENTRYPOINT[0] : undefined;
  it.skipIf(tini === undefined)('under tini the orphans a program leaves are reaped, and SIGTERM to tini reaches the program (143)', async () => {
    // The inner shell starts a sleep and exits at once: the sleep is orphaned, re-parented
    // to the nearest subreaper (tini), and must not stay a zombie once it has ended.
    const script = 'sh -c "sleep 0.3 & echo orphan=\\$!"; echo ready; trap "exit 143" TERM; while :; do sleep 0.05; done';
    const [, dashDash, ...rest] = ENTRYPOINT;
    expect(dashDash).toBe('--');
    const env = execEnv({ PATH: `${jobkitOnPath()}:${process.env.PATH ?? ''}`, JOBKIT_POD_NAME: 'exec-e2e-2-abcde' });
    let orphan = 0;
    let adoptedBy: number | undefined;
    let zombie: boolean | undefined;
    const run = await runProcess(tini!, ['-s', '--', ...rest, 'sh', '-c', script], env, (line, child) => {
      const m = /^orphan=(\d+)$/.exec(String(line.msg));
      if (m !== null) orphan = Number(m[1]);
      if (line.msg === 'ready') {
        adoptedBy = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${orphan}/status`, 'utf8'))?.[1]);
        setTimeout(() => {
          zombie = orphanState(orphan) === 'Z';
          child.kill('SIGTERM');
        }, 1_500);
      }
    });
    expect(orphan).toBeGreaterThan(0);
    expect(adoptedBy, 'the orphan was re-parented to tini').toBe(run.pid);
    expect(zombie).toBe(false);
    expect(run.code, run.stderr).toBe(143);
  });
});

/** The state letter of a process (`Z` for a zombie), or undefined once it is gone (reaped). */
function orphanState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
