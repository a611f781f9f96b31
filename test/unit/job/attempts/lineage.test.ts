/**
 * The attempt lineage under runJob (memory store): start and end records,
 * how previous attempts ended, the first log line, the bound on records,
 * duplicates, and a store that fails at the end record.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attemptKey, attemptsPrefix } from '../../../../src/job/attempts/keys.ts';
import { decodeAttemptRecord, encodeAttemptRecord } from '../../../../src/job/attempts/format.ts';
import { type JobContext, type RunJobOptions, executeJob } from '../../../../src/job/run-job.ts';
import { PermanentError } from '../../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../../src/store/memory.ts';
import type { ObjectStore } from '../../../../src/store/types.ts';
import { testIdentity } from '../../../support/identity.ts';
import { InterceptingStore } from '../../../support/intercepting-store.ts';

const env = { JOBKIT_JOB_NAME: 'lineage', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_GRACE_PERIOD_SECONDS: '5' };

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  return { stream, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function run(store: ObjectStore, main: (job: JobContext) => Promise<void> | void, options: RunJobOptions = {}, extra: Record<string, string> = {}) {
  const log = capture();
  let seen: JobContext['attempts'] | undefined;
  const code = await executeJob(
    async (job) => {
      seen = job.attempts;
      await main(job);
    },
    { env: { ...env, ...extra }, store, logger: { destination: log.stream }, ...options },
  );
  return { code, attempts: seen, lines: log.lines() };
}

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(`${prefix}/`)) keys.push(o.key);
  return keys.sort();
}

const prefix = attemptsPrefix(testIdentity({ jobName: 'lineage' }));

/** A start record with no end record: what a SIGKILL / OOM kill leaves behind. */
async function crashedAttempt(store: ObjectStore, startedAt: number, inProgress: string[], items = 900, attempt = 0): Promise<void> {
  const id = `${startedAt}-crashed${startedAt}`;
  await store.put(
    attemptKey(prefix, id, 'start'),
    encodeAttemptRecord({ v: 1, phase: 'start', id, attempt, attemptSource: 'sequence', pod: null, podUid: null, node: null, startedAt, writtenAt: startedAt + 180_000, progress: { items, position: items }, inProgress }),
  );
}

describe('attempt lineage', () => {
  it('writes a start and an end record per attempt and tells the next attempt how each ended', async () => {
    const store = new MemoryStore();
    const first = await run(store, (job) => {
      for (const _ of job.shard.range(3)) job.metrics.itemProcessed();
    });
    expect(first.code).toBe(0);
    expect(first.attempts?.previous).toEqual([]);
    expect(first.lines.find((l) => l.msg === 'attempt 1 (no previous attempt recorded)')).toBeDefined();

    const second = await run(store, () => {
      throw new PermanentError('bad row');
    });
    expect(second.code).toBe(65);
    const third = await run(store, () => undefined);
    const previous = third.attempts?.previous ?? [];
    expect(previous.map((a) => [a.outcome, a.exitCode, a.exitClass])).toEqual([
      ['failed', 65, 'permanent'],
      ['completed', 0, 'success'],
    ]);
    expect(previous[1]).toMatchObject({ itemsDone: 3, position: 3, attempt: 0 });
    expect(third.attempts?.attempt).toBe(2);
    const line = third.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('attempt 3'));
    expect(line?.msg).toMatch(/^attempt 3; previous: failed \(permanent\) at item 0 after \d+ s; before that completed 3 items after \d+ s$/);

    const keys = await keysOf(store, prefix);
    expect(keys).toHaveLength(6);
    const end = keys.find((k) => k.endsWith('/end.json'))!;
    const record = decodeAttemptRecord((await store.get(end))!.body, end);
    expect(record).toMatchObject({ phase: 'end', exitCode: 0, exitClass: 'success', reason: 'completed', progress: { items: 3, position: 3 } });
  });

  it('tells a crash (start record, no end record) and a stop apart, and counts crashes in a row', async () => {
    const store = new MemoryStore();
    await crashedAttempt(store, 1_700_000_000_000, ['row-17']);
    await crashedAttempt(store, 1_700_000_100_000, ['row-17', 'row-18'], 950, 1);
    const stopped = await run(store, (job) => {
      expect(job.attempts.consecutiveCrashes).toBe(2);
      expect(job.attempts.crashesOn('row-17')).toBe(2);
      expect(job.attempts.crashesOn('row-18')).toBe(1);
      // The adaptation docs/attempts.md shows: halve the batch size per crash in a row.
      expect(Math.max(1, 1_000 >> job.attempts.consecutiveCrashes)).toBe(250);
      process.emit('SIGTERM', 'SIGTERM');
    });
    expect(stopped.code).toBe(143);
    expect(stopped.lines.find((l) => String(l.msg).startsWith('attempt 3'))?.msg).toBe(
      'attempt 3; previous: crashed at item 950 on "row-17", "row-18" after 3 min (no end record); before that crashed at item 900 on "row-17" after 3 min (no end record)',
    );
    const next = await run(store, () => undefined);
    expect(next.attempts?.previous[0]).toMatchObject({ outcome: 'stopped', exitCode: 143, reason: 'signal', exitClass: 'interrupted' });
    expect(next.attempts?.consecutiveCrashes).toBe(0);
  });

  it('keeps the last `keep` attempts: the writer deletes older ones', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) expect((await run(store, () => undefined, { attempts: { keep: 3 } })).code).toBe(0);
    const keys = await keysOf(store, prefix);
    expect(keys.filter((k) => k.endsWith('/start.json'))).toHaveLength(3);
    expect(keys.filter((k) => k.endsWith('/end.json'))).toHaveLength(3);
  });

  it('two pods of one index at once write apart (unique ids, no read-modify-write)', async () => {
    const store = new MemoryStore();
    const both = await Promise.all([
      run(store, () => new Promise((r) => setTimeout(r, 20)), {}, { JOBKIT_POD_UID: 'uid-a', JOBKIT_POD_NAME: 'lineage-0-a' }),
      run(store, () => new Promise((r) => setTimeout(r, 20)), {}, { JOBKIT_POD_UID: 'uid-b', JOBKIT_POD_NAME: 'lineage-0-b' }),
    ]);
    expect(both.map((b) => b.code)).toEqual([0, 0]);
    const keys = await keysOf(store, prefix);
    expect(keys.filter((k) => k.endsWith('/end.json'))).toHaveLength(2);
    expect(new Set(keys.map((k) => k.split('/').at(-2)!.split('-').slice(1).join('-')))).toEqual(new Set(['uid-a', 'uid-b']));
  });

  it('a store that fails at the end record never changes the exit code', async () => {
    const store = new InterceptingStore(new MemoryStore());
    let failEnd = false;
    store.around = (op, key, go) => (failEnd && op === 'put' && key.endsWith('/end.json') ? Promise.reject(new Error('store down')) : go());
    const result = await run(store, () => {
      failEnd = true;
    });
    expect(result.code).toBe(0);
    expect(result.lines.some((l) => l.msg === 'shutdown hook failed' && l.hook === 'attempts.end-record')).toBe(true);
  });

  it('records nothing without a configured store, or with attempts: false', async () => {
    const none = await executeJob((job) => expect(job.attempts.recorded).toBe(false), { env, logger: { destination: capture().stream } });
    expect(none).toBe(0);
    const store = new MemoryStore();
    expect((await run(store, (job) => expect(job.attempts.recorded).toBe(false), { attempts: false })).code).toBe(0);
    expect(await keysOf(store, prefix)).toEqual([]);
  });
});
