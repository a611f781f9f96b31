/**
 * The capability probe. Fencing, idempotency and lease correctness rest entirely
 * on conditional writes; an S3-compatible server (or a proxy in front of one)
 * that silently ignores If-None-Match / If-Match would let two writers both
 * "win" without any error. So before relying on them we test them once, with a
 * throwaway key, and refuse to run when they are not honoured.
 */
import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '../runtime/errors.ts';
import { PreconditionFailedError } from './errors.ts';
import type { ObjectStore, StoreCapabilities } from './types.ts';

/** Where probe objects live, relative to the store root. */
export const PROBE_PREFIX = '_jobkit/probe/';

/** An etag no real object can have (probes compare against it). */
export const IMPOSSIBLE_ETAG = '"00000000000000000000000000000000-probe"';

/**
 * Run `attempt`; resolve true when it fails with PreconditionFailedError (the
 * condition was honoured), false when it succeeds (ignored). Any other error
 * means the store could not even answer, which is not a capability verdict:
 * it propagates, except a "not implemented"-style rejection of the header,
 * which `isUnsupported` recognises and reports as false.
 */
async function conditionHonoured(attempt: () => Promise<unknown>, isUnsupported: (err: unknown) => boolean): Promise<boolean> {
  try {
    await attempt();
    return false;
  } catch (err) {
    if (err instanceof PreconditionFailedError) return true;
    if (isUnsupported(err)) return false;
    throw err;
  }
}

/** Options of {@link probeCapabilities}. */
export interface ProbeOptions {
  /**
   * Recognises an error meaning "this server does not implement the
   * condition" (e.g. S3 `NotImplemented` on a conditional DELETE).
   */
  readonly isUnsupported?: (err: unknown) => boolean;
}

/** The operations the probe uses (a store may hand it its unchecked internals). */
export type ProbeTarget = Pick<ObjectStore, 'put' | 'head' | 'delete'>;

/**
 * Test whether `store` honours conditional writes, using a unique throwaway key
 * under `_jobkit/probe/` that is deleted afterwards. Stores call this from
 * `capabilities()` (cached); call it directly only to re-probe.
 *
 * @example
 * ```ts
 * const caps = await probeCapabilities(store);
 * if (!caps.conditionalCreate) console.warn('no create-only writes');
 * ```
 */
export async function probeCapabilities(store: ProbeTarget, options: ProbeOptions = {}): Promise<StoreCapabilities> {
  const isUnsupported = options.isUnsupported ?? (() => false);
  const key = `${PROBE_PREFIX}${randomUUID()}`;
  try {
    let conditionalCreate: boolean;
    try {
      await store.put(key, 'probe-1', { ifNoneMatch: '*' });
      conditionalCreate = await conditionHonoured(() => store.put(key, 'probe-2', { ifNoneMatch: '*' }), isUnsupported);
    } catch (err) {
      // The header itself is rejected: no create-only writes; go on with a plain object.
      if (!isUnsupported(err)) throw err;
      conditionalCreate = false;
      await store.put(key, 'probe-1');
    }
    let conditionalReplace = await conditionHonoured(
      () => store.put(key, 'probe-3', { ifMatch: IMPOSSIBLE_ETAG }),
      isUnsupported,
    );
    if (conditionalReplace) {
      // A server that rejects every If-Match would pass the check above yet make
      // compare-and-swap unusable: the right etag must be accepted too.
      const latest = (await store.head(key))?.etag;
      try {
        if (latest === undefined) throw new PreconditionFailedError(key, 'probe object vanished');
        await store.put(key, 'probe-4', { ifMatch: latest });
      } catch (err) {
        if (!(err instanceof PreconditionFailedError) && !isUnsupported(err)) throw err;
        conditionalReplace = false;
      }
    }
    const conditionalDelete = await conditionHonoured(() => store.delete(key, { ifMatch: IMPOSSIBLE_ETAG }), isUnsupported);
    return { conditionalCreate, conditionalReplace, conditionalDelete };
  } finally {
    await store.delete(key).catch(() => undefined);
  }
}

/**
 * Memoise a probe: the first call runs it, later calls share its result; a
 * failed probe (e.g. the network was down) is forgotten so the next call retries.
 *
 * @example
 * ```ts
 * readonly capabilities = cachedProbe(() => probeCapabilities(this));
 * ```
 */
export function cachedProbe(probe: () => Promise<StoreCapabilities>): () => Promise<StoreCapabilities> {
  let pending: Promise<StoreCapabilities> | undefined;
  return () => {
    pending ??= probe().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** Which conditional operations a purpose needs. */
export interface ConditionalWriteNeeds {
  /** Needs If-None-Match: * (default true). */
  readonly create?: boolean;
  /** Needs If-Match compare-and-swap (default true). */
  readonly replace?: boolean;
  /** Needs conditional delete (default false: most callers can do without). */
  readonly delete?: boolean;
}

/**
 * Refuse to run a feature whose correctness depends on conditional writes when
 * the store does not honour them. Throws a ConfigurationError naming the store
 * URL, the purpose and what is missing.
 *
 * @example
 * ```ts
 * await requireConditionalWrites(store, 'checkpoint fencing');
 * ```
 */
export async function requireConditionalWrites(
  store: ObjectStore,
  purpose: string,
  needs: ConditionalWriteNeeds = {},
): Promise<StoreCapabilities> {
  const caps = await store.capabilities();
  const missing: string[] = [];
  if ((needs.create ?? true) && !caps.conditionalCreate) missing.push('create-only writes (If-None-Match: *)');
  if ((needs.replace ?? true) && !caps.conditionalReplace) missing.push('compare-and-swap writes (If-Match)');
  if ((needs.delete ?? false) && !caps.conditionalDelete) missing.push('conditional deletes (If-Match on DELETE)');
  if (missing.length > 0) {
    throw new ConfigurationError(
      `${purpose} needs an object store that honours conditional writes, but JOBKIT_STORE=${store.url} ` +
        `ignores ${missing.join(' and ')}; without them two pods could both commit. ` +
        `Use AWS S3 or another server that honours them (docs/stores.md lists what was verified), or the file:// store.`,
    );
  }
  return caps;
}
