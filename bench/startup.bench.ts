/**
 * Start-up cost of jobkit: from spawning `node` to the first line written by
 * the job's main, through runJob (identity, logger, lifecycle, handlers), vs a
 * bare `node -e` writing the same line. Each variant is spawned N times,
 * interleaved so that machine noise hits both alike; medians are compared.
 *
 * jobkit is measured twice: compiled to JavaScript (as an installed package
 * runs) and from its .ts sources (Node strips the types on load, which first
 * loads its TypeScript stripper: the tests and examples pay that).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lowerIsBetter, median, msSince, writeResults } from './lib.ts';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? '20');
const root = fileURLToPath(new URL('..', import.meta.url));

/** Compile run-job.ts and its imports to a temp dir that resolves packages from the repo's node_modules. */
function compileRunJob(): { dir: string; module: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-startup-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const args = ['--ignoreConfig', '--outDir', join(dir, 'dist'), '--rootDir', join(root, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2023', '--rewriteRelativeImportExtensions', '--skipLibCheck', '--types', 'node', '--strict', join(root, 'src/job/run-job.ts'));
  const r = spawnSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc exited ${r.status}`);
  return { dir, module: join(dir, 'dist/job/run-job.js') };
}

const jobScript = (module: string): string[] => [
  '--input-type=module',
  '-e',
  `import { runJob } from ${JSON.stringify(module)};\nawait runJob(async () => { process.stdout.write('ready\\n'); });`,
];

const compiled = compileRunJob();
const variants = {
  bare: ['-e', "process.stdout.write('ready\\n')"],
  jobkitJs: jobScript(compiled.module),
  jobkitTs: jobScript(join(root, 'src/job/run-job.ts')),
} as const;

interface Timing {
  readonly firstLineMs: number;
  readonly exitMs: number;
}

async function time(args: readonly string[]): Promise<Timing> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, JOBKIT_LOG_LEVEL: 'silent' } });
  let firstLineMs = Number.NaN;
  child.stdout.on('data', (chunk: Buffer) => {
    if (Number.isNaN(firstLineMs) && chunk.toString().includes('ready')) firstLineMs = msSince(start);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || Number.isNaN(firstLineMs)) throw new Error(`${args.join(' ')} exited ${code} without its line`);
  return { firstLineMs, exitMs: msSince(start) };
}

type Variant = keyof typeof variants;
const samples: Record<Variant, Timing[]> = { bare: [], jobkitJs: [], jobkitTs: [] };
try {
  await time(variants.jobkitTs); // warm the file-system cache
  for (let i = 0; i < RUNS; i++) {
    for (const v of Object.keys(variants) as Variant[]) samples[v].push(await time(variants[v]));
  }
} finally {
  rmSync(compiled.dir, { recursive: true, force: true });
}

const med = (v: Variant, field: keyof Timing): number => median(samples[v].map((s) => s[field]));
const figure = (v: Exclude<Variant, 'bare'>, field: keyof Timing, name: string, note: string) => ({
  name,
  value: med(v, field),
  unit: 'ms',
  baseline: med('bare', field),
  baselineName: 'bare node -e',
  ratio: lowerIsBetter(med(v, field), med('bare', field)),
  note: `${note}; ${RUNS} spawns each, interleaved; added ${Math.round(med(v, field) - med('bare', field))} ms`,
});

writeResults('startup', [
  figure('jobkitJs', 'firstLineMs', 'spawn to first line of main, compiled JS (median)', 'runJob from tsc output, as an installed package'),
  figure('jobkitTs', 'firstLineMs', 'spawn to first line of main, .ts sources (median)', 'includes loading Node\'s type stripper'),
  figure('jobkitJs', 'exitMs', 'spawn to process exit, compiled JS (median)', 'includes the shutdown phases and process.exit'),
]);
