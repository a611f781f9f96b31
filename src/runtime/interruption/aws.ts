/**
 * AWS EC2 instance metadata (IMDSv2): the spot interruption notice
 * (`spot/instance-action`, 404 until AWS decides, then `{action, time}` about
 * two minutes ahead) and the rebalance recommendation
 * (`events/recommendations/rebalance`, `{noticeTime}`).
 *
 * IMDSv2 only: a session token is taken with `PUT /latest/api/token` and sent
 * on every read; it is renewed before its TTL ends and after a 401. The token
 * is a credential: it is never logged, never put in an error message.
 */
import type { InterruptionNotice, NoticeSource } from './types.ts';
import { metadataRequest } from './metadata-http.ts';
import { parseObject, parseTime } from './parse.ts';

/** The spot interruption notice. */
export const AWS_SPOT_ACTION_PATH = '/latest/meta-data/spot/instance-action';
/** The rebalance recommendation. */
export const AWS_REBALANCE_PATH = '/latest/meta-data/events/recommendations/rebalance';
/** Where IMDSv2 session tokens come from. */
export const AWS_TOKEN_PATH = '/latest/api/token';
/** Token lifetime asked for, in seconds (6 hours, the most IMDS grants). */
export const AWS_TOKEN_TTL_SECONDS = 21_600;
/** A token is renewed this long before it expires. */
const TOKEN_RENEW_EARLY_MS = 60_000;

/** Options of {@link createAwsSource}. */
export interface AwsSourceOptions {
  /** The IMDS base URL (`http://169.254.169.254`, or AWS_EC2_METADATA_SERVICE_ENDPOINT). */
  readonly endpoint: URL;
  /** Timeout of one request, in milliseconds. */
  readonly timeoutMs: number;
  /** Also read the rebalance recommendation. */
  readonly rebalance: boolean;
  /** Clock, for the token's expiry (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A {@link NoticeSource} for EC2 instance metadata.
 *
 * @example
 * ```ts
 * const aws = createAwsSource({ endpoint: new URL('http://169.254.169.254'), timeoutMs: 2_000, rebalance: true });
 * const notices = await aws.check(AbortSignal.timeout(5_000)); // [] until AWS sends the two-minute warning
 * ```
 */
export function createAwsSource(options: AwsSourceOptions): NoticeSource {
  const { endpoint, timeoutMs } = options;
  const now = options.now ?? Date.now;
  let token: { readonly value: string; readonly renewAt: number } | undefined;

  const fetchToken = async (signal: AbortSignal): Promise<string> => {
    const res = await metadataRequest(new URL(AWS_TOKEN_PATH, endpoint), {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(AWS_TOKEN_TTL_SECONDS) },
      timeoutMs,
      signal,
    });
    if (res.status !== 200 || res.body === '') {
      throw new Error(`IMDSv2 token request (PUT ${AWS_TOKEN_PATH}) answered HTTP ${res.status}`);
    }
    const ttlSeconds = Number(res.headers['x-aws-ec2-metadata-token-ttl-seconds'] ?? AWS_TOKEN_TTL_SECONDS);
    const lifetimeMs = (Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds : AWS_TOKEN_TTL_SECONDS) * 1000;
    token = { value: res.body.trim(), renewAt: now() + Math.max(lifetimeMs - TOKEN_RENEW_EARLY_MS, lifetimeMs / 2) };
    return token.value;
  };

  /** GET a metadata path: its body, or undefined on 404 (nothing announced). */
  const read = async (path: string, signal: AbortSignal): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const value = token !== undefined && now() < token.renewAt ? token.value : await fetchToken(signal);
      const res = await metadataRequest(new URL(path, endpoint), { headers: { 'X-aws-ec2-metadata-token': value }, timeoutMs, signal });
      if (res.status === 200) return res.body;
      if (res.status === 404) return undefined;
      // 401: the token expired or was revoked; take a new one, once.
      if (res.status === 401 && attempt === 0) {
        token = undefined;
        continue;
      }
      throw new Error(`IMDS GET ${path} answered HTTP ${res.status}`);
    }
  };

  return {
    provider: 'aws',
    longPoll: false,
    async check(signal) {
      const notices: InterruptionNotice[] = [];
      const action = await read(AWS_SPOT_ACTION_PATH, signal);
      if (action !== undefined) notices.push(parseSpotAction(action));
      if (options.rebalance) {
        const rebalance = await read(AWS_REBALANCE_PATH, signal);
        if (rebalance !== undefined) notices.push(parseRebalance(rebalance));
      }
      return notices;
    },
  };
}

/**
 * Read a spot instance-action body (`{"action":"terminate","time":"2026-03-01T10:02:00Z"}`).
 * A body that is not that JSON is still a notice: AWS only serves this path
 * when an interruption is coming.
 *
 * @example
 * ```ts
 * parseSpotAction('{"action":"stop","time":"2026-03-01T10:02:00Z"}').action; // 'stop'
 * ```
 */
export function parseSpotAction(body: string): InterruptionNotice {
  const fields = parseObject(body);
  return {
    provider: 'aws',
    kind: 'preemption',
    action: typeof fields.action === 'string' ? fields.action : 'unknown',
    time: parseTime(fields.time),
    source: AWS_SPOT_ACTION_PATH,
  };
}

/**
 * Read a rebalance recommendation body (`{"noticeTime":"2026-03-01T10:00:00Z"}`).
 *
 * @example
 * ```ts
 * parseRebalance('{"noticeTime":"2026-03-01T10:00:00Z"}').kind; // 'rebalance'
 * ```
 */
export function parseRebalance(body: string): InterruptionNotice {
  const fields = parseObject(body);
  return { provider: 'aws', kind: 'rebalance', action: 'rebalance', time: parseTime(fields.noticeTime), source: AWS_REBALANCE_PATH };
}
