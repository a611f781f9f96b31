/**
 * Clean-up of a Pushgateway: the gateway never forgets a group, so the groups
 * of old runs (a Job's pods, a renamed CronJob) stay and keep their series
 * alive forever. This lists the groups (`GET /api/v1/metrics`), picks those
 * whose last push is older than a bound, and deletes them one by one
 * (`DELETE /metrics/job/<job>{/<label>/<value>}`), jobkit's own groups only
 * unless told otherwise. Basic-auth credentials in the URL go in a header and
 * never into an error.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { redactUrl } from '../util/url-credentials.ts';
import { parseGatewayUrl } from './config.ts';
import { groupingPath } from './pushgateway.ts';

/** One group on the gateway. */
export interface PushedGroup {
  /** Its grouping key (`job`, then the other labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Unix seconds of its last push (successful, else failed); undefined if the gateway has none. */
  readonly lastPushSeconds: number | undefined;
  /** Whether it holds a `jobkit_` metric: pushed by jobkit. */
  readonly jobkit: boolean;
}

/** Options of {@link collectStaleGroups}. */
export interface PushgatewayGcOptions {
  /** The gateway, `http://[user:password@]host:9091[/prefix]`. */
  readonly url: string;
  /** Groups whose last push is older than this (ms) are stale. */
  readonly olderThanMs: number;
  /** Only groups with this `job` label. */
  readonly job?: string;
  /** Groups without any jobkit metric too. @default false */
  readonly all?: boolean;
  /** List only; delete nothing. @default true */
  readonly dryRun?: boolean;
  /** The clock, ms since the epoch. @default Date.now() */
  readonly now?: number;
  /** Per request. @default 10000 */
  readonly timeoutMs?: number;
}

/** What {@link collectStaleGroups} found and did. */
export interface PushgatewayGcResult {
  /** Groups looked at (after the `job` and jobkit filters). */
  readonly considered: number;
  /** The stale ones, oldest first: deleted unless a dry run. */
  readonly stale: readonly PushedGroup[];
  /** How many were deleted. */
  readonly deleted: number;
}

interface MetricFamily {
  readonly metrics?: ReadonlyArray<{ readonly value?: string }>;
}

async function request(url: URL, method: 'GET' | 'DELETE', authorization: string | undefined, timeoutMs: number, display: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers: authorization === undefined ? {} : { authorization }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // The URL here carries no credentials (they went to the header), so the cause may be kept.
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, bad port...) is its cause.
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
    const detail = cause?.code ?? cause?.message;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${(err as Error).message}${detail === undefined ? '' : ` (${detail})`}`;
    throw new Error(`Pushgateway ${display}: ${method} ${url.pathname} failed: ${why}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`Pushgateway ${display}: ${method} ${url.pathname} answered ${res.status} ${res.statusText}`);
  }
  return res;
}

function lastValue(family: unknown): number | undefined {
  const value = (family as MetricFamily | undefined)?.metrics?.[0]?.value;
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function gateway(url: string): { base: URL; authorization: string | undefined; display: string } {
  const { base, authorization } = parseGatewayUrl(url, '--url');
  return { base, authorization, display: redactUrl(url) };
}

function under(base: URL, path: string): URL {
  const out = new URL(base.origin);
  out.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  return out;
}

/**
 * Every group on the gateway.
 *
 * @example
 * ```ts
 * const groups = await listPushedGroups('http://pgw:9091');
 * groups.filter((g) => g.jobkit).map((g) => g.labels.job);
 * ```
 */
export async function listPushedGroups(url: string, timeoutMs = 10_000): Promise<PushedGroup[]> {
  const { base, authorization, display } = gateway(url);
  const res = await request(under(base, '/api/v1/metrics'), 'GET', authorization, timeoutMs, display);
  const body = (await res.json()) as { status?: string; data?: unknown };
  if (body.status !== 'success' || !Array.isArray(body.data)) throw new Error(`Pushgateway ${display}: /api/v1/metrics did not answer with a list of groups`);
  return (body.data as ReadonlyArray<Record<string, unknown>>).map((group) => {
    const labels = (group['labels'] ?? {}) as Record<string, string>;
    return {
      labels,
      lastPushSeconds: lastValue(group['push_time_seconds']) ?? lastValue(group['push_failure_time_seconds']),
      jobkit: Object.keys(group).some((k) => k.startsWith('jobkit_')),
    };
  });
}

/**
 * Deletes one group (its grouping key as `labels`).
 *
 * @example
 * ```ts
 * await deletePushedGroup('http://pgw:9091', { job: 'etl', namespace: 'data', index: '0' });
 * ```
 */
export async function deletePushedGroup(url: string, labels: Readonly<Record<string, string>>, timeoutMs = 10_000): Promise<void> {
  const { base, authorization, display } = gateway(url);
  const job = labels['job'];
  if (job === undefined) throw new ConfigurationError('a Pushgateway group has a job label; this one has none');
  const rest = Object.entries(labels).filter(([name]) => name !== 'job');
  const res = await request(under(base, groupingPath([['job', job], ...rest])), 'DELETE', authorization, timeoutMs, display);
  await res.body?.cancel();
}

/**
 * Finds the groups whose last push is older than `olderThanMs` and, unless a
 * dry run, deletes them.
 *
 * @example
 * ```ts
 * const { stale, deleted } = await collectStaleGroups({ url: 'http://pgw:9091', olderThanMs: 7 * 86_400_000, dryRun: false });
 * ```
 */
export async function collectStaleGroups(options: PushgatewayGcOptions): Promise<PushgatewayGcResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now();
  const groups = (await listPushedGroups(options.url, timeoutMs)).filter(
    (g) => (options.all === true || g.jobkit) && (options.job === undefined || g.labels['job'] === options.job),
  );
  const cutoffSeconds = (now - options.olderThanMs) / 1000;
  // A group that never recorded a push time is not judged stale: it may be new.
  const stale = groups.filter((g) => g.lastPushSeconds !== undefined && g.lastPushSeconds < cutoffSeconds).sort((a, b) => a.lastPushSeconds! - b.lastPushSeconds!);
  let deleted = 0;
  if (options.dryRun === false) {
    for (const group of stale) {
      await deletePushedGroup(options.url, group.labels, timeoutMs);
      deleted++;
    }
  }
  return { considered: groups.length, stale, deleted };
}
