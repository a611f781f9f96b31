/**
 * A checkpoint line seen from outside the job, for `jobkit status` and
 * `jobkit checkpoint ls|verify|rm`: what the head lists (read, never written),
 * each checkpoint's verification (every part downloaded and checked against
 * its manifest, bytes dropped), and the removal of named checkpoints.
 *
 * Everything goes through the line's own readers (fencing.ts `readHead`,
 * read-checkpoint.ts `readManifest`, download.ts `verifyPart`) and its own
 * retention (retention.ts `pruneCheckpoints`), so what is shown, checked and
 * deleted is what a pod would load, check and delete.
 */
import { RetryableError } from '../runtime/errors.ts';
import { tryPut } from '../store/conditional.ts';
import type { ObjectStore } from '../store/types.ts';
import { verifyPart } from './download.ts';
import { CheckpointCorruptError } from './errors.ts';
import { type HeadState, readHead } from './fencing.ts';
import { encodeHead, type EpochOwner, type HeadEntry, type Manifest, type PartRecord } from './format.ts';
import { headWithout } from './head.ts';
import { HEAD_KEY, resolveKey } from './layout.ts';
import { readManifest } from './read-checkpoint.ts';
import { pruneCheckpoints } from './retention.ts';
import { STATE_PART } from './upload-parts.ts';

/** One stored part of a checkpoint, as its manifest records it. */
export interface PartSummary {
  readonly name: string;
  /** Store key of the part's bytes. */
  readonly key: string;
  readonly size: number;
  /** `<algorithm>:<hex>` the bytes must hash to. */
  readonly checksum: string;
}

/**
 * One checkpoint the head lists. `problem` is set (and the manifest fields are
 * unknown) when its manifest is missing or does not match the head's record:
 * `load()` would skip it.
 *
 * @example
 * ```ts
 * const latest = line.checkpoints.find((c) => c.latest);
 * console.log(latest?.seq, latest?.createdAt, latest?.size);
 * ```
 */
export interface CheckpointSummary {
  readonly seq: number;
  /** The epoch (one per attempt that opened the line) that committed it; undefined when the manifest is unreadable. */
  readonly epoch: number | undefined;
  readonly createdAt: string | undefined;
  /** Store key of its manifest. */
  readonly manifestKey: string;
  /** Bytes of its parts (and of its state, when stored as a part). */
  readonly size: number;
  readonly parts: readonly PartSummary[];
  /** Whether the state is inside the manifest (else a data object, counted in `size`). */
  readonly stateInline: boolean;
  /** The newest checkpoint of the head: the one `load()` tries first. */
  readonly latest: boolean;
  readonly problem: string | undefined;
  /** The inline state, only when asked for (`withState`): never printed, read for a shard cursor. */
  readonly state?: unknown;
}

/**
 * What a checkpoint line's head says: the current epoch and its owner (the
 * pod that last opened the line), and the kept checkpoints, newest first.
 *
 * @example
 * ```ts
 * const line = await inspectCheckpointLine(store, 'jobs/data/etl/index-0/checkpoints');
 * if (line !== undefined) console.log(`epoch ${line.epoch} taken by ${line.owner.pod}`);
 * ```
 */
export interface CheckpointLineSummary {
  readonly root: string;
  readonly headKey: string;
  /** Epochs taken so far: one per attempt (pod) that opened the line. */
  readonly epoch: number;
  /** Highest sequence number ever committed (older ones were dropped by retention). */
  readonly lastSeq: number;
  /** Who took the current epoch. */
  readonly owner: EpochOwner;
  /** When the head was last written (ISO), or undefined for heads written before it was recorded. */
  readonly updatedAt: string | undefined;
  readonly checkpoints: readonly CheckpointSummary[];
}

function partsOf(root: string, manifest: Manifest): PartSummary[] {
  const parts: PartSummary[] = Object.entries(manifest.parts).map(([name, r]) => ({ name, key: resolveKey(root, r.key), size: r.size, checksum: r.checksum }));
  if ('part' in manifest.state) {
    const r = manifest.state.part;
    parts.push({ name: STATE_PART, key: resolveKey(root, r.key), size: r.size, checksum: r.checksum });
  }
  return parts;
}

/**
 * Read a line's head; undefined when the line has no head (nothing was ever
 * opened or committed there). Reads only.
 *
 * @throws CheckpointCorruptError when the head is damaged; CheckpointFormatError when a newer jobkit wrote it.
 * @example
 * ```ts
 * const current = await readLineHead(store, root);
 * console.log(current?.head.checkpoints.map((e) => e.seq));
 * ```
 */
export async function readLineHead(store: ObjectStore, root: string, signal?: AbortSignal): Promise<HeadState | undefined> {
  return await readHead(store, resolveKey(root, HEAD_KEY), signal);
}

