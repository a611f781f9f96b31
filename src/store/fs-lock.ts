/**
 * Per-key mutual exclusion across processes for the fs store, built on
 * `open(O_CREAT | O_EXCL)`: creating the lock file succeeds for exactly one
 * process. It guards the short "check the current etag, then rename the new
 * file into place" step of compare-and-swap writes, unconditional writes and
 * deletes; the body itself is written to a temp file before the lock is taken,
 * so the lock is held for a few system calls only.
 *
 * Node has no flock(2), so a holder that dies (SIGKILL) leaves its lock file
 * behind. The file records the holder's pid, host (and PID namespace) and a
 * random token; a waiter treats it as stale when the holder is a dead process
 * on this host, or when
 * it is older than `staleMs` (holders on other hosts sharing the directory).
 * Breaking a stale lock renames it aside first, then checks the token: if the
 * file taken aside is not the stale one (another waiter broke it and someone
 * re-locked in between), it is linked back at once. The residual window (two
 * system calls, only after a holder died inside its few-syscall critical
 * section, with several waiters racing) is the price of having no kernel lock;
 * a holder also re-checks its token just before committing.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError } from '../runtime/errors.ts';
import { errnoCode } from './errno.ts';

/** Options of {@link withKeyLock}. */
export interface KeyLockOptions {
  /** A lock older than this is stale whoever holds it. */
  readonly staleMs: number;
  /** Give up waiting after this long (RetryableError). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/**
 * Who can check our pid: same host name AND same PID namespace (containers
 * sharing a host name and a volume may see different processes under one pid).
 */
export const LOCK_HOST = ((): string => {
  try {
    return `${hostname()}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return hostname();
  }
})();

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return { pid: parsed.pid, host: parsed.host, token: parsed.token };
    }
  } catch {
    // Missing, or being written right now: judged by its age alone.
  }
  return undefined;
}

function processIsDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return errnoCode(err) === 'ESRCH';
  }
}

async function isStale(lockPath: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner !== undefined && owner.host === LOCK_HOST && owner.pid !== process.pid && processIsDead(owner.pid)) return true;
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > staleMs;
  } catch {
    return false; // gone already: the next attempt will take it
  }
}

/** Remove the lock file if it still is the stale one we judged (see the module comment). */
async function breakStaleLock(lockPath: string, staleToken: string | undefined): Promise<void> {
  const aside = `${lockPath}.broken-${randomUUID()}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  const taken = await readOwner(aside);
  if (staleToken !== undefined && taken !== undefined && taken.token !== staleToken) {
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

async function acquire(lockPath: string, what: string, options: KeyLockOptions): Promise<string> {
  const token = randomUUID();
  const content = JSON.stringify({ pid: process.pid, host: LOCK_HOST, token, at: new Date().toISOString() });
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      await writeFile(lockPath, content, { flag: 'wx' });
      return token;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const owner = await readOwner(lockPath);
    if (await isStale(lockPath, owner, options.staleMs)) {
      await breakStaleLock(lockPath, owner?.token);
      continue;
    }
    if (Date.now() > deadline) {
      const holder = owner === undefined ? 'an unknown holder' : `pid ${owner.pid} on ${owner.host}`;
      throw new RetryableError(`timed out after ${options.timeoutMs} ms waiting for the fs store lock of ${what} held by ${holder}`);
    }
    // Jittered exponential backoff, capped low: critical sections last microseconds.
    await sleep(Math.random() * Math.min(50, 2 ** Math.min(attempt, 6)), undefined, { signal: options.signal });
  }
}

/** Whether this process still holds the lock (nobody judged it stale and broke it). */
async function stillHeld(lockPath: string, token: string): Promise<boolean> {
  return (await readOwner(lockPath))?.token === token;
}

/**
 * Run `critical` while holding the lock file `lockPath`. `critical` receives a
 * `confirm()` to call just before its irreversible step; it throws a
 * RetryableError if the lock was broken meanwhile.
 *
 * @example
 * ```ts
 * await withKeyLock(dir + '/~lock.k', '"k"', { staleMs: 30_000, timeoutMs: 30_000 }, async (confirm) => {
 *   await confirm();
 *   await rename(temp, target);
 * });
 * ```
 */
export async function withKeyLock<T>(
  lockPath: string,
  what: string,
  options: KeyLockOptions,
  critical: (confirm: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const token = await acquire(lockPath, what, options);
  try {
    return await critical(async () => {
      if (!(await stillHeld(lockPath, token))) {
        throw new RetryableError(`the fs store lock of ${what} was broken while held (this process was too slow)`);
      }
    });
  } finally {
    if (await stillHeld(lockPath, token)) await unlink(lockPath).catch(() => undefined);
  }
}
