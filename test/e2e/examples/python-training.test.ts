/**
 * examples/python-training under `jobkit run` against the real S3 server:
 * a Python program (standard library only) under `jobkit exec
 * --checkpoint-dir`, with `jobkit` on the PATH as in the base image. A clean
 * run gives each index's final weights sha256; seeded preemptions and
 * SIGKILLs must end with the same sha256 on every index, every replacement
 * must resume from a state the program saved (after a preemption: exactly the
 * step it stopped at), and the newest checkpoint of each index must verify.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Trial, newTrial, runExample, trialCount, verifyCheckpoints } from './harness.ts';

const JOB_NAME = 'pytrain';
const COMPLETIONS = 2;
const ENV = { TRAIN_STEPS: '120', TRAIN_SAVE_EVERY: '10', TRAIN_STEP_DELAY_MS: '25' };

/** A directory holding `jobkit`, the CLI from the sources (the image has the installed one on its PATH). */
const shimDir = mkdtempSync(join(tmpdir(), 'jobkit-python-training-'));
writeFileSync(join(shimDir, 'jobkit'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))} "$@"\n`);
chmodSync(join(shimDir, 'jobkit'), 0o755);
const env = { ...ENV, PATH: `${shimDir}:${process.env.PATH ?? ''}` };

interface PodLine {
  readonly pod: string;
  readonly index: number;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** The pods' JSON log lines, in the order `jobkit run` printed them (`[pod] {...}` on its stderr). */
function podLines(stderr: string): PodLine[] {
  const out: PodLine[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^\[([^\]]+)\] (\{.*\})$/.exec(line);
    if (m === null) continue;
    const fields = JSON.parse(m[2]!) as Record<string, unknown>;
    out.push({ pod: m[1]!, index: Number(fields.index), msg: String(fields.msg), fields });
  }
  return out;
}

/** Each index's final weights sha256, from the program's "training done" lines (all of them must agree). */
function finalShas(lines: readonly PodLine[]): Map<number, string> {
  const shas = new Map<number, string>();
  for (const line of lines.filter((l) => l.msg === 'training done')) {
    const sha = String(line.fields.weights_sha256);
    expect(shas.get(line.index) ?? sha, `index ${line.index}: two different final states`).toBe(sha);
    expect(line.fields.step).toBe(Number(ENV.TRAIN_STEPS));
    shas.set(line.index, sha);
  }
  return shas;
}

/** `resumed at step N` of every pod, with what that index's earlier pods said they saved or stopped at. */
function resumes(lines: readonly PodLine[]): Array<{ pod: string; index: number; step: number; saved: Set<number>; stoppedAt: number | undefined }> {
  const out = [];
  const saved = new Map<number, Set<number>>();
  const lastStop = new Map<number, { pod: string; step: number }>();
  const stopping = new Map<string, number>();
  for (const line of lines) {
    const savedAt = /^state saved at step (\d+)$/.exec(line.msg);
    if (savedAt !== null) saved.set(line.index, (saved.get(line.index) ?? new Set()).add(Number(savedAt[1])));
    const stop = /^stopping at step (\d+) \(SIGTERM\)$/.exec(line.msg);
    if (stop !== null) stopping.set(line.pod, Number(stop[1]));
    // The stopped pod's state counts once jobkit's final save of it is durable (a SIGKILL during the grace period skips it).
    const stoppedStep = stopping.get(line.pod);
    if (line.msg === 'final checkpoint durable' && stoppedStep !== undefined) lastStop.set(line.index, { pod: line.pod, step: stoppedStep });
    const resumed = /^resumed at step (\d+)$/.exec(line.msg);
    if (resumed !== null) {
      const stopped = lastStop.get(line.index);
      out.push({
        pod: line.pod,
        index: line.index,
        step: Number(resumed[1]),
        saved: new Set(saved.get(line.index) ?? []),
        stoppedAt: stopped !== undefined && stopped.pod !== line.pod ? stopped.step : undefined,
      });
      lastStop.delete(line.index);
    }
  }
  return out;
}

describe('example python-training (jobkit exec --checkpoint-dir) under jobkit run on S3', () => {
  const trials: Trial[] = [];
  const trial = (): Trial => {
    const t = newTrial('python-training');
    trials.push(t);
    return t;
  };
  afterAll(async () => {
    await Promise.all(trials.map((t) => t.store.close()));
    // The pods' local state directories (the manifest puts them under .jobkit/python-training/<namespace>/<pod>).
    for (const t of trials) rmSync(join(ROOT, '.jobkit/python-training', t.namespace), { recursive: true, force: true });
    rmSync(shimDir, { recursive: true, force: true });
  });

  let reference: Map<number, string> | undefined;
  beforeAll(async () => {
    const clean = trial();
    const run = await runExample('python-training', clean, { seed: 1, env });
    expect(run.code, run.stderr.slice(-4_000)).toBe(0);
    reference = finalShas(podLines(run.stderr));
  });

  it('a clean run trains every index to the end, from step 0, in one attempt', async () => {
    const clean = trials[0];
    if (clean === undefined || reference === undefined) throw new Error('no clean run');
    expect([...reference.keys()].sort()).toEqual([0, 1]);
    expect(reference.get(0)).not.toBe(reference.get(1)); // a learning-rate sweep: two different models
    const run = await runExample('python-training', trial(), { seed: 1, env });
    // deterministic: a second clean run gives the same bytes
    expect(finalShas(podLines(run.stderr))).toEqual(reference);
    expect(run.stderr).not.toMatch(/resumed at step/);
    expect((await verifyCheckpoints(clean, JOB_NAME, COMPLETIONS)).every((seq) => seq !== undefined)).toBe(true);
  });

  let resumedMidway = 0;
  const seeds = Array.from({ length: trialCount(2, 4) }, (_, i) => 201 + i * 11);
  it.each(seeds)('seed %i: preempt and kill pods; the same final weights, resumed from the saved state', async (seed) => {
    if (reference === undefined) throw new Error('no clean run');
    const t = trial();
    const run = await runExample('python-training', t, { seed, chaos: 'preempt=1,kill=1', chaosMaxDelayMs: 3_000, env });
    expect(run.code, run.stderr.slice(-4_000)).toBe(0);
    expect(run.status.conditions?.some((c) => c.type === 'Complete')).toBe(true);
    expect(run.stderr).toMatch(/chaos applied [1-9]/);

    const lines = podLines(run.stderr);
    expect(finalShas(lines)).toEqual(reference);
    for (const r of resumes(lines)) {
      expect(r.step, `${r.pod}`).toBeGreaterThan(0);
      // from a state the program had written (and jobkit had checkpointed): never a made-up step
      expect(r.saved.has(r.step), `${r.pod} resumed at ${r.step}, saved: ${[...r.saved].join(',')}`).toBe(true);
      // after a preemption, exactly where the stopped pod was (its final save, after the program exited)
      if (r.stoppedAt !== undefined) expect(r.step, `${r.pod} after a SIGTERM at step ${r.stoppedAt}`).toBe(r.stoppedAt);
      if (r.step < Number(ENV.TRAIN_STEPS)) resumedMidway++;
    }
    await verifyCheckpoints(t, JOB_NAME, COMPLETIONS);
  });

  it('chaos interrupted training in progress: some replacement resumed midway (resumed at step N > 0)', () => {
    expect(resumedMidway).toBeGreaterThan(0);
  });
});

