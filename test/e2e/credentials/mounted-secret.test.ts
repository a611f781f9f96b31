/**
 * job.secrets and job.retry's onAuthError in a real job process: the secret
 * volume is laid out and rotated as the kubelet's AtomicWriter does it, a
 * loopback API accepts only the current token (401 otherwise), and the token
 * is rotated while the job holds the old one. The job recovers with one
 * re-read, and neither token appears in anything it prints, although it logs
 * them in messages and fields.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild } from '../telemetry/child.ts';

const FIXTURE = new URL('./fixtures/secret-token-job.ts', import.meta.url).pathname;

async function kubeletWrite(dir: string, stamp: string, files: Record<string, string>, previous?: string): Promise<string> {
  const ts = `..2026_12_03_18_00_00.${stamp}`;
  await mkdir(join(dir, ts));
  for (const [k, v] of Object.entries(files)) await writeFile(join(dir, ts, k), v);
  await symlink(ts, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const k of Object.keys(files)) await symlink(join('..data', k), join(dir, k)).catch(() => undefined);
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true, force: true });
  return ts;
}

describe('mounted secrets in a job', () => {
  it('a token rotated by the kubelet: 401, one re-read through onAuthError, success; no token in the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobkit-secret-vol-'));
    const oldToken = `old-${randomBytes(12).toString('hex')}`;
    const newToken = `new-${randomBytes(12).toString('hex')}`;
    const first = await kubeletWrite(dir, '000000001', { 'api-token': oldToken });
    let current = oldToken;
    const seen: string[] = [];
    const api = createServer((req, res) => {
      void (async () => {
        if (req.url === '/ready') {
          // The job holds the old token: rotate now, as the kubelet would.
          await kubeletWrite(dir, '000000002', { 'api-token': newToken }, first);
          current = newToken;
          res.end('ok');
          return;
        }
        const token = String(req.headers['x-token']);
        seen.push(token === current ? 'current' : 'stale');
        res.statusCode = token === current ? 200 : 401;
        res.end();
      })();
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const env = cleanEnv({ JOBKIT_JOB_NAME: 'secret-token', JOBKIT_SECRETS_DIR: dir, JOBKIT_STORE: 'memory://secret-token', API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}` });
      const result = await runChild(FIXTURE, env);
      expect(result.code, result.stderr + JSON.stringify(result.lines)).toBe(0);
      expect(seen).toEqual(['stale', 'current']);
      const text = JSON.stringify(result.lines) + result.stderr;
      expect(text).toContain('authentication refused, refreshing credentials and retrying once');
      expect(text).toContain('token read: [REDACTED]');
      expect(text).not.toContain(oldToken);
      expect(text).not.toContain(newToken);
    } finally {
      api.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
