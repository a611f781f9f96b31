/**
 * The claim protocol: one attempt to take a key, in store requests.
 *
 * - create the IN_PROGRESS record with If-None-Match: * (one write); the first
 *   caller wins, every other gets 412 and reads the record;
 * - what the record says: COMPLETED -> the recorded result; FAILED -> the
 *   recorded error; IN_PROGRESS under a live lease -> in progress (the caller
 *   waits or fails); RELEASED, an expired lease or an expired TTL -> take the
 *   key over by compare-and-swap on the etag just read (If-Match), so among
 *   any number of racing claimants exactly one wins;
 * - a record that is this owner's own IN_PROGRESS record is a create whose
 *   response was lost: won.
 * A won claim comes back as a {@link ClaimHandle} whose lease is renewed in
 * the background (lease.ts) until it is settled (claim.ts).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { JobIdentity } from '../runtime/types.ts';
import { ClaimHandle, inProgressFields } from './claim.ts';
import type { ClaimContext } from './claim-context.ts';
import { MAX_CLAIM_ROUNDS } from './constants.ts';
import { IdempotencyKeyInProgressError, IdempotencyPayloadMismatchError, IdempotencyRecordedFailureError } from './errors.ts';
import { LeaseKeeper } from './lease.ts';
import { type CompletedRecord, encodeRecord, type IdempotencyRecord, type InProgressRecord, RECORD_VERSION } from './format.ts';
import { describeOwner } from './owner.ts';
import { ReplayTendency } from './replay-tendency.ts';
import { readRecord, writeRecord } from './store-ops.ts';
import type { ClaimOutcome, RecordOwner } from './types.ts';

/**
 * Refuse a record written for another payload under the same key.
 *
 * @throws IdempotencyPayloadMismatchError (and counts a mismatch) when the payload hashes differ.
 * @example
 * ```ts
 * checkPayload(ctx, current.record);
 * ```
 */
export function checkPayload(ctx: ClaimContext, record: IdempotencyRecord): void {
  if (record.payloadHash !== ctx.payloadHash) {
    ctx.stats.emit({ type: 'mismatch', keyHash: ctx.keyHash });
    throw new IdempotencyPayloadMismatchError(ctx.key, record.payloadHash, ctx.payloadHash);
  }
}

/**
 * Remember a completed record in the process's cache, so the next call for
 * the key is answered without a request.
 *
 * @example
 * ```ts
 * if (record.status === 'COMPLETED') cacheCompleted(ctx, record);
 * ```
 */
export function cacheCompleted(ctx: ClaimContext, record: CompletedRecord): void {
  const resultJson = record.result === undefined ? undefined : JSON.stringify(record.result);
  ctx.cache.set(ctx.key, {
    keyHash: ctx.keyHash,
    payloadHash: record.payloadHash,
    resultJson,
    completedAtMs: record.completedAtMs,
    expiresAtMs: record.expiresAtMs,
  });
}

/**
 * Claims keys for one ledger: each attempt under a fresh owner token, won
 * claims registered in `held` until they settle.
 *
 * @example
 * ```ts
 * const claimer = new Claimer(identity, held);
 * const outcome = await claimer.attempt(ctx, signal);
 * if (outcome.status === 'claimed') await outcome.claim.complete(result);
 * ```
 */
export class Claimer {
  readonly #identity: JobIdentity | undefined;
  readonly #held: Set<ClaimHandle>;
  readonly #replaying = new ReplayTendency();

  /** `held`: where won claims stay until settled (the ledger's shutdown hook releases them). */
  constructor(identity: JobIdentity | undefined, held: Set<ClaimHandle>) {
    this.#identity = identity;
    this.#held = held;
  }

