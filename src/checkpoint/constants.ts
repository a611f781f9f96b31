/**
 * Defaults and limits of the checkpointer. The option types (types.ts) point
 * their `@default` tags here; docs/checkpoints.md and docs/configuration.md
 * quote these values, and the env reader (config.ts) checks against the
 * limits.
 */
import type { ChecksumAlgorithm, SavePolicy } from './types.ts';

const MiB = 2 ** 20;

/**
 * Defaults of {@link createCheckpointer}'s options (see docs/checkpoints.md).
 *
 * @example
 * ```ts
 * createCheckpointer({ store, identity, partSize: 2 * CHECKPOINT_DEFAULTS.partSize });
 * ```
 */
export const CHECKPOINT_DEFAULTS = {
  /**
   * Committed checkpoints kept: the newest plus two to fall back on when one
   * fails verification on load, without paying for a long history.
   *
   * @default 3
   */
  keep: 3,
  /**
   * Multipart part size in bytes: big enough that a GiB of state is 64 parts
   * (few requests), small enough that a changed part re-uploads quickly and
   * `partSize x concurrency` stays a modest buffer.
   *
   * @default 16_777_216 (16 MiB)
   */
  partSize: 16 * MiB,
  /**
   * Multipart parts in flight: enough to fill a pod's link to S3; memory is
   * about `partSize x concurrency`.
   *
   * @default 4
   */
  concurrency: 4,
  /**
   * State whose JSON is at most this many bytes is stored inside the manifest:
   * one object fewer per save for the common small state (cursors, counters).
   *
   * @default 262_144 (256 KiB)
   */
  inlineStateMaxBytes: 256 * 1024,
  /**
   * Loaded parts up to this size stay in memory; larger ones are spooled to
   * disk, so loading a large checkpoint does not need its size in heap.
   *
   * @default 67_108_864 (64 MiB)
   */
  inMemoryMaxBytes: 64 * MiB,
  /**
   * Budget of the final save at shutdown when neither
   * JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS nor JOBKIT_GRACE_PERIOD_SECONDS is
   * set: a third of Kubernetes' default 30 s grace period, leaving the rest
   * to the release and telemetry phases.
   *
   * @default 10_000
   */
  finalSaveBudgetMs: 10_000,
  /**
   * Part checksum: SHA-256 is collision-resistant, so an unchanged part is
   * skipped on re-upload by its checksum with no doubt; `crc32` is faster on
   * large parts.
   *
   * @default 'sha256'
   */
  checksum: 'sha256' as ChecksumAlgorithm,
} as const;

/**
 * The autosave policy when `saveEvery` is not given: every 30 s of work
 * (reasons in policy.ts). A given policy replaces it as a whole.
 *
 * @default { seconds: 30 }
 * @example
 * ```ts
 * createCheckpointer({ store, identity, saveEvery: { ...DEFAULT_SAVE_EVERY, items: 10_000 } });
 * ```
 */
export const DEFAULT_SAVE_EVERY: SavePolicy = Object.freeze({ seconds: 30 });

/**
 * Share of JOBKIT_GRACE_PERIOD_SECONDS the final save may use when
 * JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS is not set; the rest is for the later
 * shutdown phases (release, telemetry, logs) and the exit margin.
 *
 * @default 0.6
 */
export const FINAL_SAVE_SHARE = 0.6;

/**
 * Smallest final-save budget derived from the grace period: below a second a
 * save of even a small state rarely lands.
 *
 * @default 1_000
 */
export const MIN_DERIVED_FINAL_SAVE_MS = 1_000;

/** S3's smallest multipart part (except the last): the least `partSize` accepts. */
export const MIN_PART_SIZE = 5 * MiB;

/** S3's largest part, in MiB: the most JOBKIT_CHECKPOINT_PART_SIZE_MB accepts. */
export const MAX_PART_SIZE_MB = 5 * 1024;

/** Most parts in flight JOBKIT_CHECKPOINT_CONCURRENCY accepts (beyond that, memory and sockets, not speed, grow). */
export const MAX_CONCURRENCY = 64;

/** The values of JOBKIT_CHECKPOINT_SIGNAL: the signal that asks for a checkpoint now, or `off`. */
export const CHECKPOINT_SIGNALS = ['SIGUSR1', 'SIGUSR2', 'off'] as const;

/**
 * The signal that asks a running job for a checkpoint now (a scheduler
 * preempting cooperatively). Listening to it also stops Node's own use of
 * SIGUSR1, which would start the inspector on 127.0.0.1:9229.
 *
 * @default 'SIGUSR1'
 */
export const DEFAULT_CHECKPOINT_SIGNAL = 'SIGUSR1';
