import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, jobkitAlertRules } from '../../../src/telemetry/alert-rules.ts';

// Every alert's runbook_url points at a section of docs/runbooks.md: the
// section must exist under the alert's name and state the rule's severity.
const doc = readFileSync(new URL('../../../docs/runbooks.md', import.meta.url), 'utf8');

/** The text of the `## name` section, up to the next `## `. */
function section(name: string): string | undefined {
  const start = doc.indexOf(`\n## ${name}\n`);
  if (start < 0) return undefined;
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('docs/runbooks.md', () => {
  const rules = jobkitAlertRules({ runbookBaseUrl: 'https://x/runbooks.md', maxSuccessAgeSeconds: 3600, cronJobs: [{ namespace: 'a', name: 'b', maxSuccessAgeSeconds: 60 }] }).flatMap((g) => g.rules);

  it('has a section for every alert, in the order of ALERT_NAMES, whose anchor is the runbook_url fragment', () => {
    const headings = [...doc.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([...ALERT_NAMES]);
    for (const r of rules) expect(r.annotations.runbook_url).toBe(`https://x/runbooks.md#${r.alert.toLowerCase()}`);
  });

  it('states the severity each rule carries', () => {
    for (const r of rules) expect(section(r.alert), r.alert).toContain(`**Severity ${r.labels.severity}.**`);
  });
});
