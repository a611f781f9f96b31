/**
 * The example Jobs as the e2e and conformance tiers run them: their settings,
 * where their outputs and effect records are, and the checks every run of
 * them must pass (complete, each side effect once, metrics pushed).
 */
import { expect } from 'vitest';
import { type ExampleName, type Trial, type TrialRun, countEffects, pushedGroups, trialCount } from './harness.ts';

export interface ExampleSpec {
  readonly name: ExampleName;
  /** metadata.name of its manifest: the job name in keys and metric groups. */
  readonly jobName: string;
  readonly completions: number;
  readonly env: Readonly<Record<string, string>>;
  readonly outputs: readonly string[];
  readonly effects: readonly string[];
  /** Output names -> the effect names they imply. */
  readonly effectName: (outputKey: string) => string;
  readonly checkpoints: boolean;
  /** Chaos is armed at a pod's first line and fires up to this long after it: within the pod's work. */
  readonly chaosMaxDelayMs: number;
  readonly trials: number;
}

export const EXAMPLES: readonly ExampleSpec[] = [
  {
    name: 'etl',
    jobName: 'etl',
    completions: 3,
    env: { ETL_INPUT_OBJECTS: '18', ETL_RECORDS_PER_OBJECT: '200', ETL_ITEM_DELAY_MS: '250', ETL_CHECKPOINT_EVERY: '3' },
    outputs: ['etl', 'output'],
    effects: ['etl', 'effects'],
    effectName: (key) => key.replace(/\.json$/, ''),
    checkpoints: true,
    chaosMaxDelayMs: 1_500,
    trials: trialCount(2, 8),
  },
  {
    name: 'training',
    jobName: 'train',
    completions: 2,
    env: {
      TRAIN_MODEL_MIB: '6',
      TRAIN_EPOCHS: '2',
      TRAIN_STEPS_PER_EPOCH: '12',
      TRAIN_CHECKPOINT_EVERY: '4',
      TRAIN_STEP_DELAY_MS: '50',
    },
    outputs: ['train', 'models'],
    effects: ['train', 'effects'],
    effectName: (key) => key.split('/')[0] ?? key,
    checkpoints: true,
    chaosMaxDelayMs: 1_000,
    trials: trialCount(2, 6),
  },
  {
    name: 'backfill',
    jobName: 'backfill',
    completions: 3,
    env: { BACKFILL_ROWS: '6000', BACKFILL_CHUNKS: '18', BACKFILL_CHUNK_MS: '100', BACKFILL_SLOW_FACTOR: '4' },
    outputs: ['backfill', 'output'],
    effects: ['backfill', 'effects'],
    effectName: (key) => key.replace(/\.json$/, ''),
    checkpoints: false,
    chaosMaxDelayMs: 1_500,
    trials: trialCount(2, 8),
  },
];

export function expectComplete(run: TrialRun): void {
  const complete = run.status.conditions?.find((c) => c.type === 'Complete');
  expect(complete, `the Job did not complete:\n${run.stderr.slice(-4_000)}`).toBeDefined();
  expect(run.code).toBe(0);
}

export async function expectEffectsOnce(spec: ExampleSpec, trial: Trial, outputKeys: readonly string[]): Promise<void> {
  const counts = await countEffects(trial.store, spec.effects);
  const expected = new Map([...new Set(outputKeys.map(spec.effectName))].map((name) => [name, 1]));
  expect(new Map([...counts.entries()].sort())).toEqual(new Map([...expected.entries()].sort()));
}

/**
 * `itemsCounted`: the pushed groups hold a positive item count. True of a clean
 * run; under chaos each index's group is the push of its last pod, which may be
 * a replacement or duplicate that found every item already done (0 items, as it
 * should say), so there only the series' presence is required.
 */
export async function expectMetricsPushed(spec: ExampleSpec, trial: Trial, itemsCounted: boolean): Promise<void> {
  const groups = await pushedGroups(trial);
  expect(groups.map((g) => g.labels.index)).toEqual(Array.from({ length: spec.completions }, (_, i) => String(i)));
  for (const group of groups) {
    expect(group.labels.job).toBe(spec.jobName);
    expect(group.pushTimeSeconds).toBeGreaterThanOrEqual(trial.startedAtSeconds - 1);
    expect(group.metrics.get('jobkit_job_exit_code')?.length).toBe(1);
  }
  for (const group of groups) expect(group.metrics.get('jobkit_items_total'), `index ${group.labels.index}`).toBeDefined();
  const items = groups.flatMap((g) => g.metrics.get('jobkit_items_total') ?? []);
  if (itemsCounted) expect(items.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
}
