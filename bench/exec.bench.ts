/**
 * `jobkit exec`: what the supervisor costs a program.
 *
 * 1. Start-up: spawn to exit of `jobkit exec -- true` vs a bare `true`, from
 *    the compiled CLI (dist/cli/main.js, what the image's `jobkit` runs) and
 *    from the .ts sources; and the compiled `jobkit version`, to show how much
 *    of it is loading the CLI. Medians of N spawns, interleaved.
 * 2. Log throughput: a child that writes plain log lines (about 90 bytes) at
 *    a fixed 100k lines/s, and unthrottled, through `jobkit exec --logs json`
 *    and `--logs raw` (the supervisor's own output to /dev/null), vs the same
 *    child writing to /dev/null directly. The child measures its own rate: its
 *    stdout is a pipe with synchronous writes (Node on Linux), so it cannot get
 *    more than a pipe buffer (64 KiB) ahead of a supervisor that falls behind.
 *    Target: the supervisor keeps >= 80 % of the offered 100k lines/s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFigure, higherIsBetter, lowerIsBetter, median, msSince, round, writeResults } from './lib.ts';

const RUNS = Number(process.env.BENCH_EXEC_RUNS ?? '15');
const LOG_REPEATS = Number(process.env.BENCH_EXEC_LOG_REPEATS ?? '3');
const RATE = 100_000;
const THROTTLED_LINES = Number(process.env.BENCH_EXEC_LINES ?? '300000');
const UNTHROTTLED_LINES = Number(process.env.BENCH_EXEC_UNTHROTTLED_LINES ?? '600000');
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jobkit-exec-bench-'));

/** Compile the CLI to a temp dir that resolves packages from the repo's node_modules (as dist/ in the image). */
function compileCli(): string {
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const args = ['--ignoreConfig', '--outDir', join(work, 'dist'), '--rootDir', join(root, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2023', '--rewriteRelativeImportExtensions', '--skipLibCheck', '--types', 'node', '--strict', join(root, 'src/cli/main.ts'));
  const r = spawnSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc exited ${r.status}`);
  return join(work, 'dist/cli/main.js');
}

const env: NodeJS.ProcessEnv = { ...process.env, JOBKIT_JOB_NAME: 'exec-bench', JOBKIT_NAMESPACE: 'bench', JOBKIT_LOG_LEVEL: 'info' };
for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k.startsWith('JOBKIT_PUSHGATEWAY')) delete env[k];

/** Spawn to exit, output to /dev/null. */
async function timeExit(file: string, args: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(file, args, { stdio: 'ignore', env });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${code}`);
  return msSince(start);
}

/** The log emitter: `lines` lines, at `rate` lines/s (0: as fast as it can), then its own rate into RESULT. */
const EMITTER = join(work, 'emit.mjs');
writeFileSync(
  EMITTER,
  `
import { writeFileSync, writeSync } from 'node:fs';
const lines = Number(process.env.LINES), rate = Number(process.env.RATE);
const line = process.env.KIND === 'json'
  ? (i) => '{"level":"info","worker":3,"step":' + String(10000000 + i) + ',"loss":0.0123456,"msg":"processed batch"}\\n'
  : (i) => 'ts=2026-12-04T18:00:00.000Z level=info worker=3 step=' + String(i).padStart(8, '0') + ' loss=0.0123456 msg="processed batch"\\n';
const pause = new Int32Array(new SharedArrayBuffer(4));
const BATCH = 100;
const start = process.hrtime.bigint();
let sent = 0;
while (sent < lines) {
  const due = rate > 0 ? Math.min(lines, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate)) : lines;
  if (due <= sent) { Atomics.wait(pause, 0, 0, 1); continue; }
  const end = Math.min(due, sent + BATCH);
  let text = '';
  for (let i = sent; i < end; i++) text += line(i);
  writeSync(1, text);
  sent = end;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
writeFileSync(process.env.RESULT, JSON.stringify({ lines: sent, seconds, rate: sent / seconds }));
`,
);

/** Plain text lines, or JSON-object lines (parsed and merged under jobkit's fields by --logs json). */
type Kind = 'text' | 'json';

interface Emitted {
  readonly rate: number;
  readonly seconds: number;
}

/** Run the emitter bare (stdout /dev/null) or under `jobkit exec` (its stdout and stderr /dev/null); its own rate. */
async function emit(cli: string | undefined, logs: 'json' | 'raw', lines: number, rate: number, kind: Kind): Promise<Emitted> {
  const result = join(work, 'result.json');
  rmSync(result, { force: true });
  const devNull = openSync('/dev/null', 'w');
  try {
    const args = cli === undefined ? [EMITTER] : [cli, 'exec', '--logs', logs, '--', process.execPath, EMITTER];
    const child = spawn(process.execPath, args, { stdio: ['ignore', devNull, devNull], env: { ...env, LINES: String(lines), RATE: String(rate), RESULT: result, KIND: kind } });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`emitter ${cli === undefined ? 'bare' : `under exec --logs ${logs}`} exited ${code}`);
  } finally {
    closeSync(devNull);
  }
  return JSON.parse(readFileSync(result, 'utf8')) as Emitted;
}

