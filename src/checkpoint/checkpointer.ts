/**
 * The checkpointer: resume where the last attempt left off, correctly and cheaply.
 *
 * A save uploads data objects under unique keys (upload-parts.ts), writes one
 * immutable manifest (create-only), then commits by compare-and-swap on the
 * head (commit.ts). A crash at any instant leaves the head pointing at the
 * previous checkpoint; a writer whose epoch was superseded can never commit
 * (fencing.ts). This file is the public API on top: the save queue, background
 * saves, autosave, the final save at shutdown, loading and retention's wiring.
 * See docs/checkpoints.md.
 */
import { SPAN_NAMES, withSpan } from '../telemetry/span.ts';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkChoiceOption, checkOption } from '../runtime/config.ts';
import type { JobLogger } from '../runtime/types.ts';
import type { ObjectStore } from '../store/types.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { type Committed, HeadCommitter } from './commit.ts';
import { CHECKSUM_ALGORITHMS } from './checksum.ts';
import { CHECKPOINT_DEFAULTS, MIN_PART_SIZE } from './constants.ts';
import { type DownloadSettings, removeSpooled } from './download.ts';
import { CheckpointCorruptError, CheckpointStateError } from './errors.ts';
import { type HeadState, readHead } from './fencing.ts';
import { decodeManifest, type HeadEntry, type Manifest } from './format.ts';
import { assertPartName, checkpointRoot, HEAD_KEY, resolveKey } from './layout.ts';
import { createSchedule, type SaveSchedule } from './policy.ts';
import { CopyPool } from './copy-pool.ts';
import { FileChecksums } from './file-checksums.ts';
import { downloadParts, readManifest, readState } from './read-checkpoint.ts';
import { pruneCheckpoints } from './retention.ts';
import { discardObjects, uploadContent } from './upload-parts.ts';
import { snapshotParts } from './upload.ts';
import type {
  BackgroundSave,
  BeforeCommitOptions,
  CheckpointInfo,
  CheckpointMetrics,
  Checkpointer,
  CheckpointerOptions,
  ChecksumAlgorithm,
  CommitInfo,
  LoadedCheckpoint,
  LoadedPart,
  PartSources,
  SaveOptions,
  Snapshot,
  SnapshotOptions,
} from './types.ts';

const silentLog: JobLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** An integer option of the checkpointer, checked by the one option checker (messages name the module). */
function integerOption(name: string, value: number | undefined, fallback: number, min = 1): number {
  return checkOption(name, value, { min, integer: true, label: `checkpoint option ${name}`, plain: true }) ?? fallback;
}

function serializeState(state: unknown): string {
  try {
    return canonicalJson(state);
  } catch (err) {
    throw new CheckpointStateError(`checkpoint state cannot be serialized as JSON: ${(err as Error).message}`, { cause: err });
  }
}

function sameNames(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b);
}

function partsSize(manifest: Manifest): number {
  const stateSize = 'part' in manifest.state ? manifest.state.part.size : 0;
  return Object.values(manifest.parts).reduce((sum, p) => sum + p.size, stateSize);
}

/** Race a promise against a signal; resolves undefined when the signal fires first. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  return await new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

interface Durable {
  readonly manifest: Manifest;
  readonly stateJson: string;
}

interface CommitRequest {
  readonly stateJson: string;
  readonly parts: PartSources;
  readonly signal: AbortSignal | undefined;
  /** Return the last durable checkpoint instead of committing an identical one. */
  readonly skipIfUnchanged: boolean;
  /** Start retention after the commit (not at shutdown: the process is about to exit, a later run prunes). */
  readonly prune: boolean;
  /** Run after the upload, before the commit; throwing fails the save (save()'s `beforeCommit`). */
  readonly beforeCommit?: () => void | Promise<void>;
}

