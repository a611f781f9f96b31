/**
 * Seeded chaos for `jobkit run`: preemptions (DisruptionTarget + graceful
 * deletion), SIGKILLs and duplicate pods, at reproducible moments.
 *
 * Each action is tied to the n-th pod to start working (n drawn from the seed):
 * armed when that pod prints its first line, it fires a seeded delay later, so
 * it lands while the program works rather than before it has loaded. If that
 * pod is no longer running by then, a running pod is drawn instead; with none
 * running, the action waits for the next pod. The same seed and the same pod
 * timings give the same choices.
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

/**
 * Where an action landed in its pod's life: before the pod printed anything
 * (likely before the program had even loaded: little is tested), while it was
 * working, or once its work was done (it went on to exit 0 regardless).
 */
export type ChaosLanding = 'before-first-line' | 'mid-work' | 'after-work';

/** One chaos action that was carried out. */
export interface AppliedChaos {
  readonly kind: ChaosKind;
  readonly pod: string;
  /** For `duplicate`: the name of the second pod. */
  readonly duplicate?: string;
  /** Where it landed (see {@link ChaosLanding}). */
  readonly landed: ChaosLanding;
  /** Lines the target pod had printed when the action struck. */
  readonly linesBefore: number;
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
  readonly duplicate: (pod: LocalPod) => LocalPod;
  /**
   * A pod that prints nothing for this long after its start is armed anyway
   * (ms), so a silent program still gets its chaos.
   */
  readonly armSilentAfterMs: number;
}

interface Strike {
  readonly kind: ChaosKind;
  readonly pod: LocalPod;
  readonly linesBefore: number;
  readonly duplicate?: LocalPod;
  /** For duplicates: whether the original was still running when the duplicate started working. */
  overlapped?: boolean;
}

/**
 * Fires the planned chaos actions while pods work: an action tied to the
 * n-th pod is armed when that pod prints its first line (the program is up
 * and working), not when its process is spawned, and strikes a seeded delay
 * later. Records where each action landed.
 *
 * @example
 * ```ts
 * const engine = new ChaosEngine({ plan, random, later, isDone, runningPods, preempt, kill, duplicate, armSilentAfterMs: 1000 });
 * runner.onStarted = (pod) => engine.podStarted(pod);
 * sink.podLine = (pod, line) => { engine.podLine(pod); print(line); };
 * ```
 */
export class ChaosEngine {
  private readonly opts: ChaosEngineOptions;
  private armed = 0;
  private waiting: ChaosAction[] = [];
  private unfired: ChaosAction[];
  private readonly strikes: Strike[] = [];
  /** Lines printed by each pod (all its container starts). */
  private readonly lines = new Map<LocalPod, number>();
  /** Pods armed since their last container start. */
  private readonly armedPods = new Set<LocalPod>();
  /** Called with a duplicate pod when it prints its first line. */
  onDuplicateWorking: ((duplicate: LocalPod) => void) | undefined;

  constructor(opts: ChaosEngineOptions) {
    this.opts = opts;
    this.unfired = [...opts.plan];
  }

  /** Actions not carried out yet. */
  get pendingCount(): number {
    return this.unfired.length;
  }

  /** The actions carried out, with where each landed (final once the pods have exited). */
  get applied(): AppliedChaos[] {
    return this.strikes.map((s) => ({
      kind: s.kind,
      pod: s.pod.name,
      ...(s.duplicate === undefined ? {} : { duplicate: s.duplicate.name }),
      landed: landing(s),
      linesBefore: s.linesBefore,
    }));
  }

  /** A pod's container process started: arm it at its first line, or after a silence. */
  podStarted(pod: LocalPod): void {
    this.armedPods.delete(pod);
    this.opts.later(this.opts.armSilentAfterMs, () => {
      if (pod.container.terminated === undefined && pod.deletionTime === undefined) this.arm(pod);
    });
  }

  /** A pod printed a line. */
  podLine(pod: LocalPod): void {
    const n = (this.lines.get(pod) ?? 0) + 1;
    this.lines.set(pod, n);
    if (n === 1) {
      const strike = this.strikes.find((s) => s.duplicate === pod);
      if (strike !== undefined) {
        strike.overlapped = strike.pod.container.terminated === undefined;
        this.onDuplicateWorking?.(pod);
      }
    }
    this.arm(pod);
  }

  /** Arms the actions tied to this pod (and those waiting for any pod), once per container start. */
  private arm(pod: LocalPod): void {
    if (this.armedPods.has(pod)) return;
    this.armedPods.add(pod);
    this.armed++;
    const due = [...this.waiting, ...this.unfired.filter((a) => a.afterPodStart === this.armed && !this.waiting.includes(a))];
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
    const linesBefore = this.lines.get(pod) ?? 0;
    switch (action.kind) {
      case 'preempt':
        this.opts.preempt(pod);
        this.strikes.push({ kind: action.kind, pod, linesBefore });
        return;
      case 'kill':
        this.opts.kill(pod);
        this.strikes.push({ kind: action.kind, pod, linesBefore });
        return;
      case 'duplicate':
        this.strikes.push({ kind: action.kind, pod, linesBefore, duplicate: this.opts.duplicate(pod) });
        return;
    }
  }
}

function landing(strike: Strike): ChaosLanding {
  if (strike.linesBefore === 0) return 'before-first-line';
  if (strike.kind === 'duplicate') return strike.overlapped === false ? 'after-work' : 'mid-work';
  // A preempted pod that still exits 0 had finished its work; a SIGKILL always cuts work short.
  return strike.kind === 'preempt' && strike.pod.container.terminated?.exitCode === 0 ? 'after-work' : 'mid-work';
}

/** How each landing is said. */
export const LANDING_WORDS: Readonly<Record<ChaosLanding, string>> = {
  'before-first-line': 'before the first line',
  'mid-work': 'mid-work',
  'after-work': 'after the work',
};

/**
 * One line per applied action and a summary, for the user.
 *
 * @example
 * ```ts
 * for (const line of describeChaos(result.chaosApplied, result.chaosSkipped)) console.error(line);
 * // chaos: preempt of pod etl-0-x7k2p landed mid-work (after 3 lines)
 * // chaos: 2 of 3 chaos actions landed mid-work
 * ```
 */
export function describeChaos(applied: readonly AppliedChaos[], skipped: number): string[] {
  const total = applied.length + skipped;
  if (total === 0) return [];
  const lines = applied.map(
    (a) =>
      `chaos: ${a.kind} of pod ${a.pod}${a.duplicate === undefined ? '' : ` (duplicate ${a.duplicate})`} landed ${LANDING_WORDS[a.landed]}` +
      ` (after ${a.linesBefore} line${a.linesBefore === 1 ? '' : 's'})`,
  );
  const mid = applied.filter((a) => a.landed === 'mid-work').length;
  lines.push(`chaos: ${mid} of ${total} chaos action${total === 1 ? '' : 's'} landed mid-work${skipped === 0 ? '' : ` (${skipped} never fired: no pod was running)`}`);
  return lines;
}
