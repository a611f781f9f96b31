/**
 * `jobkit run --control-plane kube` on the examples: each example's Job runs
 * on the real control plane (the real Job controller, pods run by the process
 * kubelet) against the real S3 server and Pushgateway, once clean and once
 * with a preemption (the Eviction API), a SIGKILL and a duplicate pod. Both
 * must complete with the same output bytes as the example's emulator run,
 * every side effect once, checkpoints intact and metrics pushed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Trial, newTrial, readObjects, runExample, verifyCheckpoints } from '../e2e/examples/harness.ts';
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
