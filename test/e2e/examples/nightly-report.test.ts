/**
 * The nightly-report CronJob under `jobkit run` on the virtual clock, against
 * the real S3 server (moto) and Pushgateway: a manual run
 * (`kubectl create job --from=cronjob/...`) starts two seconds before the
 * scheduled one, so the two overlap; with seeded chaos (preemptions,
 * SIGKILLs, duplicate pods) in both Jobs, the day's report has the bytes of a
 * clean run and was sent exactly once, both Jobs complete, and the CronJob's
 * runs share one Pushgateway group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Trial, type TrialRun, countEffects, newTrial, pushedGroups, readObjects, runExample, trialCount } from './harness.ts';

interface ListOutput {
  readonly items: readonly { kind: string; metadata: { name: string; annotations?: Record<string, string> }; status?: TrialRun['status'] & { lastSuccessfulTime?: string } }[];
}

// Today's 02:00 UTC schedule reports on yesterday; the manual run (no scheduled
// time) on the day before now: the same day, so the two runs race for one report.
const today = new Date().toISOString().slice(0, 10);
const day = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const ARGS = ['--clock', 'virtual', '--from', `${today}T01:59:58Z`, '--runs', '1', '--manual-run', `nightly-report-rerun@${today}T01:59:58Z`];
const ENV = {
  REPORT_HOUR_DELAY_MS: '120',
  // Short leases so that a SIGKILLed holder's guard and claim free within seconds.
  JOBKIT_EXCLUSIVE_LEASE_MS: '3000',
};

function expectBothComplete(run: TrialRun): ListOutput['items'] {
  expect(run.code, run.stderr.slice(-4_000)).toBe(0);
  const items = (run.output as ListOutput).items;
  const jobs = items.filter((i) => i.kind === 'Job');
  expect(jobs.map((j) => j.metadata.name).sort()).toEqual([`nightly-report-${Date.parse(`${today}T02:00:00Z`) / 60_000}`, 'nightly-report-rerun']);
  for (const job of jobs) expect(job.status?.conditions?.some((c) => c.type === 'Complete'), job.metadata.name).toBe(true);
  return items;
}

async function expectSentOnce(trial: Trial): Promise<void> {
  expect(await countEffects(trial.store, ['nightly-report', 'sent'])).toEqual(new Map([[day, 1]]));
}

describe('example nightly-report: a scheduled and a manual run overlapping, on S3 + Pushgateway', () => {
  const trials: Trial[] = [];
  const trial = (): Trial => {
    const t = newTrial('nightly-report');
    trials.push(t);
    return t;
  };
  let reference: Map<string, Buffer> | undefined;
  let clean: { trial: Trial; run: TrialRun } | undefined;
  afterAll(async () => {
    await Promise.all(trials.map((t) => t.store.close()));
  });

  beforeAll(async () => {
    const t = trial();
    const run = await runExample('nightly-report', t, { seed: 1, env: ENV, manifest: 'cronjob.yaml', args: ARGS });
    clean = { trial: t, run };
    reference = await readObjects(t.store, ['nightly-report', 'reports']);
  });

  it('a clean run: both Jobs complete, the second waited for the guard, one report, sent once, one metrics group', async () => {
    if (clean === undefined || reference === undefined) throw new Error('no clean run');
    const items = expectBothComplete(clean.run);
    expect(items[0]?.kind).toBe('CronJob');
    expect(items[0]?.status?.lastSuccessfulTime).toBeDefined();
    expect([...reference.keys()]).toEqual([`${day}.json`]);
    const report = JSON.parse(reference.get(`${day}.json`)!.toString()) as { day: string; regions: { region: string }[] };
    expect(report.day).toBe(day);
    expect(report.regions.map((r) => r.region)).toEqual(['ap-south', 'eu-west', 'us-east']);
    await expectSentOnce(clean.trial);
    // They did overlap: whichever started second waited for the holder.
    expect(clean.run.stderr).toMatch(/waiting for the single-run guard \\"nightly-report\\": held by pod nightly-report-/);
    // Both runs pushed to the CronJob's one group: the "last success" series is per CronJob.
    const groups = await pushedGroups(clean.trial);
    expect(groups.map((g) => [g.labels.job, g.labels.index])).toEqual([['nightly-report', '0']]);
    expect(groups[0]!.metrics.get('jobkit_job_last_success_time_seconds')?.length).toBe(1);
  });

  const seeds = Array.from({ length: trialCount(2, 5) }, (_, i) => 201 + i * 11);
  it.each(seeds)('seed %i: preempt, kill and duplicate pods in both runs; the same report, sent once', async (seed) => {
    if (reference === undefined) throw new Error('no clean run');
    const t = trial();
    const run = await runExample('nightly-report', t, {
      seed,
      chaos: 'preempt=1,kill=1,duplicate=1',
      chaosMaxDelayMs: 2_500,
      env: ENV,
      manifest: 'cronjob.yaml',
      args: ARGS,
    });
    expectBothComplete(run);
    expect(run.stderr).toMatch(/chaos: [1-9]\d* of \d+ chaos actions? landed mid-work/);
    const reports = await readObjects(t.store, ['nightly-report', 'reports']);
    expect([...reports.keys()]).toEqual([...reference.keys()]);
    expect(reports.get(`${day}.json`)?.equals(reference.get(`${day}.json`)!), 'the report differs from the clean run').toBe(true);
    await expectSentOnce(t);
  });
});
