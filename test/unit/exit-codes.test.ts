import { describe, expect, it } from 'vitest';
import { EXIT_CODE_TABLE, exitClassOf, exitCodeFor } from '../../src/runtime/exit-codes.ts';

describe('exit-code table', () => {
  it('gives every class a distinct code in 0..255', () => {
    const codes = EXIT_CODE_TABLE.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c >= 0 && c <= 255).toBe(true);
  });
  it('maps codes both ways', () => {
    for (const e of EXIT_CODE_TABLE) expect(exitClassOf(exitCodeFor(e.exitClass))).toBe(e.exitClass);
    expect(exitClassOf(137)).toBeUndefined();
  });
  it('never exits 0 for an early stop', () => {
    expect(exitCodeFor('interrupted')).not.toBe(0);
    expect(exitCodeFor('deadline')).not.toBe(0);
  });
});
