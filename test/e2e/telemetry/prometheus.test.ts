/**
 * The alert rules and dashboards against the real thing: Debian's Prometheus
 * scrapes a real Pushgateway (honor_labels, every 500 ms) and evaluates the
 * rules `jobkit alerts` wrote, while three Jobs run under `jobkit run` with
 * real jobkit pods pushing: one fails (PermanentError, exit 65), one is
 * preempted by chaos and resumes from its checkpoint, one stalls after two
 * items. The test reads /api/v1/alerts until the expected alerts fire (and
 * checks none fires for the wrong job), then runs every query of the three
 * dashboards `jobkit dashboards` wrote: each must parse and return series.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, jobkitDashboards } from '../../../src/telemetry/dashboards.ts';
import { ALERT_FILES } from '../../../src/cli/alerts-command.ts';
import { CLI, cli, removeTempDirs, tempDir } from '../emulator/harness.ts';
import { type TestPrometheus, type TestPushgateway, startTestPrometheus, startTestPushgateway } from '../../setup/services.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/operated-job.ts', import.meta.url));

interface PromAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
}

interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stderr: string }>;
  /** What it printed so far (the last 20 kB). */
  readonly stderr: () => string;
}

let gateway: TestPushgateway;
let prometheus: TestPrometheus;
let dir: string;
const runs = new Map<string, RunningCli>();

