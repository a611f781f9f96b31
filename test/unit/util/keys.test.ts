import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinKey, keySegment, scopePrefix } from '../../../src/store/keys.ts';
import { canonicalJson } from '../../../src/util/canonical-json.ts';
import { testIdentity } from '../../support/identity.ts';

const identity = testIdentity({ namespace: 'team-a', podName: undefined, podUid: undefined, nodeName: undefined, index: 3, count: 4 });

describe('store keys', () => {
  it('encodes any string into one segment that cannot escape its prefix', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (s) => {
        const seg = keySegment(s);
        expect(seg).not.toContain('/');
        expect(seg).not.toContain('.');
        expect(decodeURIComponent(seg)).toBe(s);
      }),
    );
  });
  it('is injective', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
      if (a !== b) expect(keySegment(a)).not.toBe(keySegment(b));
    }));
  });
  it('rejects empty and traversal segments', () => {
    expect(() => keySegment('')).toThrow(/empty/);
    expect(() => joinKey('a', '..')).toThrow(/invalid/);
    expect(() => joinKey('a', 'b/c')).toThrow(/invalid/);
  });
  it('scopes keys by namespace, job and index, or by an explicit scope', () => {
    expect(scopePrefix(identity, { perIndex: true })).toBe('jobs/team-a/etl/index-3');
    expect(scopePrefix(identity, { perIndex: false })).toBe('jobs/team-a/etl');
    expect(scopePrefix(identity, { scope: 'nightly/../x', perIndex: false })).toBe('scopes/nightly%2F%2E%2E%2Fx');
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: [true, null], c: undefined })).toBe('{"a":[true,null],"b":1}');
  });
  it('equals JSON.parse round trip for plain data', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }));
  });
  it('names the path of what it cannot serialize', () => {
    expect(() => canonicalJson({ a: [1, () => 1] })).toThrow('$.a[1]');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('$.n');
    expect(() => canonicalJson({ m: new Map() })).toThrow(/Map at \$\.m/);
  });
});
