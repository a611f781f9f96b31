/**
 * Public types of the checkpointer: what a save takes, what a load gives back,
 * and the options of {@link createCheckpointer}.
 */
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../store/types.ts';
import type { JobIdentity, JobLogger, Lifecycle } from '../runtime/types.ts';

/**
 * A named binary part of a checkpoint (model weights, an index, a spill file).
 * Bytes are uploaded as they are; a stream is consumed once; `{ file }` is read
 * from disk. Large parts are streamed through multipart uploads with bounded memory.
 *
 * A buffer is read while its save uploads it. Either do not write to it until
 * the save is durable, or pass `{ snapshot: true }` (to `save`,
 * `saveInBackground` or `track`) to copy it at save time. A buffer written to
 * during its upload fails the save with `CheckpointSourceChangedError`; it is
 * never committed.
 *
 * @example
 * ```ts
 * await cp.save(state, { weights: buffer, index: createReadStream(path), vocab: { file: '/tmp/vocab.bin' } });
 * ```
 */
export type PartSource = Uint8Array | Readable | AsyncIterable<Uint8Array> | { readonly file: string };

/** Named parts of a checkpoint; names are free-form non-empty strings (at most 100 characters). */
export type PartSources = Readonly<Record<string, PartSource>>;

/**
 * What a checkpoint holds: JSON state plus optional named parts.
 *
 * @example
 * ```ts
 * cp.track((): Snapshot<{ step: number }> => ({ state: { step }, parts: { weights } }));
 * ```
 */
export interface Snapshot<S> {
  /** JSON-serializable state (plain objects, arrays, strings, finite numbers, booleans, null; Dates become ISO strings). */
  readonly state: S;
  /** Named binary parts. */
  readonly parts?: PartSources;
}

/** Checksum used for parts; recorded per part in the manifest so either loads. */
export type ChecksumAlgorithm = 'sha256' | 'crc32';

/**
 * Result of a committed save.
 *
 * @example
 * ```ts
 * const { seq, uploadedBytes, reusedParts } = await cp.save(state, parts);
 * ```
 */
export interface CommitInfo {
  /** Sequence number of the new checkpoint (1, 2, ...), increasing across attempts. */
  readonly seq: number;
  /** Writer epoch that committed it. */
  readonly epoch: number;
  /** Bytes uploaded by this save (parts whose content was already durable are reused, not uploaded). */
  readonly uploadedBytes: number;
  /** Names of parts reused from the previous durable checkpoint without upload. */
  readonly reusedParts: readonly string[];
  /** Wall time of the save in milliseconds. */
  readonly durationMs: number;
}

/**
 * One part of a loaded checkpoint, already verified against its checksum.
 *
 * @example
 * ```ts
 * const weights = loaded.parts.get('weights');
 * const bytes = weights?.path !== undefined ? await readFile(weights.path) : await weights?.buffer();
 * ```
 */
export interface LoadedPart {
  readonly name: string;
  readonly size: number;
  /**
   * Local file holding the verified bytes when the part was larger than
   * `inMemoryMaxBytes` (spooled while verifying); undefined for in-memory parts.
   */
  readonly path: string | undefined;
  /** The bytes in memory (reads the spooled file for large parts). */
  buffer(): Promise<Buffer>;
  /** The bytes as a stream (from memory or from the spooled file). */
  stream(): Readable;
}

/**
 * A checkpoint returned by `load()`: every part verified.
 *
 * @example
 * ```ts
 * await using loaded = await cp.load();
 * const next = loaded?.state.next ?? 0;
 * ```
 */
