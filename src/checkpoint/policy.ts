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
import { checkOption } from '../runtime/config.ts';
import { DEFAULT_SAVE_EVERY } from './constants.ts';
import type { SavePolicy } from './types.ts';


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
  checkOption('saveEvery.items', items, { min: 1, integer: true, label: 'checkpoint option saveEvery.items', plain: true });
  checkOption('saveEvery.seconds', seconds, { min: 0, minExclusive: true, label: 'checkpoint option saveEvery.seconds', plain: true });
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
