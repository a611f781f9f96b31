import { performance } from 'node:perf_hooks';
import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLifecycle } from '../../../src/runtime/lifecycle.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { createMetricsPusher, type MetricsPusher, type MetricsPusherOptions } from '../../../src/telemetry/pushgateway.ts';
import { captureLines, testIdentity } from '../../unit/telemetry/helpers.ts';
import {
  closedPortUrl,
  eventually,
  gatewayUrl,
  groupsOf,
  startHangingServer,
  startScriptedServer,
  uniqueJobName,
  valueOf,
} from './gateway.ts';

const pushers: MetricsPusher[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const p of pushers.splice(0)) p.stop();
  for (const c of cleanups.splice(0)) await c();
});

/** A pusher with no periodic pushes unless asked, logging into `lines`. */
function setup(overrides: Partial<MetricsPusherOptions> & { jobName?: string; index?: number } = {}) {
  const identity = testIdentity({ jobName: overrides.jobName ?? uniqueJobName(), index: overrides.index ?? 0 });
  const logs = captureLines();
  const log = createLogger({ identity, destination: logs.stream, env: {}, level: 'debug' });
  const metrics = createJobMetrics({ identity });
  const pusher = createMetricsPusher({ metrics, identity, log, url: gatewayUrl(), intervalMs: 0, env: {}, ...overrides });
  pushers.push(pusher);
  return { identity, metrics, pusher, logs };
}

