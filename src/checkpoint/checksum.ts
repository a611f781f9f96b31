/**
 * Part checksums. Stored as `<form>:<hex>` so that a manifest says how to
 * verify each part, and a change of the default never breaks loading old ones.
 *
 * Forms:
 * - `sha256:<hex>`: sha256 of the whole content (parts up to 8 MiB, sent in
 *   one PUT; and every part of checkpoints written before trees existed);
 * - `sha256-tree:<leafBytes>:<hex>`: the content cut into leaves of
 *   `leafBytes` (the last one shorter), and the sha256 of the concatenated
 *   32-byte sha256 digests of the leaves. A leaf is one multipart part, so its
 *   digest is also the SigV4 payload hash S3 signs the part with: each byte is
 *   hashed once for both (store/s3-known-sha256.ts), where a whole-content
 *   sha256 cannot be derived from the parts' and would cost a second pass;
 * - `crc32:<hex>`: zlib's CRC-32 of the whole content (the `crc32` option).
 */
import { createHash, type Hash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from './types.ts';

/** An incremental checksum. */
export interface Hasher {
  /**
   * Hash `chunk`. Returns the sha256 (hex) of exactly this chunk when this
   * hasher knows it for free: the chunk started a sha256 leaf (or a whole
   * sha256) and did not run past it. Such a chunk, if nobody writes to it, can
   * be signed with that digest instead of hashed again.
   */
  update(chunk: Uint8Array): string | undefined;
  /** `<form>:<hex>`. */
  digest(): string;
}

/** The algorithms a checkpointer may be configured with. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha256', 'crc32'];

/** Prefix of the tree form. */
const TREE = 'sha256-tree';

/**
 * The form a new part is recorded in: with `leafSize` (a part sent in
 * multipart parts of that size) and sha256, a tree with one leaf per
 * multipart part; else the algorithm itself, over the whole content.
 *
 * @example
 * ```ts
 * checksumFormFor('sha256', 16 * 2 ** 20); // 'sha256-tree:16777216'
 * checksumFormFor('sha256', undefined); // 'sha256'
 * ```
 */
export function checksumFormFor(algorithm: ChecksumAlgorithm, leafSize: number | undefined): string {
  return algorithm === 'sha256' && leafSize !== undefined ? `${TREE}:${leafSize}` : algorithm;
}

/**
 * The form of a recorded checksum (everything before its hex digest), or
 * undefined when it is not one we know.
 *
 * @example
 * ```ts
 * checksumForm('sha256:ab12'); // 'sha256'
 * checksumForm('sha256-tree:16777216:ab12'); // 'sha256-tree:16777216'
 * ```
 */
export function checksumForm(checksum: string): string | undefined {
  const cut = checksum.lastIndexOf(':');
  if (cut <= 0) return undefined;
  const form = checksum.slice(0, cut);
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(form)) return form;
  return treeLeafSize(form) === undefined ? undefined : form;
}

function treeLeafSize(form: string): number | undefined {
  const m = /^sha256-tree:([1-9][0-9]{0,15})$/.exec(form);
  return m === null ? undefined : Number(m[1]);
}

/**
 * A new incremental hasher for a form ({@link checksumFormFor},
 * {@link checksumForm}; an algorithm name is a form).
 *
 * @example
 * ```ts
 * const h = createHasher('crc32'); h.update(Buffer.from('abc')); h.digest(); // 'crc32:352441c2'
 * ```
 */
export function createHasher(form: string): Hasher {
  if (form === 'crc32') {
    let value = 0;
    return {
      update: (chunk) => {
        value = crc32(chunk, value);
        return undefined;
      },
      digest: () => `crc32:${value.toString(16).padStart(8, '0')}`,
    };
  }
  if (form === 'sha256') {
    const hash = createHash('sha256');
    let hashed = 0;
    return {
      update: (chunk) => {
        hash.update(chunk);
        hashed += chunk.byteLength;
        // Copying the state is cheap; it is the sha256 of this chunk only when nothing came before.
        return hashed === chunk.byteLength ? hash.copy().digest('hex') : undefined;
      },
      digest: () => `sha256:${hash.digest('hex')}`,
    };
  }
  const leafSize = treeLeafSize(form);
  if (leafSize === undefined) throw new Error(`unknown checksum form "${form}"`);
  return treeHasher(form, leafSize);
}

function treeHasher(form: string, leafSize: number): Hasher {
  const root = createHash('sha256');
  let leaf: Hash | undefined;
  let filled = 0;
  const closeLeaf = (): void => {
    if (leaf !== undefined) root.update(leaf.digest());
    leaf = undefined;
    filled = 0;
  };
  return {
    update: (chunk) => {
      // Known when the whole chunk went into one leaf that it started.
      const withinOneLeaf = filled === 0 && chunk.byteLength > 0 && chunk.byteLength <= leafSize;
      let known: string | undefined;
      for (let offset = 0; offset < chunk.byteLength; ) {
        const n = Math.min(leafSize - filled, chunk.byteLength - offset);
        leaf ??= createHash('sha256');
        leaf.update(chunk.subarray(offset, offset + n));
        filled += n;
        offset += n;
        if (withinOneLeaf) known = leaf.copy().digest('hex');
        if (filled === leafSize) closeLeaf();
      }
      return known;
    },
    digest: () => {
      closeLeaf();
      return `${form}:${root.digest('hex')}`;
    },
  };
}

/** Bytes hashed between event-loop turns, so that hashing 1 GiB does not stall timers and signals. */
const HASH_SLICE = 8 * 2 ** 20;

/**
 * Checksum of bytes already in memory, yielding to the event loop between slices.
 *
 * @example
 * ```ts
 * await checksumOf(weights, 'sha256'); // 'sha256:...'
 * ```
 */
export async function checksumOf(bytes: Uint8Array, form: string): Promise<string> {
  const hasher = createHasher(form);
  for (let offset = 0; offset < bytes.byteLength; offset += HASH_SLICE) {
    hasher.update(bytes.subarray(offset, offset + HASH_SLICE));
    if (offset + HASH_SLICE < bytes.byteLength) await nextTurn();
  }
  return hasher.digest();
}
