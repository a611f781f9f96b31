import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, jobkitAlertRules } from '../../../src/telemetry/alert-rules.ts';
import { dashboardJson, jobkitDashboards } from '../../../src/telemetry/dashboards.ts';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { failureClasses, promqlDuration, promqlString } from '../../../src/telemetry/promql.ts';
import { testIdentity } from './helpers.ts';

/** Every metric name a jobkit job can push (all optional ones switched on), and the gateway's own. */
async function pushedNames(): Promise<Set<string>> {
  const metrics = createJobMetrics({ identity: testIdentity() });
  metrics.trackShare({ size: 1, position: 0 });
  metrics.trackQueue({ name: 'q', chunks: 1, left: 1 });
  metrics.checkpointSaved(1, 1);
  metrics.finished({ exitCode: 0 });
  const text = await metrics.registry.metrics();
  const names = new Set([...text.matchAll(/^# TYPE (\w+) (\w+)$/gm)].flatMap((m) => (m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!])));
  // Added by the cgroup v2 reader only where there are limits.
  names.add('jobkit_container_memory_limit_bytes');
  names.add('jobkit_container_cpu_limit_cores');
  names.add('push_time_seconds');
  return names;
}

const metricNames = (expr: string): string[] => [...new Set([...expr.matchAll(/\b(jobkit_[a-z_]+|push_time_seconds)\b/g)].map((m) => m[1]!))];

describe('alert rules and dashboards', () => {
  it('use only metrics a jobkit job pushes (a typo in a name would make a rule that never fires)', async () => {
    const names = await pushedNames();
    const rules = jobkitAlertRules({ runbookBaseUrl: 'https://x', maxSuccessAgeSeconds: 60, cronJobs: [{ namespace: 'a', name: 'b', maxSuccessAgeSeconds: 60 }] });
    const exprs = [...rules.flatMap((g) => g.rules.map((r) => r.expr)), ...jobkitDashboards().flatMap((d) => d.dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)))];
    for (const expr of exprs) for (const name of metricNames(expr)) expect(names.has(name), `${name} in ${expr}`).toBe(true);
  });

  it('has every alert of ALERT_NAMES, each rule with a severity, a summary and a runbook link', () => {
    const rules = jobkitAlertRules({ runbookBaseUrl: 'https://x', maxSuccessAgeSeconds: 60, cronJobs: [{ namespace: 'a', name: 'b', maxSuccessAgeSeconds: 60 }] }).flatMap((g) => g.rules);
    expect(new Set(rules.map((r) => r.alert))).toEqual(new Set(ALERT_NAMES));
    for (const r of rules) {
      expect(r.labels.severity).toMatch(/^(critical|warning|info)$/);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
    }
  });

  it('leaves the no-recent-success rules out unless a bound is given, and excludes bounded CronJobs from the catch-all', () => {
    const plain = jobkitAlertRules({ runbookBaseUrl: 'https://x' }).flatMap((g) => g.rules);
    expect(plain.some((r) => r.alert === 'JobkitNoRecentSuccess')).toBe(false);
    const both = jobkitAlertRules({ runbookBaseUrl: 'https://x', maxSuccessAgeSeconds: 93_600, cronJobs: [{ namespace: 'data', name: 'nightly', maxSuccessAgeSeconds: 90_000 }] }).flatMap((g) => g.rules);
    const success = both.filter((r) => r.alert === 'JobkitNoRecentSuccess');
    expect(success.map((r) => r.labels)).toEqual([
      { severity: 'critical', condition: 'last-success-too-old', namespace: 'data', job: 'nightly' },
      { severity: 'critical', condition: 'no-success-seen', namespace: 'data', job: 'nightly' },
      { severity: 'critical', condition: 'last-success-too-old' },
    ]);
    expect(success[1]!.for).toBe('25h');
    expect(success[2]!.expr).toContain('unless on(namespace, job) (jobkit_job_last_success_time_seconds{namespace="data",job="nightly"})');
  });

  it('takes its failure classes from the exit-code table', () => {
    expect(failureClasses(['FailJob', 'FailIndex'])).toBe('permanent|configuration|busy');
    expect(failureClasses(['Count'])).toBe('retryable|deadline|crash|unknown');
  });

  it('quotes label values and prints durations in PromQL notation', () => {
    expect(promqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(promqlDuration(604_800)).toBe('7d');
    expect(promqlDuration(5_400)).toBe('90m');
    expect(promqlDuration(45)).toBe('45s');
  });

  it('writes dashboards whose datasource is a variable and whose JSON has no test-only field', () => {
    for (const { dashboard } of jobkitDashboards()) {
      const json = dashboardJson(dashboard);
      expect(json).not.toContain('"needs"');
      const parsed = JSON.parse(json) as { templating: { list: { name: string }[] }; panels: { datasource: { uid: string } }[] };
      expect(parsed.templating.list[0]!.name).toBe('datasource');
      for (const p of parsed.panels) expect(p.datasource.uid).toBe('${datasource}');
    }
  });
});
