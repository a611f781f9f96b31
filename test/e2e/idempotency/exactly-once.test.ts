/**
 * Exactly-once across real processes, against the fs store and the real
 * S3-compatible server (moto): racing workers, a duplicate pod of one index,
 * and an owner killed with SIGKILL in the middle of its side effect.
 *
 * Each side effect appends its key to a per-worker file; the tests count the
 * lines. 16 workers race on the same 1,000 keys on both stores. moto sustains
 * about 120 conditional writes/s on this 2-core machine
 * (bench/idempotency.bench.ts), so the S3 race takes about 1.5 min; set
 * JOBKIT_TEST_IDEMPOTENCY_KEYS to race fewer keys while iterating.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectAllSucceed, readResult, sideEffects, startWorker, waitForFile } from './processes.ts';

const KEYS_OVERRIDE = process.env.JOBKIT_TEST_IDEMPOTENCY_KEYS;
const RACE_WORKERS = 16;

const scratch = mkdtempSync(join(tmpdir(), 'jobkit-idem-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Backend {
  readonly name: string;
  /** Keys the 16 workers race on. */
  readonly raceKeys: number;
  /** A fresh, empty store URL. */
  storeUrl(): string;
  readonly env: Record<string, string>;
}

const backends: Backend[] = [
  {
    name: 'fs',
    raceKeys: Number(KEYS_OVERRIDE ?? 1_000),
    storeUrl: () => `file://${join(scratch, `store-${randomUUID()}`)}`,
    env: {},
  },
  {
    name: 's3 (moto)',
    raceKeys: Number(KEYS_OVERRIDE ?? 1_000),
    storeUrl: () => `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/idem-e2e-${randomUUID()}`,
    get env(): Record<string, string> {
      return { JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '' };
    },
  },
];

function outDir(): string {
  const dir = join(scratch, `out-${randomUUID()}`);
  mkdirSync(dir);
  return dir;
}

interface RaceResult {
  readonly byKey: Record<string, { by: number }>;
  readonly stats: { hits: number; misses: number; conflicts: number };
}

describe.each(backends)('idempotency across processes: $name', (backend) => {
  const RACE_KEYS = backend.raceKeys;
  it(`${RACE_WORKERS} workers racing on the same ${RACE_KEYS} keys: each side effect happens exactly once`, async () => {
    const out = outDir();
    const common = { ...backend.env, MODE: 'race', STORE_URL: backend.storeUrl(), SCOPE: 'race', OUT_DIR: out, KEY_COUNT: String(RACE_KEYS) };
    const workers = Array.from({ length: RACE_WORKERS }, (_, i) => startWorker({ ...common, WORKER: String(i) }));
    await expectAllSucceed(workers);

    const effects = sideEffects(out);
    expect(effects).toHaveLength(RACE_KEYS);
    expect(new Set(effects).size).toBe(RACE_KEYS);
    // Every worker resolved every key to the same value: the one recorded by the worker that ran it.
    const results = Array.from({ length: RACE_WORKERS }, (_, i) => readResult<RaceResult>(out, i));
    for (const r of results) expect(r.byKey).toEqual(results[0]!.byKey);
    expect(results.reduce((n, r) => n + r.stats.misses, 0)).toBe(RACE_KEYS);
    expect(results.reduce((n, r) => n + r.stats.hits, 0)).toBe(RACE_KEYS * (RACE_WORKERS - 1));
  }, 600_000); // 92 s measured on moto; room for a busy machine

  it('two pods of one index (same keys, same order) run each side effect once', async () => {
    const out = outDir();
    const common = { ...backend.env, MODE: 'race', STORE_URL: backend.storeUrl(), SCOPE: 'dup', OUT_DIR: out, KEY_COUNT: '100' };
    // Workers 0 and 2 use the same key order: a duplicate pod collides head-on.
    await expectAllSucceed([startWorker({ ...common, WORKER: '0' }), startWorker({ ...common, WORKER: '2' })]);
    const effects = sideEffects(out);
    expect(effects).toHaveLength(100);
    expect(new Set(effects).size).toBe(100);
  });

  it('an owner killed with SIGKILL inside its side effect: takeover after the lease expires, exactly one completion', async () => {
    const out = outDir();
    const leaseMs = 1_500;
    const common = { ...backend.env, STORE_URL: backend.storeUrl(), SCOPE: 'kill', OUT_DIR: out, KEY: 'the-key', LEASE_MS: String(leaseMs) };
    const owner = startWorker({ ...common, MODE: 'hang', WORKER: '0' });
    await waitForFile(join(out, 'started-0'), 30_000);
    owner.child.kill('SIGKILL');
    expect((await owner.exit).signal).toBe('SIGKILL');
    const { beforeClaimAtMs } = JSON.parse(readFileSync(join(out, 'started-0'), 'utf8')) as { beforeClaimAtMs: number };

    const takers = [1, 2, 3].map((n) => startWorker({ ...common, MODE: 'once', WORKER: String(n) }));
    await expectAllSucceed(takers);
    const results = [1, 2, 3].map((n) =>
      readResult<{ outcome: { value: { by: number }; replayed: boolean; takeover: boolean }; ranAtMs?: number }>(out, n),
    );
    const outcomes = results.map((r) => r.outcome);
    const ran = outcomes.filter((o) => !o.replayed);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.takeover).toBe(true);
    for (const o of outcomes) expect(o.value).toEqual(ran[0]!.value);
    // The killed owner's side effect began once, the taker's once: two lines, one per owner.
    expect(sideEffects(out)).toEqual(['the-key', 'the-key']);
    // Nobody took over before the killed owner's lease had expired.
    const ranAtMs = results.find((r) => r.ranAtMs !== undefined)!.ranAtMs!;
    expect(ranAtMs).toBeGreaterThanOrEqual(beforeClaimAtMs + leaseMs);
  });
});
