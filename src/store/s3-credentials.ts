/**
 * Credentials of the S3 store that keep working across expiry. Pods get
 * short-lived credentials (EKS IRSA: a web identity token file exchanged at
 * STS; EKS Pod Identity: the container credentials endpoint; both last about
 * an hour); static keys do not expire. The AWS SDK's default chain reads all
 * of them; this wraps it so that:
 *
 * - credentials are refreshed before they expire: when less than
 *   {@link REFRESH_BEFORE_MS} (5 min) or half of their lifetime is left,
 *   whichever is shorter (the SDK's fixed 5 minutes would re-fetch on every
 *   request credentials that only live a few minutes);
 * - concurrent requests share one refresh;
 * - after the server answered ExpiredToken (a clock that is off, keys revoked
 *   early), {@link RefreshingCredentials.invalidate} makes the next request
 *   fetch new ones, bypassing the chain's own cache (`forceRefresh`);
 * - a failure to get credentials is a jobkit error that names the source's
 *   error class and never its text: unreachable (STS or the endpoint down, a
 *   5xx, a timeout) is retryable (75), refused (AccessDenied, an invalid or
 *   missing token file, no source at all) is configuration (78).
 */
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { isTransientError } from '../runtime/classify.ts';
import { ConfigurationError, RetryableError } from '../runtime/errors.ts';
import { errnoCode } from './errno.ts';

/**
 * Credentials are refreshed when this little of their lifetime is left (or
 * half of it, when that is less), like the AWS SDK's own 5 minutes.
 *
 * @default 300 000 (5 min)
 */
export const REFRESH_BEFORE_MS = 300_000;

/** AWS credentials (the shape of the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When they stop working; none for static keys. */
  readonly expiration?: Date;
}

/** Options the SDK passes a credential provider (the caller's client config among them). */
export type CredentialProviderOptions = Record<string, unknown> & { readonly forceRefresh?: boolean };

/** Where credentials come from: the SDK's default chain, or any provider function. */
export type CredentialSource = (options?: CredentialProviderOptions) => Promise<AwsCredentialIdentity>;

/** Options of {@link RefreshingCredentials}. */
export interface RefreshingCredentialsOptions {
  /**
   * The source. Default: the AWS SDK's default chain (env keys, web identity
   * token file, container credentials endpoint, profiles, IMDS).
   */
  readonly source?: CredentialSource;
  /** The clock, in ms since the epoch (tests). */
  readonly now?: () => number;
}

const SOURCE_HINT =
  'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (IRSA), AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (Pod Identity)';

/**
 * The default source: the SDK's default chain, except that a pod whose only
 * source is the container credentials endpoint (EKS Pod Identity, ECS) asks
 * the endpoint directly. The chain turns every failure of a link into "Could
 * not load credentials from any providers", which cannot tell an agent that
 * is down (retry) from a token it refused (configuration).
 *
 * @example
 * ```ts
 * const source = defaultCredentialSource(process.env);
 * ```
 */
export function defaultCredentialSource(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  const container = (env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? '') !== '' || (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? '') !== '';
  const other = ['AWS_ACCESS_KEY_ID', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_PROFILE'].some((k) => (env[k] ?? '') !== '');
  if (container && !other) return fromHttp({}) as CredentialSource;
  return defaultProvider();
}

/** The socket error code or HTTP status a provider put in its fixed message ("connect ECONNREFUSED ...", "Server responded with status: 503"). */
function fromMessage(err: unknown): { code?: string; status?: number } {
  const message = err instanceof Error ? err.message : '';
  const code = /\b(E[A-Z]{3,}|TimeoutError)\b/.exec(message)?.[1];
  const status = /status: (\d{3})\b/.exec(message)?.[1];
  return { ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status: Number(status) }) };
}

function nameOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return typeof err;
  const e = err as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : 'Error';
}

