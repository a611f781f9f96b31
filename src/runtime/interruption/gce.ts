/**
 * GCE metadata: `instance/preempted` reads `TRUE` once a Spot or preemptible
 * VM is being preempted (about 30 s ahead). The first read returns the value
 * and its ETag at once; later reads long-poll with `wait_for_change=true` and
 * `last_etag`, so the server answers as soon as the value changes (or after
 * `timeout_sec`). Every request carries `Metadata-Flavor: Google`, and an
 * answer without that header is not from a metadata server.
 */
import { GCE_WAIT_SECONDS } from './constants.ts';
import { metadataRequest } from './metadata-http.ts';
import type { NoticeSource } from './types.ts';

/** The preemption flag. */
export const GCE_PREEMPTED_PATH = '/computeMetadata/v1/instance/preempted';

/** Options of {@link createGceSource}. */
export interface GceSourceOptions {
  /** The metadata server's base URL (`http://metadata.google.internal`, or from GCE_METADATA_HOST). */
  readonly endpoint: URL;
  /** Timeout of one request beyond the server's own wait, in milliseconds. */
  readonly timeoutMs: number;
  /** Seconds the server holds a `wait_for_change` request. Default {@link GCE_WAIT_SECONDS} (60). */
  readonly waitSeconds?: number;
}

/**
 * A {@link NoticeSource} for the GCE metadata server (long-polling).
 *
 * @example
 * ```ts
 * const gce = createGceSource({ endpoint: new URL('http://metadata.google.internal'), timeoutMs: 2_000 });
 * await gce.check(signal); // [] now; the next call waits until `preempted` changes
 * ```
 */
export function createGceSource(options: GceSourceOptions): NoticeSource {
  const { endpoint, timeoutMs } = options;
  const waitSeconds = options.waitSeconds ?? GCE_WAIT_SECONDS;
  let etag: string | undefined;
  return {
    provider: 'gce',
    longPoll: true,
    async check(signal) {
      const url = new URL(GCE_PREEMPTED_PATH, endpoint);
      const waiting = etag !== undefined;
      if (etag !== undefined) {
        url.searchParams.set('wait_for_change', 'true');
        url.searchParams.set('last_etag', etag);
        url.searchParams.set('timeout_sec', String(waitSeconds));
      }
      const res = await metadataRequest(url, {
        headers: { 'Metadata-Flavor': 'Google' },
        timeoutMs: waiting ? waitSeconds * 1000 + timeoutMs : timeoutMs,
        signal,
      });
      if (res.status !== 200) {
        // A stale ETag is not an error of the server's: read afresh next time.
        etag = undefined;
        throw new Error(`GCE metadata GET ${GCE_PREEMPTED_PATH} answered HTTP ${res.status}`);
      }
      if (res.headers['metadata-flavor'] !== 'Google') {
        etag = undefined;
        throw new Error(`the answer of ${endpoint.host} to ${GCE_PREEMPTED_PATH} has no "Metadata-Flavor: Google" header: not a GCE metadata server`);
      }
      etag = res.headers.etag;
      const value = res.body.trim();
      if (value.toUpperCase() !== 'TRUE') {
        // Without an ETag there is nothing to wait on: the watcher's pause spaces the reads.
        if (etag === undefined) throw new Error(`GCE metadata ${GCE_PREEMPTED_PATH} answered without an ETag; cannot long-poll`);
        return [];
      }
      return [{ provider: 'gce', kind: 'preemption', action: value, time: undefined, source: GCE_PREEMPTED_PATH }];
    },
  };
}
