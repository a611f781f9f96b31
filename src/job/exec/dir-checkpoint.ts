/**
 * `jobkit exec --checkpoint-dir DIR`: the program keeps its state in local
 * files; the supervisor restores DIR from the job's latest verified checkpoint
 * before the program starts and saves it, through `job.checkpoint` (so saves
 * are atomic, fenced, verified, counted and logged as any checkpoint):
 *
 * - every `checkpointEverySeconds`, while the program runs;
 * - when the program creates `$JOBKIT_CHECKPOINT_REQUEST` (removed once a
 *   checkpoint taken after it is committed), or on the checkpoint signal
 *   (SIGUSR1, handled by runJob's one listener: `job.checkpoint.requestSave`);
 * - once more after the program ended (the checkpointer's final save, in the
 *   shutdown budget), when nothing writes to DIR any more.
 *
 * Saves while the program runs go one at a time; a request during a save
 * makes one more save after it. A save during which anything in DIR changed
 * fails (nothing is committed) and is retried at the next trigger.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Checkpointer, CommitInfo } from '../../checkpoint/types.ts';
import { FencedError } from '../../runtime/errors.ts';
import type { JobLogger } from '../../runtime/types.ts';
import { DIR_REQUEST_POLL_MS, DIR_RETRY_AFTER_FAILURE_MS } from './constants.ts';
import { checkDirPlace, removeLeftovers, restoreDir, spoolDirOf } from './dir-restore.ts';
import { type DirSnapshot, assertUnchanged, snapshotDir } from './dir-state.ts';

/** What {@link prepareDirCheckpoint} needs. */
export interface DirCheckpointDeps {
  /** The directory, absolute. */
  readonly dir: string;
  /** Seconds between periodic saves; 0: none. */
  readonly everySeconds: number;
  readonly checkpoint: Checkpointer<unknown>;
  readonly log: JobLogger;
  /** Aborted when the job stops: saves in flight are abandoned, the final save takes over. */
  readonly stopSignal: AbortSignal;
}

/** A prepared directory checkpoint: DIR restored, saves not started yet. */
export interface DirCheckpoint {
  /** The variables of the child: JOBKIT_CHECKPOINT_DIR, _REQUEST, _COMMITTED. */
  readonly childEnv: Readonly<Record<string, string>>;
  /** Start periodic saves and watching the request file. */
  start(): void;
  /** Stop both and wait for a save in flight (aborted); the final save is the checkpointer's. */
  stop(): Promise<void>;
}

/**
 * Restore DIR and wire its saves into `job.checkpoint`.
 *
 * @example
 * ```ts
 * const dirCp = await prepareDirCheckpoint({ dir: '/work/state', everySeconds: 300, checkpoint: job.checkpoint, log: job.log, stopSignal: job.signal });
 * dirCp.start();
 * try { await runTheChild(dirCp.childEnv); } finally { await dirCp.stop(); }
 * ```
 */
