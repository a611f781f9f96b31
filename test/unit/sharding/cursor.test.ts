import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { createShardHelpers } from '../../../src/sharding/helpers.ts';
import type { ShardCursor } from '../../../src/sharding/types.ts';
import { testIdentity } from './identity.ts';

describe('resumable iteration over ranges and lists', () => {
  const shard = createShardHelpers({ identity: testIdentity({ index: 1, count: 3 }) });

  it('a restart from the saved cursor processes the rest, redoing only the unfinished item', () => {
    const first = shard.range(100);
    const done: number[] = [];
    let saved: ShardCursor | undefined;
    for (const i of first) {
      if (done.length === 10) {
        // Crash while processing i: the cursor saved now must not count i as finished.
        saved = JSON.parse(JSON.stringify(first.cursor)) as ShardCursor;
        break;
      }
      done.push(i);
    }
    expect(saved?.position).toBe(10);
    const second = shard.range(100, { resume: saved });
    const rest = [...second];
    expect([...done, ...rest]).toEqual([...shard.range(100)]);
    expect(second.remaining).toBe(0);
    expect(second.cursor.position).toBe(second.size);
  });

  it('resumes lists the same way', () => {
    const files = Array.from({ length: 50 }, (_, i) => `f${i}`);
    const first = shard.items(files, { strategy: 'hash' });
    const it = first[Symbol.iterator]();
    it.next();
    it.next();
    it.next();
    const second = shard.items(files, { strategy: 'hash', resume: first.cursor });
    expect([...second]).toEqual([...shard.items(files, { strategy: 'hash' })].slice(2));
  });

  it("refuses another shard's cursor instead of skipping the wrong work", () => {
    const cursor = shard.range(100).cursor;
    const other = createShardHelpers({ identity: testIdentity({ index: 2, count: 3 }) });
    expect(() => other.range(100, { resume: cursor })).toThrow(/another shard/);
    expect(() => shard.range(101, { resume: cursor })).toThrow(ConfigurationError);
    expect(() => shard.range(100, { strategy: 'strided', resume: cursor })).toThrow(/another shard/);
    expect(() => shard.range(100, { resume: { ...cursor, position: 1e9 } })).toThrow(/position must be an integer in \[0, 33\]/);
    expect(() => shard.range(100, { resume: { v: 2 } as unknown as ShardCursor })).toThrow(/unknown format/);
  });

  it('needs a store for plans and queues, saying how to configure one', async () => {
    await expect(shard.objects('input/')).rejects.toThrow(/JOBKIT_STORE/);
    expect(() => shard.workQueue({ chunks: 3 })).toThrow(/JOBKIT_STORE/);
  });
});
