/**
 * The README's quick start, run as a reader would run it: its ```ts block
 * written to job.ts verbatim (plus a stub of the one function it leaves to the
 * reader, `upsertRows`), and its ```sh block run verbatim by bash in the same
 * directory, with the real `jobkit` command (the built package's bin) on PATH.
 * The job has to complete under the block's own chaos and seed, and every row
 * has to land exactly once. A README edit that breaks the quick start (a
 * renamed file, a dropped `--store`, code that no longer runs) fails here.
 * A second run adds only later chaos (and a shorter back-off) to the block's
 * jobkit run line, so that the preemptions cut batches short and the resume
 * and takeover paths of the quick start's code are exercised too.
 *
 * About 35 s for both runs on 2 cores (the verbatim one waits out the Job
 * controller's 10 s re-creation back-off after its preemptions).
 *
 * Needs dist/ (the package's "exports" and "bin" point there): scripts/test.sh
 * builds it before the tests run.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = join(ROOT, 'README.md');
const DIST_CLI = join(ROOT, 'dist/cli/main.js');

/** One fenced code block of a Markdown file. */
interface CodeBlock {
  /** The info string's first word (`ts`, `sh`), '' for none. */
  readonly lang: string;
  readonly body: string;
  /** The `## ` heading the block sits under ('' before the first one). */
  readonly section: string;
  /** 1-based line of the opening fence, for error messages. */
  readonly line: number;
}

/**
 * Every fenced code block with the level-2 section it belongs to. Headings
 * inside fences are not headings, so the fences are tracked line by line
 * (backtick or tilde fences, closed by a fence of the same character at least
 * as long, as CommonMark has it).
 */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let section = '';
  let open: { fence: string; lang: string; line: number; body: string[] } | undefined;
  lines.forEach((text, i) => {
    if (open !== undefined) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text);
      if (close?.[1] !== undefined && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
        blocks.push({ lang: open.lang, body: `${open.body.join('\n')}\n`, section, line: open.line });
        open = undefined;
      } else {
        open.body.push(text);
      }
      return;
    }
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (fence?.[1] !== undefined) {
      open = { fence: fence[1], lang: fence[2] ?? '', line: i + 1, body: [] };
      return;
    }
    const heading = /^##\s+(.+?)\s*#*\s*$/.exec(text);
    if (heading?.[1] !== undefined) section = heading[1];
  });
  if (open !== undefined) throw new Error(`README.md:${open.line}: code fence never closed`);
  return blocks;
}

/** The quick start's one ```ts and one ```sh block; a clear error when the section or a block is missing or ambiguous. */
function quickStart(markdown: string): { ts: CodeBlock; sh: CodeBlock } {
  const blocks = codeBlocks(markdown).filter((b) => b.section.toLowerCase() === 'quick start');
  const pick = (langs: readonly string[]): CodeBlock => {
    const found = blocks.filter((b) => langs.includes(b.lang));
    if (found.length !== 1) {
      throw new Error(
        `README.md: the "## Quick start" section must hold exactly one \`\`\`${langs[0]} block, found ${found.length}` +
          ` (blocks there: ${blocks.map((b) => `${b.lang || '(none)'} at line ${b.line}`).join(', ') || 'none'})`,
      );
    }
    return found[0] as CodeBlock;
  };
  return { ts: pick(['ts', 'typescript']), sh: pick(['sh', 'bash', 'shell']) };
}

/** A shell command of the block: continuation lines joined, comments dropped, split into words (quotes removed; enough for the checks below). */
function shellCommands(script: string): string[][] {
  return script
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/).map((word) => word.replace(/^"(.*)"$/, '$1')));
}

/** The word after `flag` in a command, or undefined. */
function option(words: readonly string[], flag: string): string | undefined {
  const i = words.indexOf(flag);
  return i < 0 ? undefined : words[i + 1];
}

