/**
 * Node system-error codes, read safely from unknown errors.
 */

/**
 * The `code` of a Node system error (`'ENOENT'`, `'EEXIST'`...), if any.
 *
 * @example
 * ```ts
 * try { await open(p, 'wx'); } catch (err) { if (errnoCode(err) === 'EEXIST') { ... } }
 * ```
 */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Whether a file-system error means "no such file" (also through a path
 * component that is a file, ENOTDIR).
 *
 * @example
 * ```ts
 * if (isMissing(err)) return undefined;
 * ```
 */
export function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
