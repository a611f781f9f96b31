/**
 * The cron conformance table (test/conformance/cron/expected.json) is what
 * robfig/cron v3.0.1, the Kubernetes CronJob controller's schedule library,
 * computes: regenerated here with the real library in Go and compared, so a
 * hand edit of the table (or a case added without regenerating) fails.
 * Skipped only where there is no Go toolchain.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../conformance/cron/', import.meta.url));
const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasGo)('the cron conformance table', () => {
  it('equals what robfig/cron v3.0.1 computes for every case', () => {
    const out = mkdtempSync(join(tmpdir(), 'jobkit-cron-table-'));
    try {
      const file = join(out, 'expected.json');
      execFileSync('go', ['run', '.', 'cases.json', file], {
        cwd: DIR,
        env: { ...process.env, TZ: 'UTC', GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 240_000,
      });
      const regenerated = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
      const committed = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as unknown[];
      expect(regenerated.length).toBeGreaterThan(300);
      expect(regenerated).toEqual(committed);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
