/**
 * "Checkpoint now" end to end: SIGUSR1 sent to a real child running a real
 * runJob program (fixtures/notice-job.ts) commits a new checkpoint in its fs
 * store (the progress() path is in test/unit/checkpoint/request-save.test.ts), logs it, and the job goes on to finish with 0;
 * Node's inspector does not start; the pushed metrics carry
 * jobkit_checkpoint_age_seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/index.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';
import { openStore } from '../../../src/store/open.ts';
import { gatewayUrl, groupsOf, uniqueJobName, valueOf } from '../../integration/telemetry/gateway.ts';
import { cleanEnv, runChild } from '../telemetry/child.ts';

const JOB = new URL('./fixtures/notice-job.ts', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function jobEnv(jobName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-usr1-'));
  dirs.push(dir);
  return cleanEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_STORE: pathToFileURL(join(dir, 'store')).href,
    JOBKIT_PUSHGATEWAY_URL: gatewayUrl(),
    // No autosave during the run: the only mid-run checkpoint is the requested one.
    JOBKIT_CHECKPOINT_EVERY_SECONDS: '3600',
    JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS: 'false',
    ITEMS: '60',
    ...extra,
  });
}

describe('checkpoint now, in a real child process', () => {
  it('SIGUSR1: a new checkpoint committed at once (sent before the first progress()), logged; the job finishes with 0; the age gauge is pushed', async () => {
    const jobName = uniqueJobName('usr1');
    const env = jobEnv(jobName);
    let sentAt = 0;
    const result = await runChild(JOB, env, (l, child) => {
      if (l.msg === 'main started') {
        sentAt = performance.now();
        child.kill('SIGUSR1');
      }
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('Debugger listening');
    expect(result.lines.find((l) => l.msg === 'received SIGUSR1: checkpoint requested')).toMatchObject({ level: 'info', signal: 'SIGUSR1' });
    const durable = result.lines.find((l) => l.msg === 'requested checkpoint durable');
    expect(durable).toMatchObject({ reason: 'SIGUSR1', seq: 1 });
    expect(result.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('checkpoint requested: saving'))).toBe(true);
    expect(result.lines.find((l) => l.msg === 'main finished')).toMatchObject({ next: 60 });

    const store = openStore(env.JOBKIT_STORE);
    try {
      const checkpoint = createCheckpointer<{ next: number }>({ store, identity: resolveIdentity(env) });
      const seqs = (await checkpoint.list()).map((c) => c.seq);
      // seq 1: the requested one, mid-run; seq 2: the final save at the end.
      expect(seqs).toEqual([2, 1]);
      expect((await checkpoint.load())?.state).toEqual({ next: 60 });
    } finally {
      await store.close();
    }
    const [group] = await groupsOf(jobName);
    const age = valueOf(group, 'jobkit_checkpoint_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    console.log(`SIGUSR1 -> requested checkpoint durable: ${Math.round((result.seenAt.get('requested checkpoint durable') ?? 0) - sentAt)} ms`);
  });

  it('JOBKIT_CHECKPOINT_SIGNAL=SIGUSR2 listens to SIGUSR2 instead', async () => {
    const env = jobEnv(uniqueJobName('usr2'), { JOBKIT_CHECKPOINT_SIGNAL: 'SIGUSR2' });
    const result = await runChild(JOB, env, (l, child) => {
      if (l.msg === 'main started') child.kill('SIGUSR2');
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.find((l) => l.msg === 'requested checkpoint durable')).toMatchObject({ reason: 'SIGUSR2' });
  });
});
