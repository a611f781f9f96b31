/**
 * `jobkit exec` with real child processes and real signals: the identity env,
 * 78 before the start, signal forwarding to the process group, the grace
 * budget, the exit-code mapping (a real OOM kill in a memory cgroup where the
 * machine allows one, and a fake cgroup memory.events everywhere) and the deadline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { alive, execEnv, messages, runJobkit, tempDir } from './exec-child.ts';

describe('jobkit exec: identity', () => {
  it('passes the identity as JOBKIT_* variables, whatever platform variables it came from', async () => {
    const env = execEnv({ JOBKIT_INDEX: '', JOB_COMPLETION_INDEX: '3', JOBKIT_ATTEMPT: '1', JOBKIT_POD_NAME: 'exec-e2e-3-abcde' });
    const result = await runJobkit(['exec', '--logs', 'raw', '--', 'sh', '-c', 'env | grep -E "^(JOBKIT_|TRACEPARENT)" | sort'], env);
    expect(result.code, result.stderr).toBe(0);
    const vars: Record<string, string> = {};
    for (const line of result.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (line.startsWith('JOBKIT_') && eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
    }
    expect(vars).toMatchObject({
      JOBKIT_JOB_NAME: 'exec-e2e',
      JOBKIT_NAMESPACE: 'batch',
      JOBKIT_POD_NAME: 'exec-e2e-3-abcde',
      JOBKIT_INDEX: '3',
      JOBKIT_COUNT: '4',
      JOBKIT_ATTEMPT: '1',
    });
    expect(result.stdout).not.toContain('TRACEPARENT'); // tracing is off
  });

  it('exits 78 before starting the program when the identity env is bad', async () => {
    const dir = tempDir();
    const marker = join(dir, 'started');
    const result = await runJobkit(['exec', '--', 'sh', '-c', `touch ${marker}`], execEnv({ JOBKIT_INDEX: 'abc' }));
    expect(result.code).toBe(78);
    expect(existsSync(marker)).toBe(false);
    expect(messages(result).join('\n')).toContain('JOBKIT_INDEX');
  });

  it('exits 78 before starting the program on a bad supervisor option', async () => {
    const dir = tempDir();
    const marker = join(dir, 'started');
    const result = await runJobkit(['exec', '--', 'sh', '-c', `touch ${marker}`], execEnv({ JOBKIT_EXEC_SIGNAL_TO: 'everyone' }));
    expect(result.code).toBe(78);
    expect(existsSync(marker)).toBe(false);
    expect(result.stdout).toContain('JOBKIT_EXEC_SIGNAL_TO');
  });

  it('exits 78 when the program cannot be started', async () => {
    const result = await runJobkit(['exec', '--', '/nonexistent/program'], execEnv());
    expect(result.code).toBe(78);
    expect(result.stdout).toContain('cannot start');
  });
});

/**
 * A shell child with a grandchild (its own `sh`): each records the SIGTERM it
 * gets in `dir` (`childTrap` for the child); the child prints the
 * grandchild's pid, the grandchild "ready" once its trap is set.
 */
function familyScript(dir: string, childTrap = `echo term > ${dir}/child; wait; exit 143`): string {
  const grandchild = `trap 'echo term > ${dir}/grandchild; exit 0' TERM; echo ready; while :; do sleep 0.05; done`;
  return [`trap '${childTrap}' TERM`, `sh -c "${grandchild}" &`, `echo "grandchild=$!"`, 'while :; do sleep 0.05; done'].join('\n');
}

/** Run `jobkit exec <flags> -- sh -c familyScript` and SIGTERM the supervisor once the family is up. */
async function runFamily(dir: string, flags: readonly string[], childTrap?: string): Promise<{ code: number | null; stderr: string; grandchild: number }> {
  let grandchild = 0;
  let ready = false;
  const result = await runJobkit(['exec', ...flags, '--', 'sh', '-c', familyScript(dir, childTrap)], execEnv(), (line, child) => {
    const m = /^grandchild=(\d+)$/.exec(String(line.msg));
    if (m?.[1] !== undefined) grandchild = Number(m[1]);
    if (line.msg === 'ready') ready = true;
    if (ready && grandchild > 0 && (m !== null || line.msg === 'ready')) child.kill('SIGTERM');
  });
  return { code: result.code, stderr: result.stderr, grandchild };
}

