/**
 * Node's recursive mkdir answers ENOTDIR, not only ENOENT, when another
 * process removes a parent directory in the middle of it (an emptied
 * directory pruned by a delete). The write retries instead of failing; a file
 * really in the way is still an error. Reproduced for real by
 * test/integration/store/fs-cross-process.test.ts; here the race is forced.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as fsPromises from 'node:fs/promises';

const race = vi.hoisted(() => ({ failNext: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    mkdir: async (...args: Parameters<typeof real.mkdir>) => {
      if (race.failNext > 0) {
        race.failNext--;
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${String(args[0])}'`), { code: 'ENOTDIR' });
      }
      return await real.mkdir(...args);
    },
  };
});

const { FsStore } = await import('../../../src/store/fs.ts');

describe('FsStore write racing a prune', () => {
  const roots: string[] = [];
  afterEach(async () => {
    race.failNext = 0;
    for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
  });

  it('retries a mkdir that saw its parent vanish (ENOTDIR) and writes the object', async () => {
    const root = await mkdtemp(join(tmpdir(), 'jobkit-mkdir-race-'));
    roots.push(root);
    const store = new FsStore(root, { fsync: false });
    race.failNext = 2;
    await store.put('_jobkit/probe/a', 'x', { ifNoneMatch: '*' });
    expect(race.failNext).toBe(0);
    expect(Buffer.from((await store.get('_jobkit/probe/a'))!.body).toString()).toBe('x');
  });

  it('still fails, naming the path, when a file is really in the way', async () => {
    const root = await mkdtemp(join(tmpdir(), 'jobkit-mkdir-race-'));
    roots.push(root);
    const store = new FsStore(root, { fsync: false });
    await writeFile(join(root, 'jobs~'), 'not a directory');
    await expect(store.put('jobs/etl/x', 'x')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
