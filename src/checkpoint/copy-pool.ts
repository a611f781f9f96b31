/**
 * Memory for the copies a save takes of its caller's buffers, kept for the
 * next save. A training job saves same-sized weights again and again; a new
 * 64 MiB buffer for every save is 16,384 pages the kernel must fault in and
 * zero, about 30 ms on the loop's thread before the first byte is sent, where
 * refilling a buffer of the last save is a plain memcpy. A buffer comes back
 * only when the store has said it is done with every slice of it (fresh.ts
 * `release`): a store that keeps the bytes (the memory store) never gives
 * them back, and the copy then simply stays that store's.
 *
 * Bounded: at most `maxBytes` are kept, (concurrency + 1) x partSize by
 * default, the memory one streamed upload holds anyway.
 */
export class CopyPool {
  readonly #free = new Map<number, Buffer[]>();
  readonly #maxBytes: number;
  #keptBytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * A buffer of exactly `size` bytes, with whatever it held before (the
   * caller overwrites all of it), back in the pool once the lease has ended
   * and every hold on it has been released.
   *
   * @example
   * ```ts
   * const lease = pool.lease(weights.byteLength);
   * lease.buffer.set(weights);
   * yield markFresh(lease.buffer.subarray(0, partSize), { release: lease.hold() }); // the store's hold
   * lease.end(); // the saver's own, once it has compared the copy with the source
   * ```
   */
  lease(size: number): CopyLease {
    const kept = this.#free.get(size)?.pop();
    if (kept !== undefined) this.#keptBytes -= size;
    return new CopyLease(kept ?? Buffer.allocUnsafe(size), (buffer) => this.#give(buffer));
  }

  #give(buffer: Buffer): void {
    if (this.#keptBytes + buffer.byteLength > this.#maxBytes) return;
    const list = this.#free.get(buffer.byteLength) ?? [];
    list.push(buffer);
    this.#free.set(buffer.byteLength, list);
    this.#keptBytes += buffer.byteLength;
  }
}

/** One use of a pooled buffer: the saver's hold plus one per slice handed to the store. */
export class CopyLease {
  readonly buffer: Buffer;
  readonly #giveBack: (buffer: Buffer) => void;
  #holders = 1;
  #ended = false;

  constructor(buffer: Buffer, giveBack: (buffer: Buffer) => void) {
    this.buffer = buffer;
    this.#giveBack = giveBack;
  }

  /** A new hold, released by calling the returned function (once; more calls do nothing). */
  hold(): () => void {
    this.#holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#drop();
    };
  }

  /** Release the saver's own hold (once; more calls do nothing). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#drop();
  }

  #drop(): void {
    if (--this.#holders === 0) this.#giveBack(this.buffer);
  }
}
