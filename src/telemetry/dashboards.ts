/**
 * The Grafana dashboards of `jobkit dashboards`, for three audiences: an
 * overview (did the jobs run and succeed, what they cost), on-call (what is
 * failing, preempted or stuck now) and one job in detail (per index).
 *
 * Every query is built from promql.ts, as the alert rules are, and every
 * query is tested against a real Prometheus that scraped real runs
 * (test/e2e/telemetry/prometheus.test.ts). The Prometheus data source is the
 * `datasource` variable, so a dashboard imports into any Grafana.
 */
import { FAILURE_CLASSES, GROUP_BY, endedWithClass, noProgress, started } from './promql.ts';

/** One query of a panel. */
export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  /**
   * What the query needs to return series besides a run of the job; the
   * dashboard test skips the check only where the machine lacks it. Not a
   * Grafana field: removed from the JSON written.
   */
  readonly needs?: 'cgroup-limits';
}

/** One panel (the subset of Grafana's panel model these dashboards use). */
export interface DashboardPanel {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly type: 'stat' | 'timeseries' | 'table' | 'bargauge';
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: { readonly type: 'prometheus'; readonly uid: '${datasource}' };
  readonly targets: readonly DashboardTarget[];
  readonly fieldConfig: { readonly defaults: { readonly unit?: string; readonly min?: number; readonly max?: number }; readonly overrides: readonly never[] };
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A template variable (datasource or label values). */
export interface DashboardVariable {
  readonly name: string;
  readonly label: string;
  readonly type: 'datasource' | 'query' | 'custom';
  readonly query: string | { readonly query: string; readonly refId: string };
  readonly datasource?: { readonly type: 'prometheus'; readonly uid: '${datasource}' };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string;
  readonly refresh?: 1 | 2;
  readonly current?: Readonly<Record<string, unknown>>;
}

/** A dashboard, as Grafana imports it. */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly editable: boolean;
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly templating: { readonly list: readonly DashboardVariable[] };
  readonly panels: readonly DashboardPanel[];
}

const DS = { type: 'prometheus', uid: '${datasource}' } as const;

/** Series of the selected namespaces and jobs. */
const SEL = '{namespace=~"$namespace",job=~"$job"}';

const datasourceVariable: DashboardVariable = { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' };

function labelVariable(name: string, label: string, query: string, multi: boolean): DashboardVariable {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: `${name}-values` },
    refresh: 2,
    multi,
    includeAll: multi,
    ...(multi ? { allValue: '.*', current: { text: 'All', value: '$__all' } } : {}),
  };
}

const namespaceVariable = labelVariable('namespace', 'Namespace', 'label_values(jobkit_job_start_time_seconds, namespace)', true);
const jobsVariable = labelVariable('job', 'Job or CronJob', 'label_values(jobkit_job_start_time_seconds{namespace=~"$namespace"}, job)', true);

/** How long without progress counts as stuck, in seconds (the JobkitNoProgress bound, default 15 minutes). */
const stuckVariable: DashboardVariable = {
  name: 'stuck',
  label: 'Stuck after (s)',
  type: 'custom',
  query: '900,1800,3600,300',
  current: { text: '900', value: '900' },
};

/** Lays panels out on Grafana's 24-column grid, rows of `perRow`, each `h` high. */
class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly panels: DashboardPanel[] = [];

  add(
    type: DashboardPanel['type'],
    title: string,
    description: string,
    targets: readonly DashboardTarget[],
    size: { readonly w: number; readonly h: number },
    unit?: string,
    options?: Readonly<Record<string, unknown>>,
  ): void {
    if (this.x + size.w > 24) {
      this.x = 0;
      this.y += this.rowHeight;
      this.rowHeight = 0;
    }
    this.panels.push({
      id: this.nextId++,
      title,
      description,
      type,
      gridPos: { x: this.x, y: this.y, w: size.w, h: size.h },
      datasource: DS,
      targets,
      fieldConfig: { defaults: unit === undefined ? {} : { unit, ...(unit === 'percentunit' ? { min: 0, max: 1 } : {}) }, overrides: [] },
      ...(options === undefined ? {} : { options }),
    });
    this.x += size.w;
    this.rowHeight = Math.max(this.rowHeight, size.h);
  }
}

