/**
 * The rules `jobkit alerts` writes, checked and unit tested by the real
 * promtool (Debian's prometheus package): `promtool check rules` on both
 * files' groups, and `promtool test rules` with, for every alert, series that
 * make it fire and series that must not (the near misses: a new attempt
 * running after a failure, progress that moved, a fresh push).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ALERT_FILES } from '../../../src/cli/alerts-command.ts';
import { ALERT_NAMES, type AlertName, type AlertRuleGroup } from '../../../src/telemetry/alert-rules.ts';
import { cli } from '../../e2e/emulator/harness.ts';

const run = promisify(execFile);

/** A series of the promtool input: labels and promtool's expanding notation (`1x30`, `0+60x20`). */
interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly values: string;
}

/** One promtool test: input series, and per evaluation time the alerts expected (an empty list: must not fire). */
interface Case {
  readonly what: string;
  readonly interval?: string;
  readonly series: readonly Series[];
  readonly expect: readonly { readonly at: string; readonly alert: AlertName; readonly firing: readonly Readonly<Record<string, string>>[] }[];
}

const G = { namespace: 'data', job: 'etl', index: '0' } as const;
const s = (name: string, values: string, labels: Readonly<Record<string, string>> = G): Series => ({ name, labels, values });
/** A group whose attempt started at 60 s and pushes every minute. */
const runningGroup = (extra: readonly Series[] = []): Series[] => [s('jobkit_job_start_time_seconds', '60x60'), s('push_time_seconds', '60+60x60'), ...extra];

