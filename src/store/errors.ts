/**
 * Errors of the object-store layer.
 */
import { JobkitError, PermanentError } from '../runtime/errors.ts';

/**
 * A conditional write found its condition false: the key already exists
 * (`ifNoneMatch: '*'`) or its etag changed (`ifMatch`). Callers turn it into
 * their own outcome (a fenced writer, a taken idempotency key); if it escapes to
 * the top it is a bug, hence the crash class.
 *
 * @example
 * ```ts
 * try { await store.put(key, body, { ifNoneMatch: '*' }); }
 * catch (err) { if (err instanceof PreconditionFailedError) { // someone else was first
 * } }
 * ```
 */
export class PreconditionFailedError extends JobkitError {
  readonly exitClass = 'crash';
  /** The key whose condition failed. */
  readonly key: string;

  constructor(key: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? `conditional write on "${key}" failed: the object changed or already exists`, options);
    this.key = key;
  }
}

/**
 * A stored object cannot be read as an object of this store (the fs store's
 * trailer is damaged or missing). Features that verify what they read
 * (checkpoints) treat it like any other corrupt object: fall back, never crash.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof CorruptObjectError) log.warn({ key: err.key }, err.message); }
 * ```
 */
export class CorruptObjectError extends PermanentError {
  /** The store key, when known. */
  readonly key: string | undefined;

  constructor(message: string, key?: string) {
    super(message);
    this.key = key;
  }
}
