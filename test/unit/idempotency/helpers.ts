/**
 * Test helpers of the idempotency unit tests: an identity, a settable clock,
 * and a store wrapper that counts requests and can inject faults.
 */
import type { ObjectStore } from '../../../src/store/types.ts';

export { testIdentity } from '../../support/identity.ts';

/** A clock the test moves by hand; starts at the real time. */
export class TestClock {
  nowMs = Date.now();
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export { CountingStore, slowDown } from '../../support/intercepting-store.ts';

/** Read the decoded record under a ledger prefix for a store key. */
export async function readJson(store: ObjectStore, key: string): Promise<Record<string, unknown> | undefined> {
  const obj = await store.get(key);
  return obj === undefined ? undefined : (JSON.parse(Buffer.from(obj.body).toString('utf8')) as Record<string, unknown>);
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
