/**
 * A command that is a JavaScript or TypeScript file rather than a program:
 * `jobkit exec -- job.js` runs it with the supervisor's own Node
 * (`process.execPath job.js`). Job images built on the old base image, whose
 * ENTRYPOINT was `node`, have `CMD ["job.js"]`; under the new ENTRYPOINT
 * (`tini -- jobkit exec --`) that CMD becomes `jobkit exec -- job.js`, which
 * must go on working.
 *
 * The rule (docs/exec.md, "A JavaScript or TypeScript file as the command"):
 * the command ends in one of {@link NODE_SCRIPT_EXTENSIONS}, a regular file
 * of that path exists (relative to the working directory), and it would not
 * start as a program by itself: a path with a `/` that is not executable, or
 * a bare name that no directory of PATH holds as an executable. An
 * executable file (a script with a `#!` line) runs as it is.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, extname, join, resolve } from 'node:path';
import type { Env } from '../../runtime/config.ts';
import { ConfigurationError } from '../../runtime/errors.ts';
import type { ChildCommand } from './run-child.ts';

/** The file extensions Node runs as a program (TypeScript by type stripping, Node >= 22.18). */
export const NODE_SCRIPT_EXTENSIONS: readonly string[] = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

/** What {@link resolveNodeScript} decided. */
export interface ResolvedCommand extends ChildCommand {
  /** The script, absolute, when the command is run with Node; undefined: as given. */
  readonly script: string | undefined;
}

/**
 * The command to start: `cmd` itself, or `node <script> args...` when it is a
 * JavaScript/TypeScript file that would not start as a program.
 *
 * @throws ConfigurationError (exit 78) when the command names such a file
 *   that does not exist and no program of that name is on PATH.
 * @example
 * ```ts
 * resolveNodeScript({ command: 'job.js', args: ['--dry-run'] }, process.env, '/app');
 * // { command: '/usr/local/bin/node', args: ['/app/job.js', '--dry-run'], script: '/app/job.js' }
 * resolveNodeScript({ command: 'python3', args: ['etl.py'] }, process.env, '/app');
 * // { command: 'python3', args: ['etl.py'], script: undefined }
 * ```
 */
export function resolveNodeScript(cmd: ChildCommand, env: Env, cwd: string = process.cwd(), nodePath: string = process.execPath): ResolvedCommand {
  const asGiven: ResolvedCommand = { command: cmd.command, args: cmd.args, script: undefined };
  if (!NODE_SCRIPT_EXTENSIONS.includes(extname(cmd.command))) return asGiven;
  const hasSlash = cmd.command.includes('/');
  if (!hasSlash && onPath(cmd.command, env, cwd)) return asGiven;
  const file = resolve(cwd, cmd.command);
  if (!isFile(file)) {
    throw new ConfigurationError(
      `jobkit exec: cannot start ${JSON.stringify(cmd.command)}: no such file ${file}` +
        (hasSlash ? '' : ' and no program of that name on PATH') +
        ' (a JavaScript/TypeScript file given as the command runs with node when it exists)',
    );
  }
  if (hasSlash && isExecutable(file)) return asGiven;
  return { command: nodePath, args: [file, ...cmd.args], script: file };
}

/** Whether a directory of PATH holds `name` as an executable regular file (what spawn's execvp would find). */
function onPath(name: string, env: Env, cwd: string): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    // An empty PATH entry is the working directory, for execvp as for a shell.
    const candidate = resolve(cwd, join(dir === '' ? '.' : dir, name));
    if (isFile(candidate) && isExecutable(candidate)) return true;
  }
  return false;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
