/**
 * The single-run guard: `fn` runs only while this process holds a fenced
 * lease on one store object, renewed in the background by compare-and-swap.
 *
 * - Acquire: create the record if absent (If-None-Match: *), or take it over
 *   by CAS when it is released or its lease expired (plus a clock-skew
 *   margin); the epoch grows by one on every acquisition.
 * - Busy: wait (bounded), naming the holder in the log; then fail with
 *   ExclusiveBusyError (exit 69) or, with `onBusy: 'skip'`, return without
 *   running `fn`.
 * - Held: renew every third of the lease; a renewal that finds another
 *   holder, or no renewal before the local expiry, aborts `fn`'s signal with
 *   ExclusiveLeaseLostError (exit 73), and `exclusive` rejects with it even if
 *   `fn` resolves.
 * - Release: on `fn`'s end, and from a shutdown hook on SIGTERM (a Replace
 *   deletes the old Job: its pod gets SIGTERM while the new run waits).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkOption } from '../runtime/config.ts';
import { ConfigurationError, InterruptedError } from '../runtime/errors.ts';
import { describeRun } from '../runtime/run.ts';
import type { JobIdentity, JobLogger, Lifecycle } from '../runtime/types.ts';
import { tryPut } from '../store/conditional.ts';
import { joinKey, keySegment } from '../store/keys.ts';
import type { ObjectStore } from '../store/types.ts';
import {
  BUSY_LOG_INTERVAL_MS,
  DEFAULT_EXCLUSIVE_CLOCK_SKEW_MARGIN_MS,
  DEFAULT_EXCLUSIVE_LEASE_MS,
  DEFAULT_EXCLUSIVE_WAIT_MS,
  MAX_POLL_MS,
} from './constants.ts';
import { ExclusiveBusyError, type ExclusiveHolder, ExclusiveLeaseLostError } from './errors.ts';
import { decodeExclusiveRecord, encodeExclusiveRecord, type ExclusiveRecord } from './format.ts';

/** Where a guard's record lives. */
export type ExclusiveScope = 'cronjob' | 'store';

/** Options of `exclusive`. */
export interface ExclusiveOptions {
  /**
   * `cronjob`: the guard is this CronJob's (`cronjobs/<ns>/<cronjob>/exclusive/<name>`): its
   * scheduled and manual runs exclude each other. `store`: the store's
   * (`exclusive/<name>` under the store's prefix): any Job using the name excludes.
   * @default 'cronjob' in a CronJob's Job, else 'store'
   */
  readonly scope?: ExclusiveScope;
  /**
   * How long to wait for another holder before giving up.
   * @default {@link DEFAULT_EXCLUSIVE_WAIT_MS} (60 s)
   */
  readonly waitMs?: number;
  /**
   * What to do when the wait runs out: `fail` throws ExclusiveBusyError
   * (exit 69, the generated podFailurePolicy fails the Job); `skip` returns
   * `{ ran: false, holder }` without running `fn`.
   * @default 'fail'
   */
  readonly onBusy?: 'fail' | 'skip';
  /**
   * How long the lease lasts without renewal (renewed every third of it).
   * @default {@link DEFAULT_EXCLUSIVE_LEASE_MS} (15 s)
   */
  readonly leaseMs?: number;
  /**
   * Clock difference between pods tolerated before an expired lease is taken over.
   * @default {@link DEFAULT_EXCLUSIVE_CLOCK_SKEW_MARGIN_MS} (2 s)
   */
  readonly clockSkewMarginMs?: number;
  /** Aborting stops the wait (InterruptedError) and aborts `fn`'s signal. */
  readonly signal?: AbortSignal;
}

/** What `fn` is given. */
export interface ExclusiveContext {
  /** Aborted when the guard is lost (reason: ExclusiveLeaseLostError) or the job is stopping. */
  readonly signal: AbortSignal;
  /** The fencing epoch of this holding: larger than every earlier holder's. Write it next to your effects to fence them. */
  readonly epoch: number;
}

