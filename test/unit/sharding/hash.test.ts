import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jumpConsistentHash, shardOfKey, stableKeyHash } from '../../../src/sharding/hash.ts';

// Straightforward BigInt implementations of the published algorithms: the
// 32-bit-limb code must agree with them bit for bit.
const MASK = (1n << 64n) - 1n;
function referenceHash(key: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(key)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & MASK;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK;
  h ^= h >> 33n;
  return h;
}
function referenceJump(key: bigint, count: number): number {
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & MASK;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return b;
}

const anyUtf16 = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 40 });

describe('stable key hash', () => {
  it('matches FNV-1a 64 + fmix64 over UTF-8 (including astral and lone surrogates)', () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16, fc.string({ unit: 'binary', maxLength: 40 })), (key) => {
        expect(stableKeyHash(key)).toBe(referenceHash(key).toString(16).padStart(16, '0'));
      }),
      { numRuns: 1_000 },
    );
  });

  it('matches jump consistent hash of that 64-bit value', () => {
    fc.assert(
      fc.property(anyUtf16, fc.integer({ min: 1, max: 100_000 }), (key, count) => {
        expect(shardOfKey(key, count)).toBe(referenceJump(referenceHash(key), count));
      }),
      { numRuns: 1_000 },
    );
  });

  it('reproduces the published jump consistent hash vectors', () => {
    // Test vectors of the reference Go port (github.com/dgryski/go-jump).
    expect(jumpConsistentHash(1n, 1)).toBe(0);
    expect(jumpConsistentHash(42n, 57)).toBe(43);
    expect(jumpConsistentHash(0xdead10ccn, 1)).toBe(0);
    expect(jumpConsistentHash(0xdead10ccn, 666)).toBe(361);
    expect(jumpConsistentHash(256n, 1024)).toBe(520);
  });

  it('never changes: golden values pinned across releases (changing them reshuffles every running job)', () => {
    const golden: [string, string, number, number][] = [
      ['', 'efd01f60ba992926', 1, 499],
      ['a', '82a2a958a9bece5b', 5, 723],
      ['input/part-00000.parquet', '9a76ed1aee902f38', 3, 148],
      ['é', '9d55ccb9ba86763b', 4, 217],
      ['日本', '1230c55089fe4e43', 8, 771],
      ['😀', 'da89b0991f06f386', 4, 783],
    ];
    for (const [key, hash, of10, of1000] of golden) {
      expect(stableKeyHash(key)).toBe(hash);
      expect(shardOfKey(key, 10)).toBe(of10);
      expect(shardOfKey(key, 1000)).toBe(of1000);
    }
  });

  it('rejects a bad count', () => {
    expect(() => shardOfKey('a', 0)).toThrow(/count must be an integer >= 1, got 0/);
    expect(() => jumpConsistentHash(1n, 2.5)).toThrow(/got 2.5/);
  });
});
