/**
 * The local kubelet: runs each pod's first container as a child process and
 * reports its life back to the pod object. Graceful deletion sends SIGTERM to
 * the main process only (as a container runtime signals PID 1), then SIGKILL to
 * the whole process group when the grace period ends. OnFailure restarts the
 * container in place with the kubelet's crash-loop back-off.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { doublingBackoffMs } from './backoff.ts';
import type { PodControl } from './controller.ts';
import { type LocalPod, isFinished } from './pod.ts';
import { type PodPlacement, podProcessSpec } from './pod-env.ts';
import type { Job } from './types.ts';

/**
 * Kubelet crash-loop back-off: the first restart is immediate (no back-off
 * entry yet), then 10 s doubling from each exit, capped at 5 min.
 */
const RESTART_BACKOFF_BASE_MS = 10_000;
const RESTART_BACKOFF_MAX_MS = 300_000;

/**
 * Delay before the in-place restart that follows `restartsSoFar` restarts.
 *
 * @example
 * ```ts
 * crashLoopDelayMs(0); // 0
 * crashLoopDelayMs(1); // 10_000
 * crashLoopDelayMs(9); // 300_000
 * ```
 */
export function crashLoopDelayMs(restartsSoFar: number): number {
  return restartsSoFar === 0 ? 0 : doublingBackoffMs(restartsSoFar, RESTART_BACKOFF_BASE_MS, RESTART_BACKOFF_MAX_MS);
}

/**
 * Seconds from SIGTERM to SIGKILL for a deleted pod: the kubelet's
 * killContainer never waits less than its minimumGracePeriodInSeconds (2),
 * "a minimal shutdown window for avoiding unnecessary SIGKILLs".
 *
 * @example
 * ```ts
 * effectiveGracePeriodSeconds(0); // 2
 * effectiveGracePeriodSeconds(30); // 30
 * ```
 */
export function effectiveGracePeriodSeconds(terminationGracePeriodSeconds: number): number {
  return Math.max(2, terminationGracePeriodSeconds);
}

/** Where pod output and runner events go. */
export interface PodRunnerSink {
  /** One line of a pod's stdout or stderr. */
  podLine(pod: LocalPod, line: string): void;
  /** A lifecycle event worth telling the user (pod started, exited, deleted...). */
  event(message: string): void;
}

/** Options of the pod runner. */
export interface PodRunnerOptions {
  readonly job: Job;
  /** The parent's environment, passed to every pod under the manifest env. */
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly placement: PodPlacement;
  readonly sink: PodRunnerSink;
  readonly now: () => number;
  /** Called after any pod state change: the controller should sync. */
  readonly onChange: () => void;
  /** Multiplies the OnFailure restart back-off, like the re-creation back-off. */
  readonly backoffScale: number;
  /** Called when a pod's container process has started. */
  readonly onStarted?: (pod: LocalPod) => void;
  /** Called when a pod's container has ended (`pod.container.terminated` is set), before any restart. */
  readonly onExited?: (pod: LocalPod) => void;
  /** Called when a pod reaches its final phase, whether its container ran or not. */
  readonly onFinished?: (pod: LocalPod) => void;
}

interface Running {
  child?: ChildProcess;
  killTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  exited: boolean;
  /** Restarts since the crash-loop back-off last reset (the kubelet's back-off entry). */
  backoffRestarts: number;
  /** When the last in-place restart happened (the entry's lastUpdate). */
  lastRestartAt?: number;
}

/**
 * The kubelet forgets a container's crash-loop back-off when it finishes more
 * than 600 s after the last restart (kubelet.go's HasExpiredFunc): a container
 * that ran that long restarts without delay again.
 */
const RESTART_BACKOFF_RESET_MS = 600_000;

/**
 * Runs pods as local processes.
 *
 * @example
 * ```ts
 * const runner = new PodRunner({ job, baseEnv: process.env, placement, sink, now: Date.now, onChange, backoffScale: 1 });
 * runner.startPod(pod);
 * ```
 */
export class PodRunner implements PodControl {
  private readonly opts: PodRunnerOptions;
  private readonly running = new Map<LocalPod, Running>();

  constructor(opts: PodRunnerOptions) {
    this.opts = opts;
  }

  /** Pods with a live process, a pending restart, or not yet started. */
  get liveCount(): number {
    return [...this.running.values()].filter((r) => !r.exited).length;
  }

  /** Pods currently running a process, in start order. */
  runningPods(): LocalPod[] {
    return [...this.running.entries()].filter(([p, r]) => !r.exited && r.child !== undefined && p.phase === 'Running').map(([p]) => p);
  }

  startPod(pod: LocalPod): void {
    const state: Running = { exited: false, backoffRestarts: 0 };
    this.running.set(pod, state);
    // Creation is observed first; the container starts on the next turn.
    setImmediate(() => this.spawnContainer(pod, state));
  }

