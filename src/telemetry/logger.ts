/**
 * Structured logs: pino JSON lines, one per event, each carrying the job's
 * identity (job, namespace, pod, index, attempt) so that the logs of thousands
 * of pods can be filtered down to one index.
 *
 * Credentials are redacted by key name at any depth up to {@link REDACT_DEPTH}
 * (a single pass over the logged object, copying only the branches that hold a
 * secret). pino's own path-based `redact` is also available for exact paths,
 * but with `*` wildcards it costs tens of microseconds per line.
 *
 * The default destination writes synchronously to stdout: a line logged just
 * before `process.exit`, an OOM kill or SIGKILL is already in the pipe, never
 * lost in a buffer.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { type Env, checkChoiceOption } from '../runtime/config.ts';
import { describeRun, rfc3339Seconds } from '../runtime/run.ts';
import type { JobIdentity } from '../runtime/types.ts';
import { redactUrl } from '../util/url-credentials.ts';
import type { SecretValues } from './secret-values.ts';
import { TELEMETRY_ENV } from './config.ts';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from './constants.ts';

export type { Logger } from 'pino';

/** Levels accepted by JOBKIT_LOG_LEVEL and the `level` option (defined with the other defaults in constants.ts). */
export { LOG_LEVELS };

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/**
 * How deep into a logged object redaction looks (levels). Objects below are
 * replaced by {@link UNCHECKED_DEPTH}, never logged unchecked.
 */
export const REDACT_DEPTH = 10;

/** How many objects of one log line redaction checks; the rest are replaced by {@link UNCHECKED_SIZE}. */
export const REDACT_MAX_NODES = 5_000;

/** What replaces an object deeper than {@link REDACT_DEPTH}. */
export const UNCHECKED_DEPTH = '[not logged: deeper than the redaction limit]';

/** What replaces objects past {@link REDACT_MAX_NODES}. */
export const UNCHECKED_SIZE = '[not logged: past the redaction size limit]';

/**
 * Key names whose values are never logged (compared case-insensitively, with
 * `-` and `_` ignored, so `x-amz-security-token`, `AWS_SESSION_TOKEN` and
 * `sessionToken` are all caught). Besides these, any key that contains
 * `password`, `passwd`, `secret`, `apikey`, `authorization`, `credential`,
 * `privatekey` or `cookie`, or ends in `token`, is redacted too.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'authorization',
  'proxyAuthorization',
  'cookie',
  'setCookie',
  'credentials',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'awsAccessKeyId',
  'awsSecretAccessKey',
  'awsSessionToken',
  'xAmzSecurityToken',
  'clientSecret',
  'privateKey',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The identity whose fields go on every line; omitted fields are `null`. */
  readonly identity?: JobIdentity;
  /** Environment to read JOBKIT_LOG_LEVEL from (default `process.env`). */
  readonly env?: Env;
  /**
   * Minimum level; wins over JOBKIT_LOG_LEVEL.
   *
   * @default {@link DEFAULT_LOG_LEVEL} (`'info'`)
   */
  readonly level?: LogLevel;
  /** More key names to redact at any depth (same matching as {@link DEFAULT_REDACT_KEYS}). */
  readonly redactKeys?: readonly string[];
  /** Exact pino redact paths (`'req.body.card'`), for values whose key name is not telling. */
  readonly redactPaths?: readonly string[];
  /**
   * Fields merged into every line, computed at log time (the tracing module
   * passes one that adds `trace_id` and `span_id`).
   */
  readonly mixin?: () => Record<string, unknown>;
  /** Where lines go. Default: stdout, written synchronously. */
  readonly destination?: DestinationStream;
  /** Values replaced by `[REDACTED]` wherever they appear in a line (runJob passes the ones `job.secrets` read). */
  readonly secretValues?: SecretValues;
}

