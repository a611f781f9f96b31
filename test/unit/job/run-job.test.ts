/**
 * executeJob in process, with fake signals (process.emit). The real signal path,
 * a real child process and process.exit are covered by test/e2e/lifecycle.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, InterruptedError, PermanentError, RetryableError } from '../../../src/runtime/errors.ts';
import { type JobContext, type RunJobOptions, executeJob } from '../../../src/job/run-job.ts';
import type { ShutdownReason } from '../../../src/runtime/types.ts';

interface Run {
  readonly code: number;
  readonly lines: Record<string, unknown>[];
  readonly reasons: ShutdownReason[];
}

const baseEnv = { JOBKIT_JOB_NAME: 'etl', JOBKIT_INDEX: '1', JOBKIT_COUNT: '4', JOBKIT_GRACE_PERIOD_SECONDS: '5' };

async function run(main: (job: JobContext) => Promise<void> | void, options: RunJobOptions = {}, env: Record<string, string> = baseEnv): Promise<Run> {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const reasons: ShutdownReason[] = [];
  const code = await executeJob(
    async (job) => {
      job.lifecycle.onShutdown({ name: 'test.record', phase: 'checkpoint', budgetMs: 1_000, run: ({ reason }) => Promise.resolve(void reasons.push(reason)) });
      await main(job);
    },
    { env, ...options, logger: { destination } },
  );
  return { code, lines, reasons };
}

/** Resolves once main is running, so a fake signal lands during the work. */
function untilAborted(job: JobContext): Promise<void> {
  return new Promise((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }));
}

const listeners = (): number[] => ['SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection', 'beforeExit'].map((e) => process.listenerCount(e));
let before: number[] = [];

afterEach(() => {
  // executeJob must remove every handler it installed.
  expect(listeners()).toEqual(before);
});

describe('executeJob outcomes', () => {
  before = listeners();

  it('main returns normally with no stop: 0, hooks told "completed"', async () => {
    const { code, reasons, lines } = await run((job) => {
      job.log.info('working');
    });
    expect(code).toBe(0);
    expect(reasons).toEqual(['completed']);
    expect(lines.find((l) => l.msg === 'working')).toMatchObject({ job: 'etl', index: 1 });
  });

  it.each([
    [new PermanentError('row 9 is malformed'), 65],
    [new RetryableError('S3 kept throttling'), 75],
    [new ConfigurationError('option bucket must be set, got ""'), 78],
    [new TypeError("Cannot read properties of undefined (reading 'id')"), 70],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 75],
  ])('main throws %s: exit %i, fatal line, hooks told "failed"', async (error, expected) => {
    const { code, reasons, lines } = await run(() => {
      throw error;
    });
    expect(code).toBe(expected);
    expect(reasons).toEqual(['failed']);
    const fatal = lines.find((l) => l.level === 'fatal');
    expect(fatal).toMatchObject({ exitCode: expected, err: { message: error.message } });
  });

  it('a bad env value stops before main with 78 and a fatal line naming the variable', async () => {
    let called = false;
    const { code, lines } = await run(
      () => {
        called = true;
      },
      {},
      { JOBKIT_INDEX: 'abc' },
    );
    expect(code).toBe(78);
    expect(called).toBe(false);
    expect(lines.find((l) => l.level === 'fatal')?.msg).toContain('JOBKIT_INDEX must be a non-negative integer, got "abc"');
  });

  it('a bad JOBKIT_LOG_LEVEL stops the job with 78 too (the fatal line still gets out)', async () => {
    const { code, lines } = await run(() => {}, {}, { JOBKIT_LOG_LEVEL: 'loud' });
    expect(code).toBe(78);
    expect(lines.find((l) => l.level === 'fatal')?.msg).toContain('JOBKIT_LOG_LEVEL must be one of');
  });

  it('a bad option is a configuration error too', async () => {
    const { code } = await run(() => {}, { deadlineSeconds: -1 });
    expect(code).toBe(78);
  });
});

describe('executeJob stops', () => {
  it('SIGTERM aborts job.signal; main returning normally afterwards still exits 143', async () => {
    let reason: unknown;
    const { code, reasons } = await run(async (job) => {
      const stopped = untilAborted(job);
      process.emit('SIGTERM', 'SIGTERM');
      await stopped;
      reason = job.signal.reason;
    });
    expect(code).toBe(143);
    expect(reason).toBeInstanceOf(InterruptedError);
    expect(reasons).toEqual(['signal']);
  });

  it('SIGINT is a stop too (same code: the table has one interrupted class)', async () => {
    const { code } = await run(async (job) => {
      const stopped = untilAborted(job);
      process.emit('SIGINT', 'SIGINT');
      await stopped;
    });
    expect(code).toBe(143);
  });

  it('main throwing because of the abort still exits 143, not its own class', async () => {
    const { code } = await run(async (job) => {
      const stopped = untilAborted(job);
      process.emit('SIGTERM', 'SIGTERM');
      await stopped;
      throw new DOMException('This operation was aborted', 'AbortError');
    });
    expect(code).toBe(143);
  });

  it('the deadline aborts the work and exits 124', async () => {
    let reason: unknown;
    const { code, reasons } = await run(
      async (job) => {
        await untilAborted(job);
        reason = job.signal.reason;
      },
      { deadlineSeconds: 0.05 },
    );
    expect(code).toBe(124);
    expect((reason as Error).name).toBe('DeadlineExceededError');
    expect(reasons).toEqual(['deadline']);
  });

  it('a second SIGTERM forces the exit at once, even while main ignores the stop', async () => {
    const { code } = await run(async () => {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise(() => {});
    });
    expect(code).toBe(143);
  });

  it('when main ignores the stop, the end of the grace budget forces the exit', async () => {
    const { code, lines } = await run(
      async () => {
        process.emit('SIGTERM', 'SIGTERM');
        await new Promise(() => {});
      },
      { gracePeriodSeconds: 0.2, shutdownMarginSeconds: 0.1 },
    );
    expect(code).toBe(143);
    expect(lines.some((l) => l.msg === 'shutdown budget spent: exiting now')).toBe(true);
  });

  it('a signal after main completed does not turn success into a failure', async () => {
    const { code } = await run((job) => {
      job.lifecycle.onShutdown({
        name: 'slow.release',
        phase: 'release',
        budgetMs: 1_000,
        run: () => Promise.resolve(void process.emit('SIGTERM', 'SIGTERM')),
      });
    });
    expect(code).toBe(0);
  });
});
