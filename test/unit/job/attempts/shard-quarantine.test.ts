/**
 * job.shard iterators with quarantine: true on a memory store, through
 * runJob: each item is durably marked in progress before the loop body runs,
 * an item two crashed attempts were on is skipped, dead-lettered and counted,
 * the cursor moves past it, and without a store the loop runs unmarked.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeAttemptRecord, decodeDeadLetter, encodeAttemptRecord } from '../../../../src/job/attempts/format.ts';
import { attemptKey, attemptsPrefix, deadLetterKey, quarantinePrefix } from '../../../../src/job/attempts/keys.ts';
import { type JobContext, executeJob } from '../../../../src/job/run-job.ts';
import { MemoryStore } from '../../../../src/store/memory.ts';
import type { ObjectStore } from '../../../../src/store/types.ts';
import { testIdentity } from '../../../support/identity.ts';

const env = { JOBKIT_JOB_NAME: 'iterq', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_GRACE_PERIOD_SECONDS: '5' };
const silent = new Writable({ write: (_c, _e, cb) => cb() });
const identity = testIdentity({ jobName: 'iterq' });
const run = (store: ObjectStore | undefined, main: (job: JobContext) => Promise<void>): Promise<number> =>
  executeJob(main, { env, ...(store === undefined ? {} : { store }), logger: { destination: silent } });

async function inProgressNow(store: ObjectStore): Promise<string[][]> {
  const out: string[][] = [];
  for await (const o of store.list(`${attemptsPrefix(identity)}/`)) {
    if (!o.key.endsWith('/start.json')) continue;
    const r = decodeAttemptRecord((await store.get(o.key))!.body, o.key);
    if (r.phase === 'start') out.push([...r.inProgress]);
  }
  return out;
}

async function crashedTwiceOn(store: ObjectStore, key: string): Promise<void> {
  for (const t of [1_700_000_000_000, 1_700_000_100_000]) {
    const id = `${t}-dead`;
    const record = encodeAttemptRecord({ v: 1, phase: 'start', id, attempt: 0, attemptSource: 'sequence', pod: null, podUid: null, node: null, startedAt: t, writtenAt: t, progress: { items: 0, position: null }, inProgress: [key] });
    await store.put(attemptKey(attemptsPrefix(identity), id, 'start'), record);
  }
}

describe('job.shard.range(n, { quarantine: true })', () => {
  it('marks each item in progress in the start record before the loop body runs, and counts it processed', async () => {
    const store = new MemoryStore();
    const seen: string[][][] = [];
    const code = await run(store, async (job) => {
      for await (const i of job.shard.range(3, { quarantine: true })) {
        void i;
        seen.push(await inProgressNow(store));
      }
      expect(job.metrics.progress().items).toMatchObject({ processed: 3, quarantined: 0 });
    });
    expect(code).toBe(0);
    // The next item's mark replaced the previous one in the same write (the clear is lazy).
    expect(seen).toEqual([[['0']], [['1']], [['2']]]);
  });

  it('skips, dead-letters and counts an item two crashed attempts were on; the cursor moves past it', async () => {
    const store = new MemoryStore();
    await crashedTwiceOn(store, '2');
    const ran: number[] = [];
    let cursorAfter = -1;
    const main = async (job: JobContext): Promise<void> => {
      const rows = job.shard.range(5, { quarantine: true });
      for await (const i of rows) {
        if (i === 3) cursorAfter = rows.position;
        ran.push(i);
      }
      expect(job.metrics.progress().items).toMatchObject({ processed: 4, quarantined: 1 });
    };
    expect(await run(store, main)).toBe(0);
    expect(ran).toEqual([0, 1, 3, 4]);
    // In item 3's body, 0, 1 and the skipped 2 are behind the cursor: a checkpoint here resumes at 3.
    expect(cursorAfter).toBe(3);
    const key = deadLetterKey(quarantinePrefix(identity), '2');
    expect(decodeDeadLetter((await store.get(key))!.body, key)).toMatchObject({ key: '2', cause: 'crashed', lastErrorClass: 'crash', attempts: ['1700000100000-dead', '1700000000000-dead'] });
    // A later attempt skips it by its dead letter.
    ran.length = 0;
    expect(await run(store, main)).toBe(0);
    expect(ran).toEqual([0, 1, 3, 4]);
  });

  it('a sequence iterated with for...of fails the index with exit 78 and a message naming for await', async () => {
    let logged = '';
    const destination = new Writable({ write: (c: Buffer, _e, cb) => void ((logged += c.toString()), cb()) });
    const code = await executeJob(async (job) => {
      for (const i of job.shard.range(3, { quarantine: true })) await job.item(String(i), () => undefined);
    }, { env, store: new MemoryStore(), logger: { destination } });
    expect(code).toBe(78);
    expect(logged).toMatch(/job\.shard\.range was created with quarantine: iterate it with for await/);
  });

  it('without a store (attempts not recorded) iterates every item unmarked', async () => {
    const ran: number[] = [];
    const code = await run(undefined, async (job) => {
      expect(job.attempts.recorded).toBe(false);
      for await (const i of job.shard.range(4, { quarantine: true })) ran.push(i);
      expect(job.metrics.progress().items).toMatchObject({ processed: 4, quarantined: 0 });
    });
    expect(code).toBe(0);
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it('items and job.item share the dead letters: an item key quarantined by job.item is skipped by the iterator', async () => {
    const store = new MemoryStore();
    await crashedTwiceOn(store, 'b');
    const ran: string[] = [];
    expect(await run(store, async (job) => void (await job.item('b', () => undefined)))).toBe(0);
    expect(await run(store, async (job) => {
      for await (const k of job.shard.items(['a', 'b', 'c'], { quarantine: true })) ran.push(k);
    })).toBe(0);
    expect(ran).toEqual(['a', 'c']);
  });
});
