/**
 * Nightly report example: a CronJob (`0 2 * * *`) that sums yesterday's
 * orders hour by hour, writes the day's report and sends it, once, however
 * many runs there are: the scheduled one, a manual
 * `kubectl create job --from=cronjob/nightly-report`, a retry, a duplicate
 * pod. See README.md.
 *
 * In your code: `import { runJob } from 'jobkit'`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobContext, joinKey, keySegment, runJob } from '../../src/index.ts';
import { appendEffect } from '../shared/effects.ts';
import { intFromEnv } from '../shared/env.ts';
import { type Totals, addTotals, hourTotals, renderReport, reportDay } from './report.ts';

/** What a run checkpoints: how far into its day it is. */
interface ReportState {
  readonly day: string;
  readonly hours: number;
  readonly totals: Totals;
}

const REPORTS = ['nightly-report', 'reports'] as const;
const EFFECTS = ['nightly-report', 'sent'] as const;

async function report(job: JobContext<ReportState>): Promise<void> {
  const hourDelayMs = intFromEnv('REPORT_HOUR_DELAY_MS', 150);
  const { store, run } = job;
  const day = reportDay(run, process.env);
  job.log.info({ day, trigger: run.trigger }, `reporting on ${day}`);

  // The report for a day is sent once, whichever run gets there first: the
  // idempotency scope is the CronJob (runJob option below).
  await job.idempotent(`report:${day}`, async (ctx) => {
    // Resume a run's progress (checkpoint scope 'run': a Job re-created for the
    // same scheduled time continues, the next night starts over).
    const saved = await job.checkpoint.load();
    let state: ReportState = saved !== undefined && saved.state.day === day ? saved.state : { day, hours: 0, totals: {} };
    if (state.hours > 0) job.log.info({ day, hours: state.hours }, `resumed at hour ${state.hours}`);
    job.checkpoint.track(() => ({ state }));
    while (state.hours < 24) {
      await sleep(hourDelayMs, undefined, { signal: ctx.signal }); // stands in for a warehouse query
      state = { day, hours: state.hours + 1, totals: addTotals(state.totals, hourTotals(day, state.hours)) };
      job.metrics.itemProcessed(hourDelayMs);
      if (state.hours % 6 === 0) await job.checkpoint.save(state);
    }
    await store.put(joinKey(...REPORTS, keySegment(`${day}.json`)), renderReport(day, state.totals), { signal: ctx.signal });
    // The send: not idempotent by itself (a new record per call, like an email).
    await appendEffect(store, EFFECTS, day, ctx);
    job.log.info({ day }, `sent the report for ${day}`);
  });
}

await runJob<ReportState>(report, {
  // Scheduled and manual runs never work at the same time; the second waits.
  exclusive: 'nightly-report',
  idempotency: { scope: 'cronjob', leaseMs: 4_000, clockSkewMarginMs: 1_000 },
  checkpoint: { scope: 'run' },
});