class ObjectStoreCheckpointer<S> implements Checkpointer<S> {
  readonly root: string;
  readonly #store: ObjectStore;
  readonly #headKey: string;
  readonly #committer: HeadCommitter;
  readonly #log: JobLogger;
  readonly #metrics: CheckpointMetrics | undefined;
  readonly #algorithm: ChecksumAlgorithm;
  readonly #partSize: number;
  readonly #concurrency: number;
  /** Checksums of the `{ file }` parts read so far: unchanged files are reused without a read (file-checksums.ts). */
  readonly #fileChecksums = new FileChecksums();
  /** Copies of caller buffers kept for the next save: (concurrency + 1) x partSize at most. */
  readonly #copies: CopyPool;
  readonly #inlineMax: number;
  readonly #inMemoryMax: number;
  readonly #spoolDir: string;
  readonly #schedule: SaveSchedule;
  /** Verified manifests by relative key; trimmed to the head's after each commit. */
  readonly #manifests = new Map<string, Manifest>();

  #durable: Durable | undefined;
  #swept = false;
  /** Saves run one at a time, in call order. */
  #saves: Promise<unknown> = Promise.resolve();
  /** Retention runs one at a time, off the save path. */
  #pruning: Promise<unknown> = Promise.resolve();
  #inFlight: Promise<CommitInfo> | undefined;
  #backgroundError: Error | undefined;
  /** Aborts background saves when the final save's budget is spent. */
  readonly #backgroundAbort = new AbortController();
  #snapshot: (() => Snapshot<S> | Promise<Snapshot<S>>) | undefined;
  /** track(..., { snapshot: true }): copy the tracked buffers each time the snapshot is taken. */
  #copyTracked = false;
  /** false: saveEvery: false, progress() does nothing. */
  readonly #autosave: boolean;
  /** Each reason progress() cannot save is logged once, not once per item. */
  readonly #progressWarned = new Set<'untracked' | 'no-state'>();
  /** progress() was called at least once: a requested save waits for its next call. */
  #reportsProgress = false;
  /** The reason of a save asked for by requestSave(), taken at the next progress(). */
  #requested: string | undefined;
  #unregister: (() => void) | undefined;

