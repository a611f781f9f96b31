/**
 * The shard iterators under quarantine: true, with a recording fake guard:
 * the guard is asked before each item and told after, a skipped item moves
 * the cursor past it, break tells the guard the item was not finished,
 * synchronous iteration and a missing guard are refused.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { createShardHelpers } from '../../../src/sharding/helpers.ts';
import type { ItemGuard } from '../../../src/sharding/types.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './identity.ts';

function recordingGuard(skip: ReadonlySet<string> = new Set()): { guard: ItemGuard; events: string[] } {
  const events: string[] = [];
  return {
    events,
    guard: {
      begin: (key) => {
        events.push(`begin ${key}`);
        return Promise.resolve(skip.has(key) ? 'skip' : 'run');
      },
      end: (key, finished) => void events.push(`end ${key} ${finished ? 'finished' : 'left'}`),
    },
  };
}

describe('shard iterators with quarantine: true', () => {
  it('range: begins each item before the body and ends it at the next next(); a skipped item advances the cursor', async () => {
    const { guard, events } = recordingGuard(new Set(['2']));
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    const rows = shard.range(4, { quarantine: true });
    const positions: number[] = [];
    for await (const i of rows) {
      events.push(`body ${i}`);
      positions.push(rows.position);
    }
    expect(events).toEqual(['begin 0', 'body 0', 'end 0 finished', 'begin 1', 'body 1', 'end 1 finished', 'begin 2', 'begin 3', 'body 3', 'end 3 finished']);
    // In the body the current item is not finished; the skipped item 2 is counted past.
    expect(positions).toEqual([0, 1, 3]);
    expect(rows.cursor.position).toBe(4);
  });

  it('a checkpoint taken after a skipped item resumes past it', async () => {
    const { guard } = recordingGuard(new Set(['1']));
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    const rows = shard.range(5, { quarantine: true });
    let saved = rows.cursor;
    for await (const i of rows) {
      if (i === 2) {
        saved = rows.cursor;
        break;
      }
    }
    expect(saved.position).toBe(2);
    const again: number[] = [];
    for await (const i of shard.range(5, { quarantine: true, resume: saved })) again.push(i);
    expect(again).toEqual([2, 3, 4]);
  });

  it('break ends the current item as not finished and leaves the cursor on it', async () => {
    const { guard, events } = recordingGuard();
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    const rows = shard.range(5, { quarantine: true });
    for await (const i of rows) if (i === 1) break;
    expect(events.slice(-2)).toEqual(['begin 1', 'end 1 left']);
    expect(rows.position).toBe(1);
  });

  it('a throw in the body ends the item as not finished and propagates', async () => {
    const { guard, events } = recordingGuard();
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    await expect(
      (async () => {
        for await (const i of shard.range(3, { quarantine: true })) if (i === 0) throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(events).toEqual(['begin 0', 'end 0 left']);
  });

  it('synchronous iteration of a quarantine sequence throws a ConfigurationError naming for await', () => {
    const { guard } = recordingGuard();
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    const rows = shard.range(3, { quarantine: true });
    expect(rows.quarantine).toBe(true);
    expect(() => [...rows]).toThrow(ConfigurationError);
    expect(() => {
      for (const i of shard.items(['a'], { quarantine: true })) void i;
    }).toThrow(/job\.shard\.items was created with quarantine: iterate it with for await/);
    // Without quarantine both forms work as before.
    expect([...shard.range(3)]).toEqual([0, 1, 2]);
  });

  it('items: keys are the item, its number, its key property, or the key option; an item without one is refused', async () => {
    const { guard, events } = recordingGuard();
    const shard = createShardHelpers({ identity: testIdentity(), itemGuard: guard });
    for await (const x of shard.items(['a', 7, { key: 'k' }], { quarantine: true })) void x;
    for await (const x of shard.items([{ id: 'u1' }], { quarantine: true, key: (u) => u.id })) void x;
    expect(events.filter((e) => e.startsWith('begin'))).toEqual(['begin a', 'begin 7', 'begin k', 'begin u1']);
    await expect(
      (async () => {
        for await (const x of shard.items([{ id: 1 }], { quarantine: true })) void x;
      })(),
    ).rejects.toThrow(/quarantine needs a key for each item: pass key/);
  });

  it('objects: the object key is the item key, and a skipped object advances the cursor', async () => {
    const store = new MemoryStore();
    for (const name of ['a', 'b', 'c']) await store.put(`input/${name}.csv`, name);
    const { guard, events } = recordingGuard(new Set(['input/b.csv']));
    const shard = createShardHelpers({ identity: testIdentity(), store, itemGuard: guard });
    const files = await shard.objects('input/', { quarantine: true });
    const seen: string[] = [];
    for await (const f of files) seen.push(f.key);
    expect(seen).toEqual(['input/a.csv', 'input/c.csv']);
    expect(events).toContain('begin input/b.csv');
    expect(files.position).toBe(3);
  });

  it('quarantine without an item guard (outside runJob) is refused when the iterator is created', async () => {
    const shard = createShardHelpers({ identity: testIdentity(), store: new MemoryStore() });
    expect(() => shard.range(3, { quarantine: true })).toThrow(/job\.shard\.range: quarantine needs an item guard/);
    expect(() => shard.items(['a'], { quarantine: true })).toThrow(ConfigurationError);
    await expect(shard.objects('input/', { quarantine: true })).rejects.toThrow(ConfigurationError);
  });
});
