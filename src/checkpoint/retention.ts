/**
 * Retention and leftover cleanup, run only after a commit is durable.
 *
 * - Trim: checkpoints that fell off the head's list (keep-last-N) are deleted
 *   manifest first, then their data objects that no kept checkpoint still uses
 *   (unchanged parts are shared between checkpoints).
 * - Sweep: manifests and data objects written under an OLDER epoch that no
 *   kept checkpoint references are leftovers of crashed, killed or fenced
 *   saves; they can never be committed any more, so they are deleted. Objects
 *   of the current or a newer epoch are never touched: they may belong to a
 *   save in flight. Unfinished multipart uploads of older epochs (a writer
 *   SIGKILLed mid-upload) are aborted by the same rule, where the store has
 *   them.
 */
import type { ObjectStore } from '../store/types.ts';
import { CheckpointCorruptError } from './errors.ts';
import type { Head, HeadEntry, Manifest } from './format.ts';
import { DATA_DIR, epochOfKey, IMMUTABLE_DIRS, resolveKey } from './layout.ts';
import type { JobLogger } from '../runtime/types.ts';

/** What pruning needs. */
export interface PruneContext {
  readonly store: ObjectStore;
  readonly root: string;
  /** The head as this writer committed it. */
  readonly head: Head;
  /** Read a manifest by its relative key; CheckpointCorruptError when unreadable. */
  readonly readManifest: (relativeKey: string) => Promise<Manifest>;
  readonly log: JobLogger;
  readonly signal?: AbortSignal | undefined;
  /** Told each key before it is deleted (`jobkit checkpoint rm` lists them). */
  readonly onDelete?: ((key: string) => void) | undefined;
  /** Decide and report (`onDelete`) without deleting: the dry run of `jobkit checkpoint rm`. */
  readonly dryRun?: boolean | undefined;
}

/** Data keys (relative) a manifest references. */
export function dataKeysOf(manifest: Manifest): string[] {
  const keys = Object.values(manifest.parts).map((p) => p.key);
  if ('part' in manifest.state) keys.push(manifest.state.part.key);
  return keys;
}

/** Read a manifest, or undefined when it is corrupt or gone (it then references nothing usable). */
async function readOrSkip(ctx: PruneContext, relativeKey: string): Promise<Manifest | undefined> {
  try {
    return await ctx.readManifest(relativeKey);
  } catch (err) {
    if (err instanceof CheckpointCorruptError) return undefined;
    throw err;
  }
}

/**
 * Delete dropped checkpoints (manifest first) and, with `sweep`, leftovers of
 * older epochs. Returns how many objects were deleted.
 *
 * @example
 * ```ts
 * await pruneCheckpoints(ctx, droppedEntries, { sweep: true });
 * ```
 */
export async function pruneCheckpoints(ctx: PruneContext, dropped: readonly HeadEntry[], options: { sweep: boolean }): Promise<number> {
  const { store, root, head, signal } = ctx;
  const keptManifests = new Set(head.checkpoints.map((e) => e.manifest));
  const referenced = new Set<string>();
  for (const entry of head.checkpoints) {
    const manifest = await readOrSkip(ctx, entry.manifest);
    if (manifest !== undefined) for (const k of dataKeysOf(manifest)) referenced.add(k);
  }
  const absolute = (rel: string): string => resolveKey(root, rel);
  let deleted = 0;
  const remove = async (rel: string): Promise<void> => {
    ctx.onDelete?.(absolute(rel));
    if (ctx.dryRun !== true) await store.delete(absolute(rel), { signal });
    deleted++;
  };

  for (const entry of dropped) {
    if (keptManifests.has(entry.manifest)) continue;
    const manifest = await readOrSkip(ctx, entry.manifest);
    await remove(entry.manifest);
    for (const k of manifest === undefined ? [] : dataKeysOf(manifest)) if (!referenced.has(k)) await remove(k);
  }

  if (options.sweep) {
    // Manifests before data, so no listed manifest ever points at deleted data.
    for (const dir of IMMUTABLE_DIRS) {
      const prefix = `${resolveKey(root, dir)}/`;
      const leftovers: string[] = [];
      for await (const info of store.list(prefix, { signal })) {
        const rel = info.key.slice(root.length + 1);
        const epoch = epochOfKey(rel);
        if (epoch === undefined || epoch >= head.epoch) continue;
        if (keptManifests.has(rel) || referenced.has(rel)) continue;
        leftovers.push(rel);
      }
      for (const rel of leftovers) await remove(rel);
    }
    await abortOlderUploads(ctx);
  }
  if (deleted > 0) ctx.log.debug({ deleted, kept: head.checkpoints.length }, 'checkpoint retention deleted old objects');
  return deleted;
}

/**
 * Abort the multipart uploads of a killed older-epoch writer: invisible to
 * list, billed until aborted. Same rule as the sweep: never the current or a
 * newer epoch's. A server that cannot list uploads only costs a warning (the
 * objects above are already swept; a bucket lifecycle rule covers the rest).
 */
async function abortOlderUploads(ctx: PruneContext): Promise<void> {
  const { store, root, head, signal } = ctx;
  if (store.abortIncompleteUploads === undefined) return;
  try {
    const aborted = await store.abortIncompleteUploads(
      `${resolveKey(root, DATA_DIR)}/`,
      (key) => {
        const epoch = epochOfKey(key.slice(root.length + 1));
        return epoch !== undefined && epoch < head.epoch;
      },
      { signal },
    );
    if (aborted > 0) ctx.log.debug({ aborted }, 'checkpoint retention aborted unfinished uploads of older epochs');
  } catch (err) {
    if (signal?.aborted === true) throw err;
    ctx.log.warn({ err }, 'could not list or abort unfinished multipart uploads of older epochs; an AbortIncompleteMultipartUpload lifecycle rule cleans them');
  }
}
