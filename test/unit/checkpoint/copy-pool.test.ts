import { describe, expect, it } from 'vitest';
import { CopyPool } from '../../../src/checkpoint/copy-pool.ts';

describe('CopyPool', () => {
  it('gives a buffer back only after the saver and every holder have released it', () => {
    const pool = new CopyPool(1024);
    const lease = pool.lease(100);
    const first = lease.hold();
    const second = lease.hold();
    lease.end();
    first();
    first(); // a second call of the same release counts once
    expect(pool.lease(100).buffer).not.toBe(lease.buffer);
    second();
    expect(pool.lease(100).buffer).toBe(lease.buffer);
  });

  it('never hands out a buffer still held, nor one of another size', () => {
    const pool = new CopyPool(1024);
    const held = pool.lease(100);
    const release = held.hold();
    held.end();
    expect(pool.lease(100).buffer).not.toBe(held.buffer);
    release();
    expect(pool.lease(200).buffer).not.toBe(held.buffer);
    expect(pool.lease(100).buffer).toBe(held.buffer);
  });

  it('keeps at most its bound', () => {
    const pool = new CopyPool(150);
    const a = pool.lease(100);
    const b = pool.lease(100);
    a.end();
    b.end(); // over the bound: dropped for the garbage collector
    const again = [pool.lease(100).buffer, pool.lease(100).buffer];
    expect(again).toContain(a.buffer);
    expect(again).not.toContain(b.buffer);
  });
});
