/**
 * Starts and stops a private Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager) through scripts/control-plane/, which build the
 * pinned binaries into a cache outside the repository when they are missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../../runtime/errors.ts';

/** The scripts, beside src/ (and dist/) in the repository and in the package. */
export const CONTROL_PLANE_SCRIPTS = fileURLToPath(new URL('../../../scripts/control-plane/', import.meta.url));

/** A running control plane. */
export interface ControlPlane {
  /** Its admin kubeconfig. */
  readonly kubeconfig: string;
  /** Stops every component and removes the state directory. */
  stop(): Promise<void>;
}

function runScript(
  script: string,
  args: readonly string[],
  onLine: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(CONTROL_PLANE_SCRIPTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim() !== '') onLine(line);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts a control plane in a new temporary directory (the first start on a
 * machine builds the binaries: about 10 minutes on 2 cores).
 *
 * @throws ConfigurationError when a component does not come up, with its log tail.
 * @example
 * ```ts
 * const plane = await startControlPlane({ onLine: (l) => console.error(l) });
 * try { await useIt(plane.kubeconfig); } finally { await plane.stop(); }
 * ```
 */
export async function startControlPlane(options: { readonly onLine?: (line: string) => void; readonly env?: NodeJS.ProcessEnv } = {}): Promise<ControlPlane> {
  const state = mkdtempSync(join(tmpdir(), 'jobkit-control-plane-'));
  const started = await runScript('start.sh', [state], options.onLine ?? (() => undefined), options.env);
  if (started.code !== 0) {
    // start.sh stopped what it had started; its logs' tails are in the message.
    rmSync(state, { recursive: true, force: true });
    throw new ConfigurationError(`the control plane did not start:\n${started.stderr.trim().split('\n').slice(-30).join('\n')}`);
  }
  const kubeconfig = started.stdout.trim().split('\n').at(-1) ?? join(state, 'admin.kubeconfig');
  let stopping: Promise<void> | undefined;
  return {
    kubeconfig,
    stop: () => (stopping ??= runScript('stop.sh', [state], () => undefined).then(() => undefined)),
  };
}
