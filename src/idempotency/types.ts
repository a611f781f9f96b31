/**
 * Public types of the idempotency module. Every duration and instant names its
 * unit: `...Ms` is milliseconds, `...AtMs` is milliseconds since the Unix
 * epoch. There are no seconds anywhere in this module.
 */
import type { JobIdentity, JobLogger, Lifecycle } from '../runtime/types.ts';
import type { ObjectStore } from '../store/types.ts';

/** What a caller does when another owner holds the key. */
export type InProgressPolicy =
  /** Poll with back-off until the owner completes (replay its result), releases or its lease expires (take over); at most `maxWaitMs`. */
  | 'wait'
  /** Throw {@link IdempotencyKeyInProgressError} at once. */
  | 'fail';

/** What happens to the key when the function throws a permanent error. */
export type PermanentErrorPolicy =
  /** Release the key: a later run runs the function again (default). */
  | 'release'
  /** Record the failure until `ttlMs`: later runs throw it again without running the function. */
  | 'record';

/**
 * Settings that may be given to the ledger and overridden per call. The
 * defaults are the constants of constants.ts that the `@default` tags name.
 */
export interface IdempotencySettings {
  /**
   * How long a claim holds the key without renewal. The owner renews it in the
   * background every `renewEveryMs` while the function runs.
   *
   * @default {@link DEFAULT_LEASE_MS} (10 000: a crashed owner's key frees within about 15 s)
   */
  readonly leaseMs?: number;
  /**
   * Interval between lease renewals; must be below `leaseMs`.
   *
   * @default `leaseMs / 3`
   */
  readonly renewEveryMs?: number;
  /**
   * Largest clock difference tolerated between pods. Leases compare the
   * expiry written by the owner (owner's clock) with the local clock: a lease
   * is taken over only when `now > leaseExpiresAtMs + clockSkewMarginMs`, and a
   * completed record expires only when `now > expiresAtMs + clockSkewMarginMs`.
   *
   * @default {@link DEFAULT_CLOCK_SKEW_MARGIN_MS} (5 000)
   */
  readonly clockSkewMarginMs?: number;
  /**
   * How long a completed (or recorded failed) key is remembered, from its
   * completion. After that the function runs again. `Infinity`: forever.
   *
   * @default {@link DEFAULT_TTL_MS} (604 800 000: 7 days)
   */
  readonly ttlMs?: number;
  /**
   * See {@link InProgressPolicy}.
   *
   * @default {@link DEFAULT_ON_IN_PROGRESS} (`'wait'`)
   */
  readonly onInProgress?: InProgressPolicy;
  /**
   * Longest time `'wait'` waits for another owner before giving up.
   *
   * @default {@link DEFAULT_MAX_WAIT_MS} (120 000)
   */
  readonly maxWaitMs?: number;
  /**
   * First poll interval while waiting; doubles up to `pollMaxMs` (with jitter).
   *
   * @default {@link DEFAULT_POLL_MIN_MS} (100)
   */
  readonly pollMinMs?: number;
  /**
   * Largest poll interval while waiting.
   *
   * @default {@link DEFAULT_POLL_MAX_MS} (2 000)
   */
  readonly pollMaxMs?: number;
  /**
   * See {@link PermanentErrorPolicy}.
   *
   * @default {@link DEFAULT_PERMANENT_ERRORS} (`'release'`)
   */
  readonly permanentErrors?: PermanentErrorPolicy;
  /**
   * Largest recorded result (bytes of its JSON).
   *
   * @default {@link DEFAULT_MAX_RESULT_BYTES} (262 144: 256 KiB)
   */
  readonly maxResultBytes?: number;
}

/**
 * Options of {@link createIdempotency}.
 *
 * @example
 * ```ts
 * createIdempotency({ store, identity: job.identity, log: job.log, lifecycle: job.lifecycle, signal: job.signal, leaseMs: 30_000 });
 * ```
 */