const CASES: readonly Case[] = [
  {
    what: 'an index failed with a FailIndex class; another whose new attempt runs after a failure',
    series: [
      s('jobkit_job_start_time_seconds', '60x30'),
      s('jobkit_job_end_time_seconds', '_x3 240x27'),
      s('jobkit_job_exit_class_info', '_x3 1x27', { ...G, class: 'permanent' }),
      // index 1: failed (configuration) at 240 s, then a new attempt started at 600 s: the old class lingers.
      s('jobkit_job_start_time_seconds', '60x9 600x20', { ...G, index: '1' }),
      s('jobkit_job_end_time_seconds', '_x3 240x27', { ...G, index: '1' }),
      s('jobkit_job_exit_class_info', '_x3 1x27', { ...G, index: '1', class: 'configuration' }),
      // index 2: a retryable failure is not this alert's.
      s('jobkit_job_start_time_seconds', '60x30', { ...G, index: '2' }),
      s('jobkit_job_end_time_seconds', '_x3 240x27', { ...G, index: '2' }),
      s('jobkit_job_exit_class_info', '_x3 1x27', { ...G, index: '2', class: 'retryable' }),
    ],
    expect: [
      { at: '2m', alert: 'JobkitJobFailed', firing: [] },
      { at: '5m', alert: 'JobkitJobFailed', firing: [{ ...G, class: 'permanent' }, { ...G, index: '1', class: 'configuration' }] },
      { at: '15m', alert: 'JobkitJobFailed', firing: [{ ...G, class: 'permanent' }] },
    ],
  },
  {
    what: 'a retryable failure with no new attempt for 15 minutes; one that was retried',
    series: [
      s('jobkit_job_start_time_seconds', '60x40'),
      s('jobkit_job_end_time_seconds', '_x3 240x37'),
      s('jobkit_job_exit_class_info', '_x3 1x37', { ...G, class: 'crash' }),
      s('jobkit_job_start_time_seconds', '60x9 600x30', { ...G, index: '1' }),
      s('jobkit_job_end_time_seconds', '_x3 240x37', { ...G, index: '1' }),
      s('jobkit_job_exit_class_info', '_x3 1x37', { ...G, index: '1', class: 'retryable' }),
      // interrupted (a stop after saving progress) is never a failure.
      s('jobkit_job_start_time_seconds', '60x40', { ...G, index: '2' }),
      s('jobkit_job_end_time_seconds', '_x3 240x37', { ...G, index: '2' }),
      s('jobkit_job_exit_class_info', '_x3 1x37', { ...G, index: '2', class: 'interrupted' }),
    ],
    expect: [
      { at: '10m', alert: 'JobkitJobRetriesExhausted', firing: [] },
      { at: '20m', alert: 'JobkitJobRetriesExhausted', firing: [{ ...G, class: 'crash' }] },
    ],
  },
  {
    what: 'no success for longer than the bounds: the catch-all (26h) and an hourly CronJob (1h + 10m slack)',
    interval: '10m',
    series: [
      s('jobkit_job_last_success_time_seconds', '0x200'),
      s('jobkit_job_last_success_time_seconds', '0x200', { namespace: 'data', job: 'hourly', index: '0' }),
      // a job that succeeds every 10 minutes
      s('jobkit_job_last_success_time_seconds', '0+600x200', { namespace: 'data', job: 'busy', index: '0' }),
    ],
    expect: [
      { at: '1h', alert: 'JobkitNoRecentSuccess', firing: [] },
      { at: '2h', alert: 'JobkitNoRecentSuccess', firing: [{ namespace: 'data', job: 'hourly', condition: 'last-success-too-old' }] },
      {
        at: '27h',
        alert: 'JobkitNoRecentSuccess',
        firing: [
          { namespace: 'data', job: 'etl', condition: 'last-success-too-old' },
          { namespace: 'data', job: 'hourly', condition: 'last-success-too-old' },
        ],
      },
    ],
  },
  {
    what: 'a CronJob that has never succeeded while Prometheus watched it',
    interval: '10m',
    series: [s('up', '1x40', { job: 'prometheus' })],
    expect: [
      { at: '1h', alert: 'JobkitNoRecentSuccess', firing: [] },
      { at: '3h', alert: 'JobkitNoRecentSuccess', firing: [{ namespace: 'data', job: 'hourly', condition: 'no-success-seen' }] },
    ],
  },
  {
    what: 'an index restarted 5 times within the hour; another twice',
    series: [
      s('jobkit_job_start_time_seconds', '60x5 360x5 660x5 960x5 1260x5 1560x30'),
      s('jobkit_job_start_time_seconds', '60x10 660x10 1260x30', { ...G, index: '1' }),
    ],
    expect: [
      { at: '10m', alert: 'JobkitAttemptsHigh', firing: [] },
      { at: '30m', alert: 'JobkitAttemptsHigh', firing: [{ namespace: 'data', job: 'etl' }] },
    ],
  },
  {
    what: 'three interruptions of one job within the hour (two SIGTERMs, one cloud notice); one of another',
    series: [
      s('jobkit_job_interruptions_total', '0x4 1 0x4 1 0x40', { ...G, reason: 'signal' }),
      // the third one a cloud notice that stopped the pod before its SIGTERM
      s('jobkit_job_interruptions_total', '0x16 1 0x30', { ...G, reason: 'notice' }),
      s('jobkit_job_interruptions_total', '0x4 1 0x40', { namespace: 'data', job: 'calm', index: '0', reason: 'signal' }),
      s('jobkit_job_interruptions_total', '0x4 1 1 1 1 1 1 1 1 1 1 1 0x30', { ...G, index: '1', reason: 'deadline' }),
    ],
    expect: [
      { at: '4m', alert: 'JobkitPreemptionsHigh', firing: [] },
      { at: '20m', alert: 'JobkitPreemptionsHigh', firing: [{ namespace: 'data', job: 'etl' }] },
    ],
  },
  {
    what: 'a running index whose items stopped; one whose items move; one that reports no progress at all; one that ended',
    series: [
      ...runningGroup([s('jobkit_items_total', '0+1x5 5x60', { ...G, outcome: 'processed' }), s('jobkit_shard_items', '100x60')]),
      ...runningGroup([s('jobkit_items_total', '0+1x60', { ...G, index: '1', outcome: 'processed' })]).map((x) => ({ ...x, labels: { ...x.labels, index: '1' } })),
      ...runningGroup().map((x) => ({ ...x, labels: { ...x.labels, index: '2' } })),
      s('jobkit_job_start_time_seconds', '60x60', { ...G, index: '3' }),
      s('jobkit_job_end_time_seconds', '_x3 240x57', { ...G, index: '3' }),
      s('jobkit_shard_items', '100x60', { ...G, index: '3' }),
    ],
    expect: [
      { at: '15m', alert: 'JobkitNoProgress', firing: [] },
      { at: '25m', alert: 'JobkitNoProgress', firing: [{ ...G }] },
    ],
  },
  {
    what: 'a running index that stopped pushing (SIGKILL); one that pushes',
    series: [
      s('jobkit_job_start_time_seconds', '60x30'),
      s('push_time_seconds', '60+60x4 300x25'),
      s('jobkit_job_start_time_seconds', '60x30', { ...G, index: '1' }),
      s('push_time_seconds', '60+60x30', { ...G, index: '1' }),
    ],
    expect: [
      { at: '6m', alert: 'JobkitPodLost', firing: [] },
      { at: '10m', alert: 'JobkitPodLost', firing: [{ ...G }] },
    ],
  },
  {
    what: 'a running index whose last checkpoint is 40 minutes old; one that checkpoints',
    series: [
      ...runningGroup([s('jobkit_checkpoint_last_success_time_seconds', '120x60')]),
      ...runningGroup([s('jobkit_checkpoint_last_success_time_seconds', '120+60x60')]).map((x) => ({ ...x, labels: { ...x.labels, index: '1' } })),
    ],
    expect: [
      { at: '20m', alert: 'JobkitCheckpointTooOld', firing: [] },
      { at: '40m', alert: 'JobkitCheckpointTooOld', firing: [{ ...G }] },
    ],
  },
  {
    what: 'a checkpoint that failed verification on load; a job without',
    series: [
      s('jobkit_integrity_failures_total', '0x9 1x20', { ...G, kind: 'checkpoint' }),
      s('jobkit_integrity_failures_total', '0x30', { ...G, kind: 'shard_plan' }),
      s('jobkit_integrity_failures_total', '0x30', { ...G, job: 'clean', kind: 'checkpoint' }),
    ],
    expect: [
      { at: '5m', alert: 'JobkitIntegrityFailure', firing: [] },
      { at: '15m', alert: 'JobkitIntegrityFailure', firing: [{ namespace: 'data', job: 'etl', kind: 'checkpoint' }] },
    ],
  },
  {
    what: 'a group not pushed for 8 days; a group another tool pushed',
    interval: '6h',
    series: [
      s('jobkit_job_start_time_seconds', '0x40'),
      s('push_time_seconds', '0x40'),
      s('push_time_seconds', '0x40', { job: 'other-tool' }),
    ],
    expect: [
      { at: '6d', alert: 'JobkitPushgatewayGroupStale', firing: [] },
      { at: '8d', alert: 'JobkitPushgatewayGroupStale', firing: [{ namespace: 'data', job: 'etl' }] },
    ],
  },
];

