import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveKey, IdempotencyKeyError, payloadHash, validateKey } from '../../../src/idempotency/index.ts';
import { recordKey, recordsPrefix } from '../../../src/idempotency/keys.ts';
import { ConfigurationError, PermanentError } from '../../../src/runtime/errors.ts';
import { testIdentity } from './helpers.ts';

describe('validateKey', () => {
  it.each([
    ['', /cannot be empty/],
    ['x'.repeat(1_025), /at most 1024 characters, got 1025/],
    ['line\nbreak', /unprintable character U\+000A at 4/],
    ['nul\u0000', /U\+0000/],
    ['bell\u0007', /U\+0007/],
    ['c1\u0085', /U\+0085/],
    ['sep\u2028', /U\+2028/],
    ['lone\uD800', /lone surrogate/],
    [42, /must be a string, got number/],
  ])('refuses %j as a permanent error (exit 65)', (key, message) => {
    expect(() => validateKey(key)).toThrow(message);
    expect(() => validateKey(key)).toThrow(IdempotencyKeyError);
    try {
      validateKey(key);
    } catch (err) {
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).exitCode).toBe(65);
    }
  });

  it.each(['order-42', 'x'.repeat(1_024), 'émoji 🚀 ok', '../../etc/passwd', 'tab-free spaces ok'])('accepts %j', (key) => {
    expect(() => validateKey(key)).not.toThrow();
  });
});

describe('deriveKey', () => {
  it('is stable across object key order and distinguishes values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(deriveKey('op', reversed)).toBe(deriveKey('op', obj));
      }),
    );
    expect(deriveKey('op', { a: 1 })).not.toBe(deriveKey('op', { a: 2 }));
    expect(deriveKey('a', 'b')).not.toBe(deriveKey('ab'));
    expect(deriveKey({ id: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('names the path of a value that cannot be part of a key', () => {
    expect(() => deriveKey({ client: { send: () => 1 } })).toThrow(/cannot serialize a function at \$\[0\]\.client\.send/);
    expect(() => deriveKey()).toThrow(IdempotencyKeyError);
  });
});

describe('payloadHash', () => {
  it('is null without a payload and equal for equal canonical JSON', () => {
    expect(payloadHash(undefined)).toBeNull();
    expect(payloadHash({ b: 1, a: 2 })).toBe(payloadHash({ a: 2, b: 1 }));
    expect(payloadHash(null)).not.toBeNull();
  });
});

describe('record keys', () => {
  it('never lets a key leave the ledger prefix', () => {
    const prefix = recordsPrefix({ identity: testIdentity({ namespace: 'data', jobName: 'etl' }) });
    expect(prefix).toBe('jobs/data/etl/idempotency');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (key) => {
        const { storeKey, keyHash } = recordKey(prefix, key);
        expect(storeKey).toBe(`${prefix}/${keyHash}`);
        expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });

  it('uses the explicit scope when given', () => {
    expect(recordsPrefix({ identity: testIdentity(), scope: 'nightly billing' })).toBe('scopes/nightly%20billing/idempotency');
    expect(recordsPrefix({ scope: 'cron' })).toBe('scopes/cron/idempotency');
    expect(() => recordsPrefix({ scope: '' })).toThrow(ConfigurationError);
  });
});
