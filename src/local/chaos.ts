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
 *
 * The kinds are one table: `ChaosHooks` lists them with the hook the emulator
 * provides for each, and `CHAOS_KINDS` says what a strike does and how its
 * landing is judged; everything else keyed by kind is built from them.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { LocalPod } from './pod.ts';
import type { SeededRandom } from './rng.ts';

/**
 * The chaos kinds, each with the hook the emulator gives the engine to carry
 * it out on a pod (the engine sees pods, not processes or the controller).
 * This interface is the list of kinds: {@link ChaosKind} is its keys, and
 * CHAOS_KINDS, {@link ChaosSpec} and the emulator's hooks are checked against
 * it, so a member added here makes the compiler name every other place.
 */
export interface ChaosHooks {
  /** Gives the pod the DisruptionTarget condition and deletes it gracefully. */
  readonly preempt: (pod: LocalPod) => void;
  /** SIGKILLs the pod's container. */
  readonly kill: (pod: LocalPod) => void;
  /** Starts a second pod for the pod's index and returns it. */
  readonly duplicate: (pod: LocalPod) => LocalPod;
}

/** The chaos kinds. */
export type ChaosKind = keyof ChaosHooks;

/** How many of each action to inject. */
export type ChaosSpec = { readonly [K in ChaosKind]: number };

/**
 * Where an action landed in its pod's life: before the pod printed anything
 * (likely before the program had even loaded: little is tested), while it was
 * working, or once its work was done (it went on to exit 0 regardless).
 */
export type ChaosLanding = 'before-first-line' | 'mid-work' | 'after-work';

/** What a strike left behind, besides its effect on the struck pod. */
export interface StrikeEffect {
  /** A second pod the strike started on the struck pod's index. */
  readonly duplicate?: LocalPod;
}

/** One action carried out: whom it struck, and what the engine has seen since. */
export interface ChaosStrike extends StrikeEffect {
  readonly kind: ChaosKind;
  readonly pod: LocalPod;
  /** Lines the struck pod had printed when the action struck. */
  readonly linesBefore: number;
  /** For a strike that started a second pod: whether the struck pod still ran when that one printed its first line. */
  overlapped?: boolean;
}

/** What the engine knows of one kind: what a strike does and how its landing is judged. */
export interface ChaosKindSpec<Hook> {
  /** Carries the action out on `pod` through the emulator's hook for this kind. */
  readonly strike: (pod: LocalPod, hook: Hook) => StrikeEffect;
  /**
   * Where a strike on a pod that had printed landed, asked once the pods have
   * exited. A strike before the first line landed there whatever the kind, so
   * the engine answers that itself.
   */
  readonly landed: (strike: Readonly<ChaosStrike>) => Exclude<ChaosLanding, 'before-first-line'>;
}

/** One entry per kind, each typed with that kind's hook. */
export type ChaosKindTable = { readonly [K in ChaosKind]: ChaosKindSpec<ChaosHooks[K]> };

/**
 * The chaos kinds' behaviour. Typed as {@link ChaosKindTable}, so a kind
 * without an entry, an entry for no kind, or an entry that misuses its hook
 * does not compile.
 *
 * @example
 * ```ts
 * const effect = CHAOS_KINDS.duplicate.strike(pod, hooks.duplicate); // { duplicate: <the second pod> }
 * CHAOS_KINDS.duplicate.landed({ kind: 'duplicate', pod, linesBefore: 3, ...effect, overlapped: true }); // 'mid-work'
 * ```
 */
export const CHAOS_KINDS: ChaosKindTable = {
  preempt: {
    strike: (pod, preempt) => {
      preempt(pod);
      return {};
    },
    // A preempted pod that still exits 0 had finished its work.
    landed: (strike) => (strike.pod.container.terminated?.exitCode === 0 ? 'after-work' : 'mid-work'),
  },
  kill: {
    strike: (pod, kill) => {
      kill(pod);
      return {};
    },
    // A SIGKILL always cuts work short.
    landed: () => 'mid-work',
  },
  duplicate: {
    strike: (pod, duplicate) => ({ duplicate: duplicate(pod) }),
    // The two raced only if the original still ran when the duplicate started working.
    landed: (strike) => (strike.overlapped === false ? 'after-work' : 'mid-work'),
  },
};

/**
 * The kinds in the table's order. planChaos lays out the actions in this
 * order before the seeded shuffle, so reordering the table changes every
 * seeded plan (the plan test pins a few).
 */
export const CHAOS_KIND_NAMES: readonly ChaosKind[] = Object.freeze(Object.keys(CHAOS_KINDS) as ChaosKind[]);

function isChaosKind(name: string | undefined): name is ChaosKind {
  return (CHAOS_KIND_NAMES as readonly (string | undefined)[]).includes(name);
}

