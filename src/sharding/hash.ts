/**
 * The hash strategy's key-to-shard function: a stable 64-bit string hash
 * (FNV-1a 64 over the key's UTF-8 bytes, then the MurmurHash3 64-bit finalizer
 * for avalanche) fed to jump consistent hash (Lamping & Veach, 2014).
 *
 * Both are fixed, published algorithms computed with exact 32-bit arithmetic,
 * so every process, Node version and jobkit release maps a key to the same
 * shard (golden vectors in the tests pin this). Jump hash moves the minimum
 * share of keys when the count changes: n -> n+1 moves about 1/(n+1) of them,
 * all to the new shard. It runs in O(log count) with no table.
 *
 * 64-bit values are kept as two unsigned 32-bit halves because BigInt is an
 * order of magnitude slower on this hot path (10 million keys in the benchmark).
 */
import { validateShardSpec } from './validate.ts';

// fnv1a64's result: module-level registers avoid allocating a pair per call
// (read once per key, outside the hot loops).
let outHi = 0;
let outLo = 0;

/** High 32 bits of (aHi:aLo * bHi:bLo) mod 2^64; the low 32 bits are Math.imul(aLo, bLo) >>> 0. */
function mulHi(aHi: number, aLo: number, bHi: number, bLo: number): number {
  // High word of the 32x32 -> 64 product aLo*bLo, via 16-bit limbs (exact in doubles).
  const a1 = aLo >>> 16;
  const a0 = aLo & 0xffff;
  const b1 = bLo >>> 16;
  const b0 = bLo & 0xffff;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  return (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** FNV-1a 64 of the UTF-8 bytes of `key` into outHi:outLo. */
function fnv1a64(key: string): void {
  // Four 16-bit limbs (h0 lowest), kept in locals: multiplying by the prime
  // 2^40 + 0x1b3 then needs only small-integer arithmetic.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const n = key.length;
  let pending = 0; // bytes of a multi-byte character still to feed, low byte first
  let pendingCount = 0;
  for (let i = 0; i < n || pendingCount > 0; ) {
    let byte: number;
    if (pendingCount > 0) {
      byte = pending & 0xff;
      pending >>>= 8;
      pendingCount--;
    } else {
      let c = key.charCodeAt(i++);
      if (c < 0x80) byte = c;
      else {
        if (c >= 0xd800 && c <= 0xdbff && i < n) {
          const d = key.charCodeAt(i);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          } else c = 0xfffd;
        } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate, as TextEncoder does
        if (c < 0x800) {
          byte = 0xc0 | (c >> 6);
          pending = 0x80 | (c & 63);
          pendingCount = 1;
        } else if (c < 0x10000) {
          byte = 0xe0 | (c >> 12);
          pending = (0x80 | ((c >> 6) & 63)) | ((0x80 | (c & 63)) << 8);
          pendingCount = 2;
        } else {
          byte = 0xf0 | (c >> 18);
          pending = (0x80 | ((c >> 12) & 63)) | ((0x80 | ((c >> 6) & 63)) << 8) | ((0x80 | (c & 63)) << 16);
          pendingCount = 3;
        }
      }
    }
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    h3 = (h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16)) & 0xffff;
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
  }
  outHi = ((h3 << 16) | h2) >>> 0;
  outLo = ((h1 << 16) | h0) >>> 0;
}

/**
 * The stable 64-bit hash of a key, as a 16-digit lower-case hex string: FNV-1a
 * 64 of the UTF-8 bytes, then the MurmurHash3 fmix64 finalizer.
 *
 * @example
 * ```ts
 * stableKeyHash('s3://bucket/a.parquet'); // always the same 16 hex digits
 * ```
 */
export function stableKeyHash(key: string): string {
  hashKey64(key);
  return outHi.toString(16).padStart(8, '0') + outLo.toString(16).padStart(8, '0');
}

/** The stable 64-bit hash into outHi:outLo: FNV-1a 64, then MurmurHash3's fmix64. */
function hashKey64(key: string): void {
  fnv1a64(key);
  let hi = outHi;
  let lo = (outLo ^ (hi >>> 1)) >>> 0;
  let h = mulHi(hi, lo, 0xff51afd7, 0xed558ccd);
  lo = Math.imul(lo, 0xed558ccd) >>> 0;
  hi = h;
  lo = (lo ^ (hi >>> 1)) >>> 0;
  h = mulHi(hi, lo, 0xc4ceb9fe, 0x1a85ec53);
  lo = Math.imul(lo, 0x1a85ec53) >>> 0;
  hi = h;
  outHi = hi;
  outLo = (lo ^ (hi >>> 1)) >>> 0;
}

/** Jump consistent hash of the 64-bit key hi:lo into [0, count). */
function jump(hi: number, lo: number, count: number): number {
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64)
    const nextHi = mulHi(hi, lo, 0x27bb2ee6, 0x87b0b0fd);
    lo = (Math.imul(lo, 0x87b0b0fd) + 1) >>> 0;
    hi = lo === 0 ? (nextHi + 1) >>> 0 : nextHi;
    // (key >>> 33) + 1 fits in 31 bits + 1: exact in doubles.
    j = Math.floor((b + 1) * (2147483648 / ((hi >>> 1) + 1)));
  }
  return b;
}

/**
 * Jump consistent hash of a 64-bit key given as a 16-digit hex string (or a
 * bigint) into `[0, count)`. Exposed for interoperability with other
 * implementations of the published algorithm.
 *
 * @example
 * ```ts
 * jumpConsistentHash(0n, 10); // 0
 * ```
 */
export function jumpConsistentHash(key: bigint | string, count: number): number {
  validateShardSpec({ index: 0, count }, 'jumpConsistentHash');
  const big = typeof key === 'bigint' ? BigInt.asUintN(64, key) : BigInt(`0x${key}`);
  return jump(Number(big >> 32n), Number(big & 0xffffffffn), count);
}

/**
 * The shard of `key` among `count` shards under the hash strategy. Stable
 * across processes and versions; changing `count` from n to n+1 moves about
 * 1/(n+1) of the keys, all of them to the new shard n.
 *
 * @example
 * ```ts
 * if (shardOfKey(file.key, job.identity.count) === job.identity.index) await process(file);
 * ```
 */
export function shardOfKey(key: string, count: number): number {
  if (!(count >= 1 && Number.isSafeInteger(count))) validateShardSpec({ index: 0, count }, 'shardOfKey');
  hashKey64(key);
  return jump(outHi, outLo, count);
}
