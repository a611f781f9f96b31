/**
 * The longest store key each module will build, computed at start from the
 * identity, the scopes and the store prefix, with the modules' own key
 * builders. A job name or scope that is too long (or multibyte: every byte
 * outside `[A-Za-z0-9_-]` becomes three characters, `%C3%BC`) would otherwise
 * pass until the first save deep inside `main` and end as a crash (exit 70);
 * here it is a configuration error (exit 78) naming the variable.
 *
 * S3 keys are at most 1024 bytes of UTF-8, including the store's prefix; every
 * store refuses keys over 1024 characters (src/store/validate.ts). jobkit's
 * keys are ASCII, so only the S3 prefix can hold multibyte characters.
 */
import { HEAD_KEY, dataKey, manifestKey, resolveKey } from '../checkpoint/layout.ts';
import { recordKey, recordsPrefix } from '../idempotency/keys.ts';
import { childKey, moduleDir } from '../sharding/keys.ts';
import { scopePrefix } from '../store/keys.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobIdentity } from '../runtime/types.ts';

/** The longest object key S3 accepts, in UTF-8 bytes (and what every store accepts, in characters). */
export const MAX_KEY_BYTES = 1024;

/** The name a message gives a value, and its value. */
export interface NamedValue {
  /** `JOBKIT_CHECKPOINT_SCOPE`, `option checkpoint.scope`, ... */
  readonly source: string;
  readonly value: string;
}

/** Inputs of {@link checkKeyLengths}. */
export interface KeyLengthInputs {
  readonly identity: JobIdentity;
  /** Where the job name and namespace came from, for the message (default JOBKIT_JOB_NAME / JOBKIT_NAMESPACE). */
  readonly jobNameSource?: string;
  readonly namespaceSource?: string;
  /** The S3 store's prefix (decoded), '' or undefined for none or another store. */
  readonly storePrefix?: string;
  readonly checkpointScope?: NamedValue | undefined;
  /** The checkpointer's perIndex option (default true: `index-<n>` is part of the key). */
  readonly checkpointPerIndex?: boolean;
  readonly idempotencyScope?: NamedValue | undefined;
}

/** One module's longest key. */
export interface LongestKey {
  readonly module: 'checkpoint' | 'idempotency' | 'sharding';
  readonly key: string;
  /** Bytes of the key as stored, the store prefix included. */
  readonly bytes: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * The longest key of each module for this job. Per-call names (checkpoint
 * part names, work-queue and plan names) are the modules' defaults: they are
 * not known at start.
 *
 * @example
 * ```ts
 * longestKeys({ identity }).map((k) => `${k.module}: ${k.bytes}`); // ['checkpoint: 97', 'idempotency: 97', 'sharding: 61']
 * ```
 */
export function longestKeys(inputs: KeyLengthInputs): LongestKey[] {
  // The highest index has the longest `index-<n>`: every pod must reach the
  // same verdict, or index 9 would fail where index 0 runs.
  const identity: JobIdentity = { ...inputs.identity, index: inputs.identity.count - 1 };
  const prefix = inputs.storePrefix === undefined || inputs.storePrefix === '' ? '' : `${inputs.storePrefix}/`;
  const root = resolveKey(scopePrefix(identity, { scope: inputs.checkpointScope?.value, perIndex: inputs.checkpointPerIndex ?? true }), 'checkpoints');
  const maxEpoch = 9_999_999_999;
  const checkpointKeys = [
    resolveKey(root, HEAD_KEY),
    resolveKey(root, manifestKey(999_999_999_999, maxEpoch)),
    resolveKey(root, dataKey(maxEpoch, 'state.json')),
  ];
  const idempotencyKey = recordKey(recordsPrefix({ identity, scope: inputs.idempotencyScope?.value }), 'k').storeKey;
  const queueDir = moduleDir(identity, undefined, 'work-queues', 'default');
  const shardingKeys = [childKey(queueDir, 'chunks', '00000000.json'), childKey(queueDir, 'queue.json')];
  const longest = (module: LongestKey['module'], keys: string[]): LongestKey => {
    const key = keys.reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
    return { module, key: prefix + key, bytes: bytes(prefix) + bytes(key) };
  };
  return [longest('checkpoint', checkpointKeys), longest('idempotency', [idempotencyKey]), longest('sharding', shardingKeys)];
}

/**
 * Refuse settings that make some module's keys longer than S3 allows.
 *
 * @throws ConfigurationError naming the variable (scope, job name, namespace
 *   or the store prefix), its length in key bytes, and the limit.
 * @example
 * ```ts
 * checkKeyLengths({ identity, checkpointScope: { source: 'JOBKIT_CHECKPOINT_SCOPE', value: 'ü'.repeat(400) } });
 * // throws: JOBKIT_CHECKPOINT_SCOPE makes checkpoint keys 2467 bytes long (...); S3 allows 1024 bytes per key ...
 * ```
 */
export function checkKeyLengths(inputs: KeyLengthInputs): void {
  for (const longest of longestKeys(inputs)) {
    if (longest.bytes <= MAX_KEY_BYTES) continue;
    const scope = longest.module === 'checkpoint' ? inputs.checkpointScope : longest.module === 'idempotency' ? inputs.idempotencyScope : undefined;
    const culprits =
      scope !== undefined
        ? [scope.source]
        : [inputs.jobNameSource ?? 'JOBKIT_JOB_NAME', inputs.namespaceSource ?? 'JOBKIT_NAMESPACE'];
    if (inputs.storePrefix !== undefined && inputs.storePrefix !== '') culprits.push('the prefix of JOBKIT_STORE');
    const over = longest.bytes - MAX_KEY_BYTES;
    throw new ConfigurationError(
      `${culprits.join(' and ')} ${culprits.length === 1 ? 'makes' : 'make'} ${longest.module} keys ${longest.bytes} bytes long (${JSON.stringify(`${longest.key.slice(0, 80)}...`)}); ` +
        `S3 allows ${MAX_KEY_BYTES} bytes per key: shorten them by at least ${over} bytes ` +
        '(each character outside A-Z, a-z, 0-9, "_" and "-" takes 3 bytes per UTF-8 byte in a key)',
    );
  }
}
