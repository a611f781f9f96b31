/**
 * Which scheduled time is due, and when to look again: the CronJob
 * controller's `mostRecentScheduleTime`, `nextScheduleTime` and
 * `nextScheduleTimeDuration` (pkg/controller/cronjob/utils.go), on
 * millisecond instants.
 */
import type { CronSchedule } from '../cron/schedule.ts';
import type { CronJob } from './types.ts';

/** Padding after a scheduled time before the controller looks, "to account for NTP time skews" (`nextScheduleDelta`). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** More missed times than this and the controller warns `TooManyMissedTimes` (it still starts the most recent). */
export const MANY_MISSED_THRESHOLD = 100;

/** How many times were missed since the earliest time that counts. */
export type MissedSchedules = 'none' | 'few' | 'many';

/** What {@link mostRecentScheduleTime} found. */
export interface MostRecent {
  /** Where the search started: lastScheduleTime, else creation, clamped by startingDeadlineSeconds. */
  readonly earliest: number;
  /** The most recent scheduled time `<= now` after `earliest`, if any. */
  readonly mostRecent: number | undefined;
  readonly missed: MissedSchedules;
  /** Set for schedules without two distinct times (e.g. `59 23 31 2 *`): the controller's error text. */
  readonly error?: string;
}

const ZERO_INTERVAL = 'time difference between two schedules is less than 1 second';

function next(schedule: CronSchedule, after: number): number | undefined {
  return schedule.next(new Date(after))?.getTime();
}

/**
 * The most recent unmet scheduled time: at most one, never a backlog.
 *
 * @example
 * ```ts
 * const found = mostRecentScheduleTime(cronJob, Date.now(), parseCronSchedule('0 * * * *'), true);
 * if (found.mostRecent !== undefined) console.log(new Date(found.mostRecent));
 * ```
 */
export function mostRecentScheduleTime(cronJob: CronJob, now: number, schedule: CronSchedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = Date.parse(cronJob.status?.lastScheduleTime ?? cronJob.metadata.creationTimestamp);
  const deadline = cronJob.spec.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = next(schedule, earliest);
  // Go's zero time stands for "none within five years": now is after it, and the interval to it is not positive.
  if (t1 !== undefined && now < t1) return { earliest, mostRecent: undefined, missed: 'none' };
  const t2 = t1 === undefined ? undefined : next(schedule, t1);
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  if (t1 === undefined || t2 === undefined || Math.round((t2 - t1) / 1000) < 1) return { earliest, mostRecent: undefined, missed: 'none', error: ZERO_INTERVAL };

  const intervalS = Math.round((t2 - t1) / 1000);
  const missedCount = Math.trunc(Math.trunc((now - t1) / 1000) / intervalS) + 1;
  // One interval further back than the estimate, so the walk finds the true most recent time on irregular schedules.
  let cursor: number | undefined = t1 + (missedCount - 2) * intervalS * 1000;
  let mostRecent: number | undefined;
  for (cursor = next(schedule, cursor); cursor !== undefined && cursor <= now; cursor = next(schedule, cursor)) mostRecent = cursor;
  return { earliest, mostRecent, missed: missedCount > MANY_MISSED_THRESHOLD ? 'many' : 'few' };
}

/**
 * How long until the controller should look at the CronJob again, or
 * undefined when the schedule has no further time.
 *
 * @example
 * ```ts
 * const ms = nextScheduleDelayMs(cronJob, Date.now(), schedule); // e.g. 60100 for every minute, just after :00
 * ```
 */
export function nextScheduleDelayMs(cronJob: CronJob, now: number, schedule: CronSchedule): number | undefined {
  const found = mostRecentScheduleTime(cronJob, now, schedule, false);
  const base = found.error !== undefined ? now : (found.mostRecent ?? (found.missed === 'none' ? found.earliest : now));
  const at = next(schedule, base);
  return at === undefined ? undefined : at + NEXT_SCHEDULE_DELTA_MS - now;
}

/**
 * The name of the Job for a scheduled time: `<cronjob>-<minutes since the epoch>`.
 * Deterministic, so the name is the lock against creating one scheduled time twice.
 *
 * @example
 * ```ts
 * scheduledJobName('hello', Date.parse('2026-01-01T00:01:00Z')); // 'hello-29453761'
 * ```
 */
export function scheduledJobName(cronJobName: string, scheduledTime: number): string {
  return `${cronJobName}-${Math.floor(Math.floor(scheduledTime / 1000) / 60)}`;
}
