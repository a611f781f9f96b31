/**
 * A CronJob's manual run on a real control plane, as
 * `kubectl create job NAME --from=cronjob/x` does it: the API server
 * validates and defaults the CronJob, then a Job made from its template (the
 * `cronjob.kubernetes.io/instantiate: manual` annotation, the CronJob as
 * controller owner) runs through runJobOnControlPlane. The CronJob is created
 * suspended, so its schedule does not start other Jobs during the run.
 */
import { manualJobFromCronJob } from '../cronjob/job-from-template.ts';
import type { CronJob } from '../cronjob/types.ts';
import { InvalidManifestError } from '../errors.ts';
import { parseManifestText } from '../read-manifest.ts';
import { KubeApiError, type KubeObject } from './api-client.ts';
import { type ControlPlaneJobResult, type RunOnControlPlaneOptions, ensureNamespace, runJobOnControlPlane } from './run-on-control-plane.ts';

/** Options of {@link runManualJobOnControlPlane}: those of a Job run, the CronJob manifest and the Job's name. */
export interface ManualJobOnControlPlaneOptions extends RunOnControlPlaneOptions {
  /** The Job's name (`kubectl create job <name> --from=cronjob/...`). */
  readonly jobName: string;
}

/**
 * Creates the CronJob of `manifest` (suspended) and runs one manual Job from
 * it until the Job is Complete or Failed.
 *
 * @throws InvalidManifestError with the API server's message when it refuses the CronJob or the Job.
 * @example
 * ```ts
 * const { job, outcome } = await runManualJobOnControlPlane({ api, manifest: readFileSync('cronjob.yaml', 'utf8'), jobName: 'report-rerun' });
 * ```
 */
export async function runManualJobOnControlPlane(options: ManualJobOnControlPlaneOptions): Promise<ControlPlaneJobResult> {
  const { api } = options;
  const raw = (typeof options.manifest === 'string' ? parseManifestText(options.manifest) : structuredClone(options.manifest)) as KubeObject;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidManifestError('', [], 'the manifest is not an object', 'CronJob');
  const metadata = (raw.metadata ??= {});
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  metadata.namespace = namespace;
  const spec = raw['spec'];
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) (spec as Record<string, unknown>)['suspend'] = true;
  await ensureNamespace(api, namespace);
  let cronJob: CronJob;
  try {
    cronJob = await api.create<CronJob>(`/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/cronjobs`, raw);
  } catch (err) {
    if (err instanceof KubeApiError && (err.code === 422 || err.code === 400 || err.code === 409)) {
      throw new InvalidManifestError(String(metadata.name ?? ''), [], err.status.message ?? err.message, 'CronJob');
    }
    throw err;
  }
  return await runJobOnControlPlane({ ...options, manifest: manualJobFromCronJob(cronJob, options.jobName) });
}