  constructor(options: CheckpointerOptions<S>) {
    this.#store = options.store;
    this.root = checkpointRoot(options.identity, { scope: options.scope, perIndex: options.perIndex ?? true });
    this.#headKey = resolveKey(this.root, HEAD_KEY);
    const { identity } = options;
    this.#log = options.log ?? silentLog;
    this.#metrics = options.metrics;
    this.#committer = new HeadCommitter({
      store: this.#store,
      root: this.root,
      headKey: this.#headKey,
      owner: {
        pod: identity.podName ?? null,
        podUid: identity.podUid ?? null,
        node: identity.nodeName ?? null,
        attempt: identity.attempt ?? null,
        // A per-index line belongs to one partition of the input: recorded so a pod of a Job with another count refuses it.
        count: (options.perIndex ?? true) ? identity.count : null,
      },
      keep: integerOption('keep', options.keep, CHECKPOINT_DEFAULTS.keep),
      fencing: options.fencing ?? true,
      log: this.#log,
    });
    this.#algorithm =
      checkChoiceOption('checksum', options.checksum, CHECKSUM_ALGORITHMS, { label: 'checkpoint option checksum' }) ?? CHECKPOINT_DEFAULTS.checksum;
    this.#partSize = integerOption('partSize', options.partSize, CHECKPOINT_DEFAULTS.partSize, MIN_PART_SIZE);
    this.#concurrency = integerOption('concurrency', options.concurrency, CHECKPOINT_DEFAULTS.concurrency);
    this.#copies = new CopyPool((this.#concurrency + 1) * this.#partSize);
    this.#inlineMax = integerOption('inlineStateMaxBytes', options.inlineStateMaxBytes, CHECKPOINT_DEFAULTS.inlineStateMaxBytes, 0);
    this.#inMemoryMax = integerOption('inMemoryMaxBytes', options.inMemoryMaxBytes, CHECKPOINT_DEFAULTS.inMemoryMaxBytes, 0);
    this.#spoolDir = options.spoolDir ?? tmpdir();
    this.#schedule = createSchedule(options.saveEvery, performance.now());
    this.#autosave = options.saveEvery !== false;
    this.#snapshot = options.snapshot;
    if (options.lifecycle !== undefined && options.finalSave !== false) {
      const budgetMs = integerOption('finalSave.budgetMs', options.finalSave?.budgetMs, CHECKPOINT_DEFAULTS.finalSaveBudgetMs);
      this.#unregister = options.lifecycle.onShutdown({
        name: 'checkpoint.final-save',
        phase: 'checkpoint',
        budgetMs,
        run: ({ signal, reason }) => this.#finalSave(signal, reason),
      });
    }
  }

  get epoch(): number | undefined {
    return this.#committer.head?.head.epoch;
  }

  async open(options: SaveOptions = {}): Promise<number> {
    return (await this.#committer.open(options.signal)).head.epoch;
  }

  async load(options: SaveOptions = {}): Promise<LoadedCheckpoint<S> | undefined> {
    return await withSpan(SPAN_NAMES.checkpointLoad, () => this.#load(options));
  }

  async #load(options: SaveOptions): Promise<LoadedCheckpoint<S> | undefined> {
    const { signal } = options;
    const started = performance.now();
    const opened = await this.#saves.then(() => this.#committer.open(signal));
    const { head } = this.#committer.head ?? opened;
    for (const entry of head.checkpoints) {
      const parts = new Map<string, LoadedPart>();
      try {
        const manifest = await this.#readManifest(entry, signal);
        const settings = this.#downloadSettings(signal);
        const state = await readState(settings, manifest);
        await downloadParts(settings, manifest, this.#concurrency, parts);
        this.#durable = { manifest, stateJson: serializeState(state) };
        this.#metrics?.checkpointLoaded(partsSize(manifest), performance.now() - started);
        this.#log.info({ seq: manifest.seq, epoch: manifest.epoch, parts: parts.size }, 'checkpoint loaded');
        const dispose = (): Promise<void> => removeSpooled(parts.values());
        return {
          state: state as S,
          seq: manifest.seq,
          epoch: manifest.epoch,
          createdAt: new Date(manifest.createdAt),
          parts,
          dispose,
          [Symbol.asyncDispose]: dispose,
        };
      } catch (err) {
        await removeSpooled(parts.values());
        if (!(err instanceof CheckpointCorruptError)) throw err;
        this.#metrics?.checkpointCorrupt?.();
        this.#log.warn(
          { seq: entry.seq, manifest: entry.manifest, key: err.key, reason: err.message },
          'checkpoint failed verification; falling back to the previous one',
        );
      }
    }
    if (head.checkpoints.length > 0) {
      this.#log.error({ root: this.root, tried: head.checkpoints.length }, 'no checkpoint passed verification; starting from scratch');
    }
    return undefined;
  }

  async save(state: S, parts: PartSources = {}, options: SaveOptions & SnapshotOptions & BeforeCommitOptions = {}): Promise<CommitInfo> {
    this.#throwIfFailed();
    const request = this.#request(state, options.snapshot === true ? snapshotParts(parts, this.#copies) : parts, options.signal, false);
    return await this.#enqueue(options.beforeCommit === undefined ? request : { ...request, beforeCommit: options.beforeCommit });
  }

  async saveInBackground(state: S, parts: PartSources = {}, options: SnapshotOptions = {}): Promise<BackgroundSave> {
    this.#throwIfFailed();
    const stateJson = serializeState(state);
    // Copied now, with the state, not when the upload starts: the job goes on writing meanwhile.
    const taken = options.snapshot === true ? snapshotParts(this.#checkParts(parts), this.#copies) : parts;
    while (this.#inFlight !== undefined) await this.#inFlight.catch(() => undefined);
    this.#throwIfFailed();
    const request: CommitRequest = {
      stateJson,
      parts: this.#checkParts(taken),
      signal: this.#backgroundAbort.signal,
      skipIfUnchanged: false,
      prune: true,
    };
    const durable = this.#enqueue(request);
    this.#inFlight = durable;
    durable.then(
      () => {
        if (this.#inFlight === durable) this.#inFlight = undefined;
      },
      (err: unknown) => {
        this.#backgroundError = err instanceof Error ? err : new Error(String(err));
        if (this.#inFlight === durable) this.#inFlight = undefined;
        this.#log.error({ err }, 'background checkpoint save failed');
      },
    );
    return { durable };
  }

  track(snapshot: () => Snapshot<S> | Promise<Snapshot<S>>, options: SnapshotOptions = {}): void {
    this.#snapshot = snapshot;
    this.#copyTracked = options.snapshot === true;
  }

  async progress(items = 1): Promise<void> {
    this.#throwIfFailed();
    if (!this.#autosave) return;
    const now = performance.now();
    this.#reportsProgress = true;
    const due = this.#schedule.record(items, now);
    if (this.#snapshot === undefined) {
      // Said at the first call, not when the first save would be due: a job
      // believing progress() keeps its work must learn otherwise before a kill.
      this.#warnProgress('untracked', 'checkpoint progress() cannot save: nothing is tracked (call checkpoint.track()); a restart redoes the work since the last save()');
      return;
    }
    const requested = this.#requested;
    if (!due && requested === undefined) return;
    this.#requested = undefined;
    this.#schedule.reset(now);
    if (requested !== undefined) {
      await this.#saveRequested(requested);
      return;
    }
    const snapshot: Snapshot<S> | undefined = await this.#snapshot();
    if (snapshot?.state === undefined) {
      this.#warnProgress('no-state', 'checkpoint progress() cannot save: the tracked snapshot returned no state; a restart redoes the work since the last save()');
      return;
    }
    await this.saveInBackground(snapshot.state, snapshot.parts, { snapshot: this.#copyTracked });
  }

  requestSave(reason = 'requested'): boolean {
    if (this.#committer.fenced !== undefined) {
      this.#log.warn({ reason }, 'checkpoint requested, but this writer was fenced by a newer one: not saving');
      return false;
    }
    if (this.#snapshot === undefined) {
      this.#log.warn({ reason, root: this.root }, 'checkpoint requested, but nothing is tracked (call checkpoint.track()): cannot save');
      return false;
    }
    if (this.#autosave && this.#reportsProgress) {
      this.#requested = reason;
      this.#log.info({ reason }, 'checkpoint requested: saving at the next progress()');
    } else {
      this.#log.info({ reason }, 'checkpoint requested: saving the tracked state now');
      void this.#saveRequested(reason);
    }
    return true;
  }

  /** A save asked for by requestSave(): from the tracked snapshot, in the background, logged when durable. */
  async #saveRequested(reason: string): Promise<void> {
    const started = performance.now();
    try {
      const snapshot = await this.#snapshot?.();
      if (snapshot?.state === undefined) {
        this.#log.warn({ reason }, 'checkpoint requested, but the tracked snapshot returned no state: cannot save');
        return;
      }
      const { durable } = await this.saveInBackground(snapshot.state, snapshot.parts, { snapshot: this.#copyTracked });
      // A failure is logged (and rethrown at the next call) by saveInBackground.
      durable.then(
        (info) =>
          this.#log.info(
            { reason, seq: info.seq, uploadedBytes: info.uploadedBytes, durationMs: Math.round(performance.now() - started) },
            'requested checkpoint durable',
          ),
        () => undefined,
      );
    } catch (err) {
      this.#log.error({ err, reason }, 'requested checkpoint could not start; the previous checkpoint stays the latest');
    }
  }

  #warnProgress(reason: 'untracked' | 'no-state', msg: string): void {
    if (this.#progressWarned.has(reason)) return;
    this.#progressWarned.add(reason);
    this.#log.warn({ root: this.root, reason }, msg);
  }

  async flush(): Promise<void> {
    if (this.#inFlight !== undefined) await this.#inFlight.catch(() => undefined);
    this.#throwIfFailed();
  }

  async list(options: SaveOptions = {}): Promise<CheckpointInfo[]> {
    const current = await readHead(this.#store, this.#headKey, options.signal);
    const infos: CheckpointInfo[] = [];
    for (const entry of current?.head.checkpoints ?? []) {
      try {
        const m = await this.#readManifest(entry, options.signal);
        infos.push({
          seq: m.seq,
          epoch: m.epoch,
          createdAt: new Date(m.createdAt),
          manifestKey: resolveKey(this.root, entry.manifest),
          size: partsSize(m),
          partNames: Object.keys(m.parts),
        });
      } catch (err) {
        if (!(err instanceof CheckpointCorruptError)) throw err;
      }
    }
    return infos;
  }

  async prune(options: SaveOptions = {}): Promise<{ deleted: number }> {
    const current = await this.#committer.open(options.signal);
    const run = this.#pruning.then(() => this.#prune(this.#committer.head ?? current, [], true, options.signal));
    this.#pruning = run.catch(() => undefined);
    return { deleted: await run };
  }

  async close(): Promise<void> {
    this.#unregister?.();
    this.#unregister = undefined;
    await this.#inFlight?.catch(() => undefined);
    await this.#saves.catch(() => undefined);
    await this.#pruning;
  }

  // ---- internals ----

  #throwIfFailed(): void {
    const fenced = this.#committer.fenced;
    if (fenced !== undefined) throw fenced;
    const err = this.#backgroundError;
    if (err !== undefined) {
      // A transient background failure is reported once; the next save may succeed.
      this.#backgroundError = undefined;
      throw err;
    }
  }

  #checkParts(parts: PartSources): PartSources {
    for (const name of Object.keys(parts)) assertPartName(name);
    return parts;
  }

  /** A commit request; the final save at shutdown skips an unchanged checkpoint and leaves retention to a later run. */
  #request(state: S, parts: PartSources, signal: AbortSignal | undefined, final: boolean): CommitRequest {
    return { stateJson: serializeState(state), parts: this.#checkParts(parts), signal, skipIfUnchanged: final, prune: !final };
  }

  #enqueue(request: CommitRequest): Promise<CommitInfo> {
    const run = this.#saves.then(() => withSpan(SPAN_NAMES.checkpointSave, () => this.#commit(request)));
    this.#saves = run.catch(() => undefined);
    return run;
  }

  #downloadSettings(signal: AbortSignal | undefined): DownloadSettings {
    return { store: this.#store, root: this.root, inMemoryMaxBytes: this.#inMemoryMax, spoolDir: this.#spoolDir, signal };
  }

  /** Read and verify a manifest named by a head entry, through the cache. */
  async #readManifest(entry: HeadEntry, signal: AbortSignal | undefined): Promise<Manifest> {
    const cached = this.#manifests.get(entry.manifest);
    if (cached !== undefined) return cached;
    const manifest = await readManifest(this.#store, this.root, entry, signal);
    this.#manifests.set(entry.manifest, manifest);
    return manifest;
  }

  /** Upload, write the manifest, CAS the head. Runs one at a time. */
  async #commit(request: CommitRequest): Promise<CommitInfo> {
    const started = performance.now();
    const { signal } = request;
    const base = await this.#committer.base(signal);
    const epoch = base.head.epoch;
    const settings = { store: this.#store, root: this.root, epoch, algorithm: this.#algorithm, partSize: this.#partSize, concurrency: this.#concurrency, signal, fileChecksums: this.#fileChecksums, copies: this.#copies };
    const content = await uploadContent(settings, request.parts, request.stateJson, this.#durable?.manifest, this.#inlineMax);
    const { uploadedBytes, reusedParts } = content;
    if (request.beforeCommit !== undefined) {
      try {
        await request.beforeCommit();
      } catch (err) {
        await discardObjects(this.#store, this.root, content.written);
        throw err;
      }
    }
    const durable = this.#durable;
    if (
      request.skipIfUnchanged &&
      durable !== undefined &&
      durable.stateJson === request.stateJson &&
      content.written.length === 0 &&
      sameNames(content.parts, durable.manifest.parts)
    ) {
      this.#log.debug({ seq: durable.manifest.seq }, 'checkpoint unchanged since the last durable one; nothing to save');
      return { seq: durable.manifest.seq, epoch, uploadedBytes: 0, reusedParts, durationMs: performance.now() - started };
    }
    let committed: Committed;
    try {
      committed = await this.#committer.commit(base, content, signal);
    } catch (err) {
      // Fenced or failed before the head write: nothing can ever reference what this save wrote.
      // Without a verdict the head may name it: keep it.
      if (!this.#committer.stale) await discardObjects(this.#store, this.root, content.written);
      throw err;
    }
    const { head, manifest, manifestKey, dropped } = committed;
    const { seq } = manifest;
    this.#manifests.set(manifestKey, manifest);
    this.#trimManifestCache([...head.head.checkpoints, ...dropped]);
    this.#durable = { manifest, stateJson: request.stateJson };
    const durationMs = performance.now() - started;
    this.#metrics?.checkpointSaved(uploadedBytes, durationMs);
    this.#log.debug({ seq, epoch, uploadedBytes, reusedParts, durationMs: Math.round(durationMs) }, 'checkpoint committed');
    if (request.prune) this.#schedulePrune(head, dropped);
    return { seq, epoch, uploadedBytes, reusedParts, durationMs };
  }

  /**
   * Keep only the manifests of `entries` (the head's, and those retention is
   * about to delete): a long run saving every few seconds must not hold every
   * manifest it ever wrote, each with up to 256 KiB of inline state.
   */
  #trimManifestCache(entries: readonly HeadEntry[]): void {
    const wanted = new Set(entries.map((e) => e.manifest));
    for (const rel of this.#manifests.keys()) if (!wanted.has(rel)) this.#manifests.delete(rel);
  }

  #schedulePrune(head: HeadState, dropped: readonly HeadEntry[]): void {
    const sweep = !this.#swept;
    if (dropped.length === 0 && !sweep) return;
    this.#swept = true;
    const run = this.#pruning.then(() => this.#prune(head, dropped, sweep, this.#backgroundAbort.signal));
    this.#pruning = run.catch((err: unknown) => {
      if (sweep) this.#swept = false;
      this.#log.warn({ err }, 'checkpoint retention failed; a later save retries');
    });
  }

  #prune(head: HeadState, dropped: readonly HeadEntry[], sweep: boolean, signal: AbortSignal | undefined): Promise<number> {
    return pruneCheckpoints(
      {
        store: this.#store,
        root: this.root,
        head: head.head,
        readManifest: async (rel) => {
          const entry = head.head.checkpoints.find((e) => e.manifest === rel) ?? dropped.find((e) => e.manifest === rel);
          if (entry !== undefined) return await this.#readManifest(entry, signal);
          const key = resolveKey(this.root, rel);
          const obj = await this.#store.get(key, { signal });
          if (obj === undefined) throw new CheckpointCorruptError(key, 'manifest is gone');
          return decodeManifest(obj.body, key);
        },
        log: this.#log,
        signal,
      },
      dropped,
      { sweep },
    );
  }

  async #finalSave(signal: AbortSignal, reason: string): Promise<void> {
    const snapshot = this.#snapshot;
    if (this.#committer.fenced !== undefined) return;
    if (snapshot === undefined) {
      // Stopped early with nothing to save: say so, or the user believes the progress was kept.
      if (reason !== 'completed') {
        this.#log.warn({ reason }, 'no final checkpoint: nothing is tracked (call checkpoint.track()); work since the last save() is redone');
      }
      return;
    }
    const started = performance.now();
    signal.addEventListener('abort', () => this.#backgroundAbort.abort(signal.reason), { once: true });
    if (this.#inFlight !== undefined) await untilAborted(this.#inFlight.catch(() => undefined), signal);
    const { state, parts } = await snapshot();
    // The job may still be inside an item, writing its buffers, while this runs.
    const request = this.#request(state, this.#copyTracked ? snapshotParts(parts ?? {}, this.#copies) : (parts ?? {}), signal, true);
    this.#backgroundError = undefined;
    try {
      const info = await this.#enqueue(request);
      this.#log.info(
        { reason, seq: info.seq, uploadedBytes: info.uploadedBytes, reusedParts: info.reusedParts, durationMs: Math.round(performance.now() - started) },
        'final checkpoint durable',
      );
    } catch (err) {
      this.#log.error({ err, reason }, 'final checkpoint save failed; the previous checkpoint stays the latest');
      throw err;
    }
  }
}

/**
 * Create a checkpointer for one job index (or an explicit scope). Nothing is
 * read or written until `open()`, `load()` or the first save.
 *
 * @example
 * ```ts
 * const cp = createCheckpointer<{ next: number }>({
 *   store: openStore(process.env.JOBKIT_STORE ?? 'file:///tmp/jobkit'),
 *   identity: job.identity, lifecycle: job.lifecycle, log: job.log,
 *   saveEvery: { items: 1_000, seconds: 60 }, // default: { seconds: 30 }
 * });
 * const resumed = await cp.load();
 * let next = resumed?.state.next ?? 0;
 * cp.track(() => ({ state: { next } }));
 * for (; next < 10_000; next++) { await work(next); await cp.progress(); }
 * await cp.save({ next });
 * ```
 */
export function createCheckpointer<S = unknown>(options: CheckpointerOptions<S>): Checkpointer<S> {
  return new ObjectStoreCheckpointer<S>(options);
}
