/**
 * `jobkit run --control-plane kube`: the user's Job on a real API server and
 * the real Job controller, its pods run by the process kubelet. The API
 * server validates and defaults the manifest (its own messages), the
 * controller decides every pod, retry and condition; chaos maps onto real
 * calls: a preemption is the Eviction API (which sets DisruptionTarget), a
 * kill a SIGKILL of the container, a duplicate a second pod for the same
 * index created through the API.
 */
import { ChaosEngine, NO_CHAOS, planJobChaos } from '../chaos.ts';
import { InvalidManifestError } from '../errors.ts';
import { type LocalJobResult, type RunLocalJobOptions, managedElsewhereError, stderrSink, suspendedForeverError } from '../emulator.ts';
import type { LocalPod } from '../pod.ts';
import type { PodRunnerSink } from '../pod-runner.ts';
import { parseManifestText } from '../read-manifest.ts';
import { SeededRandom } from '../rng.ts';
import { RunTimers } from '../timers.ts';
import type { Job } from '../types.ts';
import { type KubeApi, KubeApiError, type KubeObject } from './api-client.ts';
import { ProcessKubelet } from './process-kubelet.ts';

/** Options of {@link runJobOnControlPlane}. */
export interface RunOnControlPlaneOptions extends Omit<RunLocalJobOptions, 'now' | 'deleteSignal' | 'onCreated'> {
  /** The API server (an admin connection). */
  readonly api: KubeApi;
  /** How long a finished Job's pods may take to stop before the run gives up waiting (ms). @default 60000 */
  readonly drainTimeoutMs?: number;
}

/** The final Job and what happened, as the emulator reports it. */
export interface ControlPlaneJobResult extends LocalJobResult {
  /** The pods of the Job, as the API server last had them. */
  readonly pods: readonly KubeObject[];
}

function conditionTrue(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Creates an object unless it exists already. */
async function ensure(api: KubeApi, path: string, body: object): Promise<void> {
  try {
    await api.create(path, body);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409)) throw err;
  }
}

