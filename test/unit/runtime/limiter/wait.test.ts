import { getActiveResourcesInfo } from 'node:process';
import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../../../src/runtime/limiter/wait.ts';

describe('abortableSleep', () => {
  it('an abort rejects at once with the reason and leaves no timer behind', async () => {
    const timersBefore = getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const controller = new AbortController();
    const wait = abortableSleep(60_000, controller.signal);
    expect(getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore + 1);
    controller.abort(new Error('stop'));
    await expect(wait).rejects.toThrow('stop');
    expect(getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore);
  });

  it('an already aborted signal rejects without starting a timer', async () => {
    await expect(abortableSleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('resolves after the time and removes its abort listener', async () => {
    const controller = new AbortController();
    await abortableSleep(1, controller.signal);
    controller.abort(new Error('late')); // no listener left: nothing rejects
  });
});
