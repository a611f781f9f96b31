/**
 * Reading an index's attempt records back: list the records, decode the
 * newest ones, and tell how each attempt ended (completed, failed, stopped,
 * crashed). Used at start (`job.attempts`, the first log line, the
 * quarantine decision) and by `jobkit status`. Read-only.
 */
import type { ObjectStore } from '../../store/types.ts';
import { mapBounded } from '../../util/bounded.ts';
import { RECORD_CONCURRENCY } from './constants.ts';
import { type AttemptEndRecord, type AttemptStartRecord, decodeAttemptRecord } from './format.ts';
import { parseAttemptKey } from './keys.ts';
import type { AttemptOutcome, JobAttempts, PastAttempt } from './types.ts';

/** What {@link readLineage} found. */
export interface StoredLineage {
  /** The newest attempts (at most `limit`), newest first. */
  readonly attempts: readonly PastAttempt[];
  /** Ids of every attempt that has a record, oldest first (for pruning; ids are short). */
  readonly ids: readonly string[];
  /** Records that could not be read (damaged, newer version): skipped, named here. */
  readonly problems: readonly string[];
}

/** Options of {@link readLineage}. */
export interface ReadLineageOptions {
  readonly store: ObjectStore;
  /** {@link attemptsPrefix} of the index. */
  readonly prefix: string;
  /** Attempts decoded, newest first. */
  readonly limit: number;
  readonly signal?: AbortSignal;
}

async function getRecord(store: ObjectStore, key: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  return (await store.get(key, { signal }))?.body;
}

function outcomeOf(end: AttemptEndRecord): AttemptOutcome {
  if (end.exitCode === 0) return 'completed';
  if (end.exitClass === 'interrupted' || end.exitClass === 'deadline') return 'stopped';
  return 'failed';
}

/**
 * A previous attempt from its two records (the end record may be missing: crashed).
 *
 * @example
 * ```ts
 * pastAttempt(start, undefined).outcome; // 'crashed'
 * ```
 */
export function pastAttempt(start: AttemptStartRecord, end: AttemptEndRecord | undefined): PastAttempt {
  return {
    id: start.id,
    attempt: start.attempt,
    pod: start.pod,
    node: start.node,
    startedAt: new Date(start.startedAt),
    outcome: end === undefined ? 'crashed' : outcomeOf(end),
    exitCode: end?.exitCode ?? null,
    exitClass: end?.exitClass ?? null,
    reason: end?.reason ?? null,
    durationMs: end?.durationMs ?? Math.max(0, start.writtenAt - start.startedAt),
    itemsDone: (end ?? start).progress.items,
    position: (end ?? start).progress.position,
    // Only a crashed attempt's marks mean something: a finished one's last mark may not have been cleared yet.
    inProgress: end === undefined ? start.inProgress : [],
    quarantined: end?.quarantined ?? 0,
  };
}

/**
 * Read the attempt records of one index: one listing, then the start and end
 * records of the newest `limit` attempts (bounded concurrency). A record that
 * cannot be decoded is skipped and named in `problems`; an end record without
 * its start record (pruned or lost) is ignored.
 *
 * @example
 * ```ts
 * const { attempts } = await readLineage({ store, prefix: attemptsPrefix(identity), limit: 20 });
 * console.log(attempts[0]?.outcome);
 * ```
 */
export async function readLineage(options: ReadLineageOptions): Promise<StoredLineage> {
  const { store, prefix, signal } = options;
  const found = new Map<string, { start?: string; end?: string }>();
  for await (const info of store.list(`${prefix}/`, { signal })) {
    const parsed = parseAttemptKey(prefix, info.key);
    if (parsed === undefined) continue;
    const entry = found.get(parsed.id) ?? {};
    entry[parsed.phase] = info.key;
    found.set(parsed.id, entry);
  }
  const ids = [...found.keys()].sort();
  const newest = ids.slice(-options.limit).reverse();
  const problems: string[] = [];
  const decoded = await mapBounded(
    newest,
    RECORD_CONCURRENCY,
    async (id): Promise<PastAttempt | undefined> => {
      const keys = found.get(id) ?? {};
      if (keys.start === undefined) return undefined;
      try {
        const startBody = await getRecord(store, keys.start, signal);
        if (startBody === undefined) return undefined;
        const start = decodeAttemptRecord(startBody, keys.start);
        const endBody = keys.end === undefined ? undefined : await getRecord(store, keys.end, signal);
        const end = endBody === undefined || keys.end === undefined ? undefined : decodeAttemptRecord(endBody, keys.end);
        if (start.phase !== 'start' || (end !== undefined && end.phase !== 'end')) {
          problems.push(`attempt ${id}: a record holds the wrong phase`);
          return undefined;
        }
        return pastAttempt(start, end);
      } catch (err) {
        if (signal?.aborted === true) throw err;
        problems.push((err as Error).message);
        return undefined;
      }
    },
    signal,
  );
  return { attempts: decoded.filter((a) => a !== undefined), ids, problems };
}

