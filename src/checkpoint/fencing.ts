/**
 * Epochs and commits, both as compare-and-swap on the one head object.
 *
 * Taking an epoch writes `epoch + 1` into the head with If-Match on the etag
 * just read (or If-None-Match: * when there is no head yet). Committing writes
 * the new checkpoint list into the head with If-Match on the etag this writer
 * last saw. Every write changes the head's bytes (a fresh nonce), hence its
 * etag, so once a newer epoch is taken every CAS of an older writer fails; on a
 * failed CAS the writer re-reads, and if the epoch is no longer its own it is
 * fenced. There is no window between "check" and "commit": the check IS the
 * commit.
 */
import { ConfigurationError, FencedError } from '../runtime/errors.ts';
import { tryPut } from '../store/conditional.ts';
import type { ObjectStore, PutOptions } from '../store/types.ts';
import { verifiedRead } from './errors.ts';
import { decodeHead, encodeHead, type EpochOwner, type Head } from './format.ts';
import { nextHead } from './head.ts';

/** A head and the etag it was read or written with. */
export interface HeadState {
  readonly head: Head;
  readonly etag: string;
}

/** How many times a CAS that lost a race with a legitimate writer is retried. */
const CAS_ATTEMPTS = 16;

/**
 * Read the head; undefined when the line has no head yet.
 *
 * @example
 * ```ts
 * const current = await readHead(store, headKey);
 * ```
 */
export async function readHead(store: ObjectStore, key: string, signal?: AbortSignal): Promise<HeadState | undefined> {
  const obj = await verifiedRead(key, () => store.get(key, { signal }));
  return obj === undefined ? undefined : { head: decodeHead(obj.body, key), etag: obj.info.etag };
}

/**
 * Refuse a per-index checkpoint line written by a Job with another index
 * count: its cursor belongs to another partition of the input, so resuming
 * from it would skip or repeat work silently.
 */
function assertSameCount(written: number | null | undefined, mine: number | null | undefined, key: string): void {
  if (written === null || written === undefined || mine === null || mine === undefined || written === mine) return;
  throw new ConfigurationError(
    `the checkpoints at ${key} were written by a Job with JOBKIT_COUNT=${written} indexes, but this pod has JOBKIT_COUNT=${mine}: ` +
      `its shard would not be the one checkpointed. Set completions and JOBKIT_COUNT back to ${written}, or start the line over with another JOBKIT_CHECKPOINT_SCOPE`,
  );
}

/**
 * Take the next epoch. Every older writer is fenced from the moment this
 * resolves. Retries when another starter changed the head in between.
 *
 * @example
 * ```ts
 * const { head } = await takeEpoch(store, headKey, owner, true);
 * console.log(head.epoch);
 * ```
 */
export async function takeEpoch(
  store: ObjectStore,
  key: string,
  owner: EpochOwner,
  conditional: boolean,
  signal?: AbortSignal,
): Promise<HeadState> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const current = await readHead(store, key, signal);
    assertSameCount(current?.head.owner.count, owner.count, key);
    const next = nextHead(current?.head, (current?.head.epoch ?? 0) + 1, owner);
    const condition: PutOptions = !conditional ? {} : current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag };
    const taken = await tryPut(store, key, encodeHead(next), { ...condition, contentType: 'application/json', signal });
    if (taken.ok) return { head: next, etag: taken.etag };
  }
  throw new FencedError(`could not take a checkpoint epoch on ${key}: the head kept changing (${CAS_ATTEMPTS} attempts)`);
}

/**
 * Replace the head by `build(current)` with compare-and-swap, as the owner of
 * `epoch`. When the CAS fails: if the head now has another epoch, the writer is
 * fenced (FencedError); if it is still ours (our own earlier commit whose
 * response was lost), `build` runs again on the fresh head. `build` returning
 * undefined means "already done" (e.g. the lost response did commit).
 *
 * @example
 * ```ts
 * const next = await casHead(store, key, mine, (h) => ({ ...h, lastSeq: h.lastSeq + 1 }), true);
 * ```
 */
export async function casHead(
  store: ObjectStore,
  key: string,
  current: HeadState,
  build: (head: Head) => Head | undefined,
  conditional: boolean,
  signal?: AbortSignal,
): Promise<HeadState> {
  const epoch = current.head.epoch;
  let base: HeadState = current;
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const next = build(base.head);
    if (next === undefined) return base;
    const swapped = await tryPut(store, key, encodeHead(next), { ...(conditional ? { ifMatch: base.etag } : {}), contentType: 'application/json', signal });
    if (swapped.ok) return { head: next, etag: swapped.etag };
    const fresh = await readHead(store, key, signal);
    if (fresh === undefined || fresh.head.epoch !== epoch) {
      throw new FencedError(
        `checkpoint writer with epoch ${epoch} is fenced: ` +
          (fresh === undefined ? `the head ${key} was deleted` : `epoch ${fresh.head.epoch} was taken by pod ${fresh.head.owner.pod ?? '(unknown)'}`),
      );
    }
    base = fresh;
  }
  throw new FencedError(`checkpoint writer with epoch ${epoch} could not commit on ${key}: the head kept changing`);
}
