/**
 * Settings of the interruption-notice watcher: which cloud to ask, where, how
 * often, and whether a rebalance recommendation stops the job. Read once at
 * start; a bad value is a ConfigurationError naming the variable (exit 78
 * before `main`).
 *
 * | variable | option | default |
 * |---|---|---|
 * | `JOBKIT_INTERRUPTION_NOTICE` | `provider` (`auto`, `aws`, `gce`, `azure`, `off`) | `auto` |
 * | `JOBKIT_INTERRUPTION_POLL_SECONDS` | `pollSeconds` | 5 |
 * | `JOBKIT_INTERRUPTION_REBALANCE` | `stopOnRebalance` (`stop` / `log`) | `log` |
 * | `AWS_EC2_METADATA_SERVICE_ENDPOINT` | `endpoint` (AWS) | `http://169.254.169.254` |
 * | `GCE_METADATA_HOST` | `endpoint` (GCE, a host[:port]) | `metadata.google.internal` |
 * | `JOBKIT_INTERRUPTION_AZURE_ENDPOINT` | `endpoint` (Azure) | `http://169.254.169.254` |
 *
 * `auto` turns the watcher on only where the platform says which cloud the
 * machine is in: AWS Batch (not on Fargate, which has no spot notice in IMDS)
 * and Google Cloud Batch. A Kubernetes pod does not know its cloud from its
 * environment: name the provider there.
 */
import { type Env, checkChoiceOption, checkOption, readChoice, readNumber, readString } from '../config.ts';
import { ConfigurationError } from '../errors.ts';
import type { Platform } from '../types.ts';
import {
  AZURE_REQUEST_TIMEOUT_MS,
  DEFAULT_AWS_ENDPOINT,
  DEFAULT_AZURE_ENDPOINT,
  DEFAULT_GCE_HOST,
  DEFAULT_POLL_SECONDS,
  MAX_POLL_SECONDS,
  MIN_POLL_SECONDS,
  REQUEST_TIMEOUT_MS,
} from './constants.ts';
import type { InterruptionProvider } from './types.ts';

/** Every value of `JOBKIT_INTERRUPTION_NOTICE`. */
export const INTERRUPTION_NOTICE_MODES = ['auto', 'aws', 'gce', 'azure', 'off'] as const;

/** Which metadata service to watch: a provider, `auto` (from the platform) or `off`. */
export type InterruptionNoticeMode = (typeof INTERRUPTION_NOTICE_MODES)[number];

/**
 * The code form of the watcher's settings (runJob's `interruptionNotice`);
 * each wins over its env form.
 *
 * @example
 * ```ts
 * await runJob(main, { interruptionNotice: { provider: 'aws', pollSeconds: 2 } });
 * ```
 */
export interface InterruptionNoticeOptions {
  /**
   * Which cloud's metadata service to poll (JOBKIT_INTERRUPTION_NOTICE).
   * @default 'auto': AWS on AWS Batch (not Fargate), GCE on Google Cloud Batch, else off
   */
  readonly provider?: InterruptionNoticeMode;
  /**
   * Seconds between two reads (JOBKIT_INTERRUPTION_POLL_SECONDS), 0.05 to 60.
   * @default {@link DEFAULT_POLL_SECONDS} (5)
   */
  readonly pollSeconds?: number;
  /**
   * Stop the job on AWS's rebalance recommendation too
   * (JOBKIT_INTERRUPTION_REBALANCE=stop). It is an early hint, often hours
   * ahead or never followed by an interruption, so by default it is only
   * logged and counted.
   * @default false
   */
  readonly stopOnRebalance?: boolean;
  /**
   * The metadata service's base URL (for GCE a URL or a host[:port]); default
   * from the provider's variable, else its link-local address.
   */
  readonly endpoint?: string;
}

/** The watcher's settings, resolved. */
export interface InterruptionSettings {
  /** The provider to watch; undefined: the watcher is off. */
  readonly provider: InterruptionProvider | undefined;
  /** Why that provider (or none): for the start line. */
  readonly because: string;
  /** The metadata service's base URL. */
  readonly endpoint: URL | undefined;
  readonly pollMs: number;
  /** Timeout of one request (not counting GCE's own wait). */
  readonly requestTimeoutMs: number;
  readonly stopOnRebalance: boolean;
}

/** Variables that carry the endpoint of each provider. */
const ENDPOINT_VARIABLE: Readonly<Record<InterruptionProvider, string>> = {
  aws: 'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  gce: 'GCE_METADATA_HOST',
  azure: 'JOBKIT_INTERRUPTION_AZURE_ENDPOINT',
};

/**
 * Resolve the watcher's settings from options, env and the platform.
 *
 * @throws ConfigurationError naming the variable or option on a bad value.
 * @example
 * ```ts
 * resolveInterruptionSettings({ JOBKIT_INTERRUPTION_NOTICE: 'aws' }, 'kubernetes').endpoint?.href; // 'http://169.254.169.254/'
 * resolveInterruptionSettings({}, 'kubernetes').provider; // undefined: off
 * ```
 */
