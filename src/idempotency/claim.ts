/**
 * A held claim: settle it exactly once, by completing it (record the result),
 * failing it (record a permanent error or release) or releasing it.
 */
import { classifyError } from '../runtime/classify.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { type ClaimContext, writeOwned } from './claim-context.ts';
import { IdempotencyLeaseLostError, IdempotencyResultError } from './errors.ts';
import type { LeaseKeeper } from './lease.ts';
import {
  type CompletedRecord,
  encodeRecord,
  type FailedRecord,
  type InProgressRecord,
  type RecordFields,
  type ReleasedRecord,
} from './format.ts';
import type { IdempotencyClaim, RecordOwner } from './types.ts';

/**
 * The JSON of a result, validated: undefined for an undefined result.
 *
 * @throws IdempotencyResultError naming the path of the first unserializable value, or the size.
 * @example
 * ```ts
 * serializeResult('k', { rows: 3 }, 1024); // '{"rows":3}'
 * ```
 */
export function serializeResult(key: string, result: unknown, maxResultBytes: number): string | undefined {
  if (result === undefined) return undefined;
  let json: string;
  try {
    json = canonicalJson(result);
  } catch (err) {
    throw new IdempotencyResultError(key, (err as Error).message, { cause: err });
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxResultBytes) {
    throw new IdempotencyResultError(key, `its JSON is ${bytes} bytes, more than maxResultBytes (${maxResultBytes})`);
  }
  return json;
}

/**
 * Parse a recorded result's JSON (undefined stays undefined).
 *
 * @example
 * ```ts
 * parseResult('{"rows":3}'); // { rows: 3 }
 * ```
 */
export function parseResult(resultJson: string | undefined): unknown {
  return resultJson === undefined ? undefined : JSON.parse(resultJson);
}

/**
 * {@link IdempotencyClaim} backed by a running {@link LeaseKeeper}.
 *
 * @example
 * ```ts
 * const handle = new ClaimHandle(ctx, keeper, false, () => held.delete(handle));
 * try { await sideEffect(handle.signal); await handle.complete(); } catch (e) { await handle.fail(e); throw e; }
 * ```
 */
export class ClaimHandle implements IdempotencyClaim {
  readonly takeover: boolean;
  readonly #ctx: ClaimContext;
  readonly #keeper: LeaseKeeper;
  readonly #owner: RecordOwner;
  readonly #onSettled: () => void;
  #settled = false;

  constructor(ctx: ClaimContext, keeper: LeaseKeeper, owner: RecordOwner, takeover: boolean, onSettled: () => void) {
    this.#ctx = ctx;
    this.#keeper = keeper;
    this.#owner = owner;
    this.takeover = takeover;
    this.#onSettled = onSettled;
  }

  get key(): string {
    return this.#ctx.key;
  }

  get storeKey(): string {
    return this.#ctx.storeKey;
  }

  get signal(): AbortSignal {
    return this.#keeper.signal;
  }

  /** True once completed, failed or released. */
  get settled(): boolean {
    return this.#settled;
  }

  async complete(result?: unknown): Promise<void> {
    await this.completeWith(result);
  }