const t = (refId: string, expr: string, legendFormat?: string, extra: Partial<DashboardTarget> = {}): DashboardTarget => ({
  refId,
  expr,
  ...(legendFormat === undefined ? {} : { legendFormat }),
  ...extra,
});
const instant = { instant: true } as const;
const STAT = { w: 6, h: 5 } as const;
const HALF = { w: 12, h: 8 } as const;
const FULL = { w: 24, h: 8 } as const;

function dashboard(uid: string, title: string, description: string, variables: readonly DashboardVariable[], layout: Layout): Dashboard {
  return {
    uid,
    title,
    description: `${description} Generated by jobkit dashboards.`,
    tags: ['jobkit', 'batch'],
    schemaVersion: 39,
    editable: true,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    templating: { list: [datasourceVariable, ...variables] },
    panels: layout.panels,
  };
}

/**
 * The overview: success, last success per job and CronJob, failures by class, cost drivers.
 *
 * @example
 * ```ts
 * writeFileSync('jobkit-overview.json', JSON.stringify(overviewDashboard(), null, 2));
 * ```
 */
export function overviewDashboard(): Dashboard {
  const l = new Layout();
  const endedSel = `and on(${GROUP_BY}) (jobkit_job_end_time_seconds${SEL} >= on(${GROUP_BY}) jobkit_job_start_time_seconds${SEL})`;
  l.add(
    'stat',
    'Indexes succeeded',
    'Of the indexes whose latest attempt has ended, the share that ended with exit code 0.',
    [t('A', `sum(max by (${GROUP_BY}) (jobkit_job_exit_class_info{class="success",namespace=~"$namespace",job=~"$job"}) ${endedSel}) / sum(max by (${GROUP_BY}) (jobkit_job_exit_class_info${SEL}) ${endedSel})`, undefined, instant)],
    STAT,
    'percentunit',
  );
  l.add('stat', 'Running now', 'Indexes whose latest attempt started and has not ended, and pushed within 2 minutes.', [t('A', `count(${started(SEL, 120)})`, undefined, instant)], STAT);
  l.add('stat', 'Failed now', 'Indexes whose latest attempt ended with a failure class.', [t('A', `count(${endedWithClass(FAILURE_CLASSES, SEL)})`, undefined, instant)], STAT);
  l.add('stat', 'Attempts started', 'New attempts in the dashboard range (retries, preemptions, CronJob runs).', [t('A', `sum(changes(jobkit_job_start_time_seconds${SEL}[$__range]))`, undefined, instant)], STAT);
  l.add(
    'table',
    'Time since last success, per job and CronJob',
    'The last success of the oldest index: a CronJob is one row (its runs share its groups).',
    [t('A', `time() - min by (namespace, job) (jobkit_job_last_success_time_seconds${SEL})`, undefined, instant)],
    HALF,
    's',
  );
  l.add(
    'bargauge',
    'Failures by class',
    'Latest ended attempts by exit class (docs/exit-codes.md): permanent needs the input fixed, configuration the manifest, retryable and crash were retried.',
    [t('A', `count by (class) (${endedWithClass(FAILURE_CLASSES, SEL)})`, '{{class}}', instant)],
    HALF,
  );
  l.add('timeseries', 'CPU seconds per job', 'CPU time used by the latest attempt of each index, summed per job: the cost driver.', [t('A', `sum by (namespace, job) (jobkit_process_cpu_seconds${SEL})`, '{{namespace}}/{{job}}')], HALF, 's');
  l.add(
    'timeseries',
    'Peak memory per job',
    'The largest peak RSS of an index, and its share of the container memory limit (cgroup v2 only).',
    [
      t('A', `max by (namespace, job) (jobkit_process_peak_rss_bytes${SEL})`, '{{namespace}}/{{job}} peak RSS'),
      t('B', `max by (namespace, job) (jobkit_process_peak_rss_bytes${SEL} / on(${GROUP_BY}) jobkit_container_memory_limit_bytes${SEL})`, '{{namespace}}/{{job}} of limit', { needs: 'cgroup-limits' }),
    ],
    HALF,
    'bytes',
  );
  l.add('timeseries', 'Run time per job', 'The longest running or finished attempt of each job.', [t('A', `max by (namespace, job) (jobkit_job_duration_seconds${SEL})`, '{{namespace}}/{{job}}')], HALF, 's');
  l.add('timeseries', 'Checkpoint bytes written per job', 'Checkpoint bytes written by the latest attempts (storage and request cost).', [t('A', `sum by (namespace, job) (jobkit_checkpoint_saved_bytes_total${SEL})`, '{{namespace}}/{{job}}')], HALF, 'bytes');
  return dashboard('jobkit-overview', 'jobkit: batch jobs overview', 'Did the jobs run, did they succeed, what did they cost.', [namespaceVariable, jobsVariable], l);
}

