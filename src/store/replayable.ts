/**
 * Bodies that can be read more than once. S3 answers a conditional
 * CompleteMultipartUpload that raced another write with 409
 * ConditionalRequestConflict, after which the whole upload must be redone;
 * a one-shot stream cannot be, so only bodies marked replayable are restarted.
 */
import type { Readable } from 'node:stream';

const REPLAYABLE = Symbol.for('jobkit.store.replayable');

/** An AsyncIterable that opens its source afresh on every iteration. */
export interface ReplayableBody extends AsyncIterable<Uint8Array> {
  readonly [REPLAYABLE]: true;
}

/**
 * Wrap a function that opens the body, so that a store may read it again
 * (restart an upload after a conflict).
 *
 * @example
 * ```ts
 * await store.putStream(key, replayableBody(() => createReadStream('/data/model.bin')), { ifNoneMatch: '*' });
 * ```
 */
export function replayableBody(open: () => Readable | AsyncIterable<Uint8Array>): ReplayableBody {
  return {
    [REPLAYABLE]: true,
    [Symbol.asyncIterator]: () => (open() as AsyncIterable<Uint8Array>)[Symbol.asyncIterator](),
  };
}

/**
 * Whether a body was made with {@link replayableBody}.
 *
 * @example
 * ```ts
 * if (isReplayable(body)) { // may restart the upload
 * }
 * ```
 */
export function isReplayable(body: unknown): body is ReplayableBody {
  return typeof body === 'object' && body !== null && (body as Partial<ReplayableBody>)[REPLAYABLE] === true;
}
