/**
 * The interruption-notice watcher: asks one metadata service, again and
 * again, whether the machine is about to be taken away, and calls `onNotice`
 * once when it is. It never keeps the process alive (its timers and sockets
 * are unref'd) and never fails the job: a service that is slow, failing or
 * absent is logged once at warn, then at debug, and asked again at the next
 * poll. `stop()` ends it at once, aborting a request in flight.
 */
import type { JobLogger } from '../types.ts';
import type { InterruptionSettings } from './config.ts';
import { createAwsSource } from './aws.ts';
import { createAzureSource } from './azure.ts';
import { createGceSource } from './gce.ts';
import type { InterruptionNotice, InterruptionProvider, NoticeSource } from './types.ts';

/** Options of {@link startInterruptionWatcher}. */
export interface InterruptionWatcherOptions {
  readonly settings: InterruptionSettings;
  readonly log: JobLogger;
  /** Called once, with the first notice that stops the job; the watcher has stopped by then. */
  onNotice(notice: InterruptionNotice): void;
  /** Called once per advisory notice that does not stop the job (a rebalance recommendation). */
  onAdvisory?(notice: InterruptionNotice): void;
  /** The source to drive instead of the provider's (tests). */
  readonly source?: NoticeSource;
}

/** A running watcher. */
export interface InterruptionWatcher {
  /** The provider watched, undefined when the watcher is off. */
  readonly provider: InterruptionProvider | undefined;
  /** Stop polling and abort a request in flight; idempotent. */
  stop(): void;
}

/**
 * Start watching (a no-op watcher when the settings say off).
 *
 * @example
 * ```ts
 * const watcher = startInterruptionWatcher({
 *   settings: resolveInterruptionSettings(process.env, identity.platform),
 *   log,
 *   onNotice: (notice) => lifecycle.stop(new InterruptionNoticeError(notice)),
 * });
 * // ... at shutdown:
 * watcher.stop();
 * ```
 */
export function startInterruptionWatcher(options: InterruptionWatcherOptions): InterruptionWatcher {
  const { settings, log } = options;
  const source = options.source ?? createSource(settings);
  if (source === undefined) return { provider: undefined, stop: () => undefined };
  const controller = new AbortController();
  const { signal } = controller;
  const seen = new Set<string>();
  let failures = 0;
  let wake: NodeJS.Timeout | undefined;

  const pause = async (ms: number): Promise<void> =>
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(wake);
        signal.removeEventListener('abort', done);
        resolve();
      };
      wake = setTimeout(done, ms);
      wake.unref();
      signal.addEventListener('abort', done, { once: true });
    });

  /** true when the job must stop. */
  const handle = (notices: readonly InterruptionNotice[]): boolean => {
    for (const notice of notices) {
      const stops = notice.kind !== 'rebalance' || settings.stopOnRebalance;
      if (stops) {
        controller.abort();
        options.onNotice(notice);
        return true;
      }
      const key = `${notice.kind}:${notice.action}:${notice.time?.toISOString() ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      log.warn(
        { provider: notice.provider, kind: notice.kind, noticeTime: notice.time?.toISOString(), source: notice.source },
        'interruption risk: the cloud recommends moving work off this machine; the job goes on (JOBKIT_INTERRUPTION_REBALANCE=stop stops it)',
      );
      options.onAdvisory?.(notice);
    }
    return false;
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const notices = await source.check(signal);
        if (signal.aborted) return;
        if (failures > 0) log.info({ provider: source.provider, failures }, 'interruption notice: the metadata service answers again');
        failures = 0;
        if (handle(notices)) return;
        if (source.longPoll) continue;
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        const fields = { provider: source.provider, endpoint: settings.endpoint?.host, err: describe(error), failures };
        // Once at warn: an absent service (not on that cloud, hop limit) would otherwise flood the log.
        if (failures === 1) log.warn(fields, 'interruption notice: the metadata service does not answer; the job goes on, retrying quietly');
        else log.debug(fields, 'interruption notice: the metadata service still does not answer');
      }
      await pause(settings.pollMs);
    }
  };

  log.info(
    { provider: source.provider, endpoint: settings.endpoint?.host, pollSeconds: settings.pollMs / 1000, stopOnRebalance: settings.stopOnRebalance, because: settings.because },
    `watching ${source.provider} metadata for an interruption notice`,
  );
  void loop();
  return {
    provider: source.provider,
    stop() {
      clearTimeout(wake);
      controller.abort();
    },
  };
}

/** The source for the settings' provider, or undefined when off. */
function createSource(settings: InterruptionSettings): NoticeSource | undefined {
  const { provider, endpoint } = settings;
  if (provider === undefined || endpoint === undefined) return undefined;
  const timeoutMs = settings.requestTimeoutMs;
  switch (provider) {
    case 'aws':
      return createAwsSource({ endpoint, timeoutMs, rebalance: true });
    case 'gce':
      return createGceSource({ endpoint, timeoutMs });
    case 'azure':
      return createAzureSource({ endpoint, timeoutMs });
  }
}

/** An error for a log line: name and message only (never a request, which could hold a token header). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}
