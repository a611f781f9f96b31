import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cronJobSuccessBound } from '../../../src/cli/alerts-command.ts';
import { writeGeneratedFiles } from '../../../src/cli/generated-files.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

const cronJob = (schedule: string, extra = ''): string => `apiVersion: batch/v1
kind: CronJob
metadata: { name: report, namespace: data }
spec:
  schedule: "${schedule}"
${extra}  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: main, image: node:24, command: [node, job.js] }]
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('cronJobSuccessBound', () => {
  const jan1 = Date.UTC(2026, 0, 1);

  it('is the longest gap between two scheduled times plus the slack', () => {
    // Weekdays at 03:00: Friday to Monday is the longest gap, 3 days.
    expect(cronJobSuccessBound(cronJob('0 3 * * 1-5'), 'c.yaml', 600, jan1)).toEqual({ namespace: 'data', name: 'report', maxSuccessAgeSeconds: 3 * 86_400 + 600 });
    expect(cronJobSuccessBound(cronJob('*/15 * * * *'), 'c.yaml', 60, jan1).maxSuccessAgeSeconds).toBe(900 + 60);
    // Monthly on the 31st: a month without one makes a gap of two, the longest 61 days (May 31 -> Jul 31).
    expect(cronJobSuccessBound(cronJob('0 0 31 * *'), 'c.yaml', 0, jan1).maxSuccessAgeSeconds).toBe((Date.UTC(2026, 6, 31) - Date.UTC(2026, 4, 31)) / 1000);
  });

  it("takes the slack from the template's activeDeadlineSeconds, else 1 hour", () => {
    const withDeadline = cronJob('0 * * * *').replace('    spec:\n      template:', '    spec:\n      activeDeadlineSeconds: 1200\n      template:');
    expect(cronJobSuccessBound(withDeadline, 'c.yaml', undefined, jan1).maxSuccessAgeSeconds).toBe(3600 + 1200);
    expect(cronJobSuccessBound(cronJob('0 * * * *'), 'c.yaml', undefined, jan1).maxSuccessAgeSeconds).toBe(3600 + 3600);
  });

  it('refuses a manifest that is not a valid CronJob, or a schedule with fewer than two runs a year, naming the file', () => {
    expect(() => cronJobSuccessBound(cronJob('0 3 * *'), 'bad.yaml', 0, jan1)).toThrow(/-f bad\.yaml: .*schedule/);
    expect(() => cronJobSuccessBound(cronJob('0 0 30 2 *'), 'feb30.yaml', 0, jan1)).toThrow(ConfigurationError);
    expect(() => cronJobSuccessBound('kind: Job\n', 'job.yaml', 0, jan1)).toThrow(/-f job\.yaml/);
  });
});

describe('writeGeneratedFiles', () => {
  it('replaces files it wrote before, and refuses (writing nothing) when one is somebody else\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-gen-'));
    dirs.push(dir);
    writeGeneratedFiles(dir, [{ name: 'a.yaml', text: '# mark v1\n' }], 'mark');
    writeGeneratedFiles(dir, [{ name: 'a.yaml', text: '# mark v2\n' }], 'mark');
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('# mark v2\n');
    writeFileSync(join(dir, 'b.yaml'), 'hand-written rules\n');
    expect(() =>
      writeGeneratedFiles(
        dir,
        [
          { name: 'a.yaml', text: '# mark v3\n' },
          { name: 'b.yaml', text: '# mark v3\n' },
        ],
        'mark',
      ),
    ).toThrow(/b\.yaml exists and was not written by this command/);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('# mark v2\n');
    expect(readFileSync(join(dir, 'b.yaml'), 'utf8')).toBe('hand-written rules\n');
  });
});
