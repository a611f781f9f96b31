/**
 * The idempotency ledger: claims keys, runs side effects once, replays
 * recorded results. This file is the public API and its wiring; the
 * protocols live beside it.
 *
 * One call, in store requests:
 * 1. cache: a COMPLETED record seen before in this process answers at once;
 * 2. claim (claim-attempt.ts): create the IN_PROGRESS record, or read what is
 *    there and replay it, report it in progress, or take the key over by
 *    compare-and-swap, so among any number of racing claimants exactly one wins;
 * 3. in progress under another owner's live lease: wait (poll) or fail (here);
 * 4. run the function while a keeper renews the lease (lease.ts);
 * 5. complete (claim.ts): CAS the record to COMPLETED (one write) from this
 *    owner's latest etag. A taken-over owner's CAS fails, so two results are
 *    never both recorded and a replay always returns the one recorded result.
 * The batch methods (batch.ts) are the single-key calls, bounded.
 */
import { SPAN_NAMES, withSpan } from '../telemetry/span.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkOption } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobLogger } from '../runtime/types.ts';
import { requireConditionalWrites } from '../store/probe.ts';
import type { ObjectStore } from '../store/types.ts';
import * as batch from './batch.ts';
import type { BatchOptions } from './batch.ts';
import { CompletionCache } from './cache.ts';
import { type ClaimHandle, parseResult } from './claim.ts';
import { cacheCompleted, checkPayload, Claimer } from './claim-attempt.ts';
import type { ClaimContext } from './claim-context.ts';
import { DEFAULT_CACHE_SIZE } from './constants.ts';
import { IdempotencyKeyInProgressError, IdempotencyLeaseLostError, IdempotencyPayloadMismatchError } from './errors.ts';
import { deriveKey, payloadHash, recordKey, recordsPrefix, validateKey } from './keys.ts';
import { describeOwner } from './owner.ts';
import { type ResolvedSettings, resolveSettings, SETTING_NAMES } from './settings.ts';
import { StatsRecorder } from './stats.ts';
import { readRecord } from './store-ops.ts';
import type {
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyOptions,
  IdempotencySettings,
  IdempotencyStats,
  IdempotentFunction,
  KeyState,
  RunOptions,
  RunOutcome,
} from './types.ts';

/** Options of {@link IdempotencyLedger.wrap}. */
export interface WrapOptions<A extends readonly unknown[]> extends Omit<RunOptions, 'payload'> {
  /**
   * A stable name for the function: part of every derived key, so two
   * functions called with the same arguments get different keys.
   */
  readonly name: string;
  /** The key of a call. Default: {@link deriveKey}(name, ...args). */
  readonly key?: (...args: A) => string;
  /**
   * The payload checked against the record. Default: the arguments when `key`
   * is given (the same key with other arguments is an error), none otherwise
   * (the derived key already covers the arguments). Return undefined to skip.
   */
  readonly payload?: (...args: A) => unknown;
}

/**
 * Exactly-once side effects on an object store. Create it with
 * {@link createIdempotency}; inside runJob use `job.idempotent`.
 *
 * @example
 * ```ts
 * const ledger = createIdempotency({ store, identity, log });
 * const receipt = await ledger.run(`invoice-${order.id}`, ({ signal }) => billing.charge(order, { signal }), {
 *   payload: order,
 * });
 * ```
 */
export class IdempotencyLedger {
  readonly #store: ObjectStore;
  readonly #prefix: string;
  readonly #defaults: IdempotencySettings;
  /** The ledger's own settings, resolved once: most calls override nothing. */
  readonly #settings: ResolvedSettings;
  readonly #log: JobLogger | undefined;
  readonly #clock: () => number;
  readonly #cache: CompletionCache;
  readonly #stats: StatsRecorder;
  /** Claims won and not yet settled or handed to a running function: released at shutdown. */
  readonly #held = new Set<ClaimHandle>();
  readonly #claimer: Claimer;
  readonly #signal: AbortSignal | undefined;
  #ready: Promise<void> | undefined;

