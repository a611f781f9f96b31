/**
 * Environment parsing helpers shared by every module. Each reader returns
 * `undefined` when the variable is unset or empty (so a manifest can leave a
 * value blank) and throws a {@link ConfigurationError} naming the variable and
 * its value when the value is set but unusable: a misconfigured Job must stop
 * with exit code 78 and a message an operator can act on.
 */
import { ConfigurationError } from './errors.ts';
import { IDENTITY_ENV } from './identity-env.ts';

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

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parse an RFC 3339 instant with its zone (`2026-11-30T02:00:00Z`,
 * `2026-11-30T03:00:00+01:00`); a time without a zone is refused, as it would
 * mean the machine's.
 *
 * @throws ConfigurationError naming the setting.
 * @example
 * ```ts
 * parseInstant('JOBKIT_SCHEDULED_TIME', '2026-11-30T03:00:00+01:00').toISOString(); // '2026-11-30T02:00:00.000Z'
 * ```
 */
export function parseInstant(name: string, text: string): Date {
  const value = text.trim();
  const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ConfigurationError(`${name} must be an RFC 3339 time with a zone, e.g. 2026-11-30T02:00:00Z, got "${value}"`);
  return new Date(ms);
}

/**
 * Read an RFC 3339 instant (see {@link parseInstant}), or undefined when unset.
 *
 * @example
 * ```ts
 * readInstant(process.env, 'JOBKIT_SCHEDULED_TIME')?.toISOString();
 * ```
 */
