import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { FsStore } from '../../../src/store/fs.ts';

const run = promisify(execFile);
const worker = join(import.meta.dirname, 'fixtures', 'fs-cas-worker.ts');

it('keeps compare-and-swap and create-only exact across processes sharing one directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'jobkit-fs-xproc-'));
  const store = new FsStore(root);
  await store.put('counter', '0', { ifNoneMatch: '*' });
  const processes = 4;
  const increments = 40;
  const results = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      run(process.execPath, [worker, root, String(increments), `worker-${i}`]).then(
        ({ stdout }) => JSON.parse(stdout) as { name: string; wonCreate: boolean; conflicts: number },
      ),
    ),
  );
  const final = await store.get('counter');
  expect(Buffer.from(final!.body).toString()).toBe(String(processes * increments));
  const winners = results.filter((r) => r.wonCreate);
  expect(winners).toHaveLength(1);
  expect(Buffer.from((await store.get('winner'))!.body).toString()).toBe(winners[0]!.name);
  // No lock or temp file survives.
  expect((await readdir(root)).filter((n) => n.startsWith('~'))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

it('writes while other processes prune the same emptied directories (mkdir -p races with rmdir)', async () => {
  // Each delete removes the directories it emptied; another process's write
  // recreates them. Node's recursive mkdir reports ENOTDIR (not only ENOENT)
  // when a parent vanishes under it; a write must retry, never fail.
  const root = await mkdtemp(join(tmpdir(), 'jobkit-fs-prune-'));
  const pruner = join(import.meta.dirname, 'fixtures', 'fs-prune-worker.ts');
  const results = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      run(process.execPath, [pruner, root, '1000', `w${i}`]).then(({ stdout }) => JSON.parse(stdout) as { errors: string[] }),
    ),
  );
  expect(results.flatMap((r) => r.errors)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});
