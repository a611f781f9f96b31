/**
 * Committing checkpoints: the writer's side of the head.
 *
 * A writer takes an epoch once (fencing.ts), then commits each save in two
 * writes: an immutable manifest under a fresh key (create-only), then the head
 * by compare-and-swap from the etag this writer last saw. Only the head makes
 * a checkpoint visible, so a crash between the two leaves an orphan manifest
 * for retention to sweep, never a half checkpoint. What the head CAS says:
 *
 * - committed: the head lists the new manifest first;
 * - the head moved, still in our epoch: it was our own earlier commit whose
 *   response was lost, so the manifest is rebuilt on top of it (next seq);
 * - fenced: another epoch was taken; this writer never commits again;
 * - no verdict (a lost response): the head may or may not name the manifest.
 *   Nothing is removed (it may be committed), and the next commit re-reads the
 *   head first, fencing itself if the epoch is no longer its own.
 */
import { FencedError } from '../runtime/errors.ts';
import type { JobLogger } from '../runtime/types.ts';
import { requireConditionalWrites } from '../store/probe.ts';
import type { ObjectStore } from '../store/types.ts';
import { checksumOf } from './checksum.ts';
import { casHead, type HeadState, readHead, takeEpoch } from './fencing.ts';
import { encodeManifest, type EpochOwner, type HeadEntry, type Manifest, MANIFEST_VERSION, type PartRecord, type StateRecord } from './format.ts';
import { committedHead } from './head.ts';
import { manifestKey, resolveKey } from './layout.ts';
import { discardObjects } from './upload-parts.ts';

/** What {@link HeadCommitter} needs to know. */
export interface HeadCommitterOptions {
  readonly store: ObjectStore;
  /** Checkpoint root key. */
  readonly root: string;
  /** Store key of the head. */
  readonly headKey: string;
  /** Recorded in the head with each epoch taken. */
  readonly owner: EpochOwner;
  /** Checkpoints the head lists (keep-last-N). */
  readonly keep: number;
  /** false: plain writes, no epochs enforced (a store without conditional writes, by choice). */
  readonly fencing: boolean;
  readonly log: JobLogger;
}

/** A commit that landed. */
export interface Committed {
  /** The head as written. */
  readonly head: HeadState;
  readonly manifest: Manifest;
  /** Key of the manifest, relative to the root. */
  readonly manifestKey: string;
  /** Entries that fell off the head's list with this commit (retention deletes them). */
  readonly dropped: readonly HeadEntry[];
}

/**
 * One writer's epoch and commits on a checkpoint line. Commits must not
 * overlap (the checkpointer runs them one at a time).
 *
 * @example
 * ```ts
 * const committer = new HeadCommitter({ store, root, headKey, owner, keep: 3, fencing: true, log });
 * const base = await committer.base(signal);
 * const content = await uploadContent(settings, parts, stateJson, undefined, 256 * 1024);
 * const { manifest } = await committer.commit(base, content, signal);
 * ```
 */
export class HeadCommitter {
  readonly #store: ObjectStore;
  readonly #root: string;
  readonly #headKey: string;
  readonly #owner: EpochOwner;
  readonly #keep: number;
  readonly #fencing: boolean;
  readonly #log: JobLogger;
  #opening: Promise<HeadState> | undefined;
  /** The head as this writer last read or wrote it. */
  #head: HeadState | undefined;
  /** A commit failed without a verdict (e.g. lost response): re-read the head before the next one. */
  #stale = false;
  #fenced: FencedError | undefined;

  constructor(options: HeadCommitterOptions) {
    this.#store = options.store;
    this.#root = options.root;
    this.#headKey = options.headKey;
    this.#owner = options.owner;
    this.#keep = options.keep;
    this.#fencing = options.fencing;
    this.#log = options.log;
  }

  /** The head as this writer last read or wrote it; undefined before {@link open}. */
  get head(): HeadState | undefined {
    return this.#head;
  }

  /** Set once another epoch was taken: every later commit throws it. */
  get fenced(): FencedError | undefined {
    return this.#fenced;
  }

