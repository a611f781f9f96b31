/**
 * The saves of a directory checkpoint while the program runs, without a
 * process: the request file is removed once a save taken after it is
 * committed, a touch during a save asks for exactly one more, requests during
 * a save coalesce, and nothing is triggered once the job stops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { prepareDirCheckpoint } from '../../../src/job/exec/dir-checkpoint.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { InterceptingStore, recordingLog, testIdentity } from '../checkpoint/helpers.ts';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jobkit-dircp-saver-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

function setup(): { store: InterceptingStore; log: ReturnType<typeof recordingLog>; stop: AbortController; dir: string } {
  return { store: new InterceptingStore(new MemoryStore()), log: recordingLog(), stop: new AbortController(), dir: join(base, `d${Math.random().toString(36).slice(2)}`) };
}

const saved = (log: ReturnType<typeof recordingLog>): Array<Record<string, unknown>> =>
  log.lines.filter((l) => l.msg === 'directory checkpoint saved').map((l) => l.obj as Record<string, unknown>);

/** Hold the first PUT of checkpoint data until release(): a save in flight the test can act during. */
function holdFirstDataPut(store: ReturnType<typeof setup>['store']): { held(): boolean; release(): void } {
  let release: (() => void) | undefined;
  let puts = 0;
  store.around = async (op, key, run) => {
    if (op === 'put' && key.includes('/data/') && puts++ === 0) await new Promise<void>((resolve) => (release = resolve));
    return await run();
  };
  return { held: () => release !== undefined, release: () => release?.() };
}

describe('directory saves while the program runs', () => {
  it('a touch of the request file during a save asks for one more; the file goes once a save after the last touch is committed', async () => {
    const { store, log, stop, dir } = setup();
    // Hold the first save's data upload until the test has touched the request again.
    const gate = holdFirstDataPut(store);
    const cp = createCheckpointer({ store, identity: testIdentity(), log });
    const dirCp = await prepareDirCheckpoint({ dir, everySeconds: 0, checkpoint: cp, log, stopSignal: stop.signal });
    const request = dirCp.childEnv.JOBKIT_CHECKPOINT_REQUEST ?? '';
    dirCp.start();
    await writeFile(join(dir, 'a'), '1');
    await writeFile(request, '');
    await until(() => gate.held());
    await sleep(20);
    await writeFile(request, 'again'); // a new request: its mtime and size moved
    gate.release();
    await until(() => saved(log).length === 2);
    await until(() => !existsSync(request));
    expect(saved(log).map((l) => l.reason)).toEqual(['request-file', 'request-file']);
    expect(readFileSync(dirCp.childEnv.JOBKIT_CHECKPOINT_COMMITTED ?? '', 'utf8').trim()).toBe('2');
    await dirCp.stop();
  });

  it('requests during a save coalesce into one more save', async () => {
    const { store, log, stop, dir } = setup();
    const gate = holdFirstDataPut(store);
    const cp = createCheckpointer({ store, identity: testIdentity(), log });
    const dirCp = await prepareDirCheckpoint({ dir, everySeconds: 0, checkpoint: cp, log, stopSignal: stop.signal });
    dirCp.start();
    await writeFile(join(dir, 'a'), '1');
    expect(cp.requestSave('SIGUSR1')).toBe(true);
    await until(() => gate.held());
    for (let i = 0; i < 5; i++) cp.requestSave('SIGUSR1');
    gate.release();
    await until(() => saved(log).length === 2);
    await sleep(300);
    expect(saved(log)).toHaveLength(2);
    await dirCp.stop();
  });

  it('triggers nothing once the job stops (the final save takes over), and saves periodically before', async () => {
    const { store, log, stop, dir } = setup();
    const cp = createCheckpointer({ store, identity: testIdentity(), log });
    const dirCp = await prepareDirCheckpoint({ dir, everySeconds: 0.05, checkpoint: cp, log, stopSignal: stop.signal });
    await writeFile(join(dir, 'a'), '1');
    dirCp.start();
    await until(() => saved(log).length >= 2);
    stop.abort(new Error('SIGTERM'));
    await sleep(50);
    const count = saved(log).length;
    const attempts = (): number => log.lines.filter((l) => l.msg.startsWith('directory checkpoint')).length;
    const before = attempts();
    await writeFile(dirCp.childEnv.JOBKIT_CHECKPOINT_REQUEST ?? '', '');
    expect(cp.requestSave('SIGUSR1')).toBe(false);
    await sleep(400);
    expect(saved(log)).toHaveLength(count);
    // Not even tried: only the line that says the request is not taken.
    expect(attempts()).toBe(before + 1);
    expect(saved(log).every((l) => l.reason === 'periodic')).toBe(true);
    await dirCp.stop();
  });

  it('stops saving once a newer pod of the index fenced this one', async () => {
    const { store, log, stop, dir } = setup();
    const cp = createCheckpointer({ store, identity: testIdentity(), log });
    const dirCp = await prepareDirCheckpoint({ dir, everySeconds: 0, checkpoint: cp, log, stopSignal: stop.signal });
    dirCp.start();
    await writeFile(join(dir, 'a'), '1');
    await createCheckpointer({ store, identity: testIdentity({ podName: 'train-0-newer' }) }).open();
    cp.requestSave('SIGUSR1');
    await until(() => log.lines.some((l) => l.msg.startsWith('directory checkpoint fenced')));
    cp.requestSave('SIGUSR1');
    await sleep(200);
    expect(log.lines.filter((l) => l.msg.startsWith('directory checkpoint fenced'))).toHaveLength(1);
    expect(saved(log)).toHaveLength(0);
    await dirCp.stop();
  });
});
