/**
 * Runs an example's Job manifest under the real `jobkit run` (with seeded
 * chaos) against the real S3 server and Pushgateway started by the e2e global
 * setup, and reads back what the test checks: outputs, effect counts,
 * checkpoints and pushed metrics.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type ObjectStore, createCheckpointer, joinKey, openStore, resolveIdentity } from '../../../src/index.ts';
import { countEffects } from '../../../examples/shared/effects.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

export type ExampleName = 'etl' | 'training' | 'backfill' | 'nightly-report' | 'python-training';

/** A trial: one `jobkit run` of one example in its own namespace and store prefix. */
export interface Trial {
  readonly namespace: string;
  readonly storeUrl: string;
  /** The trial's own store (closed by the caller). */
  readonly store: ObjectStore;
  readonly startedAtSeconds: number;
}

export interface TrialRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly status: { succeeded?: number; failed?: number; conditions?: { type: string; reason?: string }[] };
  /** What `-o json` printed: the Job, or for a CronJob a v1 List of the CronJob and its Jobs. */
  readonly output: unknown;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: run under the e2e project (global setup)`);
  return value;
}

/** The environment every pod inherits: the real servers. */
function serverEnv(storeUrl: string, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JOBKIT_STORE: storeUrl,
    AWS_ENDPOINT_URL_S3: required('JOBKIT_TEST_S3_ENDPOINT'),
    JOBKIT_PUSHGATEWAY_URL: required('JOBKIT_TEST_PUSHGATEWAY_URL'),
    JOBKIT_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * A fresh trial: unique namespace (so pushed metric groups and jobkit's records
 * never mix with another trial's) and unique S3 prefix.
 *
 * @example
 * ```ts
 * const trial = newTrial('etl');
 * ```
 */
export function newTrial(example: ExampleName): Trial {
  const id = randomUUID().slice(0, 8);
  const namespace = `e2e-${example}-${id}`;
  const storeUrl = `s3://${required('JOBKIT_TEST_S3_BUCKET')}/examples-e2e/${namespace}`;
  const store = openStore(storeUrl, { env: serverEnv(storeUrl, {}) });
  return { namespace, storeUrl, store, startedAtSeconds: Math.floor(Date.now() / 1000) };
}

/**
 * Run `examples/<example>/job.yaml` (its namespace replaced by the trial's)
 * under `jobkit run -o json`.
 *
 * @example
 * ```ts
 * const run = await runExample('etl', trial, { chaos: 'preempt=1,kill=1', seed: 7, env: { ETL_INPUT_OBJECTS: '12' } });
 * ```
 */
