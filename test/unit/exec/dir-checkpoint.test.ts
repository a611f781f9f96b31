/**
 * Directory checkpoints without a process: the walk (state, parts, stable
 * part names), the check before the commit, the refusal of unsafe states,
 * restore into a temporary sibling and its swap, and the options.
 */
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { parseExecArgs } from '../../../src/cli/exec-args.ts';
import { execOptionsFromEnv, resolveExecSettings } from '../../../src/job/exec/config.ts';
import { checkDirPlace, removeLeftovers, restoreDir } from '../../../src/job/exec/dir-restore.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { DirChangedError, assertUnchanged, parseDirState, partNameFor, snapshotDir } from '../../../src/job/exec/dir-state.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { InterceptingStore, testIdentity } from '../checkpoint/helpers.ts';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jobkit-dircp-unit-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

let n = 0;
async function sample(): Promise<string> {
  const dir = join(base, `d${n++}`);
  await mkdir(join(dir, 'b', 'empty'), { recursive: true });
  await writeFile(join(dir, 'a.bin'), Buffer.from([0, 1, 2, 255]));
  await writeFile(join(dir, 'b', 'c.json'), '{"step":3}');
  await writeFile(join(dir, 'b', 'zero'), '');
  await chmod(join(dir, 'a.bin'), 0o600);
  await symlink('b/c.json', join(dir, 'link'));
  return dir;
}

describe('the walk', () => {
  it('lists parents before children, files as { file } parts named by a hash of their path', async () => {
    const dir = await sample();
    const snap = await snapshotDir(dir);
    expect(snap.state.entries.map((e) => `${e.type} ${e.path}`)).toEqual(['file a.bin', 'dir b', 'file b/c.json', 'dir b/empty', 'file b/zero', 'symlink link']);
    const a = snap.state.entries[0];
    expect(a).toMatchObject({ type: 'file', mode: 0o600, size: 4, part: partNameFor('a.bin') });
    expect(snap.parts[partNameFor('b/c.json')]).toEqual({ file: join(dir, 'b', 'c.json') });
    expect(snap.state.entries.at(-1)).toEqual({ type: 'symlink', path: 'link', target: 'b/c.json' });
    expect(snap.bytes).toBe(14);
  });

  it('gives a file the same part name in every save, at most 100 characters whatever its path', () => {
    const long = `${'x'.repeat(200)}/${'y'.repeat(200)}`;
    expect(partNameFor(long)).toBe(partNameFor(long));
    expect(partNameFor(long).length).toBeLessThanOrEqual(100);
    expect(partNameFor('a')).not.toBe(partNameFor('b'));
  });

  it('leaves out FIFOs (and says so)', async () => {
    const dir = await sample();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const snap = await snapshotDir(dir);
    expect(snap.skipped).toEqual(['pipe']);
    expect(snap.state.entries.some((e) => e.path === 'pipe')).toBe(false);
  });

  it('notices a file written, added, removed or replaced by rename since the walk', async () => {
    const dir = await sample();
    const changes: Array<() => Promise<void>> = [
      async () => await writeFile(join(dir, 'b', 'c.json'), '{"step":4}'),
      async () => await writeFile(join(dir, 'new'), 'x'),
      async () => await rm(join(dir, 'b', 'zero')),
      async () => {
        await writeFile(join(dir, 'tmp'), Buffer.from([0, 1, 2, 255]));
        await rename(join(dir, 'tmp'), join(dir, 'a.bin'));
      },
      async () => await chmod(join(dir, 'a.bin'), 0o644),
    ];
    for (const change of changes) {
      const snap = await snapshotDir(dir);
      await assertUnchanged(dir, snap);
      await change();
      await expect(assertUnchanged(dir, snap)).rejects.toBeInstanceOf(DirChangedError);
    }
  });
});

describe('the state of a loaded checkpoint', () => {
  const parts = new Map([[partNameFor('a'), {}]]);
  const ok = { format: 'jobkit.dir/1', mode: 0o755, entries: [{ type: 'file', path: 'a', mode: 0o644, size: 1, mtimeMs: 1, part: partNameFor('a') }] };

  it('is accepted when every path stays inside the directory', () => {
    expect(parseDirState(ok, parts).entries).toHaveLength(1);
  });

  it.each([
    ['another program state', { next: 3 }],
    ['an absolute path', { ...ok, entries: [{ ...ok.entries[0], path: '/etc/passwd' }] }],
    ['a .. segment', { ...ok, entries: [{ ...ok.entries[0], path: '../a' }] }],
    ['a child before its directory', { ...ok, entries: [{ ...ok.entries[0], path: 'd/a' }] }],
    ['a file without its part', { ...ok, entries: [{ ...ok.entries[0], part: 'missing' }] }],
    ['an unknown type', { ...ok, entries: [{ type: 'fifo', path: 'p' }] }],
  ])('is refused with %s (ConfigurationError, exit 78)', (_what, state) => {
    expect(() => parseDirState(state, parts)).toThrow(/not a directory checkpoint/);
  });
});

