/**
 * Index-aware sharding: pure strategies, frozen plans of store prefixes,
 * resumable cursors and the work-queue lease mode.
 */
export type { DuplicateKeyPolicy, ItemGuard, RangeStrategy, ShardCursor, ShardIterationOptions, ShardSpec, ShardStrategy } from './types.ts';
export type { GuardedKeys } from './guarded.ts';
export { DuplicateShardKeyError, LeaseLostError, ShardPlanError, WorkQueueRecordError } from './errors.ts';
export { findDuplicateKeys, validateShardSpec } from './validate.ts';
export { jumpConsistentHash, shardOfKey, stableKeyHash } from './hash.ts';
export { assignWeighted } from './weighted.ts';
export {
  type IntegerRange,
  type IntegerShare,
  type ItemAccessors,
  type ShardAsyncItemsOptions,
  type ShardItemsOptions,
  assignShards,
  contiguousBounds,
  shardAsyncItems,
  shardItems,
  shardRange,
} from './strategies.ts';
export { ResumableSequence, resumableRange } from './cursor.ts';
export { type ShardInput, readOnlyStore } from './input.ts';
export { DEFAULT_PLAN_PAGE_SIZE } from './constants.ts';
export {
  type FreezeShardPlanOptions,
  FrozenShardPlan,
  PlanShardIterator,
  type PlannedObject,
  type ShardPlanInfo,
  type ShardPlanLocation,
  deleteShardPlan,
  freezeShardPlan,
  loadShardPlan,
  shardPlanKey,
} from './plan.ts';
export {
  type ChunkContext,
  type ChunkStatus,
  WorkQueue,
  type WorkQueueOptions,
  type WorkQueueSummary,
  type WorkQueueProgress,
  chunkBounds,
  createWorkQueue,
} from './work-queue.ts';
export type { ChunkState } from './queue-format.ts';
export { type ShardHelperDeps, type ShardHelpers, type ShardObjectsOptions, type ShareProgress, createShardHelpers } from './helpers.ts';