/** `jobkit manifest` for the fixture, then `jobkit run -f` on it as a child we can interrupt. */
async function startRun(name: string, manifestArgs: readonly string[], env: Record<string, string>, runArgs: readonly string[] = []): Promise<RunningCli> {
  const store = join(dir, `store-${name}`);
  mkdirSync(store, { recursive: true });
  const generated = await cli([
    'manifest',
    '--name',
    name,
    '--image',
    'node:24',
    '--store',
    `file://${store}`,
    '--pushgateway',
    gateway.url,
    '--grace-period',
    '5',
    ...manifestArgs,
    ...Object.entries({ JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: '1', OTEL_SDK_DISABLED: 'true', ...env }).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '-o',
    'json',
    '--',
    process.execPath,
    FIXTURE,
  ]);
  expect(generated.code, generated.stderr).toBe(0);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, generated.stdout);
  const child = spawn(process.execPath, [CLI, 'run', '-f', file, '--seed', '11', '--backoff-scale', '0.01', ...runArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  const run = { child, done, stderr: () => stderr };
  runs.set(name, run);
  return run;
}

async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(path, prometheus.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url.pathname} ${params.query ?? ''}: ${body.error ?? res.status}`);
  return body.data;
}

/** Whether this machine gives jobkit cgroup v2 limits (the efficiency panels need them). */
function hasCgroupLimits(): boolean {
  const file = '/sys/fs/cgroup/memory.max';
  return existsSync(file) && readFileSync(file, 'utf8').trim() !== 'max';
}

beforeAll(async () => {
  dir = tempDir();
  gateway = await startTestPushgateway();
  const alerts = await cli([
    'alerts',
    '--out',
    join(dir, 'rules'),
    '--no-progress',
    '8s',
    '--checkpoint-age',
    '6s',
    '--rate-window',
    '5m',
    '--max-preemptions',
    '1',
    '--runbook-url',
    'https://runbooks.example/jobkit',
  ]);
  expect(alerts.code, alerts.stderr).toBe(0);
  const dashboards = await cli(['dashboards', '--out', join(dir, 'dashboards')]);
  expect(dashboards.code, dashboards.stderr).toBe(0);
  prometheus = await startTestPrometheus({ scrapeUrl: gateway.url, ruleFiles: [join(dir, 'rules', ALERT_FILES.rules)], intervalMs: 500 });
});

afterAll(async () => {
  for (const run of runs.values()) if (run.child.exitCode === null) run.child.kill('SIGINT');
  await Promise.all([...runs.values()].map(async (r) => await r.done));
  await prometheus?.stop();
  await gateway?.stop();
  removeTempDirs();
});

describe('alerts and dashboards on a real Prometheus scraping the Pushgateway', () => {
  it('fires JobkitJobFailed, JobkitPreemptionsHigh, JobkitNoProgress and JobkitCheckpointTooOld for the jobs that earn them, and only those', async () => {
    const failing = await startRun('failing', [], { FIXTURE_BEHAVIOUR: 'fail' });
    // 20 items of 1 s, preempted 4 to 16 s after the pod starts: late enough that a loaded machine has started
    // the program (a SIGTERM before runJob installs its handlers pushes nothing), early enough to land mid-work.
    const preempted = await startRun('preempted', [], { FIXTURE_BEHAVIOUR: 'finish', FIXTURE_ITEM_MS: '1000' }, ['--chaos', 'preempt=1', '--chaos-max-delay', '16000']);
    await startRun('stuck', ['--active-deadline', '150'], { FIXTURE_BEHAVIOUR: 'stall' });

    const expected = [
      ['JobkitJobFailed', 'failing'],
      ['JobkitPreemptionsHigh', 'preempted'],
      ['JobkitNoProgress', 'stuck'],
      ['JobkitCheckpointTooOld', 'stuck'],
    ] as const;
    // Never: a failure alert for the jobs that did not fail, "stuck" for the ones that moved, a lost pod (nothing was SIGKILLed).
    const forbidden = (a: PromAlert): boolean =>
      (a.labels.alertname === 'JobkitJobFailed' && a.labels.job !== 'failing') ||
      (a.labels.alertname === 'JobkitJobRetriesExhausted') ||
      (a.labels.alertname === 'JobkitNoProgress' && a.labels.job !== 'stuck') ||
      a.labels.alertname === 'JobkitPodLost' ||
      a.labels.alertname === 'JobkitIntegrityFailure';
    const seen = new Set<string>();
    const wrong: PromAlert[] = [];
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const { alerts } = await api<{ alerts: PromAlert[] }>('/api/v1/alerts');
      for (const a of alerts) {
        if (forbidden(a)) wrong.push(a);
        if (a.state === 'firing') seen.add(`${a.labels.alertname} ${a.labels.job}`);
      }
      if (expected.every(([name, job]) => seen.has(`${name} ${job}`))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(wrong).toEqual([]);
    const interruptions = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query', {
      query: 'max_over_time(jobkit_job_interruptions_total{reason="signal"}[10m])',
    });
    const context = `interruptions seen: ${JSON.stringify(interruptions.result.map((r) => [r.metric.job, r.value[1]]))}\n` + [...runs].map(([name, r]) => `--- ${name}\n${r.stderr().split('\n').filter((l) => !l.includes('"level":"debug"')).slice(-15).join('\n')}`).join('\n');
    expect([...seen].sort(), context).toEqual(expect.arrayContaining(expected.map(([name, job]) => `${name} ${job}`)));
    const failed = await failing.done;
    expect(failed.code, failed.stderr).toBe(1);
    const finished = await preempted.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toMatch(/preempt/i);
  });

  it('runs every query of the three dashboards: each parses and returns series for the jobs that ran', async () => {
    const limits = hasCgroupLimits();
    // The preempted job's last push (a success) reaches Prometheus at the next scrape.
    const until = Date.now() + 15_000;
    while ((await api<{ result: unknown[] }>('/api/v1/query', { query: 'jobkit_job_last_success_time_seconds{job="preempted"}' })).result.length === 0) {
      if (Date.now() > until) throw new Error('the preempted job\'s success never reached Prometheus');
      await new Promise((r) => setTimeout(r, 250));
    }
    const checked: string[] = [];
    const empty: string[] = [];
    for (const file of ['jobkit-overview.json', 'jobkit-on-call.json', 'jobkit-job.json']) {
      const text = readFileSync(join(dir, 'dashboards', file), 'utf8');
      const dashboard = JSON.parse(text) as Dashboard;
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const query = target.expr
            .replaceAll('$namespace', '.*')
            .replaceAll('$job', '.*')
            .replaceAll('$index', '.*')
            .replaceAll('${stuck}', '8')
            .replaceAll('$__rate_interval', '1m')
            .replaceAll('$__range', '10m');
          expect(query, `${file} "${panel.title}" has no unreplaced variable`).not.toMatch(/\$/);
          const data = await api<{ result: unknown[] }>('/api/v1/query', { query });
          checked.push(`${file} ${panel.title} ${target.refId}`);
          if (data.result.length === 0) empty.push(`${file} "${panel.title}" ${target.refId}: ${query}`);
        }
      }
    }
    // Targets marked `needs: 'cgroup-limits'` in the source (the field is not in the JSON) may be empty on a machine without them.
    const needy = jobkitDashboards().flatMap(({ file, dashboard }) =>
      dashboard.panels.flatMap((p) => p.targets.filter((t) => t.needs === 'cgroup-limits').map((t) => `${file} "${p.title}" ${t.refId}:`)),
    );
    expect(needy.length).toBeGreaterThan(0);
    const allowed = limits ? [] : empty.filter((e) => needy.some((n) => e.startsWith(n)));
    expect(empty.filter((e) => !allowed.includes(e))).toEqual([]);
    expect(checked.length).toBeGreaterThan(25);
  });
});
