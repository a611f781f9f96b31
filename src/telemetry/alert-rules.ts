/**
 * The Prometheus alerting rules of `jobkit alerts`: what the people on call
 * for batch jobs page on, computed from the series jobkit pushes (see
 * promql.ts for how "running" and "ended" are read from Pushgateway groups).
 *
 * Each rule has a severity label, a summary and description, and a
 * `runbook_url` to its section of docs/runbooks.md (what it means, what to do).
 * Thresholds are options: the defaults suit jobs that run minutes to hours and
 * push every 30 s (the SDK's default interval).
 */
import { failureClasses, GROUP_BY, endedWithClass, noProgress, promqlDuration, selector, started } from './promql.ts';

/** The severity label of a rule: `critical` pages, `warning` tickets, `info` is housekeeping. */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** One alerting rule, in the shape of a Prometheus rules file. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: AlertSeverity } & Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

/** A rule group of a Prometheus rules file. */
export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** A CronJob whose "no recent success" rule has its own bound (from its schedule). */
export interface CronJobSuccessBound {
  readonly namespace: string;
  /** The CronJob's name: the `job` label of its Pushgateway groups. */
  readonly name: string;
  /** Alert when the last success of every index is older than this. */
  readonly maxSuccessAgeSeconds: number;
}

/** Thresholds and links of {@link jobkitAlertRules}. Every bound is in seconds. */
export interface AlertRulesOptions {
  /** Where docs/runbooks.md is published; each rule links `<base>#<alert name in lower case>`. */
  readonly runbookBaseUrl: string;
  /** A running index whose items, shard position and checkpoints have not moved for this long is stuck. Default 15 min. */
  readonly noProgressSeconds?: number;
  /** A running index whose last durable checkpoint is older than this. Default 30 min. */
  readonly checkpointAgeSeconds?: number;
  /** The window of the attempt and preemption rates. Default 1 h. */
  readonly rateWindowSeconds?: number;
  /** More new attempts of one index than this within the window. Default 3. */
  readonly maxAttempts?: number;
  /** At least this many preemptions or evictions of one job within the window. Default 3. */
  readonly maxPreemptions?: number;
  /** A failure the Job controller would retry (Count) with no new attempt for this long: retries exhausted. Default 15 min. */
  readonly retryGiveUpSeconds?: number;
  /** A started group with no push for this long lost its pod without a final push. Default 2 min (4 push intervals). */
  readonly lostAfterSeconds?: number;
  /** A group whose last push is older than this is stale (`jobkit pushgateway gc`). Default 7 d. */
  readonly staleGroupSeconds?: number;
  /** Any job without a success for longer than this (unset: no such rule; CronJobs take `cronJobs`). */
  readonly maxSuccessAgeSeconds?: number;
  /** CronJobs with their own success bound, e.g. from their schedule. */
  readonly cronJobs?: readonly CronJobSuccessBound[];
}

/** The defaults of the {@link AlertRulesOptions} bounds. */
export const ALERT_DEFAULTS = {
  noProgressSeconds: 900,
  checkpointAgeSeconds: 1800,
  rateWindowSeconds: 3600,
  maxAttempts: 3,
  maxPreemptions: 3,
  retryGiveUpSeconds: 900,
  lostAfterSeconds: 120,
  staleGroupSeconds: 7 * 86_400,
} as const;

/** The alert names, in the order of docs/runbooks.md. */
export const ALERT_NAMES = [
  'JobkitJobFailed',
  'JobkitJobRetriesExhausted',
  'JobkitNoRecentSuccess',
  'JobkitAttemptsHigh',
  'JobkitPreemptionsHigh',
  'JobkitNoProgress',
  'JobkitPodLost',
  'JobkitCheckpointTooOld',
  'JobkitIntegrityFailure',
  'JobkitPushgatewayGroupStale',
] as const;

/** One alert name. */
export type AlertName = (typeof ALERT_NAMES)[number];

/**
 * The rule groups of `jobkit alerts`.
 *
 * @example
 * ```ts
 * const groups = jobkitAlertRules({
 *   runbookBaseUrl: 'https://example.com/jobkit/docs/runbooks.md',
 *   cronJobs: [{ namespace: 'data', name: 'nightly-etl', maxSuccessAgeSeconds: 25 * 3600 }],
 * });
 * ```
 */