const HOURLY = `apiVersion: batch/v1
kind: CronJob
metadata: { name: hourly, namespace: data }
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: main, image: node:24, command: [node, job.js] }]
`;

let dir: string;
let groups: AlertRuleGroup[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobkit-alerts-'));
  writeFileSync(join(dir, 'hourly.yaml'), HOURLY);
  const r = await cli(['alerts', '--out', dir, '-f', join(dir, 'hourly.yaml'), '--success-slack', '10m', '--max-success-age', '26h', '--runbook-url', 'https://runbooks.example/jobkit']);
  expect(r.code, r.stderr).toBe(0);
  groups = (parse(readFileSync(join(dir, ALERT_FILES.rules), 'utf8')) as { groups: AlertRuleGroup[] }).groups;
});
afterAll(() => { if (process.env.KEEP === undefined) rmSync(dir, { recursive: true, force: true }); });

/** The annotations as Prometheus renders them: only `{{ $labels.x }}` is used in jobkit's templates. */
function rendered(text: string, labels: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, name: string) => labels[name] ?? '');
}

/**
 * The rule an expected alert comes from: JobkitNoRecentSuccess has one per
 * CronJob given with -f (its selector names the job) and a catch-all.
 */
function ruleFor(alert: AlertName, labels: Readonly<Record<string, string>>): { labels: Record<string, string>; annotations: Record<string, string> } {
  const rules = groups.flatMap((g) => g.rules).filter((r) => r.alert === alert);
  if (rules.length === 1) return rules[0]!;
  // The most specific rule whose static labels the alert carries (a CronJob's own rule before the catch-all).
  const match = rules.filter((r) => Object.entries(r.labels).every(([k, v]) => k === 'severity' || labels[k] === v));
  match.sort((a, b) => Object.keys(b.labels).length - Object.keys(a.labels).length);
  expect(match.length, `a ${alert} rule matches ${JSON.stringify(labels)}`).toBeGreaterThan(0);
  return match[0]!;
}

