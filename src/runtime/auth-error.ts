/**
 * What counts as an authentication error, for `retry`'s `onAuthError` hook
 * ("401: read the token again, retry once"): an HTTP 401 or 403 on the error
 * or its causes (fetch-style `status`, Node-style `statusCode`, the AWS SDK's
 * `$metadata.httpStatusCode`, `response.status` of axios-style clients), or a
 * credential error by name (expired, invalid or unrecognised credentials).
 */

/** Error names and codes that mean the credentials were refused or have expired. */
const AUTH_NAMES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'InvalidIdentityToken',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
  'UnrecognizedClientException',
  'Unauthorized',
  'UnauthorizedException',
]);

/** How deep the `cause` chain is followed. */
const MAX_CAUSE_DEPTH = 8;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isAuthStatus(value: unknown): boolean {
  return value === 401 || value === 403;
}

function isAuthOne(error: Record<string, unknown>): boolean {
  for (const field of ['name', 'code', 'Code']) {
    const v = error[field];
    if (typeof v === 'string' && AUTH_NAMES.has(v)) return true;
  }
  if (isAuthStatus(error.status) || isAuthStatus(error.statusCode)) return true;
  const metadata = error.$metadata;
  if (isObject(metadata) && isAuthStatus(metadata.httpStatusCode)) return true;
  const response = error.response;
  return isObject(response) && (isAuthStatus(response.status) || isAuthStatus(response.statusCode));
}

/**
 * Whether `error` (or one of its causes) says the credentials were refused:
 * HTTP 401/403, or a credential error name such as `ExpiredToken`,
 * `InvalidAccessKeyId` or `AccessDenied`.
 *
 * @example
 * ```ts
 * isAuthError(Object.assign(new Error('Unauthorized'), { status: 401 })); // true
 * isAuthError({ name: 'ExpiredToken', $metadata: { httpStatusCode: 400 } }); // true
 * isAuthError(Object.assign(new Error('x'), { status: 500 })); // false
 * ```
 */
export function isAuthError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObject(current); depth++) {
    if (isAuthOne(current)) return true;
    current = current.cause;
  }
  return false;
}
