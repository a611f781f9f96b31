/**
 * Seeded chaos for `jobkit run`: preemptions (DisruptionTarget + graceful
 * deletion), SIGKILLs and duplicate pods, at reproducible moments.
 *
 * Each action is tied to the n-th pod start (n drawn from the seed) and fires a
 * seeded delay after it. If that pod is no longer running by then, a running pod
 * is drawn instead; with none running, the action waits for the next pod start.
 * The same seed and the same pod timings give the same choices.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { SeededRandom } from './rng.ts';

/** The chaos kinds. */
export type ChaosKind = 'preempt' | 'kill' | 'duplicate';

/** How many of each action to inject. */
export interface ChaosSpec {
  readonly preempt: number;
  readonly kill: number;
  readonly duplicate: number;
}

/** No chaos. */
export const NO_CHAOS: ChaosSpec = { preempt: 0, kill: 0, duplicate: 0 };

const KINDS: readonly ChaosKind[] = ['preempt', 'kill', 'duplicate'];

/**
 * Parses `preempt=2,kill=1,duplicate=1` (a bare kind means 1).
 *
 * @example
 * ```ts
 * parseChaosSpec('preempt=2,kill'); // { preempt: 2, kill: 1, duplicate: 0 }
 * ```
 */
export function parseChaosSpec(text: string): ChaosSpec {
  const out: Record<ChaosKind, number> = { preempt: 0, kill: 0, duplicate: 0 };
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [kind, countText] = part.split('=');
    if (!KINDS.includes(kind as ChaosKind)) {
      throw new ConfigurationError(`--chaos: unknown kind "${kind}" in "${text}"; expected ${KINDS.join(', ')}`);
    }
    const count = countText === undefined ? 1 : Number(countText);
    if (!Number.isInteger(count) || count < 0) {
      throw new ConfigurationError(`--chaos: count for ${kind} must be an integer >= 0, got "${countText}"`);
    }
    out[kind as ChaosKind] += count;
  }
  return out;
}

/**
 * Merges several specs (repeated `--chaos` flags).
 *
 * @example
 * ```ts
 * mergeChaosSpecs([parseChaosSpec('kill=1'), parseChaosSpec('kill=2')]).kill; // 3
 * ```
 */
export function mergeChaosSpecs(specs: readonly ChaosSpec[]): ChaosSpec {
  return specs.reduce((a, b) => ({ preempt: a.preempt + b.preempt, kill: a.kill + b.kill, duplicate: a.duplicate + b.duplicate }), NO_CHAOS);
}

/** One planned action. */
export interface ChaosAction {
  readonly kind: ChaosKind;
  /** Fires after the n-th pod start (1-based). */
  readonly afterPodStart: number;
  /** Delay after that start, ms. */
  readonly delayMs: number;
}

/**
 * Plans the actions: kinds shuffled, each tied to a pod start in
 * [1, podStarts] and a delay in [minDelayMs, maxDelayMs].
 *
 * @example
 * ```ts
 * planChaos({ preempt: 1, kill: 0, duplicate: 0 }, new SeededRandom(7), { podStarts: 4, minDelayMs: 100, maxDelayMs: 1000 });
 * ```
 */
export function planChaos(spec: ChaosSpec, rng: SeededRandom, window: { podStarts: number; minDelayMs: number; maxDelayMs: number }): ChaosAction[] {
  const kinds: ChaosKind[] = [];
  for (const kind of KINDS) for (let i = 0; i < spec[kind]; i++) kinds.push(kind);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds.map((kind) => ({
    kind,
    afterPodStart: rng.int(1, Math.max(1, window.podStarts)),
    delayMs: rng.int(window.minDelayMs, Math.max(window.minDelayMs, window.maxDelayMs)),
  }));
}
