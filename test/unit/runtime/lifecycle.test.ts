import { describe, expect, it } from 'vitest';
import { ConfigurationError, InterruptedError } from '../../../src/runtime/errors.ts';
import { createLifecycle, resolveLifecycleSettings } from '../../../src/runtime/lifecycle.ts';
import type { ShutdownContext, ShutdownHook, ShutdownPhase } from '../../../src/runtime/types.ts';

const far = (): number => performance.now() + 60_000;

function hook(name: string, phase: ShutdownPhase, run: (ctx: ShutdownContext) => Promise<void> | void, budgetMs = 5_000): ShutdownHook {
  return { name, phase, budgetMs, run: async (ctx) => await run(ctx) };
}

describe('lifecycle shutdown', () => {
  it('runs phases in order checkpoint -> release -> telemetry -> logs, whatever the registration order', async () => {
    const lifecycle = createLifecycle();
    const ran: string[] = [];
    for (const phase of ['logs', 'telemetry', 'release', 'checkpoint'] as const) {
      lifecycle.onShutdown(hook(phase, phase, () => void ran.push(phase)));
    }
    const report = await lifecycle.shutdown('completed', far);
    expect(ran).toEqual(['checkpoint', 'release', 'telemetry', 'logs']);
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['checkpoint', 'ok'],
      ['release', 'ok'],
      ['telemetry', 'ok'],
      ['logs', 'ok'],
    ]);
  });

  it('runs the hooks of one phase concurrently', async () => {
    const lifecycle = createLifecycle();
    // Each hook waits for the other to have started: this only finishes if they overlap.
    let releaseA!: () => void;
    let releaseB!: () => void;
    const aStarted = new Promise<void>((r) => (releaseA = r));
    const bStarted = new Promise<void>((r) => (releaseB = r));
    lifecycle.onShutdown(hook('a', 'telemetry', async () => { releaseA(); await bStarted; }));
    lifecycle.onShutdown(hook('b', 'telemetry', async () => { releaseB(); await aStarted; }));
    const report = await lifecycle.shutdown('completed', far);
    expect(report.hooks.map((h) => h.outcome)).toEqual(['ok', 'ok']);
  });

  it('tells every hook the reason', async () => {
    const lifecycle = createLifecycle();
    const reasons: string[] = [];
    lifecycle.onShutdown(hook('x', 'checkpoint', ({ reason }) => void reasons.push(reason)));
    await lifecycle.shutdown('signal', far);
    expect(reasons).toEqual(['signal']);
  });

  it('a failing hook is reported and does not stop the next phases', async () => {
    const lifecycle = createLifecycle();
    const boom = new Error('push failed');
    let logsRan = false;
    lifecycle.onShutdown(hook('metrics.push', 'telemetry', () => { throw boom; }));
    lifecycle.onShutdown(hook('logs.flush', 'logs', () => { logsRan = true; }));
    const report = await lifecycle.shutdown('failed', far);
    expect(report.hooks[0]).toMatchObject({ name: 'metrics.push', outcome: 'failed', error: boom });
    expect(logsRan).toBe(true);
  });

  it('a hook that overruns its budget is aborted and abandoned; the next phase still runs', async () => {
    const lifecycle = createLifecycle();
    let hookSignal: AbortSignal | undefined;
    let releaseRan = false;
    lifecycle.onShutdown(
      hook('stuck', 'checkpoint', async ({ signal }) => {
        hookSignal = signal;
        await new Promise(() => {}); // ignores its signal on purpose
      }, 20),
    );
    lifecycle.onShutdown(hook('release', 'release', () => { releaseRan = true; }));
    const report = await lifecycle.shutdown('signal', far);
    expect(report.hooks[0]).toMatchObject({ name: 'stuck', outcome: 'timed-out' });
    expect(hookSignal?.aborted).toBe(true);
    expect(releaseRan).toBe(true);
  });

  it('gives each hook at most the time left in the overall budget', async () => {
    const lifecycle = createLifecycle();
    let given = Number.NaN;
    lifecycle.onShutdown(hook('big', 'checkpoint', ({ budgetMs }) => { given = budgetMs; }, 60_000));
    await lifecycle.shutdown('signal', () => performance.now() + 1_000);
    expect(given).toBeLessThanOrEqual(1_000);
    expect(given).toBeGreaterThan(0);
  });

  it('skips hooks once the overall budget is spent', async () => {
    const lifecycle = createLifecycle();
    let ran = false;
    lifecycle.onShutdown(hook('late', 'logs', () => { ran = true; }));
    const report = await lifecycle.shutdown('signal', () => performance.now() - 1);
    expect(report.hooks[0]).toMatchObject({ name: 'late', outcome: 'skipped' });
    expect(ran).toBe(false);
  });

  it('a hook may register a hook of a later phase while shutting down', async () => {
    const lifecycle = createLifecycle();
    const ran: string[] = [];
    lifecycle.onShutdown(
      hook('first', 'checkpoint', () => {
        ran.push('first');
        lifecycle.onShutdown(hook('added', 'logs', () => void ran.push('added')));
      }),
    );
    await lifecycle.shutdown('completed', far);
    expect(ran).toEqual(['first', 'added']);
  });

  it('unregistered hooks do not run', async () => {
    const lifecycle = createLifecycle();
    let ran = false;
    const off = lifecycle.onShutdown(hook('x', 'release', () => { ran = true; }));
    off();
    await lifecycle.shutdown('completed', far);
    expect(ran).toBe(false);
  });

  it('runs once: a second call returns the same report', async () => {
    const lifecycle = createLifecycle();
    let runs = 0;
    lifecycle.onShutdown(hook('x', 'release', () => void (runs += 1)));
    const [a, b] = await Promise.all([lifecycle.shutdown('signal', far), lifecycle.shutdown('completed', far)]);
    expect(runs).toBe(1);
    expect(b).toBe(a);
  });

  it('refuses a hook with a bad phase or budget', () => {
    const lifecycle = createLifecycle();
    expect(() => lifecycle.onShutdown(hook('x', 'cleanup' as ShutdownPhase, () => {}))).toThrow(ConfigurationError);
    expect(() => lifecycle.onShutdown(hook('x', 'logs', () => {}, 0))).toThrow('shutdown hook x: budgetMs must be a number > 0, got 0');
    expect(() => lifecycle.onShutdown(hook('x', 'logs', () => {}, Number.NaN))).toThrow(ConfigurationError);
  });
});