/** Single-quoted for sh, so temp and checkout paths with any character survive. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The user's `upsertRows`, appended to job.ts. It writes each row of
 * [from, to) as one line of rows.txt next to job.ts (an append: NOT idempotent
 * by itself, like most real sinks), honours `signal` so a preemption can cut a
 * batch short halfway, and on `takeover: true` first reads which rows of the
 * batch an earlier, cut-short run already wrote and skips them. That check plus
 * the idempotency record per batch is what the README promises makes the rows
 * land exactly once. A 1 ms pause every 10 rows (every STUB_PACE_ROWS rows
 * when the test sets that variable for the pods) gives every index a floor of
 * wall-clock time, about 1.3 s, so that the chaos actions (due 250..1000 ms
 * after a pod start) always find pods still running instead of a finished job.
 */
const STUB = `
// ---- appended by test/e2e/quickstart: the reader's upsertRows ----
// A function declaration and no top-level const: the block's top-level await
// runs the job before anything declared below it is initialized (only
// declarations and imports are hoisted).
import { appendFileSync as stubAppend, readFileSync as stubRead } from 'node:fs';
import { setTimeout as stubSleep } from 'node:timers/promises';

async function upsertRows(from: number, to: number, { signal, takeover }: { signal: AbortSignal; takeover: boolean }): Promise<void> {
  const file = new URL('./rows.txt', import.meta.url);
  const paceRows = Number(process.env.STUB_PACE_ROWS ?? '10');
  const done = new Set<number>();
  if (takeover) {
    let text = '';
    try {
      text = stubRead(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\\n')) {
      const row = Number(line);
      if (line !== '' && row >= from && row < to) done.add(row);
    }
    console.error(\`upsertRows: takeover of [\${from}, \${to}): \${done.size} rows already written\`);
  }
  for (let row = from; row < to; row++) {
    signal.throwIfAborted();
    if (!done.has(row)) stubAppend(file, \`\${row}\\n\`); // one small O_APPEND write: never torn
    if ((row - from) % paceRows === paceRows - 1) await stubSleep(1, undefined, { signal });
  }
}
`;

interface BashResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Longest the block may run: below the test's timeout, so a hung run still reports its stderr. */
const RUN_DEADLINE_MS = 100_000;

