/** Run a CLI command's function in-process with its stdout and stderr captured. */

/** What the command returned and wrote. */
export interface Captured<T> {
  readonly status: T;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Call `fn` with process.stdout/stderr writes collected instead of printed.
 *
 * @example
 * ```ts
 * const { status, stdout } = captureOutput(() => manifestCommand(['--name', 'etl']));
 * ```
 */
export function captureOutput<T>(fn: () => T): Captured<T> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string) => (out.push(c), true));
  process.stderr.write = ((c: string) => (err.push(c), true));
  try {
    return { status: fn(), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}
