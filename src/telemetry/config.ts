/**
 * The env form of the telemetry options (12-factor: set by the generated
 * manifest or the platform team; options in code win). A bad value is a
 * ConfigurationError naming the variable and the value.
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_LOG_LEVEL | logger `level` |
 * | JOBKIT_PUSHGATEWAY_URL | pushgateway `url` (unset: no push, and the other JOBKIT_PUSHGATEWAY_* are not read) |
 * | JOBKIT_PUSHGATEWAY_GROUP_BY | `groupBy` (`index`, `pod`) |
 * | JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS | `intervalMs`; `0` disables periodic pushes |
 * | JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS | `timeoutMs` |
 * | JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS | `deleteOnSuccess` (`true`, `false`) |
 * | OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT | tracing `enabled` |
 *
 * The resolvers (resolveLogLevel, resolvePushgatewayConfig,
 * resolveTracingConfig) read each variable through {@link TELEMETRY_ENV} only
 * when no code option gives the value, so a value given in code is never
 * refused for a stale variable; {@link telemetryOptionsFromEnv} reads them all
 * for the start-time check and `jobkit lint`.
 */
import { type Env, readChoice, readNumber, readString } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { redactUrl, splitUserinfo } from '../util/url-credentials.ts';
import { LOG_LEVELS } from './constants.ts';
import type { LogLevel } from './logger.ts';
import type { PushgatewayOptions, PushGroupBy } from './pushgateway.ts';
import type { TracingConfig } from './tracing.ts';

/** The Pushgateway options that have an env form. */
export type PushgatewayEnvOptions = Pick<PushgatewayOptions, 'url' | 'groupBy' | 'intervalMs' | 'timeoutMs' | 'deleteOnSuccess'>;

/** The telemetry settings the environment gives. */
export interface TelemetryEnvOptions {
  /** JOBKIT_LOG_LEVEL; absent when unset. */
  readonly logLevel?: LogLevel;
  /**
   * The JOBKIT_PUSHGATEWAY_* settings; absent without JOBKIT_PUSHGATEWAY_URL
   * (without a gateway the others are not used, and are not read).
   */
  readonly pushgateway?: PushgatewayEnvOptions;
  /** Whether the OTEL_* variables turn tracing on, and why. */
  readonly tracing: TracingConfig;
}

/** A gateway URL split into the URL to send to and its Basic credentials. */
export interface GatewayUrl {
  readonly base: URL;
  /** `Basic ...` when the URL carried credentials. */
  readonly authorization: string | undefined;
}

/**
 * Parse a Pushgateway URL (`http://[user:password@]host:9091[/prefix]`);
 * `urlName` is what the message calls it (`JOBKIT_PUSHGATEWAY_URL`, `option
 * url`). Messages never show the credentials.
 *
 * @throws ConfigurationError `<urlName> must be an http(s) URL, got "..."`.
 * @example
 * ```ts
 * parseGatewayUrl('http://bob:pw@pgw:9091', 'JOBKIT_PUSHGATEWAY_URL').authorization; // 'Basic Ym9iOnB3'
 * ```
 */
