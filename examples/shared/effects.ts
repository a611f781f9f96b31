/**
 * The side effect the examples make once per output: an append to an effect
 * log (one new object per execution), standing in for what a real job does
 * that is NOT idempotent by itself: send a message, charge a card, insert a row
 * without a key. The chaos tests count these objects: exactly one per output.
 */
import { randomUUID } from 'node:crypto';
import { type IdempotentCallContext, type ObjectStore, joinKey, keySegment } from '../../src/index.ts';

/**
 * Append one effect record for `name` under `prefix` (key segments), from
 * inside `job.idempotent(...)`.
 *
 * The idempotency ledger runs the function once per key, except after a crash
 * or a throw in the middle of it (a SIGTERM can abort the PUT below after the
 * server committed it): the next owner then runs it again with
 * `takeover: true`, and the earlier owner may or may not have appended. So on a
 * takeover the log is read first (a real sink would be asked the same way: "did
 * message X go out?"). That check is what turns "at most twice after a crash"
 * into exactly once.
 *
 * @example
 * ```ts
 * await job.idempotent(`publish-${name}`, (ctx) => appendEffect(job.store, ['etl', 'effects'], name, ctx));
 * ```
 */
export async function appendEffect(
  store: ObjectStore,
  prefix: readonly string[],
  name: string,
  ctx: Pick<IdempotentCallContext, 'signal' | 'takeover'>,
): Promise<void> {
  const dir = [...prefix, keySegment(name)];
  if (ctx.takeover) {
    for await (const _ of store.list(`${joinKey(...dir)}/`, { signal: ctx.signal })) return;
  }
  const record = { pod: process.env.JOBKIT_POD_NAME ?? 'local', at: new Date().toISOString() };
  await store.put(joinKey(...dir, randomUUID()), JSON.stringify(record), { signal: ctx.signal, ifNoneMatch: '*' });
}

/**
 * Count effect records per name under `prefix`: what the chaos tests check.
 *
 * @example
 * ```ts
 * const counts = await countEffects(store, ['etl', 'effects']); // Map { 'part-0001' => 1, ... }
 * ```
 */
export async function countEffects(store: ObjectStore, prefix: readonly string[]): Promise<Map<string, number>> {
  const base = `${joinKey(...prefix)}/`;
  const counts = new Map<string, number>();
  for await (const info of store.list(base)) {
    const name = decodeURIComponent(info.key.slice(base.length).split('/')[0] ?? '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
