/**
 * Signing a request body with the sha256 its producer already computed.
 *
 * SigV4 signs S3 requests over the sha256 of the body (`x-amz-content-sha256`),
 * and the SDK hashes every in-memory body for it before sending. A checkpoint
 * hashes the same bytes for its own checksum, so without this each byte is
 * hashed twice on the thread that also drives the sockets. A body marked
 * fresh with its digest (store/fresh.ts) is signed with that digest instead:
 * the SDK's signer uses an `x-amz-content-sha256` header that is already set.
 * The payload is still signed, and the server still recomputes the hash: a
 * wrong digest is a rejected request (XAmzContentSHA256Mismatch), never a
 * stored object.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { freshMark } from './fresh.ts';

const SHA256_HEADER = 'x-amz-content-sha256';

/** The body of a request about to be signed, as far as this middleware needs to know. */
interface BuiltRequest {
  readonly body?: unknown;
  readonly headers: Record<string, string>;
}

function isBuiltRequest(request: unknown): request is BuiltRequest {
  return typeof request === 'object' && request !== null && 'headers' in request && typeof request.headers === 'object' && request.headers !== null;
}

/**
 * Install the middleware on `client`: PutObject and UploadPart bodies marked
 * with a digest are signed with it.
 *
 * @example
 * ```ts
 * const client = new S3Client({});
 * signWithKnownSha256(client);
 * await client.send(new PutObjectCommand({ Bucket, Key, Body: markFresh(copy, { sha256: digestHex }) })); // not hashed again
 * ```
 */
export function signWithKnownSha256(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request;
      // Only when the request's body is the marked buffer itself: a body the
      // SDK wrapped or replaced (a streaming checksum) is left to the SDK.
      if (isBuiltRequest(request) && request.body instanceof Uint8Array) {
        const digest = freshMark(request.body)?.sha256;
        if (digest !== undefined) request.headers[SHA256_HEADER] = digest;
      }
      return await next(args);
    },
    { step: 'build', name: 'jobkitKnownPayloadSha256', override: true },
  );
}
