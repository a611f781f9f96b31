/**
 * Old data stays readable: every golden file in test/golden/ (real bytes as a
 * released jobkit wrote them) decodes with today's decoder to the value in
 * formats.ts, and today's encoder still writes the current version's files
 * byte for byte. A change that would misread stored data, or write other bytes
 * for the same record, fails here. The policy is enforced by file name: a file
 * of the current or the previous version must decode; an older one must be
 * refused with a configuration error.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { sha256Hex } from '../../../src/util/hash.ts';
import { FORMATS, golden, goldenFiles, GOLDEN_VALUES, parseGoldenName } from './formats.ts';

const files = goldenFiles();

describe('golden files', () => {
  it('every format has a golden file of its current version, and every golden file an expected value', () => {
    for (const format of FORMATS) expect(files).toContain(`${format.name}-v${format.current}.json`);
    for (const file of files) {
      parseGoldenName(file);
      expect(Object.keys(GOLDEN_VALUES), `test/golden/${file} needs its expected value in formats.ts`).toContain(file);
    }
    expect(Object.keys(GOLDEN_VALUES).sort()).toEqual(files);
  });

  describe.each(files)('%s', (file) => {
    const { format, version } = parseGoldenName(file);
    const bytes = golden(file);
    const key = `jobs/default/etl/golden/${file}`;

    if (version === format.current || version === format.current - 1) {
      it('decodes with the current decoder to the expected value', () => {
        expect(format.decode(bytes, key)).toStrictEqual(GOLDEN_VALUES[file]);
      });
    } else {
      it('is refused: older than the previous version', () => {
        expect(() => format.decode(bytes, key)).toThrow(ConfigurationError);
      });
    }

    it.runIf(version === format.current)('is what the current encoder writes for the same value, byte for byte', () => {
      expect(Buffer.from(format.encode(GOLDEN_VALUES[file])).toString('utf8')).toBe(bytes.toString('utf8'));
    });
  });

  it('the golden head lists the golden manifest, and the golden plan the golden page (sizes and checksums agree)', () => {
    const head = JSON.parse(golden('checkpoint-head-v1.json').toString('utf8')) as { checkpoints: { size: number; checksum: string }[] };
    const manifest = golden('checkpoint-manifest-v1.json');
    expect(head.checkpoints[0]).toMatchObject({ size: manifest.byteLength, checksum: `sha256:${sha256Hex(manifest)}` });
    const plan = JSON.parse(golden('shard-plan-v1.json').toString('utf8')) as { pages: { sha256: string; entries: number }[] };
    expect(plan.pages[0]).toEqual(expect.objectContaining({ sha256: sha256Hex(golden('shard-plan-page-v1.json')), entries: 3 }));
  });
});
