/**
 * `jobkit run --control-plane kube` without --kubeconfig: it starts a private
 * control plane for the run (the binaries already built by the test command),
 * runs the Job on it, and stops it, leaving no process and no state behind;
 * one that does not come up in time fails clearly, and leaves nothing either.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { startControlPlane } from '../../src/local/kube/control-plane.ts';
import { ConfigurationError } from '../../src/runtime/errors.ts';
import { jobManifest, removeTempDirs, runManifest } from '../e2e/emulator/harness.ts';

afterAll(removeTempDirs);

function stateDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('jobkit-control-plane-'));
}

function controlPlaneProcesses(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /\/(etcd|kube-apiserver|kube-controller-manager) /.test(l) && l.includes('jobkit-control-plane-'));
}

it('starts a private control plane, runs the Job on it, and stops it without leftovers', async () => {
  const dirsBefore = new Set(stateDirs());
  const processesBefore = new Set(controlPlaneProcesses());
  const r = await runManifest(jobManifest({ name: 'private', spec: { completions: 2, parallelism: 2 }, script: 'echo on a real controller' }), ['--control-plane', 'kube']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain('starting a private control plane');
  expect(r.stderr.match(/\] on a real controller/g)).toHaveLength(2);
  expect(r.job.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.job.status?.succeeded).toBe(2);
  expect(r.job.metadata).not.toHaveProperty('managedFields');
  expect(stateDirs().filter((d) => !dirsBefore.has(d))).toEqual([]);
  expect(controlPlaneProcesses().filter((p) => !processesBefore.has(p))).toEqual([]);
});

it('fails with the component and its log tail when the control plane is not ready in time, leaving nothing behind', async () => {
  const dirsBefore = new Set(stateDirs());
  const processesBefore = new Set(controlPlaneProcesses());
  // A 0 s readiness budget: the API server cannot be ready at the first check.
  const failed = await startControlPlane({ env: { ...process.env, JOBKIT_K8S_READY_TIMEOUT: '0' } }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failed).toBeInstanceOf(ConfigurationError);
  expect((failed as Error).message).toMatch(/the control plane did not start:[\s\S]*kube-apiserver not ready within 0 s/);
  expect((failed as Error).message).toContain('--- last lines of');
  expect(stateDirs().filter((d) => !dirsBefore.has(d))).toEqual([]);
  expect(controlPlaneProcesses().filter((p) => !processesBefore.has(p))).toEqual([]);
});