export function parseGatewayUrl(raw: string, urlName: string): GatewayUrl {
  // Credentials come out before URL parsing: a password may hold `/`, `#` or `?`.
  const { url: withoutCredentials, userinfo } = splitUserinfo(raw);
  let base: URL;
  try {
    base = new URL(withoutCredentials);
  } catch {
    throw new ConfigurationError(`${urlName} must be an http(s) URL, got "${redactUrl(raw)}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ConfigurationError(`${urlName} must be an http(s) URL, got "${redactUrl(raw)}"`);
  }
  return { base, authorization: userinfo === undefined ? undefined : basicAuthorization(userinfo, urlName) };
}

/** `Basic` credentials from a URL's raw userinfo; a malformed percent-escape names the setting, never the secret. */
function basicAuthorization(userinfo: string, urlName: string): string {
  const colon = userinfo.indexOf(':');
  const [user, password] = colon < 0 ? [userinfo, ''] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  let decoded: string;
  try {
    decoded = `${decodeURIComponent(user)}:${decodeURIComponent(password)}`;
  } catch {
    throw new ConfigurationError(`${urlName} has a malformed percent-escape in its user or password (write % as %25)`);
  }
  return `Basic ${Buffer.from(decoded).toString('base64')}`;
}

function secondsAsMs(env: Env, name: string, positive: boolean): number | undefined {
  const seconds = readNumber(env, name, { min: 0, minExclusive: positive });
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

/**
 * One reader per telemetry variable, for the resolvers: each returns
 * undefined when its variable is unset or blank and throws a
 * ConfigurationError naming it when it is unusable. Not package API: the
 * module's reader is {@link telemetryOptionsFromEnv}.
 */
export const TELEMETRY_ENV = {
  logLevel: (env: Env): LogLevel | undefined => readChoice(env, 'JOBKIT_LOG_LEVEL', LOG_LEVELS),
  /** The raw URL, checked (a resolver parses it again for its parts). */
  pushgatewayUrl: (env: Env): string | undefined => {
    const raw = readString(env, 'JOBKIT_PUSHGATEWAY_URL');
    if (raw !== undefined) parseGatewayUrl(raw, 'JOBKIT_PUSHGATEWAY_URL');
    return raw;
  },
  pushGroupBy: (env: Env): PushGroupBy | undefined => readChoice(env, 'JOBKIT_PUSHGATEWAY_GROUP_BY', ['index', 'pod'] as const),
  pushIntervalMs: (env: Env): number | undefined => secondsAsMs(env, 'JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS', false),
  pushTimeoutMs: (env: Env): number | undefined => secondsAsMs(env, 'JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS', true),
  pushDeleteOnSuccess: (env: Env): boolean | undefined => {
    const value = readChoice(env, 'JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS', ['true', 'false'] as const);
    return value === undefined ? undefined : value === 'true';
  },
  /** The OTEL_* decision: the SDK's own kill switch first, then an explicit exporter list, then an endpoint. */
  tracing: (env: Env): TracingConfig => {
    if (readString(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { enabled: false, because: 'OTEL_SDK_DISABLED=true' };
    const exporters = readString(env, 'OTEL_TRACES_EXPORTER');
    if (exporters !== undefined) {
      const none = exporters.split(',').every((e) => ['none', ''].includes(e.trim().toLowerCase()));
      return { enabled: !none, because: `OTEL_TRACES_EXPORTER=${exporters}` };
    }
    for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
      if (readString(env, name) !== undefined) return { enabled: true, because: `${name} is set` };
    }
    return { enabled: false, because: 'no OTLP endpoint configured' };
  },
} as const;

/**
 * Read the telemetry settings from the environment: the log level, the
 * Pushgateway settings (only when JOBKIT_PUSHGATEWAY_URL is set) and whether
 * tracing is on. Absent variables are left out so that the defaults (or
 * options given in code) apply. Checked in this order, so the first bad
 * value is the one reported, as at start.
 *
 * @throws ConfigurationError naming the variable and its value.
 * @example
 * ```ts
 * const telemetry = telemetryOptionsFromEnv(process.env);
 * createLogger({ level: telemetry.logLevel });
 * createMetricsPusher({ ...telemetry.pushgateway, metrics, identity, log });
 * ```
 */
export function telemetryOptionsFromEnv(env: Env): TelemetryEnvOptions {
  const logLevel = TELEMETRY_ENV.logLevel(env);
  const url = TELEMETRY_ENV.pushgatewayUrl(env);
  let pushgateway: PushgatewayEnvOptions | undefined;
  if (url !== undefined) {
    const found: { -readonly [K in keyof PushgatewayEnvOptions]: PushgatewayEnvOptions[K] } = {
      url,
      groupBy: TELEMETRY_ENV.pushGroupBy(env),
      intervalMs: TELEMETRY_ENV.pushIntervalMs(env),
      timeoutMs: TELEMETRY_ENV.pushTimeoutMs(env),
      deleteOnSuccess: TELEMETRY_ENV.pushDeleteOnSuccess(env),
    };
    // Absent variables must not override options given in code with `undefined`.
    pushgateway = Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
  }
  return { ...(logLevel === undefined ? {} : { logLevel }), ...(pushgateway === undefined ? {} : { pushgateway }), tracing: TELEMETRY_ENV.tracing(env) };
}
