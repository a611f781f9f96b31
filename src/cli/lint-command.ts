/**
 * `jobkit lint -f job.yaml`: the checks of src/cli/lint.ts, one line per
 * problem (`job.yaml: <path>: <problem>`), for a user's CI. Exit 0 when no
 * error was found (warnings are printed too), 1 on errors, 2 on usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LintProblem, lintManifest } from './lint.ts';
import { LINT_USAGE } from './usage.ts';

/** Exit status of `jobkit lint`. */
export const LINT_EXIT = { clean: 0, problems: 1, usage: 2 } as const;

/**
 * One line per problem, `<file>: <path>: <problem>`, warnings marked.
 *
 * @example
 * ```ts
 * formatLintProblems('job.yaml', [{ path: 'spec.podFailurePolicy', message: 'not set: ...', severity: 'error' }]);
 * // 'job.yaml: spec.podFailurePolicy: not set: ...\n'
 * ```
 */
export function formatLintProblems(file: string, problems: readonly LintProblem[]): string {
  return problems.map((p) => `${file}: ${p.path}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}\n`).join('');
}

/**
 * Runs `jobkit lint` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = lintCommand(['-f', 'job.yaml']);
 * ```
 */
export function lintCommand(argv: readonly string[]): number {
  let file: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { filename: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if (values.help === true) {
      process.stdout.write(LINT_USAGE);
      return LINT_EXIT.clean;
    }
    // `jobkit lint job.yaml` is accepted as a shorthand for -f job.yaml.
    file = values.filename ?? (positionals.length === 1 ? positionals[0] : undefined);
    if (positionals.length > (values.filename === undefined ? 1 : 0)) throw new Error(`unexpected argument "${positionals.at(-1)}"`);
    if (file === undefined) throw new Error('-f/--filename is required');
  } catch (err) {
    process.stderr.write(`jobkit lint: ${(err as Error).message}\n\n${LINT_USAGE}`);
    return LINT_EXIT.usage;
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    process.stderr.write(`jobkit lint: -f ${file}: cannot read the manifest: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return LINT_EXIT.usage;
  }
  const name = file === '-' ? '<stdin>' : file;
  const problems = lintManifest(text);
  const errors = problems.filter((p) => p.severity === 'error').length;
  // Problems on stdout: they are the command's output, for CI logs and grep.
  process.stdout.write(formatLintProblems(name, problems));
  if (errors > 0) {
    process.stderr.write(`jobkit lint: ${name}: ${errors} error(s), ${problems.length - errors} warning(s)\n`);
    return LINT_EXIT.problems;
  }
  process.stdout.write(`${name}: ok${problems.length > 0 ? ` (${problems.length} warning(s))` : ''}\n`);
  return LINT_EXIT.clean;
}
