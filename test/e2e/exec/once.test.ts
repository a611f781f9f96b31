/**
 * `jobkit once KEY -- cmd` on a real filesystem store with real processes:
 * a replay across runs, a concurrent duplicate (only one runs the command),
 * and failures per the ledger's rules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execEnv, messages, runJobkit, tempDir } from './exec-child.ts';

function onceEnv(store: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return execEnv({ JOBKIT_STORE: `file://${store}`, ...extra });
}

function runs(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
}

describe('jobkit once', () => {
  it('runs the command once per key; a second run replays "already done at" and exits 0', async () => {
    const dir = tempDir();
    const ran = join(dir, 'ran');
    const cmd = ['sh', '-c', `echo ran >> ${ran}`];
    const first = await runJobkit(['once', 'migrate-v1', '--', ...cmd], onceEnv(join(dir, 'store')));
    expect(first.code, first.stdout).toBe(0);
    expect(runs(ran)).toBe(1);

    const second = await runJobkit(['once', 'migrate-v1', '--', ...cmd], onceEnv(join(dir, 'store')));
    expect(second.code, second.stdout).toBe(0);
    expect(runs(ran)).toBe(1);
    const replay = second.lines.find((l) => String(l.msg).includes('already done at'));
    expect(replay).toMatchObject({ key: 'migrate-v1' });
    expect(Date.parse(String(replay?.completedAt))).toBeGreaterThan(Date.now() - 300_000);
    expect(messages(second)).not.toContain('program started');

    const other = await runJobkit(['once', 'migrate-v2', '--', ...cmd], onceEnv(join(dir, 'store')));
    expect(other.code).toBe(0);
    expect(runs(ran)).toBe(2);
  });

  it('of two concurrent duplicates only one runs the command; both exit 0', async () => {
    const dir = tempDir();
    const ran = join(dir, 'ran');
    const cmd = ['sh', '-c', `echo ran >> ${ran}; sleep 1`];
    const env = onceEnv(join(dir, 'store'));
    const [a, b] = await Promise.all([runJobkit(['once', 'backfill', '--', ...cmd], env), runJobkit(['once', 'backfill', '--', ...cmd], env)]);
    expect([a.code, b.code], `${a.stdout}\n${b.stdout}`).toEqual([0, 0]);
    expect(runs(ran)).toBe(1);
    const replayed = [a, b].filter((r) => r.lines.some((l) => String(l.msg).includes('already done at')));
    expect(replayed).toHaveLength(1);
  });

  it('a retryable failure (75) releases the key: the next run runs the command again', async () => {
    const dir = tempDir();
    const ran = join(dir, 'ran');
    const env = onceEnv(join(dir, 'store'));
    expect((await runJobkit(['once', 'k', '--', 'sh', '-c', `echo ran >> ${ran}; exit 75`], env)).code).toBe(75);
    expect((await runJobkit(['once', 'k', '--', 'sh', '-c', `echo ran >> ${ran}`], env)).code).toBe(0);
    expect(runs(ran)).toBe(2);
  });

  it('with JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS=record a permanent failure (65) is recorded and replayed without running', async () => {
    const dir = tempDir();
    const ran = join(dir, 'ran');
    const env = onceEnv(join(dir, 'store'), { JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS: 'record' });
    expect((await runJobkit(['once', 'k', '--', 'sh', '-c', `echo ran >> ${ran}; exit 65`], env)).code).toBe(65);
    const replay = await runJobkit(['once', 'k', '--', 'sh', '-c', `echo ran >> ${ran}`], env);
    expect(replay.code).toBe(65);
    expect(runs(ran)).toBe(1);
  });

  it('refuses a missing key or command with 78', async () => {
    expect((await runJobkit(['once', '--', 'true'], execEnv())).code).toBe(78);
    expect((await runJobkit(['once', 'k'], execEnv())).code).toBe(78);
  });
});