  /**
   * One claim attempt: never waits. With `readFirst` the record is read before
   * any write (one GET answers a completed key, instead of a failed create and
   * a GET); otherwise the create goes first (one PUT claims a fresh key). By
   * default the order follows what recent attempts met (replay-tendency.ts).
   */
  async attempt(ctx: ClaimContext, signal: AbortSignal | undefined, readFirst = this.#replaying.likely): Promise<ClaimOutcome> {
    const owner = this.#owner();
    const { leaseMs, clockSkewMarginMs: margin } = ctx.settings;
    let current = readFirst ? await readRecord(ctx.store, ctx.storeKey, signal) : undefined;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      if (current === undefined) {
        const fresh = inProgressFields(owner, ctx.payloadHash, ctx.clock(), leaseMs, 0);
        const created = await writeRecord(ctx.store, ctx.storeKey, encodeRecord<InProgressRecord>(fresh), { ifNoneMatch: '*' }, signal);
        if (created.ok) return this.#won(ctx, owner, { record: { v: RECORD_VERSION, writeId: '', ...fresh }, etag: created.etag }, false);
        current = await readRecord(ctx.store, ctx.storeKey, signal);
        if (current === undefined) continue; // deleted in between: try to create again
      }
      const { record, etag } = current;
      if (record.owner.token === owner.token && record.status === 'IN_PROGRESS') {
        // Our create landed but its response was lost.
        return this.#won(ctx, owner, { record, etag }, false);
      }
      const nowMs = ctx.clock();
      let takeovers = 0;
      // A lease taken from an owner that stopped renewing it (stats, warning).
      let leaseTakeover = false;
      // What the function is told: an earlier run may have done part of the work.
      let mayBePartial = false;
      switch (record.status) {
        case 'RELEASED':
          mayBePartial = record.partial === true;
          break;
        case 'IN_PROGRESS':
          checkPayload(ctx, record);
          if (nowMs <= record.leaseExpiresAtMs + margin) {
            ctx.stats.emit({ type: 'conflict', keyHash: ctx.keyHash });
            this.#replaying.observe(true);
            return { status: 'in-progress', owner: record.owner, leaseExpiresAtMs: record.leaseExpiresAtMs };
          }
          takeovers = record.takeovers + 1;
          leaseTakeover = true;
          mayBePartial = true;
          break;
        case 'COMPLETED':
        case 'FAILED': {
          const expired = record.expiresAtMs !== null && nowMs > record.expiresAtMs + margin;
          if (!expired) {
            checkPayload(ctx, record);
            ctx.stats.emit({ type: 'hit', keyHash: ctx.keyHash, cached: false });
            this.#replaying.observe(true);
            if (record.status === 'FAILED') {
              return {
                status: 'failed',
                error: new IdempotencyRecordedFailureError(ctx.key, record.error.name, record.error.message, record.completedAtMs),
              };
            }
            cacheCompleted(ctx, record);
            return { status: 'completed', result: record.result, cached: false };
          }
          ctx.cache.delete(ctx.key);
          break;
        }
      }
      const next = inProgressFields(owner, ctx.payloadHash, ctx.clock(), leaseMs, takeovers);
      const taken = await writeRecord(ctx.store, ctx.storeKey, encodeRecord<InProgressRecord>(next), { ifMatch: etag }, signal);
      if (!taken.ok) {
        // Someone else moved first: look again.
        current = await readRecord(ctx.store, ctx.storeKey, signal);
        continue;
      }
      if (leaseTakeover) {
        ctx.stats.emit({ type: 'takeover', keyHash: ctx.keyHash });
        ctx.log?.warn(
          { storeKey: ctx.storeKey, from: describeOwner(record.owner), leaseExpiresAtMs: (record as InProgressRecord).leaseExpiresAtMs },
          'took over an idempotency key whose lease expired',
        );
      }
      return this.#won(ctx, owner, { record: { v: RECORD_VERSION, writeId: '', ...next }, etag: taken.etag }, mayBePartial);
    }
    throw new IdempotencyKeyInProgressError(ctx.key, 'other owners', ctx.clock(), `the record kept changing for ${MAX_CLAIM_ROUNDS} rounds`);
  }

  #won(ctx: ClaimContext, owner: RecordOwner, current: { record: InProgressRecord; etag: string }, takeover: boolean): ClaimOutcome {
    ctx.stats.emit({ type: 'miss', keyHash: ctx.keyHash });
    this.#replaying.observe(false);
    const keeper = new LeaseKeeper(ctx, current);
    const handle: ClaimHandle = new ClaimHandle(ctx, keeper, owner, takeover, () => this.#held.delete(handle));
    this.#held.add(handle);
    keeper.start();
    return { status: 'claimed', claim: handle };
  }

  /** A fresh owner: the token tells this attempt's own writes from everyone else's. */
  #owner(): RecordOwner {
    const id = this.#identity;
    return {
      token: randomUUID(),
      pod: id?.podName ?? null,
      podUid: id?.podUid ?? null,
      node: id?.nodeName ?? null,
      index: id?.index ?? null,
      attempt: id?.attempt ?? null,
      host: hostname(),
      pid: process.pid,
    };
  }
}