const number = (n: number): string => n.toLocaleString('en-US');

/**
 * A duration for a log line: `45 s`, `14 min`, `3.2 h`.
 *
 * @example
 * ```ts
 * humanDuration(840_000); // '14 min'
 * ```
 */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7_200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * How one attempt ended, in a few words: `stopped (signal) at item 1,200 after 14 min`.
 *
 * @example
 * ```ts
 * describeAttempt(attempt); // 'crashed at item 900 on "row-17" after 3 min'
 * ```
 */
export function describeAttempt(a: PastAttempt): string {
  const at = `at item ${number(a.position ?? a.itemsDone)}`;
  const on = a.inProgress.length === 0 ? '' : ` on ${a.inProgress.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')}${a.inProgress.length > 3 ? ', ...' : ''}`;
  const after = `after ${humanDuration(a.durationMs)}`;
  switch (a.outcome) {
    case 'completed':
      return `completed ${number(a.itemsDone)} items ${after}`;
    case 'failed':
      return `failed (${a.exitClass ?? `exit ${a.exitCode ?? '?'}`}) ${at} ${after}`;
    case 'stopped':
      return `stopped (${a.reason ?? a.exitClass ?? '?'}) ${at} ${after}`;
    case 'crashed':
      return `crashed ${at}${on} ${after} (no end record)`;
  }
}

/** Previous attempts shown in the first log line. */
const DESCRIBED = 3;

/**
 * The first log line of an attempt: `attempt 3; previous: stopped (signal) at item 1,200 after 14 min; before that crashed at item 900`.
 * The number shown is 1-based (`attempt` + 1).
 *
 * @example
 * ```ts
 * describeLineage(0, []); // 'attempt 1 (no previous attempt recorded)'
 * ```
 */
export function describeLineage(attempt: number, previous: readonly PastAttempt[]): string {
  let out = `attempt ${attempt + 1}`;
  if (previous.length === 0) return `${out} (no previous attempt recorded)`;
  previous.slice(0, DESCRIBED).forEach((a, i) => {
    out += `${i === 0 ? '; previous: ' : '; before that '}${describeAttempt(a)}`;
  });
  if (previous.length > DESCRIBED) out += `; and ${previous.length - DESCRIBED} earlier`;
  return out;
}

/**
 * The `job.attempts` view of this attempt and the previous ones.
 *
 * @example
 * ```ts
 * const attempts = jobAttempts({ recorded: true, id, attempt: 2, previous });
 * attempts.crashesOn('row-17'); // 2
 * ```
 */
export function jobAttempts(init: { recorded: boolean; id: string; attempt: number; previous: readonly PastAttempt[] }): JobAttempts {
  const { previous } = init;
  let consecutiveCrashes = 0;
  while (consecutiveCrashes < previous.length && previous[consecutiveCrashes]?.outcome === 'crashed') consecutiveCrashes++;
  const crashes = new Map<string, number>();
  for (const a of previous) {
    if (a.outcome !== 'crashed') continue;
    for (const key of new Set(a.inProgress)) crashes.set(key, (crashes.get(key) ?? 0) + 1);
  }
  return {
    recorded: init.recorded,
    id: init.id,
    attempt: init.attempt,
    previous,
    consecutiveCrashes,
    crashesOn: (itemKey) => crashes.get(itemKey) ?? 0,
    describe: () => describeLineage(init.attempt, previous),
  };
}
