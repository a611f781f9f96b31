/**
 * The chaos kinds are one typed table (CHAOS_KINDS, checked against the
 * ChaosHooks interface): a kind without an entry or a hook does not compile,
 * and building plans and specs from the table keeps the seeded plans as they
 * were. The `@ts-expect-error` lines are the proof: `tsc` runs over test/ and
 * fails on a directive that no longer suppresses an error.
 */
import { describe, expect, it } from 'vitest';
import {
  CHAOS_KIND_NAMES,
  CHAOS_KINDS,
  type ChaosHooks,
  type ChaosKindTable,
  type ChaosSpec,
  type ChaosStrike,
  describeChaos,
  mergeChaosSpecs,
  NO_CHAOS,
  parseChaosSpec,
  planChaos,
} from '../../../src/local/chaos.ts';
import type { LocalPod } from '../../../src/local/pod.ts';
import { SeededRandom } from '../../../src/local/rng.ts';

function pod(name: string): LocalPod {
  return {
    uid: name, name, namespace: 'default', hostname: name, index: 0, labels: {}, annotations: {}, creationTime: 0,
    phase: 'Running', ready: true, conditions: [], container: { name: 'main', restartCount: 0 }, trackingFinalizer: true,
  };
}

const noop = (): void => undefined;

describe('chaos kinds table: the compiler names every place a kind needs', () => {
  it('a table missing a kind does not compile', () => {
    // @ts-expect-error duplicate has no entry
    const partial: ChaosKindTable = { preempt: CHAOS_KINDS.preempt, kill: CHAOS_KINDS.kill };
    expect(Object.keys(partial)).toEqual(['preempt', 'kill']);
  });

  it('an entry for a kind that is not in ChaosHooks does not compile', () => {
    // @ts-expect-error flood is no kind
    const extra: ChaosKindTable = { ...CHAOS_KINDS, flood: CHAOS_KINDS.kill };
    expect(Object.keys(extra)).toContain('flood');
  });

  it("an entry that misuses its kind's hook does not compile", () => {
    const table: ChaosKindTable = {
      ...CHAOS_KINDS,
      kill: {
        // @ts-expect-error the kill hook returns nothing, so it cannot report a duplicate pod
        strike: (target, kill) => ({ duplicate: kill(target) }),
        landed: () => 'mid-work',
      },
    };
    expect(table.kill.landed({ kind: 'kill', pod: pod('a'), linesBefore: 1 })).toBe('mid-work');
  });

  it('a landing rule cannot claim before-first-line: the engine decides that for every kind', () => {
    const table: ChaosKindTable = {
      ...CHAOS_KINDS,
      // @ts-expect-error landed answers only for a pod that had printed
      kill: { strike: CHAOS_KINDS.kill.strike, landed: () => 'before-first-line' },
    };
    expect(Object.keys(table)).toEqual([...CHAOS_KIND_NAMES]);
  });

  it('hooks missing a kind (the emulator forgot its handler) do not compile', () => {
    // @ts-expect-error no duplicate hook
    const hooks: ChaosHooks = { preempt: noop, kill: noop };
    expect(Object.keys(hooks)).toEqual(['preempt', 'kill']);
  });

  it('a spec missing a kind does not compile', () => {
    // @ts-expect-error no duplicate count
    const spec: ChaosSpec = { preempt: 1, kill: 0 };
    expect(spec.preempt).toBe(1);
  });
});