export function resolveInterruptionSettings(env: Env, platform: Platform, options: InterruptionNoticeOptions = {}): InterruptionSettings {
  const optionMode = checkChoiceOption('interruptionNotice.provider', options.provider, INTERRUPTION_NOTICE_MODES);
  const envMode = readChoice(env, 'JOBKIT_INTERRUPTION_NOTICE', INTERRUPTION_NOTICE_MODES);
  const mode = optionMode ?? envMode ?? 'auto';
  const pollSeconds =
    checkOption('interruptionNotice.pollSeconds', options.pollSeconds, { min: MIN_POLL_SECONDS, max: MAX_POLL_SECONDS }) ??
    readNumber(env, 'JOBKIT_INTERRUPTION_POLL_SECONDS', { min: MIN_POLL_SECONDS, max: MAX_POLL_SECONDS }) ??
    DEFAULT_POLL_SECONDS;
  const rebalance = readChoice(env, 'JOBKIT_INTERRUPTION_REBALANCE', ['stop', 'log'] as const);
  if (options.stopOnRebalance !== undefined && typeof options.stopOnRebalance !== 'boolean') {
    throw new ConfigurationError(`option interruptionNotice.stopOnRebalance must be true or false, got ${JSON.stringify(options.stopOnRebalance)}`);
  }
  const stopOnRebalance = options.stopOnRebalance ?? rebalance === 'stop';
  const source = optionMode !== undefined ? `option interruptionNotice.provider=${mode}` : `JOBKIT_INTERRUPTION_NOTICE=${mode}`;
  const chosen = mode === 'auto' ? autoProvider(env, platform) : { provider: mode === 'off' ? undefined : mode, because: source };
  // Every endpoint variable is checked, whichever provider is on: a bad value is a mistake in the manifest either way.
  const endpoints: Record<InterruptionProvider, URL> = {
    aws: endpointFrom(env, 'aws', DEFAULT_AWS_ENDPOINT),
    gce: endpointFrom(env, 'gce', `http://${DEFAULT_GCE_HOST}`),
    azure: endpointFrom(env, 'azure', DEFAULT_AZURE_ENDPOINT),
  };
  const { provider } = chosen;
  let endpoint = provider === undefined ? undefined : endpoints[provider];
  if (provider !== undefined && options.endpoint !== undefined) endpoint = parseEndpoint('option interruptionNotice.endpoint', options.endpoint, provider);
  return {
    provider,
    because: chosen.because,
    endpoint,
    pollMs: Math.round(pollSeconds * 1000),
    requestTimeoutMs: provider === 'azure' ? AZURE_REQUEST_TIMEOUT_MS : REQUEST_TIMEOUT_MS,
    stopOnRebalance,
  };
}

/** What `auto` picks: only a platform that names its cloud turns the watcher on. */
function autoProvider(env: Env, platform: Platform): { provider: InterruptionProvider | undefined; because: string } {
  switch (platform) {
    case 'aws-batch':
      if (readString(env, 'AWS_EXECUTION_ENV') === 'AWS_ECS_FARGATE') return { provider: undefined, because: 'auto: AWS Batch on Fargate has no spot notice in instance metadata' };
      if (readString(env, 'AWS_EC2_METADATA_DISABLED')?.toLowerCase() === 'true') return { provider: undefined, because: 'auto: AWS_EC2_METADATA_DISABLED=true' };
      return { provider: 'aws', because: 'auto: platform aws-batch' };
    case 'cloud-batch':
      return { provider: 'gce', because: 'auto: platform cloud-batch' };
    case 'kubernetes':
    case 'argo':
    case 'jobset':
    case 'cloud-run':
    case 'slurm':
    case 'local':
      return { provider: undefined, because: `auto: platform ${platform} does not say which cloud it runs on (set JOBKIT_INTERRUPTION_NOTICE)` };
  }
}

function endpointFrom(env: Env, provider: InterruptionProvider, fallback: string): URL {
  const name = ENDPOINT_VARIABLE[provider];
  const value = readString(env, name);
  return value === undefined ? new URL(fallback) : parseEndpoint(name, value, provider);
}

/** A base URL; GCE's variable is a host[:port] by Google's convention, so one without a scheme gets `http://`. */
function parseEndpoint(name: string, value: string, provider: InterruptionProvider): URL {
  const text = provider === 'gce' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? `http://${value}` : value;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(`${name} must be an http:// or https:// URL${provider === 'gce' ? ' or a host[:port]' : ''}, got "${value}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(`${name} must be an http:// or https:// URL without credentials, query or fragment, got "${url.protocol}//${url.host}${url.pathname}"`);
  }
  return url;
}
