/**
 * ETL example: an Indexed Job sharded over the objects under `etl/input/`
 * (a frozen plan), writing one output per input through idempotency keys and
 * checkpointing its cursor. See README.md.
 *
 * In your code: `import { runJob } from 'jobkit'`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type JobContext,
  type ObjectStore,
  type PlannedObject,
  type ShardCursor,
  PreconditionFailedError,
  joinKey,
  keySegment,
  runJob,
} from '../../src/index.ts';
import { appendEffect } from '../shared/effects.ts';
import { intFromEnv } from '../shared/env.ts';
import { startProgress } from '../shared/progress.ts';
import { generateInput, inputName, transform } from './data.ts';

/** What this example checkpoints: where it is in its shard. */
interface EtlState {
  readonly cursor: ShardCursor;
}

const INPUT = ['etl', 'input'] as const;
const OUTPUT = ['etl', 'output'] as const;
const EFFECTS = ['etl', 'effects'] as const;

/**
 * Demo only: create the input if it is not there yet. Every pod writes the
 * missing objects with create-only writes before any of them plans, so the
 * listing pod always sees all of them. A real ETL job reads existing input.
 */
async function ensureInput(store: ObjectStore, objects: number, records: number, signal: AbortSignal): Promise<void> {
  const present = new Set<string>();
  for await (const info of store.list(`${joinKey(...INPUT)}/`, { signal })) present.add(info.key);
  for (let i = 0; i < objects; i++) {
    const key = joinKey(...INPUT, keySegment(inputName(i)));
    if (present.has(key)) continue;
    try {
      await store.put(key, generateInput(i, records), { ifNoneMatch: '*', signal });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

async function etl(job: JobContext<EtlState>): Promise<void> {
  const objects = intFromEnv('ETL_INPUT_OBJECTS', 24);
  const records = intFromEnv('ETL_RECORDS_PER_OBJECT', 400);
  const itemDelayMs = intFromEnv('ETL_ITEM_DELAY_MS', 100);
  const checkpointEvery = Math.max(1, intFromEnv('ETL_CHECKPOINT_EVERY', 2));
  const { store, signal } = job;

  if (objects > 0) await ensureInput(store, objects, records, signal);

  const saved = await job.checkpoint.load();
  const files = await job.shard.objects(`${joinKey(...INPUT)}/`, { resume: saved?.state.cursor, signal });
  // The final save on SIGTERM uses this snapshot: the items the loop moved past.
  job.checkpoint.track(() => ({ state: { cursor: files.cursor } }));
  const progress = startProgress(job, { label: 'etl', total: files.size, resumedAt: files.position });
  if (saved !== undefined) progress.checkpointed(saved.seq);

  /** One input object to one output, once (replayed on a retry or a duplicate pod). */
  const transformOnce = (file: PlannedObject): Promise<unknown> => {
    const source = decodeURIComponent(file.key.slice(file.key.lastIndexOf('/') + 1));
    const name = source.replace(/\.jsonl$/, '');
    // The etag pins the input version: rewritten input is new work, not a replay.
    return job.idempotent(`transform:${file.key}:${file.etag}`, async (ctx) => {
      const input = await store.get(file.key, { signal: ctx.signal });
      if (input === undefined) throw new Error(`input ${file.key} disappeared after planning`);
      const output = transform(source, Buffer.from(input.body).toString('utf8'));
      await sleep(itemDelayMs, undefined, { signal: ctx.signal }); // stands in for real work
      await store.put(joinKey(...OUTPUT, keySegment(`${name}.json`)), output, { signal: ctx.signal });
      await appendEffect(store, EFFECTS, name, ctx);
      return { bytes: output.length };
    });
  };

  let sinceSave = 0;
  for await (const file of files) {
    if (signal.aborted) break;
    const started = performance.now();
    try {
      await transformOnce(file);
    } catch (error) {
      // SIGTERM aborted the item mid-way: the cursor has not moved past it, so the next pod redoes it.
      if (signal.aborted) break;
      throw error;
    }
    job.metrics.itemProcessed(performance.now() - started);
    progress.add();
    if (++sinceSave >= checkpointEvery) {
      sinceSave = 0;
      // Snapshot now, upload while the next items run; a commit only moves the line forward.
      const { durable } = await job.checkpoint.saveInBackground({ cursor: files.cursor });
      durable.then((info) => progress.checkpointed(info.seq), () => undefined);
    }
  }
  await job.checkpoint.flush();
  progress.done(signal.aborted ? 'stopping: progress is checkpointed' : undefined);
}

await runJob<EtlState>(etl, {
  // A crashed owner's claim is taken over after its lease; short here so the demo and tests move on quickly.
  idempotency: { leaseMs: 4_000, clockSkewMarginMs: 1_000 },
});
