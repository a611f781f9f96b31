/**
 * `jobkit/store`: the ObjectStore contract, the memory and fs backends,
 * opening a store by URL, store keys and the conditional-write probe. The S3
 * backend class is `jobkit/store/s3` (importing it loads the AWS SDK);
 * `openStore('s3://...')` needs no import of it.
 *
 * @example
 * ```ts
 * import { MemoryStore, openStore, requireConditionalWrites } from 'jobkit/store';
 *
 * const store = process.env.CI ? new MemoryStore() : openStore('s3://my-bucket/jobkit');
 * await requireConditionalWrites(store, 'my feature');
 * ```
 */
export type {
  DeleteOptions,
  GetOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutStreamOptions,
  StoreCapabilities,
  StoredObject,
  StoredStream,
  WriteConditions,
} from './types.ts';
export { PreconditionFailedError } from './errors.ts';
export { keySegment, joinKey, scopePrefix, isScopeKeyword, SCOPE_KEYWORDS, type ScopeKeyword, type ScopeOptions } from './keys.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory.ts';
export { FsStore, type FsStoreOptions } from './fs.ts';
export type { S3StoreOptions } from './s3.ts';
export type { S3Tuning, S3ServerSideEncryption, S3ChecksumMode } from './s3-config.ts';
export { S3UnsupportedError } from './s3-errors.ts';
export { openStore, resolveStoreUrl, DEFAULT_STORE_DIR, type OpenStoreOptions } from './open.ts';
export { storeOptionsFromEnv, type StoreEnvOptions } from './config.ts';
export { requireConditionalWrites, probeCapabilities, type ConditionalWriteNeeds, type ProbeOptions, type ProbeTarget } from './probe.ts';
export { replayableBody, type ReplayableBody } from './replayable.ts';
