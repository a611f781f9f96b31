import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { FsStore } from '../../../src/store/fs.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'queue-worker.ts');
const CHUNKS = 24;
const LEASE_MS = 1_500;
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface WorkerEvent {
  readonly event: 'start' | 'summary';
  readonly worker: string;
  readonly chunk?: number;
  readonly attempt?: number;
}

function startWorker(worker: string, env: Record<string, string>, onEvent: (e: WorkerEvent, child: ChildProcess) => void) {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, ...env, QUEUE_WORKER: worker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => onEvent(JSON.parse(line) as WorkerEvent, child));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

describe('work queue across processes', () => {
  it('4 workers, one SIGKILLed mid-chunk: every chunk is done exactly once, the dead chunk taken over after expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-wq-'));
    dirs.push(dir);
    const completions = join(dir, 'completions.jsonl');
    writeFileSync(completions, '');
    const env = {
      QUEUE_STORE_DIR: join(dir, 'store'),
      QUEUE_JOB: 'wq-e2e',
      QUEUE_CHUNKS: String(CHUNKS),
      QUEUE_LEASE_MS: String(LEASE_MS),
      QUEUE_WORK_MS: '300',
      QUEUE_COMPLETIONS: completions,
    };
    let killedChunk: number | undefined;
    let victimStarts = 0;
    const workers = ['w0', 'w1', 'w2', 'w3'].map((id) =>
      startWorker(id, env, (e, child) => {
        // Kill w0 in the middle of its second chunk: the lease is held and never released.
        if (e.worker === 'w0' && e.event === 'start' && ++victimStarts === 2) {
          killedChunk = e.chunk;
          child.kill('SIGKILL');
        }
      }),
    );
    const results = await Promise.all(workers.map((w) => w.exited));

    expect(results[0]!.signal).toBe('SIGKILL');
    for (const r of results.slice(1)) expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(killedChunk).toBeDefined();

    const lines = readFileSync(completions, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { chunk: number; worker: string; attempt: number });
    const perChunk = new Map<number, number>();
    for (const l of lines) perChunk.set(l.chunk, (perChunk.get(l.chunk) ?? 0) + 1);
    expect([...perChunk.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
    expect([...perChunk.values()].every((n) => n === 1)).toBe(true);
    const takeover = lines.find((l) => l.chunk === killedChunk)!;
    expect(takeover.worker).not.toBe('w0');
    expect(takeover.attempt).toBe(2);

    const store = new FsStore(env.QUEUE_STORE_DIR, { fsync: false });
    const status = await createWorkQueue({
      store,
      identity: { platform: 'local', jobName: 'wq-e2e', namespace: 'default', podName: undefined, podUid: undefined, nodeName: undefined, index: 0, count: 1, attempt: undefined },
      chunks: CHUNKS,
    }).status();
    expect(status.size).toBe(CHUNKS);
    expect([...status.values()].every((r) => r.state === 'done')).toBe(true);
    expect(status.get(killedChunk!)).toMatchObject({ takenOverFrom: 'w0', attempt: 2 });
  });
});
