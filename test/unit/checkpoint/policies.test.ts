import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { DEFAULT_SAVE_EVERY } from '../../../src/checkpoint/constants.ts';
import { createSchedule } from '../../../src/checkpoint/policy.ts';
import { FencedError } from '../../../src/runtime/errors.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { fakeLifecycle, InterceptingStore, keysUnder, recordingLog, testIdentity } from './helpers.ts';

interface State {
  next: number;
}
const identity = testIdentity();

/** A gate the test opens to let paused part uploads through. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('save schedule', () => {
  it('is due after N items or T seconds, whichever first, and restarts after a save', () => {
    const s = createSchedule({ items: 3, seconds: 10 }, 0);
    expect(s.record(1, 1000)).toBe(false);
    expect(s.record(1, 2000)).toBe(false);
    expect(s.record(1, 3000)).toBe(true);
    s.reset(3000);
    expect(s.record(1, 12_999)).toBe(false);
    expect(s.record(1, 13_000)).toBe(true);
  });

  it('is due every 30 s by default, never with saveEvery: false, and rejects bad bounds naming the option', () => {
    expect(DEFAULT_SAVE_EVERY).toEqual({ seconds: 30 });
    const byDefault = createSchedule(undefined, 0);
    expect(byDefault.record(1_000_000, 29_999)).toBe(false);
    expect(byDefault.record(1, 30_000)).toBe(true);
    // A given policy replaces the default as a whole: items only means no time bound.
    expect(createSchedule({ items: 10 }, 0).record(1, 1e12)).toBe(false);
    expect(createSchedule(false, 0).record(1_000_000, 1e12)).toBe(false);
    expect(() => createSchedule({ items: 0 }, 0)).toThrow(/saveEvery.items must be an integer >= 1, got 0/);
    expect(() => createSchedule({ seconds: Number.NaN }, 0)).toThrow(/saveEvery.seconds/);
  });
});

describe('background saves', () => {
  it('keeps at most one save in flight: the next call waits (back-pressure)', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const cp = createCheckpointer<State>({ store, identity });
    await cp.open();
    const g = gate();
    store.around = async (op, key, run) => {
      if (op === 'put' && key.includes('/data/')) await g.opened;
      return await run();
    };
    const first = await cp.saveInBackground({ next: 1 }, { blob: Buffer.from('one') });
    let secondAccepted = false;
    const second = cp.saveInBackground({ next: 2 }, { blob: Buffer.from('two') }).then((s) => {
      secondAccepted = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(secondAccepted).toBe(false);
    g.open();
    expect((await first.durable).seq).toBe(1);
    expect((await (await second).durable).seq).toBe(2);
    expect((await createCheckpointer<State>({ store: store.inner, identity }).load())?.state).toEqual({ next: 2 });
  });

  it('snapshots the state when called, not when the upload runs', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    const state = { next: 1 };
    const { durable } = await cp.saveInBackground(state);
    state.next = 99;
    await durable;
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 1 });
  });

  it('reports a fenced background save on the next call', async () => {
    const store = new MemoryStore();
    const zombie = createCheckpointer<State>({ store, identity });
    await zombie.open();
    await createCheckpointer<State>({ store, identity }).open();
    const { durable } = await zombie.saveInBackground({ next: 1 });
    await expect(durable).rejects.toBeInstanceOf(FencedError);
    await expect(zombie.progress()).rejects.toBeInstanceOf(FencedError);
    await expect(zombie.flush()).rejects.toBeInstanceOf(FencedError);
  });

  it('autosaves through progress() every N items from the tracked snapshot', async () => {
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity, saveEvery: { items: 5 } });
    let next = 0;
    cp.track(() => ({ state: { next } }));
    for (; next < 12; next++) await cp.progress();
    await cp.flush();
    expect((await cp.list()).map((c) => c.seq)).toEqual([2, 1]);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 9 });
  });

});

describe('progress() by default', () => {
  /** The clock progress() reads, moved by the test: no real waiting, no timing assertions. */
  function fakeClock(): { advance(ms: number): void } {
    // An integer start: 30 additions of 1000 to a fractional reading can sum to 29999.999...
    let now = 1_000_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    return { advance: (ms) => (now += ms) };
  }
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('saves every 30 s of work without saveEvery: a SIGKILL after 40 of 60 one-second items resumes from 30, not 0', async () => {
    const clock = fakeClock();
    const store = new MemoryStore();
    const cp = createCheckpointer<State>({ store, identity });
    let next = 0;
    cp.track(() => ({ state: { next } }));
    while (next < 40) {
      clock.advance(1000); // one item of work
      next++;
      await cp.progress();
    }
    // SIGKILL here: no final save. The autosave taken at 30 s had 10 s of work to land.
    await cp.flush();
    expect((await cp.list()).map((c) => c.seq)).toEqual([1]);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 30 });
  });

  it('saveEvery: false disables autosave; a given policy replaces the default', async () => {
    const clock = fakeClock();
    const store = new MemoryStore();
    const off = createCheckpointer<State>({ store, identity, saveEvery: false, log: recordingLog() });
    off.track(() => ({ state: { next: 1 } }));
    clock.advance(3_600_000);
    await off.progress();
    await off.flush();
    expect(await off.list()).toEqual([]);
    const everyHour = createCheckpointer<State>({ store, identity, saveEvery: { seconds: 3600 } });
    everyHour.track(() => ({ state: { next: 2 } }));
    clock.advance(60_000);
    await everyHour.progress();
    await everyHour.flush();
    expect(await everyHour.list()).toEqual([]);
  });

  it('warns once when it cannot save: nothing tracked, or a snapshot without state', async () => {
    const clock = fakeClock();
    const log = recordingLog();
    const cp = createCheckpointer<State>({ store: new MemoryStore(), identity, log, saveEvery: { items: 1 } });
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await cp.progress();
    }
    const warns = () => log.lines.filter((l) => l.level === 'warn');
    expect(warns()).toHaveLength(1);
    expect(warns()[0]!.msg).toContain('nothing is tracked (call checkpoint.track())');
    expect(warns()[0]!.obj).toMatchObject({ reason: 'untracked' });

    cp.track(() => ({ parts: {} }) as unknown as { state: State });
    for (let i = 0; i < 5; i++) await cp.progress();
    expect(warns()).toHaveLength(2);
    expect(warns()[1]!.msg).toContain('returned no state');
    expect(await cp.list()).toEqual([]);

    const quiet = recordingLog();
    const off = createCheckpointer<State>({ store: new MemoryStore(), identity, log: quiet, saveEvery: false });
    await off.progress();
    expect(quiet.lines).toEqual([]);
  });
});

