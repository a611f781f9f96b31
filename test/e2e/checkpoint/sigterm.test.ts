/**
 * The real signal path: a job under runJob gets SIGTERM, its final checkpoint
 * is durable before the process exits (143), and the next run resumes from it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { openStore } from '../../../src/store/open.ts';
import { testIdentity } from '../../support/identity.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/resumable-job.ts', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly events: Map<string, number>;
  readonly stdout: string;
}

function run(env: NodeJS.ProcessEnv, stopAfterResumeMs?: number): Promise<Run> {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new Map<string, number>();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const m of stderr.matchAll(/^(resumed|stopped|done) (\d+)$/gm)) {
      if (!events.has(m[1]!)) {
        events.set(m[1]!, Number(m[2]));
        if (m[1] === 'resumed' && stopAfterResumeMs !== undefined) setTimeout(() => child.kill('SIGTERM'), stopAfterResumeMs);
      }
    }
  });
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(watchdog);
    return { code: code as number | null, events, stdout };
  });
}

describe('checkpoint final save on SIGTERM (runJob, real signals, S3)', () => {
  it('is durable before exit 143, and the next run resumes from it', async () => {
    const prefix = `checkpoint-e2e/${randomUUID()}`;
    const env = {
      JOBKIT_STORE: `s3://${process.env.JOBKIT_TEST_S3_BUCKET!}/${prefix}`,
      JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT!,
      JOBKIT_JOB_NAME: 'resume-e2e',
      JOBKIT_NAMESPACE: 'default',
      JOBKIT_GRACE_PERIOD_SECONDS: '15',
      ITEMS: '400',
    };
    const first = await run(env, 1_500);
    expect(first.code).toBe(143);
    expect(first.events.get('resumed')).toBe(0);
    const stopped = first.events.get('stopped');
    expect(stopped).toBeGreaterThan(0);
    expect(stopped).toBeLessThan(400);
    const finalLine = first.stdout.split('\n').find((l) => l.includes('final checkpoint durable'));
    expect(finalLine).toBeDefined();
    // Only the state changed since the last autosave: the weights part is reused.
    expect(JSON.parse(finalLine!)).toMatchObject({ uploadedBytes: 0, reusedParts: ['weights'] });

    // The process is gone; what it left in the store is exactly where it stopped.
    const identity = testIdentity({ jobName: 'resume-e2e', podName: undefined, podUid: undefined, nodeName: undefined, attempt: undefined });
    const store = openStore(env.JOBKIT_STORE, { env });
    const durable = await createCheckpointer<{ next: number }>({ store, identity }).load();
    await store.close();
    expect(durable?.state.next).toBe(stopped);

    const second = await run(env);
    expect(second.events.get('resumed')).toBe(stopped);
    expect(second.events.get('done')).toBe(400);
    expect(second.code).toBe(0);
  });
});
