/**
 * The recorder turns the emulator's callbacks into attempts, strikes,
 * commits and condition changes, with the outcome rules of AttemptOutcome.
 */
import { describe, expect, it } from 'vitest';
import type { LocalPod } from '../../../../src/local/pod.ts';
import { TimelineRecorder, attemptOutcomeOf } from '../../../../src/local/timeline/recorder.ts';
import type { Job } from '../../../../src/local/types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(name: string, index: number | undefined, createdAt = T0): LocalPod {
  return {
    uid: `uid-${name}`,
    name,
    namespace: 'default',
    hostname: name,
    index,
    labels: {},
    annotations: {},
    creationTime: createdAt,
    phase: 'Pending',
    ready: false,
    conditions: [],
    container: { name: 'main', restartCount: 0 },
    trackingFinalizer: true,
  };
}

function exited(p: LocalPod, exitCode: number, at: number, signal?: NodeJS.Signals): void {
  p.container.terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: at, ...(signal === undefined ? {} : { signal }) };
}

function job(spec: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'etl', namespace: 'data' },
    spec: { completionMode: 'Indexed', completions: 2, ...spec, template: { spec: { containers: [{ name: 'main', command: ['true'] }] } } },
  };
}

/** A recorder on a clock the test moves. */
function recorder(): { rec: TimelineRecorder; at: (ms: number) => number } {
  let now = T0;
  const rec = new TimelineRecorder(() => now);
  return {
    rec,
    at: (ms) => {
      now = T0 + ms;
      return now;
    },
  };
}

describe('attemptOutcomeOf', () => {
  it('names how a container run ended, duplicate first, then exit 0, DisruptionTarget, signals and deletions', () => {
    const failed = pod('a', 0);
    exited(failed, 3, T0);
    expect(attemptOutcomeOf(failed, 'controller', false)).toEqual({ outcome: 'failed', exitCode: 3, reason: 'exit code 3 (Error)' });

    const ok = pod('b', 0);
    exited(ok, 0, T0);
    expect(attemptOutcomeOf(ok, 'controller', false).outcome).toBe('succeeded');
    expect(attemptOutcomeOf(ok, 'duplicate', false)).toEqual({ outcome: 'duplicate', exitCode: 0, reason: 'chaos duplicate pod; exit code 0 (Completed)' });

    const preempted = pod('c', 1);
    preempted.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: T0 });
    preempted.deletionTime = T0;
    exited(preempted, 143, T0, 'SIGTERM');
    expect(attemptOutcomeOf(preempted, 'controller', false)).toEqual({ outcome: 'preempted', exitCode: 143, reason: 'DisruptionTarget (EvictionByEvictionAPI); SIGTERM (exit code 143)' });

    const killed = pod('d', 1);
    exited(killed, 137, T0, 'SIGKILL');
    expect(attemptOutcomeOf(killed, 'controller', true)).toEqual({ outcome: 'killed', exitCode: 137, reason: 'chaos kill: SIGKILL (exit code 137)' });
    expect(attemptOutcomeOf(killed, 'controller', false).reason).toBe('SIGKILL (exit code 137)');

    // A jobkit program that handles the SIGTERM of a deadline exits 143 by itself: still killed by the controller.
    const deadline = pod('e', 0);
    deadline.deletionTime = T0;
    exited(deadline, 143, T0);
    expect(attemptOutcomeOf(deadline, 'controller', false)).toEqual({ outcome: 'killed', exitCode: 143, reason: 'deleted by the Job controller; exit code 143 (Error)' });

    const neverRan = pod('f', 0);
    neverRan.deletionTime = T0;
    expect(attemptOutcomeOf(neverRan, 'controller', false)).toEqual({ outcome: 'killed', reason: 'deleted by the Job controller; its container never started' });
  });
});

