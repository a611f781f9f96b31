/**
 * The secrets volume reader against a directory laid out and rotated exactly
 * as the kubelet's AtomicWriter does it: `..<timestamp>` dir with the files,
 * `..data` symlink to it, `key -> ..data/key` per key; an update writes a new
 * timestamped dir, points `..data_tmp` at it, renames it over `..data` and
 * removes the old dir.
 */
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { InvalidSecretNameError, SecretNotFoundError, SecretsVolume } from '../../../src/runtime/secrets-volume.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

let stamp = 0;
/** One kubelet update: returns the new timestamped dir's name. */
async function kubeletWrite(dir: string, files: Record<string, string>, previous?: string): Promise<string> {
  const ts = `..2026_12_03_17_00_00.${String(++stamp).padStart(9, '0')}`;
  await mkdir(join(dir, ts));
  for (const [k, v] of Object.entries(files)) await writeFile(join(dir, ts, k), v);
  await symlink(ts, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const k of Object.keys(files)) await symlink(join('..data', k), join(dir, k)).catch(() => undefined);
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true, force: true });
  return ts;
}

async function volume(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jobkit-secrets-'));
  dirs.push(dir);
  return dir;
}

describe('SecretsVolume', () => {
  it('reads the current value through ..data, and every read during rotations sees a whole old or new set', async () => {
    const dir = await volume();
    let ts = await kubeletWrite(dir, { user: 'user-0', password: 'password-0' });
    const secrets = new SecretsVolume({ dir });
    expect(await secrets.get('password')).toBe('password-0');
    let stop = false;
    const seen = new Set<string>();
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const [u, p] = await Promise.all([secrets.get('user'), secrets.get('password')]);
        reads++;
        // Both keys read in the same call can straddle a swap; each alone is whole.
        expect(u).toMatch(/^user-\d+$/);
        expect(p).toMatch(/^password-\d+$/);
        seen.add(p);
      }
    })();
    for (let i = 1; i <= 50; i++) {
      ts = await kubeletWrite(dir, { user: `user-${i}`, password: `password-${i}` }, ts);
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await reader;
    expect(await secrets.get('password')).toBe('password-50');
    expect(reads).toBeGreaterThan(10);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('reads a plain directory (no ..data) file by file, and a missing key is a configuration error', async () => {
    const dir = await volume();
    await writeFile(join(dir, 'token'), 'tok-1\n');
    const secrets = new SecretsVolume({ dir });
    expect(await secrets.get('token')).toBe('tok-1\n');
    await writeFile(join(dir, 'token'), 'tok-2\n');
    expect(await secrets.get('token')).toBe('tok-2\n');
    const err = await secrets.get('absent').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretNotFoundError);
    expect(exitCodeOf(err)).toBe(78);
  });

  it('refuses names that leave the volume or name the kubelet files', async () => {
    const secrets = new SecretsVolume({ dir: await volume() });
    for (const name of ['../etc/passwd', '..data', '.', '..', 'a/b', '', '/abs', 'a\0b']) {
      await expect(secrets.get(name)).rejects.toBeInstanceOf(InvalidSecretNameError);
    }
  });

  it('watch and values report each rotation; onValue sees every value read', async () => {
    const dir = await volume();
    let ts = await kubeletWrite(dir, { token: 'token-a' });
    const read: string[] = [];
    const secrets = new SecretsVolume({ dir, pollMs: 20, onValue: (v) => read.push(v) });
    const abort = new AbortController();
    const iterated: string[] = [];
    const iterating = (async () => {
      for await (const v of secrets.values('token', { signal: abort.signal })) iterated.push(v);
    })();
    const changes: string[] = [];
    const stop = secrets.watch('token', (v) => changes.push(v));
    await new Promise((r) => setTimeout(r, 60));
    ts = await kubeletWrite(dir, { token: 'token-b' }, ts);
    await expect.poll(() => changes, { timeout: 2_000 }).toEqual(['token-b']);
    await kubeletWrite(dir, { token: 'token-c' }, ts);
    await expect.poll(() => changes, { timeout: 2_000 }).toEqual(['token-b', 'token-c']);
    await expect.poll(() => iterated, { timeout: 2_000 }).toEqual(['token-a', 'token-b', 'token-c']);
    stop();
    abort.abort();
    await iterating;
    expect(read).toEqual(expect.arrayContaining(['token-a', 'token-b', 'token-c']));
  });
});
