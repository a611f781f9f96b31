/**
 * The program's output as jobkit log lines, through a real `jobkit exec`:
 * JSON lines keep their fields, plain lines become msg, stderr is warn, a
 * 200 KiB line is bounded, the last line without newline is not lost, and
 * --logs raw passes the output through untouched.
 */
import { describe, expect, it } from 'vitest';
import { execEnv, runJobkit } from './exec-child.ts';

const SCRIPT = [
  `echo '{"msg":"loaded","rows":3,"table":"users","job":"not-me"}'`,
  'echo plain line',
  'echo on stderr >&2',
  // 200 KiB on one line, then a line without newline at the very end
  `head -c 204800 /dev/zero | tr '\\0' x; echo`,
  `printf 'the last words'`,
].join('\n');

describe('jobkit exec: logs', () => {
  it('wraps each line as a JSON log line with the identity', async () => {
    const result = await runJobkit(['exec', '--', 'sh', '-c', SCRIPT], execEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.every((l) => l.unparsed === undefined)).toBe(true);
    const child = result.lines.filter((l) => l.stream !== undefined);

    expect(child.find((l) => l.msg === 'loaded')).toMatchObject({ level: 'info', rows: 3, table: 'users', job: 'exec-e2e', index: 2, stream: 'stdout' });
    expect(child.find((l) => l.msg === 'plain line')).toMatchObject({ level: 'info', job: 'exec-e2e', namespace: 'batch' });
    expect(child.find((l) => l.msg === 'on stderr')).toMatchObject({ level: 'warn', stream: 'stderr' });
    expect(child.find((l) => l.msg === 'the last words')).toBeDefined();

    const pieces = child.filter((l) => typeof l.linePart === 'number');
    expect(pieces.map((l) => l.linePart)).toEqual([1, 2, 3, 4]);
    expect(pieces.every((l) => String(l.msg).length <= 65_536)).toBe(true);
    expect(pieces.map((l) => String(l.msg)).join('')).toBe('x'.repeat(204_800));
    expect(result.stdout.split('\n').every((l) => l.length < 70_000)).toBe(true);
  });

  it('--logs raw passes the output through untouched', async () => {
    const result = await runJobkit(['exec', '--logs', 'raw', '--', 'sh', '-c', `echo '{"a":1}'; echo plain; printf tail`], execEnv());
    expect(result.code, result.stderr).toBe(0);
    // stdout is the program's alone: the supervisor's own lines went to stderr
    expect(result.stdout).toBe('{"a":1}\nplain\ntail');
    expect(result.stderr).toContain('"msg":"program exited 0"');
  });

  it('a smaller --max-line-chars splits sooner', async () => {
    const result = await runJobkit(['exec', '--max-line-chars', '1024', '--', 'sh', '-c', `head -c 3000 /dev/zero | tr '\\0' y`], execEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.filter((l) => typeof l.linePart === 'number').map((l) => String(l.msg).length)).toEqual([1024, 1024, 952]);
  });
});
