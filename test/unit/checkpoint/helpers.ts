/**
 * Test helpers for the checkpointer: an identity, a log that records lines, a
 * fake lifecycle whose hooks the test runs, and a store wrapper that injects
 * faults or pauses around selected operations.
 */
import type { Readable } from 'node:stream';
import type { JobIdentity, Lifecycle, ShutdownHook } from '../../../src/runtime/types.ts';
import type {
  DeleteOptions,
  GetOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutStreamOptions,
  StoreCapabilities,
  StoredObject,
  StoredStream,
} from '../../../src/store/types.ts';
import type { JobLogger } from '../../../src/runtime/types.ts';
import { testIdentity as baseIdentity } from '../../support/identity.ts';

/** The checkpoint tests' identity: the job `train`. */
export function testIdentity(overrides: Partial<JobIdentity> = {}): JobIdentity {
  return baseIdentity({ jobName: 'train', podName: 'train-0-abcde', ...overrides });
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export function recordingLog(): JobLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function fakeLifecycle(): Lifecycle & { hooks: ShutdownHook[]; controller: AbortController } {
  const controller = new AbortController();
  const hooks: ShutdownHook[] = [];
  return {
    controller,
    hooks,
    signal: controller.signal,
    onShutdown(hook) {
      hooks.push(hook);
      return () => hooks.splice(hooks.indexOf(hook), 1);
    },
  };
}

export type Op = 'get' | 'getStream' | 'head' | 'put' | 'putStream' | 'list' | 'delete';

/**
 * Delegates to `inner`; `around(op, key, run)` may delay, fail or wrap each
 * operation (default: run it).
 */
export class InterceptingStore implements ObjectStore {
  readonly inner: ObjectStore;
  around: (op: Op, key: string, run: () => Promise<unknown>) => Promise<unknown> = (_op, _key, run) => run();

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  get url(): string {
    return this.inner.url;
  }

  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return this.around('get', key, () => this.inner.get(key, options)) as Promise<StoredObject | undefined>;
  }
  getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    return this.around('getStream', key, () => this.inner.getStream(key, options)) as Promise<StoredStream | undefined>;
  }
  head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    return this.around('head', key, () => this.inner.head(key, options)) as Promise<ObjectInfo | undefined>;
  }
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.around('put', key, () => this.inner.put(key, body, options)) as Promise<ObjectInfo>;
  }
  putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo> {
    return this.around('putStream', key, () => this.inner.putStream(key, body, options)) as Promise<ObjectInfo>;
  }
  list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, options);
  }
  delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.around('delete', key, () => this.inner.delete(key, options)) as Promise<void>;
  }
  capabilities(): Promise<StoreCapabilities> {
    return this.inner.capabilities();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every key under a prefix. */
export async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}
