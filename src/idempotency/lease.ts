/**
 * The lease keeper: while a claim is held, renew its lease in the background
 * by compare-and-swap, and abort the claim's signal when the lease is lost.
 *
 * Two ways to lose it:
 * - taken over: a renewal's CAS fails and the record now belongs to another
 *   owner. Definitive: this owner's result can never be recorded.
 * - expired here: no renewal succeeded before the lease's expiry on the local
 *   clock (store unreachable, event loop stalled). Another owner may take the
 *   key over `clockSkewMarginMs` later, so the function is told to stop now.
 *   Its result is still recorded if it returns anyway and the final CAS proves
 *   that nobody took over (the CAS is the proof; the local clock is not).
 */
import { type ClaimContext, writeOwned } from './claim-context.ts';
import { IdempotencyLeaseLostError } from './errors.ts';
import { encodeRecord, type InProgressRecord } from './format.ts';
import { describeOwner } from './owner.ts';

/**
 * Renews one claim's lease until stopped.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper(ctx, { record, etag });
 * keeper.start();
 * await doWork({ signal: keeper.signal });
 * await keeper.stop();
 * if (keeper.takenOver) throw keeper.takenOver;
 * ```
 */
export class LeaseKeeper {
  readonly #ctx: ClaimContext;
  readonly #lostController = new AbortController();
  /** Aborts a renewal in flight when the keeper stops. */
  readonly #stopController = new AbortController();
  #record: InProgressRecord;
  #etag: string;
  #renewTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;
  #stopped = false;
  #takenOver: IdempotencyLeaseLostError | undefined;

  constructor(ctx: ClaimContext, current: { readonly record: InProgressRecord; readonly etag: string }) {
    this.#ctx = ctx;
    this.#record = current.record;
    this.#etag = current.etag;
  }

  /** Aborted (reason: IdempotencyLeaseLostError) when the lease is lost. */
  get signal(): AbortSignal {
    return this.#lostController.signal;
  }

  /** The etag of this owner's latest write. */
  get etag(): string {
    return this.#etag;
  }

  /** The owner's token. */
  get token(): string {
    return this.#record.owner.token;
  }

  /** Set when another owner took the key over. */
  get takenOver(): IdempotencyLeaseLostError | undefined {
    return this.#takenOver;
  }

  /** The lease's current expiry (ms since the epoch, local clock). */
  get leaseExpiresAtMs(): number {
    return this.#record.leaseExpiresAtMs;
  }

  /** Start renewing. */
  start(): void {
    this.#armExpiry();
    this.#scheduleRenewal(this.#ctx.settings.renewEveryMs);
  }

  /** Stop renewing; resolves when no renewal is in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#stopController.abort();
    await this.#inflight;
  }

  #scheduleRenewal(delayMs: number): void {
    if (this.#stopped || this.#lostController.signal.aborted) return;
    // Unref'd: a claim someone forgot to settle must not keep the process alive.
    this.#renewTimer = setTimeout(() => {
      this.#inflight = this.#renew().finally(() => {
        this.#inflight = undefined;
      });
    }, delayMs).unref();
  }

  #armExpiry(): void {
    clearTimeout(this.#expiryTimer);
    const remainingMs = Math.max(0, this.#record.leaseExpiresAtMs - this.#ctx.clock());
    this.#expiryTimer = setTimeout(() => {
      this.#lose(new IdempotencyLeaseLostError(this.#ctx.key, `no renewal succeeded before the lease expired (leaseMs ${this.#ctx.settings.leaseMs})`));
    }, remainingMs).unref();
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    const { settings, clock, log, storeKey } = this.#ctx;
    const next: InProgressRecord = { ...this.#record, leaseExpiresAtMs: clock() + settings.leaseMs };
    let retryInMs = settings.renewEveryMs;
    try {
      const result = await writeOwned(this.#ctx, this.#etag, this.token, encodeRecord<InProgressRecord>(next), () => false, this.#stopController.signal);
      if (result.outcome === 'written') {
        this.#etag = result.etag;
        this.#record = next;
        if (!this.#stopped) this.#armExpiry();
      } else if (result.outcome === 'lost') {
        const by = result.current === undefined ? 'the record was deleted' : `taken over by ${describeOwner(result.current.owner)}`;
        const lost = new IdempotencyLeaseLostError(this.#ctx.key, by);
        this.#takenOver = lost;
        this.#lose(lost);
      }
    } catch (err) {
      if (this.#stopped) return;
      // Transient trouble: try again sooner; the expiry timer bounds how long.
      retryInMs = Math.max(1, Math.floor(settings.renewEveryMs / 2));
      log?.warn({ err, storeKey }, 'idempotency lease renewal failed; retrying');
    }
    this.#scheduleRenewal(retryInMs);
  }

  #lose(reason: IdempotencyLeaseLostError): void {
    if (this.#lostController.signal.aborted) return;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#ctx.stats.emit({ type: 'lease-lost', keyHash: this.#ctx.keyHash });
    this.#ctx.log?.warn({ storeKey: this.#ctx.storeKey, reason: reason.message }, 'idempotency lease lost');
    this.#lostController.abort(reason);
  }
}
