/**
 * The lifecycle end to end: a real child Node process runs runJob (fixture
 * scenario-job.ts), receives REAL signals, and exits by itself. What it did is
 * read back from its stdout, which also proves the lines were flushed before
 * the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/scenario-job.ts', import.meta.url));

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface JobProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exited: Promise<Exit>;
  /** Resolves with the first line matching, or rejects after timeoutMs (a bounded wait). */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startJob(env: Record<string, string>): JobProcess {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JOBKIT_') && k !== 'JOB_COMPLETION_INDEX'));
  const child = spawn(process.execPath, [FIXTURE], { env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) if (part !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    lines,
    stderr: () => stderr,
    // 'close' waits for stdout to drain, so every line the child wrote is in `lines`.
    exited: closed.then(() => exited),
    waitForLine(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = lines.find(match);
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          }
          return found !== undefined;
        };
        const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; stdout: ${JSON.stringify(lines)}; stderr: ${stderr}`)), timeoutMs);
        if (!check()) waiters.push(check);
      });
    },
  };
}

const msg = (text: string) => (line: Record<string, unknown>) => line.msg === text;
const hookLines = (lines: Record<string, unknown>[], text: string) => lines.filter((l) => l.msg === text).map((l) => `${String(l.hook)}:${String(l.reason)}`);

describe('runJob in a real process', () => {
  it('success: exits 0, hooks ran in phase order with reason "completed", identity on every line', async () => {
    const job = startJob({ SCENARIO: 'success', JOB_COMPLETION_INDEX: '2', JOBKIT_COUNT: '3', HOSTNAME: 'etl-2', JOBKIT_NAMESPACE: 'data' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(hookLines(job.lines, 'hook done')).toEqual(['checkpoint:completed', 'release:completed', 'telemetry:completed', 'logs:completed']);
    for (const line of job.lines) expect(line).toMatchObject({ job: 'etl', namespace: 'data', index: 2 });
  });

  it('SIGTERM during work: exits 143 although main returned normally, every hook ran, last lines flushed', async () => {
    const job = startJob({ SCENARIO: 'wait-for-stop' });
    await job.waitForLine(msg('main started'));
    job.child.kill('SIGTERM');
    const exit = await job.exited;
    expect(exit).toEqual({ code: 143, signal: null });
    expect(job.lines.some(msg('main saw the abort and returns normally'))).toBe(true);
    expect(hookLines(job.lines, 'hook done')).toEqual(['checkpoint:signal', 'release:signal', 'telemetry:signal', 'logs:signal']);
    expect(job.lines.find((l) => l.signal === 'SIGTERM')?.level).toBe('warn');
  });

  it('SIGINT (Ctrl+C in `jobkit run`) stops the same way: 143, hooks told "signal"', async () => {
    const job = startJob({ SCENARIO: 'wait-for-stop' });
    await job.waitForLine(msg('main started'));
    job.child.kill('SIGINT');
    const exit = await job.exited;
    expect(exit).toEqual({ code: 143, signal: null });
    expect(hookLines(job.lines, 'hook done')).toContain('logs:signal');
  });

  it('a second SIGTERM forces the exit at once, while a hook is still running', async () => {
    const job = startJob({ SCENARIO: 'wait-for-stop', HOOK_MODE: 'hang', HOOK_BUDGET_MS: '60000', JOBKIT_GRACE_PERIOD_SECONDS: '60' });
    await job.waitForLine(msg('main started'));
    job.child.kill('SIGTERM');
    await job.waitForLine((l) => l.msg === 'hook started' && l.hook === 'checkpoint');
    const secondAt = performance.now();
    job.child.kill('SIGTERM');
    const exit = await job.exited;
    expect(exit).toEqual({ code: 143, signal: null });
    // "At once": far inside the 57 s the budget would otherwise allow.
    expect(performance.now() - secondAt).toBeLessThan(5_000);
    expect(job.lines.some((l) => l.msg === 'hook done' && l.hook === 'release')).toBe(false);
  });

  it('a hook that overruns its budget: the process still exits by itself before the grace period ends', async () => {
    const graceMs = 3_000;
    // A 1 s margin (budget 2 s) leaves room for a loaded CI machine's timer lag; the bound asserted is the grace period.
    const job = startJob({
      SCENARIO: 'wait-for-stop',
      HOOK_MODE: 'hang',
      HOOK_BUDGET_MS: '60000',
      JOBKIT_GRACE_PERIOD_SECONDS: String(graceMs / 1000),
      JOBKIT_SHUTDOWN_MARGIN_SECONDS: '1',
    });
    await job.waitForLine(msg('main started'));
    const sentAt = performance.now();
    job.child.kill('SIGTERM');
    const exit = await job.exited;
    const elapsed = performance.now() - sentAt;
    expect(exit).toEqual({ code: 143, signal: null });
    expect(elapsed).toBeLessThan(graceMs);
    // Two timers end at the same instant: the hanging hook's (capped at the
    // budget left) and the overall budget's. Either one may fire first; the
    // log must say why the exit came, whichever it was.
    const forcedExit = job.lines.find(msg('shutdown budget spent: exiting now'));
    const abandoned = job.lines.find((l) => l.msg === 'shutdown hook overran its budget and was abandoned' && l.hook === 'fixture.checkpoint');
    if (forcedExit !== undefined) expect(forcedExit).toMatchObject({ level: 'error', exitCode: 143 });
    else expect(abandoned).toMatchObject({ level: 'warn', hook: 'fixture.checkpoint' });
  });

  it('an unhandled rejection: exits 70 with the fatal line on stdout', async () => {
    const job = startJob({ SCENARIO: 'unhandled-rejection' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 70, signal: null });
    expect(job.lines.find((l) => l.level === 'fatal')).toMatchObject({ exitCode: 70, err: { message: 'nobody awaited me' } });
    expect(hookLines(job.lines, 'hook done')).toContain('logs:failed');
  });

  it('an uncaught exception: exits 70 with the fatal line on stdout', async () => {
    const job = startJob({ SCENARIO: 'uncaught-exception' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 70, signal: null });
    expect(job.lines.find((l) => l.level === 'fatal')).toMatchObject({ exitCode: 70, err: { type: 'RangeError', message: 'thrown from a timer' } });
  });

  it('a thrown ConfigurationError: exits 78', async () => {
    const job = startJob({ SCENARIO: 'configuration-error' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 78, signal: null });
    expect(job.lines.find((l) => l.level === 'fatal')?.err).toMatchObject({ type: 'ConfigurationError' });
  });

  it('a bad env value: exits 78 before main, the fatal line names the variable and value', async () => {
    const job = startJob({ SCENARIO: 'success', JOB_COMPLETION_INDEX: '4', JOBKIT_COUNT: '4' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 78, signal: null });
    expect(job.lines.some(msg('main started'))).toBe(false);
    expect(String(job.lines.find((l) => l.level === 'fatal')?.msg)).toContain('JOB_COMPLETION_INDEX=4 is out of range');
  });

  it('the deadline: exits 124 after the hooks ran with reason "deadline"', async () => {
    const job = startJob({ SCENARIO: 'wait-for-stop', JOBKIT_DEADLINE_SECONDS: '0.5' });
    const exit = await job.exited;
    expect(exit).toEqual({ code: 124, signal: null });
    expect(hookLines(job.lines, 'hook done')).toEqual(['checkpoint:deadline', 'release:deadline', 'telemetry:deadline', 'logs:deadline']);
  });
});