/**
 * On-call: failing now, preempted, stuck (no progress, checkpoint age growing), retry spikes, lost pods.
 *
 * @example
 * ```ts
 * writeFileSync('jobkit-on-call.json', JSON.stringify(onCallDashboard(), null, 2));
 * ```
 */
export function onCallDashboard(): Dashboard {
  const l = new Layout();
  l.add(
    'table',
    'Failing now',
    'Indexes whose latest attempt ended with a failure class; JobkitJobFailed and JobkitJobRetriesExhausted page on these.',
    [t('A', endedWithClass(FAILURE_CLASSES, SEL), undefined, instant)],
    FULL,
  );
  l.add(
    'timeseries',
    'Preemptions and evictions',
    'SIGTERMs that interrupted the pods of each job in the last hour: spot reclaims, evictions, node drains.',
    [t('A', `sum by (namespace, job) (increase(jobkit_job_interruptions_total{reason=~"signal|notice",namespace=~"$namespace",job=~"$job"}[1h]))`, '{{namespace}}/{{job}}')],
    HALF,
  );
  l.add(
    'table',
    'Stuck: no progress for $stuck s',
    'Running indexes whose items, shard position and checkpoints have not moved for the "Stuck after" variable (value: seconds since the attempt started). The JobkitNoProgress alert uses the same query.',
    [t('A', noProgress('${stuck}', SEL), undefined, instant)],
    HALF,
    's',
  );
  l.add(
    'timeseries',
    'Checkpoint age of running indexes',
    'Seconds since the last durable checkpoint: the work a preemption now would redo. Growing without bound means checkpoints fail or stopped.',
    [t('A', `(time() - jobkit_checkpoint_last_success_time_seconds${SEL}) and on(${GROUP_BY}) ${started(SEL, 120)}`, '{{namespace}}/{{job}} {{index}}{{pod}}')],
    HALF,
    's',
  );
  l.add(
    'timeseries',
    'Retry spikes',
    'New attempts per job in the last hour (pod retries and re-creations), and in-process retries per operation.',
    [
      t('A', `max by (namespace, job) (changes(jobkit_job_start_time_seconds${SEL}[1h]))`, '{{namespace}}/{{job}} attempts of one index'),
      t('B', `sum by (namespace, job, operation) (increase(jobkit_retries_total${SEL}[1h]))`, '{{namespace}}/{{job}} {{operation}} retries'),
    ],
    HALF,
  );
  l.add(
    'table',
    'Last push of started attempts',
    'Seconds since each started, unfinished attempt last pushed. More than a few push intervals (default 30 s) and no final push: the pod was SIGKILLed (OOM kill, lost node) and nothing took over (JobkitPodLost).',
    [t('A', `(time() - push_time_seconds${SEL}) and on(${GROUP_BY}) ${started(SEL)}`, undefined, instant)],
    HALF,
    's',
  );
  l.add('stat', 'Integrity failures', 'Stored data found corrupt in the dashboard range (checkpoints that failed verification, unreadable plans and records), by kind.', [t('A', `sum by (kind) (increase(jobkit_integrity_failures_total${SEL}[$__range]))`, '{{kind}}', instant)], HALF);
  return dashboard('jobkit-on-call', 'jobkit: on call', 'What is failing, preempted or stuck now.', [namespaceVariable, jobsVariable, stuckVariable], l);
}

/**
 * One job in detail: per-index progress, attempts, checkpoint sizes and durations, item latency.
 *
 * @example
 * ```ts
 * writeFileSync('jobkit-job.json', JSON.stringify(jobDashboard(), null, 2));
 * ```
 */
