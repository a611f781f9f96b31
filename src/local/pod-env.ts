/**
 * The environment, command line and working directory of an emulated pod's
 * container: the manifest's env with downward-API `fieldRef`s resolved against
 * the local pod, `$(VAR)` expansion, the completion index and the hostname.
 */
import { expandVariables } from './expansion.ts';
import type { LocalPod } from './pod.ts';
import type { Container } from './types.ts';

/** Where the local pod "runs". */
export interface PodPlacement {
  readonly nodeName: string;
  readonly hostIP: string;
  readonly podIP: string;
  readonly serviceAccountName: string;
}

/** What to spawn for a pod. */
export interface PodProcessSpec {
  readonly file: string;
  readonly args: string[];
  readonly cwd: string | undefined;
  /** Only the variables the container defines (parent env not included). */
  readonly containerEnv: Record<string, string>;
  /** Env vars that could not be resolved locally (secrets, config maps...). */
  readonly skipped: string[];
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['([^']*)'\]$/;

/**
 * Resolves a downward-API field path against a local pod ("" for a missing
 * label or annotation, as the kubelet does).
 *
 * @example
 * ```ts
 * resolveFieldRef(pod, "metadata.annotations['batch.kubernetes.io/job-completion-index']", placement); // "3"
 * ```
 */
export function resolveFieldRef(pod: LocalPod, fieldPath: string, placement: PodPlacement): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'spec.nodeName':
      return placement.nodeName;
    case 'spec.serviceAccountName':
      return placement.serviceAccountName;
    case 'status.hostIP':
    case 'status.hostIPs':
      return placement.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return placement.podIP;
  }
  const m = SUBSCRIPT.exec(fieldPath);
  if (m === null) return undefined;
  const map = m[1] === 'labels' ? pod.labels : pod.annotations;
  return map[m[2]!] ?? '';
}

/**
 * Builds the process spec of a pod's container.
 *
 * @example
 * ```ts
 * const spec = podProcessSpec(pod, container, { indexed: true, placement });
 * spawn(spec.file, spec.args, { env: { ...process.env, ...spec.containerEnv } });
 * ```
 */
export function podProcessSpec(pod: LocalPod, container: Container, opts: { indexed: boolean; placement: PodPlacement }): PodProcessSpec {
  // What the manifest (and the Job controller) declares: the only variables
  // $(VAR) can see. HOSTNAME comes from the container runtime, so it reaches
  // the process but is not there for $(HOSTNAME) unless declared.
  const env = new Map<string, string>();
  const skipped: string[] = [];
  const declared = [...(container.env ?? [])];
  // The Job controller appends JOB_COMPLETION_INDEX unless the container declares it.
  if (opts.indexed && !declared.some((e) => e.name === 'JOB_COMPLETION_INDEX')) {
    declared.push({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
    });
  }
  for (const e of declared) {
    if (e.valueFrom !== undefined) {
      const fieldRef = e.valueFrom.fieldRef;
      const value = fieldRef === undefined ? undefined : resolveFieldRef(pod, fieldRef.fieldPath, opts.placement);
      if (value === undefined) skipped.push(e.name);
      else env.set(e.name, value);
      continue;
    }
    // Env values see only the variables declared before them.
    env.set(e.name, expandVariables(e.value ?? '', (n) => env.get(n)));
  }
  const lookup = (n: string): string | undefined => env.get(n);
  const command = (container.command ?? []).map((c) => expandVariables(c, lookup));
  const args = (container.args ?? []).map((a) => expandVariables(a, lookup));
  const argv = [...command, ...args];
  // The runtime sets HOSTNAME; manifest env may override it.
  const containerEnv: Record<string, string> = { HOSTNAME: pod.hostname, ...Object.fromEntries(env) };
  return {
    file: argv[0] ?? '',
    args: argv.slice(1),
    cwd: container.workingDir === undefined || container.workingDir === '' ? undefined : container.workingDir,
    containerEnv,
    skipped,
  };
}
