/**
 * Errors of the checkpointer. Each maps to a row of the exit-code table through
 * its base class; a fenced writer uses FencedError (exit 73) from runtime/errors.
 */
import { ConfigurationError, PermanentError } from '../runtime/errors.ts';
import { CorruptObjectError } from '../store/errors.ts';
import { versionMismatch } from '../util/format-version.ts';

/**
 * A head or manifest has a format version this jobkit does not read: written
 * by a newer jobkit (the usual case: an older image runs against newer
 * checkpoints), or more than one version older than this one. Each reader
 * decodes its own version and the previous one. Nothing is overwritten; exits
 * 78 (configuration), since every index would hit the same way.
 *
 * @example
 * ```ts
 * try { await cp.load(); } catch (err) { if (err instanceof CheckpointFormatError) console.error(err.found); }
 * ```
 */
export class CheckpointFormatError extends ConfigurationError {
  /** Format version found in the store. */
  readonly found: number;
  /** Format version this jobkit writes, the highest it reads. */
  readonly supported: number;

  constructor(what: string, found: number, supported: number) {
    super(
      found > supported
        ? `${what} has checkpoint format version ${found}, but this jobkit understands up to ${supported}; ` +
            'it was written by a newer jobkit: upgrade the image. Nothing was overwritten.'
        : `${what} ${versionMismatch(found, supported)}`,
    );
    this.found = found;
    this.supported = supported;
  }
}

/**
 * The state handed to `save()` cannot be serialized as JSON (a function, a
 * bigint, a cycle, a class instance, NaN...). The message names the path,
 * e.g. `$.model.step`. Exits 65: the same code on the same input fails again.
 *
 * @example
 * ```ts
 * await cp.save({ n: 10n }); // CheckpointStateError: ... cannot serialize a bigint at $.n
 * ```
 */
export class CheckpointStateError extends PermanentError {}

/**
 * A checkpoint failed verification (missing or corrupt manifest or part). `load()`
 * handles it by falling back to an older checkpoint; it only escapes from a
 * lazy read of a part whose bytes changed after load.
 *
 * @example
 * ```ts
 * if (err instanceof CheckpointCorruptError) log.warn({ key: err.key }, err.message);
 * ```
 */
export class CheckpointCorruptError extends PermanentError {
  /** The store key that failed verification. */
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/**
 * A part's buffer (or file) was written to while its save was uploading it,
 * so the uploaded bytes are not one content the buffer ever held. The save
 * fails and nothing is committed; the previous checkpoint stays the latest.
 * Pass `{ snapshot: true }` to `save()`, `saveInBackground()` or `track()` to
 * copy buffers at save time, or stop writing until the save is durable.
 * Exits 65: the same code writes into the same buffer again.
 *
 * @example
 * ```ts
 * const { durable } = await cp.saveInBackground({ step }, { weights }); // training goes on writing weights
 * await durable; // CheckpointSourceChangedError: checkpoint part "weights" changed while it was being saved ...
 * ```
 */
export class CheckpointSourceChangedError extends PermanentError {
  /** The part whose bytes changed. */
  readonly part: string;

  constructor(part: string, what: string) {
    super(
      `checkpoint part "${part}" changed while it was being saved (${what}); nothing was committed. ` +
        'Pass { snapshot: true } to save(), saveInBackground() or track() to copy it at save time, or do not write to it until the save is durable',
    );
    this.part = part;
  }
}

/**
 * Run a store read of checkpoint object `key`, turning a store-level
 * corrupt object (e.g. a damaged fs trailer) into a CheckpointCorruptError,
 * so load() falls back to an older checkpoint instead of crashing.
 *
 * @example
 * ```ts
 * const obj = await verifiedRead(key, () => store.get(key));
 * ```
 */
export async function verifiedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CorruptObjectError) throw new CheckpointCorruptError(key, `checkpoint object "${key}" is corrupt: ${err.message}`);
    throw err;
  }
}
