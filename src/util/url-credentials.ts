/**
 * Credentials in URLs (`scheme://user:password@host/...`), taken apart before
 * any URL parsing. A secret may hold `/`, `#`, `?` or `@` unescaped (AWS
 * secret keys often contain `/`); WHATWG URL parsing would then take part of
 * the secret for the host or the path and print it back in an error. So the
 * userinfo is everything between `://` and the LAST `@`: over-redacting a
 * path that contains `@` is the safe side of that choice.
 */

/** A URL split into its userinfo (raw, still percent-encoded) and the URL without it. */
export interface UrlWithoutCredentials {
  /** The URL with the `userinfo@` part removed. */
  readonly url: string;
  /** `user[:password]` as written, or undefined when the URL has none. */
  readonly userinfo: string | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*:\/\/)/i;

/**
 * Take the userinfo out of a URL string without parsing the rest.
 *
 * @example
 * ```ts
 * splitUserinfo('s3://AKID:abc/def@bucket/p'); // { url: 's3://bucket/p', userinfo: 'AKID:abc/def' }
 * ```
 */
export function splitUserinfo(value: string): UrlWithoutCredentials {
  const scheme = SCHEME.exec(value)?.[1];
  if (scheme === undefined) return { url: value, userinfo: undefined };
  const rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return { url: value, userinfo: undefined };
  return { url: scheme + rest.slice(at + 1), userinfo: rest.slice(0, at) };
}

/**
 * The URL with any userinfo replaced by `***`, for messages and logs.
 *
 * @example
 * ```ts
 * redactUrl('http://user:pa/ss@host:9091'); // 'http://***@host:9091'
 * ```
 */
export function redactUrl(value: string): string {
  const { url, userinfo } = splitUserinfo(value);
  if (userinfo === undefined) return value;
  const scheme = SCHEME.exec(url)?.[1] ?? '';
  return `${scheme}***@${url.slice(scheme.length)}`;
}
