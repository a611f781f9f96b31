/**
 * A kubelet whose containers are local processes, for a real control plane
 * on one machine (no container runtime): it registers a Node, binds the
 * pending pods of a namespace to it (there is no scheduler either), runs each
 * pod's container through the emulator's PodRunner (the same env, `$(VAR)`
 * expansion, hostname, restart back-off and SIGTERM/SIGKILL handling), and
 * reports pod status as the kubelet does: Running, then Succeeded or Failed
 * with the container's exit code and reason; a deleted pod is signalled,
 * reported terminal, then removed with a final delete.
 *
 * It polls the API server instead of watching: a few pods at a time, on
 * loopback, and a poll never misses an edit the way a broken watch can.
 */
import { JOB_LABELS } from '../validate.ts';
import type { LocalPod, PodPhase } from '../pod.ts';
import { PodRunner, type PodRunnerSink } from '../pod-runner.ts';
import type { Container, Job } from '../types.ts';
import { type KubeApi, KubeApiError, type KubeObject } from './api-client.ts';

/** The parts of a core/v1 Pod the kubelet reads. */
export interface ApiPod extends KubeObject {
  metadata: NonNullable<KubeObject['metadata']> & {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    creationTimestamp?: string;
  };
  spec: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    restartPolicy?: string;
    terminationGracePeriodSeconds?: number;
    serviceAccountName?: string;
    containers: Container[];
  };
  status?: { phase?: PodPhase; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Options of {@link ProcessKubelet}. */
export interface ProcessKubeletOptions {
  readonly api: KubeApi;
  /** The Node to register and run pods on. */
  readonly nodeName: string;
  /** Only this namespace's pods are bound and run. */
  readonly namespace: string;
  /** The environment every container inherits (under the manifest env). */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** Pod output lines and lifecycle events. */
  readonly sink: PodRunnerSink;
  /** Multiplies the OnFailure restart back-off. @default 1 */
  readonly backoffScale?: number;
  /** How often the API server is polled (ms). @default 100 */
  readonly pollMs?: number;
  /** A pod's container process started. */
  readonly onStarted?: (pod: LocalPod) => void;
  /** A poll or status report failed (the loop goes on). */
  readonly onError?: (err: unknown) => void;
}

interface Tracked {
  readonly local: LocalPod;
  readonly runner: PodRunner;
  api: ApiPod;
  startedAt?: string;
  /** The status last written, to write only changes. */
  reported?: string;
  finalDeleteSent: boolean;
}

const HOST_IP = '127.0.0.1';

/** metav1.Time: RFC 3339, seconds. */
function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The process kubelet.
 *
 * @example
 * ```ts
 * const kubelet = new ProcessKubelet({ api, nodeName: 'jobkit-local', namespace: 'default', baseEnv: process.env, sink });
 * await kubelet.start();
 * // ... create a Job; its pods run here ...
 * await kubelet.stop();
 * ```
 */
export class ProcessKubelet {
  readonly #opts: ProcessKubeletOptions;
  readonly #pods = new Map<string, Tracked>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #polling: Promise<void> | undefined;
  #reporting = Promise.resolve();

  constructor(options: ProcessKubeletOptions) {
    this.#opts = options;
  }

  /** Pods whose process is running, not being deleted (chaos targets). */
  runningPods(): LocalPod[] {
    return [...this.#pods.values()].filter((t) => t.local.phase === 'Running' && t.local.deletionTime === undefined && t.local.container.terminated === undefined).map((t) => t.local);
  }

  /** Pods with a live process or a pending restart. */
  get liveCount(): number {
    return [...this.#pods.values()].reduce((n, t) => n + t.runner.liveCount, 0);
  }

  /** Registers the Node (Ready) and starts the loop. */
  async start(): Promise<void> {
    await this.registerNode();
    const loop = (): void => {
      if (this.#stopped) return;
      this.#polling = this.poll()
        .catch((err: unknown) => this.#opts.onError?.(err))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.#opts.pollMs ?? 100);
        });
    };
    loop();
  }

  /** Chaos: SIGKILL a pod's container without deleting the pod. */
  kill(pod: LocalPod): void {
    this.trackedOf(pod)?.runner.killPod(pod);
  }

  /** Stops the loop and every process (SIGKILL), and waits for the last status writes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
    for (const t of this.#pods.values()) t.runner.shutdown();
    await this.#reporting;
  }

  private trackedOf(pod: LocalPod): Tracked | undefined {
    return this.#pods.get(pod.uid);
  }

  private async registerNode(): Promise<void> {
    const now = apiTime(Date.now());
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.#opts.nodeName, labels: { 'kubernetes.io/hostname': this.#opts.nodeName, 'kubernetes.io/os': 'linux' } },
    };
    try {
      await this.#opts.api.create('/api/v1/nodes', node);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
    const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    await this.#opts.api.patch(
      `/api/v1/nodes/${this.#opts.nodeName}/status`,
      {
        status: {
          capacity: { cpu: '64', memory: '256Gi', pods: '1000' },
          allocatable: { cpu: '64', memory: '256Gi', pods: '1000' },
          addresses: [
            { type: 'InternalIP', address: HOST_IP },
            { type: 'Hostname', address: this.#opts.nodeName },
          ],
          conditions: [
            condition('Ready', 'True', 'KubeletReady', 'jobkit process kubelet is ready'),
            condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
            condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
            condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          ],
          nodeInfo: {
            kubeletVersion: 'jobkit',
            kubeProxyVersion: '',
            operatingSystem: 'linux',
            architecture: process.arch === 'x64' ? 'amd64' : process.arch,
            containerRuntimeVersion: 'jobkit://process',
            osImage: '',
            kernelVersion: '',
            machineID: '',
            systemUUID: '',
            bootID: '',
          },
        },
      },
      'strategic',
    );
  }

  private async poll(): Promise<void> {
    const { api, namespace, nodeName } = this.#opts;
    const list = await api.get<{ items: ApiPod[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`);
    const seen = new Set<string>();
    for (const pod of list.items) {
      const uid = pod.metadata.uid;
      seen.add(uid);
      const nodeOf = pod.spec.nodeName;
      if ((nodeOf === undefined || nodeOf === '') && pod.metadata.deletionTimestamp === undefined) {
        await this.bind(pod);
        continue;
      }
      if (nodeOf !== nodeName) continue;
      const tracked = this.#pods.get(uid);
      if (tracked === undefined) {
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue; // from an earlier kubelet: finished
        this.track(pod);
        continue;
      }
      tracked.api = pod;
      if (pod.metadata.deletionTimestamp !== undefined && tracked.local.deletionTime === undefined) {
        tracked.local.conditions = conditionsOf(pod, tracked.local.conditions);
        tracked.runner.deletePod(tracked.local);
      }
      // Terminal and being deleted: the kubelet's final delete (the finalizers may still hold it).
      if (pod.metadata.deletionTimestamp !== undefined && (tracked.local.phase === 'Succeeded' || tracked.local.phase === 'Failed')) this.report(tracked);
    }
    for (const [uid, tracked] of this.#pods) {
      if (seen.has(uid)) continue;
      // Gone from the API (deleted for good): nothing may keep running.
      tracked.runner.shutdown();
      this.#pods.delete(uid);
    }
  }

  private async bind(pod: ApiPod): Promise<void> {
    try {
      await this.#opts.api.create(`/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: this.#opts.nodeName },
      });
    } catch (err) {
      // Bound already (409) or gone (404): the next poll sees the truth.
      if (!(err instanceof KubeApiError && (err.code === 409 || err.code === 404))) throw err;
    }
  }

  private track(pod: ApiPod): void {
    const annotations = pod.metadata.annotations ?? {};
    const indexText = annotations[JOB_LABELS.completionIndex];
    const local: LocalPod = {
      uid: pod.metadata.uid,
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      hostname: pod.spec.hostname ?? pod.metadata.name,
      index: indexText === undefined || !/^\d+$/.test(indexText) ? undefined : Number(indexText),
      labels: { ...(pod.metadata.labels ?? {}) },
      annotations: { ...annotations },
      creationTime: Date.parse(pod.metadata.creationTimestamp ?? '') || Date.now(),
      phase: 'Pending',
      ready: false,
      conditions: conditionsOf(pod, []),
      container: { name: pod.spec.containers[0]?.name ?? 'main', restartCount: 0 },
      trackingFinalizer: false,
    };
    // The runner reads the container, the restart policy and the grace period from a Job's template.
    const job = { spec: { template: { spec: pod.spec } } } as unknown as Job;
    // The runner's callbacks need the record that holds the runner.
    const ref: { tracked?: Tracked } = {};
    const runner = new PodRunner({
      job,
      baseEnv: this.#opts.baseEnv,
      placement: { nodeName: this.#opts.nodeName, hostIP: HOST_IP, podIP: HOST_IP, serviceAccountName: pod.spec.serviceAccountName ?? 'default' },
      sink: this.#opts.sink,
      now: Date.now,
      backoffScale: this.#opts.backoffScale ?? 1,
      onStarted: (p) => {
        if (ref.tracked !== undefined) ref.tracked.startedAt = apiTime(Date.now());
        this.#opts.onStarted?.(p);
      },
      onChange: () => {
        if (ref.tracked !== undefined) this.report(ref.tracked);
      },
    });
    const tracked: Tracked = { local, runner, api: pod, finalDeleteSent: false };
    ref.tracked = tracked;
    this.#pods.set(local.uid, tracked);
    runner.startPod(local);
    this.report(tracked);
  }

  /** Writes the pod's status when it changed; after a deleted pod is terminal, the final delete. Serialised. */
  private report(tracked: Tracked): void {
    this.#reporting = this.#reporting.then(async () => {
      try {
        await this.writeStatus(tracked);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) this.#opts.onError?.(err);
      }
    });
  }

  private async writeStatus(tracked: Tracked): Promise<void> {
    const { api } = this.#opts;
    const { local } = tracked;
    const path = `/api/v1/namespaces/${encodeURIComponent(local.namespace)}/pods/${encodeURIComponent(local.name)}`;
    const status = podStatus(tracked);
    const text = JSON.stringify(status);
    if (text !== tracked.reported) {
      await api.patch(`${path}/status`, { status }, 'strategic');
      tracked.reported = text;
    }
    const terminal = local.phase === 'Succeeded' || local.phase === 'Failed';
    if (terminal && tracked.api.metadata.deletionTimestamp !== undefined && !tracked.finalDeleteSent) {
      tracked.finalDeleteSent = true;
      await api.delete(path, { gracePeriodSeconds: 0, preconditions: { uid: local.uid } });
    }
  }
}

