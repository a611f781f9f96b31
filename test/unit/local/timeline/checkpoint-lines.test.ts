/**
 * The timeline finds checkpoint commits by the checkpointer's log messages:
 * a real checkpointer logging through the real logger, read back line by line.
 */
import { describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../../src/checkpoint/checkpointer.ts';
import { checkpointCommitOf } from '../../../../src/local/timeline/checkpoint-lines.ts';
import { MemoryStore } from '../../../../src/store/memory.ts';
import { createLogger } from '../../../../src/telemetry/logger.ts';
import { testIdentity } from '../../checkpoint/helpers.ts';

describe('checkpointCommitOf', () => {
  it('recognises the line the checkpointer logs for each commit, with its seq', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) } });
    const cp = createCheckpointer<{ next: number }>({ store: new MemoryStore(), identity: testIdentity(), log });
    const first = await cp.save({ next: 1 });
    const second = await cp.save({ next: 2 });
    const commits = lines.map(checkpointCommitOf).filter((c) => c !== undefined);
    expect(commits).toEqual([
      { seq: first.seq, final: false },
      { seq: second.seq, final: false },
    ]);
  });

  it('reads the final save and ignores everything else', () => {
    expect(checkpointCommitOf('{"level":"info","seq":7,"reason":"SIGTERM","msg":"final checkpoint durable"}')).toEqual({ seq: 7, final: true });
    expect(checkpointCommitOf('{"level":"debug","msg":"checkpoint committed"}')).toEqual({ final: false });
    expect(checkpointCommitOf('{"level":"debug","seq":"7","msg":"checkpoint committed"}')).toEqual({ final: false });
    for (const line of [
      'checkpoint committed',
      '{"level":"info","msg":"checkpoint loaded","seq":3}',
      '{"msg":"checkpoint committed"',
      '{"level":"debug","msg":"checkpoint unchanged since the last durable one; nothing to save"}',
      '["checkpoint committed"]',
      '{}',
      '',
    ]) {
      expect(checkpointCommitOf(line), line).toBeUndefined();
    }
  });
});
