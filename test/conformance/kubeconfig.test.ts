/**
 * `jobkit run --control-plane kube --kubeconfig` with a bearer-token user, as
 * a cluster's kubeconfig often has: a ServiceAccount bound to cluster-admin,
 * its token from the TokenRequest API of the conformance control plane.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KubeApi } from '../../src/local/kube/api-client.ts';
import { readKubeconfig } from '../../src/local/kube/kubeconfig.ts';
import { jobManifest, removeTempDirs, runManifest, tempDir } from '../e2e/emulator/harness.ts';

afterAll(removeTempDirs);

it('runs a Job with a kubeconfig whose user is a bearer token', async () => {
  const adminConfig = process.env['JOBKIT_TEST_KUBECONFIG'];
  if (adminConfig === undefined) throw new Error('JOBKIT_TEST_KUBECONFIG is not set (test/setup/control-plane.ts sets it)');
  const api = new KubeApi(readKubeconfig(adminConfig));
  const ns = `token-${Date.now().toString(36)}`;
  try {
    await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } });
    await api.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${ns}-runner` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'runner', namespace: ns }],
    });
    const request = await api.create<{ status: { token: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/runner/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 600 },
    });
    const admin = parse(readFileSync(adminConfig, 'utf8')) as { clusters: unknown[] };
    const file = join(tempDir(), 'token.kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [{ name: 'runner', user: { token: request.status.token } }],
        contexts: [{ name: 'token', context: { cluster: 'local', user: 'runner' } }],
        'current-context': 'token',
      }),
    );
    const manifest = jobManifest({ name: 'by-token', script: 'echo authenticated' });
    (manifest['metadata'] as Record<string, unknown>)['namespace'] = ns;
    const r = await runManifest(manifest, ['--control-plane', 'kube', '--kubeconfig', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('] authenticated');
    expect(r.job.status?.succeeded).toBe(1);
    // The token never reaches the output.
    expect(r.stdout + r.stderr).not.toContain(request.status.token);
  } finally {
    api.close();
  }
});