/** How `exclusive` ended. */
export type ExclusiveResult<T> = { readonly ran: true; readonly value: T; readonly epoch: number } | { readonly ran: false; readonly holder: ExclusiveHolder };

/** What a guard needs from the job. */
export interface ExclusiveEnvironment {
  readonly store: ObjectStore;
  readonly identity: JobIdentity;
  readonly log: JobLogger;
  /** Registers the release on SIGTERM (phase `release`). */
  readonly lifecycle?: Lifecycle;
  /** Test seam: the clock. */
  readonly now?: () => number;
}

/** The settings of one call, checked. */
interface Settings {
  readonly scope: ExclusiveScope;
  readonly waitMs: number;
  readonly onBusy: 'fail' | 'skip';
  readonly leaseMs: number;
  readonly clockSkewMarginMs: number;
}

/**
 * Checks the options of `exclusive` (a ConfigurationError names the bad one).
 *
 * @example
 * ```ts
 * checkExclusiveOptions({ waitMs: 5_000 }, identity); // the settings with defaults
 * ```
 */
export function checkExclusiveOptions(options: Omit<ExclusiveOptions, 'signal'>, identity: Pick<JobIdentity, 'cronJobName'>): Settings {
  const scope = options.scope ?? (identity.cronJobName === undefined ? 'store' : 'cronjob');
  if (scope !== 'cronjob' && scope !== 'store') throw new ConfigurationError(`option scope must be "cronjob" or "store", got ${JSON.stringify(scope)}`);
  const onBusy = options.onBusy ?? 'fail';
  if (onBusy !== 'fail' && onBusy !== 'skip') throw new ConfigurationError(`option onBusy must be "fail" or "skip", got ${JSON.stringify(onBusy)}`);
  const leaseMs = checkOption('leaseMs', options.leaseMs, { integer: true, min: 1_000 }) ?? DEFAULT_EXCLUSIVE_LEASE_MS;
  return {
    scope,
    onBusy,
    leaseMs,
    waitMs: checkOption('waitMs', options.waitMs, { integer: true, min: 0 }) ?? DEFAULT_EXCLUSIVE_WAIT_MS,
    clockSkewMarginMs: checkOption('clockSkewMarginMs', options.clockSkewMarginMs, { integer: true, min: 0 }) ?? DEFAULT_EXCLUSIVE_CLOCK_SKEW_MARGIN_MS,
  };
}

/**
 * The store key of a guard.
 *
 * @throws ConfigurationError for scope `cronjob` outside a CronJob, or an empty name.
 * @example
 * ```ts
 * exclusiveKey('migrate-users', identity, 'cronjob'); // 'cronjobs/default/nightly/exclusive/migrate-users'
 * ```
 */
export function exclusiveKey(name: string, identity: Pick<JobIdentity, 'namespace' | 'cronJobName' | 'jobName'>, scope: ExclusiveScope): string {
  if (typeof name !== 'string' || name.length === 0) throw new ConfigurationError('the guard name must be a non-empty string');
  if (scope === 'store') return joinKey('exclusive', keySegment(name));
  if (identity.cronJobName === undefined) {
    throw new ConfigurationError(
      `exclusive scope "cronjob" needs the CronJob's name (JOBKIT_CRONJOB_NAME, which jobkit manifest --schedule writes); Job ${identity.jobName} has none: use scope "store"`,
    );
  }
  return joinKey('cronjobs', keySegment(identity.namespace), keySegment(identity.cronJobName), 'exclusive', keySegment(name));
}

/** A readable line about a holder: `pod report-123-x (job report-123, epoch 4) since ..., expires ...`. */
export function describeHolder(holder: ExclusiveHolder): string {
  const who = holder.pod === null ? `job ${holder.job}` : `pod ${holder.pod} (job ${holder.job})`;
  return `${who}, run ${holder.run}, epoch ${holder.epoch}, since ${new Date(holder.acquiredAt).toISOString()}, lease until ${new Date(holder.expiresAt).toISOString()}`;
}

interface Held {
  record: ExclusiveRecord;
  etag: string;
}

