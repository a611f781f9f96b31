import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsStore } from '../../../src/store/fs.ts';
import { LOCK_HOST } from '../../../src/store/fs-lock.ts';
import type { ObjectInfo } from '../../../src/store/types.ts';
import { describeStoreConformance } from './conformance.ts';

async function tempRoot(): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'jobkit-fs-store-'));
}

/** Every jobkit-internal file (temp files, locks) left under root. */
async function internalFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((p) => p.split('/').some((s) => s.startsWith('~') && !s.endsWith('~')));
}

async function keysOf(iterable: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const info of iterable) out.push(info.key);
  return out;
}

describeStoreConformance('fs', async () => {
  const root = await tempRoot();
  return {
    store: new FsStore(root),
    leftovers: () => internalFiles(root),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FsStore', () => {
  it('keeps "a" and "a/b" as two objects, like S3', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    await store.put('a', 'leaf');
    await store.put('a/b', 'child');
    await store.put('a.b', 'sibling');
    expect(Buffer.from((await store.get('a'))!.body).toString()).toBe('leaf');
    expect(Buffer.from((await store.get('a/b'))!.body).toString()).toBe('child');
    expect(await keysOf(store.list('a'))).toEqual(['a', 'a.b', 'a/b']);
    await rm(root, { recursive: true, force: true });
  });

  it('keeps keys differing only by case apart, even on case-insensitive file systems', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    await store.put('k/Job', 'upper', { ifNoneMatch: '*' });
    await store.put('k/job', 'lower', { ifNoneMatch: '*' });
    const names = await readdir(join(root, 'k~'));
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(2);
    expect(Buffer.from((await store.get('k/Job'))!.body).toString()).toBe('upper');
    await rm(root, { recursive: true, force: true });
  });

  it('stores segments too long for a file name, and lists them by their full key', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    const long = 'x'.repeat(300);
    const longUpper = 'Y'.repeat(300);
    await store.put(`long/${long}`, '1');
    await store.put(`long/${long}1`, '2');
    await store.put(`long/${longUpper}/inner`, '3');
    expect(Buffer.from((await store.get(`long/${long}1`))!.body).toString()).toBe('2');
    expect(await keysOf(store.list('long/'))).toEqual([`long/${longUpper}/inner`, `long/${long}`, `long/${long}1`]);
    expect(await keysOf(store.list(`long/${long}`))).toEqual([`long/${long}`, `long/${long}1`]);
    await rm(root, { recursive: true, force: true });
  });

  it('never writes outside its root, whatever the key', async () => {
    const parent = await tempRoot();
    const root = join(parent, 'root');
    const store = new FsStore(root);
    for (const key of ['../outside', 'a/../../outside', '/etc/outside', 'a\\..\\..\\outside']) {
      await expect(store.put(key, 'x')).rejects.toBeInstanceOf(TypeError);
    }
    await store.put('..%2F..%2Foutside/ok', 'x');
    await store.put('~lock.a', 'x');
    expect(await readdir(parent)).toEqual(['root']);
    expect(await keysOf(store.list(''))).toEqual(['..%2F..%2Foutside/ok', '~lock.a']);
    await rm(parent, { recursive: true, force: true });
  });

  it('ignores stray files and hides its own temp and lock files from list and get', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    await store.put('d/real', 'x');
    await writeFile(join(root, 'd~', 'hand-written.txt'), 'not an object');
    await writeFile(join(root, 'd~', '~tmp.123'), 'half written');
    expect(await keysOf(store.list('d/'))).toEqual(['d/real']);
    await expect(store.get('d/hand-written.txt')).rejects.toThrow(/not a jobkit object file/);
    await rm(root, { recursive: true, force: true });
  });

  it('sweeps temp files abandoned by a crashed writer a day ago, and keeps recent ones', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    await store.put('d/real', 'x');
    const old = join(root, 'd~', '~tmp.crashed');
    const recent = join(root, 'd~', '~tmp.in-progress');
    await writeFile(old, 'half');
    await writeFile(recent, 'half');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    expect(await keysOf(store.list(''))).toEqual(['d/real']);
    expect((await readdir(join(root, 'd~'))).sort()).toEqual(['real', '~tmp.in-progress']);
    await rm(root, { recursive: true, force: true });
  });

  it('removes directories that a delete leaves empty', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    await store.put('x/y/z', '1');
    await store.delete('x/y/z');
    expect(await readdir(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it('recovers a key lock left by a process that died holding it', async () => {
    const root = await tempRoot();
    const store = new FsStore(root);
    const v1 = await store.put('locked', 'v1');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(root, '~lock.locked'), JSON.stringify({ pid: dead, host: LOCK_HOST, token: 'dead-holder' }));
    const v2 = await store.put('locked', 'v2', { ifMatch: v1.etag });
    expect((await store.head('locked'))!.etag).toBe(v2.etag);
    expect(await internalFiles(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it('waits for a live holder and gives up with a RetryableError naming it', async () => {
    const root = await tempRoot();
    const store = new FsStore(root, { lockTimeoutMs: 50 });
    await store.put('busy', 'v1');
    await writeFile(join(root, '~lock.busy'), JSON.stringify({ pid: process.ppid, host: LOCK_HOST, token: 'live' }));
    const err = await store.put('busy', 'v2').catch((e: unknown) => e);
    expect((err as Error).name).toBe('RetryableError');
    expect((err as Error).message).toContain(`pid ${process.ppid}`);
    expect(Buffer.from((await store.get('busy'))!.body).toString()).toBe('v1');
    await rm(root, { recursive: true, force: true });
  });

  it('writes the body bytes first in its object files, readable without jobkit', async () => {
    const root = await tempRoot();
    const store = new FsStore(root, { fsync: false });
    await store.put('jobs/etl/manifest.json', '{"ok":true}');
    const raw = await readFile(join(root, 'jobs~', 'etl~', 'manifest.json'), 'utf8');
    expect(raw.startsWith('{"ok":true}')).toBe(true);
    expect(store.url).toBe(`file://${root}`);
    await rm(root, { recursive: true, force: true });
  });
});
