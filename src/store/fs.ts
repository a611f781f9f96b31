/**
 * The local-filesystem ObjectStore (`file:///path`), jobkit's embedded default.
 * Several local pods (`jobkit run`) may share one directory, so every
 * conditional guarantee of S3 holds here across processes too:
 *
 * - a write goes to a temp file in the target's directory (fsynced), then
 *   becomes visible in one atomic step; readers see the old or the new object,
 *   never a mix, and a crash leaves at most an invisible temp file;
 * - create-only (`ifNoneMatch: '*'`) is `link(temp, target)`, which fails when
 *   the target exists: exactly one of any number of concurrent creators wins,
 *   with no lock at all;
 * - compare-and-swap (`ifMatch`), unconditional replace and delete take a
 *   per-key lock file (fs-lock.ts) around "read the current etag, rename into
 *   place", so a check and its write are one atomic step for every process
 *   that uses the store, as on S3;
 * - the directory is fsynced after each rename/link/unlink, so an acknowledged
 *   write survives a power cut (disable with `fsync: false` for scratch data).
 *
 * Layout and key escaping: fs-layout.ts. File format: fs-object-file.ts.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, link, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { errnoCode, isMissing } from './errno.ts';
import { PreconditionFailedError } from './errors.ts';
import { streamingEtag } from './etag.ts';
import { isInternalName, listStart, objectPath, stemMayMatch, DIR_SUFFIX } from './fs-layout.ts';
import { withKeyLock } from './fs-lock.ts';
import { CorruptObjectFileError, encodeTrailer, readTrailer } from './fs-object-file.ts';
import { cachedProbe, probeCapabilities } from './probe.ts';
import type {
  DeleteOptions,
  GetOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutStreamOptions,
  StoreCapabilities,
  StoredObject,
  StoredStream,
} from './types.ts';
import { assertValidConditions, assertValidKey, assertValidPrefix, compareKeys, throwIfAborted, toBytes } from './validate.ts';

/** Options of {@link FsStore}. */
export interface FsStoreOptions {
  /**
   * fsync files and directories so acknowledged writes survive a crash of the
   * machine (default true). Turn off only for throwaway data.
   */
  readonly fsync?: boolean;
  /** A key lock older than this is broken (holder presumed dead). Default 30 000 ms. */
  readonly lockStaleMs?: number;
  /** Waiting longer than this for a key lock fails with RetryableError. Default 30 000 ms. */
  readonly lockTimeoutMs?: number;
}

interface TempFile {
  readonly path: string;
  readonly etag: string;
  readonly size: number;
}



/**
 * {@link ObjectStore} on a local directory, safe to share between processes.
 *
 * @example
 * ```ts
 * const store = new FsStore('/var/lib/jobkit/store');
 * await store.put('jobs/etl/manifest.json', '{}', { ifNoneMatch: '*' });
 * ```
 */
export class FsStore implements ObjectStore {
  readonly url: string;
  /** Absolute root directory. */
  readonly root: string;
  readonly #fsync: boolean;
  readonly #lockStaleMs: number;
  readonly #lockTimeoutMs: number;
  readonly #capabilities = cachedProbe(() => probeCapabilities(this));

  constructor(root: string, options: FsStoreOptions = {}) {
    this.root = resolve(root);
    this.url = pathToFileURL(this.root).href;
    this.#fsync = options.fsync ?? true;
    this.#lockStaleMs = options.lockStaleMs ?? 30_000;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  async get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    assertValidKey(key);
    throwIfAborted(options?.signal);
    const { file } = objectPath(this.root, key);
    const handle = await openIfExists(file);
    if (handle === undefined) return undefined;
    try {
      const { trailer, bodySize, mtime } = await readTrailer(handle, file);
      const body = Buffer.alloc(bodySize);
      if (bodySize > 0) await handle.read(body, 0, bodySize, 0);
      return { body, info: { key, size: bodySize, etag: trailer.etag, lastModified: mtime } };
    } finally {
      await handle.close();
    }
  }

  async getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    assertValidKey(key);
    throwIfAborted(options?.signal);
    const { file } = objectPath(this.root, key);
    const handle = await openIfExists(file);
    if (handle === undefined) return undefined;
    try {
      const { trailer, bodySize, mtime } = await readTrailer(handle, file);
      const info: ObjectInfo = { key, size: bodySize, etag: trailer.etag, lastModified: mtime };
      if (bodySize === 0) {
        await handle.close();
        return { body: Readable.from([]), info };
      }
      // The open handle pins this version: a concurrent replace cannot mix bodies.
      const body = handle.createReadStream({ start: 0, end: bodySize - 1, autoClose: true, signal: options?.signal });
      return { body, info };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    throwIfAborted(options?.signal);
    return await this.#info(objectPath(this.root, key).file);
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidConditions(options);
    throwIfAborted(options.signal);
    return await this.#write(key, [toBytes(body)], options);
  }