describe('final save on shutdown', () => {
  it('registers a checkpoint-phase hook that commits the tracked snapshot', async () => {
    const store = new MemoryStore();
    const lifecycle = fakeLifecycle();
    const log = recordingLog();
    const cp = createCheckpointer<State>({ store, identity, lifecycle, log, finalSave: { budgetMs: 5000 } });
    let next = 41;
    cp.track(() => ({ state: { next } }));
    next = 42;
    const [hook] = lifecycle.hooks;
    expect(hook).toMatchObject({ name: 'checkpoint.final-save', phase: 'checkpoint', budgetMs: 5000 });
    await hook!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 5000 });
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ next: 42 });
    expect(log.lines.some((l) => l.msg === 'final checkpoint durable')).toBe(true);
    await cp.close();
    expect(lifecycle.hooks).toHaveLength(0);
  });

  it('says so when stopped with nothing tracked (no silent "final save"), and stays quiet on success', async () => {
    const lifecycle = fakeLifecycle();
    const log = recordingLog();
    createCheckpointer<State>({ store: new MemoryStore(), identity, lifecycle, log });
    const [hook] = lifecycle.hooks;
    await hook!.run({ reason: 'completed', signal: new AbortController().signal, budgetMs: 5000 });
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
    await hook!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 5000 });
    expect(log.lines.find((l) => l.level === 'warn')?.msg).toContain('no final checkpoint: nothing is tracked');
  });

  it('uploads only what is not yet durable: unchanged parts are reused, an unchanged checkpoint is not rewritten', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const lifecycle = fakeLifecycle();
    const cp = createCheckpointer<State>({ store, identity, lifecycle });
    const weights = Buffer.alloc(200_000, 7);
    let next = 1;
    cp.track(() => ({ state: { next }, parts: { weights } }));
    await cp.save({ next }, { weights });
    const uploads: string[] = [];
    store.around = async (op, key, run) => {
      if (op === 'put' || op === 'putStream') uploads.push(key);
      return await run();
    };
    const hook = lifecycle.hooks[0]!;
    const ctx = { reason: 'signal' as const, signal: new AbortController().signal, budgetMs: 5000 };
    await hook.run(ctx);
    expect(uploads).toEqual([]);
    next = 2;
    await hook.run(ctx);
    expect(uploads.filter((k) => k.includes('/data/'))).toEqual([]);
    expect(uploads.filter((k) => k.includes('/manifests/'))).toHaveLength(1);
    const loaded = await createCheckpointer<State>({ store: store.inner, identity }).load();
    expect(loaded?.state).toEqual({ next: 2 });
    expect(await loaded!.parts.get('weights')!.buffer()).toEqual(weights);
  });

  it('leaves retention to a later run: nothing is deleted while the process is exiting', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const lifecycle = fakeLifecycle();
    const cp = createCheckpointer<State>({ store, identity, lifecycle, keep: 1 });
    await cp.save({ next: 1 });
    await cp.flush();
    cp.track(() => ({ state: { next: 2 } }));
    const deletes: string[] = [];
    store.around = async (op, key, run) => {
      if (op === 'delete') deletes.push(key);
      return await run();
    };
    await lifecycle.hooks[0]!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 5000 });
    await cp.close();
    expect(deletes).toEqual([]);
    const next = createCheckpointer<State>({ store: store.inner, identity, keep: 1 });
    expect((await next.load())?.state).toEqual({ next: 2 });
    await next.save({ next: 3 });
    await next.close();
    expect((await keysUnder(store.inner, `${next.root}/manifests/`)).length).toBe(1);
  });

  it('waits for the background save in flight, then commits on top of it', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const lifecycle = fakeLifecycle();
    const cp = createCheckpointer<State>({ store, identity, lifecycle });
    let next = 1;
    cp.track(() => ({ state: { next } }));
    const g = gate();
    store.around = async (op, key, run) => {
      if (op === 'put' && key.includes('/manifests/')) await g.opened;
      return await run();
    };
    await cp.saveInBackground({ next: 1 });
    next = 2;
    const final = lifecycle.hooks[0]!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 5000 });
    g.open();
    await final;
    expect((await cp.list()).map((c) => c.seq)).toEqual([2, 1]);
  });

  it('gives up when its budget is spent, leaving the previous checkpoint the latest', async () => {
    const store = new InterceptingStore(new MemoryStore());
    const lifecycle = fakeLifecycle();
    const cp = createCheckpointer<State>({ store, identity, lifecycle });
    await cp.save({ next: 1 });
    cp.track(() => ({ state: { next: 2 } }));
    const budget = new AbortController();
    store.around = async (op, key, run) => {
      if (op === 'put' && key.includes('/manifests/')) {
        budget.abort(new Error('budget spent'));
        throw new Error('aborted');
      }
      return await run();
    };
    await expect(lifecycle.hooks[0]!.run({ reason: 'signal', signal: budget.signal, budgetMs: 10 })).rejects.toThrow('aborted');
    expect((await createCheckpointer<State>({ store: store.inner, identity }).load())?.state).toEqual({ next: 1 });
  });
});