  /**
   * {@link complete}, resolving with the recorded JSON (what later callers will
   * be given), so the first caller can be given the same value.
   */
  async completeWith(result: unknown): Promise<string | undefined> {
    this.#beginSettling();
    const { settings, clock } = this.#ctx;
    let resultJson: string | undefined;
    try {
      resultJson = serializeResult(this.#ctx.key, result, settings.maxResultBytes);
    } catch (err) {
      // The side effect ran; only its result cannot be recorded.
      await this.#release(true);
      throw err;
    }
    await this.#keeper.stop();
    this.#throwIfTakenOver();
    const completedAtMs = clock();
    const expiresAtMs = expiryOf(completedAtMs, settings.ttlMs);
    const body = encodeRecord<CompletedRecord>(
      { status: 'COMPLETED', payloadHash: this.#ctx.payloadHash, owner: this.#owner, completedAtMs, expiresAtMs },
      resultJson,
    );
    const written = await writeOwned(this.#ctx, this.#keeper.etag, this.#keeper.token, body, (r) => r.status === 'COMPLETED');
    if (written.outcome === 'lost') {
      this.#ctx.stats.emit({ type: 'lease-lost', keyHash: this.#ctx.keyHash });
      throw new IdempotencyLeaseLostError(this.#ctx.key, 'the key was taken over before the result could be recorded');
    }
    this.#ctx.cache.set(this.#ctx.key, { keyHash: this.#ctx.keyHash, payloadHash: this.#ctx.payloadHash, resultJson, completedAtMs, expiresAtMs });
    this.#ctx.stats.emit({ type: 'complete', keyHash: this.#ctx.keyHash });
    return resultJson;
  }

  async release(): Promise<void> {
    if (this.#settled) return;
    this.#beginSettling();
    await this.#release(false);
  }

  async fail(error: unknown): Promise<void> {
    if (this.#settled) return;
    this.#beginSettling();
    const record =
      this.#ctx.settings.permanentErrors === 'record' &&
      !(error instanceof IdempotencyLeaseLostError) &&
      classifyError(error) === 'permanent';
    if (!record) {
      // The side effect threw: it may have happened in part (an aborted PUT
      // that the server had already committed, a message sent before a
      // timeout). The next claimant must be told, as after a crash.
      await this.#release(true);
      return;
    }
    await this.#keeper.stop();
    this.#throwIfTakenOver();
    const { clock, settings } = this.#ctx;
    const completedAtMs = clock();
    const failure = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    const body = encodeRecord<FailedRecord>({
      status: 'FAILED',
      payloadHash: this.#ctx.payloadHash,
      owner: this.#owner,
      completedAtMs,
      expiresAtMs: expiryOf(completedAtMs, settings.ttlMs),
      error: failure,
    });
    const written = await writeOwned(this.#ctx, this.#keeper.etag, this.#keeper.token, body, (r) => r.status === 'FAILED');
    if (written.outcome === 'lost') throw new IdempotencyLeaseLostError(this.#ctx.key, 'the key was taken over before the failure could be recorded');
  }

  #beginSettling(): void {
    if (this.#settled) throw new TypeError(`the claim on idempotency key ${JSON.stringify(this.#ctx.key)} was already settled`);
    this.#settled = true;
    this.#onSettled();
  }

  #throwIfTakenOver(): void {
    const lost = this.#keeper.takenOver;
    if (lost !== undefined) throw lost;
  }

  /**
   * Give the key back; `partial` records that the side effect ran (see
   * {@link ReleasedRecord.partial}). Never throws: when the store cannot be
   * reached the lease simply expires and the key is taken over after it.
   */
  async #release(partial: boolean): Promise<void> {
    await this.#keeper.stop();
    if (this.#keeper.takenOver !== undefined) return;
    const body = encodeRecord<ReleasedRecord>({
      status: 'RELEASED',
      payloadHash: this.#ctx.payloadHash,
      owner: this.#owner,
      releasedAtMs: this.#ctx.clock(),
      partial,
    });
    try {
      const written = await writeOwned(this.#ctx, this.#keeper.etag, this.#keeper.token, body, (r) => r.status === 'RELEASED');
      if (written.outcome !== 'lost') this.#ctx.stats.emit({ type: 'release', keyHash: this.#ctx.keyHash });
    } catch (err) {
      this.#ctx.log?.warn({ err, storeKey: this.#ctx.storeKey }, 'could not release an idempotency claim; it frees itself when its lease expires');
    }
  }
}

/** When a record completed at `completedAtMs` expires; `null` (never) for an infinite TTL. */
function expiryOf(completedAtMs: number, ttlMs: number): number | null {
  return Number.isFinite(ttlMs) ? completedAtMs + ttlMs : null;
}

/**
 * The fields of a fresh IN_PROGRESS record.
 *
 * @example
 * ```ts
 * encodeRecord<InProgressRecord>(inProgressFields(owner, null, Date.now(), 60_000, 0));
 * ```
 */
export function inProgressFields(
  owner: RecordOwner,
  payloadHash: string | null,
  nowMs: number,
  leaseMs: number,
  takeovers: number,
): RecordFields<InProgressRecord> {
  return { status: 'IN_PROGRESS', payloadHash, owner, claimedAtMs: nowMs, leaseExpiresAtMs: nowMs + leaseMs, takeovers };
}
