/**
 * The compatibility policy: a reader decodes its own version and the previous
 * one; a newer version is a configuration error (exit 78) naming the key and
 * both versions, raised before any field is looked at (a newer version may
 * have changed them); a version field that is not a version is damage.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { readableVersions, versionMismatch, versionVerdict } from '../../../src/util/format-version.ts';
import { FORMATS, golden } from './formats.ts';

describe('versionVerdict', () => {
  it.each([
    [3, 3, { kind: 'current', version: 3 }],
    [2, 3, { kind: 'previous', version: 2 }],
    [1, 3, { kind: 'older', version: 1 }],
    [4, 3, { kind: 'newer', version: 4 }],
    [1, 1, { kind: 'current', version: 1 }],
    [2, 1, { kind: 'newer', version: 2 }],
  ])('version %j read by a version-%j reader', (found, current, verdict) => {
    expect(versionVerdict(found, current)).toEqual(verdict);
  });

  it.each([[0], [-1], [1.5], ['1'], [null], [undefined], [{}], [Number.MAX_VALUE]])('%j is no version at all', (found) => {
    expect(versionVerdict(found, 1)).toEqual({ kind: 'invalid', found });
  });

  it('says which versions a reader reads, and what to do about one it does not', () => {
    expect(readableVersions(1)).toBe('version 1');
    expect(readableVersions(4)).toBe('versions 3 and 4');
    expect(versionMismatch(5, 4)).toMatch(/format version 5, but this jobkit reads versions 3 and 4: .*newer jobkit; upgrade the image/);
    expect(versionMismatch(1, 4)).toMatch(/format version 1, but this jobkit reads versions 3 and 4: .*more than one format version older/);
  });
});

describe.each(FORMATS.filter((f) => f.versionField !== ''))('$name', (format) => {
  const key = `jobs/default/etl/formats/${format.name}.json`;
  const stored = (): Record<string, unknown> => JSON.parse(golden(`${format.name}-v${format.current}.json`).toString('utf8')) as Record<string, unknown>;
  const decodeWith = (version: unknown, fields: Record<string, unknown> = stored()): unknown => {
    try {
      format.decode(format.store({ ...fields, [format.versionField]: version }), key);
    } catch (err) {
      return err;
    }
    throw new Error('decoded');
  };

  it('a newer version is a configuration error (exit 78) naming the key and both versions', () => {
    const err = decodeWith(format.current + 1);
    expect(err).toBeInstanceOf(format.versionError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).exitCode).toBe(78);
    const { message } = err as Error;
    expect(message).toContain(key);
    expect(message).toContain(`format version ${format.current + 1}`);
    expect(message).toMatch(new RegExp(`(reads|up to) (version )?${format.current}`));
    expect(message).toMatch(/newer jobkit/);
  });

  it('the version is judged before any field: a newer one with fields this jobkit would refuse is still "newer"', () => {
    const garbage = Object.fromEntries(Object.keys(stored()).map((k) => [k, { unexpected: [k] }]));
    expect(decodeWith(format.current + 1, garbage)).toBeInstanceOf(format.versionError);
  });

  it('a version field that is no version is damage, not "newer"', () => {
    for (const version of ['1', 0, -3, 1.5, null, undefined]) {
      const err = decodeWith(version);
      expect(err).toBeInstanceOf(format.damageError);
      expect((err as Error).message).not.toMatch(/newer jobkit/);
    }
  });

  // There is no version before 1 yet; once there is, its golden file must decode (golden.test.ts reads every
  // file of the previous version), and this checks that the decoder does not refuse it.
  it.runIf(format.current > 1)('the previous version is accepted', () => {
    expect(() => format.decode(golden(`${format.name}-v${format.current - 1}.json`), key)).not.toThrow();
  });
});