export interface LoadedCheckpoint<S> {
  readonly state: S;
  readonly seq: number;
  /** Epoch of the writer that committed it. */
  readonly epoch: number;
  readonly createdAt: Date;
  readonly parts: ReadonlyMap<string, LoadedPart>;
  /** Delete spooled part files. Also run by `await using`. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A committed checkpoint as listed (newest first) by `list()`.
 *
 * @example
 * ```ts
 * for (const c of await cp.list()) console.log(c.seq, c.createdAt, c.size);
 * ```
 */
export interface CheckpointInfo {
  readonly seq: number;
  readonly epoch: number;
  readonly createdAt: Date;
  /** Manifest key relative to the store root. */
  readonly manifestKey: string;
  /** Total bytes of state and parts. */
  readonly size: number;
  readonly partNames: readonly string[];
}

/**
 * When autosave (`progress()`) takes a background save. Either bound triggers
 * it. The default is `{ seconds: 30 }` (`DEFAULT_SAVE_EVERY`).
 *
 * @example
 * ```ts
 * createCheckpointer({ store, identity, saveEvery: { items: 10_000, seconds: 120 } });
 * ```
 */
export interface SavePolicy {
  /** Save after this many items reported through `progress()`. */
  readonly items?: number;
  /** Save when this many seconds passed since the last save (checked on `progress()`). */
  readonly seconds?: number;
}

/** The subset of JobMetrics the checkpointer records into (telemetry/metrics.ts). */
export interface CheckpointMetrics {
  checkpointSaved(bytes: number, durationMs: number): void;
  checkpointLoaded(bytes: number, durationMs: number): void;
  /** A stored checkpoint failed verification on load (load then falls back to an older one). */
  checkpointCorrupt?(): void;
}

/**
 * Options of {@link createCheckpointer}.
 *
 * @example
 * ```ts
 * const options: CheckpointerOptions<State> = { store, identity, lifecycle, keep: 2, partSize: 32 * 2 ** 20 };
 * ```
 */
export interface CheckpointerOptions<S> {
  /** Where checkpoints live. */
  readonly store: ObjectStore;
  /** Who is writing; decides the default key scope and is recorded as the epoch owner. */
  readonly identity: JobIdentity;
  /** When given, a final save runs in the `checkpoint` shutdown phase (see `finalSave`). */
  readonly lifecycle?: Lifecycle;
  readonly log?: JobLogger;
  readonly metrics?: CheckpointMetrics;
  /**
   * Where the line lives: `job` (default, `jobs/<namespace>/<job>`), `run`
   * (a CronJob's scheduled run: `cronjobs/<namespace>/<cronjob>/runs/<t>`),
   * `cronjob` (every run of the CronJob) or a name of your own shared across
   * Jobs (`scopes/<scope>`).
   */
  readonly scope?: string;
  /**
   * One checkpoint line per index; false shares one across indexes.
   *
   * @default true
   */
  readonly perIndex?: boolean;
  /**
   * Committed checkpoints kept (at least 1); older ones are deleted after a new one is durable.
   *
   * @default {@link CHECKPOINT_DEFAULTS}.keep (3)
   */
  readonly keep?: number;
  /**
   * Fence stale writers with epochs and compare-and-swap commits.
   * Needs a store with conditional writes; false is only for stores without them
   * and a single writer per index (last writer wins).
   *
   * @default true
   */
  readonly fencing?: boolean;
  /**
   * Part checksum, also used to skip re-uploading unchanged parts.
   *
   * @default {@link CHECKPOINT_DEFAULTS}.checksum (`'sha256'`)
   */
  readonly checksum?: ChecksumAlgorithm;
  /**
   * Multipart part size in bytes, at least 5 MiB ({@link MIN_PART_SIZE}).
   *
   * @default {@link CHECKPOINT_DEFAULTS}.partSize (16 MiB)
   */
  readonly partSize?: number;
  /**
   * Multipart parts in flight; memory is about partSize x concurrency.
   *
   * @default {@link CHECKPOINT_DEFAULTS}.concurrency (4)
   */
  readonly concurrency?: number;
  /**
   * State whose JSON is at most this many bytes is stored inside the manifest.
   *
   * @default {@link CHECKPOINT_DEFAULTS}.inlineStateMaxBytes (256 KiB)
   */
  readonly inlineStateMaxBytes?: number;
  /**
   * Loaded parts up to this size stay in memory; larger ones are spooled to `spoolDir`.
   *
   * @default {@link CHECKPOINT_DEFAULTS}.inMemoryMaxBytes (64 MiB)
   */
  readonly inMemoryMaxBytes?: number;
  /**
   * Directory for spooled large parts on load.
   *
   * @default the OS temp dir (`os.tmpdir()`)
   */
  readonly spoolDir?: string;
  /**
   * Autosave policy used by `progress()` (by default at most 30 s of work is
   * redone after a SIGKILL); a policy given here replaces the default as a
   * whole; false disables autosave (`progress()` does nothing).
   *
   * @default {@link DEFAULT_SAVE_EVERY} (`{ seconds: 30 }`)
   */
  readonly saveEvery?: SavePolicy | false;
  /**
   * Final save on shutdown from the snapshot registered with `track()`: its
   * budget in ms (inside the grace period), or false to disable.
   *
   * @default `{ budgetMs: ` {@link CHECKPOINT_DEFAULTS}.finalSaveBudgetMs ` }` (10 000; from env, 60% of JOBKIT_GRACE_PERIOD_SECONDS, {@link FINAL_SAVE_SHARE})
   */
  readonly finalSave?: { readonly budgetMs?: number } | false;
  /** Snapshot provider (same as calling `track()`). */
  readonly snapshot?: () => Snapshot<S> | Promise<Snapshot<S>>;
}

/** Options of a single save. */
export interface SaveOptions {
  readonly signal?: AbortSignal;
}

/**
 * A check run by `save()` once every part is uploaded (or reused) and before
 * the commit, for sources that must be consistent with each other (the
 * files of a directory: each file is checked on its own, not the set).
 *
 * @example
 * ```ts
 * await cp.save(state, { a: { file: 'a' }, b: { file: 'b' } }, { beforeCommit: async () => assertUnchanged(listing) });
 * ```
 */
export interface BeforeCommitOptions {
  /**
   * Throwing fails the save with that error: nothing is committed and what
   * the save uploaded is removed.
   */
  readonly beforeCommit?: () => void | Promise<void>;
}

/**
 * Whether a save copies its in-memory parts when it is called.
 *
 * @example
 * ```ts
 * await cp.saveInBackground({ step }, { weights: new Uint8Array(weights.buffer) }, { snapshot: true });
 * cp.track(() => ({ state: { step }, parts: { weights: new Uint8Array(weights.buffer) } }), { snapshot: true });
 * ```
 */
export interface SnapshotOptions {
  /**
   * Copy every `Uint8Array` part when the save is called (default false), so
   * the job may keep writing into its buffers while the upload runs. Costs
   * one copy of the parts (memory and a memcpy) and saves the comparison after
   * the upload. Streams and files are not copied.
   */
  readonly snapshot?: boolean;
}

/**
 * A save accepted by `saveInBackground()`.
 *
 * @example
 * ```ts
 * const { durable } = await cp.saveInBackground({ step }, { weights: Buffer.from(weights) });
 * ```
 */
export interface BackgroundSave {
  /** Settles when the checkpoint is committed (or the save failed). */
  readonly durable: Promise<CommitInfo>;
}

/**
 * The checkpointer: `load()` the latest valid checkpoint, `save()` new ones.
 *
 * @example
 * ```ts
 * const cp = createCheckpointer<{ next: number }>({ store, identity, lifecycle, log });
 * const resumed = await cp.load();
 * let next = resumed?.state.next ?? 0;
 * cp.track(() => ({ state: { next } }));
 * for (; next < items.length; next++) { await handle(items[next]); await cp.progress(); }
 * ```
 */
export interface Checkpointer<S> {
  /** Root key of this checkpoint line (`jobs/<ns>/<job>/index-<n>/checkpoints`). */
  readonly root: string;
  /** This writer's epoch, once taken (by `open()`, `load()` or the first save). */
  readonly epoch: number | undefined;
  /** Take a new writer epoch, fencing every older writer. Idempotent. */
  open(options?: SaveOptions): Promise<number>;
  /** The latest checkpoint whose manifest and parts verify, falling back to older ones; undefined when none. */
  load(options?: SaveOptions): Promise<LoadedCheckpoint<S> | undefined>;
  /** Commit a new checkpoint and wait until it is durable. */
  save(state: S, parts?: PartSources, options?: SaveOptions & SnapshotOptions & BeforeCommitOptions): Promise<CommitInfo>;
  /**
   * Serialize the state now, upload in the background. At most one save is in
   * flight: resolves once this one is accepted (waiting for the previous one:
   * back-pressure). Parts are read during the upload unless `snapshot: true`.
   */
  saveInBackground(state: S, parts?: PartSources, options?: SnapshotOptions): Promise<BackgroundSave>;
  /**
   * Register the snapshot used by autosave and the final save on shutdown;
   * with `snapshot: true` its buffers are copied each time it is taken.
   */
  track(snapshot: () => Snapshot<S> | Promise<Snapshot<S>>, options?: SnapshotOptions): void;
  /**
   * Report processed items; starts a background save from the tracked snapshot
   * when `saveEvery` says so (default every 30 s; like `saveInBackground`, it
   * waits for a save still in flight). Logs one warning when nothing is tracked.
   */
  progress(items?: number): Promise<void>;
  /**
   * Ask for a checkpoint soon, from the tracked snapshot (what `SIGUSR1`
   * does under runJob): at the next `progress()` call, the job's safe point
   * between items, when the job reports progress with autosave on; else at
   * once, as the final save does. Logs the request and, once durable, the
   * save. Returns false (and logs why) when it cannot save: nothing is tracked,
   * or this writer was fenced.
   *
   * @example
   * ```ts
   * process.on('SIGUSR2', () => void job.checkpoint.requestSave('SIGUSR2'));
   * ```
   */
  requestSave(reason?: string): boolean;
  /** Wait for the background save in flight, if any; rethrows its error. */
  flush(): Promise<void>;
  /** Committed checkpoints, newest first (does not take an epoch). */
  list(options?: SaveOptions): Promise<CheckpointInfo[]>;
  /** Delete checkpoints beyond `keep` and leftovers of older writers (crashed or fenced saves). */
  prune(options?: SaveOptions): Promise<{ deleted: number }>;
  /** Wait for in-flight work and unregister the shutdown hook. */
  close(): Promise<void>;
}