describe('jobkit exec: signals', () => {
  it('forwards SIGTERM to the process group: the child and its grandchild both get it; exit 143', async () => {
    const dir = tempDir();
    const { code, stderr, grandchild } = await runFamily(dir, []);
    expect(code, stderr).toBe(143);
    expect(readFileSync(join(dir, 'child'), 'utf8').trim()).toBe('term');
    expect(readFileSync(join(dir, 'grandchild'), 'utf8').trim()).toBe('term');
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  it('with --signal-to child only the child gets SIGTERM, and the grandchild is SIGKILLed at the end', async () => {
    const dir = tempDir();
    const { code, stderr, grandchild } = await runFamily(dir, ['--signal-to', 'child'], `echo term > ${dir}/child; exit 143`);
    expect(code, stderr).toBe(143);
    expect(existsSync(join(dir, 'child'))).toBe(true);
    expect(existsSync(join(dir, 'grandchild'))).toBe(false);
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  it('kills a background grandchild left behind when the child exits 0: none outlives the supervisor', async () => {
    const result = await runJobkit(['exec', '--', 'sh', '-c', 'sleep 300 & echo "grandchild=$!"; exit 0'], execEnv());
    expect(result.code, result.stderr).toBe(0);
    const pid = Number(/grandchild=(\d+)/.exec(result.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('forwards SIGINT as SIGINT; exit 143', async () => {
    const dir = tempDir();
    const script = `trap 'echo int > ${dir}/child; exit 130' INT; trap 'echo term > ${dir}/child; exit 143' TERM; echo ready; while :; do sleep 0.05; done`;
    const result = await runJobkit(['exec', '--signal-to', 'child', '--', 'sh', '-c', script], execEnv(), (line, child) => {
      if (line.msg === 'ready') child.kill('SIGINT');
    });
    expect(result.code, result.stderr).toBe(143);
    expect(readFileSync(join(dir, 'child'), 'utf8').trim()).toBe('int');
  });

  it('a second SIGTERM exits at once and SIGKILLs the group first', async () => {
    let pid = 0;
    let sentAt = 0;
    const script = "trap '' TERM; echo \"pid=$$\"; while :; do sleep 0.05; done";
    const result = await runJobkit(['exec', '--', 'sh', '-c', script], execEnv({ JOBKIT_GRACE_PERIOD_SECONDS: '60' }), (line, child) => {
      const m = /^pid=(\d+)$/.exec(String(line.msg));
      if (m?.[1] !== undefined) {
        pid = Number(m[1]);
        child.kill('SIGTERM');
      }
      if (line.msg === 'sent SIGTERM to the program') {
        sentAt = performance.now();
        child.kill('SIGTERM');
      }
    });
    expect(result.code, result.stderr).toBe(143);
    expect(result.exitedAt - sentAt).toBeLessThan(10_000);
    expect(alive(pid)).toBe(false);
  });

  it('SIGKILLs a child that ignores SIGTERM within the grace budget, and exits before the grace period ends', async () => {
    let sentAt = 0;
    const script = "trap '' TERM; echo ready; while :; do sleep 0.05; done";
    const result = await runJobkit(['exec', '--', 'sh', '-c', script], execEnv({ JOBKIT_GRACE_PERIOD_SECONDS: '3' }), (line, child) => {
      if (line.msg === 'ready') {
        sentAt = performance.now();
        child.kill('SIGTERM');
      }
    });
    expect(result.code, result.stderr).toBe(143);
    expect(messages(result)).toContain('the program outlived the grace budget: SIGKILL');
    expect(result.lines.find((l) => l.msg === 'program ended by SIGKILL')).toBeDefined();
    const took = result.exitedAt - sentAt;
    expect(took).toBeGreaterThan(1_500); // the budget (3 s - 0.5 s margin) less the reserve was waited for
    expect(took).toBeLessThan(3_000); // before the kubelet's SIGKILL
  });
});

describe('jobkit exec: exit codes', () => {
  const cases: ReadonlyArray<readonly [string, string, readonly string[], number]> = [
    ['0 passes', 'exit 0', [], 0],
    ['65 (permanent) passes', 'exit 65', [], 65],
    ['75 (retryable) passes', 'exit 75', [], 75],
    ['73 (fenced) passes', 'exit 73', [], 73],
    ['3 is a crash', 'exit 3', [], 70],
    ['3 passes with --pass-exit-codes', 'exit 3', ['--pass-exit-codes'], 3],
    ['death by SIGKILL is a crash', 'kill -KILL $$', [], 70],
    ['death by SIGSEGV is a crash', 'kill -SEGV $$', [], 70],
  ];
  for (const [name, script, flags, code] of cases) {
    it(name, async () => {
      const result = await runJobkit(['exec', ...flags, '--', 'sh', '-c', script], execEnv());
      expect(result.code, result.stderr).toBe(code);
    });
  }

  it('a SIGKILL while the cgroup oom_kill counter rose is logged as OOM-killed, exit 70', async () => {
    const dir = tempDir();
    const events = join(dir, 'memory.events');
    writeFileSync(events, 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n');
    const script = `printf 'low 0\\nhigh 0\\nmax 4\\noom 2\\noom_kill 2\\noom_group_kill 0\\n' > ${events}; kill -KILL $$`;
    const result = await runJobkit(['exec', '--', 'sh', '-c', script], execEnv({ JOBKIT_EXEC_CGROUP_DIR: dir }));
    expect(result.code, result.stderr).toBe(70);
    expect(result.lines.find((l) => l.msg === 'program ended by SIGKILL (OOM-killed)')).toMatchObject({ oomKilled: true });
    expect(messages(result).some((m) => m.includes('crash'))).toBe(true);
  });

  // A real OOM kill where the machine lets us make a memory cgroup (root with a
  // writable cgroup v2 memory controller or cgroup v1 memory hierarchy).
  const memoryCgroup = makeMemoryCgroup(64 * 2 ** 20);
  it.skipIf(memoryCgroup === undefined)('a real OOM kill by the kernel in a 64 MiB cgroup: OOM-killed, exit 70', async () => {
    const cg = memoryCgroup!;
    try {
      // The child joins the cgroup, then allocates far past its limit; the kernel's OOM killer SIGKILLs it.
      const script = `echo $$ > ${cg.dir}/cgroup.procs && exec python3 -c "x = bytearray(512 << 20); x[::4096] = b'x' * len(x[::4096])"`;
      const result = await runJobkit(['exec', '--cgroup-dir', cg.dir, '--', 'sh', '-c', script], execEnv());
      expect(result.code, result.stderr).toBe(70);
      expect(result.lines.find((l) => l.msg === 'program ended by SIGKILL (OOM-killed)')).toMatchObject({ oomKilled: true });
    } finally {
      cg.remove();
    }
  });

  it('a SIGKILL without an OOM kill is not called one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'memory.events'), 'oom 0\noom_kill 0\n');
    const result = await runJobkit(['exec', '--cgroup-dir', dir, '--', 'sh', '-c', 'kill -KILL $$'], execEnv());
    expect(result.code).toBe(70);
    expect(result.stdout).not.toContain('OOM-killed');
  });

  it('enforces the deadline: SIGTERM to the program, exit 124', async () => {
    const dir = tempDir();
    const script = `trap 'echo term > ${dir}/child; exit 0' TERM; while :; do sleep 0.05; done`;
    const result = await runJobkit(['exec', '--', 'sh', '-c', script], execEnv({ JOBKIT_DEADLINE_SECONDS: '1' }));
    expect(result.code, result.stderr).toBe(124);
    expect(readFileSync(join(dir, 'child'), 'utf8').trim()).toBe('term');
  });
});

/**
 * A memory cgroup limited to `bytes`, or undefined when this machine does not
 * let the test make one (not root, no writable memory controller, no python3).
 */
function makeMemoryCgroup(bytes: number): { readonly dir: string; remove(): void } | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || spawnSync('python3', ['-c', '0']).status !== 0) return undefined;
  const name = `jobkit-oom-test-${process.pid}`;
  const candidates: { dir: string; limits: Record<string, string> }[] = [
    { dir: join('/sys/fs/cgroup', name), limits: { 'memory.max': String(bytes), 'memory.swap.max': '0' } },
    { dir: join('/sys/fs/cgroup/memory', name), limits: { 'memory.limit_in_bytes': String(bytes), 'memory.memsw.limit_in_bytes': String(bytes) } },
  ];
  for (const { dir, limits } of candidates) {
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    const remove = (): void => {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          spawnSync('sleep', ['0.1']); // the killed process leaves the cgroup a moment after its exit is reported
        }
      }
    };
    try {
      // a directory the kernel did not populate is not a cgroup (/sys/fs/cgroup may be a tmpfs of v1 mounts)
      if (!existsSync(join(dir, 'cgroup.procs'))) throw new Error('not a cgroup');
      const [first, ...rest] = Object.entries(limits);
      writeFileSync(join(dir, first![0]), first![1]); // the limit itself is required
      for (const [file, value] of rest) {
        try {
          writeFileSync(join(dir, file), value); // swap limits exist only with swap accounting
        } catch {
          // no swap accounting: the memory limit alone applies
        }
      }
      return { dir, remove };
    } catch {
      remove();
    }
  }
  return undefined;
}