describe('TimelineRecorder', () => {
  it('records one attempt per container run, times from the Job creation', () => {
    const { rec, at } = recorder();
    rec.jobCreated(job());
    const p = pod('etl-0-aaaaa', 0, at(10));
    rec.podCreated(p, at(10), 'controller');
    rec.containerStarted(p, at(20));
    exited(p, 3, at(500));
    rec.containerExited(p, at(500));
    // OnFailure: the same pod restarts in place.
    p.container.restartCount = 1;
    p.container.terminated = undefined;
    rec.containerStarted(p, at(600));
    exited(p, 0, at(1500));
    rec.containerExited(p, at(1500));
    rec.podFinished(p, at(1500));
    const run = rec.finish('Complete');
    expect(run).toMatchObject({ jobName: 'etl', namespace: 'data', indexed: true, completions: 2, startedAt: T0, durationMs: 1500, outcome: 'Complete' });
    expect(run.attempts).toEqual([
      { pod: 'etl-0-aaaaa', index: 0, restart: 0, startMs: 20, endMs: 500, outcome: 'failed', exitCode: 3, reason: 'exit code 3 (Error)' },
      { pod: 'etl-0-aaaaa', index: 0, restart: 1, startMs: 600, endMs: 1500, outcome: 'succeeded', exitCode: 0, reason: 'exit code 0 (Completed)' },
    ]);
  });

  it('keeps a pod deleted before its container started as a bar from its creation', () => {
    const { rec, at } = recorder();
    rec.jobCreated(job());
    const p = pod('etl-1-bbbbb', 1, at(100));
    rec.podCreated(p, at(100), 'controller');
    p.deletionTime = at(101);
    rec.podFinished(p, at(102));
    expect(rec.finish('Failed').attempts).toEqual([
      { pod: 'etl-1-bbbbb', index: 1, restart: 0, startMs: 100, endMs: 102, outcome: 'killed', reason: 'deleted by the Job controller; its container never started' },
    ]);
  });

  it('ends the attempts still open as unfinished when the run is interrupted', () => {
    const { rec, at } = recorder();
    rec.jobCreated(job());
    const p = pod('etl-0-ccccc', 0);
    rec.podCreated(p, at(0), 'controller');
    rec.containerStarted(p, at(5));
    at(2000);
    const run = rec.finish('Interrupted');
    expect(run.outcome).toBe('Interrupted');
    expect(run.attempts).toEqual([{ pod: 'etl-0-ccccc', index: 0, restart: 0, startMs: 5, endMs: 2000, outcome: 'unfinished', reason: 'still running when the run ended' }]);
  });

  it('records chaos strikes (naming the duplicate), checkpoint commits and condition changes', () => {
    const { rec, at } = recorder();
    rec.jobCreated(job());
    const p = pod('etl-0-ddddd', 0);
    rec.podCreated(p, at(0), 'controller');
    rec.containerStarted(p, at(1));
    rec.podLine(p, 'starting', at(2));
    rec.podLine(p, '{"level":"debug","seq":1,"msg":"checkpoint committed"}', at(300));
    rec.chaosStruck('duplicate', p, at(400));
    const dup = pod('etl-0-eeeee', 0, at(400));
    rec.podCreated(dup, at(400), 'duplicate');
    rec.chaosStruck('kill', p, at(450));
    rec.synced([{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', at: T0 + 900 }]);
    // Unchanged conditions on later syncs are not repeated.
    rec.synced([{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', at: T0 + 900 }]);
    rec.synced([
      { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', at: T0 + 950 },
    ]);
    rec.synced([{ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', at: T0 + 990 }]);
    at(1000);
    const run = rec.finish('Complete');
    expect(run.checkpoints).toEqual([{ pod: 'etl-0-ddddd', index: 0, atMs: 300, seq: 1, final: false }]);
    expect(run.chaos).toEqual([
      { kind: 'duplicate', pod: 'etl-0-ddddd', index: 0, atMs: 400, duplicate: 'etl-0-eeeee' },
      { kind: 'kill', pod: 'etl-0-ddddd', index: 0, atMs: 450 },
    ]);
    expect(run.conditions.map((c) => [c.type, c.status, c.atMs])).toEqual([
      ['SuccessCriteriaMet', 'True', 900],
      ['Suspended', 'True', 950],
      ['Suspended', 'False', 990],
    ]);
  });

  it('refuses to finish a run whose Job was never created', () => {
    expect(() => new TimelineRecorder().finish('Failed')).toThrow('no Job was created, so there is no run to draw');
  });
});
