/** The package version, for `jobkit version` and the headers of generated files. */
import { readFileSync } from 'node:fs';

/**
 * The package version, read from package.json (two levels up in src/ and dist/ alike).
 *
 * @example
 * ```ts
 * jobkitVersion(); // '0.1.0'
 * ```
 */
export function jobkitVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