/** The namespace, and its default ServiceAccount: pods need it (the ServiceAccount admission plugin). */
export async function ensureNamespace(api: KubeApi, namespace: string): Promise<void> {
  await ensure(api, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await ensure(api, `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
}

/**
 * Runs a Job manifest on a control plane until the Job is Complete or Failed
 * and its pods have stopped.
 *
 * @throws InvalidManifestError with the API server's message when it refuses the Job.
 * @example
 * ```ts
 * const api = new KubeApi(readKubeconfig(kubeconfig));
 * const { job, outcome } = await runJobOnControlPlane({ api, manifest: readFileSync('job.yaml', 'utf8') });
 * ```
 */
export async function runJobOnControlPlane(options: RunOnControlPlaneOptions): Promise<ControlPlaneJobResult> {
  const { api } = options;
  const raw = (typeof options.manifest === 'string' ? parseManifestText(options.manifest) : structuredClone(options.manifest)) as KubeObject;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidManifestError('', [], 'the manifest is not an object');
  const metadata = (raw.metadata ??= {});
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  metadata.namespace = namespace;
  const sink = options.sink ?? stderrSink();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const chaosRandom = new SeededRandom(seed ^ 0x5bd1e995);
  const ns = encodeURIComponent(namespace);

  await ensureNamespace(api, namespace);

  const timers = new RunTimers();
  const later = timers.later;
  let done = false;
  // The kubelet's callbacks feed the chaos engine, which needs the kubelet: built after it.
  const chaosRef: { engine?: ChaosEngine } = {};
  // A failed call of the kubelet or of chaos is told, not fatal: the next poll retries.
  const report = (err: unknown): void => sink.event(`control plane: ${err instanceof Error ? err.message : String(err)}`);
  const kubelet = new ProcessKubelet({
    api,
    nodeName: options.nodeName ?? 'jobkit-local',
    namespace,
    baseEnv: options.env ?? process.env,
    backoffScale: options.backoffScale ?? 1,
    sink: {
      podLine: (pod, line) => {
        chaosRef.engine?.podLine(pod);
        sink.podLine(pod, line);
      },
      event: (message) => sink.event(message),
    },
    onStarted: (pod) => chaosRef.engine?.podStarted(pod),
    onError: report,
  });

  let created: Job;
  try {
    created = await api.create<Job>(`/apis/batch/v1/namespaces/${ns}/jobs`, raw);
  } catch (err) {
    if (err instanceof KubeApiError && (err.code === 422 || err.code === 400 || err.code === 409)) {
      throw new InvalidManifestError(String(metadata.name ?? ''), [], err.status.message ?? err.message);
    }
    throw err;
  }
  const name = created.metadata.name;
  const jobPath = `/apis/batch/v1/namespaces/${ns}/jobs/${encodeURIComponent(name)}`;
  // Valid, but it would never run here or never end: refused as the emulator does (and taken back).
  const unrunnable = [managedElsewhereError(created), created.spec.suspend === true && options.suspension?.resumeAtMs === undefined ? suspendedForeverError() : undefined].filter(
    (e) => e !== undefined,
  );
  if (unrunnable.length > 0) {
    await api.delete(`${jobPath}?propagationPolicy=Background`).catch(() => undefined);
    throw new InvalidManifestError(name, unrunnable);
  }
  const chaosMaxDelayMs = options.chaosMaxDelayMs ?? 1000;
  const chaos = new ChaosEngine({
    plan: planJobChaos(options.chaos ?? NO_CHAOS, chaosRandom, created.spec, chaosMaxDelayMs),
    armSilentAfterMs: chaosMaxDelayMs,
    random: chaosRandom,
    later,
    isDone: () => done,
    runningPods: () => kubelet.runningPods(),
    hooks: {
      preempt: (pod) => {
        sink.event(`chaos: evicting pod ${pod.name} (the Eviction API: DisruptionTarget, EvictionByEvictionAPI)`);
        void api
          .create(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod.name)}/eviction`, {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.name, namespace },
          })
          .catch(report);
      },
      kill: (pod) => kubelet.kill(pod),
      duplicate: (pod) => duplicatePod(api, sink, namespace, pod, report),
    },
  });
  chaosRef.engine = chaos;

  // spec.suspend changes are PATCHes of the Job, timed from its creation like the emulator's.
  const suspension = options.suspension ?? {};
  const setSuspended = (suspended: boolean): void => {
    if (done) return;
    sink.event(suspended ? 'suspending the Job (spec.suspend: true): its active pods are deleted, uncounted' : 'resuming the Job (spec.suspend: false)');
    void api.patch(jobPath, { spec: { suspend: suspended } }).catch(report);
  };
  if (suspension.suspendAtMs !== undefined) later(suspension.suspendAtMs, () => setSuspended(true));
  if (suspension.resumeAtMs !== undefined) later(suspension.resumeAtMs, () => setSuspended(false));

  await kubelet.start();
  const onAbort = (): void => {
    done = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let job = created;
    for (;;) {
      if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('aborted');
      await new Promise((r) => setTimeout(r, 150));
      job = await api.get<Job>(jobPath);
      if (conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed')) break;
    }
    done = true;
    // The controller may still be deleting active pods (FailJob, a success policy): let them stop.
    const drainUntil = Date.now() + (options.drainTimeoutMs ?? 60_000);
    let pods: KubeObject[] = [];
    for (;;) {
      job = await api.get<Job>(jobPath);
      pods = (await api.get<{ items: KubeObject[] }>(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/controller-uid=${created.metadata.uid ?? ''}`)}`)).items;
      const settled = kubelet.liveCount === 0 && (job.status?.active ?? 0) === 0 && (job.status?.terminating ?? 0) === 0;
      if (settled || Date.now() > drainUntil) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    const outcome = conditionTrue(job, 'Complete') ? 'Complete' : 'Failed';
    // As kubectl prints an object: without the server's field-ownership bookkeeping.
    delete (job.metadata as Record<string, unknown>)['managedFields'];
    return { job, outcome, pods, chaosApplied: chaos.applied, chaosSkipped: chaos.pendingCount };
  } finally {
    done = true;
    options.signal?.removeEventListener('abort', onAbort);
    timers.clear();
    await kubelet.stop();
    // Interrupted: the pods were killed here, so take the Job back too rather than leave it "running" on a shared control plane.
    if (options.signal?.aborted === true) await api.delete(`${jobPath}?propagationPolicy=Background`).catch(() => undefined);
  }
}

/**
 * A second pod for the same index, created through the API as a duplicate
 * on another node would look: the Job's labels, annotations and owner.
 */
function duplicatePod(api: KubeApi, sink: PodRunnerSink, namespace: string, pod: LocalPod, report: (err: unknown) => void): LocalPod {
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const duplicate: LocalPod = { ...pod, uid: '', name: '', conditions: [], container: { name: pod.container.name, restartCount: 0 }, phase: 'Pending', ready: false };
  sink.event(`chaos: creating a duplicate pod for ${pod.index === undefined ? 'pod' : `index ${pod.index} of pod`} ${pod.name}`);
  void (async () => {
    const original = await api.get<KubeObject & { spec: Record<string, unknown> }>(`${podsPath}/${encodeURIComponent(pod.name)}`);
    const meta = original.metadata ?? {};
    const spec = { ...original.spec };
    delete spec['nodeName'];
    // The same generateName as the original: the API server names it as it named the controller's pods.
    const created = await api.create<KubeObject>(podsPath, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: meta['generateName'], namespace, labels: meta['labels'], annotations: meta['annotations'], ownerReferences: meta['ownerReferences'], finalizers: meta['finalizers'] },
      spec,
    });
    const name = String(created.metadata?.['name'] ?? '');
    Object.assign(duplicate, { name, uid: String(created.metadata?.['uid'] ?? '') });
    sink.event(`chaos: created duplicate pod ${name}`);
  })().catch(report);
  return duplicate;
}
