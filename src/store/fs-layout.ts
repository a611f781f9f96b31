/**
 * How object keys map to paths under the fs store's root directory.
 *
 * S3 lets `a` and `a/b` both be objects, which a file system cannot (a path is
 * a file or a directory). So leaf files and directories get disjoint names:
 *
 * - every key segment is escaped: characters outside `[a-z0-9_.-]` become
 *   `%XX` (UTF-8 bytes, upper-case hex). Escaped names never contain `~` or `/`,
 *   and never differ only by letter case, so the layout is also correct on
 *   case-insensitive file systems (macOS, Windows);
 * - a directory is `<escaped>~`, a leaf (the object file) is `<escaped>`;
 * - a segment whose escaped form is too long for a file name (255 bytes on most
 *   file systems) is stored as `<first 96 escaped chars>~h<sha256 of segment>`
 *   (plus `~` for a directory); the full key is recorded in each object file;
 * - jobkit's own files (temp files, locks) start with `~`, which no escaped
 *   segment does, so they can never collide with, or be listed as, an object.
 *
 * Keys are validated (no empty, `.` or `..` segments) before they get here and
 * escaped names contain no `/`, so a key can never name a path outside the root.
 */
import { createHash } from 'node:crypto';
import { join, resolve, sep } from 'node:path';

const PLAIN = /^[a-z0-9_.-]$/;
const MAX_ESCAPED = 200;
const HASHED_VISIBLE = 96;

/** Prefix of every internal (non-object) file name. */
export const INTERNAL_PREFIX = '~';
/** Suffix of directory names. */
export const DIR_SUFFIX = '~';

/**
 * Escape one key segment (or a partial one, for prefix matching). Per-character,
 * so `escapeSegment(p)` is a prefix of `escapeSegment(s)` iff `p` is a prefix of `s`.
 *
 * @example
 * ```ts
 * escapeSegment('MyJob'); // '%4Dy%4Aob'
 * ```
 */
export function escapeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (PLAIN.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The file-name stem of a segment: its escaped form, hashed when too long. */
function stem(segment: string): string {
  const escaped = escapeSegment(segment);
  if (escaped.length <= MAX_ESCAPED) return escaped;
  const digest = createHash('sha256').update(segment, 'utf8').digest('hex').slice(0, 40);
  return `${escaped.slice(0, HASHED_VISIBLE)}~h${digest}`;
}

/**
 * The object file and the directory holding it for a (validated) key.
 *
 * @example
 * ```ts
 * objectPath('/data', 'jobs/etl/manifest.json');
 * // { dir: '/data/jobs~/etl~', file: '/data/jobs~/etl~/manifest.json', name: 'manifest.json' }
 * ```
 */
export function objectPath(root: string, key: string): { dir: string; file: string; name: string } {
  const segments = key.split('/');
  const last = segments.pop() as string;
  const dir = join(root, ...segments.map((s) => stem(s) + DIR_SUFFIX));
  const name = stem(last);
  const file = join(dir, name);
  // Defence in depth: validated keys and escaped names cannot escape the root.
  if (!resolve(file).startsWith(resolve(root) + sep)) throw new TypeError(`store key escapes the root: ${JSON.stringify(key)}`);
  return { dir, file, name };
}

/**
 * Where a listing of `prefix` starts: the directory of its complete segments,
 * and the escaped partial last segment that entries there must start with.
 *
 * @example
 * ```ts
 * listStart('/data', 'jobs/et'); // { dir: '/data/jobs~', partial: 'et' }
 * ```
 */
export function listStart(root: string, prefix: string): { dir: string; partial: string } {
  const segments = prefix.split('/');
  const partial = segments.pop() ?? '';
  return { dir: join(root, ...segments.map((s) => stem(s) + DIR_SUFFIX)), partial: escapeSegment(partial) };
}

/**
 * Whether a directory entry (leaf or directory stem, without the directory
 * suffix) may hold keys starting with the escaped partial segment. Hashed names
 * show only the beginning of their segment, so they match whenever that
 * beginning is compatible.
 *
 * @example
 * ```ts
 * stemMayMatch('etl', 'et'); // true
 * ```
 */
export function stemMayMatch(entryStem: string, partial: string): boolean {
  if (entryStem.startsWith(partial)) return true;
  const hashed = entryStem.indexOf('~h');
  return hashed >= 0 && partial.startsWith(entryStem.slice(0, hashed));
}

/**
 * Whether a directory entry name is jobkit's own (temp file, lock), never an object.
 *
 * @example
 * ```ts
 * isInternalName('~tmp.1234'); // true
 * ```
 */
export function isInternalName(name: string): boolean {
  return name.startsWith(INTERNAL_PREFIX);
}
