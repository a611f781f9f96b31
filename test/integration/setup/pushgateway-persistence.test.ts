// Debian's prometheus-pushgateway persists to /var/lib/prometheus/pushgateway.data
// by default: test gateways that kept that default would share groups across runs.
// Every test gateway comes from test/setup/services.ts; this proves that two of
// them, one after the other, share nothing, and (the control) that two gateways
// on one persistence file do share, so the first check can fail.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pushgatewayArgs, startTestPushgateway, type TestPushgateway } from '../../setup/services.ts';
import { uniqueJobName } from '../telemetry/gateway.ts';

async function push(url: string, job: string): Promise<void> {
  const res = await fetch(`${url}/metrics/job/${job}`, { method: 'PUT', body: 'jobkit_isolation_probe 1\n' });
  expect(res.status).toBe(200);
}

async function hasGroup(url: string, job: string): Promise<boolean> {
  const res = await fetch(`${url}/api/v1/metrics`);
  const body = (await res.json()) as { data: { labels: Record<string, string> }[] };
  return body.data.some((g) => g.labels.job === job);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A gateway on an explicit persistence file, outside the helper: the control only. */
async function gatewayOnFile(file: string): Promise<TestPushgateway> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`], {
    stdio: 'ignore',
  });
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error('control gateway not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () =>
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('test Pushgateways', () => {
  it('start with an empty --persistence.file', () => {
    expect(pushgatewayArgs(9091)).toContain('--persistence.file=');
  });

  it('a second gateway does not see a group pushed to the first', async () => {
    const job = uniqueJobName('isolation');
    const first = await startTestPushgateway();
    await push(first.url, job);
    expect(await hasGroup(first.url, job)).toBe(true);
    // A gateway writes its persistence file on shutdown: stop the first before
    // the second starts, so a shared file would be loaded by the second.
    await first.stop();
    const second = await startTestPushgateway();
    try {
      expect(await hasGroup(second.url, job)).toBe(false);
    } finally {
      await second.stop();
    }
  });

  it('control: two gateways on one persistence file do share the group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-pgw-'));
    dirs.push(dir);
    const file = join(dir, 'pushgateway.data');
    const job = uniqueJobName('control');
    const first = await gatewayOnFile(file);
    await push(first.url, job);
    await first.stop();
    const second = await gatewayOnFile(file);
    try {
      expect(await hasGroup(second.url, job)).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
