/**
 * Crash safety: a child saves checkpoints in a loop and is SIGKILLed at a
 * random instant, 20 times in a row. After every kill the latest loadable
 * checkpoint must be one that was committed (or the one whose commit was in
 * flight), with its part intact; the next child resumes from it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { keysUnder } from '../../unit/checkpoint/helpers.ts';
import { pattern, removeTempStores, type StoreTarget } from './stores.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/saver.ts', import.meta.url));
const TRIALS = Number(process.env.JOBKIT_TEST_KILL_TRIALS ?? 20);
const PART_BYTES = 6 * 2 ** 20;
const identity = {
  platform: 'kubernetes' as const, jobName: 'chaos', namespace: 'default', podName: 'checker', podUid: undefined,
  nodeName: undefined, index: 0, count: 1, attempt: undefined,
};
const opened: ObjectStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  removeTempStores();
});

interface Trial {
  readonly committed: number[];
  readonly saving: number[];
  readonly ready: number | undefined;
  readonly exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Run the saver until it has been up for `delayMs` after it is ready, then SIGKILL it. */
async function trial(env: NodeJS.ProcessEnv, delayMs: number): Promise<Trial> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, ...env, SAVER_PART_BYTES: String(PART_BYTES) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const committed: number[] = [];
  const saving: number[] = [];
  let ready: number | undefined;
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buffered.slice(0, nl)) as { event: string; n: number };
      buffered = buffered.slice(nl + 1);
      if (msg.event === 'ready') {
        ready = msg.n;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      } else if (msg.event === 'saving') saving.push(msg.n);
      else if (msg.event === 'committed') committed.push(msg.n);
    }
  });
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(watchdog);
  if (signal !== 'SIGKILL') throw new Error(`saver exited with ${code}/${signal} before the kill: ${stderr}`);
  return { committed, saving, ready, exit: { code, signal } };
}

export function killTrials(target: StoreTarget): void {
  describe(`kill -9 during saves on the ${target.name} store`, () => {
    it(`always leaves a committed, intact checkpoint (${TRIALS} trials)`, async () => {
      const { store, url, env } = target.create();
      opened.push(store);
      let lastCommitted = 0;
      let progressed = 0;
      for (let i = 0; i < TRIALS; i++) {
        // Spread kills over the whole save cycle: before, during and between saves.
        const result = await trial(env, Math.floor(Math.random() * 900));
        // Each child resumed from what the previous check loaded.
        expect(result.ready).toBe(lastCommitted);
        // A store of its own, as the next pod would have.
        const checkStore = target.reopen(url);
        opened.push(checkStore);
        const checker = createCheckpointer<{ n: number }>({ store: checkStore, identity });
        const loaded = await checker.load();
        const n = loaded?.state.n ?? 0;
        const lastReported = result.committed.at(-1) ?? result.ready ?? 0;
        const inFlight = result.saving.at(-1) ?? lastReported;
        // Equal to a committed checkpoint: the last one reported, or the one whose commit was in flight.
        expect([lastReported, inFlight]).toContain(n);
        expect(n).toBeGreaterThanOrEqual(lastCommitted);
        if (loaded !== undefined) {
          expect((await loaded.parts.get('blob')!.buffer()).equals(pattern(PART_BYTES, n))).toBe(true);
          await loaded.dispose();
        }
        if (result.committed.length > 0) progressed++;
        lastCommitted = n;
        await checker.close();
      }
      // The kills did land mid-run, and work did move forward across them.
      expect(progressed).toBeGreaterThan(TRIALS / 4);
      // A later run cleans what the killed saves left behind (old epochs).
      const final = createCheckpointer<{ n: number }>({ store, identity, keep: 2 });
      const resumed = await final.load();
      await final.save({ n: (resumed?.state.n ?? 0) + 1 }, { blob: pattern(PART_BYTES, (resumed?.state.n ?? 0) + 1) });
      await final.close();
      const root = final.root;
      expect((await keysUnder(store, `${root}/manifests/`)).length).toBeLessThanOrEqual(2);
      expect((await keysUnder(store, `${root}/data/`)).length).toBeLessThanOrEqual(2);
    });
  });
}