/**
 * Create the job's logger.
 *
 * @throws ConfigurationError when JOBKIT_LOG_LEVEL (or `level`) is not a level name.
 * @example
 * ```ts
 * const log = createLogger({ identity: resolveIdentity() });
 * log.info({ rows: 1200 }, 'batch written');
 * // {"level":"info","time":"...","job":"etl","namespace":"data","pod":"etl-3-x7k2p","index":3,"attempt":0,"rows":1200,"msg":"batch written"}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLogLevel(options.env ?? process.env, options.level);
  const redactor = createRedactor([...DEFAULT_REDACT_KEYS, ...(options.redactKeys ?? [])]);
  const pinoOptions: PinoOptions = {
    level,
    base: identityFields(options.identity),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactor(obj),
    },
    // The serialised error has a non-plain prototype, which the redactor does not
    // walk into; spreading it keeps its own fields (type, message, stack, custom props).
    serializers: { err: (err: Error) => redactor({ ...pino.stdSerializers.err(err) }) },
  };
  if (options.mixin !== undefined) pinoOptions.mixin = options.mixin;
  const secretValues = options.secretValues;
  if (secretValues !== undefined) pinoOptions.hooks = { streamWrite: (line) => (secretValues.size === 0 ? line : secretValues.redact(line)) };
  if (options.redactPaths !== undefined && options.redactPaths.length > 0) {
    pinoOptions.redact = { paths: [...options.redactPaths], censor: REDACTED };
  }
  return pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * The level from the option, else JOBKIT_LOG_LEVEL, else `info`.
 *
 * @example
 * ```ts
 * resolveLogLevel({ JOBKIT_LOG_LEVEL: 'debug' }); // 'debug'
 * resolveLogLevel({ JOBKIT_LOG_LEVEL: 'loud' });  // throws ConfigurationError
 * ```
 */
export function resolveLogLevel(env: Env, level?: string): LogLevel {
  return checkChoiceOption('level', level, LOG_LEVELS) ?? TELEMETRY_ENV.logLevel(env) ?? DEFAULT_LOG_LEVEL;
}

/**
 * Write any buffered lines now, synchronously when the destination allows it.
 * Called on the exit path; never throws (a broken stdout must not change the
 * exit code).
 *
 * @example
 * ```ts
 * log.fatal({ err }, 'giving up');
 * flushLoggerSync(log);
 * process.exit(70);
 * ```
 */
export function flushLoggerSync(log: Logger): void {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  try {
    if (isFlushable(stream)) stream.flushSync();
    else log.flush();
  } catch {
    // Nothing useful can be done about a failing log sink while exiting.
  }
}

function isFlushable(stream: unknown): stream is { flushSync(): void } {
  return typeof stream === 'object' && stream !== null && typeof (stream as { flushSync?: unknown }).flushSync === 'function';
}

function identityFields(identity: JobIdentity | undefined): Record<string, string | number | null> {
  const fields: Record<string, string | number | null> = {
    job: identity?.jobName ?? null,
    namespace: identity?.namespace ?? null,
    pod: identity?.podName ?? null,
    index: identity?.index ?? null,
    attempt: identity?.attempt ?? null,
  };
  // A CronJob's run: which one, so the lines of its retries and re-created Jobs group together.
  if (identity?.cronJobName !== undefined || identity?.scheduledTime !== undefined) {
    const run = describeRun(identity);
    fields.cronJob = run.cronJobName ?? null;
    fields.scheduledTime = run.scheduledTime === undefined ? null : rfc3339Seconds(run.scheduledTime);
    fields.trigger = run.trigger;
    fields.runId = run.id;
  }
  return fields;
}

const MAX_CACHED_KEYS = 10_000;

/**
 * Normalised fragments that make any key containing them sensitive:
 * `dbPassword`, `x-api-key`, `stripeSecretKey`, `GITHUB_CREDENTIALS`. A list of
 * exact names alone misses the spellings people actually use.
 */
const SENSITIVE_FRAGMENTS: readonly string[] = ['password', 'passwd', 'secret', 'apikey', 'authorization', 'credential', 'privatekey', 'cookie'];

/**
 * Suffixes of keys that point at a credential instead of holding it
 * (`secretName`, `secretRef`, `passwordFile`, `credentialsPath`): kept, unless
 * the exact name is listed (`accessKeyId`).
 */
const REFERENCE_SUFFIXES: readonly string[] = ['name', 'ref', 'arn', 'id', 'path', 'file', 'count', 'length'];

