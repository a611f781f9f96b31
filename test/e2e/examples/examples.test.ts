/**
 * The examples under `jobkit run` with seeded chaos (preemptions, SIGKILLs,
 * duplicate pods) against the real S3 server and Pushgateway: the Job
 * completes, outputs equal a clean run byte for byte, every side effect
 * happened exactly once, no checkpoint is corrupt, and metrics arrived.
 *
 * Default: a clean run and 22 chaos trials in all (about 3 minutes).
 * JOBKIT_TEST_QUICK=1: 2 chaos trials per example, while iterating. All examples are in this one file on purpose: trials run one after
 * another, which keeps the 2-core machine's timings (and chaos timing) sane.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Trial, newTrial, pushedGroups, readObjects, runExample, verifyCheckpoints } from './harness.ts';
import { EXAMPLES, expectComplete, expectEffectsOnce, expectMetricsPushed } from './specs.ts';

for (const spec of EXAMPLES) {
  describe(`example ${spec.name} under jobkit run on S3 + Pushgateway`, () => {
    let reference: Map<string, Buffer> | undefined;
    const trials: Trial[] = [];
    const trial = (): Trial => {
      const t = newTrial(spec.name);
      trials.push(t);
      return t;
    };
    afterAll(async () => {
      await Promise.all(trials.map((t) => t.store.close()));
    });

    beforeAll(async () => {
      const clean = trial();
      const run = await runExample(spec.name, clean, { seed: 1, env: spec.env });
      expectComplete(run);
      reference = await readObjects(clean.store, spec.outputs);
    });

    it('a clean run writes every output, each side effect once, and exits 0 on every index', async () => {
      const clean = trials[0];
      if (clean === undefined || reference === undefined) throw new Error('no clean run');
      expect(reference.size).toBeGreaterThan(0);
      await expectEffectsOnce(spec, clean, [...reference.keys()]);
      if (spec.checkpoints) await verifyCheckpoints(clean, spec.jobName, spec.completions);
      await expectMetricsPushed(spec, clean, true);
      const groups = await pushedGroups(clean);
      for (const group of groups) expect(group.metrics.get('jobkit_job_exit_code')).toEqual([0]);
      if (spec.name === 'backfill') {
        // The work queue: the slow pod (index 0, 4x slower) does fewer chunks than each fast one.
        const workers = await readObjects(clean.store, ['backfill', 'workers']);
        const done = [...workers.values()].map((b) => JSON.parse(b.toString()) as { index: number; completed: number });
        const slow = done.filter((w) => w.index === 0).reduce((a, w) => a + w.completed, 0);
        for (const fast of done.filter((w) => w.index !== 0)) expect(fast.completed).toBeGreaterThan(slow);
        expect(done.reduce((a, w) => a + w.completed, 0)).toBe(Number(spec.env.BACKFILL_CHUNKS));
      }
    });

    let resumedTrials = 0;
    const landings = { mid: 0, all: 0 };
    const seeds = Array.from({ length: spec.trials }, (_, i) => 101 + i * 7);
    it.each(seeds)('seed %i: preempt, kill and duplicate pods; same bytes, effects once, checkpoints intact', async (seed) => {
      if (reference === undefined) throw new Error('no clean run');
      const t = trial();
      const run = await runExample(spec.name, t, {
        seed,
        chaos: 'preempt=1,kill=1,duplicate=1',
        chaosMaxDelayMs: spec.chaosMaxDelayMs,
        env: spec.env,
      });
      expectComplete(run);
      if (/resumed at [1-9]/.test(run.stderr)) resumedTrials++;
      expect(run.stderr).toMatch(/chaos applied [1-9]/);
      const summary = /chaos: (\d+) of (\d+) chaos actions? landed mid-work/.exec(run.stderr);
      expect(summary, 'jobkit run says where its chaos landed').not.toBeNull();
      landings.mid += Number(summary![1]);
      landings.all += Number(summary![2]);

      const outputs = await readObjects(t.store, spec.outputs);
      expect([...outputs.keys()]).toEqual([...reference.keys()]);
      for (const [key, bytes] of outputs) {
        expect(bytes.equals(reference.get(key) ?? Buffer.alloc(0)), `${key} differs from the clean run`).toBe(true);
      }
      await expectEffectsOnce(spec, t, [...outputs.keys()]);
      if (spec.checkpoints) await verifyCheckpoints(t, spec.jobName, spec.completions);
      await expectMetricsPushed(spec, t, false);
    });

    it('most chaos actions landed mid-work, where they test something', () => {
      expect(landings.all).toBeGreaterThan(0);
      expect(landings.mid / landings.all).toBeGreaterThanOrEqual(0.5);
    });

    if (spec.checkpoints) {
      it('chaos interrupted work in progress: some replacement pod resumed from a checkpoint', () => {
        // Otherwise the trials above only proved that chaos before or after the work is harmless.
        expect(resumedTrials).toBeGreaterThan(0);
      });
    }
  });
}