function promtoolTests(): object {
  return {
    rule_files: [ALERT_FILES.rules],
    evaluation_interval: '1m',
    tests: CASES.map((c) => ({
      name: c.what,
      interval: c.interval ?? '1m',
      input_series: c.series.map((x) => ({ series: `${x.name}{${Object.entries(x.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values: x.values })),
      alert_rule_test: c.expect.map((e) => ({
        eval_time: e.at,
        alertname: e.alert,
        exp_alerts: e.firing.map((labels) => {
          const rule = ruleFor(e.alert, labels);
          const all = { ...labels, ...rule.labels };
          return { exp_labels: all, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, rendered(v, all)])) };
        }),
      })),
    })),
  };
}

describe('jobkit alerts, checked by promtool', () => {
  it('writes a rules file and a PrometheusRule holding the same groups, and promtool accepts both', async () => {
    const manifest = parse(readFileSync(join(dir, ALERT_FILES.prometheusRule), 'utf8')) as { apiVersion: string; kind: string; spec: { groups: unknown } };
    expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.spec.groups).toEqual(groups);
    writeFileSync(join(dir, 'from-prometheusrule.yaml'), stringify({ groups: manifest.spec.groups }));
    const checked = await run('promtool', ['check', 'rules', join(dir, ALERT_FILES.rules), join(dir, 'from-prometheusrule.yaml')]);
    expect(checked.stdout).toContain('SUCCESS: 12 rules found');
    expect(checked.stdout).not.toContain('FAILED');
    for (const g of groups) for (const r of g.rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning|info)$/);
      expect(r.annotations.runbook_url, r.alert).toBe(`https://runbooks.example/jobkit#${r.alert.toLowerCase()}`);
    }
  });

  it('has a firing and a not-firing promtool case for every alert', () => {
    for (const name of ALERT_NAMES) {
      const cases = CASES.flatMap((c) => c.expect).filter((e) => e.alert === name);
      expect(cases.some((e) => e.firing.length > 0), `${name} fires somewhere`).toBe(true);
      expect(cases.some((e) => e.firing.length === 0), `${name} stays quiet somewhere`).toBe(true);
    }
  });

  it('passes promtool test rules: each alert fires on its series and stays quiet on the near misses', async () => {
    const file = join(dir, 'jobkit-alerts.test.yaml');
    writeFileSync(file, stringify(promtoolTests(), { lineWidth: 0 }));
    const result = await run('promtool', ['test', 'rules', file]).catch((err: { stdout: string; stderr: string }) => err);
    expect(`${result.stdout}\n${result.stderr}`).toContain('SUCCESS');
  });
});