export function jobDashboard(): Dashboard {
  const l = new Layout();
  const one = '{namespace=~"$namespace",job=~"$job",index=~"$index"}';
  l.add(
    'bargauge',
    'Progress per index',
    'Items of each index\'s share finished (jobkit_shard_position / jobkit_shard_items).',
    [t('A', `max by (index) (jobkit_shard_position${one} / on(${GROUP_BY}) jobkit_shard_items${one})`, 'index {{index}}', instant)],
    HALF,
    'percentunit',
  );
  l.add('timeseries', 'Items processed per index', 'Items the latest attempt of each index has processed.', [t('A', `sum by (index) (jobkit_items_total{outcome="processed",namespace=~"$namespace",job=~"$job",index=~"$index"})`, 'index {{index}}')], HALF);
  l.add(
    'timeseries',
    'Work queue chunks left',
    'Chunks of each work queue not yet known to be finished, as the pods last saw them (the lowest count over the pods is the closest).',
    [t('A', `min by (queue) (jobkit_queue_chunks_left${one})`, '{{queue}}')],
    HALF,
  );
  l.add('table', 'Attempts', 'Who pushed each group: pod, node and attempt of the latest attempt per index.', [t('A', `max by (index, pod, node, attempt, job_name) (jobkit_job_info${one})`, undefined, instant)], HALF);
  l.add('timeseries', 'New attempts per index', 'Attempts started per index in the last hour.', [t('A', `changes(jobkit_job_start_time_seconds${one}[1h])`, 'index {{index}}')], HALF);
  l.add('timeseries', 'Checkpoint size', 'Size of the latest checkpoint save per index.', [t('A', `max by (index) (jobkit_checkpoint_last_save_bytes${one})`, 'index {{index}}')], HALF, 'bytes');
  l.add(
    'timeseries',
    'Checkpoint save time',
    'Save durations: the 90th percentile over the selected indexes, and the mean.',
    [
      t('A', `histogram_quantile(0.9, sum by (le) (rate(jobkit_checkpoint_save_duration_seconds_bucket${one}[$__rate_interval])))`, 'p90'),
      t('B', `sum(jobkit_checkpoint_save_duration_seconds_sum${one}) / sum(jobkit_checkpoint_save_duration_seconds_count${one})`, 'mean'),
    ],
    HALF,
    's',
  );
  l.add(
    'timeseries',
    'Item latency',
    'Time per item: median and 99th percentile over the selected indexes.',
    [
      t('A', `histogram_quantile(0.5, sum by (le) (rate(jobkit_item_duration_seconds_bucket${one}[$__rate_interval])))`, 'p50'),
      t('B', `histogram_quantile(0.99, sum by (le) (rate(jobkit_item_duration_seconds_bucket${one}[$__rate_interval])))`, 'p99'),
    ],
    HALF,
    's',
  );
  l.add('table', 'Exit per index', 'The exit code and class of each index\'s latest ended attempt.', [t('A', `max by (index, class) (jobkit_job_exit_class_info${one}) and on(index) max by (index) (jobkit_job_end_time_seconds${one} >= on(${GROUP_BY}) jobkit_job_start_time_seconds${one})`, undefined, instant)], HALF);
  const indexVariable = labelVariable('index', 'Index', 'label_values(jobkit_job_start_time_seconds{namespace=~"$namespace",job=~"$job"}, index)', true);
  const job = labelVariable('job', 'Job or CronJob', 'label_values(jobkit_job_start_time_seconds{namespace=~"$namespace"}, job)', false);
  return dashboard('jobkit-job', 'jobkit: one job', 'One job (or CronJob) per index: progress, attempts, checkpoints, item latency.', [namespaceVariable, job, indexVariable], l);
}

/**
 * The three dashboards with their file names.
 *
 * @example
 * ```ts
 * for (const { file, dashboard } of jobkitDashboards()) writeFileSync(file, JSON.stringify(dashboard, null, 2));
 * ```
 */
export function jobkitDashboards(): { readonly file: string; readonly dashboard: Dashboard }[] {
  return [
    { file: 'jobkit-overview.json', dashboard: overviewDashboard() },
    { file: 'jobkit-on-call.json', dashboard: onCallDashboard() },
    { file: 'jobkit-job.json', dashboard: jobDashboard() },
  ];
}

/**
 * A dashboard as the JSON Grafana imports (the test-only `needs` field removed).
 *
 * @example
 * ```ts
 * writeFileSync('jobkit-overview.json', dashboardJson(overviewDashboard()));
 * ```
 */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, (key, value: unknown) => (key === 'needs' ? undefined : value), 2)}\n`;
}
