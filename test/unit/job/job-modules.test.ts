/**
 * The modules runJob puts on `job`, wired together: one memory store behind
 * checkpoint, idempotency and sharding; metrics told the exit code; nothing
 * opened that main does not use.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { PermanentError, RetryableError } from '../../../src/runtime/errors.ts';
import { type JobContext, type RunJobOptions, executeJob } from '../../../src/job/run-job.ts';
import { openStore } from '../../../src/store/open.ts';
import { captureLines } from '../telemetry/helpers.ts';

const env = { JOBKIT_JOB_NAME: 'wired', JOBKIT_INDEX: '0', JOBKIT_COUNT: '2', JOBKIT_GRACE_PERIOD_SECONDS: '5' };
const silent = new Writable({ write: (_c, _e, cb) => cb() });

async function run<S>(main: (job: JobContext<S>) => Promise<void> | void, options: RunJobOptions<S> = {}, extraEnv: Record<string, string> = {}): Promise<number> {
  return await executeJob<S>(main, { env: { ...env, ...extraEnv }, logger: { destination: silent }, ...options });
}

describe('job modules', () => {
  it('checkpoint, idempotency and sharding share the configured store', async () => {
    const store = openStore(`memory://wired-${Date.now()}`);
    let effects = 0;
    const main = async (job: JobContext<{ next: number }>): Promise<void> => {
      const last = await job.checkpoint.load();
      const start = last?.state.next ?? 0;
      const mine = [...job.shard.range(10)];
      for (const i of mine.filter((n) => n >= start)) {
        await job.idempotent(`item-${i}`, () => {
          effects++;
          return Promise.resolve(i);
        });
        await job.checkpoint.save({ next: i + 1 });
      }
    };
    expect(await run(main, { store })).toBe(0);
    // A retry of the same index re-runs nothing: the checkpoint resumes past the end,
    // and a replayed idempotent call would not run its function again anyway.
    expect(await run(main, { store })).toBe(0);
    expect(effects).toBe(5);
    const keys: string[] = [];
    for await (const o of store.list('jobs/default/wired/')) keys.push(o.key);
    expect(keys.some((k) => k.includes('/index-0/checkpoints/'))).toBe(true);
    expect(keys.some((k) => k.includes('idempotency'))).toBe(true);
  });

  it('opens no store when main does not use one, but a bad JOBKIT_STORE fails at start either way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobkit-unopened-'));
    try {
      const url = `file://${join(dir, 'store')}`;
      expect(await run((job) => void [...job.shard.range(4)], { attempts: false }, { JOBKIT_STORE: url })).toBe(0);
      // Only parsed, never opened: the fs store would have made its directory on first write.
      await expect(stat(join(dir, 'store'))).rejects.toThrow('ENOENT');
      // With a store configured, the attempt lineage (docs/attempts.md) writes its records at start.
      expect(await run((job) => void [...job.shard.range(4)], {}, { JOBKIT_STORE: url })).toBe(0);
      await expect(stat(join(dir, 'store'))).resolves.toBeDefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    let ran = false;
    expect(await run(() => void (ran = true), {}, { JOBKIT_STORE: 'ftp://nope' })).toBe(78);
    expect(ran).toBe(false);
  });

  it('job.retry retries transient errors, counts each retry by operation and logs it', async () => {
    let metricsText = '';
    const logs = captureLines();
    let calls = 0;
    const code = await executeJob(
      async (job) => {
        const value = await job.retry(
          'db.fetch',
          () => {
            calls++;
            if (calls < 3) throw new RetryableError('upstream 503');
            return 'row';
          },
          { minDelayMs: 1, maxDelayMs: 2 },
        );
        expect(value).toBe('row');
        metricsText = await job.metrics.registry.metrics();
      },
      { env, logger: { destination: logs.stream } },
    );
    expect(code).toBe(0);
    expect(calls).toBe(3);
    expect(metricsText).toMatch(/^jobkit_retries_total\{operation="db\.fetch"\} 2$/m);
    const retried = logs.lines().filter((l) => l.msg === 'db.fetch failed, retrying');
    expect(retried.map((l) => [l.level, l.operation, l.attempt])).toEqual([
      ['warn', 'db.fetch', 1],
      ['warn', 'db.fetch', 2],
    ]);
  });

  it('counts idempotency takeovers in jobkit_idempotency_results_total', async () => {
    const store = openStore(`memory://takeover-${Date.now()}`);
    // An owner that claimed the key an hour ago and crashed: its lease is long gone.
    const crashed = createIdempotency({ store, scope: 'shared', clock: () => Date.now() - 3_600_000 });
    expect((await crashed.claim('order-7')).status).toBe('claimed');
    let metricsText = '';
    const code = await run(
      async (job) => {
        expect(await job.idempotent('order-7', ({ takeover }) => takeover)).toBe(true);
        metricsText = await job.metrics.registry.metrics();
      },
      { store, idempotency: { scope: 'shared' } },
    );
    expect(code).toBe(0);
    expect(metricsText).toMatch(/^jobkit_idempotency_results_total\{result="takeover"\} 1$/m);
    expect(metricsText).toMatch(/^jobkit_idempotency_results_total\{result="miss"\} 1$/m);
  });

  it('warns when a pod on a batch platform falls back to the local default store, and only then', async () => {
    const logs = captureLines();
    const dir = await mkdtemp(join(tmpdir(), 'jobkit-default-store-'));
    try {
      const useStore = (job: JobContext) => void job.store;
      const warned = () => logs.lines().filter((l) => l.level === 'warn' && String(l.msg).startsWith('JOBKIT_STORE is not set')).length;
      const common = { logger: { destination: logs.stream }, storeOptions: { cwd: dir } };
      const onCluster = { ...env, KUBERNETES_SERVICE_HOST: '10.0.0.1' };
      expect(await executeJob(useStore, { ...common, env: onCluster })).toBe(0);
      expect(warned()).toBe(1);
      expect(await executeJob(useStore, { ...common, env })).toBe(0); // local: the default is the point
      expect(await executeJob(useStore, { ...common, env: { ...onCluster, JOBKIT_STORE: 'memory://x' } })).toBe(0);
      expect(warned()).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tells the metrics how the job ended', async () => {
    let metricsText = '';
    const code = await run((job) => {
      job.metrics.itemProcessed(5);
      job.lifecycle.onShutdown({
        name: 'test.read-metrics',
        phase: 'telemetry',
        budgetMs: 1_000,
        run: async () => void (metricsText = await job.metrics.registry.metrics()),
      });
      throw new PermanentError('bad row');
    });
    expect(code).toBe(65);
    expect(metricsText).toMatch(/^jobkit_job_exit_code 65$/m);
    expect(metricsText).toMatch(/jobkit_items_total\{[^}]*outcome="processed"[^}]*\} 1/);
  });
});
