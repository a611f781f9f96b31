/**
 * The attempt lineage of one run, put together at start: read the previous
 * attempts of this index and its dead letters, write this attempt's start
 * record (pruning records past `keep`), log the first line ("attempt 3;
 * previous: ..."), and build `job.attempts` and `job.item`.
 *
 * Advisory: a record that cannot be read is skipped with a warning, and a
 * store that fails here is logged and leaves the lineage unrecorded for this
 * attempt (items then run unmarked); it never stops the job.
 */
import { performance } from 'node:perf_hooks';
import type { JobIdentity, JobLogger, Lifecycle } from '../../runtime/types.ts';
import type { ObjectStore } from '../../store/types.ts';
import type { JobMetrics } from '../../telemetry/metrics.ts';
import type { AttemptsSettings } from './config.ts';
import { attemptsPrefix, newAttemptId, quarantinePrefix } from './keys.ts';
import { jobAttempts, readLineage } from './lineage.ts';
import { createItemRunner, listDeadLetterNames, type ItemRunner } from './quarantine.ts';
import { type AttemptRecorder, createAttemptRecorder } from './recorder.ts';
import type { JobAttempts, PastAttempt } from './types.ts';

/** Dependencies of {@link startAttempts}. */
export interface StartAttemptsDeps {
  /** Undefined when attempts are not recorded (no store configured, or `attempts: false`). */
  readonly store: (() => ObjectStore) | undefined;
  readonly identity: JobIdentity;
  readonly log: JobLogger;
  readonly lifecycle: Lifecycle;
  readonly metrics: JobMetrics;
  readonly settings: AttemptsSettings;
  readonly now?: () => number;
}

/** The lineage of this run, for runJob. */
export interface StartedAttempts {
  readonly attempts: JobAttempts;
  readonly items: ItemRunner;
  /** The exit code (before the shutdown hooks write the end record). */
  finished(exitCode: number): void;
}

/**
 * Start the lineage of this attempt (see the file comment).
 *
 * @example
 * ```ts
 * const started = await startAttempts({ store: () => store, identity, log, lifecycle, metrics, settings });
 * started.attempts.describe(); // 'attempt 2; previous: crashed at item 900 on "row-17" after 3 min (no end record)'
 * ```
 */
export async function startAttempts(deps: StartAttemptsDeps): Promise<StartedAttempts> {
  const { identity, log, lifecycle, metrics, settings } = deps;
  const now = deps.now ?? Date.now;
  const startedAtMs = now();
  const unrecorded = (previous: readonly PastAttempt[] = []): StartedAttempts => {
    const attempts = jobAttempts({ recorded: false, id: '', attempt: identity.attempt ?? 0, previous });
    const items = createItemRunner({
      store: () => {
        throw new TypeError('unreachable: no store without a recorder');
      },
      identity, log, metrics, recorder: undefined, attemptId: '', prefix: '', previous, quarantined: new Set(), quarantineAfter: settings.quarantineAfter, signal: lifecycle.signal,
    });
    return { attempts, items, finished: () => undefined };
  };
  if (deps.store === undefined) return unrecorded();

  const began = performance.now();
  let store: ObjectStore;
  let recorder: AttemptRecorder;
  let previous: readonly PastAttempt[];
  let quarantined: Set<string>;
  let id: string;
  let attempt: number;
  // Read by the end record; the runner is built once the recorder exists.
  let quarantinedCount = (): number => 0;
  try {
    store = deps.store();
    const prefix = attemptsPrefix(identity);
    // One more than kept: the oldest of them is pruned once this attempt's record is written.
    const lineage = await readLineage({ store, prefix, limit: settings.keep, signal: lifecycle.signal });
    for (const problem of lineage.problems) log.warn({ problem }, 'an attempt record could not be read: skipped');
    previous = lineage.attempts;
    quarantined = await listDeadLetterNames(store, quarantinePrefix(identity), lifecycle.signal);
    id = newAttemptId(startedAtMs, identity.podUid);
    attempt = identity.attempt ?? (previous[0] === undefined ? 0 : previous[0].attempt + 1);
    recorder = createAttemptRecorder({
      store,
      identity,
      log,
      lifecycle,
      prefix,
      id,
      attempt,
      attemptSource: identity.attempt === undefined ? 'sequence' : 'platform',
      startedAtMs,
      progress: () => {
        const p = metrics.progress();
        return { items: p.items.processed, position: p.share?.position ?? null };
      },
      quarantined: () => quarantinedCount(),
      clearAfterMs: settings.clearAfterMs,
      now,
    });
    await recorder.start();
    const excess = lineage.ids.length + 1 - settings.keep;
    if (excess > 0) await recorder.prune(lineage.ids.slice(0, excess));
  } catch (err) {
    if (lifecycle.signal.aborted) throw err;
    log.warn({ err }, 'attempt lineage unavailable (the store failed): this attempt is not recorded and items run unmarked');
    return unrecorded();
  }
  const items = createItemRunner({
    store: () => store,
    identity,
    log,
    metrics,
    recorder,
    attemptId: id,
    prefix: quarantinePrefix(identity),
    previous,
    quarantined,
    quarantineAfter: settings.quarantineAfter,
    signal: lifecycle.signal,
    now,
  });
  quarantinedCount = () => items.quarantinedCount;
  const attempts = jobAttempts({ recorded: true, id, attempt, previous });
  const last = previous[0];
  log.info(
    {
      lineage: {
        attempt,
        id,
        previous: previous.slice(0, 3).map((a) => ({ id: a.id, outcome: a.outcome, exitCode: a.exitCode, itemsDone: a.itemsDone, inProgress: a.inProgress })),
        lastOutcome: last?.outcome ?? null,
        ms: Math.round(performance.now() - began),
      },
    },
    attempts.describe(),
  );
  return { attempts, items, finished: (code) => recorder.finished(code) };
}