  constructor(options: IdempotencyOptions) {
    if (typeof options?.store !== 'object' || options.store === null) {
      throw new ConfigurationError(`option store must be an ObjectStore (see openStore), got ${options?.store === null ? 'null' : typeof options?.store}`);
    }
    this.#store = options.store;
    this.#prefix = recordsPrefix({ identity: options.identity, scope: options.scope });
    this.#defaults = { ...options };
    this.#settings = resolveSettings(options); // fails fast on a bad option
    this.#claimer = new Claimer(options.identity, this.#held);
    this.#log = options.log;
    this.#signal = options.signal;
    this.#clock = options.clock ?? Date.now;
    this.#cache = new CompletionCache(checkOption('cacheSize', options.cacheSize, { min: 0, integer: true }) ?? DEFAULT_CACHE_SIZE);
    this.#stats = new StatsRecorder(options.onEvent);
    options.lifecycle?.onShutdown({
      name: 'idempotency.release-claims',
      phase: 'release',
      budgetMs: 5_000,
      run: async () => {
        await this.releaseAll();
      },
    });
  }

  /** Where this ledger's records live (relative to the store root). */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Counters since creation, for metrics.
   *
   * @example
   * ```ts
   * const { hits, misses, conflicts, takeovers } = ledger.stats;
   * ```
   */
  get stats(): IdempotencyStats {
    return this.#stats.snapshot();
  }

  /**
   * Run `fn` once for `key`: the first caller runs it and records its result;
   * every later caller (any pod, any attempt, until `ttlMs`) gets the recorded
   * result without running it. Results are stored as JSON, and every caller,
   * the first included, gets the value as recorded.
   *
   * @throws IdempotencyKeyError, IdempotencyPayloadMismatchError, IdempotencyResultError,
   *   IdempotencyKeyInProgressError, IdempotencyLeaseLostError, IdempotencyRecordedFailureError,
   *   ConfigurationError (store without conditional writes), or what `fn` threw.
   * @example
   * ```ts
   * const id = await ledger.run(`upload-${day}`, async ({ signal }) => {
   *   const res = await uploadReport(day, { signal });
   *   return res.objectId;
   * });
   * ```
   */
  async run<T>(key: string, fn: IdempotentFunction<T>, options: RunOptions = {}): Promise<T> {
    return (await this.runDetailed(key, fn, options)).value;
  }

  /**
   * {@link run}, also telling whether the result was replayed.
   *
   * @example
   * ```ts
   * const { value, replayed } = await ledger.runDetailed('k', () => send(msg));
   * if (!replayed) sent++;
   * ```
   */
  async runDetailed<T>(key: string, fn: IdempotentFunction<T>, options: RunOptions = {}): Promise<RunOutcome<T>> {
    return await withSpan(SPAN_NAMES.idempotency, async (span) => {
      const outcome = await this.#runDetailed(key, fn, options);
      // The key itself may be user data: only its outcome goes on the span.
      span.setAttributes({ 'jobkit.idempotency.replayed': outcome.replayed, 'jobkit.idempotency.takeover': outcome.takeover });
      return outcome;
    });
  }

