import { describe, expect, it } from 'vitest';
import { logChildLine } from '../../../src/job/exec/child-logs.ts';
import { createLogger, flushLoggerSync } from '../../../src/telemetry/logger.ts';
import { testIdentity } from '../../support/identity.ts';

function capture(): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(text: string): void {
      for (const l of text.split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
  return { lines, log: createLogger({ identity: testIdentity({ jobName: 'etl', index: 1 }), destination }) };
}

describe('logChildLine', () => {
  it('a plain stdout line becomes msg at info, a stderr line at warn, with the identity', () => {
    const { lines, log } = capture();
    logChildLine(log, 'stdout', { text: 'hello', part: undefined });
    logChildLine(log, 'stderr', { text: 'careful', part: undefined });
    flushLoggerSync(log);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', stream: 'stdout', job: 'etl', index: 1 });
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'careful', stream: 'stderr' });
  });

  it('a JSON line keeps its fields, its msg and level; identity fields win a clash', () => {
    const { lines, log } = capture();
    logChildLine(log, 'stdout', { text: '{"msg":"loaded","rows":3,"nested":{"a":1},"level":"error","job":"other","index":9}', part: undefined });
    logChildLine(log, 'stdout', { text: '{"message":"py","level":"WARNING"}', part: undefined });
    logChildLine(log, 'stdout', { text: '{"level":50}', part: undefined });
    flushLoggerSync(log);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'loaded', rows: 3, nested: { a: 1 }, job: 'etl', index: 1 });
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'py' });
    expect(lines[2]).toMatchObject({ level: 'error', msg: '' });
  });

  it('redacts secrets of a JSON line as the SDK does', () => {
    const { lines, log } = capture();
    logChildLine(log, 'stdout', { text: '{"msg":"connect","password":"hunter2","url":"https://u:pw@db.example.com/x"}', part: undefined });
    flushLoggerSync(log);
    expect(JSON.stringify(lines[0])).not.toContain('hunter2');
    expect(JSON.stringify(lines[0])).not.toContain(':pw@');
  });

  it('a piece of a split line is logged as text with its part number, even when it starts like JSON', () => {
    const { lines, log } = capture();
    logChildLine(log, 'stdout', { text: '{"a":', part: 1 });
    flushLoggerSync(log);
    expect(lines[0]).toMatchObject({ msg: '{"a":', linePart: 1 });
  });

  it('a line that is JSON but not an object stays text', () => {
    const { lines, log } = capture();
    logChildLine(log, 'stdout', { text: '[1,2]', part: undefined });
    logChildLine(log, 'stdout', { text: '{broken', part: undefined });
    flushLoggerSync(log);
    expect(lines.map((l) => l.msg)).toEqual(['[1,2]', '{broken']);
  });
});
