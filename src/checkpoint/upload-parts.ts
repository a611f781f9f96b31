/**
 * Uploading the content of one save: every part, and the state when it is too
 * large to inline in the manifest. Each part is reused from the last durable
 * checkpoint when its content is unchanged, or uploaded under a new unique key
 * (upload.ts); small in-memory parts and small files go several at a time (transfer.ts).
 *
 * Nothing uploaded here is visible until the head names a manifest that lists
 * it (commit.ts), so a save that fails or never commits only leaves garbage:
 * what this step wrote is reported, so the caller can remove it, and when the
 * upload itself fails it removes what it wrote before rethrowing.
 */
import { stat } from 'node:fs/promises';
import type { ObjectStore } from '../store/types.ts';
import type { Manifest, PartRecord, StateRecord } from './format.ts';
import { resolveKey } from './layout.ts';
import { SMALL_PART_MAX, transferParts } from './transfer.ts';
import type { PartSource, PartSources } from './types.ts';
import { uploadPart, type UploadSettings } from './upload.ts';

/** Reserved name of the data object holding state too large to inline. */
export const STATE_PART = 'state.json';

/** What a save uploaded (or reused): the manifest's `state` and `parts`. */
export interface UploadedContent {
  readonly state: StateRecord;
  readonly parts: Readonly<Record<string, PartRecord>>;
  /** Keys (relative to the root) of the objects written, not reused: the save's to remove if it never commits. */
  readonly written: readonly string[];
  /** Bytes sent to the store. */
  readonly uploadedBytes: number;
  /** Names of the parts reused from the previous checkpoint, sorted. */
  readonly reusedParts: readonly string[];
}

/**
 * Best-effort removal of objects of a save that will never commit. Errors are
 * ignored: nothing references these objects, and retention sweeps whatever a
 * failed removal leaves.
 *
 * @example
 * ```ts
 * await discardObjects(store, root, content.written);
 * ```
 */
export async function discardObjects(store: ObjectStore, root: string, relativeKeys: readonly string[]): Promise<void> {
  for (const rel of relativeKeys) await store.delete(resolveKey(root, rel)).catch(() => undefined);
}

/** Sizes of the `{ file }` sources (one stat each); a file that cannot be stat-ed is left out (its upload reports why). */
async function smallFileSizes(sources: PartSources): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const [name, src] of Object.entries(sources)) {
    if (typeof src !== 'object' || src === null || !('file' in src) || typeof src.file !== 'string') continue;
    try {
      sizes.set(name, (await stat(src.file)).size);
    } catch {
      // Large by default: uploaded alone, where the error surfaces.
    }
  }
  return sizes;
}

/**
 * Upload the parts and the state of one save. State up to `inlineStateMaxBytes`
 * is kept inline (it goes into the manifest); larger state becomes the
 * {@link STATE_PART} data object. `previous` is the last durable manifest,
 * whose unchanged parts are reused.
 *
 * @example
 * ```ts
 * const content = await uploadContent(settings, { weights }, '{"step":7}', durable?.manifest, 256 * 1024);
 * console.log(content.uploadedBytes, content.reusedParts);
 * ```
 */
export async function uploadContent(
  settings: UploadSettings,
  sources: PartSources,
  stateJson: string,
  previous: Manifest | undefined,
  inlineStateMaxBytes: number,
): Promise<UploadedContent> {
  const written: string[] = [];
  const reusedParts: string[] = [];
  const parts: Record<string, PartRecord> = {};
  let uploadedBytes = 0;
  try {
    const upload = async ([name, source]: [string, PartSource]): Promise<void> => {
      const up = await uploadPart(settings, name, source, previous?.parts[name]);
      parts[name] = up.record;
      uploadedBytes += up.uploadedBytes;
      if (up.reused) reusedParts.push(name);
      else written.push(up.record.key);
    };
    // Small files go several at a time too (a directory of many small files, jobkit exec --checkpoint-dir):
    // each is read whole by uploadPart, so memory stays about SMALL_PART_MAX x concurrency.
    const fileSizes = await smallFileSizes(sources);
    const small = ([name, src]: [string, PartSource]): boolean =>
      (src instanceof Uint8Array && src.byteLength <= SMALL_PART_MAX) || (fileSizes.get(name) ?? Number.POSITIVE_INFINITY) <= SMALL_PART_MAX;
    await transferParts(Object.entries(sources), small, settings.concurrency, upload);
    reusedParts.sort();
    let state: StateRecord;
    const stateBytes = Buffer.from(stateJson, 'utf8');
    if (stateBytes.byteLength <= inlineStateMaxBytes) {
      state = { inline: JSON.parse(stateJson) as unknown };
    } else {
      const prevState = previous !== undefined && 'part' in previous.state ? previous.state.part : undefined;
      const up = await uploadPart(settings, STATE_PART, stateBytes, prevState);
      state = { part: up.record };
      uploadedBytes += up.uploadedBytes;
      if (!up.reused) written.push(up.record.key);
    }
    return { state, parts, written, uploadedBytes, reusedParts };
  } catch (err) {
    await discardObjects(settings.store, settings.root, written);
    throw err;
  }
}