export async function runExample(
  example: ExampleName,
  trial: Trial,
  options: {
    readonly chaos?: string;
    /** Latest moment of a chaos action after its pod start: late enough to land mid-work. */
    readonly chaosMaxDelayMs?: number;
    readonly seed: number;
    readonly env: Readonly<Record<string, string>>;
    /** The example's manifest file. @default 'job.yaml' */
    readonly manifest?: string;
    /** More `jobkit run` arguments (a CronJob's clock, manual runs). */
    readonly args?: readonly string[];
  },
): Promise<TrialRun> {
  const manifest = parse(readFileSync(join(ROOT, 'examples', example, options.manifest ?? 'job.yaml'), 'utf8')) as {
    metadata: Record<string, unknown>;
  };
  manifest.metadata.namespace = trial.namespace;
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-examples-e2e-'));
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(manifest));
  const args = [CLI, 'run', '-f', file, '-o', 'json', '--backoff-scale', '0.01', '--seed', String(options.seed)];
  if (options.chaos !== undefined) args.push('--chaos', options.chaos, '--chaos-max-delay', String(options.chaosMaxDelayMs ?? 1_000));
  args.push(...(options.args ?? []));
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: serverEnv(trial.storeUrl, options.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const output = stdout.trim() === '' ? {} : (JSON.parse(stdout) as { status?: TrialRun['status'] });
        resolve({ code, stderr, status: output.status ?? {}, output });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every object under a prefix (key segments), by key relative to it (segments decoded).
 *
 * @example
 * ```ts
 * const outputs = await readObjects(trial.store, ['etl', 'output']);
 * ```
 */
export async function readObjects(store: ObjectStore, prefix: readonly string[]): Promise<Map<string, Buffer>> {
  const base = `${joinKey(...prefix)}/`;
  const out = new Map<string, Buffer>();
  for await (const info of store.list(base)) {
    const object = await store.get(info.key);
    const relative = info.key.slice(base.length).split('/').map(decodeURIComponent).join('/');
    if (object !== undefined) out.set(relative, Buffer.from(object.body));
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export { countEffects };

/**
 * Verify every index's checkpoint line: the newest committed checkpoint loads
 * and verifies (no fallback to an older one). Returns the loaded seq per index,
 * or undefined for an index that never committed one.
 *
 * @example
 * ```ts
 * const seqs = await verifyCheckpoints(trial, 'etl', 3); // [4, 4, 5]
 * ```
 */
export async function verifyCheckpoints(trial: Trial, jobName: string, count: number): Promise<(number | undefined)[]> {
  const seqs: (number | undefined)[] = [];
  for (let index = 0; index < count; index++) {
    const identity = resolveIdentity(
      { JOBKIT_JOB_NAME: jobName, JOBKIT_NAMESPACE: trial.namespace, JOBKIT_INDEX: String(index), JOBKIT_COUNT: String(count) },
      { platform: 'local' },
    );
    const cp = createCheckpointer({ store: trial.store, identity });
    const committed = await cp.list();
    const loaded = await cp.load();
    try {
      if (committed[0]?.seq !== loaded?.seq) {
        throw new Error(
          `index ${index}: newest committed checkpoint is #${committed[0]?.seq} but #${loaded?.seq} loaded (a checkpoint failed verification)`,
        );
      }
      for (const part of loaded?.parts.values() ?? []) await part.buffer();
      seqs.push(loaded?.seq);
    } finally {
      await loaded?.dispose();
      await cp.close();
    }
  }
  return seqs;
}

/** One group as the Pushgateway's /api/v1/metrics reports it. */
export interface PushedGroup {
  readonly labels: Readonly<Record<string, string>>;
  /** Metric name -> the values of its samples. */
  readonly metrics: ReadonlyMap<string, number[]>;
  readonly pushTimeSeconds: number;
}

/**
 * The groups pushed for a trial's namespace, read from the real Pushgateway.
 *
 * @example
 * ```ts
 * const groups = await pushedGroups(trial); // one per index
 * ```
 */
export async function pushedGroups(trial: Trial): Promise<PushedGroup[]> {
  const response = await fetch(`${required('JOBKIT_TEST_PUSHGATEWAY_URL')}/api/v1/metrics`);
  if (!response.ok) throw new Error(`pushgateway /api/v1/metrics answered ${response.status}`);
  const body = (await response.json()) as { data?: Record<string, unknown>[] };
  const groups: PushedGroup[] = [];
  for (const group of body.data ?? []) {
    const labels = (group.labels ?? {}) as Record<string, string>;
    if (labels.namespace !== trial.namespace) continue;
    const metrics = new Map<string, number[]>();
    let pushTimeSeconds = 0;
    for (const [name, family] of Object.entries(group)) {
      if (name === 'labels' || family === null || typeof family !== 'object') continue;
      const samples = ((family as { metrics?: { value?: string }[] }).metrics ?? []).map((m) => Number(m.value));
      metrics.set(name, samples);
      if (name === 'push_time_seconds') pushTimeSeconds = samples[0] ?? 0;
    }
    groups.push({ labels, metrics, pushTimeSeconds });
  }
  return groups.sort((a, b) => Number(a.labels.index) - Number(b.labels.index));
}

/** How many seeded chaos trials to run: the full set by default, a few with JOBKIT_TEST_QUICK=1. */
export function trialCount(quick: number, full: number): number {
  return process.env.JOBKIT_TEST_QUICK === '1' ? quick : full;
}
