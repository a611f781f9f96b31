/**
 * Resumable iteration over in-memory shares (integer ranges, lists) and the
 * cursor checks shared with the frozen-plan iterator.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { sha256Hex } from '../util/hash.ts';
import { type GuardedKeys, guardedItem, syncIterationError } from './guarded.ts';
import type { IntegerShare } from './strategies.ts';
import type { ShardCursor } from './types.ts';

/**
 * Check that `cursor` is a cursor of the shard fingerprinted `of` and return
 * its position (0 when there is no cursor). Resuming another shard's cursor
 * would silently skip or repeat work, so it is refused.
 *
 * @example
 * ```ts
 * const start = resumePosition(saved, 'plan', fingerprint, shardSize);
 * ```
 */
export function resumePosition(cursor: ShardCursor | undefined, kind: ShardCursor['kind'], of: string, size: number): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== 'object' || cursor === null || cursor.v !== 1) {
    throw new ConfigurationError(`resume cursor has an unknown format: ${safeJson(cursor)}`);
  }
  if (cursor.kind !== kind || cursor.of !== of) {
    throw new ConfigurationError(
      `resume cursor belongs to another shard (${cursor.kind} ${JSON.stringify(cursor.of)}, this is ${kind} ${JSON.stringify(of)}); ` +
        `the input, strategy, index or count changed since it was saved`,
    );
  }
  const { position } = cursor;
  if (!Number.isSafeInteger(position) || position < 0 || position > size) {
    throw new ConfigurationError(`resume cursor position must be an integer in [0, ${size}], got ${String(position)}`);
  }
  return position;
}

/**
 * A short fingerprint of a JSON-compatible description of a shard.
 *
 * @example
 * ```ts
 * fingerprint(['range', 0, 100, 1, 0, 4]); // 16 hex digits
 * ```
 */
export function fingerprint(parts: readonly (string | number)[]): string {
  return sha256Hex(JSON.stringify(parts)).slice(0, 16);
}

/**
 * A synchronous iterable over a shard held in memory that knows how far it got:
 * read {@link ResumableSequence.cursor} at any time (typically in a checkpoint)
 * and pass it back as `resume` after a restart to skip finished items.
 * Created with `quarantine: true` (a guard), it must be iterated with
 * `for await`: each item is then marked in progress before the loop body
 * runs, and poison items are skipped (synchronous iteration throws a
 * ConfigurationError).
 *
 * @example
 * ```ts
 * const rows = job.shard.range(1_000_000, { resume: saved?.cursor });
 * for (const i of rows) {
 *   await processRow(i);
 *   if (i % 1000 === 0) await job.checkpoint.save({ cursor: rows.cursor });
 * }
 * const guarded = job.shard.range(1_000_000, { resume: saved?.cursor, quarantine: true });
 * for await (const i of guarded) await processRow(i);
 * ```
 */
export class ResumableSequence<T> implements Iterable<T>, AsyncIterable<T> {
  /** Items in the whole shard (finished or not). */
  readonly size: number;
  readonly #at: (position: number) => T;
  readonly #kind: ShardCursor['kind'];
  readonly #of: string;
  readonly #guarded: GuardedKeys<T> | undefined;
  #position: number;

  constructor(size: number, at: (position: number) => T, kind: ShardCursor['kind'], of: string, resume?: ShardCursor, guarded?: GuardedKeys<T>) {
    this.size = size;
    this.#guarded = guarded;
    this.#at = at;
    this.#kind = kind;
    this.#of = of;
    this.#position = resumePosition(resume, kind, of, size);
  }

  /** Items finished so far (the item being processed is not counted). */
  get position(): number {
    return this.#position;
  }

  /** The cursor to save; a small JSON value. */
  get cursor(): ShardCursor {
    return { v: 1, kind: this.#kind, of: this.#of, position: this.#position };
  }

  /** Items not yet finished. */
  get remaining(): number {
    return this.size - this.#position;
  }

  /** Whether items are guarded (`quarantine: true`): iterate with `for await`. */
  get quarantine(): boolean {
    return this.#guarded !== undefined;
  }

  [Symbol.iterator](): Iterator<T> {
    // Thrown at once, not at the first next(): a for...of fails on its first line.
    if (this.#guarded !== undefined) throw syncIterationError(this.#guarded.what);
    return this.#items();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const guarded = this.#guarded;
    if (guarded === undefined) {
      yield* this.#items();
      return;
    }
    while (this.#position < this.size) yield* guardedItem(guarded, this.#at(this.#position), () => this.#position++);
  }

  *#items(): Generator<T> {
    while (this.#position < this.size) {
      yield this.#at(this.#position);
      // The consumer asked for the next item: the previous one is finished.
      this.#position++;
    }
  }
}

/**
 * A resumable iterable over the integers of a share.
 *
 * @example
 * ```ts
 * const rows = resumableRange(shardRange(1000, job.identity), saved?.cursor);
 * for (const i of rows) console.log(i);
 * ```
 */
export function resumableRange(share: IntegerShare, resume?: ShardCursor, guarded?: GuardedKeys<number>): ResumableSequence<number> {
  const of = fingerprint(['range', share.start, share.end, share.step]);
  return new ResumableSequence(share.size, (p) => share.start + p * share.step, 'range', of, resume, guarded);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

const CURSOR_KINDS: readonly ShardCursor['kind'][] = ['range', 'items', 'plan'];

/**
 * The shard cursor a checkpoint's state carries, by the documented
 * convention (`{ cursor: files.cursor }`, or the cursor as the whole state),
 * or undefined when the state holds none. Only reads: a malformed value is
 * simply not a cursor. `jobkit status` shows its position as the items done.
 *
 * @example
 * ```ts
 * findCursor({ cursor: { v: 1, kind: 'plan', of: '9f2c', position: 1200 } })?.position; // 1200
 * findCursor({ next: 3 }); // undefined
 * ```
 */
export function findCursor(state: unknown): ShardCursor | undefined {
  const asCursor = (value: unknown): ShardCursor | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const c = value as Record<string, unknown>;
    const kind = CURSOR_KINDS.find((k) => k === c.kind);
    if (c.v !== 1 || kind === undefined || typeof c.of !== 'string' || !Number.isSafeInteger(c.position) || (c.position as number) < 0) return undefined;
    return { v: 1, kind, of: c.of, position: c.position as number };
  };
  return asCursor(state) ?? (typeof state === 'object' && state !== null ? asCursor((state as Record<string, unknown>).cursor) : undefined);
}
