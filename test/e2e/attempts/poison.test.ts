/**
 * Poison items with real crashes: a child process re-run as the Job
 * controller would (same store, same index, the next attempt number) dies on
 * the same item twice, by an allocation past --max-old-space-size=64 and by
 * process.abort(); the third attempt quarantines the item, finishes the rest
 * and exits 0. The dead letter is in the store, `jobkit status -o json` lists
 * it, and the metric counts it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDeadLetter } from '../../../src/job/attempts/format.ts';
import { deadLetterKey, quarantinePrefix } from '../../../src/job/attempts/keys.ts';
import { openStore } from '../../../src/store/open.ts';
import { testIdentity } from '../../support/identity.ts';
import { type Exit, node, removeTempDirs, tempDir } from './harness.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/poison-job.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

afterAll(removeTempDirs);

describe('poison items (real crashes, attempts re-run like the Job controller)', () => {
  it('attempts 1 and 2 die on item 4 (heap OOM, abort); attempt 3 quarantines it and finishes the index', async () => {
    const dir = await tempDir('jobkit-poison-');
    const store = `file://${join(dir, 'store')}`;
    const base = { JOBKIT_STORE: store, JOBKIT_JOB_NAME: 'poison', JOBKIT_NAMESPACE: 'default', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_PLATFORM: 'local', POISON: '4', ITEMS: '10' };
    const attempt = (n: number, crash: string): Promise<Exit> =>
      node(['--max-old-space-size=64', FIXTURE], { ...base, JOBKIT_ATTEMPT: String(n), JOBKIT_POD_UID: `uid-${n}`, JOBKIT_POD_NAME: `poison-0-${n}`, CRASH: crash });

    const first = await attempt(0, 'oom');
    expect(first.code === 0).toBe(false); // killed by V8's heap limit: no shutdown hooks, no end record
    expect(first.stderr).not.toMatch(/^done/m);
    const second = await attempt(1, 'abort');
    expect(second.signal ?? second.code).toMatch(/SIGABRT|134/);

    const third = await attempt(2, 'abort');
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/^quarantined item-4$/m);
    // Items 0-3 were done by attempt 1 (checkpointed); attempt 3 did 5-9.
    expect(third.stderr).toMatch(/^done 5$/m);
    expect(third.stderr).toMatch(/^metric quarantined 1$/m);
    const lines = third.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string });
    expect(lines.find((l) => l.msg.startsWith('attempt 3'))?.msg).toMatch(
      /^attempt 3; previous: crashed at item 4 on "item-4" after \d+ s \(no end record\); before that crashed at item 4 on "item-4" after \d+ s \(no end record\)$/,
    );

    const opened = openStore(store);
    const key = deadLetterKey(quarantinePrefix(testIdentity({ jobName: 'poison', index: 0 })), 'item-4');
    const letter = decodeDeadLetter((await opened.get(key))!.body, key);
    expect(letter).toMatchObject({ key: 'item-4', index: 0, cause: 'crashed', lastErrorClass: 'crash' });
    expect(letter.attempts).toHaveLength(2);
    await opened.close();

    const status = await node([CLI, 'status', '--store', store, '--job', 'poison', '-o', 'json'], {});
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout) as { attempts: { index: number; quarantinedTotal: number; quarantined: { key: string }[]; recent: { outcome: string; quarantined: number }[] }[] };
    expect(json.attempts[0]).toMatchObject({ index: 0, quarantinedTotal: 1, quarantined: [{ key: 'item-4' }] });
    expect(json.attempts[0]?.recent.map((a) => a.outcome)).toEqual(['completed', 'crashed', 'crashed']);
    expect(json.attempts[0]?.recent[0]?.quarantined).toBe(1);
  });
});
