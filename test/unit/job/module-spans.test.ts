/**
 * With tracing on, checkpoint saves/loads and idempotent calls made through
 * `job` are child spans of the job's root span.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../../../src/job/run-job.ts';
import { openStore } from '../../../src/store/open.ts';
import { CollectingExporter } from '../telemetry/helpers.ts';

describe('module spans', () => {
  it('puts checkpoint.save, checkpoint.load and idempotency.run under job.run', async () => {
    const exporter = new CollectingExporter();
    const code = await executeJob<{ n: number }>(
      async (job) => {
        await job.checkpoint.load();
        await job.checkpoint.save({ n: 1 });
        await job.idempotent('k', () => Promise.resolve(1));
        await job.idempotent('k', () => Promise.resolve(2));
      },
      {
        env: { JOBKIT_JOB_NAME: 'spans', JOBKIT_GRACE_PERIOD_SECONDS: '5' },
        store: openStore(`memory://spans-${Date.now()}`),
        tracing: { exporter },
        logger: { destination: new Writable({ write: (_c, _e, cb) => cb() }) },
      },
    );
    expect(code).toBe(0);
    const [root] = exporter.named('job.run');
    expect(root).toBeDefined();
    const rootId = root!.spanContext().spanId;
    const children = exporter.spans.filter((s) => s.parentSpanContext?.spanId === rootId).map((s) => s.name);
    expect(children).toEqual(['checkpoint.load', 'checkpoint.save', 'idempotency.run', 'idempotency.run']);
    const replays = exporter.named('idempotency.run').map((s) => s.attributes['jobkit.idempotency.replayed']);
    expect(replays).toEqual([false, true]);
  });
});
