/** Run a fixture job as a child process and watch its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
  /** performance.now() when each message was first seen, by msg. */
  readonly seenAt: Map<string, number>;
  /** performance.now() at exit. */
  readonly exitedAt: number;
}

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** The environment of a child, without any OTEL_* or JOBKIT_* inherited from the runner. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('JOBKIT_')) env[k] = v;
  return { ...env, JOBKIT_LOG_LEVEL: 'debug', ...extra };
}

/**
 * Start `file` with `env`; `onLine` sees each parsed stdout line as it arrives
 * (to send a signal at the right moment).
 */
export function runChild(
  file: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: Record<string, unknown>, child: ChildProcess) => void = () => {},
): Promise<ChildResult> {
  const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const seenAt = new Map<string, number>();
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (text.trim() === '') continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      if (typeof line.msg === 'string' && !seenAt.has(line.msg)) seenAt.set(line.msg, performance.now());
      onLine(line, child);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr, seenAt, exitedAt: performance.now() }));
  });
}

/** Milliseconds between the runtime's outcome line (logged before the shutdown hooks) and the exit. */
export function shutdownMs(result: ChildResult): number {
  const outcome = result.lines.find((l) => typeof l.exitCode === 'number');
  const at = outcome === undefined ? undefined : result.seenAt.get(String(outcome.msg));
  if (at === undefined) throw new Error(`no outcome line in ${JSON.stringify(result.lines)}\n${result.stderr}`);
  return result.exitedAt - at;
}
