/**
 * Durations as the operator commands take them (`--older-than 7d`,
 * `--no-progress 15m`): a whole number and one unit.
 */
import { parseInteger } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration as `--older-than` takes it: a whole number and a unit, `90s`, `30m`, `12h`, `7d`.
 *
 * @example
 * ```ts
 * parseDuration('--older-than', '7d'); // 604800000
 * parseDuration('--no-progress', '15m'); // 900000
 * ```
 */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m === null) throw new ConfigurationError(`${name} must be a whole number and a unit (s, m, h or d), e.g. 7d or 12h; got "${text}"`);
  const n = parseInteger(name, m[1]!, { min: 1 });
  return n * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * A duration for a person, in the units the commands take (`--older-than 7d`):
 * `45s`, `12m`, `3h`, `2d`. One format for every operator command.
 *
 * @example
 * ```ts
 * formatAge(7200); // '2h'
 * ```
 */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
