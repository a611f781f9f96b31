/**
 * `jobkit run --timeline PATH`: where the page goes. The path is checked
 * before anything runs (its directory must exist and be writable, the path
 * must not be a directory), and the page is written to a temp file beside it
 * and renamed, so a reader never sees half a page and an existing file is
 * replaced whole.
 */
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigurationError } from '../runtime/errors.ts';

/**
 * Checks `--timeline PATH` before the run; returns the absolute path.
 *
 * @throws ConfigurationError naming the option when the page could not be written there.
 * @example
 * ```ts
 * const target = checkTimelinePath('out/run.html'); // '/home/me/project/out/run.html'
 * ```
 */
export function checkTimelinePath(path: string): string {
  if (path === '') throw new ConfigurationError('--timeline needs a file path, got ""');
  const target = resolve(path);
  const dir = dirname(target);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new ConfigurationError(`--timeline ${path}: the directory ${dir} does not exist`);
  }
  if (!isDirectory) throw new ConfigurationError(`--timeline ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new ConfigurationError(`--timeline ${path}: the directory ${dir} is not writable`);
  }
  let existing;
  try {
    existing = statSync(target);
  } catch {
    return target;
  }
  if (existing.isDirectory()) throw new ConfigurationError(`--timeline ${path}: is a directory; give a file path such as ${join(path, 'run.html')}`);
  return target;
}

/**
 * Writes the page atomically: a temp file in the same directory (so the
 * rename stays on one file system), then a rename over `target`.
 *
 * @example
 * ```ts
 * writeTimelineFile(checkTimelinePath('run.html'), renderTimeline(run));
 * ```
 */
export function writeTimelineFile(target: string, html: string): void {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, html, { mode: 0o644 });
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
