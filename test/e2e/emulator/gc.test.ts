/**
 * `jobkit gc` as a user runs it, on a real fs store directory: a dry run
 * counts, a real run deletes the expired records and (with --plans) the
 * job's shard plans, and the records a later call needs are kept.
 */
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { FsStore } from '../../../src/store/fs.ts';
import { testIdentity } from '../../support/identity.ts';
import { cli, removeTempDirs, tempDir } from './harness.ts';

afterAll(removeTempDirs);

async function keysOf(store: FsStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}

describe('jobkit gc', () => {
  it('counts with --dry-run, then deletes expired records and plans; keeps the live ones', async () => {
    const dir = tempDir();
    const store = new FsStore(dir);
    const identity = testIdentity({ jobName: 'etl', namespace: 'data' });
    const expired = createIdempotency({ store, identity, ttlMs: 1 });
    for (let i = 0; i < 4; i++) await expired.run(`batch-${i}`, () => i);
    await createIdempotency({ store, identity }).run('no-ttl', () => 'kept');
    await store.put('jobs/data/etl/shard-plans/input/plan.json', '{}');
    await store.put('jobs/data/other/shard-plans/input/plan.json', '{}');
    await new Promise((r) => setTimeout(r, 20));
    const url = pathToFileURL(dir).href;
    const clock = ['--store', url, '--job', 'etl', '--namespace', 'data'];

    const dry = await cli(['gc', ...clock, '--plans', '--dry-run', '-o', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    // TTL 1 ms plus the 5 s clock-skew margin: nothing is expired yet.
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, records: { scanned: 5, deleted: 0, live: 5 }, shardingObjects: 1 });
    expect(await keysOf(store, 'jobs/data/etl/shard-plans/')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 5_100));
    const real = await cli(['gc', ...clock, '--plans']);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/5 records read, deleted 4 \(\d+ KiB\); kept 1 live, 0 partial/);
    expect(real.stdout).toContain('shard plans and work queues: deleted 1 objects');
    expect(await keysOf(store, 'jobs/data/etl/idempotency/')).toHaveLength(1);
    expect(await keysOf(store, 'jobs/data/etl/shard-plans/')).toEqual([]);
    expect(await keysOf(store, 'jobs/data/other/')).toHaveLength(1);
    expect(await createIdempotency({ store, identity }).run('no-ttl', () => 'ran again')).toBe('kept');
    await store.close();
  }, 30_000);

  it('refuses a call without --job or --scope with the usage code', async () => {
    const r = await cli(['gc', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give either --job (with --namespace) or --scope');
  });
});
