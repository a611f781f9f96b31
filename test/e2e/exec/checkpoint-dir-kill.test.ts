/**
 * `jobkit exec --checkpoint-dir` under kill -9: a program keeps a directory
 * of several files that must agree (every file holds the same generation,
 * each written tmp+rename, the set in one burst), with saves every 50 ms and
 * on request; the supervisor is SIGKILLed at seeded random instants, during
 * restores, during saves, anywhere. After every kill a new supervisor
 * restores the directory, and the program checks it: always one whole
 * generation, never older than the last one announced durable or the last
 * one restored, never torn; no temporary sibling accumulates.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type ExecResult, alive, execEnv, runJobkit, tempDir } from './exec-child.ts';
import { SeededRandom } from '../../../src/local/rng.ts';

const CHILD = new URL('./dir-child.ts', import.meta.url).pathname;
const FILES = 12;
const BYTES = 150_000;
const ROUNDS = Number(process.env.DIRCP_KILL_ROUNDS ?? 30);
const SEED = Number(process.env.DIRCP_KILL_SEED ?? 19);


function values(result: ExecResult, key: string): number[] {
  return result.lines.flatMap((l) => {
    const m = new RegExp(`^${key}=(\\d+)$`).exec(String(l.msg));
    return m?.[1] === undefined ? [] : [Number(m[1])];
  });
}

/** Wait for every program a round started to be gone (they exit when their supervisor is); SIGKILL stragglers. */
async function reap(pids: string): Promise<void> {
  for (const name of readdirSync(pids)) {
    const pid = Number(name);
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(join(pids, name));
  }
}

const stores = {
  fs: { url: (base: string) => pathToFileURL(join(base, 'store')).href, rounds: ROUNDS },
  's3 (moto)': { url: () => `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/dircp-kill/${randomUUID()}`, rounds: Math.ceil(ROUNDS / 3) },
};

describe.each(Object.entries(stores))('jobkit exec --checkpoint-dir under kill -9 on the %s store', (_, { url, rounds: ROUNDS }) => {
  it(`never restores a torn or older directory (${ROUNDS} rounds, seed ${SEED})`, async () => {
    // The emulator's seeded generator, so a failing round can be replayed with DIRCP_KILL_SEED.
    const rng = new SeededRandom(SEED);
    const random = (): number => rng.next();
    const base = tempDir();
    const dir = join(base, 'state');
    const pids = join(base, 'pids');
    mkdirSync(pids);
    const store = url(base);
    const env = (attempt: number): NodeJS.ProcessEnv =>
      execEnv({
        JOBKIT_STORE: store,
        JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '',
        JOBKIT_JOB_NAME: 'dircp-kill',
        JOBKIT_ATTEMPT: String(attempt),
        JOBKIT_LOG_LEVEL: 'info',
        DIRCP_PIDS: pids,
      });
    const argv = (gens: number): string[] => ['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0.05', '--', process.execPath, CHILD, 'generations', String(FILES), String(BYTES), String(gens)];

    let maxDurable = 0;
    let lastRestored = 0;
    let lastSeq = 0;
    const phases = { restore: 0, save: 0, anytime: 0, midRestore: 0, leftovers: 0, savesCommitted: 0, savesFailed: 0 };
    const check = (result: ExecResult, round: number): void => {
      const context = `round ${round}:\n${result.stdout.slice(-4000)}`;
      expect(result.lines.some((l) => String(l.msg).startsWith('torn=')), context).toBe(false);
      for (const restored of values(result, 'restored')) {
        expect(restored, context).toBeGreaterThanOrEqual(maxDurable);
        expect(restored, context).toBeGreaterThanOrEqual(lastRestored);
        lastRestored = restored;
      }
      const seq = result.lines.find((l) => l.msg === 'checkpoint directory restored')?.seq;
      if (typeof seq === 'number') {
        expect(seq, context).toBeGreaterThanOrEqual(lastSeq);
        lastSeq = seq;
      }
      for (const durable of values(result, 'durable')) maxDurable = Math.max(maxDurable, durable);
      const restoring = result.lines.some((l) => l.msg === 'checkpoint epoch taken');
      if (restoring && !result.lines.some((l) => l.msg === 'checkpoint directory restored')) phases.midRestore += 1;
      if (result.lines.some((l) => String(l.msg).startsWith('removed what a killed attempt left'))) phases.leftovers += 1;
      phases.savesCommitted += result.lines.filter((l) => l.msg === 'directory checkpoint saved').length;
      phases.savesFailed += result.lines.filter((l) => String(l.msg).startsWith('directory checkpoint not saved')).length;
    };

    // Round 0 runs until a checkpoint is durable: from then on every attempt has one to restore.
    const first = await runJobkit(argv(0), env(0), (line, child) => {
      if (line.msg === 'durable=3') child.kill('SIGKILL');
    });
    expect(first.signal, first.stdout.slice(-3000)).toBe('SIGKILL');
    check(first, 0);
    await reap(pids);
    expect(maxDurable).toBe(3);

    for (let round = 1; round <= ROUNDS; round++) {
      const phase = (['restore', 'save', 'anytime'] as const)[Math.floor(random() * 3)] ?? 'anytime';
      phases[phase] += 1;
      const delay = phase === 'restore' ? random() * 30 : phase === 'save' ? random() * 800 : random() * 1_500;
      let timer: NodeJS.Timeout | undefined;
      const killIn = (child: ChildProcess, ms: number): void => {
        if (timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), ms);
      };
      const result = await runJobkit(argv(0), env(round), (line, child) => {
        // anytime: from the supervisor's first line (its start-up is done), through restore, start and saves.
        if (phase === 'anytime') killIn(child, delay);
        if (phase === 'restore' && line.msg === 'checkpoint epoch taken') killIn(child, delay);
        if (phase === 'save' && line.msg === 'program started') killIn(child, delay);
      });
      clearTimeout(timer);
      check(result, round);
      await reap(pids);
    }

    // A last attempt runs to its end: it restores, writes 4 generations, exits 0 after its final save.
    const last = await runJobkit(argv(4), env(ROUNDS + 1));
    expect(last.code, last.stdout.slice(-3000)).toBe(0);
    check(last, ROUNDS + 1);
    const verify = await runJobkit(argv(1), env(ROUNDS + 2));
    expect(verify.code).toBe(0);
    check(verify, ROUNDS + 2);
    expect(values(verify, 'restored')[0]).toBeGreaterThanOrEqual(lastRestored);
    expect(readdirSync(base).filter((n) => n.includes('jobkit-'))).toEqual([]);
    console.log(`kill -9 rounds: ${JSON.stringify({ rounds: ROUNDS, seed: SEED, maxDurable, lastRestored, lastSeq, ...phases })}`);
    expect(phases.midRestore + phases.leftovers).toBeGreaterThan(0);
  });
});