describe('lifecycle signal', () => {
  it('stop aborts the signal with the first reason only', () => {
    const lifecycle = createLifecycle();
    const first = new InterruptedError('received SIGTERM');
    lifecycle.stop(first);
    lifecycle.stop(new Error('later'));
    expect(lifecycle.signal.aborted).toBe(true);
    expect(lifecycle.signal.reason).toBe(first);
  });
});

describe('resolveLifecycleSettings', () => {
  it('defaults: 30 s grace, 3 s margin, no deadline', () => {
    expect(resolveLifecycleSettings({})).toEqual({ gracePeriodMs: 30_000, marginMs: 3_000, shutdownBudgetMs: 27_000, deadlineMs: undefined });
  });

  it('reads the env; options win', () => {
    const env = { JOBKIT_GRACE_PERIOD_SECONDS: '15', JOBKIT_DEADLINE_SECONDS: '600', JOBKIT_SHUTDOWN_MARGIN_SECONDS: '2' };
    expect(resolveLifecycleSettings(env)).toEqual({ gracePeriodMs: 15_000, marginMs: 2_000, shutdownBudgetMs: 13_000, deadlineMs: 600_000 });
    expect(resolveLifecycleSettings(env, { gracePeriodSeconds: 120, shutdownMarginSeconds: 10, deadlineSeconds: 60 })).toEqual({
      gracePeriodMs: 120_000,
      marginMs: 10_000,
      shutdownBudgetMs: 110_000,
      deadlineMs: 60_000,
    });
  });

  it('scales the default margin with the grace period (at least 0.5 s, at most 5 s, at most half)', () => {
    expect(resolveLifecycleSettings({ JOBKIT_GRACE_PERIOD_SECONDS: '300' }).marginMs).toBe(5_000);
    expect(resolveLifecycleSettings({ JOBKIT_GRACE_PERIOD_SECONDS: '2' }).marginMs).toBe(500);
    expect(resolveLifecycleSettings({ JOBKIT_GRACE_PERIOD_SECONDS: '0.5' }).marginMs).toBe(250);
  });

  it.each([
    [{ JOBKIT_GRACE_PERIOD_SECONDS: '0' }, 'JOBKIT_GRACE_PERIOD_SECONDS must be a number > 0 and <= 2147483, got "0"'],
    [{ JOBKIT_GRACE_PERIOD_SECONDS: 'thirty' }, 'JOBKIT_GRACE_PERIOD_SECONDS must be a number > 0 and <= 2147483, got "thirty"'],
    [{ JOBKIT_DEADLINE_SECONDS: '-5' }, 'JOBKIT_DEADLINE_SECONDS must be a number > 0 and <= 2147483, got "-5"'],
    // Past 2^31 - 1 ms a Node timer fires at once: a 30-day deadline would stop the job immediately.
    [{ JOBKIT_DEADLINE_SECONDS: '2592000' }, 'JOBKIT_DEADLINE_SECONDS must be a number > 0 and <= 2147483, got "2592000"'],
    [{ JOBKIT_SHUTDOWN_MARGIN_SECONDS: 'x' }, 'JOBKIT_SHUTDOWN_MARGIN_SECONDS must be a number >= 0, got "x"'],
    [
      { JOBKIT_GRACE_PERIOD_SECONDS: '10', JOBKIT_SHUTDOWN_MARGIN_SECONDS: '10' },
      'JOBKIT_SHUTDOWN_MARGIN_SECONDS=10 leaves no shutdown time: it must be below the grace period of 10 s',
    ],
  ])('%o', (env, message) => {
    expect(() => resolveLifecycleSettings(env)).toThrow(ConfigurationError);
    expect(() => resolveLifecycleSettings(env)).toThrow(message);
  });

  it('names the option when a code value is bad', () => {
    expect(() => resolveLifecycleSettings({}, { deadlineSeconds: 0 })).toThrow('option deadlineSeconds must be a number > 0 and <= 2147483, got "0"');
    expect(() => resolveLifecycleSettings({}, { gracePeriodSeconds: 5, shutdownMarginSeconds: 6 })).toThrow(/^option shutdownMarginSeconds=6/);
  });
});
