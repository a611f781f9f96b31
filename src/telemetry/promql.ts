/**
 * PromQL building blocks over the series a jobkit job pushes, shared by the
 * alert rules (alert-rules.ts) and the Grafana dashboards (dashboards.ts), so
 * that "running", "ended" and "failed" mean the same thing in both.
 *
 * The series reach Prometheus through the Pushgateway, scraped with
 * `honor_labels: true`: each carries the grouping key of its group, `job`,
 * `namespace` and `index` (or `pod` with groupBy pod). A group holds the latest
 * push of the latest attempt of its index, and the gateway never drops a
 * metric family a newer push leaves out (a push of an empty family changes
 * nothing): an attempt that started after the previous one ended still shows
 * the previous one's `jobkit_job_exit_class_info` until it ends itself. So
 * "ended" is always "the end time of this group is at or after its start
 * time", never "an exit series is present".
 */
import { EXIT_CODE_TABLE, type PolicyAction } from '../runtime/exit-codes.ts';

/** The labels that name one group (one index, or one pod with groupBy pod). */
export const GROUP_BY = 'namespace, job, index, pod';

/**
 * A PromQL string literal: double quotes, with backslash, quote and newline escaped.
 *
 * @example
 * ```ts
 * promqlString('etl "nightly"'); // '"etl \\"nightly\\""'
 * ```
 */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * A label selector body from equality matchers and raw matchers (`job=~"$job"`), joined with commas.
 *
 * @example
 * ```ts
 * selector({ namespace: 'data', job: 'etl' }); // '{namespace="data",job="etl"}'
 * selector({}, ['job=~"$job"']);               // '{job=~"$job"}'
 * ```
 */
export function selector(equal: Readonly<Record<string, string>>, raw: readonly string[] = []): string {
  const parts = [...Object.entries(equal).map(([k, v]) => `${k}=${promqlString(v)}`), ...raw];
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * The `|`-joined exit classes whose podFailurePolicy action is one of these,
 * from the exit-code table (a regex alternative for `class=~"..."`).
 * `interrupted` (a stop after saving progress) is never a failure, and
 * `unknown` (a code outside the table, e.g. from `jobkit exec`'s child) always is.
 *
 * @example
 * ```ts
 * failureClasses(['FailJob', 'FailIndex']); // 'permanent|configuration|busy'
 * failureClasses(['Count']);                // 'retryable|deadline|crash|unknown'
 * ```
 */
export function failureClasses(actions: readonly PolicyAction[]): string {
  const classes: string[] = EXIT_CODE_TABLE.filter((e) => actions.includes(e.action) && e.exitClass !== 'interrupted').map((e) => e.exitClass);
  if (actions.includes('Count')) classes.push('unknown');
  return classes.join('|');
}

/** Every failure class: what the dashboards show as "failing". */
export const FAILURE_CLASSES = failureClasses(['FailJob', 'FailIndex', 'Count']);

/**
 * The groups whose latest attempt has ended (successfully or not), with the
 * value of the end time. `sel` narrows the series (e.g. `{namespace="data"}`).
 *
 * @example
 * ```ts
 * ended('{job="etl"}');
 * ```
 */
export function ended(sel = ''): string {
  return `(jobkit_job_end_time_seconds${sel} >= on(${GROUP_BY}) jobkit_job_start_time_seconds${sel})`;
}

/**
 * The groups whose latest attempt started and has not ended, with the value
 * of the start time. A pod that died without its final push (SIGKILL, an OOM
 * kill, a lost node) stays "started" until a new attempt takes the group over;
 * `pushedWithinSeconds` keeps only groups pushed to that recently.
 *
 * @example
 * ```ts
 * started('', 120); // running now: started, not ended, pushed within 2 minutes
 * ```
 */
export function started(sel = '', pushedWithinSeconds?: number): string {
  const base = `(jobkit_job_start_time_seconds${sel} unless on(${GROUP_BY}) ${ended(sel)})`;
  if (pushedWithinSeconds === undefined) return base;
  return `(${base} and on(${GROUP_BY}) (time() - push_time_seconds${sel} < ${pushedWithinSeconds}))`;
}

/**
 * The groups whose latest attempt ended with an exit class in `classes` (a
 * `|`-joined list), one series per group and class, value 1.
 *
 * @example
 * ```ts
 * endedWithClass('permanent|configuration|busy');
 * ```
 */
export function endedWithClass(classes: string, sel = ''): string {
  const s = selectorWith(sel, [`class=~${promqlString(classes)}`]);
  return `(max by (${GROUP_BY}, class) (jobkit_job_exit_class_info${s}) and on(${GROUP_BY}) ${ended(sel)})`;
}

/** Adds raw matchers to a selector body such as `{job="etl"}` (or to none). */
function selectorWith(sel: string, raw: readonly string[]): string {
  const inner = sel === '' ? [] : [sel.slice(1, -1)];
  return `{${[...inner, ...raw].join(',')}}`;
}

/**
 * A duration in PromQL's notation, in its largest whole unit: `7d`, `90m`, `45s`.
 *
 * @example
 * ```ts
 * promqlDuration(5400); // '90m'
 * ```
 */
export function promqlDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * The groups that are stuck: started more than `seconds` ago, not ended, and
 * none of the progress signals (items, shard position, checkpoint commits)
 * moved within that window; value: seconds since the attempt started. Only
 * groups that report progress at all (a share, a checkpoint or an item): a
 * job without any of them would always look stuck. A pod that died without
 * its final push stops all signals, so it shows here too.
 *
 * `seconds` may be a dashboard variable (`'${stuck}'`): it is then used as
 * `[${stuck}s]` and `> ${stuck}`.
 *
 * @example
 * ```ts
 * noProgress(900); // stuck for 15 minutes
 * ```
 */
export function noProgress(seconds: number | string, sel = ''): string {
  const window = typeof seconds === 'number' ? promqlDuration(seconds) : `${seconds}s`;
  const moved = [
    `(sum by (${GROUP_BY}) (changes(jobkit_items_total${sel}[${window}])) > 0)`,
    `(changes(jobkit_shard_position${sel}[${window}]) > 0)`,
    `(changes(jobkit_checkpoint_last_success_time_seconds${sel}[${window}]) > 0)`,
  ];
  const reports = `(jobkit_shard_items${sel} or jobkit_checkpoint_last_success_time_seconds${sel} or (sum by (${GROUP_BY}) (jobkit_items_total${sel}) > 0))`;
  return `((time() - ${started(sel)} > ${seconds})${moved.map((m) => ` unless on(${GROUP_BY}) ${m}`).join('')} and on(${GROUP_BY}) ${reports})`;
}
