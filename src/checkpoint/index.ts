/**
 * Checkpoint/resume on an ObjectStore: atomic commits, fencing epochs,
 * verified loads with fallback, retention, autosave and a final save on SIGTERM.
 */
export { createCheckpointer } from './checkpointer.ts';
export { CHECKPOINT_DEFAULTS, DEFAULT_SAVE_EVERY } from './constants.ts';
export { checkpointOptionsFromEnv, checkpointSignalFromEnv, type CheckpointEnvOptions, type CheckpointSignal } from './config.ts';
export { CheckpointCorruptError, CheckpointFormatError, CheckpointSourceChangedError, CheckpointStateError } from './errors.ts';
export type {
  BackgroundSave,
  BeforeCommitOptions,
  CheckpointInfo,
  CheckpointMetrics,
  Checkpointer,
  CheckpointerOptions,
  ChecksumAlgorithm,
  CommitInfo,
  LoadedCheckpoint,
  LoadedPart,
  PartSource,
  PartSources,
  SaveOptions,
  SavePolicy,
  Snapshot,
  SnapshotOptions,
} from './types.ts';
