/**
 * Backfill example: a numeric range cut into chunks, leased through the work
 * queue (job.shard.workQueue), so faster pods take more chunks. Index 0
 * plays a pod on a slow node. See README.md.
 *
 * In your code: `import { runJob, chunkBounds } from 'jobkit'`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobContext, chunkBounds, joinKey, keySegment, runJob } from '../../src/index.ts';
import { appendEffect } from '../shared/effects.ts';
import { intFromEnv } from '../shared/env.ts';
import { startProgress } from '../shared/progress.ts';

/**
 * The backfilled value of one row (stands in for re-deriving a column).
 *
 * @example
 * ```ts
 * backfillRow(42); // the same number on every run
 * ```
 */
export function backfillRow(row: number): number {
  let h = Math.imul(row ^ 0x5bd1e995, 0x9e3779b1);
  h ^= h >>> 15;
  return (h >>> 0) % 1_000_003;
}

async function backfill(job: JobContext): Promise<void> {
  const rows = intFromEnv('BACKFILL_ROWS', 20_000);
  const chunks = intFromEnv('BACKFILL_CHUNKS', 40);
  const chunkMs = intFromEnv('BACKFILL_CHUNK_MS', 150);
  const slowIndex = intFromEnv('BACKFILL_SLOW_INDEX', 0);
  const slowFactor = intFromEnv('BACKFILL_SLOW_FACTOR', 4);
  const { index } = job.identity;
  const myChunkMs = index === slowIndex ? chunkMs * slowFactor : chunkMs;

  const progress = startProgress(job, { label: 'backfill', unit: 'chunks done here', showCheckpoint: false });
  // Short lease: a killed pod's chunk is taken over after ~4 s instead of a minute.
  const queue = job.shard.workQueue({ chunks, leaseMs: 4_000 });
  const summary = await queue.run(async ({ chunk, signal }) => {
    const { start, end } = chunkBounds(rows, chunks, chunk);
    await job.idempotent(
      `chunk-${chunk}`,
      async (ctx) => {
        let sum = 0;
        for (let row = start; row < end; row++) sum = (sum + backfillRow(row)) % 2 ** 31;
        await sleep(myChunkMs, undefined, { signal: ctx.signal }); // the slow part: writes to a database
        const name = `chunk-${String(chunk).padStart(4, '0')}`;
        const output = `${JSON.stringify({ chunk, start, end, sum })}\n`;
        await job.store.put(joinKey('backfill', 'output', keySegment(`${name}.json`)), output, { signal: ctx.signal });
        await appendEffect(job.store, ['backfill', 'effects'], name, ctx);
      },
      { signal },
    );
    job.metrics.items('processed', end - start);
    progress.add();
  });
  // Who did what: not part of the output (that depends only on the range), but it shows the balance.
  const record = { pod: job.identity.podName, index, chunkMs: myChunkMs, completed: summary.completed.length };
  await job.store.put(joinKey('backfill', 'workers', keySegment(job.identity.podName ?? 'local')), JSON.stringify(record));
  progress.done(`all ${chunks} chunks done; this pod did ${summary.completed.length} at ${myChunkMs} ms each`);
}

await runJob(backfill, { idempotency: { leaseMs: 4_000, clockSkewMarginMs: 1_000 } });
