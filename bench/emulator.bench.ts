/**
 * Emulator overhead: wall time of a 100-completion, parallelism-10 Job of
 * `true` commands under `jobkit run`, against the same 100 processes spawned
 * 10 at a time by a bare script. The ratio is baseline/emulator (1 = no
 * overhead). Measured in process (the controller and pod runner alone) and
 * through the CLI (adds one Node start-up).
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLocalJob } from '../src/local/emulator.ts';
import { lowerIsBetter, median, msSince, writeResults } from './lib.ts';

const COMPLETIONS = 100;
const PARALLELISM = 10;
const ROUNDS = 5;

const manifest = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'bench' },
  spec: {
    completions: COMPLETIONS,
    parallelism: PARALLELISM,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'none', command: ['true'] }] } },
  },
};

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

/** The baseline: a pool of PARALLELISM workers spawning `true` until COMPLETIONS are done. */
async function bareScript(): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < COMPLETIONS) {
      next++;
      await spawnTrue();
    }
  };
  await Promise.all(Array.from({ length: PARALLELISM }, worker));
  return msSince(start);
}

async function emulatorInProcess(): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await runLocalJob({ manifest, seed: 1, sink: { podLine: () => {}, event: () => {} } });
  if (result.outcome !== 'Complete' || result.job.status?.succeeded !== COMPLETIONS) throw new Error(`bench job did not complete: ${result.outcome}`);
  return msSince(start);
}

async function emulatorCli(file: string): Promise<number> {
  const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const start = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', '-f', file, '-q'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`jobkit run exited ${code}`);
  return msSince(start);
}

const dir = mkdtempSync(join(tmpdir(), 'jobkit-bench-'));
const file = join(dir, 'job.json');
writeFileSync(file, JSON.stringify(manifest));

const bare: number[] = [];
const inProcess: number[] = [];
const viaCli: number[] = [];
// Warm-up: JIT, module loading and the first fork are not what is measured.
await bareScript();
await emulatorInProcess();
for (let i = 0; i < ROUNDS; i++) {
  bare.push(await bareScript());
  inProcess.push(await emulatorInProcess());
  viaCli.push(await emulatorCli(file));
}
const baseline = median(bare);
const inProc = median(inProcess);
const cliMs = median(viaCli);
writeResults('emulator', [
  {
    name: `${COMPLETIONS} completions, parallelism ${PARALLELISM}, in process`,
    value: inProc,
    unit: 'ms',
    baseline,
    baselineName: 'bare spawn pool',
    ratio: lowerIsBetter(inProc, baseline),
    note: `median of ${ROUNDS}`,
  },
  {
    name: `${COMPLETIONS} completions, parallelism ${PARALLELISM}, jobkit run CLI`,
    value: cliMs,
    unit: 'ms',
    baseline,
    baselineName: 'bare spawn pool',
    ratio: lowerIsBetter(cliMs, baseline),
    note: `median of ${ROUNDS}; includes one Node start-up`,
  },
]);
