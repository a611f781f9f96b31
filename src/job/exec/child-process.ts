/**
 * The supervised child: spawned in a process group of its own (detached), its
 * output split into bounded lines for the logger (or inherited untouched),
 * signalled as a group or alone, and its whole group SIGKILLed once it ended
 * so that no grandchild outlives the supervisor.
 *
 * Node reaps only the children it spawned (libuv waits on their pids): it
 * cannot `waitpid(-1)`, nor become a subreaper without native code, so the
 * orphans a program leaves are reaped by PID 1 (tini, or the pod's pause
 * container with shareProcessNamespace), see docs/exec.md.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../telemetry/logger.ts';
import { ConfigurationError } from '../../runtime/errors.ts';
import { STREAM_DRAIN_MS } from './constants.ts';
import { type ChildStream, logChildLine } from './child-logs.ts';
import { LineSplitter } from './line-splitter.ts';
import type { LogMode, SignalTarget } from './types.ts';

/** What {@link startChild} needs. */
export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logs: LogMode;
  readonly signalTo: SignalTarget;
  readonly maxLineChars: number;
  readonly log: Logger;
}

/** How the child ended, as Node reports it. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child. */
export interface SupervisedChild {
  readonly pid: number;
  /** Send `signal` to the child's group (or the child, per `signalTo`); false when it is gone. */
  signal(signal: NodeJS.Signals): boolean;
  /** SIGKILL the whole group (the child and every process left in it). */
  killGroup(): void;
  /** Resolves when the child exited, its group is killed and its output is logged. */
  readonly ended: Promise<ChildExit>;
}

/**
 * Start the child.
 *
 * @example
 * ```ts
 * const child = await startChild({ command: 'python', args: ['etl.py'], env, logs: 'json', signalTo: 'group', maxLineChars: 65_536, log });
 * job.signal.addEventListener('abort', () => child.signal('SIGTERM'));
 * const { code, signal } = await child.ended;
 * ```
 */
export async function startChild(spec: ChildSpec): Promise<SupervisedChild> {
  const raw = spec.logs === 'raw';
  const proc = spawn(spec.command, [...spec.args], {
    env: spec.env,
    detached: true,
    stdio: raw ? 'inherit' : ['inherit', 'pipe', 'pipe'],
  });
  const [event] = (await Promise.race([once(proc, 'spawn').then(() => ['spawn']), once(proc, 'error')])) as [unknown];
  if (event !== 'spawn' || proc.pid === undefined) {
    const message = event instanceof Error ? event.message : String(event);
    throw new ConfigurationError(`jobkit exec: cannot start ${JSON.stringify(spec.command)}: ${message}`);
  }
  const pid = proc.pid;
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const streams = raw ? [] : [pipeLines(proc.stdout, 'stdout', spec), pipeLines(proc.stderr, 'stderr', spec)];

  const send = (target: number, signal: NodeJS.Signals): boolean => {
    try {
      process.kill(target, signal);
      return true;
    } catch {
      return false; // ESRCH: already gone
    }
  };
  const killGroup = (): void => void send(-pid, 'SIGKILL');
  const ended = exited.then(async ([code, signal]) => {
    killGroup();
    const drained = new AbortController();
    await Promise.race([Promise.all(streams.map((s) => s.closed)), sleep(STREAM_DRAIN_MS, undefined, { signal: drained.signal }).catch(() => {})]);
    drained.abort(); // the timer must not keep the supervisor alive
    for (const s of streams) s.flush();
    return { code, signal };
  });
  return {
    pid,
    signal: (signal) => (spec.signalTo === 'group' ? send(-pid, signal) || send(pid, signal) : send(pid, signal)),
    killGroup,
    ended,
  };
}

interface LinePipe {
  readonly closed: Promise<void>;
  flush(): void;
}

function pipeLines(stream: Readable | null, name: ChildStream, spec: ChildSpec): LinePipe {
  const splitter = new LineSplitter(spec.maxLineChars, (piece) => logChildLine(spec.log, name, piece));
  let flushed = false;
  const flush = (): void => {
    if (flushed) return;
    flushed = true;
    splitter.end();
    stream?.destroy();
  };
  if (stream === null) return { closed: Promise.resolve(), flush };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (!flushed) splitter.write(chunk);
  });
  const closed = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  return { closed, flush };
}