const figures: BenchFigure[] = [];
try {
  const compiled = compileCli();
  const ts = join(root, 'src/cli/main.ts');

  // 1. Start-up
  const startup = { bare: [] as number[], js: [] as number[], ts: [] as number[], version: [] as number[] };
  await timeExit(process.execPath, [ts, 'exec', '--', 'true']); // warm the file-system cache
  for (let i = 0; i < RUNS; i++) {
    startup.bare.push(await timeExit('true', []));
    startup.js.push(await timeExit(process.execPath, [compiled, 'exec', '--', 'true']));
    startup.ts.push(await timeExit(process.execPath, [ts, 'exec', '--', 'true']));
    startup.version.push(await timeExit(process.execPath, [compiled, 'version']));
  }
  const load = (): string => `load average ${loadavg()[0]?.toFixed(1) ?? '?'}`;
  const bare = median(startup.bare);
  const version = median(startup.version);
  for (const [key, name] of [
    ['js', 'jobkit exec -- true, compiled CLI (dist, as in the image): spawn to exit (median)'],
    ['ts', 'jobkit exec -- true, .ts sources: spawn to exit (median)'],
  ] as const) {
    const value = median(startup[key]);
    figures.push({
      name,
      value,
      unit: 'ms',
      baseline: bare,
      baselineName: 'bare true',
      ratio: lowerIsBetter(value, bare),
      note: `adds ${Math.round(value - bare)} ms once per pod; compiled \`jobkit version\` alone: ${Math.round(version)} ms; ${RUNS} spawns each, interleaved; ${load()}`,
    });
  }

  // 2. Log throughput
  const rates = async (cli: string | undefined, logs: 'json' | 'raw', lines: number, rate: number, kind: Kind): Promise<number> => {
    const got: number[] = [];
    for (let i = 0; i < LOG_REPEATS; i++) got.push((await emit(cli, logs, lines, rate, kind)).rate);
    return median(got);
  };
  for (const [label, lines, rate, kind, modes] of [
    [`${RATE / 1000}k lines/s offered`, THROTTLED_LINES, RATE, 'text', ['json', 'raw']],
    [`${RATE / 1000}k JSON-object lines/s offered`, THROTTLED_LINES, RATE, 'json', ['json']],
    ['unthrottled', UNTHROTTLED_LINES, 0, 'text', ['json', 'raw']],
    ['unthrottled JSON-object lines', UNTHROTTLED_LINES, 0, 'json', ['json']],
  ] as const) {
    const baseline = await rates(undefined, 'raw', lines, rate, kind);
    for (const logs of modes) {
      const value = await rates(compiled, logs, lines, rate, kind);
      figures.push({
        name: `log lines through jobkit exec --logs ${logs}, ${label}`,
        value: round(value),
        unit: 'lines/s',
        baseline: round(baseline),
        baselineName: 'the child writing to /dev/null',
        ratio: higherIsBetter(value, baseline),
        ...(rate > 0 ? { target: '>= 0.8' } : {}),
        note: `${lines} lines of ~95 bytes, median of ${LOG_REPEATS}; compiled CLI, supervisor output to /dev/null${logs === 'json' ? `, each line a pino JSON log line with the identity${kind === 'json' ? ' (the child line parsed, its fields merged)' : ''}` : ', inherited stdio (no copy)'}; ${load()}`,
      });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

writeResults('exec', figures);
