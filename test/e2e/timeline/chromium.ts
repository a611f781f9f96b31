/**
 * Headless Chromium for the timeline tests, driven by its command line only
 * (`--dump-dom`, `--screenshot`): no npm package. Debian's chromium is
 * installed by scripts/install-test-services.sh; without it the tests fail,
 * saying so, rather than skip.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The chromium binary: $CHROMIUM, else `chromium` on PATH, else /usr/bin/chromium. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'chromium')), '/usr/bin/chromium'];
  for (const c of candidates) {
    if (c === undefined || c === '') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('chromium not found (looked at $CHROMIUM, PATH and /usr/bin/chromium): run scripts/install-test-services.sh, which installs Debian\'s chromium for the timeline tests');
}

async function chromium(args: readonly string[]): Promise<string> {
  // A profile of its own: other chromium processes on the machine must not share ours.
  const profile = mkdtempSync(join(tmpdir(), 'jobkit-chromium-'));
  try {
    const { stdout } = await run(
      chromiumPath(),
      // --no-sandbox: the test may run as root, where the sandbox cannot start.
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', `--user-data-dir=${profile}`, ...args],
      { maxBuffer: 64 * 2 ** 20, timeout: 60_000 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM Chromium built from the file, serialised. */
export async function dumpDom(file: string): Promise<string> {
  return await chromium(['--dump-dom', pathToFileURL(file).href]);
}

/** A PNG screenshot of the file at the window size. */
export async function screenshot(file: string, out: string, size = '1400,900'): Promise<void> {
  await chromium([`--screenshot=${out}`, `--window-size=${size}`, pathToFileURL(file).href]);
}
