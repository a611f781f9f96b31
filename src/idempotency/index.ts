/**
 * Idempotency: exactly-once side effects on the object store.
 */
export { createIdempotency, IdempotencyLedger, type WrapOptions } from './ledger.ts';
export type { BatchOptions } from './batch.ts';
export { idempotent, idempotentFn } from './standalone.ts';
export { deriveKey, payloadHash, recordsPrefix, validateKey } from './keys.ts';
export { collectExpiredRecords, type CollectExpiredOptions, type CollectExpiredResult } from './gc.ts';
export { idempotencyOptionsFromEnv, type IdempotencyEnvOptions } from './config.ts';
export {
  IdempotencyKeyError,
  IdempotencyKeyInProgressError,
  IdempotencyLeaseLostError,
  IdempotencyPayloadMismatchError,
  IdempotencyRecordCorruptError,
  IdempotencyRecordedFailureError,
  IdempotencyRecordVersionError,
  IdempotencyResultError,
} from './errors.ts';
export { DEFAULT_CLOCK_SKEW_MARGIN_MS, DEFAULT_LEASE_MS, DEFAULT_TTL_MS, MAX_KEY_LENGTH } from './constants.ts';
export type {
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyEvent,
  IdempotencyOptions,
  IdempotencySettings,
  IdempotencyStats,
  IdempotentCallContext,
  IdempotentFunction,
  InProgressPolicy,
  KeyState,
  PermanentErrorPolicy,
  RecordOwner,
  RecordedFailure,
  RunOptions,
  RunOutcome,
} from './types.ts';
