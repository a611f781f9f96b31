/**
 * One refresh and one retry when S3 answers ExpiredToken: the credentials the
 * request was signed with expired before the client's clock said so (or were
 * revoked). The request is sent again with fresh credentials, once; a second
 * ExpiredToken is the caller's error (retryable, 75). A request the server
 * refused on its credentials did not run, so sending it again is safe for a
 * conditional write too; every body the store sends is bytes or a string,
 * and a stream body is not sent twice.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RefreshingCredentials } from './s3-credentials.ts';
import { s3ErrorCode } from './s3-errors.ts';

/** The error codes that mean "these credentials have expired". */
const EXPIRED_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired']);

/**
 * Whether the S3 error says the request's credentials have expired.
 *
 * @example
 * ```ts
 * isExpiredTokenError({ name: 'ExpiredToken', $metadata: { httpStatusCode: 400 } }); // true
 * ```
 */
export function isExpiredTokenError(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code !== undefined && EXPIRED_CODES.has(code);
}

function isResendable(input: unknown): boolean {
  const body = (input as { Body?: unknown } | null)?.Body;
  return body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * Add the ExpiredToken refresh-and-retry to `client` (outside the SDK's own
 * retries, which do not retry ExpiredToken).
 *
 * @example
 * ```ts
 * const credentials = new RefreshingCredentials();
 * const client = new S3Client({ credentials: credentials.provide });
 * retryOnExpiredToken(client, credentials);
 * ```
 */
export function retryOnExpiredToken(client: S3Client, credentials: RefreshingCredentials): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const used = credentials.accessKeyId;
      try {
        return await next(args);
      } catch (err) {
        if (!isExpiredTokenError(err) || !isResendable(args.input)) throw err;
        credentials.invalidate(used);
        return await next(args);
      }
    },
    { step: 'initialize', name: 'jobkitExpiredTokenRetry', override: true },
  );
}