/** The pod's conditions as the API has them (DisruptionTarget comes from an eviction), kept in the local pod. */
function conditionsOf(pod: ApiPod, current: LocalPod['conditions']): LocalPod['conditions'] {
  const out = [...current];
  for (const c of pod.status?.conditions ?? []) {
    if (c.type !== 'DisruptionTarget' || out.some((o) => o.type === c.type)) continue;
    out.push({ type: c.type, status: c.status as 'True' | 'False' | 'Unknown', lastTransitionTime: Date.now(), ...(c.reason === undefined ? {} : { reason: c.reason }), ...(c.message === undefined ? {} : { message: c.message }) });
  }
  return out;
}

/** The kubelet's view of a pod, as a PodStatus (conditions merge by type on the server). */
function podStatus(tracked: Tracked): Record<string, unknown> {
  const { local } = tracked;
  const container = tracked.api.spec.containers[0];
  const terminal = local.phase === 'Succeeded' || local.phase === 'Failed';
  const now = apiTime(Date.now());
  const t = local.container.terminated;
  let state: Record<string, unknown>;
  if (t !== undefined && (terminal || local.deletionTime !== undefined)) {
    state = { terminated: { exitCode: t.exitCode, reason: t.reason, startedAt: tracked.startedAt ?? now, finishedAt: apiTime(t.finishedAt), containerID: `jobkit://${local.uid}` } };
  } else if (t !== undefined) {
    state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${local.container.name} in pod ${local.name}` } };
  } else if (tracked.startedAt !== undefined) {
    state = { running: { startedAt: tracked.startedAt } };
  } else {
    state = { waiting: { reason: 'ContainerCreating' } };
  }
  const ready = local.ready && !terminal;
  const readyCondition = (type: string): Record<string, string> => ({
    type,
    status: ready ? 'True' : 'False',
    lastTransitionTime: now,
    ...(ready ? {} : { reason: terminal ? 'PodCompleted' : 'ContainersNotReady' }),
  });
  const phase = local.phase === 'Pending' && tracked.startedAt !== undefined ? 'Running' : local.phase;
  return {
    phase,
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: HOST_IP,
    podIPs: [{ ip: HOST_IP }],
    startTime: apiTime(local.creationTime),
    conditions: [
      { type: 'PodReadyToStartContainers', status: terminal ? 'False' : 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      readyCondition('Ready'),
      readyCondition('ContainersReady'),
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    ],
    containerStatuses: [
      {
        name: local.container.name,
        image: container?.image ?? '',
        imageID: '',
        containerID: `jobkit://${local.uid}`,
        ready,
        started: state['running'] !== undefined,
        restartCount: local.container.restartCount,
        state,
      },
    ],
  };
}
