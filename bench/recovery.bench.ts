/**
 * Recovery from a spot preemption under the emulator: the ETL example as a
 * one-pod Indexed Job, preempted mid-run by `jobkit run --chaos preempt=1`
 * (DisruptionTarget, SIGTERM). Measured from the bench process, on the
 * arrival of the CLI's stderr lines:
 *
 * - stop: SIGTERM sent -> the pod exited (final checkpoint included), against
 *   the pod's grace period (the budget a cluster gives it);
 * - recovery: SIGTERM sent -> the replacement pod finished its first item
 *   (stop + replacement + process start + checkpoint load + plan read + one item),
 *   against a cold start in the same run (pod started -> its first item).
 *
 * The controller's re-creation back-off is scaled to ~0 (--backoff-scale 0.001):
 * a cluster adds its back-off (10 s for a first failure; an Ignore'd
 * preemption counts), scheduling and image pull on top.
 *
 * `node bench/recovery.bench.ts`
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { generateInput, inputName } from '../examples/etl/data.ts';
import { joinKey, keySegment, openStore } from '../src/index.ts';
import { type BenchFigure, lowerIsBetter, median, writeResults } from './lib.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = 5;
const GRACE_SECONDS = 10;
const OBJECTS = 40;

interface Timeline {
  coldStartMs: number;
  stopMs: number;
  recoveryMs: number;
}

interface Manifest {
  spec: {
    completions: number;
    parallelism: number;
    template: { spec: { terminationGracePeriodSeconds: number; containers: { env: { name: string; value?: string }[] }[] } };
  };
}

/** The ETL example's manifest as a one-pod Job. */
function onePodManifest(dir: string): string {
  const manifest = parse(readFileSync(join(ROOT, 'examples/etl/job.yaml'), 'utf8')) as Manifest;
  manifest.spec.completions = 1;
  manifest.spec.parallelism = 1;
  manifest.spec.template.spec.terminationGracePeriodSeconds = GRACE_SECONDS;
  for (const container of manifest.spec.template.spec.containers) {
    for (const variable of container.env) {
      if (variable.name === 'JOBKIT_COUNT') variable.value = '1';
      if (variable.name === 'JOBKIT_GRACE_PERIOD_SECONDS') variable.value = String(GRACE_SECONDS);
    }
  }
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

async function round(file: string, seed: number): Promise<Timeline> {
  const store = mkdtempSync(join(tmpdir(), 'jobkit-recovery-store-'));
  // The input exists before the Job starts (as in production): the cold start only lists it.
  const input = openStore(`file://${store}`);
  for (let i = 0; i < OBJECTS; i++) await input.put(joinKey('etl', 'input', keySegment(inputName(i))), generateInput(i, 400));
  await input.close();
  const t0 = performance.now();
  const at = new Map<string, number>();
  let preempted: string | undefined;
  let firstPod: string | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const args = ['src/cli/main.ts', 'run', '-f', file, '--seed', String(seed), '--chaos', 'preempt=1'];
      args.push('--chaos-max-delay', '2000', '--backoff-scale', '0.001');
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, JOBKIT_STORE: `file://${store}`, ETL_INPUT_OBJECTS: String(OBJECTS), ETL_ITEM_DELAY_MS: '60', ETL_CHECKPOINT_EVERY: '2' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let pending = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const now = performance.now() - t0;
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          let m = /^jobkit run: pod (\S+) started/.exec(line);
          if (m?.[1] !== undefined) {
            firstPod ??= m[1];
            at.set(`start ${m[1]}`, now);
          }
          m = /^jobkit run: pod (\S+) deleted: SIGTERM/.exec(line);
          if (m?.[1] !== undefined) {
            preempted = m[1];
            at.set('sigterm', now);
          }
          m = /^jobkit run: pod (\S+) exited/.exec(line);
          if (m?.[1] !== undefined && m[1] === preempted) at.set('exit', now);
          m = /^\[(\S+)\] .*first item/.exec(line);
          if (m?.[1] !== undefined && !at.has(`first ${m[1]}`)) at.set(`first ${m[1]}`, now);
        }
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`jobkit run exited ${code}`))));
    });
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
  const replacement = [...at.keys()]
    .filter((k) => k.startsWith('start ') && k !== `start ${preempted}`)
    .map((k) => k.slice('start '.length))[0];
  const need = (key: string): number => {
    const value = at.get(key);
    if (value === undefined) throw new Error(`seed ${seed}: no "${key}" in the run (preempted ${preempted})`);
    return value;
  };
  const sigterm = need('sigterm');
  const firstStart = need(`start ${firstPod}`);
  // Preempted before its first item: no cold start to compare with in this round.
  const coldFirst = at.get(`first ${firstPod}`);
  return {
    coldStartMs: coldFirst !== undefined && coldFirst < sigterm ? coldFirst - firstStart : Number.NaN,
    stopMs: need('exit') - sigterm,
    recoveryMs: need(`first ${replacement}`) - sigterm,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'jobkit-recovery-bench-'));
const timelines: Timeline[] = [];
try {
  const file = onePodManifest(dir);
  for (let seed = 1; timelines.length < ROUNDS && seed < ROUNDS * 4; seed++) {
    const t = await round(file, seed);
    if (!Number.isNaN(t.coldStartMs)) timelines.push(t);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const cold = median(timelines.map((t) => t.coldStartMs));
const stop = median(timelines.map((t) => t.stopMs));
const recovery = median(timelines.map((t) => t.recoveryMs));
const figures: BenchFigure[] = [
  {
    name: 'preemption stop: SIGTERM -> pod exited (final checkpoint saved)',
    value: stop,
    unit: 'ms',
    baseline: GRACE_SECONDS * 1000,
    baselineName: `grace period (terminationGracePeriodSeconds ${GRACE_SECONDS})`,
    ratio: lowerIsBetter(stop, GRACE_SECONDS * 1000),
    note: `median of ${timelines.length} seeded preemptions; ETL example, fs store`,
  },
  {
    name: 'preemption recovery: SIGTERM -> replacement pod processed its first item',
    value: recovery,
    unit: 'ms',
    baseline: cold,
    baselineName: 'cold start in the same run (pod started -> first item)',
    ratio: lowerIsBetter(recovery, cold),
    note: `median of ${timelines.length}; controller back-off scaled to ~0 (a cluster adds back-off, scheduling, image pull)`,
  },
];
writeResults('recovery', figures);