export interface IdempotencyOptions extends IdempotencySettings {
  /** Where records live. Must honour conditional writes (checked once, on first use). */
  readonly store: ObjectStore;
  /**
   * Whose keys these are. Keys are scoped to `jobs/<namespace>/<job>` of the
   * identity unless `scope` is given. Required unless `scope` is given.
   */
  readonly identity?: JobIdentity;
  /**
   * Where records live: `job` (the default, the job's prefix), `run` (a
   * CronJob's scheduled run, whichever Job carries it), `cronjob` (every run
   * of the CronJob, scheduled or manual) or a name of your own shared across
   * Jobs (`scopes/<scope>`).
   */
  readonly scope?: string;
  /** Logger for takeovers, lease losses and releases. */
  readonly log?: JobLogger;
  /**
   * When given, claims from `claim`/`claimMany` still held at shutdown are
   * released in the `release` phase, so the next pod need not wait for their
   * leases to expire. (A `run` settles its own claim when its function does.)
   */
  readonly lifecycle?: Lifecycle;
  /**
   * Completed records kept in the in-process LRU cache; 0 disables it.
   *
   * @default {@link DEFAULT_CACHE_SIZE} (1 000)
   */
  readonly cacheSize?: number;
  /** Called synchronously for every outcome (metrics); must not throw. */
  readonly onEvent?: (event: IdempotencyEvent) => void;
  /**
   * Default signal of every call (pass `job.signal`): combined with a call's
   * own `signal`; aborting it stops waits and store requests, and is passed on
   * to the function.
   */
  readonly signal?: AbortSignal;
  /** The local clock (ms since the epoch). Default `Date.now`; tests pass a fake. */
  readonly clock?: () => number;
}

/**
 * Options of one call.
 *
 * @example
 * ```ts
 * await ledger.run(`row-${row.id}`, write, { payload: row, onInProgress: 'fail', signal: job.signal });
 * ```
 */
export interface RunOptions extends IdempotencySettings {
  /**
   * The item the key stands for. Its canonical-JSON hash is recorded with the
   * claim; a later call with the same key and a different payload (or with
   * and without one) throws {@link IdempotencyPayloadMismatchError} instead of
   * replaying another item's result.
   */
  readonly payload?: unknown;
  /** Cancels waiting and store requests, and is passed on to the function (pass `job.signal`). */
  readonly signal?: AbortSignal;
}

/** What the idempotent function is given. */
export interface IdempotentCallContext {
  /**
   * Aborted when the caller's signal aborts or when this owner loses its lease
   * (the key may then be taken over). Pass it to the side effect so that it
   * stops: a function that ignores it can outlive its lease.
   */
  readonly signal: AbortSignal;
  /** The key as the caller gave it. */
  readonly key: string;
  /**
   * True when an earlier run for this key may have done part of the work: its
   * owner's lease expired (a crash, a SIGKILL) or its function threw (an abort
   * on SIGTERM can land after the server committed the write). Check the sink
   * before repeating a side effect that is not idempotent by itself.
   */
  readonly takeover: boolean;
}

/** The idempotent function. Its result is recorded as JSON (a Date comes back as its ISO string). */
export type IdempotentFunction<T> = (context: IdempotentCallContext) => Promise<T> | T;

/** What {@link IdempotencyLedger.runDetailed} returns. */
export interface RunOutcome<T> {
  /** The result: this run's, or the recorded one. */
  readonly value: T;
  /** True when the result was replayed from a record (the function did not run). */
  readonly replayed: boolean;
  /** True when the result came from the in-process cache (no store request). */
  readonly cached: boolean;
  /** True when the function ran after an earlier run for this key that may have done part of the work (see {@link IdempotentCallContext.takeover}). */
  readonly takeover: boolean;
}

/** Who owns a record: written into it, for operators and for error messages. */
export interface RecordOwner {
  /** Random per claim; tells this claim's writes from any other's. */
  readonly token: string;
  readonly pod: string | null;
  readonly podUid: string | null;
  readonly node: string | null;
  readonly index: number | null;
  readonly attempt: number | null;
  readonly host: string;
  readonly pid: number;
}

