import { describe, expect, it } from 'vitest';
import { execOptionsFromEnv, resolveExecSettings } from '../../../src/job/exec/config.ts';

describe('the supervisor options', () => {
  it('reads every env form', () => {
    expect(
      execOptionsFromEnv({
        JOBKIT_EXEC_SIGNAL_TO: 'child',
        JOBKIT_EXEC_LOGS: 'raw',
        JOBKIT_EXEC_PASS_EXIT_CODES: 'true',
        JOBKIT_EXEC_CGROUP_DIR: '/tmp/cg',
        JOBKIT_EXEC_MAX_LINE_CHARS: '4096',
      }),
    ).toEqual({ signalTo: 'child', logs: 'raw', passExitCodes: true, cgroupDir: '/tmp/cg', maxLineChars: 4096 });
  });

  it('has the documented defaults', () => {
    expect(resolveExecSettings({}, {})).toEqual({
      signalTo: 'group',
      logs: 'json',
      passExitCodes: false,
      cgroupDir: '/sys/fs/cgroup',
      maxLineChars: 65_536,
      checkpointDir: undefined,
      checkpointEverySeconds: 300,
    });
  });

  it('code wins over env', () => {
    expect(resolveExecSettings({ JOBKIT_EXEC_LOGS: 'raw' }, { logs: 'json' }).logs).toBe('json');
  });

  it('refuses bad values, naming the variable or the option', () => {
    expect(() => execOptionsFromEnv({ JOBKIT_EXEC_SIGNAL_TO: 'all' })).toThrow(/JOBKIT_EXEC_SIGNAL_TO/);
    expect(() => execOptionsFromEnv({ JOBKIT_EXEC_MAX_LINE_CHARS: '10' })).toThrow(/JOBKIT_EXEC_MAX_LINE_CHARS/);
    expect(() => resolveExecSettings({}, { maxLineChars: 1.5 })).toThrow(/maxLineChars/);
    expect(() => resolveExecSettings({}, { logs: 'text' as 'raw' })).toThrow(/option logs/);
  });
});
