/**
 * The autosave policy: save every N items or every T seconds, whichever comes
 * first. Time is checked when progress is reported, not by a timer: a snapshot
 * is only consistent between two items, which is exactly when `progress()` runs.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { SavePolicy } from './types.ts';

/** Decides when autosave is due. */
export interface SaveSchedule {
  /** Count `items`; true when a save is due now. */
  record(items: number, nowMs: number): boolean;
  /** A save was taken at `nowMs`: restart both counters. */
  reset(nowMs: number): void;
}

/**
 * Build a schedule from a policy; throws ConfigurationError naming the option
 * for a non-positive or non-finite bound.
 *
 * @example
 * ```ts
 * const schedule = createSchedule({ items: 1000, seconds: 60 }, Date.now());
 * if (schedule.record(1, Date.now())) await save();
 * ```
 */
export function createSchedule(policy: SavePolicy | undefined, nowMs: number): SaveSchedule {
  const items = policy?.items;
  const seconds = policy?.seconds;
  if (items !== undefined && !(Number.isSafeInteger(items) && items >= 1)) {
    throw new ConfigurationError(`checkpoint option saveEvery.items must be an integer >= 1, got ${String(items)}`);
  }
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) {
    throw new ConfigurationError(`checkpoint option saveEvery.seconds must be a number > 0, got ${String(seconds)}`);
  }
  let count = 0;
  let since = nowMs;
  return {
    record(n, now) {
      count += n;
      return (items !== undefined && count >= items) || (seconds !== undefined && now - since >= seconds * 1000);
    },
    reset(now) {
      count = 0;
      since = now;
    },
  };
}