/**
 * Whether a normalised key names a credential: an exact listed name, a key
 * ending in `token` (`githubToken`, `x-auth-token`; not `tokensProcessed`,
 * which is a count), or one containing a sensitive fragment that is not a
 * reference to it.
 */
function isSensitiveKey(normalised: string, exact: ReadonlySet<string>): boolean {
  if (exact.has(normalised) || normalised.endsWith('token')) return true;
  if (REFERENCE_SUFFIXES.some((suffix) => normalised.endsWith(suffix))) return false;
  return SENSITIVE_FRAGMENTS.some((fragment) => normalised.includes(fragment));
}

/** Normalise a key for matching: lower case, without `-` and `_`. */
function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** Objects logged as they are: they hold no keys (their JSON is a date, bytes or a pattern). */
function isLeaf(value: object): boolean {
  return value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** A string that is a URL with userinfo (`https://user:pass@host`), with the userinfo hidden. */
function redactedUrlString(value: string): string {
  return value.length > 8 && value.includes('://') && value.includes('@') ? redactUrl(value) : value;
}

/**
 * A function returning `obj` itself when it holds nothing sensitive, or a copy
 * with those values replaced. Every object is walked, not only plain ones:
 * class instances (an HTTP client's request, a credentials class), errors and
 * their `cause`, AggregateError members. A class instance that needs a change
 * is copied as a plain object of its own enumerable fields (what its JSON
 * would show anyway). Bounded: past {@link REDACT_DEPTH} levels or
 * {@link REDACT_MAX_NODES} objects, what was not checked is not logged.
 */
function createRedactor(keys: readonly string[]): <T>(obj: T) => T {
  const sensitive = new Set(keys.map(normaliseKey));
  // Logged objects reuse the same few key names: remember each verdict so the
  // per-line cost is a Map lookup, not a lowercase + regex.
  const verdicts = new Map<string, KeyVerdict>();
  const verdictOf = (key: string): KeyVerdict => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      const normalised = normaliseKey(key);
      verdict = isSensitiveKey(normalised, sensitive) ? 'secret' : normalised.endsWith('headers') ? 'headers' : 'plain';
      if (verdicts.size < MAX_CACHED_KEYS) verdicts.set(key, verdict);
    }
    return verdict;
  };

  return <T>(obj: T): T => {
    let budget = REDACT_MAX_NODES;
    const walk = (value: unknown, depth: number): unknown => {
      if (typeof value === 'string') return redactedUrlString(value);
      if (typeof value !== 'object' || value === null || isLeaf(value)) return value;
      if (depth >= REDACT_DEPTH) return UNCHECKED_DEPTH;
      if (--budget < 0) return UNCHECKED_SIZE;
      if (value instanceof URL) return value.username === '' && value.password === '' ? value : redactUrl(value.href);
      if (Array.isArray(value)) {
        let copy: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const next = walk(item, depth + 1);
          if (next !== item) (copy ??= [...(value as unknown[])])[i] = next;
        }
        return copy ?? value;
      }
      const record = value as Record<string, unknown>;
      let copy: Record<string, unknown> | undefined;
      const plain = Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
      // JSON.stringify would print what toJSON returns: check that instead.
      if (!plain && typeof record.toJSON === 'function') {
        try {
          return walk((record.toJSON as () => unknown).call(value), depth + 1);
        } catch {
          return UNCHECKED_SIZE;
        }
      }
      for (const key of Object.keys(record)) {
        const item = record[key];
        const verdict = verdictOf(key);
        // `OTEL_EXPORTER_OTLP_HEADERS=Authorization=...`: a string of headers is a secret; a headers object is walked.
        const next = verdict === 'secret' || (verdict === 'headers' && typeof item === 'string') ? REDACTED : walk(item, depth + 1);
        if (next !== item) (copy ??= plain ? { ...record } : Object.fromEntries(Object.keys(record).map((k) => [k, record[k]])))[key] = next;
      }
      // Errors keep their message and stack out of Object.keys: carry them over on a copy.
      if (copy !== undefined && value instanceof Error) copy = { type: value.name, message: value.message, ...copy };
      return copy ?? value;
    };
    return walk(obj, 0) as T;
  };
}

/** What a key's value is, for redaction. */
type KeyVerdict = 'secret' | 'headers' | 'plain';
