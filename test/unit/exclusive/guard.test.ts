/**
 * The single-run guard on a memory store: acquire, release and the fencing
 * epoch; a second run waits, fails with the busy code or skips; a lost lease
 * (renewals failing past the lease, another run taking over) aborts fn's
 * signal and rejects with the fenced code; options and keys are checked.
 */
import { describe, expect, it } from 'vitest';
import { ExclusiveBusyError, ExclusiveLeaseLostError } from '../../../src/exclusive/errors.ts';
import { decodeExclusiveRecord } from '../../../src/exclusive/format.ts';
import { checkExclusiveOptions, exclusiveKey, runExclusive } from '../../../src/exclusive/guard.ts';
import { ConfigurationError, FencedError } from '../../../src/runtime/errors.ts';
import type { JobLogger } from '../../../src/runtime/types.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { InterceptingStore, slowDown } from '../../support/intercepting-store.ts';
import { testIdentity } from '../../support/identity.ts';

function logger(): JobLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (obj: unknown, msg?: string): void => void lines.push(typeof obj === 'string' ? obj : (msg ?? ''));
  return { lines, info: log, warn: log, error: log, debug: log, child: () => logger() } as unknown as JobLogger & { lines: string[] };
}

const identityA = testIdentity({ jobName: 'report-29453761', podName: 'report-29453761-aaaaa', cronJobName: 'report', trigger: 'schedule', scheduledTime: new Date('2026-01-01T00:01:00Z') });
const identityB = testIdentity({ jobName: 'report-rerun', podName: 'report-rerun-bbbbb', cronJobName: 'report', trigger: 'manual' });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('job.exclusive', () => {
  it('runs fn while holding the guard, releases it, and the epoch grows with each holding', async () => {
    const store = new MemoryStore();
    const log = logger();
    const first = await runExclusive({ store, identity: identityA, log }, 'migrate', ({ epoch }) => `done at ${epoch}`);
    expect(first).toEqual({ ran: true, value: 'done at 1', epoch: 1 });
    const record = decodeExclusiveRecord((await store.get('cronjobs/default/report/exclusive/migrate'))!.body, 'k');
    expect(record).toMatchObject({ status: 'RELEASED', name: 'migrate', holder: { job: 'report-29453761', pod: 'report-29453761-aaaaa', run: 'report@2026-01-01T00:01:00Z', epoch: 1 } });
    const second = await runExclusive({ store, identity: identityB, log }, 'migrate', ({ epoch }) => epoch);
    expect(second).toEqual({ ran: true, value: 2, epoch: 2 });
  });

  it('a second run waits for the holder, then runs with the next epoch', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    const order: string[] = [];
    const a = runExclusive({ store, identity: identityA, log: logger() }, 'migrate', async () => {
      order.push('a:start');
      await gate.promise;
      order.push('a:end');
    });
    while (order.length === 0) await new Promise((r) => setTimeout(r, 5));
    const logB = logger();
    const b = runExclusive({ store, identity: identityB, log: logB }, 'migrate', ({ epoch }) => {
      order.push(`b:start:${epoch}`);
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(order).toEqual(['a:start']);
    expect(logB.lines.some((l) => l.startsWith('waiting for the single-run guard "migrate": held by pod report-29453761-aaaaa (job report-29453761), run report@2026-01-01T00:01:00Z, epoch 1'))).toBe(true);
    gate.resolve();
    await a;
    await b;
    expect(order).toEqual(['a:start', 'a:end', 'b:start:2']);
  });

  it('gives up after waitMs: ExclusiveBusyError (exit 69) naming the holder, or skips', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    const a = runExclusive({ store, identity: identityA, log: logger() }, 'migrate', () => gate.promise);
    await new Promise((r) => setTimeout(r, 20));
    const busy = await runExclusive({ store, identity: identityB, log: logger() }, 'migrate', () => 'never', { waitMs: 0 }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ExclusiveBusyError);
    expect((busy as ExclusiveBusyError).exitCode).toBe(69);
    expect((busy as Error).message).toContain('the single-run guard "migrate" is held by pod report-29453761-aaaaa');
    expect((busy as ExclusiveBusyError).holder.epoch).toBe(1);
    const skipped = await runExclusive({ store, identity: identityB, log: logger() }, 'migrate', () => 'never', { waitMs: 50, onBusy: 'skip' });
    expect(skipped).toMatchObject({ ran: false, holder: { pod: 'report-29453761-aaaaa' } });
    gate.resolve();
    await a;
  });

  it('losing the lease (renewals failing past it) aborts fn and rejects with the fenced code, even if fn resolves', async () => {
    const inner = new MemoryStore();
    const flaky = new InterceptingStore(inner);
    let failRenewals = false;
    flaky.around = (op, _key, run) => (op === 'put' && failRenewals ? Promise.reject(slowDown()) : run());
    const seen: unknown[] = [];
    const a = runExclusive({ store: flaky, identity: identityA, log: logger() }, 'migrate', async ({ signal }) => {
      failRenewals = true;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      seen.push(signal.reason);
      return 'finished anyway';
    }, { leaseMs: 1_000, clockSkewMarginMs: 0 });
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExclusiveLeaseLostError);
    expect(err).toBeInstanceOf(FencedError);
    expect((err as FencedError).exitCode).toBe(73);
    expect(seen[0]).toBe(err);
    expect((err as Error).message).toContain('no renewal succeeded within the lease of 1000 ms');
  });

  it('a takeover after the holder stalled: the old holder learns it on its next renewal', async () => {
    const inner = new MemoryStore();
    const stalling = new InterceptingStore(inner);
    let stall: Promise<void> | undefined;
    stalling.around = async (op, key, run) => {
      if (op === 'put' && stall !== undefined) await stall;
      return await run();
    };
    const release = deferred();
    const started = deferred();
    let lostReason: unknown;
    const a = runExclusive({ store: stalling, identity: identityA, log: logger() }, 'migrate', async ({ signal }) => {
      stall = release.promise;
      started.resolve();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      lostReason = signal.reason;
    }, { leaseMs: 1_000, clockSkewMarginMs: 0 });
    await started.promise;
    // B waits for A's lease to expire (its renewal is stuck), then takes over.
    const b = await runExclusive({ store: inner, identity: identityB, log: logger() }, 'migrate', ({ epoch }) => epoch, { leaseMs: 1_000, clockSkewMarginMs: 0, waitMs: 10_000 });
    expect(b).toEqual({ ran: true, value: 2, epoch: 2 });
    release.resolve();
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExclusiveLeaseLostError);
    expect(lostReason).toBe(err);
  });

  it('keys: per CronJob by default, per store prefix otherwise; a name never escapes', () => {
    expect(exclusiveKey('migrate', identityA, 'cronjob')).toBe('cronjobs/default/report/exclusive/migrate');
    expect(exclusiveKey('../../x', identityA, 'store')).toBe('exclusive/%2E%2E%2F%2E%2E%2Fx');
    expect(() => exclusiveKey('migrate', testIdentity(), 'cronjob')).toThrow(ConfigurationError);
    expect(() => exclusiveKey('', identityA, 'store')).toThrow('the guard name must be a non-empty string');
    expect(checkExclusiveOptions({}, identityA).scope).toBe('cronjob');
    expect(checkExclusiveOptions({}, testIdentity()).scope).toBe('store');
  });

  it.each([
    [{ waitMs: -1 }, 'option waitMs must be an integer >= 0'],
    [{ leaseMs: 10 }, 'option leaseMs must be an integer >= 1000'],
    [{ onBusy: 'wait' as 'skip' }, 'option onBusy must be "fail" or "skip", got "wait"'],
    [{ scope: 'namespace' as 'store' }, 'option scope must be "cronjob" or "store", got "namespace"'],
  ])('refuses %j', (options, message) => {
    expect(() => checkExclusiveOptions(options, identityA)).toThrow(message);
  });
});
