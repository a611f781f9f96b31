/**
 * Environment parsing helpers shared by every module. Each reader returns
 * `undefined` when the variable is unset or empty (so a manifest can leave a
 * value blank) and throws a {@link ConfigurationError} naming the variable and
 * its value when the value is set but unusable: a misconfigured Job must stop
 * with exit code 78 and a message an operator can act on.
 */
import { ConfigurationError } from './errors.ts';

/** The environment as jobkit reads it: `process.env` or a test's literal. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Bounds for numeric readers. */
export interface NumberBounds {
  /** Smallest accepted value (inclusive). */
  readonly min?: number;
  /** Largest accepted value (inclusive). */
  readonly max?: number;
  /** When true, `min` itself is refused (a strict lower bound). */
  readonly minExclusive?: boolean;
}

const INTEGER = /^[+]?\d+$/;
const DECIMAL = /^[+]?(?:\d+\.?\d*|\.\d+)$/;

/**
 * The value of a variable, trimmed, or undefined when unset or blank.
 *
 * @example
 * ```ts
 * readString(process.env, 'JOBKIT_JOB_NAME') ?? 'local';
 * ```
 */
export function readString(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return value === '' ? undefined : value;
}

/**
 * A non-negative integer variable (decimal digits only: `1e3`, `0x10`, `1.0` and
 * `-1` are refused so that a typo never becomes a surprising number).
 *
 * @example
 * ```ts
 * readInteger(process.env, 'JOBKIT_COUNT', { min: 1 }); // "4" -> 4, "abc" -> ConfigurationError
 * ```
 */
export function readInteger(env: Env, name: string, bounds: NumberBounds = {}): number | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const parsed = INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new ConfigurationError(`${name} must be ${describeKind('integer', bounds)}, got "${value}"`);
  }
  checkBounds(name, value, parsed, bounds, 'an integer');
  return parsed;
}

/**
 * A non-negative decimal number variable (seconds, ratios).
 *
 * @example
 * ```ts
 * readNumber(process.env, 'JOBKIT_DEADLINE_SECONDS', { min: 0, minExclusive: true }); // "1.5" -> 1.5
 * ```
 */
export function readNumber(env: Env, name: string, bounds: NumberBounds = {}): number | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const parsed = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    throw new ConfigurationError(`${name} must be ${describeKind('number', bounds)}, got "${value}"`);
  }
  checkBounds(name, value, parsed, bounds, 'a number');
  return parsed;
}

/**
 * A variable restricted to a fixed set of values (case-insensitive; returns the
 * canonical spelling from `allowed`).
 *
 * @example
 * ```ts
 * readChoice(process.env, 'JOBKIT_LOG_LEVEL', ['debug', 'info']); // "INFO" -> 'info'
 * ```
 */
export function readChoice<const T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new ConfigurationError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return found;
}

/**
 * Validate a number given in code (an option) with the same rules and message
 * shape as the env readers; `name` is the option's name.
 *
 * @example
 * ```ts
 * checkOption('gracePeriodSeconds', options.gracePeriodSeconds, { min: 0, minExclusive: true });
 * ```
 */
export function checkOption(
  name: string,
  value: number | undefined,
  bounds: NumberBounds & { readonly integer?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const kind = bounds.integer === true ? 'an integer' : 'a number';
  const ok = typeof value === 'number' && (bounds.integer === true ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!ok) throw new ConfigurationError(`option ${name} must be ${kind}${describeBounds(bounds)}, got ${String(value)}`);
  checkBounds(`option ${name}`, String(value), value, bounds, kind);
  return value;
}

function checkBounds(name: string, raw: string, value: number, bounds: NumberBounds, kind: string): void {
  const { min, max, minExclusive = false } = bounds;
  const tooSmall = min !== undefined && (minExclusive ? value <= min : value < min);
  const tooLarge = max !== undefined && value > max;
  if (tooSmall || tooLarge) {
    throw new ConfigurationError(`${name} must be ${kind}${describeBounds(bounds)}, got "${raw}"`);
  }
}

/** "a non-negative integer" without bounds, "an integer >= 1" with (the parsers never accept a sign). */
function describeKind(kind: 'integer' | 'number', bounds: NumberBounds): string {
  const article = kind === 'integer' ? 'an' : 'a';
  return bounds.min === undefined && bounds.max === undefined ? `a non-negative ${kind}` : `${article} ${kind}${describeBounds(bounds)}`;
}

function describeBounds({ min, max, minExclusive = false }: NumberBounds): string {
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${minExclusive ? '>' : '>='} ${min}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  return parts.length === 0 ? '' : ` ${parts.join(' and ')}`;
}