export function readInstant(env: Env, name: string): Date | undefined {
  const value = readString(env, name);
  return value === undefined ? undefined : parseInstant(name, value);
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

/** How {@link checkOption} checks a number given in code, and how its message names it. */
export interface OptionRule extends NumberBounds {
  /** Only safe integers pass (sizes, counts, milliseconds that end up in a timer). */
  readonly integer?: boolean;
  /**
   * What the message calls the value; default `option <name>`. A module whose
   * options are not all on one object names itself (`checkpoint option keep`,
   * `S3 store option partSize`), so the operator knows where to look.
   */
  readonly label?: string;
  /**
   * Show the value as code wrote it in every message (`got 0`; a string from
   * untyped code quoted, `got "4"`). Without it a value out of bounds is
   * quoted like an env value (`got "0"`): the `option <name>` messages of the
   * runtime and the idempotency module have always read so, and tests and
   * operators' alerts match them.
   */
  readonly plain?: boolean;
  /**
   * Refuse `undefined` too (`got undefined`): for values that have no default,
   * such as a shard count or a chunk count, which untyped code may leave out.
   */
  readonly required?: boolean;
}

/**
 * Validate a number given in code (an option) with the same rules and message
 * shape as the env readers; `name` is the option's name. Every module checks
 * its numeric options through this one function, so the wording of "must be
 * an integer >= 1" is the same everywhere.
 *
 * @throws ConfigurationError `option <name> must be <kind and bounds>, got <value>`.
 * @example
 * ```ts
 * checkOption('gracePeriodSeconds', options.gracePeriodSeconds, { min: 0, minExclusive: true });
 * checkOption('keep', 0, { min: 1, integer: true, label: 'checkpoint option keep', plain: true });
 * // throws: checkpoint option keep must be an integer >= 1, got 0
 * ```
 */
export function checkOption(name: string, value: number | undefined, rule: OptionRule = {}): number | undefined {
  if (value === undefined && rule.required !== true) return undefined;
  const label = rule.label ?? `option ${name}`;
  const kind = rule.integer === true ? 'an integer' : 'a number';
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const ok = typeof value === 'number' && (rule.integer === true ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!ok || value === undefined) throw new ConfigurationError(`${label} must be ${kind}${describeBounds(rule)}, got ${rule.plain === true ? shown : String(value)}`);
  const { min, max, minExclusive = false } = rule;
  const tooSmall = min !== undefined && (minExclusive ? value <= min : value < min);
  const tooLarge = max !== undefined && value > max;
  if (tooSmall || tooLarge) {
    throw new ConfigurationError(`${label} must be ${kind}${describeBounds(rule)}, got ${rule.plain === true ? shown : `"${shown}"`}`);
  }
  return value;
}

/**
 * Validate a choice given in code (an option typed as a union of strings,
 * which untyped callers and casts can still get wrong). The allowed values
 * are quoted as the code writes them.
 *
 * @throws ConfigurationError `option <name> must be one of 'a', 'b', got "c"`.
 * @example
 * ```ts
 * checkChoiceOption('onInProgress', options.onInProgress, ['wait', 'fail'] as const); // 'wait' | 'fail' | undefined
 * checkChoiceOption('checksum', 'md5', ['sha256', 'crc32'], { label: 'checkpoint option checksum' });
 * // throws: checkpoint option checksum must be one of 'sha256', 'crc32', got "md5"
 * ```
 */
export function checkChoiceOption<const T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  rule: Pick<OptionRule, 'label'> = {},
): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    const label = rule.label ?? `option ${name}`;
    throw new ConfigurationError(`${label} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return found;
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
  // identity: the one table of identity variables
  ...Object.values(IDENTITY_ENV).map((e) => e.env),
  // attempt lineage
  'JOBKIT_ATTEMPTS_KEEP', 'JOBKIT_QUARANTINE_AFTER',
  // rate limiters (job.limiter, scope 'job')
  'JOBKIT_PARALLELISM',
  // single-run guard
  'JOBKIT_EXCLUSIVE_WAIT_MS', 'JOBKIT_EXCLUSIVE_LEASE_MS',
  // lifecycle
  'JOBKIT_GRACE_PERIOD_SECONDS', 'JOBKIT_SHUTDOWN_MARGIN_SECONDS', 'JOBKIT_DEADLINE_SECONDS',
  // interruption notice
  'JOBKIT_INTERRUPTION_NOTICE', 'JOBKIT_INTERRUPTION_POLL_SECONDS', 'JOBKIT_INTERRUPTION_REBALANCE', 'JOBKIT_INTERRUPTION_AZURE_ENDPOINT',
  // logs
  'JOBKIT_LOG_LEVEL',
  // store
  'JOBKIT_SECRETS_DIR',
  'JOBKIT_STORE', 'JOBKIT_S3_ENDPOINT', 'JOBKIT_S3_FORCE_PATH_STYLE', 'JOBKIT_S3_CHECKSUMS', 'JOBKIT_S3_SSE',
  'JOBKIT_S3_SSE_KMS_KEY_ID', 'JOBKIT_S3_MAX_SOCKETS', 'JOBKIT_S3_PART_SIZE_MB', 'JOBKIT_S3_UPLOAD_CONCURRENCY',
  'JOBKIT_S3_MAX_ATTEMPTS', 'JOBKIT_S3_REQUEST_TIMEOUT_MS',
  // checkpoint
  'JOBKIT_CHECKPOINT_SCOPE', 'JOBKIT_CHECKPOINT_KEEP', 'JOBKIT_CHECKPOINT_EVERY_ITEMS', 'JOBKIT_CHECKPOINT_EVERY_SECONDS',
  'JOBKIT_CHECKPOINT_PART_SIZE_MB', 'JOBKIT_CHECKPOINT_CONCURRENCY', 'JOBKIT_CHECKPOINT_CHECKSUM',
  'JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS', 'JOBKIT_CHECKPOINT_SIGNAL',
  // idempotency
  'JOBKIT_IDEMPOTENCY_SCOPE', 'JOBKIT_IDEMPOTENCY_LEASE_SECONDS', 'JOBKIT_IDEMPOTENCY_TTL_SECONDS',
  'JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS', 'JOBKIT_IDEMPOTENCY_MAX_WAIT_SECONDS', 'JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS',
  'JOBKIT_IDEMPOTENCY_CLOCK_SKEW_SECONDS',
  // metrics
  'JOBKIT_PUSHGATEWAY_URL', 'JOBKIT_PUSHGATEWAY_GROUP_BY', 'JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS',
  'JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS', 'JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS',
  // jobkit exec (the supervisor)
  'JOBKIT_EXEC_SIGNAL_TO', 'JOBKIT_EXEC_LOGS', 'JOBKIT_EXEC_PASS_EXIT_CODES', 'JOBKIT_EXEC_CGROUP_DIR', 'JOBKIT_EXEC_MAX_LINE_CHARS',
  'JOBKIT_EXEC_CHECKPOINT_DIR', 'JOBKIT_EXEC_CHECKPOINT_EVERY',
  // what jobkit exec gives its program: the push handshake's control file (docs/exec.md)
  'JOBKIT_EXEC_CONTROL',
  // what jobkit exec --checkpoint-dir gives its program
  'JOBKIT_CHECKPOINT_DIR', 'JOBKIT_CHECKPOINT_REQUEST', 'JOBKIT_CHECKPOINT_COMMITTED',
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