export async function prepareDirCheckpoint(deps: DirCheckpointDeps): Promise<DirCheckpoint> {
  const { dir, checkpoint: cp, log } = deps;
  await checkDirPlace(dir);
  const removed = await removeLeftovers(dir);
  if (removed.length > 0) log.info({ dir, removed }, 'removed what a killed attempt left next to the checkpoint directory');
  const control = await mkdtemp(join(tmpdir(), 'jobkit-exec-checkpoint-'));
  const requestFile = join(control, 'request');
  const committedFile = join(control, 'committed');
  const writeCommitted = async (seq: number): Promise<void> => {
    const temp = `${committedFile}.${randomBytes(4).toString('hex')}`;
    await writeFile(temp, `${seq}\n`);
    await rename(temp, committedFile);
  };

  const started = performance.now();
  // Downloaded parts are spooled next to DIR (supervise sets spoolDir), so each is renamed into place.
  await mkdir(spoolDirOf(dir), { recursive: true });
  const loaded = await cp.load();
  try {
    if (loaded === undefined) {
      await mkdir(dir, { recursive: true });
      log.info({ dir }, 'no checkpoint yet: the checkpoint directory is left as it is');
    } else {
      const info = await restoreDir(dir, loaded);
      await writeCommitted(loaded.seq);
      log.info({ dir, seq: loaded.seq, ...info, durationMs: Math.round(performance.now() - started) }, 'checkpoint directory restored');
    }
  } finally {
    await loaded?.dispose();
    await rm(spoolDirOf(dir), { recursive: true, force: true });
  }

  // The final save (checkpointer's shutdown hook) runs when the program has ended: nothing writes any more.
  cp.track(async () => await snapshotDir(dir));

  let failures = 0;
  let running: Promise<void> | undefined;
  let pending: string | undefined;
  let stopped = false;
  let fenced = false;
  let timer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  const abort = new AbortController();
  const onStop = (): void => abort.abort(deps.stopSignal.reason);
  deps.stopSignal.addEventListener('abort', onStop, { once: true });

  const saveOnce = async (reason: string): Promise<void> => {
    const requestBefore = await requestStamp(requestFile);
    const begun = performance.now();
    let snap: DirSnapshot;
    let info: CommitInfo;
    try {
      snap = await snapshotDir(dir);
      // A failed SIGUSR1-era background save is reported once by the checkpointer: it was logged, do not fail this one with it.
      await cp.flush().catch(() => undefined);
      info = await cp.save(snap.state, snap.parts, { signal: abort.signal, beforeCommit: () => assertUnchanged(dir, snap) });
    } catch (err) {
      if (abort.signal.aborted) {
        log.info({ reason }, 'directory checkpoint abandoned (the program ended or the job is stopping): the final save takes over');
        return;
      }
      if (err instanceof FencedError) {
        // Another pod of this index took the checkpoint line over: no save of this one can ever commit.
        fenced = true;
        log.error({ err, reason }, 'directory checkpoint fenced by a newer writer: no more saves from this pod');
        return;
      }
      failures += 1;
      lastFailureAt = performance.now();
      log.warn({ err, reason, failedSaves: failures }, 'directory checkpoint not saved; the next trigger retries');
      return;
    }
    const durationMs = Math.round(performance.now() - begun);
    await writeCommitted(info.seq);
    if (requestBefore !== undefined && requestBefore === (await requestStamp(requestFile))) await rm(requestFile, { force: true });
    log.info(
      {
        reason,
        seq: info.seq,
        files: Object.keys(snap.parts).length,
        bytes: snap.bytes,
        uploadedBytes: info.uploadedBytes,
        reusedFiles: info.reusedParts.length,
        ...(snap.skipped.length > 0 ? { skipped: snap.skipped.slice(0, 20) } : {}),
        durationMs,
      },
      'directory checkpoint saved',
    );
  };

  const request = (reason: string): void => {
    // Once the job stops, the final save (after the program ended) is the only one.
    if (stopped || fenced || abort.signal.aborted) return;
    if (running !== undefined) {
      pending = reason;
      return;
    }
    running = (async () => {
      let next: string | undefined = reason;
      while (next !== undefined && !stopped) {
        pending = undefined;
        await saveOnce(next);
        next = pending;
      }
    })().finally(() => {
      running = undefined;
      armTimer();
    });
  };

  const armTimer = (): void => {
    clearTimeout(timer);
    if (stopped || deps.everySeconds <= 0) return;
    timer = setTimeout(() => request('periodic'), deps.everySeconds * 1000);
  };

  const poll = async (): Promise<void> => {
    if (stopped || fenced || abort.signal.aborted) return;
    if (running === undefined && performance.now() - lastFailureAt >= DIR_RETRY_AFTER_FAILURE_MS && (await requestStamp(requestFile)) !== undefined) {
      request('request-file');
    }
    if (!stopped) poller = setTimeout(() => void poll(), DIR_REQUEST_POLL_MS);
  };

  // The checkpoint signal (SIGUSR1) reaches job.checkpoint.requestSave: route it to this queue.
  cp.requestSave = (reason = 'requested'): boolean => {
    if (stopped || abort.signal.aborted) {
      log.info({ reason }, 'directory checkpoint requested, but the program ended or the job is stopping: the final save takes over');
      return false;
    }
    log.info({ reason }, 'directory checkpoint requested');
    request(reason);
    return true;
  };

  return {
    childEnv: { JOBKIT_CHECKPOINT_DIR: dir, JOBKIT_CHECKPOINT_REQUEST: requestFile, JOBKIT_CHECKPOINT_COMMITTED: committedFile },
    start: () => {
      armTimer();
      poller = setTimeout(() => void poll(), DIR_REQUEST_POLL_MS);
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(poller);
      abort.abort(new Error('the program ended'));
      deps.stopSignal.removeEventListener('abort', onStop);
      await running;
      await rm(control, { recursive: true, force: true });
    },
  };
}

/** The request file's identity (inode and mtime), or undefined when absent: a touch during the save is a new request. */
async function requestStamp(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}
