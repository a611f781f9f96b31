/**
 * Part checksums. Stored as `<algorithm>:<hex>` so that a manifest says how to
 * verify each part, and a change of the default never breaks loading old ones.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from './types.ts';

/** An incremental checksum. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  /** `<algorithm>:<hex>`. */
  digest(): string;
}

/** The algorithms a manifest may name. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha256', 'crc32'];

/**
 * A new incremental hasher.
 *
 * @example
 * ```ts
 * const h = createHasher('crc32'); h.update(Buffer.from('abc')); h.digest(); // 'crc32:352441c2'
 * ```
 */
export function createHasher(algorithm: ChecksumAlgorithm): Hasher {
  if (algorithm === 'crc32') {
    let value = 0;
    return {
      update: (chunk) => {
        value = crc32(chunk, value);
      },
      digest: () => `crc32:${value.toString(16).padStart(8, '0')}`,
    };
  }
  const hash = createHash('sha256');
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => `sha256:${hash.digest('hex')}`,
  };
}

/**
 * The algorithm of a recorded checksum, or undefined when it is not one we know.
 *
 * @example
 * ```ts
 * checksumAlgorithm('sha256:ab12'); // 'sha256'
 * ```
 */
export function checksumAlgorithm(checksum: string): ChecksumAlgorithm | undefined {
  const name = checksum.slice(0, checksum.indexOf(':'));
  return CHECKSUM_ALGORITHMS.find((a) => a === name);
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
export async function checksumOf(bytes: Uint8Array, algorithm: ChecksumAlgorithm): Promise<string> {
  const hasher = createHasher(algorithm);
  for (let offset = 0; offset < bytes.byteLength; offset += HASH_SLICE) {
    hasher.update(bytes.subarray(offset, offset + HASH_SLICE));
    if (offset + HASH_SLICE < bytes.byteLength) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return hasher.digest();
}
