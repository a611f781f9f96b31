/**
 * Test helpers for the checkpointer: an identity, a log that records lines, a
 * fake lifecycle whose hooks the test runs, and a store wrapper that injects
 * faults or pauses around selected operations.
 */
import type { JobIdentity, Lifecycle, ShutdownHook } from '../../../src/runtime/types.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
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

export { InterceptingStore, type Op } from '../../support/intercepting-store.ts';

/** Every key under a prefix. */
export async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}
