/**
 * The longest wait between two runs of a cron schedule: the bound of "this
 * CronJob has not succeeded for too long" (`jobkit alerts -f cronjob.yaml`).
 * Found by walking the schedule's activations, as the controller would see
 * them, over a horizon (a year by default, so monthly and yearly schedules,
 * daylight-saving shifts and February are all seen).
 */
import type { CronSchedule } from './schedule.ts';

/** At most this many activations are walked: a per-minute schedule stops after about a week, which already shows its gap. */
const MAX_ACTIVATIONS = 20_000;

/**
 * The longest interval between consecutive activations of `schedule` from
 * `fromMs` on, over `horizonMs` (default 366 days), in ms; undefined when it
 * has fewer than two activations there (e.g. `0 0 30 2 *`).
 *
 * @example
 * ```ts
 * longestScheduleGapMs(parseCronSchedule('0 3 * * 1-5', { defaultTimeZone: 'Etc/UTC' }), Date.UTC(2026, 0, 1));
 * // 259200000: Friday 03:00 to Monday 03:00
 * ```
 */
export function longestScheduleGapMs(schedule: CronSchedule, fromMs: number, horizonMs = 366 * 86_400_000): number | undefined {
  let previous = schedule.next(new Date(fromMs));
  if (previous === undefined) return undefined;
  let longest: number | undefined;
  for (let i = 0; i < MAX_ACTIVATIONS && previous.getTime() - fromMs <= horizonMs; i++) {
    const next = schedule.next(previous);
    if (next === undefined) break;
    const gap = next.getTime() - previous.getTime();
    if (longest === undefined || gap > longest) longest = gap;
    previous = next;
  }
  return longest;
}
