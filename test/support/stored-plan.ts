/**
 * The stored manifest of a frozen plan, decoded: tests that look at pages
 * need it, since `plan.manifest` is only the public view.
 */
import { decodeManifest, type ShardPlanManifest } from '../../src/sharding/plan-format.ts';
import type { FrozenShardPlan } from '../../src/sharding/plan.ts';
import type { ObjectStore } from '../../src/store/types.ts';

export async function storedPlan(store: ObjectStore, plan: FrozenShardPlan): Promise<ShardPlanManifest> {
  const obj = await store.get(plan.key);
  if (obj === undefined) throw new Error(`no manifest at ${plan.key}`);
  return decodeManifest(obj.body, plan.key);
}
