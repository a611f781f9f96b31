/**
 * Reading one checkpoint back, verifying everything on the way: the manifest
 * against the size and checksum its head entry recorded, every part against
 * its manifest record (download.ts), stored state as JSON. Whatever does not
 * verify is a CheckpointCorruptError, which load() answers by falling back to
 * the previous checkpoint of the head.
 */
import type { ObjectStore } from '../store/types.ts';
import { checksumOf } from './checksum.ts';
import { type DownloadSettings, downloadPart } from './download.ts';
import { CheckpointCorruptError, verifiedRead } from './errors.ts';
import { decodeManifest, type HeadEntry, type Manifest, type PartRecord } from './format.ts';
import { resolveKey } from './layout.ts';
import { SMALL_PART_MAX, transferParts } from './transfer.ts';
import type { LoadedPart } from './types.ts';
import { STATE_PART } from './upload-parts.ts';

/**
 * Read and verify the manifest a head entry names.
 *
 * @throws CheckpointCorruptError when it is missing, differs from the head's record or names another seq.
 * @example
 * ```ts
 * const manifest = await readManifest(store, root, head.checkpoints[0], signal);
 * ```
 */
export async function readManifest(store: ObjectStore, root: string, entry: HeadEntry, signal: AbortSignal | undefined): Promise<Manifest> {
  const key = resolveKey(root, entry.manifest);
  const obj = await verifiedRead(key, () => store.get(key, { signal }));
  if (obj === undefined) throw new CheckpointCorruptError(key, `manifest of checkpoint ${entry.seq} is missing (${key})`);
  if (obj.body.byteLength !== entry.size || (await checksumOf(obj.body, 'sha256')) !== entry.checksum) {
    throw new CheckpointCorruptError(key, `manifest of checkpoint ${entry.seq} does not match the checksum recorded in the head`);
  }
  const manifest = decodeManifest(obj.body, key);
  if (manifest.seq !== entry.seq) throw new CheckpointCorruptError(key, `manifest says seq ${manifest.seq}, the head says ${entry.seq}`);
  return manifest;
}

/**
 * The state of a checkpoint: inline in the manifest, or the verified
 * {@link STATE_PART} object parsed as JSON (always read into memory).
 *
 * @example
 * ```ts
 * const state = await readState(settings, manifest);
 * ```
 */
export async function readState(settings: DownloadSettings, manifest: Manifest): Promise<unknown> {
  if ('inline' in manifest.state) return manifest.state.inline;
  const part = await downloadPart({ ...settings, inMemoryMaxBytes: Number.POSITIVE_INFINITY }, STATE_PART, manifest.state.part);
  try {
    return JSON.parse((await part.buffer()).toString('utf8'));
  } catch {
    throw new CheckpointCorruptError(resolveKey(settings.root, manifest.state.part.key), 'checkpoint state is not valid JSON');
  }
}

/**
 * Download and verify every part of a checkpoint into `into` (small ones
 * `concurrency` at a time, large ones one by one). On failure `into` holds the
 * parts read so far, for the caller to remove their spooled files.
 *
 * @example
 * ```ts
 * const parts = new Map<string, LoadedPart>();
 * try { await downloadParts(settings, manifest, 4, parts); } catch (err) { await removeSpooled(parts.values()); throw err; }
 * ```
 */
export async function downloadParts(settings: DownloadSettings, manifest: Manifest, concurrency: number, into: Map<string, LoadedPart>): Promise<void> {
  const download = async ([name, record]: [string, PartRecord]): Promise<void> => {
    into.set(name, await downloadPart(settings, name, record));
  };
  await transferParts(Object.entries(manifest.parts), ([, r]) => r.size <= SMALL_PART_MAX, concurrency, download);
}