describe('metrics pusher against the real Pushgateway', () => {
  it('pushes the registry into the group job/namespace/index', async () => {
    const { identity, metrics, pusher } = setup({ index: 2 });
    metrics.items('processed', 41);
    metrics.itemProcessed(3);
    metrics.checkpointSaved(2_048, 40);
    expect(await pusher.push()).toBe(true);
    const [group] = await groupsOf(identity.jobName);
    expect(group?.labels).toEqual({ job: identity.jobName, namespace: 'data', index: '2' });
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(42);
    expect(valueOf(group, 'jobkit_checkpoint_saved_bytes_total')).toBe(2_048);
    expect(valueOf(group, 'jobkit_job_start_time_seconds')).toBeGreaterThan(1_600_000_000);
  });

  it('keeps concurrent indexes of one job in separate groups', async () => {
    const jobName = uniqueJobName();
    const a = setup({ jobName, index: 0 });
    const b = setup({ jobName, index: 1 });
    a.metrics.items('processed', 10);
    b.metrics.items('processed', 20);
    expect(await Promise.all([a.pusher.push(), b.pusher.push()])).toEqual([true, true]);
    const groups = await groupsOf(jobName);
    const byIndex = new Map(groups.map((g) => [g.labels.index, valueOf(g, 'jobkit_items_total', { outcome: 'processed' })]));
    expect(byIndex).toEqual(new Map([['0', 10], ['1', 20]]));
  });

  it('encodes awkward grouping values so the gateway reads them back exactly', async () => {
    const jobName = `${uniqueJobName()}/nightly run`;
    const { pusher } = setup({ jobName, grouping: { shard: '', region: 'eu/west' } });
    expect(await pusher.push()).toBe(true);
    const [group] = await groupsOf(jobName);
    expect(group?.labels).toEqual({ job: jobName, namespace: 'data', index: '0', shard: '', region: 'eu/west' });
  });

  it('final push after SIGTERM (through the real lifecycle) records exit code 143 and no success', async () => {
    const lifecycle = createLifecycle();
    const { identity, metrics } = setup({ lifecycle });
    metrics.items('processed', 5);
    await lifecycle.shutdown('signal', () => performance.now() + 5_000);
    const [group] = await groupsOf(identity.jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(143);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(5);
    expect(valueOf(group, 'jobkit_job_end_time_seconds')).toBeGreaterThan(0);
    expect(group?.families.jobkit_job_last_success_time_seconds).toBeUndefined();
  });

  it('final push on success records the last success time and the exit code given by the runtime', async () => {
    const lifecycle = createLifecycle();
    const { identity, metrics } = setup({ lifecycle });
    metrics.finished({ exitCode: 0 });
    await lifecycle.shutdown('completed', () => performance.now() + 5_000);
    const [group] = await groupsOf(identity.jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(0);
    expect(valueOf(group, 'jobkit_job_last_success_time_seconds')).toBeGreaterThan(1_600_000_000);
  });

  it('keeps the last success of an earlier run while a later run goes on and fails; a success replaces the whole group', async () => {
    const jobName = uniqueJobName();
    const final = (reason: 'completed' | 'failed') => ({ reason, signal: new AbortController().signal, budgetMs: 3_000 });

    const first = setup({ jobName });
    first.metrics.finished({ exitCode: 0 });
    expect(await first.pusher.finalPush(final('completed'))).toBe(true);
    const [afterFirst] = await groupsOf(jobName);
    const lastSuccess = valueOf(afterFirst, 'jobkit_job_last_success_time_seconds');
    expect(lastSuccess).toBeGreaterThan(1_600_000_000);

    // The next run (a new process: a new registry) starts, pushes, then fails.
    const second = setup({ jobName });
    new Counter({ name: 'only_in_the_failed_run_total', help: 'a user metric', registers: [second.metrics.registry] }).inc();
    expect(await second.pusher.push()).toBe(true);
    const [running] = await groupsOf(jobName);
    expect(valueOf(running, 'jobkit_job_last_success_time_seconds')).toBe(lastSuccess);
    second.metrics.finished({ exitCode: 65 });
    expect(await second.pusher.finalPush(final('failed'))).toBe(true);
    const [failed] = await groupsOf(jobName);
    expect(valueOf(failed, 'jobkit_job_exit_code')).toBe(65);
    expect(valueOf(failed, 'jobkit_job_last_success_time_seconds')).toBe(lastSuccess);

    const third = setup({ jobName });
    third.metrics.finished({ exitCode: 0 });
    expect(await third.pusher.finalPush(final('completed'))).toBe(true);
    const [succeeded] = await groupsOf(jobName);
    expect(valueOf(succeeded, 'jobkit_job_exit_code')).toBe(0);
    expect(valueOf(succeeded, 'jobkit_job_last_success_time_seconds')).toBeGreaterThanOrEqual(lastSuccess!);
    expect(succeeded?.families.only_in_the_failed_run_total).toBeUndefined();
  });

  it('deletes the group on success when asked, and keeps it on failure', async () => {
    const ok = setup({ deleteOnSuccess: true });
    expect(await ok.pusher.push()).toBe(true);
    expect(await groupsOf(ok.identity.jobName)).toHaveLength(1);
    expect(await ok.pusher.finalPush({ reason: 'completed', signal: new AbortController().signal, budgetMs: 3_000 })).toBe(true);
    // The gateway answers DELETE with 202 and applies it right after.
    await eventually(async () => ((await groupsOf(ok.identity.jobName)).length === 0 ? true : undefined), 5_000);

    const failed = setup({ deleteOnSuccess: true });
    failed.metrics.finished({ exitCode: 65 });
    expect(await failed.pusher.finalPush({ reason: 'failed', signal: new AbortController().signal, budgetMs: 3_000 })).toBe(true);
    const [group] = await groupsOf(failed.identity.jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(65);
  });

  it('pushes periodically without being asked', async () => {
    const { identity, metrics } = setup({ intervalMs: 100 });
    metrics.items('processed', 1);
    await eventually(async () => valueOf((await groupsOf(identity.jobName))[0], 'jobkit_items_total', { outcome: 'processed' }));
    metrics.items('processed', 6);
    const seven = await eventually(async () => {
      const v = valueOf((await groupsOf(identity.jobName))[0], 'jobkit_items_total', { outcome: 'processed' });
      return v === 7 ? v : undefined;
    });
    expect(seven).toBe(7);
  });

  it('sends URL credentials as basic auth and never logs them', async () => {
    const withAuth = gatewayUrl().replace('http://', 'http://pusher:hunter2@');
    const { identity, pusher, logs } = setup({ url: withAuth });
    expect(await pusher.push()).toBe(true);
    expect(await groupsOf(identity.jobName)).toHaveLength(1);
    expect(pusher.displayUrl).not.toContain('hunter2');

    const down = setup({ url: (await closedPortUrl()).replace('http://', 'http://pusher:hunter2@') });
    expect(await down.pusher.push()).toBe(false);
    const text = JSON.stringify([...logs.lines(), ...down.logs.lines()]);
    expect(down.logs.lines().some((l) => l.level === 'warn')).toBe(true);
    expect(text).not.toContain('hunter2');
  });
});

describe('metrics pusher with a broken gateway', () => {
  it('a gateway that is down: push resolves false, and the failure is logged once, not on every push', async () => {
    const { pusher, logs } = setup({ url: await closedPortUrl() });
    for (let i = 0; i < 4; i++) expect(await pusher.push()).toBe(false);
    const warnings = logs.lines().filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.reason)).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('an error status counts as a failure, and recovery is logged', async () => {
    const server = await startScriptedServer([503, 503, 200]);
    cleanups.push(server.close);
    const { pusher, logs } = setup({ url: server.url });
    // The pusher's own first push (at creation) gets the first 503.
    await eventually(() => Promise.resolve(logs.lines().find((l) => l.level === 'warn')));
    expect(await pusher.push()).toBe(false);
    expect(await pusher.push()).toBe(true);
    const lines = logs.lines();
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.reason)).toEqual(['HTTP 503: unavailable']);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['metrics push to the Pushgateway works again']);
  });

  it('a gateway that never answers: each push gives up after the timeout', async () => {
    const server = await startHangingServer();
    cleanups.push(server.close);
    const { pusher } = setup({ url: server.url, timeoutMs: 300 });
    const started = performance.now();
    expect(await pusher.push()).toBe(false);
    const elapsed = performance.now() - started;
    expect(server.connections()).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('the final push stops at the hook budget even when the push timeout is longer', async () => {
    const server = await startHangingServer();
    cleanups.push(server.close);
    const lifecycle = createLifecycle();
    const { logs } = setup({ url: server.url, timeoutMs: 10_000, lifecycle });
    const started = performance.now();
    const report = await lifecycle.shutdown('completed', () => performance.now() + 400);
    const elapsed = performance.now() - started;
    // The push gives up inside the budget: the hook ends by itself, not abandoned.
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([['metrics.push', 'ok']]);
    // The first push, cancelled by the final one, is not reported as a gateway failure.
    const warnings = logs.lines().filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.reason).toMatch(/^no answer within 3\d\d ms$/);
    expect(server.connections()).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2_000);
  });
});
