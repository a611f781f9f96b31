/**
 * Where a checkpoint line keeps its objects, under its root
 * (`<scope prefix>/checkpoints`):
 *
 * ```
 * head.json                               the head (compare-and-swap only)
 * manifests/<seq>-e<epoch>-<rand>.json    immutable manifests (create-only)
 * data/e<epoch>/<rand>-<part name>        part bytes (unique key)
 * ```
 *
 * Keys read back from a head or manifest are checked against these shapes
 * (format.ts), so a stored key can never point outside the root. What the head
 * and manifest hold is format.ts.
 */
import { randomBytes } from 'node:crypto';
import type { JobIdentity } from '../runtime/types.ts';
import { joinKey, keySegment, type ScopeOptions, scopePrefix } from '../store/keys.ts';

export const HEAD_KEY = 'head.json';
const ROOT_DIR = 'checkpoints';
const MANIFEST_DIR = 'manifests';
export const DATA_DIR = 'data';
const EPOCH_DIGITS = 10;
const SEQ_DIGITS = 12;
const MANIFEST_KEY = /^manifests\/(\d{12})-e(\d{10})-[0-9a-f]{16}\.json$/;
const DATA_KEY = /^data\/e(\d{10})\/[0-9a-f]{16}-[A-Za-z0-9_%-]{1,1200}$/;
const MAX_PART_NAME = 100;

const pad = (n: number, digits: number): string => String(n).padStart(digits, '0');
const nonce = (): string => randomBytes(8).toString('hex');

/**
 * A new unique manifest key (relative to the root).
 *
 * @example
 * ```ts
 * manifestKey(12, 7); // 'manifests/000000000012-e0000000007-9f2c...json'
 * ```
 */
export function manifestKey(seq: number, epoch: number): string {
  return joinKey(MANIFEST_DIR, `${pad(seq, SEQ_DIGITS)}-e${pad(epoch, EPOCH_DIGITS)}-${nonce()}.json`);
}

/**
 * A new unique data key for a part (relative to the root).
 *
 * @example
 * ```ts
 * dataKey(7, 'weights'); // 'data/e0000000007/3b1f...-weights'
 * ```
 */
export function dataKey(epoch: number, partName: string): string {
  return joinKey(DATA_DIR, `e${pad(epoch, EPOCH_DIGITS)}`, `${nonce()}-${keySegment(partName)}`);
}

/**
 * The store key of a key relative to a root; both are validated segment by
 * segment, so a relative key read from a manifest can never leave the root.
 *
 * @example
 * ```ts
 * resolveKey('jobs/default/etl/index-0/checkpoints', 'head.json');
 * ```
 */
export function resolveKey(root: string, relativeKey: string): string {
  return joinKey(...root.split('/'), ...relativeKey.split('/'));
}

/**
 * The root of a checkpoint line: `<scope prefix>/checkpoints`, e.g.
 * `jobs/<namespace>/<job>/index-<n>/checkpoints` for the default scope.
 *
 * @example
 * ```ts
 * checkpointRoot(identity, { perIndex: true }); // 'jobs/default/etl/index-0/checkpoints'
 * ```
 */
export function checkpointRoot(identity: JobIdentity, scope: ScopeOptions): string {
  return resolveKey(scopePrefix(identity, scope), ROOT_DIR);
}

/**
 * Whether a relative key read from a head is a manifest key of this line.
 *
 * @example
 * ```ts
 * isManifestKey(manifestKey(1, 1)); // true
 * isManifestKey('manifests/../head.json'); // false
 * ```
 */
export function isManifestKey(relativeKey: string): boolean {
  return MANIFEST_KEY.test(relativeKey);
}

/**
 * Whether a relative key read from a manifest is a data key of this line.
 *
 * @example
 * ```ts
 * isDataKey(dataKey(7, 'weights')); // true
 * isDataKey('../../other-job/data/x'); // false
 * ```
 */
export function isDataKey(relativeKey: string): boolean {
  return DATA_KEY.test(relativeKey);
}

/** The epoch a manifest or data key was written under, or undefined for a foreign key. */
export function epochOfKey(relativeKey: string): number | undefined {
  const m = MANIFEST_KEY.exec(relativeKey) ?? DATA_KEY.exec(relativeKey);
  const digits = m === null ? undefined : relativeKey.startsWith(MANIFEST_DIR) ? m[2] : m[1];
  return digits === undefined ? undefined : Number(digits);
}

/** The directories of the root that hold immutable objects (for listing leftovers). */
export const IMMUTABLE_DIRS: readonly string[] = [MANIFEST_DIR, DATA_DIR];

/**
 * Throw a TypeError unless `name` is a usable part name.
 *
 * @example
 * ```ts
 * assertPartName('weights'); // ok
 * ```
 */
export function assertPartName(name: string): void {
  if (name.length === 0 || name.length > MAX_PART_NAME) {
    throw new TypeError(`checkpoint part names must have 1..${MAX_PART_NAME} characters, got ${JSON.stringify(name.slice(0, 40))}`);
  }
}

