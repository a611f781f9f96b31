/**
 * Poison items of a shard iterator with real crashes: a child process whose
 * loop is `for await (const i of job.shard.range(10, { quarantine: true }))`
 * is re-run as the Job controller would (same store, same index, the next
 * attempt number) and dies on item 4 twice, by a heap OOM past
 * --max-old-space-size=64 and by process.abort(); the third attempt skips
 * item 4, finishes the range and exits 0. The dead letter is in the store
 * and the metric counts it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDeadLetter } from '../../../src/job/attempts/format.ts';
import { deadLetterKey, quarantinePrefix } from '../../../src/job/attempts/keys.ts';
import { openStore } from '../../../src/store/open.ts';
import { testIdentity } from '../../support/identity.ts';
import { type Exit, node, removeTempDirs, tempDir } from './harness.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/poison-iterator-job.ts', import.meta.url));

afterAll(removeTempDirs);

describe('poison items of job.shard.range(n, { quarantine: true }) (real crashes)', () => {
  it('attempts 1 and 2 die on item 4 (heap OOM, abort) inside the for-await loop; attempt 3 skips it and finishes', async () => {
    const dir = await tempDir('jobkit-poison-iter-');
    const store = `file://${join(dir, 'store')}`;
    const base = { JOBKIT_STORE: store, JOBKIT_JOB_NAME: 'poison-iter', JOBKIT_NAMESPACE: 'default', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_PLATFORM: 'local', POISON: '4', ITEMS: '10' };
    const attempt = (n: number, crash: string): Promise<Exit> =>
      node(['--max-old-space-size=64', FIXTURE], { ...base, JOBKIT_ATTEMPT: String(n), JOBKIT_POD_UID: `uid-${n}`, JOBKIT_POD_NAME: `poison-iter-0-${n}`, CRASH: crash });

    const first = await attempt(0, 'oom');
    expect(first.code === 0).toBe(false); // killed by V8's heap limit: no shutdown hooks, no end record
    expect(first.stderr).not.toMatch(/^ran /m);
    const second = await attempt(1, 'abort');
    expect(second.signal ?? second.code).toMatch(/SIGABRT|134/);

    const third = await attempt(2, 'abort');
    expect(third.code).toBe(0);
    // Items 0-3 were done by attempt 1 (checkpointed cursor); attempt 3 skipped 4 and ran 5-9.
    expect(third.stderr).toMatch(/^ran 5,6,7,8,9$/m);
    expect(third.stderr).toMatch(/^position 10$/m);
    expect(third.stderr).toMatch(/^metric quarantined 1$/m);
    const lines = third.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string });
    expect(lines.find((l) => l.msg.startsWith('attempt 3'))?.msg).toMatch(/^attempt 3; previous: crashed at item [\d,]+ on "4" after \d+ s \(no end record\)/);
    expect(lines.some((l) => l.msg.startsWith('item "4" quarantined (2 attempts died on it)'))).toBe(true);

    const opened = openStore(store);
    const key = deadLetterKey(quarantinePrefix(testIdentity({ jobName: 'poison-iter', index: 0 })), '4');
    const letter = decodeDeadLetter((await opened.get(key))!.body, key);
    expect(letter).toMatchObject({ key: '4', index: 0, cause: 'crashed', lastErrorClass: 'crash' });
    expect(letter.attempts).toHaveLength(2);
    await opened.close();
  });
});
