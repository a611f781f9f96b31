/**
 * `jobkit run --control-plane kube`: the Job on a real control plane (the one
 * of `--kubeconfig`, else a private one started for the run), its pods run as
 * local processes by the process kubelet. Same output and exit codes as the
 * emulator.
 */
import { stderrSink } from '../local/emulator.ts';
import { KubeApi } from '../local/kube/api-client.ts';
import { type ControlPlane, startControlPlane } from '../local/kube/control-plane.ts';
import { readKubeconfig } from '../local/kube/kubeconfig.ts';
import { runManualJobOnControlPlane } from '../local/kube/cronjob-on-control-plane.ts';
import { type RunOnControlPlaneOptions, runJobOnControlPlane } from '../local/kube/run-on-control-plane.ts';
import { withInterrupts } from './interrupt.ts';
import { RUN_EXIT, formatJob, jobSummary, reportRunError, type CommonRunOptions } from './run-output.ts';

/** What `jobkit run` parsed for the kube backend. */
export interface KubeRunInput {
  readonly manifest: string;
  /** An existing control plane; without it a private one is started and stopped. */
  readonly kubeconfig: string | undefined;
  readonly quiet: boolean;
  readonly common: CommonRunOptions;
  /** The manifest is a CronJob: run one manual Job of this name from it. */
  readonly fromCronJob?: string | undefined;
}

/**
 * Runs the Job on the control plane; returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await runOnKube({ manifest, kubeconfig: process.env.KUBECONFIG, quiet: false, common });
 * ```
 */
export async function runOnKube(input: KubeRunInput): Promise<number> {
  const { common } = input;
  return await withInterrupts(async (signal) => {
    let plane: ControlPlane | undefined;
    let api: KubeApi | undefined;
    try {
      let kubeconfig = input.kubeconfig;
      if (kubeconfig === undefined) {
        if (!input.quiet) process.stderr.write('jobkit run: starting a private control plane (the first time on a machine builds it: about 10 minutes)\n');
        plane = await startControlPlane({ onLine: (line) => input.quiet || process.stderr.write(`jobkit run: ${line}\n`) });
        kubeconfig = plane.kubeconfig;
      }
      api = new KubeApi(readKubeconfig(kubeconfig));
      const { fromCronJob } = input;
      const run = fromCronJob === undefined ? runJobOnControlPlane : (o: RunOnControlPlaneOptions) => runManualJobOnControlPlane({ ...o, jobName: fromCronJob });
      const result = await run({
        api,
        manifest: input.manifest,
        signal,
        sink: stderrSink({ quiet: input.quiet }),
        chaos: common.chaos,
        ...(common.backoffScale === undefined ? {} : { backoffScale: common.backoffScale }),
        ...(common.seed === undefined ? {} : { seed: common.seed }),
        ...(common.chaosMaxDelayMs === undefined ? {} : { chaosMaxDelayMs: common.chaosMaxDelayMs }),
        suspension: common.suspension,
      });
      if (common.output !== undefined) process.stdout.write(formatJob(result.job, common.output));
      if (!input.quiet) process.stderr.write(`jobkit run: ${jobSummary(result)}\n`);
      return result.outcome === 'Complete' ? RUN_EXIT.complete : RUN_EXIT.failed;
    } catch (err) {
      return reportRunError(err, signal);
    } finally {
      api?.close();
      await plane?.stop();
    }
  });
}
