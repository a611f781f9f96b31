/**
 * The interruption notice end to end: a real child process runs a real runJob
 * program (fixtures/notice-job.ts) against a loopback server that speaks the
 * cloud's metadata API (test/support/metadata-servers.ts). When the notice
 * comes, the child must log it, save its final checkpoint in the store, push
 * `jobkit_job_interruptions_total{reason="notice"}` to the real Pushgateway and
 * exit 143 before any SIGTERM is sent. A metadata service that hangs or fails
 * must change nothing: same outcome, same exit code, no delay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/index.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';
import { openStore } from '../../../src/store/open.ts';
import { gatewayUrl, groupsOf, uniqueJobName, valueOf } from '../../integration/telemetry/gateway.ts';
import {
  type MetadataServer,
  startAzureMetadataServer,
  startGceMetadataServer,
  startImdsServer,
} from '../../support/metadata-servers.ts';
import { type ChildResult, cleanEnv, runChild, shutdownMs } from '../telemetry/child.ts';

const JOB = new URL('./fixtures/notice-job.ts', import.meta.url).pathname;
const dirs: string[] = [];
const servers: MetadataServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function jobEnv(jobName: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-notice-'));
  dirs.push(dir);
  return cleanEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_NAMESPACE: 'batch',
    JOBKIT_STORE: pathToFileURL(join(dir, 'store')).href,
    JOBKIT_PUSHGATEWAY_URL: gatewayUrl(),
    JOBKIT_INTERRUPTION_POLL_SECONDS: '0.1',
    ...extra,
  });
}

/** The state of the latest durable checkpoint in the child's store. */
async function storedState(env: NodeJS.ProcessEnv): Promise<unknown> {
  const store = openStore(env.JOBKIT_STORE);
  try {
    const checkpoint = createCheckpointer({ store, identity: resolveIdentity(env) });
    return (await checkpoint.load())?.state;
  } finally {
    await store.close();
  }
}

const line = (result: ChildResult, msg: string | RegExp): Record<string, unknown> | undefined =>
  result.lines.find((l) => (typeof msg === 'string' ? l.msg === msg : typeof l.msg === 'string' && msg.test(l.msg)));

/** Run the job, make the server announce once main has started, and time the notice to the exit. */
async function runUntilNotice(env: NodeJS.ProcessEnv, announce: () => void, onLine?: Parameters<typeof runChild>[2]) {
  let announcedAt = 0;
  const result = await runChild(JOB, env, (l, child) => {
    if (l.msg === 'main started') {
      announcedAt = performance.now();
      announce();
    }
    onLine?.(l, child);
  });
  return { result, noticeToExitMs: result.exitedAt - announcedAt };
}

/** What every stop on a notice must show. */
async function expectStoppedByNotice(result: ChildResult, env: NodeJS.ProcessEnv, jobName: string, provider: string): Promise<void> {
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(143);
  expect(line(result, /interruption notice .*: stopping the work before the SIGTERM$/)).toMatchObject({ level: 'warn', provider, kind: 'preemption' });
  const abort = line(result, 'main saw the abort');
  expect(abort).toMatchObject({ reasonName: 'InterruptionNoticeError', noticeKind: 'preemption', noticeProvider: provider });
  expect(line(result, 'final checkpoint durable')).toMatchObject({ reason: 'notice' });
  expect(await storedState(env)).toEqual({ next: abort?.next });
  const [group] = await groupsOf(jobName);
  expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'notice' })).toBe(1);
  expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'signal' })).toBe(0);
  expect(valueOf(group, 'jobkit_job_exit_code')).toBe(143);
}