export function jobkitAlertRules(options: AlertRulesOptions): AlertRuleGroup[] {
  const o = { ...ALERT_DEFAULTS, ...definedOnly(options) };
  const link = (name: AlertName): string => `${options.runbookBaseUrl}#${name.toLowerCase()}`;
  const rule: RuleMaker = (name, severity, expr, summary, description, forSeconds, labels = {}) => ({
    alert: name,
    expr,
    ...(forSeconds === undefined ? {} : { for: promqlDuration(forSeconds) }),
    labels: { severity, ...labels },
    annotations: { summary, description, runbook_url: link(name) },
  });
  const window = promqlDuration(o.rateWindowSeconds);
  const stuckFor = promqlDuration(o.noProgressSeconds);
  const where = 'job {{ $labels.namespace }}/{{ $labels.job }}';
  const whereIndex = `${where} index {{ $labels.index }}{{ $labels.pod }}`;

  const failure: AlertRule[] = [
    rule(
      'JobkitJobFailed',
      'critical',
      endedWithClass(failureClasses(['FailJob', 'FailIndex'])),
      `${whereIndex} failed ({{ $labels.class }})`,
      'The latest attempt ended with an exit code whose podFailurePolicy action fails the index or the Job (class {{ $labels.class }}): the Job controller does not retry it. Fix the input or configuration its fatal log line names, then re-run.',
    ),
    rule(
      'JobkitJobRetriesExhausted',
      'critical',
      `(${endedWithClass(failureClasses(['Count']))} and on(${GROUP_BY}) (time() - jobkit_job_end_time_seconds > ${o.retryGiveUpSeconds}))`,
      `${whereIndex} failed ({{ $labels.class }}) and was not retried`,
      `The latest attempt failed with a retryable exit class ({{ $labels.class }}) and no new attempt started within ${promqlDuration(o.retryGiveUpSeconds)}: the Job's backoffLimit is used up, or the Job was deleted.`,
    ),
  ];
  for (const cronJob of options.cronJobs ?? []) failure.push(...noRecentSuccess(rule, cronJob.maxSuccessAgeSeconds, cronJob));
  if (o.maxSuccessAgeSeconds !== undefined) failure.push(...noRecentSuccess(rule, o.maxSuccessAgeSeconds, undefined, options.cronJobs ?? []));

  const health: AlertRule[] = [
    rule(
      'JobkitAttemptsHigh',
      'warning',
      `max by (namespace, job) (changes(jobkit_job_start_time_seconds[${window}])) > ${o.maxAttempts}`,
      `${where} restarts an index too often`,
      `An index of this job was restarted more than ${o.maxAttempts} times within ${window}: pods are failing and being retried, or preempted again and again.`,
    ),
    rule(
      'JobkitPreemptionsHigh',
      'warning',
      `sum by (namespace, job) (increase(jobkit_job_interruptions_total{reason=~"signal|notice"}[${window}])) >= ${o.maxPreemptions}`,
      `${where} is preempted too often`,
      'Pods of this job were stopped that often by a SIGTERM (a spot preemption, an eviction, a node drain) or by the cloud\'s interruption notice before it: the work is redone from the last checkpoint each time.',
    ),
    rule(
      'JobkitNoProgress',
      'warning',
      noProgress(o.noProgressSeconds),
      `${whereIndex} has made no progress for ${stuckFor}`,
      `The attempt is running (or its pod died without a final push), but its items, shard position and checkpoints have not moved for ${stuckFor}.`,
    ),
    rule(
      'JobkitPodLost',
      'warning',
      `(${started()} and on(${GROUP_BY}) (time() - push_time_seconds > ${o.lostAfterSeconds}) and on(${GROUP_BY}) (time() - push_time_seconds < ${o.staleGroupSeconds}))`,
      `${whereIndex} stopped pushing while running`,
      `The attempt started and has not pushed for more than ${promqlDuration(o.lostAfterSeconds)}, without a final push: it was SIGKILLed (an OOM kill, a lost node, a grace period run out) and no new attempt took its place.`,
    ),
    rule(
      'JobkitCheckpointTooOld',
      'warning',
      `(time() - jobkit_checkpoint_last_success_time_seconds > ${o.checkpointAgeSeconds}) and on(${GROUP_BY}) ${started('', o.lostAfterSeconds)}`,
      `${whereIndex} has no checkpoint for ${promqlDuration(o.checkpointAgeSeconds)}`,
      `The running attempt has not committed a checkpoint for more than ${promqlDuration(o.checkpointAgeSeconds)}: a preemption now would redo that much work.`,
    ),
    rule(
      'JobkitIntegrityFailure',
      'critical',
      `sum by (namespace, job, kind) (increase(jobkit_integrity_failures_total[${window}])) > 0`,
      `${where} found corrupt stored data ({{ $labels.kind }})`,
      'Stored data of this job failed verification: a checkpoint (manifest, state or part) whose checksum is wrong (the job fell back to an older one), or a shard plan, work-queue, idempotency or single-run record that could not be read (the run failed). Find the damaged object with `jobkit status --verify` and `jobkit checkpoint verify`.',
    ),
    rule(
      'JobkitPushgatewayGroupStale',
      'info',
      `count by (namespace, job) ((time() - push_time_seconds > ${o.staleGroupSeconds}) and on(${GROUP_BY}) jobkit_job_start_time_seconds) > 0`,
      `${where} has Pushgateway groups older than ${promqlDuration(o.staleGroupSeconds)}`,
      'The gateway never forgets a group: old runs and indexes of this job still show. Delete them with `jobkit pushgateway gc`.',
    ),
  ];
  return [
    { name: 'jobkit.failures', rules: failure },
    { name: 'jobkit.health', rules: health },
  ];
}

