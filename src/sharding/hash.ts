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

// Result registers of mul64/hashKey64: avoids allocating a pair per call.
let outHi = 0;
let outLo = 0;

/** (aHi:aLo * bHi:bLo) mod 2^64 into outHi:outLo. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  // High 32 bits of the 32x32 -> 64 product aLo*bLo, via 16-bit limbs (exact in doubles).
  const a1 = aLo >>> 16;
  const a0 = aLo & 0xffff;
  const b1 = bLo >>> 16;
  const b0 = bLo & 0xffff;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  outLo = Math.imul(aLo, bLo) >>> 0;
  outHi = (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** outHi:outLo ^= (outHi:outLo) >>> 33, the finalizer's shift step. */
function xorShift33(): void {
  outLo = (outLo ^ (outHi >>> 1)) >>> 0;
}

/** FNV-1a 64 of the UTF-8 bytes of `key` into outHi:outLo. */
function fnv1a64(key: string): void {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const n = key.length;
  for (let i = 0; i < n; i++) {
    let c = key.charCodeAt(i);
    if (c < 0x80) {
      // One byte: the common case, kept inline.
      lo ^= c;
      const tLo = (lo >>> 0) * 0x1b3;
      hi = (hi * 0x1b3 + (lo << 8) + Math.floor(tLo / 0x100000000)) >>> 0;
      lo = tLo >>> 0;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = key.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate, as TextEncoder does
    let bytes: number[];
    if (c < 0x800) bytes = [0xc0 | (c >> 6), 0x80 | (c & 63)];
    else if (c < 0x10000) bytes = [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
    else bytes = [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
    for (const b of bytes) {
      lo ^= b;
      const tLo = (lo >>> 0) * 0x1b3;
      hi = (hi * 0x1b3 + (lo << 8) + Math.floor(tLo / 0x100000000)) >>> 0;
      lo = tLo >>> 0;
    }
  }
  outHi = hi >>> 0;
  outLo = lo >>> 0;
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

/** hashKey64 into outHi:outLo. */
function hashKey64(key: string): void {
  fnv1a64(key);
  xorShift33();
  mul64(outHi, outLo, 0xff51afd7, 0xed558ccd);
  xorShift33();
  mul64(outHi, outLo, 0xc4ceb9fe, 0x1a85ec53);
  xorShift33();
}

/** Jump consistent hash of the 64-bit key hi:lo into [0, count). */
function jump(hi: number, lo: number, count: number): number {
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64)
    mul64(hi, lo, 0x27bb2ee6, 0x87b0b0fd);
    lo = (outLo + 1) >>> 0;
    hi = lo === 0 ? (outHi + 1) >>> 0 : outHi;
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
