/**
 * The handshake between `jobkit exec` and a jobkit SDK program it runs (a
 * runJob program: `jobkit exec -- node job.js`), so that their Pushgateway
 * pushes to the same group cooperate (docs/exec.md, "A jobkit SDK program
 * under the supervisor").
 *
 * The supervisor gives the program `JOBKIT_EXEC_CONTROL`, the path of a file
 * of JSON lines that only it reads. The program's metrics pusher, when it is
 * enabled, appends:
 *
 * - `{"event":"start","pid":N,"group":"<group URL>"}` synchronously when it
 *   starts (before its start push reaches the gateway);
 * - `{"event":"final","pid":N,"group":"<group URL>","pushed":true|false}`
 *   after its final push attempt (`pushed`: the gateway accepted it).
 *
 * Each line is one `appendFileSync` (O_APPEND, far below PIPE_BUF): lines of
 * several processes (a shell running two SDK programs) never interleave. The
 * group URL is the one without credentials; the supervisor only counts lines
 * for its own group.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { type Env, readString } from '../runtime/config.ts';
import type { JobLogger } from '../runtime/types.ts';

/** The variable that carries the control file's path to the program. */
export const EXEC_CONTROL_ENV = 'JOBKIT_EXEC_CONTROL';

/** One line of the control file. */
export type ExecControlEvent =
  | { readonly event: 'start'; readonly pid: number; readonly group: string }
  | { readonly event: 'final'; readonly pid: number; readonly group: string; readonly pushed: boolean };

/** What the SDK side records; both never throw. */
export interface ExecControlWriter {
  /** After the final push attempt. */
  final(pushed: boolean): void;
}

/**
 * In a program run by `jobkit exec` (JOBKIT_EXEC_CONTROL set): record now
 * that a jobkit SDK program pushes to `group`, and return the writer of its
 * final push. Undefined when not under the supervisor.
 *
 * @example
 * ```ts
 * const control = announceToSupervisor(process.env, config.displayUrl, log);
 * control?.final(await send('PUT'));
 * ```
 */
export function announceToSupervisor(env: Env, group: string, log: JobLogger): ExecControlWriter | undefined {
  const path = readString(env, EXEC_CONTROL_ENV);
  if (path === undefined) return undefined;
  const write = (event: ExecControlEvent): void => {
    try {
      appendFileSync(path, `${JSON.stringify(event)}\n`);
    } catch (err) {
      // The supervisor then pushes as it does for any program: the group is overwritten, nothing fails.
      log.warn({ err, path, variable: EXEC_CONTROL_ENV }, 'cannot write to the jobkit exec control file; the supervisor will push over this program\'s metrics');
    }
  };
  write({ event: 'start', pid: process.pid, group });
  return { final: (pushed) => write({ event: 'final', pid: process.pid, group, pushed }) };
}

/** What the supervisor read: SDK programs pushing to its group. */
export interface ExecControlState {
  /** Pids that announced themselves. */
  readonly started: ReadonlySet<number>;
  /** Pids whose final push the gateway accepted. */
  readonly pushedFinal: ReadonlySet<number>;
}

/** No SDK program announced. */
export const NO_SDK: ExecControlState = { started: new Set(), pushedFinal: new Set() };

/**
 * Read the control file, keeping the lines of `group`; a missing file or a
 * line that is not an event is ignored.
 *
 * @example
 * ```ts
 * const state = readExecControl('/tmp/jobkit-exec-x/control', pusher.displayUrl);
 * state.started.size > 0; // a jobkit SDK program pushes to this group
 * ```
 */
export function readExecControl(path: string, group: string): ExecControlState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return NO_SDK;
  }
  const started = new Set<number>();
  const pushedFinal = new Set<number>();
  for (const line of text.split('\n')) {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof event !== 'object' || event === null) continue;
    const e = event as Partial<Record<string, unknown>>;
    if (e.group !== group || typeof e.pid !== 'number') continue;
    if (e.event === 'start') started.add(e.pid);
    if (e.event === 'final' && e.pushed === true) pushedFinal.add(e.pid);
  }
  return { started, pushedFinal };
}

/**
 * How the supervisor pushes, given what the SDK programs recorded:
 * `full` (no SDK program: as for any program), `skip` (every SDK program's
 * final push was accepted: nothing to add), `outcome` (one died or failed
 * before its final push: a POST of the outcome families only).
 *
 * @example
 * ```ts
 * finalPlanOf({ started: new Set([42]), pushedFinal: new Set() }); // 'outcome'
 * ```
 */
export function finalPlanOf(state: ExecControlState): 'full' | 'skip' | 'outcome' {
  if (state.started.size === 0) return 'full';
  for (const pid of state.started) if (!state.pushedFinal.has(pid)) return 'outcome';
  return 'skip';
}
