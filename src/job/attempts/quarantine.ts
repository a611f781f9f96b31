/**
 * Poison items: `job.item(key, fn)` marks the item in progress (durably,
 * before fn runs), counts how it ended, and skips an item that earlier
 * attempts kept dying on (or, by option, one that threw a permanent error),
 * recording it in a dead letter instead of failing the index.
 *
 * Dead letters are one object per item (`quarantine/<hash>.json`), created
 * with If-None-Match, so duplicate pods quarantining the same item write it
 * once and never overwrite each other.
 */
import { performance } from 'node:perf_hooks';
import { classifyError } from '../../runtime/classify.ts';
import type { JobIdentity, JobLogger } from '../../runtime/types.ts';
import { PreconditionFailedError } from '../../store/errors.ts';
import type { ObjectStore } from '../../store/types.ts';
import type { JobMetrics } from '../../telemetry/metrics.ts';
import { mapBounded } from '../../util/bounded.ts';
import { MAX_ERROR_CHARS, MAX_ITEM_KEY_LENGTH, RECORD_CONCURRENCY } from './constants.ts';
import { type DeadLetterRecord, decodeDeadLetter, encodeDeadLetter } from './format.ts';
import { deadLetterKey, deadLetterName, deadLetterNameOfKey } from './keys.ts';
import type { AttemptRecorder } from './recorder.ts';
import type { ItemOptions, ItemRun, PastAttempt, QuarantineMode } from './types.ts';

/**
 * The names ({@link deadLetterName}) of the dead letters under a quarantine prefix: one listing, no reads.
 *
 * @example
 * ```ts
 * const names = await listDeadLetterNames(store, quarantinePrefix(identity));
 * names.has(deadLetterName('row-17'));
 * ```
 */
export async function listDeadLetterNames(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const info of store.list(`${prefix}/`, { signal })) {
    const name = deadLetterNameOfKey(prefix, info.key);
    if (name !== undefined) names.add(name);
  }
  return names;
}

/** What {@link readDeadLetters} found. */
export interface StoredDeadLetters {
  readonly total: number;
  /** The first `sample` records, by quarantine time (newest first). */
  readonly sample: readonly DeadLetterRecord[];
  readonly problems: readonly string[];
}

/**
 * Read an index's dead letters: all are counted, `sample` of them read.
 *
 * @example
 * ```ts
 * const { total, sample } = await readDeadLetters(store, quarantinePrefix(identity), 20);
 * ```
 */
