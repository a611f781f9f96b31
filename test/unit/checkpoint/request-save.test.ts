/** requestSave(): "checkpoint now" at the next progress() (the safe point), or at once without progress(); refused when nothing is tracked. */
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { recordingLog, testIdentity } from './helpers.ts';

const identity = testIdentity();

describe('requestSave', () => {
  it('nothing tracked: returns false and says it cannot save', () => {
    const log = recordingLog();
    const cp = createCheckpointer({ store: new MemoryStore(), identity, log });
    expect(cp.requestSave('SIGUSR1')).toBe(false);
    expect(log.lines.find((l) => l.level === 'warn')?.msg).toBe('checkpoint requested, but nothing is tracked (call checkpoint.track()): cannot save');
  });

  it('a job that reports progress is saved at its next progress(), not before, whatever saveEvery says', async () => {
    const log = recordingLog();
    const cp = createCheckpointer<{ next: number }>({ store: new MemoryStore(), identity, log, saveEvery: { seconds: 3_600 } });
    let next = 0;
    cp.track(() => ({ state: { next } }));
    await cp.progress();
    expect(cp.requestSave('SIGUSR1')).toBe(true);
    next = 7;
    expect(await cp.list()).toEqual([]);
    await cp.progress();
    await cp.flush();
    const [latest] = await cp.list();
    expect(latest?.seq).toBe(1);
    expect((await cp.load())?.state).toEqual({ next: 7 });
    await expect.poll(() => log.lines.find((l) => l.msg === 'requested checkpoint durable')?.obj).toMatchObject({ reason: 'SIGUSR1', seq: 1 });
    // One request, one save: the next progress() does not save again.
    await cp.progress();
    await cp.flush();
    expect(await cp.list()).toHaveLength(1);
  });

  it('a job that never calls progress() is saved at once from the tracked snapshot', async () => {
    const log = recordingLog();
    const cp = createCheckpointer<{ step: number }>({ store: new MemoryStore(), identity, log });
    cp.track(() => ({ state: { step: 3 } }));
    expect(cp.requestSave()).toBe(true);
    await expect.poll(async () => (await cp.list()).length).toBe(1);
    expect(log.lines.some((l) => l.msg === 'checkpoint requested: saving the tracked state now')).toBe(true);
  });

  it('jobkit_checkpoint_age_seconds: absent before the first save, then seconds since it at collect time', async () => {
    let now = 1_000_000;
    const metrics = createJobMetrics({ identity, now: () => now, cgroupDir: '/nonexistent' });
    expect(await metrics.registry.metrics()).not.toContain('jobkit_checkpoint_age_seconds');
    metrics.checkpointSaved(100, 5);
    now += 42_500;
    expect(await metrics.registry.metrics()).toContain('jobkit_checkpoint_age_seconds 42.5');
    metrics.checkpointSaved(100, 5);
    expect(await metrics.registry.metrics()).toContain('jobkit_checkpoint_age_seconds 0\n');
  });
});
