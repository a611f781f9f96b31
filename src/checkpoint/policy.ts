/**
 * The autosave policy: save every N items or every T seconds, whichever comes
 * first. Time is checked when progress is reported, not by a timer: a snapshot
 * is only consistent between two items, which is exactly when `progress()` runs.
 *
 * Without a configured policy `progress()` saves every 30 s of work
 * ({@link DEFAULT_SAVE_EVERY}). Why time and 30 s: a SIGKILL, an OOM kill or
 * a lost node give no final save, so the period bounds the work redone; 30 s
 * is short next to the minutes-to-hours of a batch pod, and long next to a
 * save (a background save of unchanged parts is a manifest and a head write;
 * 64 MiB of changed weights take about a second to moto here), so autosave
 * stays a small share of the run and of the store's request bill (~3 writes
 * per save, under 3,000 saves a day). There is no default item count: items
 * range from microseconds to minutes, and any count would either save
 * constantly (a save per few ms of work) or almost never.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { SavePolicy } from './types.ts';

/**
 * The autosave policy when `saveEvery` is not given: every 30 s of work
 * (reasons in this module's comment). A given policy replaces it as a whole.
 *
 * @example
 * ```ts
 * createCheckpointer({ store, identity, saveEvery: { ...DEFAULT_SAVE_EVERY, items: 10_000 } });
 * ```
 */
export const DEFAULT_SAVE_EVERY: SavePolicy = Object.freeze({ seconds: 30 });

/** Decides when autosave is due. */
export interface SaveSchedule {
  /** Count `items`; true when a save is due now. */
  record(items: number, nowMs: number): boolean;
  /** A save was taken at `nowMs`: restart both counters. */
  reset(nowMs: number): void;
}

/**
 * Build a schedule from a policy (undefined: {@link DEFAULT_SAVE_EVERY}; false:
 * never due); throws ConfigurationError naming the option for a non-positive
 * or non-finite bound.
 *
 * @example
 * ```ts
 * const schedule = createSchedule({ items: 1000, seconds: 60 }, Date.now());
 * if (schedule.record(1, Date.now())) await save();
 * ```
 */
export function createSchedule(policy: SavePolicy | false | undefined, nowMs: number): SaveSchedule {
  const effective = policy === undefined ? DEFAULT_SAVE_EVERY : policy === false ? undefined : policy;
  const items = effective?.items;
  const seconds = effective?.seconds;
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