/**
 * The state of a key, as {@link IdempotencyLedger.check} sees it. Expired
 * completed records and released keys are `absent`.
 *
 * @example
 * ```ts
 * const state = await ledger.check('k');
 * if (state.status === 'in-progress' && state.expired) console.log('owner died', state.owner.pod);
 * ```
 */
export type KeyState =
  | { readonly status: 'absent' }
  | { readonly status: 'completed'; readonly result: unknown; readonly completedAtMs: number; readonly expiresAtMs: number | null }
  | { readonly status: 'failed'; readonly error: RecordedFailure; readonly completedAtMs: number }
  | { readonly status: 'in-progress'; readonly owner: RecordOwner; readonly leaseExpiresAtMs: number; readonly expired: boolean };

/** A recorded failure, as stored. */
export interface RecordedFailure {
  readonly name: string;
  readonly message: string;
}

/**
 * A held claim: the caller runs the side effect, then completes, fails or
 * releases it (exactly once; its lease is renewed until then).
 *
 * @example
 * ```ts
 * const o = await ledger.claim('k');
 * if (o.status === 'claimed') await o.claim.complete(await upload({ signal: o.claim.signal }));
 * ```
 */
export interface IdempotencyClaim {
  /** The key as the caller gave it. */
  readonly key: string;
  /** The record's store key. */
  readonly storeKey: string;
  /** True when an earlier claim on this key may have done part of the work: its lease expired, or it was failed after the side effect threw. */
  readonly takeover: boolean;
  /** Aborted (reason: IdempotencyLeaseLostError) when the lease is lost; stop the side effect then. */
  readonly signal: AbortSignal;
  /** Record the result (JSON) and stop renewing. Throws IdempotencyLeaseLostError if the lease was lost. */
  complete(result?: unknown): Promise<void>;
  /** Give the key back without a result; a later claim may run the side effect. Idempotent. */
  release(): Promise<void>;
  /**
   * Settle after the side effect threw: permanent errors are recorded or
   * released per `permanentErrors`, anything else releases the key.
   */
  fail(error: unknown): Promise<void>;
}

/** What {@link IdempotencyLedger.claim} found. */
export type ClaimOutcome =
  | { readonly status: 'claimed'; readonly claim: IdempotencyClaim }
  | { readonly status: 'completed'; readonly result: unknown; readonly cached: boolean }
  | { readonly status: 'failed'; readonly error: Error }
  | { readonly status: 'in-progress'; readonly owner: RecordOwner; readonly leaseExpiresAtMs: number };

/**
 * Counters since the ledger was created.
 *
 * @example
 * ```ts
 * const { hits, misses } = ledger.stats;
 * job.log.info({ hitRatio: hits / Math.max(1, hits + misses) }, 'idempotency');
 * ```
 */
export interface IdempotencyStats {
  /** Calls answered from a record (store or cache) without running the function. */
  readonly hits: number;
  /** The subset of `hits` answered by the in-process cache. */
  readonly cacheHits: number;
  /** Claims won: the function ran (or the caller got the claim). */
  readonly misses: number;
  /** Times a key was found in progress under another owner's live lease. */
  readonly conflicts: number;
  /** Expired leases taken over (a crashed or stalled owner). */
  readonly takeovers: number;
  /** Leases lost while the function ran. */
  readonly leasesLost: number;
  /** Claims released (retryable errors, `release()`, shutdown). */
  readonly releases: number;
  /** Payload mismatches. */
  readonly mismatches: number;
  /** Calls that waited for another owner's live lease (once per call, however long). */
  readonly leaseWaits: number;
}

/**
 * One outcome, for metrics. Carries the key's hash, never the key itself.
 *
 * @example
 * ```ts
 * createIdempotency({ store, identity, onEvent: (e) => outcomes.inc({ outcome: e.type }) });
 * ```
 */
export interface IdempotencyEvent {
  readonly type: 'hit' | 'miss' | 'conflict' | 'takeover' | 'lease-lost' | 'release' | 'mismatch' | 'complete' | 'lease-wait';
  /** sha256 of the key (the record's name). */
  readonly keyHash: string;
  /** For `hit`: whether the cache answered. */
  readonly cached?: boolean;
}
