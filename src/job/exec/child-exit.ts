/**
 * How the child ended, mapped to the exit-code table: a code of the table
 * passes through, another non-zero code is a crash (or passes through with
 * `passExitCodes`), a SIGTERM/SIGINT is an interruption, any other signal
 * (SIGKILL, an OOM kill, SIGSEGV) a crash.
 */
import { type ExitClass, exitClassOf, exitCodeFor } from '../../runtime/exit-codes.ts';
import { JobkitError } from '../../runtime/errors.ts';

/** How the child process ended. */
export type ChildEnd =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signalled'; readonly signal: NodeJS.Signals; readonly oomKilled: boolean };

/**
 * The child ended badly; carries the exit class its end maps to.
 *
 * @example
 * ```ts
 * throw new ChildExitError('the program exited 65', 'permanent');
 * ```
 */
export class ChildExitError extends JobkitError {
  readonly exitClass: ExitClass;
  constructor(message: string, exitClass: ExitClass) {
    super(message);
    this.exitClass = exitClass;
    // The program's end, not a place in the supervisor: a stack would only point at jobkit.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * The exit class of a child's end.
 *
 * @example
 * ```ts
 * childExitClass({ kind: 'exited', code: 3 }); // 'crash'
 * childExitClass({ kind: 'exited', code: 65 }); // 'permanent'
 * ```
 */
export function childExitClass(end: ChildEnd): ExitClass {
  if (end.kind === 'exited') return exitClassOf(end.code) ?? 'crash';
  return end.signal === 'SIGTERM' || end.signal === 'SIGINT' ? 'interrupted' : 'crash';
}

/**
 * The error a child's end is reported with, or undefined for a success.
 *
 * @example
 * ```ts
 * childExitError({ kind: 'signalled', signal: 'SIGKILL', oomKilled: true })?.message; // 'the program was OOM-killed (SIGKILL)'
 * ```
 */
export function childExitError(end: ChildEnd): ChildExitError | undefined {
  const exitClass = childExitClass(end);
  if (exitClass === 'success') return undefined;
  if (end.kind === 'signalled') {
    const what = end.oomKilled ? `was OOM-killed (${end.signal})` : `was killed by ${end.signal}`;
    return new ChildExitError(`the program ${what}`, exitClass);
  }
  const mapped = exitCodeFor(exitClass) === end.code ? '' : ` (not an exit-code table code: ${exitClass})`;
  return new ChildExitError(`the program exited ${end.code}${mapped}`, exitClass);
}
