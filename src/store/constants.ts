/**
 * Defaults and limits of the stores' options. The option types (S3Tuning in
 * s3-config.ts) point their `@default` tags here; docs/stores.md and
 * docs/configuration.md quote these values, and the env reader checks
 * against the limits.
 */

/** Bytes in a MiB (part sizes are given in MiB in the environment). */
export const MIB = 1024 * 1024;

/** S3's smallest part (except the last). */
export const MIN_PART_SIZE = 5 * MIB;

/** S3's largest part. */
export const MAX_PART_SIZE = 5 * 1024 * MIB;

/**
 * Where the default store lives, relative to the working directory: a
 * directory `jobkit run` pods share on one machine, and that `.gitignore`
 * patterns for dot-directories already skip.
 *
 * @default '.jobkit/store'
 */
export const DEFAULT_STORE_DIR = '.jobkit/store';

/** Defaults of the S3 store's tuning ({@link S3Tuning}). */
export const S3_DEFAULTS = {
  /**
   * Most sockets open to S3 at once: room for the multipart uploads of a few
   * streams and concurrent GETs, below what one pod's NAT usually allows.
   *
   * @default 32
   */
  maxSockets: 32,
  /**
   * Multipart part size in bytes: a little over S3's 5 MiB minimum, so small
   * objects stay single-part and a stream's buffer (`partSize x
   * uploadConcurrency`) is 32 MiB.
   *
   * @default 8_388_608 (8 MiB)
   */
  partSize: 8 * MIB,
  /**
   * Parts uploaded at once per stream: enough to fill a pod's link.
   *
   * @default 4
   */
  uploadConcurrency: 4,
  /**
   * Attempts per request, including the SDK's retries: the SDK's own default;
   * jobkit's retry and the Job's back-off handle longer outages.
   *
   * @default 3
   */
  maxAttempts: 3,
  /**
   * Per-request socket timeout in ms: a minute lets a large part upload on a
   * slow link and still turns a hung connection into a retry.
   *
   * @default 60_000
   */
  requestTimeoutMs: 60_000,
  /**
   * Connection timeout in ms (no option): an endpoint that does not accept
   * within 10 s is unreachable, not slow.
   *
   * @default 10_000
   */
  connectionTimeoutMs: 10_000,
} as const;

/** Accepted ranges of the integer S3 tunables, `[min, max]`, for code options and their JOBKIT_S3_* forms alike. */
export const S3_LIMITS = {
  maxSockets: [1, 4096],
  /** In MiB for JOBKIT_S3_PART_SIZE_MB; in bytes, MIN_PART_SIZE..MAX_PART_SIZE. */
  partSizeMb: [MIN_PART_SIZE / MIB, MAX_PART_SIZE / MIB],
  uploadConcurrency: [1, 64],
  maxAttempts: [1, 20],
  requestTimeoutMs: [100, 3_600_000],
} as const satisfies Record<string, readonly [number, number]>;
