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
  return parseInteger(name, value, bounds);
}

/**
 * Parse one integer text with the rules of {@link readInteger} (decimal digits
 * only, bounds checked), for values that do not come from the environment:
 * CLI flags, manifest env literals. `name` is what the message calls the value
 * (`--completions`, `JOBKIT_COUNT`).
 *
 * @throws ConfigurationError `<name> must be an integer >= 1, got "0x3"`.
 * @example
 * ```ts
 * parseInteger('--completions', '4', { min: 1 }); // 4
 * parseInteger('--completions', '1e1', { min: 1 }); // throws: --completions must be an integer >= 1, got "1e1"
 * ```
 */
export function parseInteger(name: string, text: string, bounds: NumberBounds = {}): number {
  const value = text.trim();
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
  return parseNumber(name, value, bounds);
}

/**
 * Parse one decimal text with the rules of {@link readNumber}, for values
 * that do not come from the environment (CLI flags).
 *
 * @example
 * ```ts
 * parseNumber('--backoff-scale', '0.01', { min: 0 }); // 0.01
 * ```
 */
export function parseNumber(name: string, text: string, bounds: NumberBounds = {}): number {
  const value = text.trim();
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
  return parseChoice(name, value, allowed);
}

/**
 * Parse one text with the rules of {@link readChoice}, for values that do not
 * come from the environment (CLI flags).
 *
 * @example
 * ```ts
 * parseChoice('--log-level', 'INFO', ['debug', 'info']); // 'info'
 * ```
 */
export function parseChoice<const T extends string>(name: string, text: string, allowed: readonly T[]): T {
  const value = text.trim();
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

/**
 * Every `JOBKIT_*` variable some module reads. runJob warns about a set
 * `JOBKIT_*` variable that is not here: a typo (`JOBKIT_CHECKPIONT_KEEP`)
 * would otherwise be ignored in silence and the default used. A unit test
 * checks that every `JOBKIT_*` name in src/ is listed.
 */
export const JOBKIT_VARIABLES: ReadonlySet<string> = new Set([
  // identity
  'JOBKIT_PLATFORM', 'JOBKIT_INDEX', 'JOBKIT_COUNT', 'JOBKIT_JOB_NAME', 'JOBKIT_NAMESPACE', 'JOBKIT_POD_NAME',
  'JOBKIT_POD_UID', 'JOBKIT_NODE_NAME', 'JOBKIT_ATTEMPT',
  // lifecycle
  'JOBKIT_GRACE_PERIOD_SECONDS', 'JOBKIT_SHUTDOWN_MARGIN_SECONDS', 'JOBKIT_DEADLINE_SECONDS',
  // logs
  'JOBKIT_LOG_LEVEL',
  // store
  'JOBKIT_STORE', 'JOBKIT_S3_ENDPOINT', 'JOBKIT_S3_FORCE_PATH_STYLE', 'JOBKIT_S3_CHECKSUMS', 'JOBKIT_S3_SSE',
  'JOBKIT_S3_SSE_KMS_KEY_ID', 'JOBKIT_S3_MAX_SOCKETS', 'JOBKIT_S3_PART_SIZE_MB', 'JOBKIT_S3_UPLOAD_CONCURRENCY',
  'JOBKIT_S3_MAX_ATTEMPTS', 'JOBKIT_S3_REQUEST_TIMEOUT_MS',
  // checkpoint
  'JOBKIT_CHECKPOINT_SCOPE', 'JOBKIT_CHECKPOINT_KEEP', 'JOBKIT_CHECKPOINT_EVERY_ITEMS', 'JOBKIT_CHECKPOINT_EVERY_SECONDS',
  'JOBKIT_CHECKPOINT_PART_SIZE_MB', 'JOBKIT_CHECKPOINT_CONCURRENCY', 'JOBKIT_CHECKPOINT_CHECKSUM',
  'JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS',
  // idempotency
  'JOBKIT_IDEMPOTENCY_SCOPE', 'JOBKIT_IDEMPOTENCY_LEASE_SECONDS', 'JOBKIT_IDEMPOTENCY_TTL_SECONDS',
  'JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS', 'JOBKIT_IDEMPOTENCY_MAX_WAIT_SECONDS', 'JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS',
  'JOBKIT_IDEMPOTENCY_CLOCK_SKEW_SECONDS',
  // metrics
  'JOBKIT_PUSHGATEWAY_URL', 'JOBKIT_PUSHGATEWAY_GROUP_BY', 'JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS',
  'JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS', 'JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS',
]);

/**
 * The set `JOBKIT_*` variables that no module reads, each with the known name
 * it most likely meant (same name but for one or two edits), for a warning.
 *
 * @example
 * ```ts
 * unknownJobkitVariables({ JOBKIT_CHECKPIONT_KEEP: '3' }); // [{ name: 'JOBKIT_CHECKPIONT_KEEP', didYouMean: 'JOBKIT_CHECKPOINT_KEEP' }]
 * ```
 */
export function unknownJobkitVariables(env: Env): Array<{ readonly name: string; readonly didYouMean: string | undefined }> {
  const unknown: Array<{ name: string; didYouMean: string | undefined }> = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('JOBKIT_') || JOBKIT_VARIABLES.has(name) || readString(env, name) === undefined) continue;
    let best: { name: string; distance: number } | undefined;
    for (const known of JOBKIT_VARIABLES) {
      const distance = editDistance(name, known);
      if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: known, distance };
    }
    unknown.push({ name, didYouMean: best?.name });
  }
  return unknown;
}

/** Levenshtein distance (names are short; the quadratic table is fine). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