  async #runDetailed<T>(key: string, fn: IdempotentFunction<T>, options: RunOptions): Promise<RunOutcome<T>> {
    const signal = this.#signalOf(options);
    const cached = this.#fromCache(key, options);
    if (cached !== undefined) return { value: cached.result as T, replayed: true, cached: true, takeover: false };
    const ctx = this.#context(key, options);
    await this.#ensureReady();
    const waitUntilMs = this.#clock() + ctx.settings.maxWaitMs;
    let pollMs = ctx.settings.pollMinMs;
    let waited = false;
    for (let polling = false; ; polling = true) {
      signal?.throwIfAborted();
      // While waiting, poll by reading: a write would fail anyway while the owner holds the key.
      const outcome = await this.#claimer.attempt(ctx, signal, polling || undefined);
      switch (outcome.status) {
        case 'completed':
          return { value: outcome.result as T, replayed: true, cached: false, takeover: false };
        case 'failed':
          throw outcome.error;
        case 'claimed':
          return await this.#execute(ctx, outcome.claim, fn, signal);
        case 'in-progress': {
          const nowMs = this.#clock();
          const owner = describeOwner(outcome.owner);
          if (ctx.settings.onInProgress === 'fail') {
            throw new IdempotencyKeyInProgressError(key, owner, outcome.leaseExpiresAtMs, "onInProgress is 'fail'");
          }
          if (nowMs >= waitUntilMs) {
            throw new IdempotencyKeyInProgressError(key, owner, outcome.leaseExpiresAtMs, `gave up after maxWaitMs (${ctx.settings.maxWaitMs})`);
          }
          if (!waited) {
            // Said once per call: a replacement pod waiting on a crashed owner's lease is otherwise silent.
            waited = true;
            this.#stats.emit({ type: 'lease-wait', keyHash: ctx.keyHash });
            this.#log?.info(
              { key, owner, leaseExpiresAt: new Date(outcome.leaseExpiresAtMs).toISOString(), takeableAt: new Date(outcome.leaseExpiresAtMs + ctx.settings.clockSkewMarginMs).toISOString() },
              "idempotency key is held by another owner's lease: waiting for it to complete or expire",
            );
          }
          // Wake up no later than the moment the lease becomes takeable.
          const takeableInMs = outcome.leaseExpiresAtMs + ctx.settings.clockSkewMarginMs - nowMs + 1;
          const jittered = pollMs * (0.5 + Math.random() / 2);
          await sleep(Math.max(1, Math.min(jittered, takeableInMs, waitUntilMs - nowMs)), undefined, { signal });
          pollMs = Math.min(pollMs * 2, ctx.settings.pollMaxMs);
        }
      }
    }
  }

  /**
   * What the store says about a key, without claiming it. A COMPLETED record
   * found here is cached, so checking many keys first (see {@link checkMany})
   * lets later `run` calls answer without a request.
   *
   * @example
   * ```ts
   * const state = await ledger.check(`email-${user.id}`);
   * if (state.status === 'completed') skip();
   * ```
   */
  async check(key: string, options: RunOptions = {}): Promise<KeyState> {
    const cached = this.#fromCache(key, options);
    if (cached !== undefined) {
      return { status: 'completed', result: cached.result, completedAtMs: cached.completedAtMs, expiresAtMs: cached.expiresAtMs };
    }
    const ctx = this.#context(key, options);
    const current = await readRecord(this.#store, ctx.storeKey, this.#signalOf(options));
    if (current === undefined) return { status: 'absent' };
    const { record } = current;
    const nowMs = this.#clock();
    const margin = ctx.settings.clockSkewMarginMs;
    switch (record.status) {
      case 'RELEASED':
        return { status: 'absent' };
      case 'IN_PROGRESS':
        return { status: 'in-progress', owner: record.owner, leaseExpiresAtMs: record.leaseExpiresAtMs, expired: nowMs > record.leaseExpiresAtMs + margin };
      case 'COMPLETED':
      case 'FAILED':
        if (record.expiresAtMs !== null && nowMs > record.expiresAtMs + margin) return { status: 'absent' };
        checkPayload(ctx, record);
        if (record.status === 'FAILED') return { status: 'failed', error: record.error, completedAtMs: record.completedAtMs };
        cacheCompleted(ctx, record);
        return { status: 'completed', result: record.result, completedAtMs: record.completedAtMs, expiresAtMs: record.expiresAtMs };
    }
  }

  /**
   * Claim a key without running anything: the caller performs the side effect
   * and then completes, fails or releases the claim. Never waits: a key held
   * under a live lease comes back as `in-progress`. Release what you do not
   * complete; claims still held at shutdown are released by the lifecycle hook.
   *
   * @example
   * ```ts
   * const outcome = await ledger.claim(`msg-${id}`);
   * if (outcome.status === 'claimed') {
   *   try { await send(msg, { signal: outcome.claim.signal }); await outcome.claim.complete(); }
   *   catch (err) { await outcome.claim.fail(err); throw err; }
   * }
   * ```
   */
  async claim(key: string, options: RunOptions = {}): Promise<ClaimOutcome> {
    const cached = this.#fromCache(key, options);
    if (cached !== undefined) return { status: 'completed', result: cached.result, cached: true };
    const ctx = this.#context(key, options);
    await this.#ensureReady();
    return await this.#claimer.attempt(ctx, this.#signalOf(options));
  }

  /**
   * {@link check} for many keys, at most `concurrency` requests at once.
   * Results are in the order of `keys`.
   *
   * @example
   * ```ts
   * const states = await ledger.checkMany(rows.map((r) => `row-${r.id}`), { concurrency: 32 });
   * const todo = rows.filter((_, i) => states[i]!.status !== 'completed');
   * ```
   */
  async checkMany(keys: readonly string[], options: BatchOptions = {}): Promise<KeyState[]> {
    return await batch.checkMany(this, keys, options, this.#signalOf(options));
  }

  /**
   * {@link claim} for many keys, at most `concurrency` requests at once.
   * Results are in the order of `keys`. If one claim fails, the claims already
   * won are released before the error is thrown.
   *
   * @example
   * ```ts
   * const outcomes = await ledger.claimMany(ids.map((id) => `msg-${id}`));
   * const mine = outcomes.flatMap((o) => (o.status === 'claimed' ? [o.claim] : []));
   * ```
   */
  async claimMany(keys: readonly string[], options: BatchOptions = {}): Promise<ClaimOutcome[]> {
    return await batch.claimMany(this, keys, options, this.#signalOf(options));
  }

  /**
   * {@link run} over many items, at most `concurrency` at once; results in
   * item order. The first error stops launching new items and is thrown once
   * the running ones have settled.
   *
   * @example
   * ```ts
   * await ledger.runMany(rows, (row) => `row-${row.id}`, async (row, { signal }) => {
   *   await db.insert(row, { signal });
   * }, { concurrency: 8 });
   * ```
   */
  async runMany<I, T>(
    items: readonly I[],
    keyOf: (item: I) => string,
    fn: (item: I, context: Parameters<IdempotentFunction<T>>[0]) => Promise<T> | T,
    options: BatchOptions & { readonly payloadOf?: (item: I) => unknown } = {},
  ): Promise<T[]> {
    return await batch.runMany(this, items, keyOf, fn, options, this.#signalOf(options));
  }

  /**
   * Make a function idempotent: each call's key is derived from its arguments
   * (or by `key`), so calling it again with the same arguments returns the
   * recorded result.
   *
   * @example
   * ```ts
   * const sendWelcome = ledger.wrap((userId: string) => mailer.send(userId, 'welcome'), { name: 'send-welcome' });
   * await sendWelcome('u-1'); // sends
   * await sendWelcome('u-1'); // replays, sends nothing
   * ```
   */
  wrap<A extends readonly unknown[], T>(fn: (...args: A) => Promise<T> | T, options: WrapOptions<A>): (...args: A) => Promise<T> {
    const { name, key, payload, ...rest } = options;
    try {
      validateKey(name);
    } catch (err) {
      throw new ConfigurationError(`option name of wrap() must be a usable key: ${(err as Error).message}`, { cause: err });
    }
    return async (...args: A): Promise<T> => {
      const callKey = key === undefined ? deriveKey(name, args) : key(...args);
      const callPayload = payload !== undefined ? payload(...args) : key !== undefined ? args : undefined;
      return await this.run(callKey, () => fn(...args), { ...rest, payload: callPayload });
    };
  }

  /**
   * Release every claim this ledger still holds (shutdown; also run by the
   * lifecycle hook when `lifecycle` was given).
   *
   * @example
   * ```ts
   * await ledger.releaseAll();
   * ```
   */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held].map((c) => c.release()));
  }

  #context(key: string, options: RunOptions): ClaimContext {
    validateKey(key);
    const { storeKey, keyHash } = recordKey(this.#prefix, key);
    return {
      store: this.#store,
      key,
      storeKey,
      keyHash,
      payloadHash: payloadHash(options.payload),
      settings: SETTING_NAMES.some((name) => options[name] !== undefined) ? resolveSettings(this.#defaults, options) : this.#settings,
      clock: this.#clock,
      stats: this.#stats,
      cache: this.#cache,
      log: this.#log,
    };
  }

  /** The call's signal combined with the ledger's (e.g. job.signal). */
  #signalOf(options: RunOptions): AbortSignal | undefined {
    const own = options.signal;
    if (own === undefined || this.#signal === undefined) return own ?? this.#signal;
    return AbortSignal.any([own, this.#signal]);
  }

  async #ensureReady(): Promise<void> {
    this.#ready ??= requireConditionalWrites(this.#store, 'idempotency').then(
      () => undefined,
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    );
    await this.#ready;
  }

  /**
   * A completed result from the in-process cache. Keyed by the caller's key,
   * so a hit costs no hashing and no request.
   */
  #fromCache(
    key: string,
    options: RunOptions,
  ): { readonly result: unknown; readonly completedAtMs: number; readonly expiresAtMs: number | null } | undefined {
    validateKey(key);
    const entry = this.#cache.get(key, this.#clock());
    if (entry === undefined) return undefined;
    const expected = payloadHash(options.payload);
    if (entry.payloadHash !== expected) {
      this.#stats.emit({ type: 'mismatch', keyHash: entry.keyHash });
      throw new IdempotencyPayloadMismatchError(key, entry.payloadHash, expected);
    }
    this.#stats.emit({ type: 'hit', keyHash: entry.keyHash, cached: true });
    return { result: parseResult(entry.resultJson), completedAtMs: entry.completedAtMs, expiresAtMs: entry.expiresAtMs };
  }

  async #execute<T>(ctx: ClaimContext, claim: IdempotencyClaim, fn: IdempotentFunction<T>, signal: AbortSignal | undefined): Promise<RunOutcome<T>> {
    const handle = claim as ClaimHandle;
    // This claim settles when fn does: the shutdown hook must not release it
    // while fn may still be running (another pod would start the same side
    // effect). If the process dies first, the lease simply expires.
    this.#held.delete(handle);
    const fnSignal = signal === undefined ? handle.signal : AbortSignal.any([handle.signal, signal]);
    let value: T;
    try {
      value = await fn({ signal: fnSignal, key: ctx.key, takeover: handle.takeover });
    } catch (err) {
      await handle.fail(err);
      const lost: unknown = handle.signal.reason;
      if (err !== lost && handle.signal.aborted && lost instanceof IdempotencyLeaseLostError) {
        throw new IdempotencyLeaseLostError(ctx.key, `${lost.reason}; the function then threw: ${String(err)}`, { cause: err });
      }
      throw err;
    }
    const resultJson = await handle.completeWith(value);
    return { value: parseResult(resultJson) as T, replayed: false, cached: false, takeover: handle.takeover };
  }
}

/**
 * Create an idempotency ledger.
 *
 * @throws ConfigurationError for a bad option (named in the message), or when
 *   neither `identity` nor `scope` is given. The store's conditional writes are
 *   checked on first use (ConfigurationError when it ignores them).
 * @example
 * ```ts
 * const ledger = createIdempotency({ store: openStore(process.env.JOBKIT_STORE!), scope: 'nightly-billing' });
 * await ledger.run(`bill-${customer.id}-${month}`, () => bill(customer, month));
 * ```
 */
export function createIdempotency(options: IdempotencyOptions): IdempotencyLedger {
  return new IdempotencyLedger(options);
}
