/**
 * Start-up cost of jobkit: from spawning `node` to the first line written by
 * the job's main, through runJob (identity, logger, lifecycle, handlers), vs a
 * bare `node -e` writing the same line; and what `import 'jobkit'` alone costs
 * (time to exit, and how many files and packages it loads). Each variant is
 * spawned N times, interleaved so that machine noise hits both alike; medians
 * are compared.
 *
 * jobkit is measured compiled to JavaScript through the package entry
 * (`dist/index.js`, what `import 'jobkit'` loads in an installed package) and
 * from its .ts sources (Node strips the types on load, which first loads its
 * TypeScript stripper: the tests and examples pay that).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lowerIsBetter, median, msSince, writeResults } from './lib.ts';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? '20');
const root = fileURLToPath(new URL('..', import.meta.url));

/** Compile the package entry and its imports to a temp dir that resolves packages from the repo's node_modules. */
function compileEntry(): { dir: string; module: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-startup-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const args = ['--ignoreConfig', '--outDir', join(dir, 'dist'), '--rootDir', join(root, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2023', '--rewriteRelativeImportExtensions', '--skipLibCheck', '--types', 'node', '--strict', join(root, 'src/index.ts'));
  const r = spawnSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc exited ${r.status}`);
  return { dir, module: join(dir, 'dist/index.js') };
}

const jobScript = (module: string): string[] => [
  '--input-type=module',
  '-e',
  `import { runJob } from ${JSON.stringify(module)};\nawait runJob(async () => { process.stdout.write('ready\\n'); });`,
];
const importScript = (module: string): string[] => [
  '--input-type=module',
  '-e',
  `await import(${JSON.stringify(module)});\nprocess.stdout.write('ready\\n');`,
];

/** A loader hook that reports, at exit, every file the process loaded (own and from node_modules). */
const COUNT_HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) seen.add(url); return next(url, context); } });
process.on('exit', () => {
  const files = [...seen];
  const packages = new Set(files.flatMap((u) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u); return m ? [m[1]] : []; }));
  process.stderr.write('LOADED ' + JSON.stringify({ files: files.length, packages: [...packages].sort() }) + '\\n');
});`)}`;

interface Loaded {
  readonly files: number;
  readonly packages: readonly string[];
}

/** What `args` loads, counted by {@link COUNT_HOOK} (one run, outside the timings). */
function loaded(args: readonly string[]): Loaded {
  const r = spawnSync(process.execPath, ['--import', COUNT_HOOK, ...args], { encoding: 'utf8', env: { ...process.env, JOBKIT_LOG_LEVEL: 'silent' } });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (r.status !== 0 || line === undefined) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as Loaded;
}

const compiled = compileEntry();
const variants = {
  bare: ['-e', "process.stdout.write('ready\\n')"],
  importJs: importScript(compiled.module),
  jobkitJs: jobScript(compiled.module),
  jobkitTs: jobScript(join(root, 'src/index.ts')),
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
const samples: Record<Variant, Timing[]> = { bare: [], importJs: [], jobkitJs: [], jobkitTs: [] };
let imported: Loaded;
try {
  imported = loaded(variants.importJs);
  await time(variants.jobkitTs); // warm the file-system cache
  for (let i = 0; i < RUNS; i++) {
    for (const v of Object.keys(variants) as Variant[]) samples[v].push(await time(variants[v]));
  }
} finally {
  rmSync(compiled.dir, { recursive: true, force: true });
}

const load = `load average ${loadavg()[0]?.toFixed(1) ?? '?'} at the end`;
const med = (v: Variant, field: keyof Timing): number => median(samples[v].map((s) => s[field]));
const figure = (v: Exclude<Variant, 'bare'>, field: keyof Timing, name: string, note: string) => ({
  name,
  value: med(v, field),
  unit: 'ms',
  baseline: med('bare', field),
  baselineName: 'bare node -e',
  ratio: lowerIsBetter(med(v, field), med('bare', field)),
  note: `${note}; ${RUNS} spawns each, interleaved; added ${Math.round(med(v, field) - med('bare', field))} ms; ${load}`,
});

writeResults('startup', [
  figure('importJs', 'firstLineMs', "import 'jobkit' (compiled JS), spawn to the line after it (median)", 'the package entry alone, nothing called'),
  {
    name: "files loaded by import 'jobkit' (compiled JS)",
    value: imported.files,
    unit: 'files',
    note: `jobkit's own and its dependencies'; ${imported.packages.length} packages: ${imported.packages.join(', ')}`,
  },
  figure('jobkitJs', 'firstLineMs', 'spawn to first line of main, compiled JS (median)', "runJob from the compiled package entry, as an installed package"),
  figure('jobkitTs', 'firstLineMs', 'spawn to first line of main, .ts sources (median)', "includes loading Node's type stripper"),
  figure('jobkitJs', 'exitMs', 'spawn to process exit, compiled JS (median)', 'includes the shutdown phases and process.exit'),
]);