/** A value for every kind, so a spec is built from the table rather than spelled out. */
function perKind<T>(value: (kind: ChaosKind) => T): { [K in ChaosKind]: T } {
  return Object.fromEntries(CHAOS_KIND_NAMES.map((kind) => [kind, value(kind)])) as { [K in ChaosKind]: T };
}

/** No chaos. */
export const NO_CHAOS: ChaosSpec = perKind(() => 0);

/**
 * Parses `preempt=2,kill=1,duplicate=1` (a bare kind means 1).
 *
 * @example
 * ```ts
 * parseChaosSpec('preempt=2,kill'); // { preempt: 2, kill: 1, duplicate: 0 }
 * ```
 */
export function parseChaosSpec(text: string): ChaosSpec {
  const out = perKind(() => 0);
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [kind, countText] = part.split('=');
    if (!isChaosKind(kind)) {
      throw new ConfigurationError(`--chaos: unknown kind "${kind}" in "${text}"; expected ${CHAOS_KIND_NAMES.join(', ')}`);
    }
    const count = countText === undefined ? 1 : Number(countText);
    if (!Number.isInteger(count) || count < 0) {
      throw new ConfigurationError(`--chaos: count for ${kind} must be an integer >= 0, got "${countText}"`);
    }
    out[kind] += count;
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
  return specs.reduce((a, b) => perKind((kind) => a[kind] + b[kind]), NO_CHAOS);
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
 * The plan for one Job run: actions tied to its first `completions` (else
 * `parallelism`) pod starts, each `maxDelayMs / 4` to `maxDelayMs` after the
 * pod's first line. Both backends plan with it, so a seed picks the same
 * actions on each.
 *
 * @example
 * ```ts
 * planJobChaos({ preempt: 1, kill: 0, duplicate: 0 }, new SeededRandom(7), { completions: 3 }, 1000);
 * ```
 */
export function planJobChaos(spec: ChaosSpec, rng: SeededRandom, jobSpec: { readonly completions?: number; readonly parallelism?: number }, maxDelayMs: number): ChaosAction[] {
  return planChaos(spec, rng, {
    podStarts: jobSpec.completions ?? jobSpec.parallelism ?? 1,
    minDelayMs: Math.floor(maxDelayMs / 4),
    maxDelayMs,
  });
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
  for (const kind of CHAOS_KIND_NAMES) for (let i = 0; i < spec[kind]; i++) kinds.push(kind);
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
  /** How each kind acts on a pod: one hook per kind. */
  readonly hooks: ChaosHooks;
  /**
   * A pod that prints nothing for this long after its start is armed anyway
   * (ms), so a silent program still gets its chaos.
   */
  readonly armSilentAfterMs: number;
}

/**
 * Fires the planned chaos actions while pods work: an action tied to the
 * n-th pod is armed when that pod prints its first line (the program is up
 * and working), not when its process is spawned, and strikes a seeded delay
 * later. Records where each action landed.
 *
 * @example
 * ```ts
 * const engine = new ChaosEngine({ plan, random, later, isDone, runningPods, hooks: { preempt, kill, duplicate }, armSilentAfterMs: 1000 });
 * runner.onStarted = (pod) => engine.podStarted(pod);
 * sink.podLine = (pod, line) => { engine.podLine(pod); print(line); };
 * ```
 */
export class ChaosEngine {
  private readonly opts: ChaosEngineOptions;
  private armed = 0;
  private waiting: ChaosAction[] = [];
  private unfired: ChaosAction[];
  private readonly strikes: ChaosStrike[] = [];
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
      // By name as well: on a control plane the kubelet runs its own copy of the duplicate.
      const strike = this.strikes.find((s) => s.duplicate === pod || (s.duplicate !== undefined && s.duplicate.name !== '' && s.duplicate.name === pod.name));
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
    this.strikes.push({ kind: action.kind, pod, linesBefore, ...strikeWith(action.kind, pod, this.opts.hooks) });
  }
}

/**
 * Strikes through the kind's own entry and hook. Generic over the kind so the
 * compiler pairs CHAOS_KINDS[kind] with hooks[kind] (with a plain union it
 * could not tell that the two belong to the same kind).
 */
function strikeWith<K extends ChaosKind>(kind: K, pod: LocalPod, hooks: ChaosHooks): StrikeEffect {
  const spec: ChaosKindSpec<ChaosHooks[K]> = CHAOS_KINDS[kind];
  return spec.strike(pod, hooks[kind]);
}

function landing(strike: ChaosStrike): ChaosLanding {
  // Before the pod's first line the program had likely not even loaded, whatever the action did.
  if (strike.linesBefore === 0) return 'before-first-line';
  return CHAOS_KINDS[strike.kind].landed(strike);
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