describe('chaos kinds table: behaviour kept', () => {
  it('lists the kinds in the order plans, specs and the --chaos error have always used', () => {
    expect(CHAOS_KIND_NAMES).toEqual(['preempt', 'kill', 'duplicate']);
    expect(NO_CHAOS).toEqual({ preempt: 0, kill: 0, duplicate: 0 });
    expect(() => parseChaosSpec('flood=1')).toThrow('--chaos: unknown kind "flood" in "flood=1"; expected preempt, kill, duplicate');
    expect(() => parseChaosSpec('=1')).toThrow('--chaos: unknown kind "" in "=1"');
    expect(mergeChaosSpecs([parseChaosSpec('kill,duplicate=2'), parseChaosSpec('kill=2,preempt')])).toEqual({ preempt: 1, kill: 3, duplicate: 2 });
    expect(mergeChaosSpecs([])).toEqual(NO_CHAOS);
  });

  // Pinned from the planner before the table: the e2e chaos runs and anyone's `--seed` rely on these.
  it('plans exactly the same actions for a given seed', () => {
    const window = { podStarts: 10, minDelayMs: 250, maxDelayMs: 1000 };
    const spec = { preempt: 2, kill: 1, duplicate: 1 };
    expect(planChaos(spec, new SeededRandom(7), window)).toEqual([
      { kind: 'kill', afterPodStart: 7, delayMs: 641 },
      { kind: 'preempt', afterPodStart: 5, delayMs: 600 },
      { kind: 'duplicate', afterPodStart: 3, delayMs: 665 },
      { kind: 'preempt', afterPodStart: 8, delayMs: 443 },
    ]);
    expect(planChaos(spec, new SeededRandom(9), window)).toEqual([
      { kind: 'preempt', afterPodStart: 9, delayMs: 793 },
      { kind: 'duplicate', afterPodStart: 7, delayMs: 447 },
      { kind: 'kill', afterPodStart: 10, delayMs: 348 },
      { kind: 'preempt', afterPodStart: 7, delayMs: 774 },
    ]);
    // The emulator's chaos stream for --seed 7 (seed ^ 0x5bd1e995).
    expect(planChaos(spec, new SeededRandom(7 ^ 0x5bd1e995), window)).toEqual([
      { kind: 'duplicate', afterPodStart: 3, delayMs: 967 },
      { kind: 'preempt', afterPodStart: 6, delayMs: 797 },
      { kind: 'preempt', afterPodStart: 3, delayMs: 254 },
      { kind: 'kill', afterPodStart: 8, delayMs: 956 },
    ]);
    expect(planChaos({ preempt: 1, kill: 1, duplicate: 1 }, new SeededRandom(42), { podStarts: 4, minDelayMs: 100, maxDelayMs: 1000 })).toEqual([
      { kind: 'duplicate', afterPodStart: 4, delayMs: 703 },
      { kind: 'preempt', afterPodStart: 1, delayMs: 574 },
      { kind: 'kill', afterPodStart: 2, delayMs: 662 },
    ]);
  });

  it('each strike acts through its own hook only', () => {
    const calls: string[] = [];
    const dup = pod('a-dup');
    const hooks: ChaosHooks = {
      preempt: (p) => calls.push(`preempt ${p.name}`),
      kill: (p) => calls.push(`kill ${p.name}`),
      duplicate: (p) => {
        calls.push(`duplicate ${p.name}`);
        return dup;
      },
    };
    expect(CHAOS_KINDS.preempt.strike(pod('a'), hooks.preempt)).toEqual({});
    expect(CHAOS_KINDS.kill.strike(pod('b'), hooks.kill)).toEqual({});
    expect(CHAOS_KINDS.duplicate.strike(pod('c'), hooks.duplicate)).toEqual({ duplicate: dup });
    expect(calls).toEqual(['preempt a', 'kill b', 'duplicate c']);
  });

  it('judges each landing as before', () => {
    const struck = (kind: ChaosStrike['kind'], exitCode?: number, overlapped?: boolean): ChaosStrike => {
      const p = pod('a');
      if (exitCode !== undefined) p.container.terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: 0 };
      return { kind, pod: p, linesBefore: 2, ...(overlapped === undefined ? {} : { overlapped }) };
    };
    expect(CHAOS_KINDS.preempt.landed(struck('preempt', 0))).toBe('after-work');
    expect(CHAOS_KINDS.preempt.landed(struck('preempt', 143))).toBe('mid-work');
    expect(CHAOS_KINDS.preempt.landed(struck('preempt'))).toBe('mid-work');
    expect(CHAOS_KINDS.kill.landed(struck('kill', 0))).toBe('mid-work');
    expect(CHAOS_KINDS.duplicate.landed(struck('duplicate', 0, false))).toBe('after-work');
    expect(CHAOS_KINDS.duplicate.landed(struck('duplicate', 0, true))).toBe('mid-work');
    // A duplicate that never printed is not known to have missed the race.
    expect(CHAOS_KINDS.duplicate.landed(struck('duplicate', 0))).toBe('mid-work');
  });

  it('says each kind as before', () => {
    expect(
      describeChaos(
        [
          { kind: 'preempt', pod: 'a', landed: 'mid-work', linesBefore: 3 },
          { kind: 'kill', pod: 'b', landed: 'before-first-line', linesBefore: 0 },
          { kind: 'duplicate', pod: 'c', duplicate: 'c2', landed: 'after-work', linesBefore: 1 },
        ],
        0,
      ),
    ).toEqual([
      'chaos: preempt of pod a landed mid-work (after 3 lines)',
      'chaos: kill of pod b landed before the first line (after 0 lines)',
      'chaos: duplicate of pod c (duplicate c2) landed after the work (after 1 line)',
      'chaos: 1 of 3 chaos actions landed mid-work',
    ]);
  });
});