describe('restore', () => {
  it('writes the exact content into a temporary sibling and swaps it into place, replacing what was there', async () => {
    const dir = await sample();
    const store = new MemoryStore();
    const cp = createCheckpointer({ store, identity: testIdentity(), inMemoryMaxBytes: 0 });
    const snap = await snapshotDir(dir);
    await cp.save(snap.state, snap.parts);
    const target = join(base, `restored${n++}`);
    await mkdir(target);
    await writeFile(join(target, 'stale'), 'from before');
    const loaded = await cp.load();
    if (loaded === undefined) throw new Error('no checkpoint');
    const info = await restoreDir(target, loaded);
    await loaded.dispose();
    expect(info).toEqual({ files: 3, dirs: 2, links: 1, bytes: 14 });
    expect((await readdir(target)).sort()).toEqual(['a.bin', 'b', 'link']);
    expect(await readFile(join(target, 'a.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect((await lstat(join(target, 'a.bin'))).mode & 0o777).toBe(0o600);
    expect(await readlink(join(target, 'link'))).toBe('b/c.json');
    expect((await lstat(join(target, 'b', 'zero'))).size).toBe(0);
    expect((await lstat(join(target, 'b', 'empty'))).isDirectory()).toBe(true);
    // Nothing of the restore is left next to it.
    expect((await readdir(base)).filter((name) => name.includes('jobkit-'))).toEqual([]);
  });

  it('keeps file mtimes; saves hard links as separate files', async () => {
    const dir = await sample();
    await utimes(join(dir, 'a.bin'), new Date(), new Date('2026-01-02T03:04:05.678Z'));
    await link(join(dir, 'a.bin'), join(dir, 'hard'));
    const cp = createCheckpointer({ store: new MemoryStore(), identity: testIdentity(), inMemoryMaxBytes: 0 });
    const snap = await snapshotDir(dir);
    await cp.save(snap.state, snap.parts);
    const target = join(base, `restored${n++}`);
    const loaded = await cp.load();
    if (loaded === undefined) throw new Error('no checkpoint');
    await restoreDir(target, loaded);
    await loaded.dispose();
    expect((await lstat(join(target, 'a.bin'))).mtime.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect((await lstat(join(target, 'hard'))).nlink).toBe(1);
    expect(await readFile(join(target, 'hard'))).toEqual(await readFile(join(target, 'a.bin')));
  });

  it('restores read-only directories with their mode, and replaces them on the next restore', async () => {
    const dir = await sample();
    await chmod(join(dir, 'b'), 0o555);
    const cp = createCheckpointer({ store: new MemoryStore(), identity: testIdentity(), inMemoryMaxBytes: 0 });
    const snap = await snapshotDir(dir);
    await cp.save(snap.state, snap.parts);
    await chmod(join(dir, 'b'), 0o755);
    const target = join(base, `restored${n++}`);
    for (let i = 0; i < 2; i++) {
      const loaded = await cp.load();
      if (loaded === undefined) throw new Error('no checkpoint');
      await restoreDir(target, loaded);
      await loaded.dispose();
    }
    expect((await lstat(join(target, 'b'))).mode & 0o777).toBe(0o555);
    expect(await readFile(join(target, 'b', 'c.json'), 'utf8')).toBe('{"step":3}');
    expect((await readdir(base)).filter((name) => name.includes('jobkit-'))).toEqual([]);
  });

  it('refuses a mount point and a file in place of the directory (ConfigurationError: exit 78)', async () => {
    await expect(checkDirPlace('/proc')).rejects.toThrow(/is a mount point/);
    await expect(checkDirPlace('/proc')).rejects.toBeInstanceOf(ConfigurationError);
    const file = join(base, 'a-file');
    await writeFile(file, 'x');
    await expect(checkDirPlace(file)).rejects.toThrow(/is not a directory/);
    await symlink(base, join(base, 'a-link'));
    await expect(checkDirPlace(join(base, 'a-link'))).rejects.toThrow(/is a symlink/);
    await checkDirPlace(join(base, 'new-parent', 'dir'));
    expect((await lstat(join(base, 'new-parent'))).isDirectory()).toBe(true);
  });

  it('refuses to restore another program\'s checkpoint (ConfigurationError: exit 78)', () => {
    expect(() => parseDirState({ next: 1 }, new Map())).toThrow(ConfigurationError);
  });

  it('removes what a killed attempt left next to the directory, and only that', async () => {
    const dir = join(base, 'state');
    await mkdir(join(base, '.state.jobkit-restore-abc', 'x'), { recursive: true });
    await mkdir(join(base, '.state.jobkit-old-def'), { recursive: true });
    await mkdir(join(base, '.other.jobkit-old-def'), { recursive: true });
    expect((await removeLeftovers(dir)).sort()).toEqual(['.state.jobkit-old-def', '.state.jobkit-restore-abc']);
    expect(await readdir(base)).toContain('.other.jobkit-old-def');
  });
});

describe('the options', () => {
  it('reads the env forms and has the documented default', () => {
    expect(execOptionsFromEnv({ JOBKIT_EXEC_CHECKPOINT_DIR: '/work/state', JOBKIT_EXEC_CHECKPOINT_EVERY: '60' })).toEqual({
      checkpointDir: '/work/state',
      checkpointEverySeconds: 60,
    });
    expect(resolveExecSettings({ JOBKIT_EXEC_CHECKPOINT_DIR: 'state' }, {})).toMatchObject({
      checkpointDir: join(process.cwd(), 'state'),
      checkpointEverySeconds: 300,
    });
    expect(resolveExecSettings({ JOBKIT_EXEC_CHECKPOINT_EVERY: '0' }, { checkpointDir: '/s' }).checkpointEverySeconds).toBe(0);
  });

  it('code wins over env', () => {
    expect(resolveExecSettings({ JOBKIT_EXEC_CHECKPOINT_DIR: '/a', JOBKIT_EXEC_CHECKPOINT_EVERY: '5' }, { checkpointDir: '/b', checkpointEverySeconds: 7 })).toMatchObject({
      checkpointDir: '/b',
      checkpointEverySeconds: 7,
    });
  });

  it('refuses bad values, naming the flag or the variable', () => {
    expect(() => execOptionsFromEnv({ JOBKIT_EXEC_CHECKPOINT_EVERY: 'often' })).toThrow(/JOBKIT_EXEC_CHECKPOINT_EVERY/);
    expect(() => execOptionsFromEnv({ JOBKIT_EXEC_CHECKPOINT_EVERY: '-1' })).toThrow(/JOBKIT_EXEC_CHECKPOINT_EVERY/);
    expect(() => execOptionsFromEnv({ JOBKIT_EXEC_CHECKPOINT_DIR: '/' })).toThrow(/JOBKIT_EXEC_CHECKPOINT_DIR/);
    expect(() => parseExecArgs(['--checkpoint-every', 'x', '--', 'true'])).toThrow(/--checkpoint-every/);
    expect(() => parseExecArgs(['--checkpoint-dir', '/', '--', 'true'])).toThrow(/--checkpoint-dir/);
    expect(() => parseExecArgs(['--checkpoint-dir', '/a/..', '--', 'true'])).toThrow(/--checkpoint-dir/);
    expect(() => resolveExecSettings({}, { checkpointEverySeconds: -2 })).toThrow(/checkpointEverySeconds/);
  });

  it('parses the flags', () => {
    expect(parseExecArgs(['--checkpoint-dir', '/work/state', '--checkpoint-every', '30', '--', 'python', 'train.py']).options).toEqual({
      checkpointDir: '/work/state',
      checkpointEverySeconds: 30,
    });
  });
});

describe('save() beforeCommit', () => {
  it('fails the save when it throws: nothing is committed, nothing uploaded is left', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer({ store, identity: testIdentity() });
    await expect(cp.save({ a: 1 }, { p: Buffer.from('x') }, { beforeCommit: () => Promise.reject(new Error('torn')) })).rejects.toThrow('torn');
    expect(await cp.list()).toEqual([]);
    const info = await cp.save({ a: 2 }, { p: Buffer.from('x') }, { beforeCommit: () => undefined });
    expect(info.seq).toBe(1);
  });
});

describe('uploading a directory', () => {
  it('sends small files several at a time (concurrency), not one by one', async () => {
    const dir = join(base, `many${n++}`);
    await mkdir(dir);
    for (let i = 0; i < 12; i++) await writeFile(join(dir, `f${i}`), `file ${i}`);
    const store = new InterceptingStore(new MemoryStore());
    let inFlight = 0;
    let most = 0;
    store.around = async (op, key, run) => {
      if (op !== 'put' || !key.includes('/data/')) return await run();
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        return await run();
      } finally {
        inFlight -= 1;
      }
    };
    const cp = createCheckpointer({ store, identity: testIdentity(), concurrency: 4 });
    const snap = await snapshotDir(dir);
    const info = await cp.save(snap.state, snap.parts);
    expect(info.uploadedBytes).toBe(snap.bytes);
    expect(most).toBe(4);
  });
});
