/**
 * A directory as a checkpoint (`jobkit exec --checkpoint-dir`): the listing
 * (relative path, type, mode, size, mtime) is the checkpoint's JSON state and
 * each regular file is one `{ file }` part, named by a hash of its path so the
 * same file has the same part name in every save (that is what lets an
 * unchanged file be reused instead of uploaded again). Files are streamed by
 * the checkpointer, never read into memory here.
 *
 * Walking records a fingerprint of every entry (inode, size, mtime, ctime);
 * {@link assertUnchanged} walks again before the commit, so a save during
 * which anything in the directory changed fails instead of committing a
 * directory that never existed as such (files from two different moments).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartSources } from '../../checkpoint/types.ts';
import { ConfigurationError } from '../../runtime/errors.ts';

/** The `format` of a directory checkpoint's state. */
export const DIR_STATE_FORMAT = 'jobkit.dir/1';

/** A subdirectory (possibly empty). */
export interface DirEntryDir {
  readonly type: 'dir';
  /** Relative to the checkpoint directory, `/`-separated. */
  readonly path: string;
  /** Permission bits (`0o755`). */
  readonly mode: number;
}

/** A regular file, stored as the part `part`. */
export interface DirEntryFile {
  readonly type: 'file';
  readonly path: string;
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly part: string;
}

/** A symbolic link, recorded as its target text (not followed). */
export interface DirEntryLink {
  readonly type: 'symlink';
  readonly path: string;
  readonly target: string;
}

/** One entry of a directory checkpoint. */
export type DirEntry = DirEntryDir | DirEntryFile | DirEntryLink;

/** The JSON state of a directory checkpoint. */
export interface DirState {
  readonly format: typeof DIR_STATE_FORMAT;
  /** Permission bits of the directory itself. */
  readonly mode: number;
  /** Every entry, parents before children, sorted by path. */
  readonly entries: readonly DirEntry[];
}

/** What one walk found: the state and parts of a save, the fingerprints to check before its commit. */
export interface DirSnapshot {
  readonly state: DirState;
  readonly parts: PartSources;
  /** Entries left out (sockets, FIFOs, devices), by relative path. */
  readonly skipped: readonly string[];
  /** Total bytes of the regular files. */
  readonly bytes: number;
  /** Fingerprint of every entry, by relative path ('' is the directory itself). */
  readonly fingerprints: ReadonlyMap<string, string>;
}

/**
 * The part name of the file at relative `path`: stable across saves, at most
 * 100 characters whatever the path's length.
 *
 * @example
 * ```ts
 * partNameFor('model/weights.pt'); // 'file-3f1c...' (69 characters)
 * ```
 */
export function partNameFor(path: string): string {
  return `file-${createHash('sha256').update(path, 'utf8').digest('hex')}`;
}