/**
 * Runs `fn` while holding the guard `name`.
 *
 * @example
 * ```ts
 * const result = await runExclusive({ store, identity, log }, 'migrate-users', async ({ signal, epoch }) => migrate({ signal, epoch }));
 * if (!result.ran) log.info({ holder: result.holder }, 'another run is migrating');
 * ```
 */
export async function runExclusive<T>(
  env: ExclusiveEnvironment,
  name: string,
  fn: (ctx: ExclusiveContext) => Promise<T> | T,
  options: ExclusiveOptions = {},
): Promise<ExclusiveResult<T>> {
  const settings = checkExclusiveOptions(options, env.identity);
  const key = exclusiveKey(name, env.identity, settings.scope);
  const now = env.now ?? Date.now;
  const acquired = await acquire(env, key, name, settings, now, options.signal);
  if ('busy' in acquired) return { ran: false, holder: acquired.busy };
  let held = acquired.held;
  const epoch = held.record.holder.epoch;
  env.log.info({ guard: name, key, epoch }, 'single-run guard acquired');

  const lost = new AbortController();
  const stopRenewing = new AbortController();
  let lostError: ExclusiveLeaseLostError | undefined;
  const lose = (why: string): void => {
    if (lostError !== undefined) return;
    lostError = new ExclusiveLeaseLostError(`lost the single-run guard "${name}" (epoch ${epoch}): ${why}`);
    env.log.error({ guard: name, key, epoch }, lostError.message);
    lost.abort(lostError);
  };
  let lastRenewedAt = now();
  const renewEveryMs = Math.max(1, Math.floor(settings.leaseMs / 3));
  // The local expiry: a renewal stuck on a dead connection must not keep fn running past the lease.
  let expiryTimer: NodeJS.Timeout | undefined;
  const armExpiry = (): void => {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => lose(`no renewal succeeded within the lease of ${settings.leaseMs} ms`), Math.max(0, lastRenewedAt + settings.leaseMs - now()));
    expiryTimer.unref();
  };
  armExpiry();

  const renewLoop = (async (): Promise<void> => {
    while (!stopRenewing.signal.aborted && lostError === undefined) {
      try {
        await sleep(renewEveryMs, undefined, { signal: stopRenewing.signal });
      } catch {
        return;
      }
      if (now() > lastRenewedAt + settings.leaseMs) {
        lose(`no renewal succeeded within the lease of ${settings.leaseMs} ms`);
        return;
      }
      try {
        const at = now();
        const record = { ...held.record, holder: { ...held.record.holder, expiresAt: at + settings.leaseMs } };
        const put = await tryPut(env.store, key, encodeExclusiveRecord(record), { ifMatch: held.etag, signal: stopRenewing.signal });
        if (put.ok) {
          held = { record, etag: put.etag };
          lastRenewedAt = at;
          armExpiry();
          continue;
        }
        const current = await read(env.store, key);
        if (current === undefined || current.record.token !== held.record.token) {
          lose(`taken over by ${current === undefined ? 'nobody (the record is gone)' : describeHolder(current.record.holder)}`);
          return;
        }
        held = { record: current.record, etag: current.etag };
      } catch (err) {
        if (stopRenewing.signal.aborted) return;
        // A store error: the next tick retries, until the local expiry says the lease is gone.
        env.log.warn({ guard: name, key, err }, 'single-run guard renewal failed; retrying');
      }
    }
  })();

  const release = async (): Promise<void> => {
    stopRenewing.abort();
    clearTimeout(expiryTimer);
    await renewLoop;
    if (lostError !== undefined) return;
    try {
      const record: Omit<ExclusiveRecord, 'v' | 'writeId'> = { ...held.record, status: 'RELEASED', holder: { ...held.record.holder, expiresAt: now() } };
      const put = await tryPut(env.store, key, encodeExclusiveRecord(record), { ifMatch: held.etag });
      if (put.ok) env.log.info({ guard: name, key, epoch }, 'single-run guard released');
    } catch (err) {
      // Not fatal: the lease expires on its own.
      env.log.warn({ guard: name, key, err }, 'single-run guard release failed; it frees when its lease expires');
    }
  };
  let releasing: Promise<void> | undefined;
  const releaseOnce = (): Promise<void> => (releasing ??= release());
  const unregister = env.lifecycle?.onShutdown({ name: `exclusive.release:${name}`, phase: 'release', budgetMs: 2_000, run: releaseOnce });

  const signals = [lost.signal, ...(options.signal === undefined ? [] : [options.signal])];
  try {
    const value = await fn({ signal: AbortSignal.any(signals), epoch });
    if (lostError !== undefined) throw lostError;
    return { ran: true, value, epoch };
  } catch (err) {
    throw lostError ?? err;
  } finally {
    unregister?.();
    await releaseOnce();
  }
}

