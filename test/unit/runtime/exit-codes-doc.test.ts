import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_DOC_PATH, renderExitCodesDoc } from '../../../src/runtime/exit-codes-doc.ts';
import { EXIT_CODE_TABLE } from '../../../src/runtime/exit-codes.ts';

describe('docs/exit-codes.md', () => {
  it('is exactly what the exit-code table renders (regenerate: node src/runtime/exit-codes-doc.ts)', () => {
    const onDisk = readFileSync(new URL(`../../../${EXIT_CODES_DOC_PATH}`, import.meta.url), 'utf8');
    expect(onDisk).toBe(renderExitCodesDoc());
  });

  it('changes when a row of the table changes, so a stale doc is caught', () => {
    const edited = EXIT_CODE_TABLE.map((e) => (e.exitClass === 'fenced' ? { ...e, code: 74 } : e));
    expect(renderExitCodesDoc(edited)).not.toBe(renderExitCodesDoc());
    expect(renderExitCodesDoc(edited)).toContain('| 74 | `fenced` |');
  });

  it('lists every code with its policy action, and the policy rules group codes by action', () => {
    const doc = renderExitCodesDoc();
    for (const e of EXIT_CODE_TABLE) expect(doc).toContain(`| ${e.code} | \`${e.exitClass}\` |`);
    expect(doc).toContain('- action: FailJob\n      onExitCodes: { operator: In, values: [69, 78] }');
    expect(doc).toContain('- action: FailIndex\n      onExitCodes: { operator: In, values: [65] }');
    expect(doc).toContain('- action: Ignore\n      onExitCodes: { operator: In, values: [73] }');
  });
});