function fingerprint(st: Stats): string {
  return `${st.mode}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Names in byte order of their UTF-8 (the same order on every machine). */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Walk `dir` (not following symlinks) into the state and parts of a save.
 * `exclude` returns true for absolute paths to leave out.
 *
 * @example
 * ```ts
 * const snap = await snapshotDir('/work/state');
 * await cp.save(snap.state, snap.parts, { beforeCommit: () => assertUnchanged('/work/state', snap) });
 * ```
 */
export async function snapshotDir(dir: string, exclude: (path: string) => boolean = () => false): Promise<DirSnapshot> {
  const root = await lstat(dir);
  if (!root.isDirectory()) throw new Error(`the checkpoint directory ${dir} is not a directory`);
  const entries: DirEntry[] = [];
  const parts: Record<string, { readonly file: string }> = {};
  const skipped: string[] = [];
  const fingerprints = new Map<string, string>([['', fingerprint(root)]]);
  let bytes = 0;
  // Depth first, names sorted: parents come before their children.
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort(compareNames);
    for (const name of names) {
      const path = join(abs, name);
      if (exclude(path)) continue;
      const relPath = rel === '' ? name : `${rel}/${name}`;
      let st: Stats;
      try {
        st = await lstat(path);
      } catch (err) {
        // Removed since readdir: the directory is changing; the check before the commit fails this save.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          fingerprints.set(relPath, 'gone');
          continue;
        }
        throw err;
      }
      fingerprints.set(relPath, fingerprint(st));
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        entries.push({ type: 'dir', path: relPath, mode });
        await walk(path, relPath);
      } else if (st.isFile()) {
        const part = partNameFor(relPath);
        entries.push({ type: 'file', path: relPath, mode, size: st.size, mtimeMs: st.mtimeMs, part });
        parts[part] = { file: path };
        bytes += st.size;
      } else if (st.isSymbolicLink()) {
        entries.push({ type: 'symlink', path: relPath, target: await readlink(path) });
      } else {
        skipped.push(relPath);
      }
    }
  };
  await walk(dir, '');
  return { state: { format: DIR_STATE_FORMAT, mode: root.mode & 0o7777, entries }, parts, skipped, bytes, fingerprints };
}

/**
 * Throw when anything in `dir` changed since `snapshot` was taken: an entry
 * added, removed, replaced, written to or chmod-ed.
 *
 * @throws DirChangedError naming the first changed path.
 * @example
 * ```ts
 * await assertUnchanged('/work/state', snap); // throws if the program wrote meanwhile
 * ```
 */
export async function assertUnchanged(dir: string, snapshot: DirSnapshot, exclude: (path: string) => boolean = () => false): Promise<void> {
  const now = await snapshotDir(dir, exclude);
  for (const [path, fp] of now.fingerprints) {
    if (snapshot.fingerprints.get(path) !== fp) throw new DirChangedError(path === '' ? '.' : path);
  }
  for (const path of snapshot.fingerprints.keys()) if (!now.fingerprints.has(path)) throw new DirChangedError(path);
}

/** The directory changed while it was being saved: nothing was committed. */
export class DirChangedError extends Error {
  override readonly name = 'DirChangedError';
  /** The first changed entry, relative to the directory. */
  readonly path: string;

  constructor(path: string) {
    super(`the checkpoint directory changed while it was being saved (${JSON.stringify(path)}); nothing was committed`);
    this.path = path;
  }
}

const MODE_MAX = 0o7777;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A relative path that stays inside the directory: no absolute path, no `..`, no empty or `.` segment. */
function safeRelative(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.includes('\0')) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

function validMode(mode: unknown): mode is number {
  return typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= MODE_MAX;
}

/**
 * Check that a loaded checkpoint's state is a directory listing, safe to
 * restore: every path stays inside the directory, every parent is listed
 * before its children, every file names a part.
 *
 * @throws ConfigurationError when it is not (another program's checkpoint on this line: give it a scope of its own, JOBKIT_CHECKPOINT_SCOPE).
 * @example
 * ```ts
 * const state = parseDirState(loaded.state, loaded.parts);
 * ```
 */
export function parseDirState(value: unknown, parts: ReadonlyMap<string, unknown>): DirState {
  const fail = (why: string): never => {
    throw new ConfigurationError(`the latest checkpoint is not a directory checkpoint of jobkit exec --checkpoint-dir (${why})`);
  };
  if (!isRecord(value) || value.format !== DIR_STATE_FORMAT) return fail(`its state has no format "${DIR_STATE_FORMAT}"`);
  if (!validMode(value.mode) || !Array.isArray(value.entries)) return fail('bad mode or entries');
  const dirs = new Set<string>(['']);
  const seen = new Set<string>();
  for (const entry of value.entries as unknown[]) {
    if (!isRecord(entry) || !safeRelative(entry.path)) return fail(`bad entry path ${JSON.stringify(isRecord(entry) ? entry.path : entry)}`);
    const path = entry.path;
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!dirs.has(parent) || seen.has(path)) return fail(`entry ${JSON.stringify(path)} comes before its directory or twice`);
    seen.add(path);
    if (entry.type === 'dir') {
      if (!validMode(entry.mode)) return fail(`bad mode of ${JSON.stringify(path)}`);
      dirs.add(path);
    } else if (entry.type === 'file') {
      if (!validMode(entry.mode) || typeof entry.size !== 'number' || typeof entry.mtimeMs !== 'number') return fail(`bad file ${JSON.stringify(path)}`);
      if (typeof entry.part !== 'string' || !parts.has(entry.part)) return fail(`file ${JSON.stringify(path)} has no part`);
    } else if (entry.type === 'symlink') {
      if (typeof entry.target !== 'string' || entry.target === '') return fail(`bad link ${JSON.stringify(path)}`);
    } else {
      return fail(`entry ${JSON.stringify(path)} has an unknown type`);
    }
  }
  return value as unknown as DirState;
}