  /** The last commit ended without a verdict: what it wrote may be committed, so it must not be removed. */
  get stale(): boolean {
    return this.#stale;
  }

  /** Take the epoch (once; a failed attempt is retried by the next call). */
  open(signal: AbortSignal | undefined): Promise<HeadState> {
    this.#opening ??= (async () => {
      if (this.#fencing) await requireConditionalWrites(this.#store, 'checkpoint fencing');
      const taken = await takeEpoch(this.#store, this.#headKey, this.#owner, this.#fencing, signal);
      this.#head = taken;
      this.#log.info({ epoch: taken.head.epoch, root: this.#root, checkpoints: taken.head.checkpoints.length }, 'checkpoint epoch taken');
      return taken;
    })().catch((err: unknown) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  /**
   * The head the next commit builds on: the epoch is taken first if need be,
   * and after a commit without a verdict the head is read again (fenced when
   * it is gone or in another epoch).
   */
  async base(signal: AbortSignal | undefined): Promise<HeadState> {
    if (this.#fenced !== undefined) throw this.#fenced;
    const base = this.#head ?? (await this.open(signal));
    if (!this.#stale) return base;
    const fresh = await readHead(this.#store, this.#headKey, signal);
    if (fresh === undefined || fresh.head.epoch !== base.head.epoch) {
      throw this.#fence(base.head.epoch, fresh === undefined ? 'the head was deleted' : `epoch ${fresh.head.epoch} was taken`);
    }
    this.#head = fresh;
    this.#stale = false;
    return fresh;
  }

  /**
   * Write the manifest of `content` and compare-and-swap the head from `base`
   * (what {@link base} returned). Throws the FencedError when another epoch
   * was taken, after removing the manifest; any other failure of the head
   * write leaves the manifest in place and marks the head {@link stale}.
   */
  async commit(
    base: HeadState,
    content: { readonly state: StateRecord; readonly parts: Readonly<Record<string, PartRecord>> },
    signal: AbortSignal | undefined,
  ): Promise<Committed> {
    const epoch = base.head.epoch;
    const { state, parts } = content;
    for (let on = base; ; ) {
      const seq = on.head.lastSeq + 1;
      const manifest: Manifest = { format: MANIFEST_VERSION, seq, epoch, createdAt: new Date().toISOString(), state, parts };
      const bytes = encodeManifest(manifest);
      const relKey = manifestKey(seq, epoch);
      const entry: HeadEntry = { seq, manifest: relKey, size: bytes.byteLength, checksum: await checksumOf(bytes, 'sha256') };
      await this.#store.put(resolveKey(this.#root, relKey), bytes, { ...(this.#fencing ? { ifNoneMatch: '*' } : {}), contentType: 'application/json', signal });
      let result: HeadState;
      try {
        result = await casHead(
          this.#store,
          this.#headKey,
          on,
          (h) => (h.lastSeq === seq - 1 ? committedHead(h, entry, this.#keep) : undefined),
          this.#fencing,
          signal,
        );
      } catch (err) {
        if (err instanceof FencedError) {
          const fenced = this.#fence(epoch, err.message);
          await discardObjects(this.#store, this.#root, [relKey]);
          throw fenced;
        }
        // No verdict: the head may or may not have changed. Keep everything written.
        this.#stale = true;
        throw err;
      }
      if (result.head.checkpoints[0]?.manifest !== relKey) {
        // Our own earlier commit (whose response was lost) moved the head: redo on top of it.
        await discardObjects(this.#store, this.#root, [relKey]);
        on = result;
        continue;
      }
      const dropped = on.head.checkpoints.filter((e) => !result.head.checkpoints.some((k) => k.manifest === e.manifest));
      this.#head = result;
      return { head: result, manifest, manifestKey: relKey, dropped };
    }
  }

  #fence(epoch: number, why: string): FencedError {
    this.#fenced ??= new FencedError(`checkpoint writer with epoch ${epoch} of ${this.#root} is fenced: ${why}`);
    this.#log.warn({ epoch, root: this.#root, why }, 'checkpoint writer fenced: another pod owns this index');
    return this.#fenced;
  }
}