describe('interruption notice, in a real child process', () => {
  it('AWS spot instance-action: logs it, saves the final checkpoint, pushes reason="notice", exits 143 with no SIGTERM sent', async () => {
    const imds = await startImdsServer();
    servers.push(imds);
    const jobName = uniqueJobName('notice-aws');
    const env = jobEnv(jobName, { JOBKIT_INTERRUPTION_NOTICE: 'aws', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
    const { result, noticeToExitMs } = await runUntilNotice(env, () => imds.interrupt('terminate'));
    await expectStoppedByNotice(result, env, jobName, 'aws');
    expect(line(result, /interruption notice \(/)).toMatchObject({ action: 'terminate' });
    expect(line(result, /interruption notice \(/)?.secondsLeft).toBeGreaterThan(100);
    // The IMDSv2 token is a credential: on no line, in no stream.
    expect(imds.tokens.length).toBeGreaterThan(0);
    const output = JSON.stringify(result.lines) + result.stderr;
    for (const token of imds.tokens) expect(output).not.toContain(token);
    console.log(`aws notice -> exit 143: ${Math.round(noticeToExitMs)} ms (poll every 100 ms)`);
    expect(noticeToExitMs).toBeLessThan(10_000);
  });

  it('the real SIGTERM that follows the notice changes nothing: still 143, still counted as a notice', async () => {
    const imds = await startImdsServer();
    servers.push(imds);
    const jobName = uniqueJobName('notice-then-term');
    const env = jobEnv(jobName, { JOBKIT_INTERRUPTION_NOTICE: 'aws', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, HOLD_MS: '1000' });
    let sent = false;
    const { result } = await runUntilNotice(env, () => imds.interrupt(), (l, child) => {
      if (l.msg === 'main saw the abort' && !sent) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    expect(sent).toBe(true);
    expect(line(result, 'received SIGTERM: stopping the work; a second SIGTERM exits at once')).toBeDefined();
    await expectStoppedByNotice(result, env, jobName, 'aws');
  });

  it('GCE preempted (long-poll): the same stop', async () => {
    const gce = await startGceMetadataServer();
    servers.push(gce);
    const jobName = uniqueJobName('notice-gce');
    const env = jobEnv(jobName, { JOBKIT_INTERRUPTION_NOTICE: 'gce', GCE_METADATA_HOST: gce.host });
    const { result, noticeToExitMs } = await runUntilNotice(env, () => gce.preempt());
    await expectStoppedByNotice(result, env, jobName, 'gce');
    expect(gce.requests.some((r) => r.query.get('wait_for_change') === 'true')).toBe(true);
    console.log(`gce notice -> exit 143: ${Math.round(noticeToExitMs)} ms (long-poll)`);
  });

  it('Azure Preempt scheduled event: the same stop', async () => {
    const azure = await startAzureMetadataServer('vm-notice');
    servers.push(azure);
    const jobName = uniqueJobName('notice-azure');
    const env = jobEnv(jobName, { JOBKIT_INTERRUPTION_NOTICE: 'azure', JOBKIT_INTERRUPTION_AZURE_ENDPOINT: azure.url });
    const { result } = await runUntilNotice(env, () => azure.schedule('Preempt', ['vm-notice']));
    await expectStoppedByNotice(result, env, jobName, 'azure');
  });

  it('AWS rebalance recommendation: logged and counted, the job goes on and ends 0', async () => {
    const imds = await startImdsServer();
    servers.push(imds);
    const jobName = uniqueJobName('notice-rebalance');
    const env = jobEnv(jobName, { JOBKIT_INTERRUPTION_NOTICE: 'aws', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, ITEMS: '40' });
    const { result } = await runUntilNotice(env, () => imds.recommendRebalance());
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('interruption risk'))).toHaveLength(1);
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_interruption_advisories_total', { kind: 'rebalance' })).toBe(1);
    expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'notice' })).toBe(0);
  });

  for (const mode of ['hang', 'fail'] as const) {
    it(`a metadata service that ${mode === 'hang' ? 'never answers' : 'fails (HTTP 500)'}: exit 0 as without it, not delayed, warned once`, async () => {
      const imds = await startImdsServer();
      servers.push(imds);
      imds.mode = mode;
      // Long enough (~3 s) for the 2 s request timeout to strike while the job runs.
      const items = mode === 'hang' ? 150 : 30;
      const env = jobEnv(uniqueJobName(`notice-${mode}`), { JOBKIT_INTERRUPTION_NOTICE: 'aws', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, ITEMS: String(items) });
      const result = await runChild(JOB, env);
      expect(result.code, result.stderr).toBe(0);
      expect(line(result, 'main finished')).toMatchObject({ next: items });
      const warned = result.lines.filter((l) => l.msg === 'interruption notice: the metadata service does not answer; the job goes on, retrying quietly');
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ level: 'warn' });
      // The exit is not held by a request in flight (the hook phases take a few ms; 1.5 s is far above).
      expect(shutdownMs(result)).toBeLessThan(1_500);
    });
  }

  it('a metadata service that never answers does not delay a SIGTERM stop beyond the budget', async () => {
    const imds = await startImdsServer();
    servers.push(imds);
    imds.mode = 'hang';
    const env = jobEnv(uniqueJobName('notice-hang-term'), {
      JOBKIT_INTERRUPTION_NOTICE: 'aws',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      JOBKIT_GRACE_PERIOD_SECONDS: '5',
    });
    let sentAt = 0;
    const result = await runChild(JOB, env, (l, child) => {
      if (l.msg === 'main started') {
        sentAt = performance.now();
        child.kill('SIGTERM');
      }
    });
    expect(result.code, result.stderr).toBe(143);
    expect(line(result, 'final checkpoint durable')).toMatchObject({ reason: 'signal' });
    expect(result.exitedAt - sentAt).toBeLessThan(4_500);
  });
});
