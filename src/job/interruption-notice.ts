/**
 * The interruption-notice watcher wired to the job: a notice stops the job as
 * a SIGTERM would (reason `notice`, exit 143, final checkpoint, the reason
 * counted in the final push), and an advisory notice is counted in the job's
 * metrics. The watcher itself (runtime/interruption/) knows neither.
 */
import { InterruptionNoticeError } from '../runtime/errors.ts';
import type { InterruptionSettings } from '../runtime/interruption/config.ts';
import { type InterruptionWatcher, startInterruptionWatcher } from '../runtime/interruption/watcher.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { JobMetrics } from '../telemetry/metrics.ts';

/** What {@link watchInterruptionNotice} needs from the job. */
export interface InterruptionNoticeDeps {
  readonly settings: InterruptionSettings;
  readonly log: Logger;
  readonly metrics: JobMetrics;
  /** Stop the job with this error (runJob's stop request, reason `notice`). */
  stop(error: InterruptionNoticeError): void;
}

/**
 * Start the watcher for a job; `stop()` it when the job's outcome is decided.
 *
 * @example
 * ```ts
 * const watcher = watchInterruptionNotice({ settings, log, metrics, stop: (error) => requestStop(error) });
 * // ... once main has ended:
 * watcher.stop();
 * ```
 */
export function watchInterruptionNotice(deps: InterruptionNoticeDeps): InterruptionWatcher {
  const { log } = deps;
  return startInterruptionWatcher({
    settings: deps.settings,
    log,
    onNotice(notice) {
      const error = new InterruptionNoticeError(notice);
      const secondsLeft = notice.time === undefined ? undefined : Math.round((notice.time.getTime() - Date.now()) / 1000);
      log.warn(
        { provider: notice.provider, kind: notice.kind, action: notice.action, noticeTime: notice.time?.toISOString(), secondsLeft, source: notice.source },
        `${error.message}: stopping the work before the SIGTERM`,
      );
      deps.stop(error);
    },
    onAdvisory: (notice) => deps.metrics.interruptionAdvisory(notice.kind),
  });
}
