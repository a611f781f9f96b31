/**
 * The writer of this attempt's records: the start record at start (and the
 * pruning of records past `keep`), the in-progress marks of job.item, and the
 * end record in a shutdown hook.
 *
 * Every write goes to this attempt's own keys (its id holds the pod UID), so
 * duplicate pods of one index never touch each other's records and no write
 * needs a condition. The start record is rewritten whole (group commit: marks
 * made while a write is in flight share the next write); a mark is durable
 * before its item runs, so a process killed inside the item leaves its key in
 * the record. Clearing a finished item's mark is lazy: the next mark replaces
 * it in the same write, so a run of items costs one write per item.
 */
import { exitClassOf } from '../../runtime/exit-codes.ts';
import type { JobIdentity, JobLogger, Lifecycle } from '../../runtime/types.ts';
import type { ObjectStore } from '../../store/types.ts';
import { exitCodeForReason } from '../../telemetry/metrics.ts';
import { mapBounded } from '../../util/bounded.ts';
import { END_RECORD_BUDGET_MS, MAX_IN_PROGRESS, RECORD_CONCURRENCY } from './constants.ts';
import { type AttemptProgress, type AttemptStartRecord, encodeAttemptRecord } from './format.ts';
import { attemptKey } from './keys.ts';

/** Dependencies of {@link createAttemptRecorder}. */
export interface AttemptRecorderDeps {
  readonly store: ObjectStore;
  readonly identity: JobIdentity;
  readonly log: JobLogger;
  readonly lifecycle: Lifecycle;
  /** {@link attemptsPrefix} of the index. */
  readonly prefix: string;
  readonly id: string;
  readonly attempt: number;
  readonly attemptSource: AttemptStartRecord['attemptSource'];
  readonly startedAtMs: number;
  /** Progress so far (read from the job's metrics: nothing is counted twice). */
  readonly progress: () => AttemptProgress;
  /** Items quarantined so far by this attempt. */
  readonly quarantined: () => number;
  readonly clearAfterMs: number;
  readonly now?: () => number;
}

/** This attempt's record writer. */
export interface AttemptRecorder {
  /** Write the start record and register the end-record hook. */
  start(): Promise<void>;
  /** Delete the records of `ids` (older attempts past the bound). Failures are logged, not thrown. */
  prune(ids: readonly string[]): Promise<void>;
  /** Mark `key` in progress; resolves once the mark is durable. False when too many are marked already (not marked). */
  mark(key: string): Promise<boolean>;
  /** The item is done: its mark is cleared lazily. */
  unmark(key: string): void;
  /** The exit code the process will end with (from runJob, before the shutdown hooks). */
  finished(exitCode: number): void;
}

/**
 * Create the writer of one attempt's records.
 *
 * @example
 * ```ts
 * const recorder = createAttemptRecorder({ store, identity, log, lifecycle, prefix, id, attempt: 0, attemptSource: 'platform',
 *   startedAtMs: Date.now(), progress: () => ({ items: 0, position: null }), quarantined: () => 0, clearAfterMs: 1_000 });
 * await recorder.start();
 * if (await recorder.mark('row-17')) { await work(); recorder.unmark('row-17'); }
 * ```
 */
export function createAttemptRecorder(deps: AttemptRecorderDeps): AttemptRecorder {
  const { store, identity, log, prefix, id } = deps;
  const now = deps.now ?? Date.now;
  const startKey = attemptKey(prefix, id, 'start');
  const inProgress = new Set<string>();
  let version = 0;
  let durable = -1;
  let writing: Promise<void> | undefined;
  let clearTimer: NodeJS.Timeout | undefined;
  let exitCode: number | undefined;
  let warnedFull = false;

  const startRecord = (): AttemptStartRecord => ({
    v: 1,
    phase: 'start',
    id,
    attempt: deps.attempt,
    attemptSource: deps.attemptSource,
    pod: identity.podName ?? null,
    podUid: identity.podUid ?? null,
    node: identity.nodeName ?? null,
    startedAt: deps.startedAtMs,
    writtenAt: now(),
    progress: deps.progress(),
    inProgress: [...inProgress],
  });

  // Resolves once a write holding version `target` (or a later one) has landed.
  const flush = async (): Promise<void> => {
    const target = version;
    while (durable < target) {
      if (writing !== undefined) {
        await writing.catch(() => undefined);
        continue;
      }
      const v = version;
      writing = store.put(startKey, encodeAttemptRecord(startRecord()), { contentType: 'application/json' }).then(
        () => {
          durable = Math.max(durable, v);
        },
      );
      try {
        await writing;
      } finally {
        writing = undefined;
      }
    }
  };

  const endHook = async ({ reason, signal }: { reason: Parameters<typeof exitCodeForReason>[0]; signal: AbortSignal }): Promise<void> => {
    clearTimeout(clearTimer);
    const endedAt = now();
    // An exit code from runJob; else what the reason implies (`failed` without one: the crash class).
    const code = exitCode ?? exitCodeForReason(reason) ?? 70;
    const body = encodeAttemptRecord({
      v: 1,
      phase: 'end',
      id,
      endedAt,
      durationMs: Math.max(0, endedAt - deps.startedAtMs),
      exitCode: code,
      exitClass: exitClassOf(code) ?? null,
      reason,
      progress: deps.progress(),
      quarantined: deps.quarantined(),
    });
    await store.put(attemptKey(prefix, id, 'end'), body, { contentType: 'application/json', signal });
  };

  return {
    async start() {
      await flush();
      // After the checkpoint's final save (phase checkpoint), so the progress recorded is saved; a failure is logged by the lifecycle.
      deps.lifecycle.onShutdown({ name: 'attempts.end-record', phase: 'release', budgetMs: END_RECORD_BUDGET_MS, run: endHook });
    },
    async prune(ids) {
      await mapBounded(ids, RECORD_CONCURRENCY, async (old) => {
        for (const phase of ['end', 'start'] as const) {
          try {
            await store.delete(attemptKey(prefix, old, phase));
          } catch (err) {
            log.warn({ err, attempt: old }, 'could not delete an old attempt record (kept; the next attempt tries again)');
          }
        }
      });
    },
    async mark(key) {
      if (inProgress.size >= MAX_IN_PROGRESS && !inProgress.has(key)) {
        if (!warnedFull) log.warn({ max: MAX_IN_PROGRESS }, `more than ${MAX_IN_PROGRESS} items in progress at once: the others run unmarked (no crash detection)`);
        warnedFull = true;
        return false;
      }
      clearTimeout(clearTimer);
      clearTimer = undefined;
      inProgress.add(key);
      version++;
      await flush();
      return true;
    },
    unmark(key) {
      if (!inProgress.delete(key)) return;
      version++;
      if (clearTimer !== undefined) return;
      clearTimer = setTimeout(() => {
        clearTimer = undefined;
        flush().catch((err: unknown) => log.warn({ err }, 'could not clear an in-progress mark (the next write does)'));
      }, deps.clearAfterMs);
      clearTimer.unref();
    },
    finished(code) {
      exitCode = code;
    },
  };
}
