/**
 * `jobkit status` and `jobkit checkpoint ls|verify|rm`, spawned as the real
 * CLI against real state on S3 (the moto server of the test setup) and on the
 * fs store. The state is written by the real SDK: three indexes checkpointing
 * their cursor over a frozen plan (keep 3 of 4 saves), idempotency records
 * done, failed (recorded), released after a partial effect, and two left in
 * progress by a pod SIGKILLed while it held them (it also held a work-queue
 * chunk). Then: the JSON and the human lines; the store's listing and etags
 * unchanged by status (read-only); a damaged part named by verify (exit 65)
 * and by status --verify; rm's dry run, its refusal of the latest, and the
 * deletion of exactly one checkpoint's objects; a job without records; hostile
 * names refused before the store is touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { createIdempotency } from '../../../src/idempotency/ledger.ts';
import { PermanentError } from '../../../src/runtime/errors.ts';
import type { JobIdentity } from '../../../src/runtime/types.ts';
import { freezeShardPlan } from '../../../src/sharding/plan.ts';
import { objectPath } from '../../../src/store/fs-layout.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { cli } from '../../e2e/emulator/harness.ts';
import { pattern, removeTempStores, TARGETS } from '../checkpoint/stores.ts';

const identity = (index: number): JobIdentity => ({
  platform: 'kubernetes',
  jobName: 'etl',
  namespace: 'data',
  podName: `etl-${index}-abcde`,
  podUid: `uid-${index}`,
  nodeName: 'node-a',
  index,
  count: 3,
  attempt: index % 2,
});

const opened: ObjectStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  removeTempStores();
});

/** Every object's key, size and etag: what a read-only command must leave exactly as it was. */
async function snapshot(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list('')) out.push(`${info.key} ${info.size} ${info.etag}`);
  return out;
}

