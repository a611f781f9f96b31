import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { openStore } from '../../../src/store/open.ts';
import { testIdentity } from '../../support/identity.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'queue-worker.ts');
const CHUNKS = 24;
// Long enough that a worker starved of CPU for a second (2 cores, other tests running) keeps its lease.
const LEASE_MS = 3_000;
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface WorkerEvent {
  readonly event: 'start' | 'summary';
  readonly pod: string;
  readonly chunk: number;
  /** In a summary: chunks whose lease this worker lost while working on them. */
  readonly leasesLost?: readonly number[];
}

function startWorker(env: Record<string, string>, onEvent: (e: WorkerEvent, child: ChildProcess) => void) {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    output += `${line}\n`;
    const parsed = JSON.parse(line) as Partial<WorkerEvent>;
    if (parsed.event !== undefined) onEvent(parsed as WorkerEvent, child);
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, output })),
  );
}

const stores = {
  fs: () => pathToFileURL(join(mkdtempSync(join(tmpdir(), 'jobkit-wq-')), 'store')).href,
  's3 (moto)': () => `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/sharding-e2e/${randomUUID()}`,
};

describe.each(Object.entries(stores))('work queue across processes on the %s store', (_, storeUrl) => {
  it('4 workers, one SIGKILLed and one SIGTERMed mid-chunk: every chunk done exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-wq-out-'));
    dirs.push(dir);
    const completions = join(dir, 'completions.jsonl');
    writeFileSync(completions, '');
    const jobName = `wq-${randomUUID().slice(0, 8)}`;
    const env = {
      JOBKIT_STORE: storeUrl(),
      JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '',
      JOBKIT_JOB_NAME: jobName,
      JOBKIT_NAMESPACE: 'default',
      JOBKIT_LOG_LEVEL: 'warn',
      QUEUE_CHUNKS: String(CHUNKS),
      QUEUE_LEASE_MS: String(LEASE_MS),
      QUEUE_WORK_MS: '300',
      QUEUE_COMPLETIONS: completions,
    };
    const interrupted = new Map<string, number>();
    const starts = new Map<string, number>();
    const lostBy = new Set<string>();
    const pods = ['w0', 'w1', 'w2', 'w3'];
    const results = await Promise.all(
      pods.map((pod) =>
        startWorker({ ...env, JOBKIT_POD_NAME: pod }, (e, child) => {
          if (e.event === 'summary') for (const c of e.leasesLost ?? []) lostBy.add(`${e.pod}:${c}`);
          if (e.event !== 'start') return;
          const n = (starts.get(e.pod) ?? 0) + 1;
          starts.set(e.pod, n);
          // In the middle of their second chunk: w0 dies (lease left to expire), w1 is asked to stop (lease handed back).
          if (n === 2 && (e.pod === 'w0' || e.pod === 'w1')) {
            interrupted.set(e.pod, e.chunk);
            child.kill(e.pod === 'w0' ? 'SIGKILL' : 'SIGTERM');
          }
        }),
      ),
    );

    expect(results[0]!.signal).toBe('SIGKILL');
    expect(results[1]!.code, results[1]!.output).toBe(143); // stopped early: never 0
    for (const r of results.slice(2)) expect(r.code, r.output).toBe(0);

    const lines = readFileSync(completions, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { chunk: number; worker: string; attempt: number });
    const chunksSeen = [...new Set(lines.map((l) => l.chunk))].sort((a, b) => a - b);
    expect(chunksSeen).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));

    const store = openStore(env.JOBKIT_STORE, { s3: { endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT } });
    const identity = testIdentity({ jobName, podName: undefined, podUid: undefined, nodeName: undefined, attempt: undefined });
    const status = await createWorkQueue({ store, identity, chunks: CHUNKS }).status();
    await store.close();
    expect(status.size).toBe(CHUNKS);
    expect([...status.values()].every((r) => r.state === 'done')).toBe(true);
    // The documented promise: `done` is recorded once, by one owner at one attempt, and a
    // side effect fenced with (worker, attempt) happens exactly once. An unfenced effect may
    // repeat only where a worker lost the lease (a store too slow to renew or complete within
    // leaseMs), and that worker says so in its summary.
    for (const [chunk, record] of status) {
      const fenced = lines.filter((l) => l.chunk === chunk && l.worker === record.owner && l.attempt === record.attempt);
      expect(fenced, `chunk ${chunk}`).toHaveLength(1);
      for (const extra of lines.filter((l) => l.chunk === chunk && l !== fenced[0])) {
        expect(lostBy, `chunk ${chunk} completed again by ${extra.worker} without a lost lease`).toContain(`${extra.worker.split('/')[0]}:${chunk}`);
      }
    }
    // Each lease a live worker lost (and said so) is one more takeover: on a loaded machine
    // the worker that took the chunk over can itself be too slow to renew.
    const lostCount = (chunk: number): number => [...lostBy].filter((k) => k.endsWith(`:${chunk}`)).length;
    const killedChunk = interrupted.get('w0')!;
    const killed = status.get(killedChunk)!;
    expect(killed.attempt).toBe(2 + lostCount(killedChunk));
    if (lostCount(killedChunk) === 0) expect(killed.takenOverFrom).toMatch(/^w0\//); // taken over from the dead pod after expiry
    expect(killed.owner).not.toMatch(/^w0\//);
    const stoppedChunk = interrupted.get('w1')!;
    const stopped = status.get(stoppedChunk)!;
    expect(stopped.attempt).toBe(2 + lostCount(stoppedChunk));
    if (lostCount(stoppedChunk) === 0) expect(stopped.takenOverFrom).toBeUndefined(); // released at shutdown, claimed at once
    expect(stopped.failures).toBe(0); // a stop is not a failure of the chunk
  });
});
