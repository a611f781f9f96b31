import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GRACE_PERIOD_SECONDS } from '../../../src/runtime/lifecycle.ts';
import { DEFAULT_STORE_DIR } from '../../../src/store/constants.ts';
import { DEFAULT_LOG_LEVEL } from '../../../src/telemetry/constants.ts';
import { DEFAULT_POLL_SECONDS } from '../../../src/runtime/interruption/constants.ts';
import { DEFAULT_CHECKPOINT_SIGNAL } from '../../../src/checkpoint/constants.ts';
import { DEFAULT_CGROUP_DIR, DEFAULT_MAX_LINE_CHARS } from '../../../src/job/exec/constants.ts';

// docs/configuration.md promises defaults in its tables; the constants are
// where the code takes them from. This makes the promise a test: a default
// changed in one place and not the other fails here.
const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

/** The cells of the table row whose first cell is `name` (in backquotes). */
function row(name: string): string[] {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  if (line === undefined) throw new Error(`docs/configuration.md has no table row for ${name}`);
  return line.split('|').slice(1, -1).map((cell) => cell.trim());
}

/** The last cell of a row: the tables put the default there. */
const defaultOf = (name: string): string => row(name).at(-1)!;

describe('docs/configuration.md defaults', () => {
  it('JOBKIT_GRACE_PERIOD_SECONDS matches the lifecycle default', () => {
    expect(defaultOf('JOBKIT_GRACE_PERIOD_SECONDS')).toBe(String(DEFAULT_GRACE_PERIOD_SECONDS));
  });

  it('JOBKIT_LOG_LEVEL matches DEFAULT_LOG_LEVEL', () => {
    expect(defaultOf('JOBKIT_LOG_LEVEL')).toBe(`\`${DEFAULT_LOG_LEVEL}\``);
  });

  it('JOBKIT_INTERRUPTION_POLL_SECONDS and JOBKIT_CHECKPOINT_SIGNAL match their constants', () => {
    expect(defaultOf('JOBKIT_INTERRUPTION_POLL_SECONDS')).toBe(String(DEFAULT_POLL_SECONDS));
    expect(defaultOf('JOBKIT_CHECKPOINT_SIGNAL')).toBe(`\`${DEFAULT_CHECKPOINT_SIGNAL}\``);
  });

  it('the jobkit exec table matches the supervisor constants', () => {
    expect(defaultOf('JOBKIT_EXEC_CGROUP_DIR')).toBe(`\`${DEFAULT_CGROUP_DIR}\``);
    expect(defaultOf('JOBKIT_EXEC_MAX_LINE_CHARS')).toBe(String(DEFAULT_MAX_LINE_CHARS));
  });

  it('the modules table names DEFAULT_STORE_DIR as the store default', () => {
    const store = row('job.store').join(' | ');
    expect(store).toContain(`(default \`file://./${DEFAULT_STORE_DIR}\`)`);
  });
});