async function startHolder(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [new URL('./fixtures/crashing-holder.ts', import.meta.url).pathname], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('holding')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${stderr}`)));
  });
  return child;
}

interface StatusJson {
  found: boolean;
  verified: boolean;
  store: string;
  prefix: string;
  checkpoints: Array<{
    index: number;
    epoch: number;
    lastSeq: number;
    kept: number;
    objects: number;
    owner: { pod: string; node: string; attempt: number };
    latest: { seq: number; size: number; parts: number; ageSeconds: number; verification: string; problems: string[] };
    itemsDone: number | null;
    shardItems: number | null;
    problems: string[];
  }>;
  idempotency: {
    total: number;
    completed: number;
    failed: number;
    inProgress: number;
    expiredLeases: number;
    partial: number;
    released: number;
    unreadable: number;
    inProgressSample: Array<{ owner: { pod: string; attempt: number; index: number }; leaseExpiresAtMs: number; expired: boolean }>;
    failedSample: Array<{ status: string; error: { name: string; message: string } | null }>;
  };
  plans: Array<{ plan: { strategy: string; count: number; objects: number; name: string } }>;
  queues: Array<{ name: string; chunks: number; states: Record<string, number>; expiredLeases: number; leasedSample: Array<{ owner: string; chunk: number }> }>;
}

interface LsJson {
  epoch: number;
  checkpoints: Array<{ seq: number; latest: boolean; manifestKey: string; parts: Array<{ name: string; key: string; size: number; checksum: string }> }>;
}

describe.each(TARGETS)('jobkit status on $name', (target) => {
  let store: ObjectStore;
  let url: string;
  let env: NodeJS.ProcessEnv;
  const itemsDone = new Map<number, number>();
  const base = (): string[] => ['--store', url, '--namespace', 'data', '--job', 'etl'];
  const run = (args: readonly string[]) => cli(args, env);

  beforeAll(async () => {
    const created = target.create();
    store = created.store;
    url = created.url;
    env = { ...process.env, ...created.env };
    delete env.JOBKIT_STORE;
    opened.push(store);
    for (let i = 0; i < 9; i++) await store.put(`input/part-${i}.csv`, `row ${i}\n`);
    for (let index = 0; index < 3; index++) {
      const plan = await freezeShardPlan({ store, identity: identity(index), prefix: 'input/', strategy: 'contiguous' });
      const cp = createCheckpointer({ store, identity: identity(index), keep: 3, saveEvery: false });
      await cp.load();
      const files = plan.shard(index);
      let seq = 0;
      for await (const _file of files) {
        if (++seq > 4) break;
        // Each save has its own weights bytes, so each checkpoint has its own data object.
        await cp.save({ cursor: files.cursor }, { weights: pattern(4096, index * 10 + seq) });
        itemsDone.set(index, files.position);
      }
      // A fourth save beyond the shard's 3 items: the cursor stays at its end.
      await cp.save({ cursor: files.cursor }, { weights: pattern(4096, index * 10 + 9) });
      itemsDone.set(index, files.position);
      await cp.close();
    }
    const ledger = createIdempotency({ store, identity: identity(0), permanentErrors: 'record' });
    await ledger.run('row-a', () => 1);
    await ledger.run('row-b', () => 2);
    await expect(ledger.run('row-f', () => Promise.reject(new PermanentError('row f is malformed')))).rejects.toThrow('malformed');
    await expect(ledger.run('row-p', () => Promise.reject(new Error('connection reset')))).rejects.toThrow('reset');
    const holder = await startHolder({ ...env, JOBKIT_STORE: url });
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('close', resolve));
  });

  it('shows every index, the records by state, the plan and the queue (-o json)', async () => {
    const started = performance.now();
    const res = await run(['status', ...base(), '-o', 'json']);
    const ms = performance.now() - started;
    expect(res.code, res.stderr).toBe(0);
    const s = JSON.parse(res.stdout) as StatusJson;
    console.log(`jobkit status on ${target.name}: ${Math.round(ms)} ms (process start included)`);
    expect(s).toMatchObject({ found: true, verified: false, prefix: 'jobs/data/etl' });
    expect(s.store).toBe(store.url);
    expect(s.checkpoints.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of s.checkpoints) {
      expect(c).toMatchObject({ epoch: 1, lastSeq: 4, kept: 3, owner: { pod: `etl-${c.index}-abcde`, node: 'node-a', attempt: c.index % 2 }, problems: [] });
      expect(c.latest).toMatchObject({ seq: 4, parts: 1, size: 4096, verification: 'not-verified', problems: [] });
      expect(c.latest.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(c.itemsDone).toBe(itemsDone.get(c.index));
      expect(c.shardItems).toBe(3);
      // head + 3 manifests + 3 data objects.
      expect(c.objects).toBe(7);
    }
    expect(s.idempotency).toMatchObject({ total: 6, completed: 2, failed: 1, partial: 1, inProgress: 2, expiredLeases: 0, released: 0, unreadable: 0 });
    expect(s.idempotency.inProgressSample.map((r) => r.owner)).toEqual([
      expect.objectContaining({ pod: 'etl-1-crash', index: 1, attempt: 2 }),
      expect.objectContaining({ pod: 'etl-1-crash', index: 1, attempt: 2 }),
    ]);
    expect(s.idempotency.inProgressSample[0]!.leaseExpiresAtMs).toBeGreaterThan(Date.now());
    expect(s.idempotency.failedSample).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'failed', error: expect.objectContaining({ message: 'row f is malformed' }) as unknown }),
        expect.objectContaining({ status: 'partial', error: null }),
      ]),
    );
    expect(s.plans).toHaveLength(1);
    expect(s.plans[0]!.plan).toMatchObject({ strategy: 'contiguous', count: 3, objects: 9 });
    expect(s.queues).toHaveLength(1);
    expect(s.queues[0]).toMatchObject({ name: 'default', chunks: 6, states: { done: 3, leased: 1, released: 0, failed: 0, unclaimed: 2 }, expiredLeases: 0 });
    expect(s.queues[0]!.leasedSample[0]!.owner).toMatch(/^etl-1-crash\//);
  });

  it('prints the key lines for a person', async () => {
    const res = await run(['status', ...base()]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`jobkit status: job data/etl in ${store.url} (jobs/data/etl)`);
    expect(res.stdout).toContain('Checkpoints: 3 indexes (latest checkpoints not verified: --verify downloads and checks them)');
    expect(res.stdout).toMatch(/^ {2}1 +4 +\d+s +4\.0 KiB +1 +3 +1 +1 +etl-1-abcde +3\/3 +not verified$/m);
    expect(res.stdout).toContain('2 done, 2 in progress (0 with an expired lease), 1 failed, 1 released after a partial effect, 0 released, 0 unreadable');
    expect(res.stdout).toMatch(/in progress {2}[0-9a-f]{16} {2}pod etl-1-crash \(index 1, attempt 2\) {2}lease expires /);
    expect(res.stdout).toContain('PermanentError: row f is malformed');
    expect(res.stdout).toMatch(/^ {2}\S+: contiguous, 3 shards, 9 objects \(\d+ B\) of input\/, frozen \S+ by /m);
    expect(res.stdout).toContain('default: 6 chunks: 3 done, 1 leased (0 expired), 0 released, 0 failed, 2 unclaimed');
  });

  it('is read-only: the listing and every etag are unchanged, with and without --verify', async () => {
    const before = await snapshot(store);
    expect((await run(['status', ...base()])).code).toBe(0);
    expect((await run(['status', ...base(), '--verify', '-o', 'json'])).code).toBe(0);
    expect((await run(['checkpoint', 'ls', ...base(), '--index', '0'])).code).toBe(0);
    expect((await run(['checkpoint', 'verify', ...base(), '--index', '0'])).code).toBe(0);
    expect((await run(['checkpoint', 'rm', ...base(), '--index', '0', '--seq', '2'])).code).toBe(0); // a dry run
    expect(await snapshot(store)).toEqual(before);
  });

  it('checkpoint ls lists the kept checkpoints, the latest marked', async () => {
    const res = await run(['checkpoint', 'ls', ...base(), '--index', '2', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const ls = JSON.parse(res.stdout) as LsJson;
    expect(ls.checkpoints.map((c) => [c.seq, c.latest])).toEqual([
      [4, true],
      [3, false],
      [2, false],
    ]);
    const text = await run(['checkpoint', 'ls', ...base(), '--index', '2']);
    expect(text.stdout).toContain('index 2 of job data/etl: jobs/data/etl/index-2/checkpoints/head.json: epoch 1 (taken by pod etl-2-abcde, node node-a, attempt 0), last seq 4, 3 kept');
    expect(text.stdout).toMatch(/^ {2}4 +1 +\S+ +4\.0 KiB +1 +latest$/m);
  });

  it('checkpoint verify names a damaged part, expected vs actual checksum (exit 65), and status --verify shows it', async () => {
    const ok = await run(['checkpoint', 'verify', ...base(), '--index', '1']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('checkpoint 4 of index 1 of job data/etl: verified: 1 part, 4.0 KiB read');

    const ls = JSON.parse((await run(['checkpoint', 'ls', ...base(), '--index', '1', '-o', 'json'])).stdout) as LsJson;
    const part = ls.checkpoints[0]!.parts[0]!;
    if (target.name === 'fs') {
      // Bit rot on disk: one byte of the part's file changed in place.
      const file = objectPath(new URL(url).pathname, part.key).file;
      const bytes = readFileSync(file);
      bytes[100] = bytes[100]! ^ 0xff;
      writeFileSync(file, bytes);
    } else {
      // Another writer's bytes in the part's object, same size.
      await store.put(part.key, pattern(4096, 999));
    }
    const bad = await run(['checkpoint', 'verify', ...base(), '--index', '1']);
    expect(bad.code).toBe(65);
    expect(bad.stdout).toContain(`CORRUPT  weights  4.0 KiB  ${part.key}: part "weights" fails its checksum: expected ${part.checksum}, got sha256:`);
    expect(bad.stdout).toContain('checkpoint 4 of index 1 of job data/etl: CORRUPT: 1 of 1 parts fail verification');
    const json = JSON.parse((await run(['checkpoint', 'verify', ...base(), '--index', '1', '-o', 'json'])).stdout) as {
      ok: boolean;
      parts: Array<{ name: string; ok: boolean; checksum: string; problem: string }>;
    };
    expect(json).toMatchObject({ ok: false, parts: [{ name: 'weights', ok: false, checksum: part.checksum }] });
    // The previous checkpoint is intact: that is what load() falls back to.
    expect((await run(['checkpoint', 'verify', ...base(), '--index', '1', '--seq', '3'])).code).toBe(0);

    const status = await run(['status', ...base(), '--verify', '-o', 'json']);
    expect(status.code).toBe(65);
    const s = JSON.parse(status.stdout) as StatusJson;
    expect(s.verified).toBe(true);
    expect(s.checkpoints.map((c) => c.latest.verification)).toEqual(['verified', 'corrupt', 'verified']);
    expect(s.checkpoints[1]!.latest.problems[0]).toContain('part "weights" fails its checksum');
    expect((await run(['status', ...base(), '--verify'])).stdout).toMatch(/^ {2}1 .* CORRUPT$/m);
  });

  it('checkpoint rm: a dry run by default, refuses the latest, deletes exactly the named one with --yes', async () => {
    const ls = JSON.parse((await run(['checkpoint', 'ls', ...base(), '--index', '2', '-o', 'json'])).stdout) as LsJson;
    const seq2 = ls.checkpoints.find((c) => c.seq === 2)!;
    const before = await snapshot(store);

    const dry = await run(['checkpoint', 'rm', ...base(), '--index', '2', '--seq', '2']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would delete ${seq2.manifestKey}`);
    expect(dry.stdout).toContain(`would delete ${seq2.parts[0]!.key}`);
    expect(dry.stdout).toContain('checkpoint 2 of index 2 of job data/etl: would delete 2 objects (a dry run: add --yes to delete them)');
    expect(await snapshot(store)).toEqual(before);

    const refused = await run(['checkpoint', 'rm', ...base(), '--index', '2', '--seq', '4', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('refused: checkpoint 4 is the latest of index 2 of job data/etl');
    expect((await run(['checkpoint', 'rm', ...base(), '--index', '2', '--all', '--yes'])).code).toBe(1);
    expect(await snapshot(store)).toEqual(before);

    const missing = await run(['checkpoint', 'rm', ...base(), '--index', '2', '--seq', '1', '--yes']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('keeps no checkpoint 1 (kept: 4, 3, 2)');

    const real = await run(['checkpoint', 'rm', ...base(), '--index', '2', '--seq', '2', '--yes', '-o', 'json']);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ kind: 'removed', seqs: [2], dryRun: false, keys: [seq2.manifestKey, seq2.parts[0]!.key] });
    const after = await snapshot(store);
    const gone = before.filter((line) => !after.includes(line)).map((line) => line.split(' ')[0]);
    // The two objects of checkpoint 2, and the head's old version (it was rewritten without seq 2).
    expect(gone.sort()).toEqual([seq2.manifestKey, seq2.parts[0]!.key, 'jobs/data/etl/index-2/checkpoints/head.json'].sort());
    expect(after.filter((line) => !before.includes(line)).map((line) => line.split(' ')[0])).toEqual(['jobs/data/etl/index-2/checkpoints/head.json']);
    const lsAfter = JSON.parse((await run(['checkpoint', 'ls', ...base(), '--index', '2', '-o', 'json'])).stdout) as LsJson;
    expect(lsAfter).toMatchObject({ epoch: 1 });
    expect(lsAfter.checkpoints.map((c) => c.seq)).toEqual([4, 3]);
    expect((await run(['checkpoint', 'verify', ...base(), '--index', '2', '--seq', '3'])).code).toBe(0);
  });

  it('counts a job of 500 records with bounded reads (the time is printed, not asserted)', async () => {
    const bulk: JobIdentity = { ...identity(0), jobName: 'bulk' };
    const ledger = createIdempotency({ store, identity: bulk });
    const keys = Array.from({ length: 500 }, (_, i) => `row-${i}`);
    await ledger.runMany(keys, (k) => k, (k) => k.length, { concurrency: 16 });
    const started = performance.now();
    const res = await run(['status', '--store', url, '--namespace', 'data', '--job', 'bulk', '-o', 'json']);
    const ms = performance.now() - started;
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ idempotency: { total: 500, completed: 500 } });
    console.log(`jobkit status on ${target.name}, 500 idempotency records: ${Math.round(ms)} ms (process start included)`);
  });

  it('a job without records: exit 1 with a clear message, the empty report still printed with -o json', async () => {
    const res = await run(['status', '--store', url, '--namespace', 'data', '--job', 'nothing', '-o', 'json']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`jobkit status: no records for job data/nothing in ${store.url}`);
    expect(JSON.parse(res.stdout)).toMatchObject({ found: false, checkpoints: [], plans: [], queues: [], idempotency: { total: 0 } });
    const ls = await run(['checkpoint', 'ls', '--store', url, '--namespace', 'data', '--job', 'etl', '--index', '7']);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain('no checkpoints for index 7 of job data/etl');
  });
});