  private spawnContainer(pod: LocalPod, state: Running): void {
    if (state.exited) return;
    if (pod.deletionTime !== undefined && state.child === undefined && pod.container.restartCount === 0) {
      this.finish(pod, state, undefined);
      return;
    }
    const container = this.opts.job.spec.template.spec.containers[0]!;
    const spec = podProcessSpec(pod, container, { indexed: pod.index !== undefined, placement: this.opts.placement });
    if (spec.skipped.length > 0 && pod.container.restartCount === 0) {
      this.opts.sink.event(`pod ${pod.name}: env ${spec.skipped.join(', ')} not set (only fieldRef sources resolve locally)`);
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: { ...this.opts.baseEnv, ...spec.containerEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      this.containerExited(pod, state, 128, undefined, 'StartError', String(err));
      return;
    }
    state.child = child;
    let settled = false;
    child.once('error', (err) => {
      if (settled) return;
      settled = true;
      this.containerExited(pod, state, 128, undefined, 'StartError', err.message);
    });
    child.once('spawn', () => {
      if (pod.phase === 'Pending') pod.phase = 'Running';
      pod.ready = true;
      pod.readySince = this.opts.now();
      this.opts.sink.event(`pod ${pod.name} started (pid ${child.pid ?? '?'})`);
      this.opts.onStarted?.(pod);
      this.opts.onChange();
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.opts.sink.podLine(pod, line));
    }
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      const exitCode = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
      this.containerExited(pod, state, exitCode, signal ?? undefined, exitCode === 0 ? 'Completed' : 'Error');
    });
  }

  private containerExited(pod: LocalPod, state: Running, exitCode: number, signal: NodeJS.Signals | undefined, reason: string, detail?: string): void {
    // The container is gone once its main process is: take its children with it.
    this.killGroup(state, 'SIGKILL');
    if (state.killTimer !== undefined) clearTimeout(state.killTimer);
    state.killTimer = undefined;
    state.child = undefined;
    const now = this.opts.now();
    pod.container.terminated = { exitCode, reason, finishedAt: now, ...(signal === undefined ? {} : { signal }) };
    pod.ready = false;
    this.opts.onExited?.(pod);
    const how = signal === undefined ? `exit code ${exitCode}` : `${signal} (exit code ${exitCode})`;
    const restart = this.opts.job.spec.template.spec.restartPolicy === 'OnFailure' && exitCode !== 0 && pod.deletionTime === undefined;
    if (restart) {
      if (state.lastRestartAt !== undefined && now - state.lastRestartAt > RESTART_BACKOFF_RESET_MS * this.opts.backoffScale) state.backoffRestarts = 0;
      const delay = crashLoopDelayMs(state.backoffRestarts) * this.opts.backoffScale;
      this.opts.sink.event(`pod ${pod.name} container exited with ${how}${detail === undefined ? '' : `: ${detail}`}; restarting in ${Math.round(delay)} ms`);
      state.restartTimer = setTimeout(() => {
        state.restartTimer = undefined;
        if (state.exited || pod.deletionTime !== undefined) return;
        pod.container.restartCount++;
        state.backoffRestarts++;
        state.lastRestartAt = this.opts.now();
        pod.container.terminated = undefined;
        this.spawnContainer(pod, state);
        this.opts.onChange();
      }, delay);
      this.opts.onChange();
      return;
    }
    this.opts.sink.event(`pod ${pod.name} exited with ${how}${detail === undefined ? '' : `: ${detail}`}`);
    this.finish(pod, state, exitCode);
  }

  private finish(pod: LocalPod, state: Running, exitCode: number | undefined): void {
    state.exited = true;
    if (state.restartTimer !== undefined) clearTimeout(state.restartTimer);
    pod.ready = false;
    pod.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    this.opts.onFinished?.(pod);
    this.opts.onChange();
  }

  deletePod(pod: LocalPod): void {
    if (pod.deletionTime !== undefined || isFinished(pod)) return;
    const specGrace = this.opts.job.spec.template.spec.terminationGracePeriodSeconds ?? 30;
    pod.deletionTime = this.opts.now();
    pod.deletionGracePeriodSeconds = specGrace;
    // terminationGracePeriodSeconds 0 still gets SIGTERM and 2 s before SIGKILL.
    const grace = effectiveGracePeriodSeconds(specGrace);
    const state = this.running.get(pod);
    // The phase changes on a later turn: the sync that deleted the pod must not see it finished.
    setImmediate(() => {
      if (state === undefined || state.exited) return;
      if (state.child === undefined) {
        // Not started yet, or waiting to restart: nothing to signal.
        this.finish(pod, state, undefined);
        return;
      }
      this.opts.sink.event(`pod ${pod.name} deleted: SIGTERM, SIGKILL in ${grace} s`);
      try {
        state.child.kill('SIGTERM');
      } catch {
        // already gone
      }
      state.killTimer = setTimeout(() => this.killGroup(state, 'SIGKILL'), grace * 1000);
    });
  }

  /** Chaos: SIGKILL a pod's processes without deleting the pod. */
  killPod(pod: LocalPod): void {
    const state = this.running.get(pod);
    if (state === undefined) return;
    this.opts.sink.event(`chaos: SIGKILL pod ${pod.name}`);
    this.killGroup(state, 'SIGKILL');
  }

  private killGroup(state: Running, signal: NodeJS.Signals): void {
    const pid = state.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }

  /** Stops everything at once (the emulator itself is interrupted). */
  shutdown(): void {
    for (const state of this.running.values()) {
      if (state.restartTimer !== undefined) clearTimeout(state.restartTimer);
      if (state.killTimer !== undefined) clearTimeout(state.killTimer);
      this.killGroup(state, 'SIGKILL');
    }
  }
}
