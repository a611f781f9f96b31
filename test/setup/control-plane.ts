/**
 * Vitest global setup for the conformance project: one real control plane
 * (etcd, kube-apiserver, kube-controller-manager from scripts/control-plane/,
 * built into the cache on a fresh machine) for every conformance test. Its
 * admin kubeconfig is exported as JOBKIT_TEST_KUBECONFIG, which the workers
 * inherit; an outer setup that already set it is reused.
 */
import { type ControlPlane, startControlPlane } from '../../src/local/kube/control-plane.ts';

let plane: ControlPlane | undefined;

export async function setup(): Promise<void> {
  if (process.env['JOBKIT_TEST_KUBECONFIG'] !== undefined) return;
  plane = await startControlPlane({ onLine: (line) => process.stderr.write(`${line}\n`) });
  process.env['JOBKIT_TEST_KUBECONFIG'] = plane.kubeconfig;
}

export async function teardown(): Promise<void> {
  await plane?.stop();
}