/** Builds one rule; `labels` are added to the severity. */
type RuleMaker = (
  name: AlertName,
  severity: AlertSeverity,
  expr: string,
  summary: string,
  description: string,
  forSeconds?: number,
  labels?: Readonly<Record<string, string>>,
) => AlertRule;

/**
 * "No success for too long": the last success of the job's oldest index is
 * older than the bound. For one CronJob, a second rule: no success series at
 * all for as long as the bound (it never succeeded while Prometheus watched,
 * or its group was deleted). The catch-all rule (no CronJob) leaves out the
 * CronJobs that have a bound of their own.
 *
 * The rules share their name, so each carries labels that tell them apart
 * (`condition`, and a CronJob's `namespace` and `job`): two rules of one name
 * and one label set would write the same ALERTS series, which promtool's lint
 * and Prometheus refuse.
 */
function noRecentSuccess(rule: RuleMaker, boundSeconds: number, cronJob: CronJobSuccessBound | undefined, exclude: readonly CronJobSuccessBound[] = []): AlertRule[] {
  const bound = promqlDuration(boundSeconds);
  const named: Readonly<Record<string, string>> = cronJob === undefined ? {} : { namespace: cronJob.namespace, job: cronJob.name };
  const sel = selector(named);
  let expr = `(time() - min by (namespace, job) (jobkit_job_last_success_time_seconds${sel}) > ${boundSeconds})`;
  if (exclude.length > 0) {
    const own = exclude.map((c) => `jobkit_job_last_success_time_seconds${selector({ namespace: c.namespace, job: c.name })}`).join(' or ');
    expr = `(${expr} unless on(namespace, job) (${own}))`;
  }
  const summary = `job {{ $labels.namespace }}/{{ $labels.job }} has not succeeded for ${bound}`;
  const description = `No run of this job has succeeded (every index exiting 0) within ${bound}: runs fail, do not start (a suspended or broken CronJob, a quota) or never finish.`;
  const rules = [rule('JobkitNoRecentSuccess', 'critical', expr, summary, description, undefined, { condition: 'last-success-too-old', ...named })];
  if (cronJob !== undefined) {
    rules.push(
      rule('JobkitNoRecentSuccess', 'critical', `absent(jobkit_job_last_success_time_seconds${sel})`, summary, description, boundSeconds, { condition: 'no-success-seen', ...named }),
    );
  }
  return rules;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
