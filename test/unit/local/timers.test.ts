import { describe, expect, it, vi } from 'vitest';
import { RunTimers } from '../../../src/local/timers.ts';

describe('RunTimers', () => {
  it('runs what is due, counts what is pending, and cancels the rest on clear', () => {
    vi.useFakeTimers();
    try {
      const timers = new RunTimers();
      const ran: string[] = [];
      timers.later(10, () => ran.push('a'));
      timers.later(20, () => ran.push('b'));
      expect(timers.size).toBe(2);
      vi.advanceTimersByTime(10);
      expect(ran).toEqual(['a']);
      expect(timers.size).toBe(1);
      timers.clear();
      vi.advanceTimersByTime(100);
      expect(ran).toEqual(['a']);
      expect(timers.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