/**
 * Summarize a checkpoint line: its head, and each kept checkpoint's manifest
 * (read and checked against the head's size and checksum; small objects). The
 * parts are not downloaded: see {@link verifyCheckpoint}. Reads only.
 *
 * @example
 * ```ts
 * const line = await inspectCheckpointLine(store, 'jobs/data/etl/index-0/checkpoints');
 * for (const c of line?.checkpoints ?? []) console.log(c.seq, c.size, c.latest ? '(latest)' : '');
 * ```
 */
export async function inspectCheckpointLine(
  store: ObjectStore,
  root: string,
  options: { readonly withState?: boolean; readonly signal?: AbortSignal } = {},
): Promise<CheckpointLineSummary | undefined> {
  const current = await readLineHead(store, root, options.signal);
  if (current === undefined) return undefined;
  const { head } = current;
  const checkpoints: CheckpointSummary[] = [];
  for (const [i, entry] of head.checkpoints.entries()) {
    const manifestKey = resolveKey(root, entry.manifest);
    try {
      const m = await readManifest(store, root, entry, options.signal);
      const parts = partsOf(root, m);
      checkpoints.push({
        seq: m.seq,
        epoch: m.epoch,
        createdAt: m.createdAt,
        manifestKey,
        size: parts.reduce((n, p) => n + p.size, 0),
        parts,
        stateInline: 'inline' in m.state,
        latest: i === 0,
        problem: undefined,
        ...(options.withState === true && 'inline' in m.state ? { state: m.state.inline } : {}),
      });
    } catch (err) {
      if (!(err instanceof CheckpointCorruptError)) throw err;
      checkpoints.push({
        seq: entry.seq,
        epoch: undefined,
        createdAt: undefined,
        manifestKey,
        size: 0,
        parts: [],
        stateInline: false,
        latest: i === 0,
        problem: err.message,
      });
    }
  }
  return {
    root,
    headKey: resolveKey(root, HEAD_KEY),
    epoch: head.epoch,
    lastSeq: head.lastSeq,
    owner: head.owner,
    updatedAt: head.updatedAt === '' ? undefined : head.updatedAt,
    checkpoints,
  };
}

/** The verdict on one part. */
export interface PartVerdict extends PartSummary {
  readonly ok: boolean;
  /** What is wrong, e.g. `part "weights" fails its checksum: expected sha256:..., got sha256:...`. */
  readonly problem: string | undefined;
}

/**
 * The verdict on one checkpoint: its manifest, then every part.
 *
 * @example
 * ```ts
 * const verdict = await verifyCheckpoint(store, root, head.checkpoints[0]);
 * for (const p of verdict.parts) if (!p.ok) console.log(p.name, p.problem);
 * ```
 */
export interface CheckpointVerdict {
  readonly seq: number;
  readonly manifestKey: string;
  readonly ok: boolean;
  /** Set when the manifest itself is missing or damaged (then `parts` is empty). */
  readonly problem: string | undefined;
  readonly parts: readonly PartVerdict[];
  /** Bytes downloaded and hashed. */
  readonly bytesRead: number;
}

/**
 * Verify a checkpoint as `load()` would: the manifest against the head's
 * record, then every part (and stored state) downloaded in full and checked
 * against its size and checksum. Parts are streamed and dropped (no memory or
 * disk beyond a chunk), one at a time; a failed read is retried once before a
 * part is called corrupt, and a transport error propagates (a store that is
 * down is not a broken checkpoint). Reads only.
 *
 * @example
 * ```ts
 * const current = await readLineHead(store, root);
 * const verdict = await verifyCheckpoint(store, root, current!.head.checkpoints[0]!);
 * process.exitCode = verdict.ok ? 0 : 65;
 * ```
 */
export async function verifyCheckpoint(store: ObjectStore, root: string, entry: HeadEntry, signal?: AbortSignal): Promise<CheckpointVerdict> {
  const manifestKey = resolveKey(root, entry.manifest);
  let manifest: Manifest;
  try {
    manifest = await readManifest(store, root, entry, signal);
  } catch (err) {
    if (!(err instanceof CheckpointCorruptError)) throw err;
    return { seq: entry.seq, manifestKey, ok: false, problem: err.message, parts: [], bytesRead: 0 };
  }
  const records: Array<[string, PartRecord]> = Object.entries(manifest.parts);
  if ('part' in manifest.state) records.push([STATE_PART, manifest.state.part]);
  const parts: PartVerdict[] = [];
  let bytesRead = 0;
  for (const [name, record] of records) {
    const summary: PartSummary = { name, key: resolveKey(root, record.key), size: record.size, checksum: record.checksum };
    try {
      await verifyPart({ store, root, signal }, name, record);
      bytesRead += record.size;
      parts.push({ ...summary, ok: true, problem: undefined });
    } catch (err) {
      if (!(err instanceof CheckpointCorruptError)) throw err;
      parts.push({ ...summary, ok: false, problem: err.message });
    }
  }
  return { seq: entry.seq, manifestKey, ok: parts.every((p) => p.ok), problem: undefined, parts, bytesRead };
}

