/**
 * The chaos engine arms an action at its pod's first line (not at spawn),
 * strikes a delay later, and records where each action landed.
 */
import { describe, expect, it } from 'vitest';
import { ChaosEngine, type ChaosAction, describeChaos } from '../../../src/local/chaos.ts';
import type { LocalPod } from '../../../src/local/pod.ts';
import { SeededRandom } from '../../../src/local/rng.ts';

function pod(name: string): LocalPod {
  return {
    uid: name, name, namespace: 'default', hostname: name, index: 0, labels: {}, annotations: {}, creationTime: 0,
    phase: 'Running', ready: true, conditions: [], container: { name: 'main', restartCount: 0 }, trackingFinalizer: true,
  };
}

/** A manual clock for `later`. */
class Timers {
  private queue: { at: number; fn: () => void }[] = [];
  now = 0;
  readonly later = (ms: number, fn: () => void): void => {
    this.queue.push({ at: this.now + ms, fn });
  };
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (next === undefined || next.at > until) break;
      this.queue.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = until;
  }
}

function engine(plan: ChaosAction[], running: LocalPod[], timers: Timers, struck: string[], duplicates: LocalPod[] = []): ChaosEngine {
  return new ChaosEngine({
    plan,
    random: new SeededRandom(1),
    later: timers.later,
    isDone: () => false,
    runningPods: () => running.filter((p) => p.container.terminated === undefined),
    hooks: {
      preempt: (p) => struck.push(`preempt ${p.name}`),
      kill: (p) => struck.push(`kill ${p.name}`),
      duplicate: (p) => {
        struck.push(`duplicate ${p.name}`);
        const dup = pod(`${p.name}-dup`);
        duplicates.push(dup);
        return dup;
      },
    },
    armSilentAfterMs: 5_000,
  });
}

describe('chaos engine', () => {
  it('arms at the first line, not at spawn: a pod still loading is not struck', () => {
    const timers = new Timers();
    const a = pod('a');
    const struck: string[] = [];
    const e = engine([{ kind: 'kill', afterPodStart: 1, delayMs: 300 }], [a], timers, struck);
    e.podStarted(a);
    timers.advance(2_000); // loading for 2 s, nothing printed
    expect(struck).toEqual([]);
    e.podLine(a);
    timers.advance(299);
    expect(struck).toEqual([]);
    timers.advance(1);
    expect(struck).toEqual(['kill a']);
    a.container.terminated = { exitCode: 137, reason: 'Error', finishedAt: 0, signal: 'SIGKILL' };
    expect(e.applied).toEqual([{ kind: 'kill', pod: 'a', landed: 'mid-work', linesBefore: 1 }]);
  });

  it('arms a silent pod after the silence limit, and says it landed before the first line', () => {
    const timers = new Timers();
    const a = pod('a');
    const struck: string[] = [];
    const e = engine([{ kind: 'preempt', afterPodStart: 1, delayMs: 100 }], [a], timers, struck);
    e.podStarted(a);
    timers.advance(5_100);
    expect(struck).toEqual(['preempt a']);
    expect(e.applied[0]?.landed).toBe('before-first-line');
  });

  it('a preempted pod that still exits 0 was struck after its work', () => {
    const timers = new Timers();
    const a = pod('a');
    const e = engine([{ kind: 'preempt', afterPodStart: 1, delayMs: 100 }], [a], timers, []);
    e.podStarted(a);
    e.podLine(a);
    timers.advance(100);
    a.container.terminated = { exitCode: 0, reason: 'Completed', finishedAt: 0 };
    expect(e.applied[0]?.landed).toBe('after-work');
    expect(describeChaos(e.applied, 1)).toEqual([
      'chaos: preempt of pod a landed after the work (after 1 line)',
      'chaos: 0 of 2 chaos actions landed mid-work (1 never fired: no pod was running)',
    ]);
  });

  it('a duplicate that works while its original runs landed mid-work, and is reported working', () => {
    const timers = new Timers();
    const a = pod('a');
    const working: string[] = [];
    const duplicates: LocalPod[] = [];
    const e = engine([{ kind: 'duplicate', afterPodStart: 1, delayMs: 100 }], [a], timers, [], duplicates);
    e.onDuplicateWorking = (d) => working.push(d.name);
    e.podStarted(a);
    e.podLine(a);
    timers.advance(100);
    e.podLine(duplicates[0]!);
    expect(working).toEqual(['a-dup']);
    expect(e.applied[0]).toMatchObject({ kind: 'duplicate', pod: 'a', duplicate: 'a-dup', landed: 'mid-work' });
  });

  it('a duplicate that starts working after its original ended landed after the work', () => {
    const timers = new Timers();
    const a = pod('a');
    const duplicates: LocalPod[] = [];
    const e = engine([{ kind: 'duplicate', afterPodStart: 1, delayMs: 100 }], [a], timers, [], duplicates);
    e.podStarted(a);
    e.podLine(a);
    timers.advance(100);
    a.container.terminated = { exitCode: 0, reason: 'Completed', finishedAt: 0 };
    e.podLine(duplicates[0]!);
    expect(e.applied[0]?.landed).toBe('after-work');
  });
});
