import { describe, expect, it } from 'vitest';
import { childExitClass, childExitError } from '../../../src/job/exec/child-exit.ts';
import { classifyError } from '../../../src/runtime/classify.ts';

describe('the child end mapped to the exit-code table', () => {
  it.each([
    [0, 'success'],
    [65, 'permanent'],
    [69, 'busy'],
    [70, 'crash'],
    [73, 'fenced'],
    [75, 'retryable'],
    [78, 'configuration'],
    [124, 'deadline'],
    [143, 'interrupted'],
    [1, 'crash'],
    [3, 'crash'],
    [137, 'crash'],
  ] as const)('exit %i is %s', (code, exitClass) => {
    expect(childExitClass({ kind: 'exited', code })).toBe(exitClass);
    const error = childExitError({ kind: 'exited', code });
    expect(error === undefined ? 'success' : classifyError(error)).toBe(exitClass);
  });

  it.each([
    ['SIGTERM', 'interrupted'],
    ['SIGINT', 'interrupted'],
    ['SIGKILL', 'crash'],
    ['SIGSEGV', 'crash'],
  ] as const)('death by %s is %s', (signal, exitClass) => {
    expect(childExitClass({ kind: 'signalled', signal, oomKilled: false })).toBe(exitClass);
  });

  it('says OOM-killed when the counter rose', () => {
    expect(childExitError({ kind: 'signalled', signal: 'SIGKILL', oomKilled: true })?.message).toBe('the program was OOM-killed (SIGKILL)');
    expect(childExitError({ kind: 'exited', code: 3 })?.message).toBe('the program exited 3 (not an exit-code table code: crash)');
  });
});