export async function readDeadLetters(store: ObjectStore, prefix: string, sample: number, signal?: AbortSignal): Promise<StoredDeadLetters> {
  const keys: string[] = [];
  let total = 0;
  for await (const info of store.list(`${prefix}/`, { signal })) {
    if (deadLetterNameOfKey(prefix, info.key) === undefined) continue;
    total++;
    if (keys.length < sample) keys.push(info.key);
  }
  const problems: string[] = [];
  const read = await mapBounded(keys, RECORD_CONCURRENCY, async (key) => {
    const body = (await store.get(key, { signal }))?.body;
    if (body === undefined) return undefined;
    try {
      return decodeDeadLetter(body, key);
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  });
  const records = read.filter((r) => r !== undefined).sort((a, b) => b.quarantinedAt - a.quarantinedAt);
  return { total, sample: records, problems };
}

/** Dependencies of {@link createItemRunner}. */
export interface ItemRunnerDeps {
  readonly store: () => ObjectStore;
  readonly identity: JobIdentity;
  readonly log: JobLogger;
  readonly metrics: JobMetrics;
  /** Undefined when attempts are not recorded: items run unmarked, nothing is quarantined. */
  readonly recorder: AttemptRecorder | undefined;
  /** This attempt's id. */
  readonly attemptId: string;
  /** {@link quarantinePrefix} of the index. */
  readonly prefix: string;
  /** Previous attempts (newest first), for the crash counts. */
  readonly previous: readonly PastAttempt[];
  /** Dead letters already in the store (names). */
  readonly quarantined: Set<string>;
  readonly quarantineAfter: number;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/**
 * An item {@link ItemRunner.begin} let run: marked in progress (when the
 * attempt is recorded and the recorder had room), its run time measured from here.
 */
export interface BegunItem {
  readonly key: string;
  /** Whether the mark was made (false: attempts not recorded, or too many in progress). */
  readonly marked: boolean;
  /** performance.now() when it began. */
  readonly startedMs: number;
}

/**
 * How {@link ItemRunner.begin} decided: skip a quarantined item, or run it.
 *
 * @example
 * ```ts
 * const begun = await runner.begin('row-17');
 * if (!begun.skip) runner.end(begun.item, 'processed');
 * ```
 */
export type ItemBegin = { readonly skip: true; readonly cause: 'crashed' } | { readonly skip: false; readonly item: BegunItem };

/**
 * How an item began by {@link ItemRunner.begin} ended: counted as processed or
 * failed, or `uncounted` (quarantined after it ran, or the caller cannot tell,
 * as when a for-await loop is left by break or by a throw alike).
 */
export type ItemEnd = 'processed' | 'failed' | 'uncounted';

/** The job.item runner of one attempt. */
export interface ItemRunner {
  run<T>(key: string, fn: (signal: AbortSignal) => Promise<T> | T, options?: ItemOptions): Promise<ItemRun<T>>;
  /**
   * The first half of {@link ItemRunner.run}, for callers that do not hold the
   * item's work as a function (the shard iterators): skip it if quarantined
   * (counted, logged, dead-lettered), else mark it in progress, durably.
   */
  begin(key: string, mode?: QuarantineMode): Promise<ItemBegin>;
  /** The second half: count the item and clear its mark (lazily, so the next item's mark replaces it in one write). */
  end(item: BegunItem, outcome: ItemEnd): void;
  /** Items quarantined (or skipped as quarantined) by this attempt. */
  readonly quarantinedCount: number;
}

/**
 * Create the job.item runner of one attempt.
 *
 * @example
 * ```ts
 * const runner = createItemRunner({ store: () => store, identity, log, metrics, recorder, attemptId, prefix,
 *   previous, quarantined: new Set(), quarantineAfter: 2, signal });
 * const r = await runner.run('row-17', () => handle(17));
 * ```
 */
export function createItemRunner(deps: ItemRunnerDeps): ItemRunner {
  const { identity, log, metrics, recorder } = deps;
  const now = deps.now ?? Date.now;
  let count = 0;
  // Crashed attempts by item key, newest first (only keys some attempt died on).
  const crashedOn = new Map<string, string[]>();
  for (const a of deps.previous) {
    if (a.outcome !== 'crashed') continue;
    for (const key of new Set(a.inProgress)) crashedOn.set(key, [...(crashedOn.get(key) ?? []), a.id]);
  }

  const quarantine = async (record: Omit<DeadLetterRecord, 'v' | 'index' | 'quarantinedAt' | 'by'>): Promise<void> => {
    const full: DeadLetterRecord = { v: 1, index: identity.index, quarantinedAt: now(), by: deps.attemptId, ...record };
    try {
      await deps.store().put(deadLetterKey(deps.prefix, record.key), encodeDeadLetter(full), { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (err) {
      // A duplicate pod quarantined it first: its record stands.
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
    deps.quarantined.add(deadLetterName(record.key));
    count++;
    metrics.items('quarantined', 1);
    log.warn(
      { item: record.key, cause: record.cause, attempts: record.attempts, lastErrorClass: record.lastErrorClass },
      `item ${JSON.stringify(record.key)} quarantined (${record.cause === 'crashed' ? `${record.attempts.length} attempts died on it` : `permanent error: ${record.lastError}`}): skipped, recorded as a dead letter`,
    );
  };

  const begin = async (key: string, mode: QuarantineMode = 'crashes'): Promise<ItemBegin> => {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_ITEM_KEY_LENGTH) {
      throw new TypeError(`job.item: the key must be a string of 1 to ${MAX_ITEM_KEY_LENGTH} characters, got ${typeof key === 'string' ? `${key.length} characters` : typeof key}`);
    }
    if (recorder !== undefined && mode !== false) {
      if (deps.quarantined.has(deadLetterName(key))) {
        count++;
        metrics.items('quarantined', 1);
        log.info({ item: key }, `item ${JSON.stringify(key)} is quarantined (a dead letter of an earlier attempt): skipped`);
        return { skip: true, cause: 'crashed' };
      }
      const crashes = crashedOn.get(key) ?? [];
      if (crashes.length >= deps.quarantineAfter) {
        await quarantine({
          key,
          cause: 'crashed',
          attempts: crashes,
          lastErrorClass: 'crash',
          lastError: `the process died with the item in progress in ${crashes.length} attempts (no end record: OOM kill, SIGKILL, abort, node loss)`,
        });
        return { skip: true, cause: 'crashed' };
      }
    }
    const marked = recorder === undefined ? false : await recorder.mark(key);
    return { skip: false, item: { key, marked, startedMs: performance.now() } };
  };
  const end = (item: BegunItem, outcome: ItemEnd): void => {
    if (outcome === 'processed') metrics.itemProcessed(performance.now() - item.startedMs);
    else if (outcome === 'failed') metrics.itemFailed(performance.now() - item.startedMs);
    if (item.marked) recorder?.unmark(item.key);
  };

  return {
    async run<T>(key: string, fn: (signal: AbortSignal) => Promise<T> | T, options: ItemOptions = {}): Promise<ItemRun<T>> {
      const mode = options.quarantine ?? 'crashes';
      const begun = await begin(key, mode);
      if (begun.skip) return { quarantined: true, cause: begun.cause };
      let outcome: ItemEnd = 'failed';
      try {
        const value = await fn(deps.signal);
        outcome = 'processed';
        return { quarantined: false, value };
      } catch (err) {
        const exitClass = classifyError(err);
        if (mode === 'permanent' && exitClass === 'permanent' && recorder !== undefined) {
          outcome = 'uncounted';
          const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          await quarantine({ key, cause: 'permanent', attempts: [deps.attemptId], lastErrorClass: exitClass, lastError: message.slice(0, MAX_ERROR_CHARS) });
          return { quarantined: true, cause: 'permanent' };
        }
        throw err;
      } finally {
        end(begun.item, outcome);
      }
    },
    begin,
    end,
    get quarantinedCount() {
      return count;
    },
  };
}
