/**
 * An index's attempts and dead letters as `jobkit status` shows them: the
 * newest attempts with how each ended, and the quarantined items. Read-only.
 */
import type { JobIdentity } from '../../runtime/types.ts';
import type { ObjectStore } from '../../store/types.ts';
import { attemptsPrefix, quarantinePrefix } from './keys.ts';
import { readLineage } from './lineage.ts';
import { readDeadLetters } from './quarantine.ts';
import type { PastAttempt } from './types.ts';

/** One attempt, as shown: a {@link PastAttempt} made JSON-friendly (an ISO start time; the node left out). */
export type AttemptView = Omit<PastAttempt, 'startedAt' | 'node'> & { readonly startedAt: string };

/** A quarantined item, as shown. */
export interface QuarantinedItemView {
  readonly key: string;
  readonly cause: 'crashed' | 'permanent';
  readonly attempts: readonly string[];
  readonly lastErrorClass: string;
  readonly lastError: string;
  readonly quarantinedAt: string;
}

/** One index's attempts and quarantined items. */
export interface IndexAttempts {
  readonly index: number;
  /** Attempts with records (kept ones). */
  readonly total: number;
  /** The newest attempts, newest first. */
  readonly recent: readonly AttemptView[];
  /** Dead letters of the index. */
  readonly quarantinedTotal: number;
  readonly quarantined: readonly QuarantinedItemView[];
  readonly problems: readonly string[];
}

/**
 * Read one index's attempts (the newest `recent`) and dead letters (`sample` of them read, all counted).
 *
 * @example
 * ```ts
 * const a = await inspectIndexAttempts(store, identity, { recent: 5, sample: 20 });
 * console.log(a.recent[0]?.outcome, a.quarantinedTotal);
 * ```
 */
export async function inspectIndexAttempts(
  store: ObjectStore,
  identity: JobIdentity,
  options: { readonly recent: number; readonly sample: number; readonly signal?: AbortSignal },
): Promise<IndexAttempts> {
  const lineage = await readLineage({ store, prefix: attemptsPrefix(identity), limit: options.recent, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  const letters = await readDeadLetters(store, quarantinePrefix(identity), options.sample, options.signal);
  return {
    index: identity.index,
    total: lineage.ids.length,
    recent: lineage.attempts.map(({ node: _node, startedAt, ...shown }) => ({ ...shown, startedAt: startedAt.toISOString() })),
    quarantinedTotal: letters.total,
    quarantined: letters.sample.map((d) => ({
      key: d.key,
      cause: d.cause,
      attempts: d.attempts,
      lastErrorClass: d.lastErrorClass,
      lastError: d.lastError,
      quarantinedAt: new Date(d.quarantinedAt).toISOString(),
    })),
    problems: [...lineage.problems, ...letters.problems],
  };
}

/**
 * Whether a key listed under an index's prefix is an attempt record or a dead letter (not a checkpoint object).
 *
 * @example
 * ```ts
 * isLineageKey('jobs/default/etl/index-0', 'jobs/default/etl/index-0/attempts/x/start.json'); // true
 * ```
 */
export function isLineageKey(indexPrefix: string, key: string): boolean {
  return key.startsWith(`${indexPrefix}/attempts/`) || key.startsWith(`${indexPrefix}/quarantine/`);
}