  async putStream(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidConditions(options);
    return await this.#write(key, body as AsyncIterable<Uint8Array | string>, options);
  }

  async *list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    throwIfAborted(options?.signal);
    const { dir, partial } = listStart(this.root, prefix);
    const found: ObjectInfo[] = [];
    await this.#collect(dir, partial, prefix, found, options?.signal);
    found.sort((a, b) => compareKeys(a.key, b.key));
    yield* found;
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key);
    assertValidConditions({ ifMatch: options.ifMatch });
    throwIfAborted(options.signal);
    const { dir, file, name } = objectPath(this.root, key);
    try {
      await withKeyLock(join(dir, `~lock.${name}`), JSON.stringify(key), this.#lockOptions(options.signal), async (confirm) => {
        if (options.ifMatch !== undefined) await this.#checkEtag(key, file, options.ifMatch, 'delete');
        await confirm();
        try {
          await unlink(file);
        } catch (err) {
          if (!isMissing(err)) throw err;
          return;
        }
        await this.#syncDir(dir);
      });
    } catch (err) {
      // No directory, no lock file: the key does not exist.
      if (!isMissing(err)) throw err;
      if (options.ifMatch !== undefined) throw new PreconditionFailedError(key, `conditional delete of "${key}" failed: the object does not exist`);
      return;
    }
    await this.#pruneEmptyDirs(dir);
  }

  capabilities(): Promise<StoreCapabilities> {
    return this.#capabilities();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #lockOptions(signal: AbortSignal | undefined): { staleMs: number; timeoutMs: number; signal: AbortSignal | undefined } {
    return { staleMs: this.#lockStaleMs, timeoutMs: this.#lockTimeoutMs, signal };
  }

  /** Metadata of the object file, keyed by the key recorded in its trailer. */
  async #info(file: string): Promise<ObjectInfo | undefined> {
    const handle = await openIfExists(file);
    if (handle === undefined) return undefined;
    try {
      const { trailer, bodySize, mtime } = await readTrailer(handle, file);
      return { key: trailer.key, size: bodySize, etag: trailer.etag, lastModified: mtime };
    } finally {
      await handle.close();
    }
  }

  async #checkEtag(key: string, file: string, expected: string, op: 'write' | 'delete'): Promise<void> {
    const current = await this.#info(file);
    if (current?.etag !== expected) {
      throw new PreconditionFailedError(
        key,
        current === undefined
          ? `conditional ${op} of "${key}" failed: the object does not exist`
          : `conditional ${op} of "${key}" failed: its etag is now ${current.etag}`,
      );
    }
  }

  /** Write the body to a temp file, then make it the object under the conditions. */
  async #write(
    key: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array | string>,
    options: PutOptions,
  ): Promise<ObjectInfo> {
    const { dir, file, name } = objectPath(this.root, key);
    const temp = await this.#writeTemp(dir, key, chunks, options);
    try {
      if (options.ifNoneMatch === '*') {
        await this.#createOnly(key, dir, file, name, temp.path, options.signal);
      } else {
        await withKeyLock(join(dir, `~lock.${name}`), JSON.stringify(key), this.#lockOptions(options.signal), async (confirm) => {
          if (options.ifMatch !== undefined) await this.#checkEtag(key, file, options.ifMatch, 'write');
          await confirm();
          await rename(temp.path, file);
        });
      }
      await this.#syncDir(dir);
      return { key, size: temp.size, etag: temp.etag, lastModified: new Date() };
    } finally {
      // After a link (create-only) or a failed condition the temp name remains.
      await unlink(temp.path).catch(() => undefined);
    }
  }

  async #createOnly(key: string, dir: string, file: string, name: string, tempPath: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await link(tempPath, file);
      return;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') throw new PreconditionFailedError(key, `create-only write of "${key}" failed: the object already exists`);
      // File systems without hard links: same guarantee through the key lock.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    }
    await withKeyLock(join(dir, `~lock.${name}`), JSON.stringify(key), this.#lockOptions(signal), async (confirm) => {
      if ((await this.#info(file)) !== undefined) {
        throw new PreconditionFailedError(key, `create-only write of "${key}" failed: the object already exists`);
      }
      await confirm();
      await rename(tempPath, file);
    });
  }

  async #writeTemp(
    dir: string,
    key: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array | string>,
    options: PutOptions,
  ): Promise<TempFile> {
    const path = join(dir, `~tmp.${randomUUID()}`);
    const handle = await this.#createTempFile(dir, path);
    try {
      const etag = streamingEtag();
      let size = 0;
      // A body in hand goes out with its trailer in one writev; a stream chunk by chunk.
      const pending: Uint8Array[] = [];
      for await (const chunk of chunks) {
        throwIfAborted(options.signal);
        const bytes = toBytes(chunk);
        etag.update(bytes);
        size += bytes.byteLength;
        if (Array.isArray(chunks)) pending.push(bytes);
        else await handle.write(bytes);
      }
      throwIfAborted(options.signal);
      const digest = etag.digest();
      await handle.writev([...pending, encodeTrailer({ key, etag: digest, contentType: options.contentType })]);
      if (this.#fsync) await handle.sync();
      await handle.close();
      return { path, etag: digest, size };
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
  }

  /** Create the temp file, (re)creating its directory if a concurrent delete pruned it. */
  async #createTempFile(dir: string, path: string): Promise<FileHandle> {
    for (let attempt = 0; ; attempt++) {
      try {
        // Another process may remove an emptied parent directory (e.g. probe
        // clean-up) between our mkdir and open, or even during mkdir. That
        // shows as ENOENT, and, from Node's recursive mkdir when a parent
        // vanishes between its create and its check, as ENOTDIR: both are
        // retried. A file really in the way keeps failing and is thrown.
        await this.#ensureDir(dir);
        return await open(path, 'wx');
      } catch (err) {
        const code = errnoCode(err);
        if ((code !== 'ENOENT' && code !== 'ENOTDIR') || attempt >= 10) throw err;
      }
    }
  }

  async #ensureDir(dir: string): Promise<void> {
    const created = await mkdir(dir, { recursive: true });
    if (created === undefined || !this.#fsync) return;
    // Persist every new directory entry, from the deepest new directory up.
    for (let p = dir; p.length >= created.length; p = dirname(p)) await this.#syncDir(p);
    await this.#syncDir(dirname(created));
  }

  async #syncDir(dir: string): Promise<void> {
    if (!this.#fsync) return;
    try {
      const handle = await open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      // Some platforms cannot fsync a directory; the rename is still atomic.
      if (errnoCode(err) !== 'EISDIR' && errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EPERM') throw err;
    }
  }

  /** Remove directories left empty by a delete, up to the root. A racing writer recreates them. */
  async #pruneEmptyDirs(dir: string): Promise<void> {
    for (let p = dir; p.length > this.root.length && p.endsWith(DIR_SUFFIX); p = dirname(p)) {
      try {
        await rmdir(p);
      } catch {
        return;
      }
    }
  }

  async #collect(dir: string, partial: string, prefix: string, out: ObjectInfo[], signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (isInternalName(entry.name)) {
        await sweepAbandoned(join(dir, entry.name));
        continue;
      }
      const child = join(dir, entry.name);
      if (entry.isDirectory() && entry.name.endsWith(DIR_SUFFIX)) {
        if (partial === '' || stemMayMatch(entry.name.slice(0, -DIR_SUFFIX.length), partial)) {
          await this.#collect(child, '', prefix, out, signal);
        }
      } else if (entry.isFile() && (partial === '' || stemMayMatch(entry.name, partial))) {
        try {
          const info = await this.#info(child);
          if (info?.key.startsWith(prefix)) out.push(info);
        } catch (err) {
          // A stray file dropped into the store directory is not an object.
          if (!(err instanceof CorruptObjectFileError)) throw err;
        }
      }
    }
  }


}

/** A temp file untouched this long was left by a process that died mid-write. */
const ABANDONED_TEMP_MS = 24 * 60 * 60 * 1000;

/** Delete a temp file (or broken-lock file) abandoned by a crashed writer; listing finds them. */
async function sweepAbandoned(path: string): Promise<void> {
  try {
    if (Date.now() - (await stat(path)).mtimeMs > ABANDONED_TEMP_MS && /\/~(tmp\.|lock\..*\.broken-)/.test(path)) await unlink(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (err) {
    if (isMissing(err) || errnoCode(err) === 'EISDIR') return undefined;
    throw err;
  }
}
