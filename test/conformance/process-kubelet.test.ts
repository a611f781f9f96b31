/**
 * The process kubelet as the API server sees it: the pod status it reports
 * (phase, container state, exit code, reason, restartCount), the Node it
 * registers and binds pods to, and the environment its containers get.
 * Runs Jobs through runJobOnControlPlane on the conformance control plane.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KubeApi, type KubeObject } from '../../src/local/kube/api-client.ts';
import { readKubeconfig } from '../../src/local/kube/kubeconfig.ts';
import { runJobOnControlPlane } from '../../src/local/kube/run-on-control-plane.ts';
import type { PodRunnerSink } from '../../src/local/pod-runner.ts';
import { removeTempDirs, tempDir } from '../e2e/emulator/harness.ts';

afterAll(removeTempDirs);

const kubeconfig = process.env['JOBKIT_TEST_KUBECONFIG'];
if (kubeconfig === undefined) throw new Error('JOBKIT_TEST_KUBECONFIG is not set (test/setup/control-plane.ts sets it)');
const api = new KubeApi(readKubeconfig(kubeconfig));
afterAll(() => api.close());

interface ContainerStatus {
  name: string;
  restartCount: number;
  state: { terminated?: { exitCode: number; reason: string } };
}

function collect(): { sink: PodRunnerSink; lines: string[] } {
  const lines: string[] = [];
  return { lines, sink: { podLine: (pod, line) => lines.push(`[${pod.name}] ${line}`), event: (message) => lines.push(message) } };
}

let namespaceSeq = 0;
function job(spec: Record<string, unknown>, pod: Record<string, unknown>, script: string): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'kubelet', namespace: `kubelet-${Date.now().toString(36)}-${namespaceSeq++}` },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, ...pod, containers: [{ name: 'main', image: 'none', command: ['sh', '-c', script] }] } } },
  };
}

function containerStatus(pod: KubeObject): ContainerStatus {
  const status = pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined;
  const first = status?.containerStatuses?.[0];
  if (first === undefined) throw new Error(`pod ${String(pod.metadata?.name)} has no container status`);
  return first;
}

describe('the process kubelet', () => {
  it('reports Succeeded and Failed pods with the exit code and the reason the kubelet gives', async () => {
    const { sink } = collect();
    const r = await runJobOnControlPlane({
      api,
      manifest: job({ completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimit: 0 }, {}, '[ "$JOB_COMPLETION_INDEX" = 0 ] && exit 0; exit 3'),
      sink,
    });
    expect(r.outcome).toBe('Failed');
    const byPhase = new Map(r.pods.map((p) => [(p['status'] as { phase: string }).phase, p]));
    expect(containerStatus(byPhase.get('Succeeded')!).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(containerStatus(byPhase.get('Failed')!).state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    for (const pod of r.pods) expect((pod['spec'] as { nodeName: string }).nodeName).toBe('jobkit-local');
    const node = await api.get<KubeObject>('/api/v1/nodes/jobkit-local');
    const ready = (node['status'] as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
  });

  it('restarts an OnFailure container in place and counts restartCount', async () => {
    const dir = tempDir();
    const { sink } = collect();
    const r = await runJobOnControlPlane({
      api,
      manifest: job({}, { restartPolicy: 'OnFailure' }, `n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n+1)) > ${dir}/n; [ $n -ge 2 ]`),
      sink,
      backoffScale: 0.01,
    });
    expect(r.outcome).toBe('Complete');
    expect(r.pods).toHaveLength(1);
    const status = containerStatus(r.pods[0]!);
    expect(status.restartCount).toBe(2);
    expect(status.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('gives containers the pod env: downward API, $(VAR) expansion and the Indexed hostname', async () => {
    const manifest = job({ completions: 1, completionMode: 'Indexed' }, {}, 'echo "h=$HOSTNAME p=$POD i=$IDX x=$EXPANDED ns=$NS"') as {
      metadata: { namespace: string };
      spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    manifest.spec.template.spec.containers[0]!['env'] = [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'IDX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      { name: 'EXPANDED', value: 'pod-$(POD)' },
    ];
    const { sink, lines } = collect();
    const r = await runJobOnControlPlane({ api, manifest, sink });
    expect(r.outcome).toBe('Complete');
    const line = lines.find((l) => l.includes(' h='));
    const m = /^\[(\S+)\] h=kubelet-0 p=(\S+) i=0 x=pod-(\S+) ns=(\S+)$/.exec(line ?? '');
    expect(m, line).not.toBeNull();
    expect(m![2]).toBe(m![1]);
    expect(m![3]).toBe(m![1]);
    expect(m![4]).toBe(manifest.metadata.namespace);
  });

  it('evicts a pod through the Eviction API: SIGTERM, and DisruptionTarget for the real controller\'s rules', async () => {
    const { sink, lines } = collect();
    const r = await runJobOnControlPlane({
      api,
      manifest: job(
        { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } },
        {},
        "trap 'echo got SIGTERM; exit 143' TERM; sleep 3 & wait",
      ),
      sink,
      chaos: { preempt: 1, kill: 0, duplicate: 0 },
      chaosMaxDelayMs: 400,
      seed: 3,
    });
    expect(r.outcome, lines.join('\n')).toBe('Complete');
    expect(lines.some((l) => l.includes('chaos: evicting pod'))).toBe(true);
    expect(lines.some((l) => l.endsWith('got SIGTERM'))).toBe(true);
    // The real controller matched the Ignore rule: the evicted pod carried DisruptionTarget when it failed.
    expect(r.job.status?.failed ?? 0).toBe(0);
    expect(r.job.status?.succeeded).toBe(1);
  });

  it('kills the pods and takes the Job back when the run is interrupted', async () => {
    const { sink, lines } = collect();
    const abort = new AbortController();
    const manifest = job({}, {}, 'echo up; exec sleep 30') as { metadata: { name: string; namespace: string } };
    const run = runJobOnControlPlane({ api, manifest, sink, signal: abort.signal });
    const until = Date.now() + 20_000;
    while (!lines.some((l) => l.endsWith('] up')) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    abort.abort(new Error('interrupted'));
    await expect(run).rejects.toThrow('interrupted');
    const jobPath = `/apis/batch/v1/namespaces/${manifest.metadata.namespace}/jobs/${manifest.metadata.name}`;
    const gone = Date.now() + 20_000;
    let left = await api.find(jobPath);
    while (left !== undefined && Date.now() < gone) {
      await new Promise((r) => setTimeout(r, 200));
      left = await api.find(jobPath);
    }
    expect(left).toBeUndefined();
  });
});