/** What {@link removeCheckpoints} should remove. */
export interface RemoveCheckpointsOptions {
  readonly store: ObjectStore;
  readonly root: string;
  /** Sequence numbers of kept checkpoints, or `all` of them. */
  readonly seqs: readonly number[] | 'all';
  /** Also the latest checkpoint (the one a restarted pod resumes from). */
  readonly force: boolean;
  /** Decide and list, delete nothing, write nothing. */
  readonly dryRun: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The outcome of {@link removeCheckpoints}.
 *
 * - `removed`: the head no longer lists `seqs`, and `keys` (their manifests,
 *   then the data objects no other kept checkpoint shares) were deleted, or
 *   would be in a dry run.
 * - `refused`: the latest checkpoint was named without `force`; nothing done.
 * - `not-found`: some seqs are not kept by the head (`kept` says which are); nothing done.
 * - `no-line`: there is no head at `root`.
 *
 * @example
 * ```ts
 * const out = await removeCheckpoints({ store, root, seqs: [3], force: false, dryRun: true });
 * if (out.kind === 'removed') console.log(out.keys);
 * ```
 */
export type RemoveCheckpointsOutcome =
  | { readonly kind: 'removed'; readonly seqs: readonly number[]; readonly keys: readonly string[]; readonly dryRun: boolean }
  | { readonly kind: 'refused'; readonly latest: number }
  | { readonly kind: 'not-found'; readonly missing: readonly number[]; readonly kept: readonly number[] }
  | { readonly kind: 'no-line' };

/**
 * Remove kept checkpoints of a line. The head is rewritten first, by
 * compare-and-swap on the etag just read and with the same epoch and owner
 * (no epoch is taken: a running writer is not fenced; its next commit fails
 * its CAS once, re-reads and builds on this head), so no listed checkpoint
 * ever points at deleted bytes. Then retention's own trim deletes each
 * removed manifest and the data objects no remaining checkpoint references.
 * The head object itself is kept even with `all` (the epoch stays, so older
 * writers stay fenced; a new pod finds no checkpoint and starts over).
 *
 * Refuses the latest checkpoint without `force`: a pod restarting now would
 * resume from it, and a running writer may reuse its unchanged parts in its
 * next checkpoint.
 *
 * @throws RetryableError when the head changed between the read and the write (a pod committed): nothing was deleted.
 * @example
 * ```ts
 * await removeCheckpoints({ store, root, seqs: [3, 4], force: false, dryRun: false });
 * ```
 */
export async function removeCheckpoints(options: RemoveCheckpointsOptions): Promise<RemoveCheckpointsOutcome> {
  const { store, root, signal } = options;
  const current = await readLineHead(store, root, signal);
  if (current === undefined) return { kind: 'no-line' };
  const { head } = current;
  const kept = head.checkpoints.map((e) => e.seq);
  const wanted = options.seqs === 'all' ? kept : [...new Set(options.seqs)];
  const missing = wanted.filter((s) => !kept.includes(s));
  if (missing.length > 0) return { kind: 'not-found', missing, kept };
  const latest = head.checkpoints[0]?.seq;
  if (latest !== undefined && wanted.includes(latest) && !options.force) return { kind: 'refused', latest };
  const removing = new Set(wanted);
  const next = headWithout(head, removing);
  const dropped = head.checkpoints.filter((e) => removing.has(e.seq));
  if (!options.dryRun && dropped.length > 0) {
    const swapped = await tryPut(store, resolveKey(root, HEAD_KEY), encodeHead(next), { ifMatch: current.etag, contentType: 'application/json', signal });
    if (!swapped.ok) throw new RetryableError(`the checkpoint head ${resolveKey(root, HEAD_KEY)} changed while it was being edited (a pod committed or opened the line); nothing was deleted: run it again`);
  }
  const keys: string[] = [];
  await pruneCheckpoints(
    {
      store,
      root,
      head: next,
      readManifest: async (rel) => {
        const entry = head.checkpoints.find((e) => e.manifest === rel);
        if (entry === undefined) throw new CheckpointCorruptError(resolveKey(root, rel), 'not a checkpoint of the head');
        return await readManifest(store, root, entry, signal);
      },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      signal,
      onDelete: (key) => keys.push(key),
      dryRun: options.dryRun,
    },
    dropped,
    { sweep: false },
  );
  return { kind: 'removed', seqs: dropped.map((e) => e.seq), keys, dryRun: options.dryRun };
}
