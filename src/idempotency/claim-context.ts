/**
 * What every step of one claim needs to know, and the owner-checked
 * compare-and-swap they all use.
 */
import type { ObjectStore } from '../store/types.ts';
import type { JobLogger } from '../runtime/types.ts';
import type { CompletionCache } from './cache.ts';
import type { IdempotencyRecord } from './format.ts';
import type { ResolvedSettings } from './settings.ts';
import type { StatsRecorder } from './stats.ts';
import { readRecord, writeRecord } from './store-ops.ts';

/** The fixed facts of one key in one call. */
export interface ClaimContext {
  readonly store: ObjectStore;
  /** The key as the caller gave it. */
  readonly key: string;
  readonly storeKey: string;
  readonly keyHash: string;
  readonly payloadHash: string | null;
  readonly settings: ResolvedSettings;
  readonly clock: () => number;
  readonly stats: StatsRecorder;
  readonly cache: CompletionCache;
  readonly log: JobLogger | undefined;
}

/** How an owner-checked write ended. */
export type OwnedWriteResult =
  | { readonly outcome: 'written'; readonly etag: string }
  /** An earlier attempt of this very write had landed (its response was lost). */
  | { readonly outcome: 'already' }
  /** Another owner changed the record: this owner no longer holds the key. */
  | { readonly outcome: 'lost'; readonly current: IdempotencyRecord | undefined };

/** How many times a write whose etag went stale under this very owner is retried. */
const OWN_STALE_ATTEMPTS = 8;

/**
 * Compare-and-swap a record that this owner (`token`) holds, from `etag`. On a
 * failed condition the record is re-read: when it is still this owner's
 * IN_PROGRESS record (a renewal's response was lost, so `etag` was stale), the
 * write is retried from the new etag; when it already is `landed` (this write
 * succeeded before), that is success; anything else means the key was taken
 * over.
 *
 * @example
 * ```ts
 * const r = await writeOwned(ctx, etag, token, body, (rec) => rec.status === 'COMPLETED');
 * if (r.outcome === 'lost') throw new IdempotencyLeaseLostError(ctx.key, 'taken over');
 * ```
 */
export async function writeOwned(
  ctx: ClaimContext,
  etag: string,
  token: string,
  body: string,
  landed: (record: IdempotencyRecord) => boolean,
  signal?: AbortSignal,
): Promise<OwnedWriteResult> {
  let current = etag;
  for (let attempt = 0; attempt < OWN_STALE_ATTEMPTS; attempt++) {
    const written = await writeRecord(ctx.store, ctx.storeKey, body, { ifMatch: current }, signal);
    if (written.ok) return { outcome: 'written', etag: written.etag };
    const now = await readRecord(ctx.store, ctx.storeKey, signal);
    if (now === undefined || now.record.owner.token !== token) return { outcome: 'lost', current: now?.record };
    if (landed(now.record)) return { outcome: 'already' };
    if (now.record.status !== 'IN_PROGRESS') return { outcome: 'lost', current: now.record };
    current = now.etag;
  }
  return { outcome: 'lost', current: undefined };
}
