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
import type { LocalPod } from './pod.ts';
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

/** One chaos action that was carried out. */
export interface AppliedChaos {
  readonly kind: ChaosKind;
  readonly pod: string;
  /** For `duplicate`: the name of the second pod. */
  readonly duplicate?: string;
}

/** What the chaos engine acts on. */
export interface ChaosEngineOptions {
  readonly plan: readonly ChaosAction[];
  readonly random: SeededRandom;
  readonly later: (ms: number, fn: () => void) => void;
  readonly isDone: () => boolean;
  readonly runningPods: () => LocalPod[];
  readonly preempt: (pod: LocalPod) => void;
  readonly kill: (pod: LocalPod) => void;
  readonly duplicate: (pod: LocalPod) => string;
}

/**
 * Fires the planned chaos actions at their pod starts.
 *
 * @example
 * ```ts
 * const engine = new ChaosEngine({ plan, random, later, isDone, runningPods, preempt, kill, duplicate });
 * runner.onStarted = (pod) => engine.podStarted(pod);
 * ```
 */
export class ChaosEngine {
  readonly applied: AppliedChaos[] = [];
  private readonly opts: ChaosEngineOptions;
  private starts = 0;
  private waiting: ChaosAction[] = [];
  private unfired: ChaosAction[];

  constructor(opts: ChaosEngineOptions) {
    this.opts = opts;
    this.unfired = [...opts.plan];
  }

  /** Actions not carried out yet. */
  get pendingCount(): number {
    return this.unfired.length;
  }

  /** Arms the actions tied to this pod start (and those waiting for any start). */
  podStarted(pod: LocalPod): void {
    this.starts++;
    const due = [...this.waiting, ...this.unfired.filter((a) => a.afterPodStart === this.starts && !this.waiting.includes(a))];
    this.waiting = [];
    for (const action of due) this.opts.later(action.delayMs, () => this.strike(action, pod));
  }

  private strike(action: ChaosAction, target: LocalPod): void {
    if (this.opts.isDone() || !this.unfired.includes(action)) return;
    const running = this.opts.runningPods();
    let pod: LocalPod | undefined = running.includes(target) ? target : undefined;
    if (pod === undefined && running.length > 0) pod = this.opts.random.pick([...running].sort((a, b) => a.name.localeCompare(b.name)));
    if (pod === undefined) {
      this.waiting.push(action);
      return;
    }
    this.unfired = this.unfired.filter((a) => a !== action);
    if (action.kind === 'preempt') this.opts.preempt(pod);
    else if (action.kind === 'kill') this.opts.kill(pod);
    if (action.kind === 'duplicate') this.applied.push({ kind: action.kind, pod: pod.name, duplicate: this.opts.duplicate(pod) });
    else this.applied.push({ kind: action.kind, pod: pod.name });
  }
}
