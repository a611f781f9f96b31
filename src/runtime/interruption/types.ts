/**
 * Types of the interruption-notice watcher: the clouds it can ask, and what a
 * notice says. The sources (aws.ts, gce.ts, azure.ts) produce notices; the
 * watcher (watcher.ts) decides which of them stop the job.
 */

/** A cloud whose metadata service jobkit can poll for an interruption notice. */
export type InterruptionProvider = 'aws' | 'gce' | 'azure';

/**
 * What a notice announces:
 * - `preemption`: the machine is being taken back (AWS spot instance-action,
 *   GCE `preempted`, Azure `Preempt`); it stops the job.
 * - `termination`: the machine is going away for another reason (Azure
 *   `Terminate`, GCE `TERMINATE_ON_HOST_MAINTENANCE`); it stops the job.
 * - `rebalance`: AWS's rebalance recommendation, an elevated risk of
 *   interruption; logged and counted, it stops the job only when asked.
 */
export type NoticeKind = 'preemption' | 'termination' | 'rebalance';

/**
 * One notice read from a metadata service.
 *
 * @example
 * ```ts
 * const notice: InterruptionNotice = {
 *   provider: 'aws', kind: 'preemption', action: 'terminate', time: new Date('2026-03-01T10:02:00Z'),
 *   source: '/latest/meta-data/spot/instance-action',
 * };
 * ```
 */
export interface InterruptionNotice {
  readonly provider: InterruptionProvider;
  readonly kind: NoticeKind;
  /** The provider's own word: `terminate`, `stop`, `hibernate` (AWS), `TRUE` (GCE), `Preempt` (Azure)... */
  readonly action: string;
  /** When the provider says the interruption happens, when it tells. */
  readonly time: Date | undefined;
  /** The metadata path the notice was read from (no host, no token). */
  readonly source: string;
}

/**
 * One metadata service, as the watcher drives it. `check` asks once and
 * returns what is announced now (an empty list: nothing). A long-polling
 * source (GCE's `wait_for_change`) holds the request until something changes
 * or its own wait ends; the watcher then asks again at once.
 */
export interface NoticeSource {
  readonly provider: InterruptionProvider;
  /** Whether `check` waits for a change itself (no pause between checks). */
  readonly longPoll: boolean;
  check(signal: AbortSignal): Promise<readonly InterruptionNotice[]>;
}
