/**
 * job.item on a memory store: the mark is in the store before the function
 * runs, a permanent error is quarantined by option (else it fails the index),
 * and an item that two earlier attempts died on is skipped and dead-lettered.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeAttemptRecord, decodeDeadLetter, encodeAttemptRecord } from '../../../../src/job/attempts/format.ts';
import { attemptKey, attemptsPrefix, deadLetterKey, quarantinePrefix } from '../../../../src/job/attempts/keys.ts';
import { type JobContext, executeJob } from '../../../../src/job/run-job.ts';
import { PermanentError } from '../../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../../src/store/memory.ts';
import type { ObjectStore } from '../../../../src/store/types.ts';
import { testIdentity } from '../../../support/identity.ts';

const env = { JOBKIT_JOB_NAME: 'items', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_GRACE_PERIOD_SECONDS: '5' };
const silent = new Writable({ write: (_c, _e, cb) => cb() });
const identity = testIdentity({ jobName: 'items' });
const run = (store: ObjectStore, main: (job: JobContext) => Promise<void>): Promise<number> =>
  executeJob(main, { env, store, logger: { destination: silent } });

async function startRecords(store: ObjectStore): Promise<string[][]> {
  const out: string[][] = [];
  for await (const o of store.list(`${attemptsPrefix(identity)}/`)) {
    if (!o.key.endsWith('/start.json')) continue;
    const r = decodeAttemptRecord((await store.get(o.key))!.body, o.key);
    if (r.phase === 'start') out.push([...r.inProgress]);
  }
  return out;
}

describe('job.item', () => {
  it('makes the in-progress mark durable before the function runs', async () => {
    const store = new MemoryStore();
    let seen: string[][] = [];
    expect(await run(store, async (job) => void (await job.item('row-1', async () => void (seen = await startRecords(store)))))).toBe(0);
    expect(seen).toEqual([['row-1']]);
  });

  it('quarantines a permanent error with { quarantine: "permanent" }, and fails the index without it', async () => {
    const store = new MemoryStore();
    let processed = 0;
    const code = await run(store, async (job) => {
      for (const i of [1, 2, 3]) {
        const r = await job.item(`row-${i}`, () => {
          if (i === 2) throw new PermanentError('row 2 has no id');
          processed++;
        }, { quarantine: 'permanent' });
        if (i === 2) expect(r).toEqual({ quarantined: true, cause: 'permanent' });
      }
      expect(job.metrics.progress().items).toMatchObject({ processed: 2, quarantined: 1, failed: 0 });
    });
    expect(code).toBe(0);
    expect(processed).toBe(2);
    const key = deadLetterKey(quarantinePrefix(identity), 'row-2');
    expect(decodeDeadLetter((await store.get(key))!.body, key)).toMatchObject({ key: 'row-2', cause: 'permanent', lastErrorClass: 'permanent', lastError: 'PermanentError: row 2 has no id' });
    expect(await run(new MemoryStore(), async (job) => void (await job.item('x', () => Promise.reject(new PermanentError('bad')))))).toBe(65);
  });

  it('skips and dead-letters an item two crashed attempts were on; later attempts skip it too', async () => {
    const store = new MemoryStore();
    for (const t of [1_700_000_000_000, 1_700_000_100_000]) {
      const id = `${t}-dead`;
      await store.put(attemptKey(attemptsPrefix(identity), id, 'start'), encodeAttemptRecord({ v: 1, phase: 'start', id, attempt: 0, attemptSource: 'sequence', pod: null, podUid: null, node: null, startedAt: t, writtenAt: t, progress: { items: 0, position: null }, inProgress: ['row-7'] }));
    }
    const ran: string[] = [];
    const main = async (job: JobContext): Promise<void> => {
      for (const k of ['row-6', 'row-7', 'row-8']) {
        const r = await job.item(k, () => void ran.push(k));
        if (k === 'row-7') expect(r.quarantined).toBe(true);
      }
      expect(job.metrics.progress().items.quarantined).toBe(1);
    };
    expect(await run(store, main)).toBe(0);
    expect(ran).toEqual(['row-6', 'row-8']);
    const key = deadLetterKey(quarantinePrefix(identity), 'row-7');
    expect(decodeDeadLetter((await store.get(key))!.body, key)).toMatchObject({ cause: 'crashed', attempts: ['1700000100000-dead', '1700000000000-dead'] });
    expect(await run(store, main)).toBe(0);
    expect(ran).toEqual(['row-6', 'row-8', 'row-6', 'row-8']);
  });
});
