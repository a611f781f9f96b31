/** Run `jobkit exec` / `jobkit once` as a real process and read its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
  /** performance.now() at exit. */
  readonly exitedAt: number;
  /** The process's pid. */
  readonly pid: number;
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jobkit-exec-'));
}

/** The environment of the supervisor: none of the runner's JOBKIT_* or OTEL_*, a job name, `extra`. */
export function execEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('JOBKIT_')) env[k] = v;
  return { ...env, JOBKIT_JOB_NAME: 'exec-e2e', JOBKIT_NAMESPACE: 'batch', JOBKIT_COUNT: '4', JOBKIT_INDEX: '2', ...extra };
}

/** The message of every parsed log line. */
export function messages(result: ExecResult): string[] {
  return result.lines.map((l) => String(l.msg));
}

/**
 * Start `jobkit <argv>` with `env`; `onLine` sees each parsed stdout line as
 * it arrives (to send a signal at the right moment).
 */
export function runJobkit(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: Record<string, unknown>, child: ChildProcess) => void = () => {},
): Promise<ExecResult> {
  return runProcess(process.execPath, [CLI, ...argv], env, onLine);
}

/** Start any program (`file` with `args`, in `cwd`) and read its stdout as JSON log lines, as {@link runJobkit} does. */
export function runProcess(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: Record<string, unknown>, child: ChildProcess) => void = () => {},
  cwd?: string,
): Promise<ExecResult> {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
  const lines: Record<string, unknown>[] = [];
  let stdout = '';
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (text.trim() === '') continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { unparsed: text };
      }
      lines.push(line);
      onLine(line, child);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, lines, stderr, exitedAt: performance.now(), pid: child.pid ?? 0 }));
  });
}

/** Whether a process with `pid` exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie awaiting its reaper still answers kill(0): read its state.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
