/**
 * The single-run guard across real processes, on the fs store and on S3
 * (moto): runs of one CronJob started at once never overlap and each either
 * runs or exits with the busy code; a holder killed with SIGKILL is taken over
 * once its lease expires, with a higher epoch; a holder stopped with SIGTERM
 * releases at once, so the waiting run starts long before the lease would
 * have expired.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('fixtures/guarded.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const stores = {
  fs: () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-guard-store-'));
    dirs.push(dir);
    return pathToFileURL(join(dir, 'store')).href;
  },
  's3 (moto)': () => `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/exclusive-it/${randomUUID()}`,
};

interface Section {
  readonly pod: string;
  readonly epoch: number;
  readonly start: number;
  readonly end: number | undefined;
}

function sections(logFile: string): Section[] {
  const out = new Map<string, { pod: string; epoch: number; start: number; end?: number }>();
  for (const line of readFileSync(logFile, 'utf8').split('\n').filter(Boolean)) {
    const [kind, pod, epoch, at] = line.split(' ') as [string, string, string, string];
    const key = `${pod}/${epoch}`;
    if (kind === 'start') out.set(key, { pod, epoch: Number(epoch), start: Number(at) });
    else out.get(key)!.end = Number(at);
  }
  return [...out.values()].map((s) => ({ ...s, end: s.end })).sort((a, b) => a.start - b.start);
}

function run(env: NodeJS.ProcessEnv): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // The job's log lines (stdout) and anything else it prints.
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, exit: new Promise((resolve) => child.on('close', (code) => resolve(code))), stderr: () => stderr };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe.each(Object.entries(stores))('job.exclusive across processes on the %s store', (_name, storeUrl) => {
  function baseEnv(logFile: string): NodeJS.ProcessEnv {
    return {
      JOBKIT_STORE: storeUrl(),
      JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '',
      JOBKIT_NAMESPACE: 'default',
      JOBKIT_CRONJOB_NAME: 'nightly',
      JOBKIT_LOG_LEVEL: 'info',
      GUARD_LOG: logFile,
    };
  }

  function logFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-guard-'));
    dirs.push(dir);
    const file = join(dir, 'sections.log');
    writeFileSync(file, '');
    return file;
  }

  it('four runs started at once (scheduled, manual, duplicates): sections never overlap; each runs or exits 69', async () => {
    const file = logFile();
    const env = { ...baseEnv(file), GUARD_HOLD_MS: '400', GUARD_WAIT_MS: '1500' };
    const names = ['nightly-29453761', 'nightly-rerun', 'nightly-29453761', 'nightly-manual-2'];
    const runs = names.map((job, i) => run({ ...env, JOBKIT_JOB_NAME: job, JOBKIT_POD_NAME: `${job}-p${i}` }));
    const codes = await Promise.all(runs.map((r) => r.exit));
    const done = sections(file);
    for (let i = 1; i < done.length; i++) expect(done[i]!.start, JSON.stringify(done)).toBeGreaterThanOrEqual(done[i - 1]!.end!);
    expect(done.map((s) => s.epoch)).toEqual(done.map((_, i) => i + 1));
    // Every run either ran (0) or gave up naming the holder (69); at least the first ran.
    for (const [i, code] of codes.entries()) {
      expect([0, 69], runs[i]!.stderr()).toContain(code);
      if (code === 69) expect(runs[i]!.stderr()).toMatch(/"msg":"job failed \(busy: main threw\), exiting 69"/);
      if (code === 69) expect(runs[i]!.stderr()).toContain('the single-run guard \\"migration-run\\" is held by pod');
    }
    expect(codes.filter((c) => c === 0).length).toBe(done.length);
    expect(done.length).toBeGreaterThanOrEqual(1);
  });

  it('a SIGKILLed holder: the waiting run takes over after the lease expires, with the next epoch', async () => {
    const file = logFile();
    const env = { ...baseEnv(file), GUARD_LEASE_MS: '1500' };
    const holder = run({ ...env, JOBKIT_JOB_NAME: 'nightly-29453761', JOBKIT_POD_NAME: 'holder', GUARD_HOLD_MS: '60000' });
    await waitFor(() => readFileSync(file, 'utf8').includes('start holder'), 'the holder to start');
    const waiter = run({ ...env, JOBKIT_JOB_NAME: 'nightly-rerun', JOBKIT_POD_NAME: 'waiter', GUARD_HOLD_MS: '100', GUARD_WAIT_MS: '20000' });
    await sleep(300);
    holder.child.kill('SIGKILL');
    expect(await holder.exit).toBe(null);
    expect(await waiter.exit, waiter.stderr()).toBe(0);
    const [first, second] = sections(file);
    expect(first).toMatchObject({ pod: 'holder', end: undefined });
    expect(second).toMatchObject({ pod: 'waiter', epoch: first!.epoch + 1 });
    expect(waiter.stderr()).toContain('took over the single-run guard from pod holder');
  });

  it('a SIGTERMed holder releases at once: the waiting run starts well before the lease would expire', async () => {
    const file = logFile();
    // A lease far longer than the test: only the release on SIGTERM can free it in time.
    const env = { ...baseEnv(file), GUARD_LEASE_MS: '600000' };
    const holder = run({ ...env, JOBKIT_JOB_NAME: 'nightly-29453761', JOBKIT_POD_NAME: 'holder', GUARD_HOLD_MS: '60000', JOBKIT_GRACE_PERIOD_SECONDS: '5' });
    await waitFor(() => readFileSync(file, 'utf8').includes('start holder'), 'the holder to start');
    const waiter = run({ ...env, JOBKIT_JOB_NAME: 'nightly-29455201', JOBKIT_POD_NAME: 'waiter', GUARD_HOLD_MS: '100', GUARD_WAIT_MS: '60000' });
    await sleep(300);
    holder.child.kill('SIGTERM');
    expect(await holder.exit, holder.stderr()).toBe(143);
    expect(await waiter.exit, waiter.stderr()).toBe(0);
    const [first, second] = sections(file);
    expect(first!.pod).toBe('holder');
    expect(second).toMatchObject({ pod: 'waiter', epoch: first!.epoch + 1 });
    expect(existsSync(file)).toBe(true);
  });
});
