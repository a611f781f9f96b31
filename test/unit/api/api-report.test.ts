/**
 * The committed API report (api/jobkit.api.md) is what the sources export:
 * a change of the public surface must come with the regenerated report, so
 * that it shows in review. Also: the report covers every entry point of
 * package.json, and no entry point re-exports with `export *`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_REPORT_FILE, entryPoints, renderApiReport, reportDifference } from '../../../scripts/api-report.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the API report', () => {
  it(`${API_REPORT_FILE} is up to date`, () => {
    const current = renderApiReport();
    let committed = '';
    try {
      committed = readFileSync(join(ROOT, API_REPORT_FILE), 'utf8');
    } catch {
      // missing: reported below
    }
    if (committed !== current) {
      expect.fail(
        `${API_REPORT_FILE} differs from the exports of the sources: run npm run api:update and commit ${API_REPORT_FILE}\n` +
          reportDifference(committed, current).join('\n'),
      );
    }
  }, 60_000);

  it('lists every entry point of package.json, each from an index file with named exports only', () => {
    const entries = entryPoints();
    expect(entries.map((e) => e.specifier)).toEqual([
      'jobkit',
      'jobkit/store',
      'jobkit/store/s3',
      'jobkit/checkpoint',
      'jobkit/idempotency',
      'jobkit/sharding',
      'jobkit/telemetry',
      'jobkit/local',
    ]);
    for (const entry of entries) {
      const text = readFileSync(join(ROOT, entry.source), 'utf8');
      expect(text, `${entry.source} re-exports with export *`).not.toMatch(/^export (type )?\*/m);
    }
  });

  it('names the lines that differ', () => {
    expect(reportDifference('a\nb\n', 'a\nc\n')).toEqual(['- b', '+ c']);
  });
});
