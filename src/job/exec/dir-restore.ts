/**
 * Restoring a directory checkpoint without ever exposing a torn directory:
 * the checkpoint is written into a temporary sibling of the directory
 * (`.<name>.jobkit-restore-<random>`), checked, then swapped into place by
 * two renames (the old content goes to `.<name>.jobkit-old-<random>`, then
 * is deleted). A SIGKILL at any instant leaves the directory with its old
 * content, or absent (between the two renames), never half-written; the
 * leftovers are removed by the next attempt before it restores again.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LoadedCheckpoint, LoadedPart } from '../../checkpoint/types.ts';
import { ConfigurationError } from '../../runtime/errors.ts';
import { type DirState, parseDirState } from './dir-state.ts';

/**
 * Delete a tree, also one with read-only directories (a restored checkpoint
 * keeps the modes it had): on EACCES, directories are made writable first.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    const open = async (dir: string): Promise<void> => {
      await chmod(dir, 0o700);
      for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) await open(join(dir, entry.name));
    };
    await open(path);
    await rm(path, { recursive: true, force: true });
  }
}

/** The names of the siblings of `dir` that jobkit owns (temporary, removed on the next start). */
export function siblingPrefix(dir: string): string {
  return `.${basename(dir)}.jobkit-`;
}

/** The spool directory of a restore (the checkpointer writes downloaded parts there): a sibling, so a part is renamed into place, not copied. */
export function spoolDirOf(dir: string): string {
  return join(dirname(dir), `${siblingPrefix(dir)}spool`);
}

/**
 * Remove what a killed attempt left next to `dir`: restore and old copies, the
 * spool. Returns the names removed.
 *
 * @example
 * ```ts
 * await removeLeftovers('/work/state'); // ['.state.jobkit-restore-3fa1...']
 * ```
 */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const prefix = siblingPrefix(dir);
  const parent = dirname(dir);
  const removed: string[] = [];
  for (const name of await readdir(parent)) {
    if (!name.startsWith(prefix)) continue;
    await removeTree(join(parent, name));
    removed.push(name);
  }
  return removed;
}

/**
 * Make sure `dir` can be restored by a rename: it is not a mount point (a
 * volume mounted on the directory itself cannot be renamed, and its sibling is
 * on another filesystem), and its parent exists (created when missing).
 *
 * @throws ConfigurationError naming the flag when `dir` is a mount point, a symlink or not a directory.
 */
export async function checkDirPlace(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const own = await lstat(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (own === undefined) return;
  if (own.isSymbolicLink()) throw new ConfigurationError(`--checkpoint-dir ${dir} is a symlink: give the directory's real path`);
  if (!own.isDirectory()) throw new ConfigurationError(`--checkpoint-dir ${dir} exists and is not a directory`);
  const parent = await stat(dirname(dir));
  if (parent.dev !== own.dev) {
    throw new ConfigurationError(
      `--checkpoint-dir ${dir} is a mount point: jobkit restores by renaming a sibling into place, so mount the volume at its parent and use a subdirectory (e.g. mount at /state, --checkpoint-dir /state/dir)`,
    );
  }
}

/** What a restore did. */
export interface RestoreInfo {
  readonly files: number;
  readonly dirs: number;
  readonly links: number;
  readonly bytes: number;
}

async function writePart(part: LoadedPart, target: string): Promise<void> {
  if (part.path !== undefined) {
    try {
      await rename(part.path, target);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    }
  }
  await pipeline(part.stream(), createWriteStream(target, { flags: 'wx' }));
}

/**
 * Replace `dir` with the directory of `loaded` (already verified by load):
 * written into a temporary sibling, checked, renamed into place.
 *
 * @throws ConfigurationError when the checkpoint is not a directory checkpoint.
 * @example
 * ```ts
 * await using loaded = await job.checkpoint.load();
 * if (loaded !== undefined) await restoreDir('/work/state', loaded);
 * ```
 */
export async function restoreDir(dir: string, loaded: LoadedCheckpoint<unknown>): Promise<RestoreInfo> {
  const state: DirState = parseDirState(loaded.state, loaded.parts);
  const parent = dirname(dir);
  const prefix = siblingPrefix(dir);
  const temp = join(parent, `${prefix}restore-${randomBytes(6).toString('hex')}`);
  await mkdir(temp, { mode: 0o700 });
  let files = 0;
  let dirs = 0;
  let links = 0;
  let bytes = 0;
  for (const entry of state.entries) {
    const target = join(temp, ...entry.path.split('/'));
    if (entry.type === 'dir') {
      await mkdir(target, { mode: 0o700 });
      dirs += 1;
    } else if (entry.type === 'symlink') {
      await symlink(entry.target, target);
      links += 1;
    } else {
      const part = loaded.parts.get(entry.part);
      if (part === undefined) throw new Error(`directory checkpoint ${loaded.seq}: no part for ${entry.path}`);
      await writePart(part, target);
      const written = await lstat(target);
      if (!written.isFile() || written.size !== entry.size) {
        throw new Error(`directory checkpoint ${loaded.seq}: ${entry.path} restored with ${written.size} bytes, expected ${entry.size}`);
      }
      await chmod(target, entry.mode);
      await utimes(target, new Date(), new Date(entry.mtimeMs));
      files += 1;
      bytes += entry.size;
    }
  }
  // Modes of directories last, deepest first: a read-only directory is filled before it is closed.
  for (const entry of [...state.entries].reverse()) if (entry.type === 'dir') await chmod(join(temp, ...entry.path.split('/')), entry.mode);
  await chmod(temp, state.mode);
  const existing = await lstat(dir).catch(() => undefined);
  if (existing === undefined) {
    await rename(temp, dir);
  } else {
    const old = join(parent, `${prefix}old-${randomBytes(6).toString('hex')}`);
    await rename(dir, old);
    await rename(temp, dir);
    await removeTree(old);
  }
  return { files, dirs, links, bytes };
}