async function bash(scriptFile: string, cwd: string, env: NodeJS.ProcessEnv): Promise<BashResult> {
  const started = Date.now();
  return await new Promise((resolve, reject) => {
    // -e: a failing command of the block fails the run, as a reader would notice; -u, pipefail: no silent half-runs.
    // detached: bash leads its own process group, so a run past the deadline can be stopped as a whole.
    const child = spawn('bash', ['-euo', 'pipefail', scriptFile], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    // SIGINT first: jobkit run then kills every pod and exits 130; SIGKILL if that does not end it.
    const stop = setTimeout(() => {
      stderr += `\n[test] the block ran past ${RUN_DEADLINE_MS} ms: interrupting it\n`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, 5_000).unref();
    }, RUN_DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(stop);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// One temp dir per file; each run gets its own subdirectory, removed at the end.
const work = mkdtempSync(join(tmpdir(), 'jobkit-quickstart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Write the reader's project into `<work>/<label>`, run `script` (the sh block,
 * or a variant of it) there with bash, and check what the quick start promises:
 * exit 0, the Job Complete with every index, the block's preemptions applied,
 * every row of the block's ROWS exactly once, the store the block names, and
 * the kubectl step reached.
 */
async function runAndCheck(label: string, script: string, podEnv: Readonly<Record<string, string>>): Promise<void> {
  if (!existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing: run \`npm run build\` first (scripts/test.sh does)`);
  const { ts } = quickStart(readFileSync(README, 'utf8'));
  const rowsMatch = /^const ROWS = ([\d_]+);$/m.exec(ts.body);
  if (rowsMatch?.[1] === undefined) throw new Error(`README.md:${ts.line}: the quick start no longer declares \`const ROWS = <number>;\``);
  // The README's own count (100,000) is kept: the verbatim block runs in about 16 s on 2 cores.
  const rows = Number(rowsMatch[1].replace(/_/g, ''));
  const commands = shellCommands(script);
  const manifestCommand = commands.find((c) => c[0] === 'jobkit' && c[1] === 'manifest') ?? [];
  const runCommand = commands.find((c) => c[0] === 'jobkit' && c[1] === 'run') ?? [];
  const completions = Number(option(manifestCommand, '--completions') ?? '1');
  const preempts = Number(/preempt=(\d+)/.exec(option(runCommand, '--chaos') ?? '')?.[1] ?? '0');

  // The reader's project: job.ts, "type": "module" (as the README's Install
  // section asks), and `jobkit` importable. node_modules/jobkit is a symlink to
  // this checkout, so the import goes through package.json "exports" to dist/,
  // as an installed package's would, with no registry and no pack.
  const base = join(work, label);
  const app = join(base, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(app, 'node_modules/jobkit'), 'dir');
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'quickstart', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(app, 'job.ts'), ts.body + STUB);
  writeFileSync(join(app, 'quickstart.sh'), script);

  // `jobkit` is the package's bin (dist/cli/main.js) under this Node. `kubectl`
  // is a stub that only records its arguments: the block's last step deploys
  // to a cluster, which a test must never reach, and the block still runs
  // whole, every line included.
  const bin = join(base, 'bin');
  const kubectlLog = join(base, 'kubectl.log');
  mkdirSync(bin);
  writeFileSync(join(bin, 'jobkit'), `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(DIST_CLI)} "$@"\n`);
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${shQuote(kubectlLog)}\n`);
  chmodSync(join(bin, 'jobkit'), 0o755);
  chmodSync(join(bin, 'kubectl'), 0o755);

  // A reader's shell has none of the test servers' settings: drop every JOBKIT_*
  // (and AWS_*/OTEL_*) the e2e setup exported, so only the manifest configures the job.
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(JOBKIT_|AWS_|OTEL_)/.test(name)) env[name] = value;
  }
  Object.assign(env, podEnv); // the parent environment reaches every pod
  env.PATH = [bin, dirname(process.execPath), process.env.PATH ?? ''].join(':');

  const result = await bash(join(app, 'quickstart.sh'), app, env);
  const explain = `${label}: bash quickstart.sh exited ${result.code} after ${result.ms} ms\n--- stderr ---\n${result.stderr}`;
  expect(result.code, explain).toBe(0);

  // The manifest step set the store the quick start names, resolved in the reader's directory.
  const job = parse(readFileSync(join(app, 'job.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { command?: string[]; env?: { name: string; value?: string }[] }[] } } };
  };
  const container = job.spec.template.spec.containers[0];
  expect(container?.command).toEqual(['node', 'job.ts']);
  expect(container?.env?.find((e) => e.name === 'JOBKIT_STORE')?.value).toBe(`file://${app}/.jobkit/store`);
  expect(result.stderr, explain).not.toMatch(/JOBKIT_STORE/); // no missing-store warning from jobkit run's lint

  // The Job completed every index, and the chaos the block asks for happened.
  const summary = /^jobkit run: (\w+): succeeded (\d+), failed (\d+), chaos applied (\d+), skipped (\d+)$/m.exec(result.stderr);
  expect(summary, explain).not.toBeNull();
  expect(summary?.[1], explain).toBe('Complete');
  expect(Number(summary?.[2]), explain).toBe(completions);
  expect(preempts).toBeGreaterThan(0);
  expect(Number(summary?.[4]), explain).toBe(preempts);
  expect(Number(summary?.[5]), explain).toBe(0);
  const preempted = [...result.stderr.matchAll(/^jobkit run: chaos: preempting pod (\S+) \(DisruptionTarget, EvictionByEvictionAPI\)$/gm)];
  expect(preempted, explain).toHaveLength(preempts);
  // A preempted pod stops with 143, never 0: killed by the SIGTERM itself when it
  // lands before runJob is listening (pod start-up), or runJob's own 143 after its final save.
  for (const [, pod] of preempted) {
    expect(result.stderr, explain).toMatch(new RegExp(`^jobkit run: pod ${pod} exited with (SIGTERM \\()?exit code 143\\)?$`, 'm'));
  }

  // Every row exactly once: no row lost to a preemption, none written twice by a resumed or taken-over batch.
  const written = readFileSync(join(app, 'rows.txt'), 'utf8').split('\n').filter((l) => l !== '');
  const counts = new Map<string, number>();
  for (const row of written) counts.set(row, (counts.get(row) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([row]) => row);
  const missing = Array.from({ length: rows }, (_, i) => String(i)).filter((row) => !counts.has(row));
  expect({ twice: twice.slice(0, 10), missing: missing.slice(0, 10), total: written.length }, explain).toEqual({ twice: [], missing: [], total: rows });

  // The deploy step was reached (the stub saw the block's kubectl commands, in order).
  const kubectl = commands.filter((c) => c[0] === 'kubectl').map((c) => `${c.slice(1).join(' ')}\n`);
  expect(existsSync(kubectlLog) ? readFileSync(kubectlLog, 'utf8') : '').toBe(kubectl.join(''));
}

describe('the README quick start', () => {
  const readme = readFileSync(README, 'utf8');

  it('has a ts block for job.ts and a sh block whose file names and --store match it', () => {
    const { ts, sh } = quickStart(readme);
    // The ts block names its file in its first line; the sh block must run that file.
    expect(ts.body.split('\n')[0]).toMatch(/^\/\/ job\.ts:/);
    expect(ts.body).toMatch(/\bupsertRows\(/);
    expect(ts.body).not.toMatch(/function upsertRows|const upsertRows/); // left to the reader: the stub supplies it
    const commands = shellCommands(sh.body);
    const manifest = commands.find((c) => c[0] === 'jobkit' && c[1] === 'manifest');
    const run = commands.find((c) => c[0] === 'jobkit' && c[1] === 'run');
    if (manifest === undefined || run === undefined) throw new Error(`README.md:${sh.line}: the quick start's sh block needs a jobkit manifest and a jobkit run command`);
    expect(manifest.slice(manifest.indexOf('--') + 1, manifest.indexOf('>'))).toEqual(['node', 'job.ts']);
    expect(option(manifest, '>')).toBe('job.yaml');
    expect(option(run, '-f')).toBe(option(manifest, '>'));
    // Without --store every pod of a multi-pod Job would get its own disk on a cluster.
    expect(option(manifest, '--store') ?? '', `README.md:${sh.line}: jobkit manifest must pass --store file://…`).toMatch(/^file:\/\//);
    expect(option(run, '--chaos') ?? '', `README.md:${sh.line}: jobkit run must pass --chaos preempt=N`).toMatch(/preempt=[1-9]/);
    expect(option(run, '--seed') ?? '', `README.md:${sh.line}: jobkit run must pass --seed N (deterministic chaos)`).toMatch(/^\d+$/);
    for (const kubectl of commands.filter((c) => c[0] === 'kubectl')) expect(option(kubectl, '-f')).toBe(option(manifest, '>'));
  });

  it('runs verbatim under jobkit run with its chaos: the Job completes and every row lands exactly once', async () => {
    const { sh } = quickStart(readme);
    await runAndCheck('verbatim', sh.body, {});
  }, 120_000);

  it('keeps every row exactly once when the preemptions land mid-batch (the same block, later chaos)', async () => {
    // Not verbatim: the block's jobkit run line gets two more options. Under the
    // block's own 250..1000 ms, both preemptions tend to hit pods still loading
    // (on 2 busy cores a pod needs a second or more to import jobkit), so the
    // verbatim run does not reach the resume and takeover paths. Here the chaos
    // comes 1.5..6 s after a pod start while the stub paces each index to at
    // least about 7 s (a 1 ms pause every 2 rows): the pods are mid-batch when
    // it strikes (observed on 2 cores: both preempted indexes resumed from their
    // checkpoint and took over a half-written batch) and never all done, so no
    // action is skipped. Whether a given preemption lands mid-batch still
    // depends on start-up time, so that is not asserted; exactly-once is, either
    // way. --backoff-scale only shortens the preempted indexes' 10 s re-creation back-off.
    const { sh } = quickStart(readme);
    const script = sh.body.replace(/^(jobkit run .*)$/m, '$1 --chaos-max-delay 6000 --backoff-scale 0.01');
    expect(script, 'the sh block has no one-line jobkit run command to extend').not.toBe(sh.body);
    await runAndCheck('mid-batch', script, { STUB_PACE_ROWS: '2' });
  }, 120_000);
});
