import { describe, expect, it } from 'vitest';
import { checkChoiceOption, checkOption } from '../../../src/runtime/config.ts';

describe('checkOption shapes', () => {
  it('names a module with label and shows code values plainly', () => {
    const rule = { min: 1, integer: true, label: 'checkpoint option keep', plain: true } as const;
    expect(() => checkOption('keep', 0, rule)).toThrow('checkpoint option keep must be an integer >= 1, got 0');
    expect(() => checkOption('keep', '2' as never, rule)).toThrow('checkpoint option keep must be an integer >= 1, got "2"');
    expect(checkOption('keep', undefined, rule)).toBeUndefined();
  });

  it('keeps the quoted bounds message of `option <name>` without plain', () => {
    expect(() => checkOption('leaseMs', 0, { min: 1, integer: true })).toThrow('option leaseMs must be an integer >= 1, got "0"');
  });

  it('refuses undefined when required', () => {
    expect(() => checkOption('chunks', undefined, { min: 1, integer: true, label: 'chunks', plain: true, required: true })).toThrow(
      'chunks must be an integer >= 1, got undefined',
    );
  });

  it('says both bounds', () => {
    expect(() => checkOption('maxSockets', 5000, { min: 1, max: 4096, integer: true, label: 'S3 store option maxSockets', plain: true })).toThrow(
      'S3 store option maxSockets must be an integer >= 1 and <= 4096, got 5000',
    );
  });
});

describe('checkChoiceOption', () => {
  it('returns the value or names the choices', () => {
    expect(checkChoiceOption('onInProgress', 'fail', ['wait', 'fail'])).toBe('fail');
    expect(checkChoiceOption('onInProgress', undefined, ['wait', 'fail'])).toBeUndefined();
    expect(() => checkChoiceOption('checksum', 'md5', ['sha256', 'crc32'], { label: 'checkpoint option checksum' })).toThrow(
      `checkpoint option checksum must be one of 'sha256', 'crc32', got "md5"`,
    );
  });
});
