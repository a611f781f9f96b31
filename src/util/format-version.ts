/**
 * The one compatibility policy of every stored format (checkpoint head and
 * manifest, idempotency records, shard plans, work-queue records).
 *
 * A reader decodes its own version and the one before it: during a rollout
 * pods of two adjacent releases run side by side, and a resumed job reads what
 * the previous release wrote. A newer version than the reader knows means the
 * image is older than the data; guessing at its fields could misread them, so
 * it is refused with a configuration error (exit 78), and so is a version more
 * than one behind. A version field that is not a positive integer is damage,
 * which each format reports with its own "corrupt" error.
 *
 * Each codec switches on the verdict (the switch is exhaustive), so adding a
 * version means: bump the constant, make `current` read the new shape and
 * `previous` read the old one and upgrade it.
 */

/**
 * What a reader makes of the version field it found: its own version, the one
 * just before (decoded and upgraded), a newer one or one two or more behind
 * (both refused), or no version number at all (missing, not an integer, below
 * 1: damaged or not ours).
 */
export type VersionVerdict =
  | { readonly kind: 'current' | 'previous' | 'newer' | 'older'; readonly version: number }
  | { readonly kind: 'invalid'; readonly found: unknown };

/**
 * Judge a version field read from the store against the reader's own version.
 *
 * @example
 * ```ts
 * versionVerdict(1, 1); // { kind: 'current', version: 1 }
 * versionVerdict(2, 1); // { kind: 'newer', version: 2 }
 * versionVerdict('1', 1); // { kind: 'invalid', found: '1' }
 * ```
 */
export function versionVerdict(found: unknown, current: number): VersionVerdict {
  if (typeof found !== 'number' || !Number.isSafeInteger(found) || found < 1) return { kind: 'invalid', found };
  const kind = found === current ? 'current' : found > current ? 'newer' : found === current - 1 ? 'previous' : 'older';
  return { kind, version: found };
}

/**
 * The versions a reader of version `current` decodes, for messages.
 *
 * @example
 * ```ts
 * readableVersions(1); // 'version 1'
 * readableVersions(3); // 'versions 2 and 3'
 * ```
 */
export function readableVersions(current: number): string {
  return current > 1 ? `versions ${current - 1} and ${current}` : `version ${current}`;
}

/**
 * Why a version this reader does not decode is refused, and what to do; used
 * by every codec so the advice reads the same everywhere.
 *
 * @example
 * ```ts
 * versionMismatch(2, 1);
 * // 'has format version 2, but this jobkit reads version 1: it was written by a newer jobkit; upgrade the image ...'
 * ```
 */
export function versionMismatch(found: number, current: number): string {
  const reads = `has format version ${found}, but this jobkit reads ${readableVersions(current)}`;
  return found > current
    ? `${reads}: it was written by a newer jobkit; upgrade the image (nothing was overwritten)`
    : `${reads}: it was written by a jobkit more than one format version older; ` +
        'run a release that reads it, or delete it to start over (nothing was overwritten)';
}
