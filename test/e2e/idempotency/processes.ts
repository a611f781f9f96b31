/**
 * Spawning fixture workers and reading what they did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** A running worker and its exit. */
export interface Worker {
  readonly child: ChildProcess;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Start one worker process with `env` on top of the test's environment. */
export function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8_000);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

/** Wait for every worker; fail with the stderr of the first that did not exit 0. */
export async function expectAllSucceed(workers: readonly Worker[]): Promise<void> {
  const exits = await Promise.all(workers.map((w) => w.exit));
  const failed = exits.find((e) => e.code !== 0);
  if (failed !== undefined) throw new Error(`a worker exited ${failed.code ?? failed.signal}: ${failed.stderr}`);
}

/** Every line every worker appended to its ran-<n>.log: the side effects that happened. */
export function sideEffects(outDir: string): string[] {
  return readdirSync(outDir)
    .filter((f) => f.startsWith('ran-'))
    .flatMap((f) => readFileSync(join(outDir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

/** Wait (bounded) for a file to appear. */
export async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Parse OUT_DIR/result-<n>.json. */
export function readResult<T>(outDir: string, worker: number): T {
  return JSON.parse(readFileSync(join(outDir, `result-${worker}.json`), 'utf8')) as T;
}