describe('jobkit status: bad input exits 2 before any store access', () => {
  // A store URL no server answers: a command that got as far as the store would fail otherwise (75), not 2.
  const dead = ['--store', 'file:///nonexistent/jobkit-status-test'];
  it.each([
    [['status', ...dead, '--job', '../x'], '--job must be one name'],
    [['status', ...dead, '--job', 'etl', '--namespace', 'a/b'], '--namespace must be one name'],
    [['status', ...dead, '--job', 'etl', '-o', 'yaml'], '-o must be json, got "yaml"'],
    [['status', '--job', 'etl'], '--store is required (or set JOBKIT_STORE)'],
    [['status', '--store', 'ftp://x', '--job', 'etl'], '--store must be'],
    [['checkpoint', 'ls', ...dead, '--job', 'etl', '--index', '100000'], '--index must be an integer from 0 to 99999, got "100000"'],
    [['checkpoint', 'ls', ...dead, '--job', 'etl', '--index', '-1'], '--index'],
    [['checkpoint', 'mv', ...dead, '--job', 'etl', '--index', '0'], 'unknown subcommand "mv": use ls, verify or rm'],
    [['checkpoint', 'rm', ...dead, '--job', 'etl', '--index', '0'], 'rm needs --seq S (repeatable) or --all'],
  ])('%j', async (args, message) => {
    const env = { ...process.env };
    delete env.JOBKIT_STORE;
    const res = await cli(args, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
  });
});
