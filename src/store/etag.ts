/**
 * Etags computed the way S3 computes them for single-request uploads (the
 * quoted hex MD5 of the body), so the memory and fs stores hand out values of the
 * same shape and with the same equality behaviour as S3: rewriting identical
 * bytes yields the same etag, exactly as on S3.
 */
import { createHash, type Hash } from 'node:crypto';

/**
 * The S3-style etag of a body: `"<md5 hex>"`.
 *
 * @example
 * ```ts
 * md5Etag(Buffer.from('')); // '"d41d8cd98f00b204e9800998ecf8427e"'
 * ```
 */
export function md5Etag(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

/**
 * An incremental etag for streamed bodies.
 *
 * @example
 * ```ts
 * const h = streamingEtag(); h.update(chunk); const etag = h.digest();
 * ```
 */
export function streamingEtag(): { update(chunk: Uint8Array): void; digest(): string } {
  const hash: Hash = createHash('md5');
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => `"${hash.digest('hex')}"`,
  };
}
