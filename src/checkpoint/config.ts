/**
 * The env form of the checkpointer's options (12-factor: the generated
 * manifest or the platform team sets them; options in code win). A bad value
 * is a ConfigurationError naming the variable and the value.
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_CHECKPOINT_SCOPE | `scope` |
 * | JOBKIT_CHECKPOINT_KEEP | `keep` |
 * | JOBKIT_CHECKPOINT_EVERY_ITEMS / _EVERY_SECONDS | `saveEvery.items` / `.seconds` |
 * | JOBKIT_CHECKPOINT_PART_SIZE_MB / _CONCURRENCY | `partSize` / `concurrency` |
 * | JOBKIT_CHECKPOINT_CHECKSUM | `checksum` (`sha256`, `crc32`) |
 * | JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS | `finalSave.budgetMs`; `0` disables the final save |
 * | JOBKIT_GRACE_PERIOD_SECONDS | default final-save budget: 60% of the grace period |
 */
import { type Env, readChoice, readInteger, readNumber, readString } from '../runtime/config.ts';
import { CHECKSUM_ALGORITHMS } from './checksum.ts';
import { CHECKPOINT_SIGNALS, DEFAULT_CHECKPOINT_SIGNAL, FINAL_SAVE_SHARE, MAX_CONCURRENCY, MAX_PART_SIZE_MB, MIN_DERIVED_FINAL_SAVE_MS, MIN_PART_SIZE } from './constants.ts';
import type { CheckpointerOptions, SavePolicy } from './types.ts';

const MiB = 2 ** 20;

/** The options that have an env form. */
export type CheckpointEnvOptions = Pick<
  CheckpointerOptions<unknown>,
  'scope' | 'keep' | 'saveEvery' | 'partSize' | 'concurrency' | 'checksum' | 'finalSave'
>;

/**
 * Read the checkpointer's options from the environment; absent variables are
 * left out so that the defaults (or options given in code) apply.
 *
 * @example
 * ```ts
 * const cp = createCheckpointer({ ...checkpointOptionsFromEnv(process.env), store, identity, lifecycle });
 * ```
 */
export function checkpointOptionsFromEnv(env: Env): CheckpointEnvOptions {
  const items = readInteger(env, 'JOBKIT_CHECKPOINT_EVERY_ITEMS', { min: 1 });
  const seconds = readNumber(env, 'JOBKIT_CHECKPOINT_EVERY_SECONDS', { min: 0, minExclusive: true });
  const partSizeMb = readInteger(env, 'JOBKIT_CHECKPOINT_PART_SIZE_MB', { min: MIN_PART_SIZE / MiB, max: MAX_PART_SIZE_MB });
  const finalSeconds = readNumber(env, 'JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS', { min: 0 });
  const grace = readNumber(env, 'JOBKIT_GRACE_PERIOD_SECONDS', { min: 0, minExclusive: true });
  const saveEvery: SavePolicy | undefined =
    items === undefined && seconds === undefined
      ? undefined
      : { ...(items === undefined ? {} : { items }), ...(seconds === undefined ? {} : { seconds }) };
  const finalSave =
    finalSeconds === 0
      ? false
      : finalSeconds !== undefined
        ? { budgetMs: Math.round(finalSeconds * 1000) }
        : grace !== undefined
          ? { budgetMs: Math.max(MIN_DERIVED_FINAL_SAVE_MS, Math.round(grace * 1000 * FINAL_SAVE_SHARE)) }
          : undefined;
  const found: { -readonly [K in keyof CheckpointEnvOptions]: CheckpointEnvOptions[K] } = {
    scope: readString(env, 'JOBKIT_CHECKPOINT_SCOPE'),
    keep: readInteger(env, 'JOBKIT_CHECKPOINT_KEEP', { min: 1 }),
    saveEvery,
    partSize: partSizeMb === undefined ? undefined : partSizeMb * MiB,
    concurrency: readInteger(env, 'JOBKIT_CHECKPOINT_CONCURRENCY', { min: 1, max: MAX_CONCURRENCY }),
    checksum: readChoice(env, 'JOBKIT_CHECKPOINT_CHECKSUM', CHECKSUM_ALGORITHMS),
    finalSave,
  };
  // Absent variables must not override options given in code with `undefined`.
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
}

/** What JOBKIT_CHECKPOINT_SIGNAL can say: a signal to listen to, or `off`. */
export type CheckpointSignal = (typeof CHECKPOINT_SIGNALS)[number];

/**
 * The signal that asks for a checkpoint now (JOBKIT_CHECKPOINT_SIGNAL:
 * `SIGUSR1`, `SIGUSR2` or `off`); the code option `checkpointSignal` of
 * runJob wins.
 *
 * @throws ConfigurationError naming the variable on another value.
 * @example
 * ```ts
 * checkpointSignalFromEnv({}); // 'SIGUSR1'
 * checkpointSignalFromEnv({ JOBKIT_CHECKPOINT_SIGNAL: 'off' }); // 'off'
 * ```
 */
export function checkpointSignalFromEnv(env: Env): CheckpointSignal {
  return readChoice(env, 'JOBKIT_CHECKPOINT_SIGNAL', CHECKPOINT_SIGNALS) ?? DEFAULT_CHECKPOINT_SIGNAL;
}
