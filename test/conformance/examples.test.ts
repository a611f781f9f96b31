/**
 * `jobkit run --control-plane kube` on the examples: each example's Job runs
 * on the real control plane (the real Job controller, pods run by the process
 * kubelet) against the real S3 server and Pushgateway, once clean and once
 * with a preemption (the Eviction API), a SIGKILL and a duplicate pod. Both
 * must complete with the same output bytes as the example's emulator run,
 * every side effect once, checkpoints intact and metrics pushed. The CronJob
 * example runs as a manual Job (--from-cronjob) from the CronJob the API
 * server created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Trial, countEffects, newTrial, readObjects, runExample, verifyCheckpoints } from '../e2e/examples/harness.ts';
import { EXAMPLES, expectComplete, expectEffectsOnce, expectMetricsPushed } from '../e2e/examples/specs.ts';

function kubeArgs(): string[] {
  const kubeconfig = process.env['JOBKIT_TEST_KUBECONFIG'];
  if (kubeconfig === undefined) throw new Error('JOBKIT_TEST_KUBECONFIG is not set (test/setup/control-plane.ts sets it)');
  return ['--control-plane', 'kube', '--kubeconfig', kubeconfig];
}

for (const spec of EXAMPLES) {
  describe(`example ${spec.name} under jobkit run --control-plane kube`, () => {
    const trials: Trial[] = [];
    const trial = (): Trial => {
      const t = newTrial(spec.name);
      trials.push(t);
      return t;
    };
    let reference: Map<string, Buffer> | undefined;
    afterAll(async () => {
      await Promise.all(trials.map((t) => t.store.close()));
    });

    beforeAll(async () => {
      // The reference bytes: the same example on the emulator.
      const onEmulator = trial();
      expectComplete(await runExample(spec.name, onEmulator, { seed: 1, env: spec.env }));
      reference = await readObjects(onEmulator.store, spec.outputs);
    });

    const cases: Array<[string, string | undefined]> = [
      ['clean', undefined],
      ['preempt, kill and duplicate', 'preempt=1,kill=1,duplicate=1'],
    ];
    it.each(cases)('%s: completes with the emulator run\'s bytes, effects once, checkpoints intact', async (_name, chaos) => {
      if (reference === undefined) throw new Error('no reference run');
      const t = trial();
      const run = await runExample(spec.name, t, {
        seed: 11,
        env: spec.env,
        ...(chaos === undefined ? {} : { chaos, chaosMaxDelayMs: spec.chaosMaxDelayMs }),
        args: kubeArgs(),
      });
      expectComplete(run);
      if (chaos !== undefined) expect(run.stderr).toMatch(/chaos applied [1-9]/);
      const outputs = await readObjects(t.store, spec.outputs);
      expect([...outputs.keys()]).toEqual([...reference.keys()]);
      for (const [key, bytes] of outputs) expect(bytes.equals(reference.get(key) ?? Buffer.alloc(0)), `${key} differs from the emulator run`).toBe(true);
      await expectEffectsOnce(spec, t, [...outputs.keys()]);
      if (spec.checkpoints) await verifyCheckpoints(t, spec.jobName, spec.completions);
      await expectMetricsPushed(spec, t, chaos === undefined);
    });
  });
}

describe('example nightly-report (a CronJob) under jobkit run --control-plane kube --from-cronjob', () => {
  const trials: Trial[] = [];
  afterAll(async () => {
    await Promise.all(trials.map((t) => t.store.close()));
  });
  // A manual run reports on the day before now.
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const env = { REPORT_HOUR_DELAY_MS: '120' };

  it('runs one manual Job from the CronJob on the real API server: the same report as on the emulator, sent once', async () => {
    const run = async (args: readonly string[]): Promise<{ trial: Trial; run: Awaited<ReturnType<typeof runExample>> }> => {
      const t = newTrial('nightly-report');
      trials.push(t);
      return { trial: t, run: await runExample('nightly-report', t, { seed: 5, env, manifest: 'cronjob.yaml', args: ['--from-cronjob', 'nightly-report-rerun', ...args] }) };
    };
    const onEmulator = await run([]);
    const onKube = await run(kubeArgs());
    for (const { trial: t, run: r } of [onEmulator, onKube]) {
      expectComplete(r);
      const job = r.output as { metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] } };
      expect(job.metadata.name).toBe('nightly-report-rerun');
      expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
      expect(job.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['CronJob/nightly-report']);
      expect(await countEffects(t.store, ['nightly-report', 'sent'])).toEqual(new Map([[day, 1]]));
    }
    const reportOf = async (t: Trial): Promise<Buffer | undefined> => (await readObjects(t.store, ['nightly-report', 'reports'])).get(`${day}.json`);
    const kubeReport = await reportOf(onKube.trial);
    expect(kubeReport).toBeDefined();
    expect(kubeReport!.equals((await reportOf(onEmulator.trial))!), 'the report differs from the emulator run').toBe(true);
  });
});
