import { describe, expect, it } from 'vitest';
import { checkOption, readChoice, readInteger, readNumber, readString } from '../../../src/runtime/config.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

describe('env readers', () => {
  it('treat unset and blank values as absent, and trim', () => {
    expect(readString({}, 'X')).toBeUndefined();
    expect(readString({ X: '  ' }, 'X')).toBeUndefined();
    expect(readString({ X: ' a ' }, 'X')).toBe('a');
    expect(readInteger({ X: '' }, 'X')).toBeUndefined();
  });

  it('read integers made of digits only', () => {
    expect(readInteger({ X: '42' }, 'X')).toBe(42);
    expect(readInteger({ X: '007' }, 'X')).toBe(7);
    for (const bad of ['abc', '-1', '1.5', '1e3', '0x10', '4 2', '99999999999999999999']) {
      expect(() => readInteger({ X: bad }, 'X')).toThrow(ConfigurationError);
      expect(() => readInteger({ X: bad }, 'X')).toThrow(`X must be a non-negative integer, got "${bad}"`);
    }
  });

  it('enforce bounds and say which', () => {
    expect(() => readInteger({ JOBKIT_COUNT: '0' }, 'JOBKIT_COUNT', { min: 1 })).toThrow('JOBKIT_COUNT must be an integer >= 1, got "0"');
    expect(() => readNumber({ S: '0' }, 'S', { min: 0, minExclusive: true })).toThrow('S must be a number > 0, got "0"');
    expect(readNumber({ S: '1.5' }, 'S')).toBe(1.5);
    expect(readNumber({ S: '.5' }, 'S')).toBe(0.5);
    expect(() => readNumber({ S: 'soon' }, 'S')).toThrow('S must be a non-negative number, got "soon"');
  });

  it('read choices case-insensitively and list the allowed values on error', () => {
    expect(readChoice({ L: 'DEBUG' }, 'L', ['debug', 'info'])).toBe('debug');
    expect(() => readChoice({ L: 'loud' }, 'L', ['debug', 'info'])).toThrow('L must be one of debug, info, got "loud"');
  });

  it('check code options with the option name in the message', () => {
    expect(checkOption('retries', 3, { min: 0, integer: true })).toBe(3);
    expect(checkOption('retries', undefined)).toBeUndefined();
    expect(() => checkOption('retries', 1.5, { integer: true })).toThrow('option retries must be an integer, got 1.5');
    expect(() => checkOption('deadlineSeconds', Number.NaN)).toThrow(ConfigurationError);
    expect(() => checkOption('deadlineSeconds', -1, { min: 0, minExclusive: true })).toThrow('option deadlineSeconds must be a number > 0');
  });
});
