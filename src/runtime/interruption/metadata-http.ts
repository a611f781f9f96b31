/**
 * One HTTP request to a link-local metadata service, made so that it can never
 * hold the process: the socket is unref'd (a pending long-poll does not keep
 * the event loop alive), the request is aborted by the caller's signal, and a
 * timeout of its own ends a server that never answers. Bodies are small (a
 * few KiB at most) and read whole, up to a cap.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a metadata request returned. */
export interface MetadataResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** Options of {@link metadataRequest}. */
export interface MetadataRequestOptions {
  readonly method?: 'GET' | 'PUT';
  readonly headers?: Readonly<Record<string, string>>;
  /** Give up after this many milliseconds (the request is destroyed). */
  readonly timeoutMs: number;
  /** Abort the request (the watcher's stop). */
  readonly signal: AbortSignal;
}

/** A metadata answer is a few hundred bytes; more than this is not one. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Send one request and read the whole answer.
 *
 * @throws Error on a network error, a timeout (`TimeoutError`), an abort
 *   (the signal's reason) or a body over 64 KiB.
 * @example
 * ```ts
 * const res = await metadataRequest(new URL('http://169.254.169.254/latest/api/token'), {
 *   method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' }, timeoutMs: 2_000, signal,
 * });
 * ```
 */
export async function metadataRequest(url: URL, options: MetadataRequestOptions): Promise<MetadataResponse> {
  const { signal, timeoutMs } = options;
  signal.throwIfAborted();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return await new Promise<MetadataResponse>((resolve, reject) => {
    const req = send(url, { method: options.method ?? 'GET', headers: { ...options.headers }, agent: false, signal });
    const timer = setTimeout(() => {
      const error = new Error(`no answer from ${url.host} within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    }, timeoutMs);
    timer.unref();
    const fail = (error: Error): void => {
      clearTimeout(timer);
      const reason: unknown = signal.aborted ? signal.reason : error;
      reject(reason instanceof Error ? reason : error);
    };
    req.on('socket', (socket) => socket.unref());
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error(`the answer of ${url.host}${url.pathname} is over ${MAX_BODY_BYTES} bytes: not a metadata service`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end();
  });
}