function statusOf(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/**
 * A credential source failure as a jobkit error: retryable when the source
 * was unreachable or failed transiently, configuration when it refused.
 * Only the error's class, code and status are kept: a provider's message may
 * quote a response body.
 *
 * @example
 * ```ts
 * throw credentialsError(err); // RetryableError: S3 credentials could not be fetched (ECONNREFUSED)...
 * ```
 */
export function credentialsError(err: unknown): RetryableError | ConfigurationError {
  const parsed = fromMessage(err);
  const code = errnoCode(err) ?? parsed.code;
  const status = statusOf(err) ?? parsed.status;
  const what = [nameOf(err), code, status === undefined ? undefined : `HTTP ${status}`].filter((x) => x !== undefined).join(', ');
  // The providers wrap an unreachable endpoint in a ProviderError; the cause has the socket error.
  const unreachable =
    isTransientError(err) ||
    (typeof err === 'object' && err !== null && isTransientError((err as { cause?: unknown }).cause)) ||
    (code !== undefined && isTransientError(Object.assign(new Error(code), { code, name: code }))) ||
    (status !== undefined && (status === 429 || status >= 500));
  if (unreachable) {
    return new RetryableError(`S3 credentials could not be fetched: the credential source is unreachable or failing (${what}); retry later`);
  }
  return new ConfigurationError(`S3 credentials were refused or are missing (${what}): check the pod's credential source (${SOURCE_HINT})`);
}

/**
 * A credential provider for the S3 client that refreshes before expiry and
 * after an ExpiredToken answer. Its `provide` function is marked as memoized,
 * so the SDK calls it for every request and this class alone decides when to
 * fetch.
 *
 * @example
 * ```ts
 * const credentials = new RefreshingCredentials();
 * const client = new S3Client({ credentials: credentials.provide });
 * ```
 */
export class RefreshingCredentials {
  /** The provider to give the SDK (`credentials`). */
  readonly provide: CredentialSource & { memoized: true };
  readonly #source: CredentialSource;
  readonly #now: () => number;
  #current: { readonly identity: AwsCredentialIdentity; readonly refreshAt: number } | undefined;
  #inflight: Promise<AwsCredentialIdentity> | undefined;
  #force = false;
  /** How many times credentials were fetched from the source. */
  fetches = 0;

  constructor(options: RefreshingCredentialsOptions = {}) {
    this.#source = options.source ?? defaultCredentialSource();
    this.#now = options.now ?? Date.now;
    const provide = (providerOptions?: CredentialProviderOptions): Promise<AwsCredentialIdentity> => this.#get(providerOptions);
    this.provide = Object.assign(provide, { memoized: true as const });
  }

  /**
   * Drop the current credentials (the server said they expired): the next
   * request fetches new ones, past the source's own cache. Credentials
   * already replaced are left alone.
   *
   * @example
   * ```ts
   * if (s3ErrorCode(err) === 'ExpiredToken') credentials.invalidate(usedAccessKeyId);
   * ```
   */
  invalidate(accessKeyId?: string): void {
    if (accessKeyId !== undefined && this.#current !== undefined && this.#current.identity.accessKeyId !== accessKeyId) return;
    this.#current = undefined;
    this.#force = true;
  }

  /** The access key id in use (for {@link invalidate}), if credentials were fetched. */
  get accessKeyId(): string | undefined {
    return this.#current?.identity.accessKeyId;
  }

  #get(options: CredentialProviderOptions | undefined): Promise<AwsCredentialIdentity> {
    const current = this.#current;
    if (current !== undefined && this.#now() < current.refreshAt) return Promise.resolve(current.identity);
    this.#inflight ??= this.#fetch(options).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(options: CredentialProviderOptions | undefined): Promise<AwsCredentialIdentity> {
    const forceRefresh = this.#force;
    this.#force = false;
    let identity: AwsCredentialIdentity;
    try {
      this.fetches++;
      identity = await this.#source({ ...options, ...(forceRefresh ? { forceRefresh: true } : {}) });
    } catch (err) {
      this.#force = forceRefresh;
      throw credentialsError(err);
    }
    const fetchedAt = this.#now();
    const expires = identity.expiration?.getTime();
    const refreshAt = expires === undefined ? Number.POSITIVE_INFINITY : expires - Math.min(REFRESH_BEFORE_MS, Math.max(0, (expires - fetchedAt) / 2));
    this.#current = { identity, refreshAt };
    return identity;
  }
}

/**
 * The refreshing wrapper for the store's `credentials` option: around the
 * default chain when none is given, around a provider function; none for
 * static keys (nothing to refresh).
 *
 * @example
 * ```ts
 * const refreshing = refreshingCredentials(options.credentials);
 * new S3Client({ credentials: refreshing?.provide ?? options.credentials });
 * ```
 */
export function refreshingCredentials(credentials: AwsCredentialIdentity | ((options?: never) => Promise<AwsCredentialIdentity>) | undefined): RefreshingCredentials | undefined {
  if (credentials === undefined) return new RefreshingCredentials();
  if (typeof credentials === 'function') return new RefreshingCredentials({ source: credentials as CredentialSource });
  return undefined;
}
