/**
 * Counters and the event callback, ready for the metrics module: a snapshot
 * object for polling, and a synchronous callback per outcome for counters.
 */
import type { IdempotencyEvent, IdempotencyStats } from './types.ts';

type Counter = keyof IdempotencyStats;

const COUNTER_OF: Readonly<Record<IdempotencyEvent['type'], Counter | undefined>> = {
  hit: 'hits',
  miss: 'misses',
  conflict: 'conflicts',
  takeover: 'takeovers',
  'lease-lost': 'leasesLost',
  release: 'releases',
  mismatch: 'mismatches',
  complete: undefined,
  'lease-wait': 'leaseWaits',
};

/**
 * Counts events and forwards them to the user's callback. A callback that
 * throws is ignored: metrics never change the outcome of a side effect.
 *
 * @example
 * ```ts
 * const recorder = new StatsRecorder((e) => counter.inc({ outcome: e.type }));
 * recorder.emit({ type: 'hit', keyHash, cached: true });
 * recorder.snapshot().hits; // 1
 * ```
 */
export class StatsRecorder {
  readonly #counts: Record<Counter, number> = {
    hits: 0,
    cacheHits: 0,
    misses: 0,
    conflicts: 0,
    takeovers: 0,
    leasesLost: 0,
    releases: 0,
    mismatches: 0,
    leaseWaits: 0,
  };
  readonly #onEvent: ((event: IdempotencyEvent) => void) | undefined;

  constructor(onEvent?: (event: IdempotencyEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Count an event and pass it on. */
  emit(event: IdempotencyEvent): void {
    const counter = COUNTER_OF[event.type];
    if (counter !== undefined) this.#counts[counter]++;
    if (event.type === 'hit' && event.cached === true) this.#counts.cacheHits++;
    try {
      this.#onEvent?.(event);
    } catch {
      // Deliberately ignored: see the class comment.
    }
  }

  /** A copy of the counters. */
  snapshot(): IdempotencyStats {
    return { ...this.#counts };
  }
}