async function read(store: ObjectStore, key: string): Promise<{ record: ExclusiveRecord; etag: string } | undefined> {
  const obj = await store.get(key);
  return obj === undefined ? undefined : { record: decodeExclusiveRecord(obj.body, key), etag: obj.info.etag };
}

async function acquire(
  env: ExclusiveEnvironment,
  key: string,
  name: string,
  settings: Settings,
  now: () => number,
  signal: AbortSignal | undefined,
): Promise<{ held: Held } | { busy: ExclusiveHolder }> {
  const { identity } = env;
  const token = randomUUID();
  const giveUpAt = now() + settings.waitMs;
  let loggedAt: number | undefined;
  let pause = 100;
  for (;;) {
    if (signal?.aborted === true) throw new InterruptedError(`stopped while waiting for the single-run guard "${name}"`);
    const current = await read(env.store, key);
    const at = now();
    const free = current === undefined || current.record.status === 'RELEASED' || current.record.holder.expiresAt + settings.clockSkewMarginMs < at;
    if (free) {
      const holder: ExclusiveHolder = {
        job: identity.jobName,
        pod: identity.podName ?? null,
        podUid: identity.podUid ?? null,
        node: identity.nodeName ?? null,
        attempt: identity.attempt ?? null,
        run: describeRun(identity).id,
        epoch: (current?.record.holder.epoch ?? 0) + 1,
        acquiredAt: at,
        expiresAt: at + settings.leaseMs,
      };
      const record: Omit<ExclusiveRecord, 'v' | 'writeId'> = { status: 'HELD', name, holder, token };
      const body = encodeExclusiveRecord(record);
      const put = await tryPut(env.store, key, body, current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag });
      if (put.ok) {
        if (current !== undefined && current.record.status === 'HELD') {
          env.log.warn({ guard: name, key, previous: current.record.holder }, `took over the single-run guard from ${describeHolder(current.record.holder)}: its lease expired`);
        }
        return { held: { record: { v: 1, ...record, writeId: '' }, etag: put.etag } };
      }
      continue; // another run got there first: look again
    }
    const holder = current.record.holder;
    if (loggedAt === undefined || at - loggedAt >= BUSY_LOG_INTERVAL_MS) {
      loggedAt = at;
      env.log.info({ guard: name, key, holder }, `waiting for the single-run guard "${name}": held by ${describeHolder(holder)}`);
    }
    if (at >= giveUpAt) {
      const message = `the single-run guard "${name}" is held by ${describeHolder(holder)}; gave up after waiting ${settings.waitMs} ms`;
      if (settings.onBusy === 'skip') {
        env.log.warn({ guard: name, key, holder }, `${message}; skipping`);
        return { busy: holder };
      }
      throw new ExclusiveBusyError(message, holder);
    }
    // Capped, jittered back-off, and never past the end of the wait or the holder's expiry.
    const untilExpiry = holder.expiresAt + settings.clockSkewMarginMs - at + 10;
    const delay = Math.max(10, Math.min(pause * (0.5 + Math.random()), giveUpAt - at, Math.max(10, untilExpiry)));
    pause = Math.min(pause * 2, MAX_POLL_MS);
    try {
      await sleep(delay, undefined, signal === undefined ? {} : { signal });
    } catch {
      throw new InterruptedError(`stopped while waiting for the single-run guard "${name}"`);
    }
  }
}
