/**
 * The on-disk format of one fs-store object: the body bytes as written, then a
 * trailer with what S3 would keep as object metadata (key, etag, content type).
 * Keeping metadata in the same file as the body means a single rename replaces
 * both at once; putting it after the body lets a streamed upload write the
 * body first and the etag (known only at the end) last.
 *
 * Layout: body | trailer JSON (UTF-8) | uint32 BE length of the JSON | MAGIC.
 */
import type { FileHandle } from 'node:fs/promises';
import { CorruptObjectError } from './errors.ts';

/** Marks the end of every object file (8 bytes). */
const MAGIC = Buffer.from('JKOBJv1\n', 'ascii');
const FOOTER = 4 + MAGIC.length;
/** Trailers hold a key of at most 1024 characters: bound what we read. */
const MAX_TRAILER = 16 * 1024;

/** Metadata stored in the trailer. */
export interface ObjectTrailer {
  readonly key: string;
  readonly etag: string;
  readonly contentType?: string | undefined;
}

/**
 * Encode the trailer to append after the body.
 *
 * @example
 * ```ts
 * await handle.write(encodeTrailer({ key, etag }));
 * ```
 */
export function encodeTrailer(trailer: ObjectTrailer): Buffer {
  const json = Buffer.from(JSON.stringify({ v: 1, ...trailer }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([json, length, MAGIC]);
}

/** Raised when a file in the store directory is not a jobkit object file (damaged, or written by hand). */
export class CorruptObjectFileError extends CorruptObjectError {
  constructor(path: string, why: string) {
    super(`${path} is not a jobkit object file (${why}): damaged, or written by hand`);
  }
}

/**
 * Read an object file's trailer and body size through an open handle.
 *
 * @example
 * ```ts
 * const { trailer, bodySize } = await readTrailer(handle, path);
 * ```
 */
export async function readTrailer(
  handle: FileHandle,
  path: string,
): Promise<{ trailer: ObjectTrailer; bodySize: number; mtime: Date }> {
  const stat = await handle.stat();
  if (stat.size < FOOTER) throw new CorruptObjectFileError(path, 'too short');
  const footer = Buffer.alloc(FOOTER);
  await handle.read(footer, 0, FOOTER, stat.size - FOOTER);
  if (!footer.subarray(4).equals(MAGIC)) throw new CorruptObjectFileError(path, 'no trailer');
  const jsonLength = footer.readUInt32BE(0);
  if (jsonLength > MAX_TRAILER || jsonLength + FOOTER > stat.size) throw new CorruptObjectFileError(path, 'bad trailer length');
  const json = Buffer.alloc(jsonLength);
  await handle.read(json, 0, jsonLength, stat.size - FOOTER - jsonLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new CorruptObjectFileError(path, 'unparsable trailer');
  }
  if (!isTrailer(parsed)) throw new CorruptObjectFileError(path, 'incomplete trailer');
  return {
    trailer: { key: parsed.key, etag: parsed.etag, contentType: parsed.contentType },
    bodySize: stat.size - FOOTER - jsonLength,
    mtime: stat.mtime,
  };
}

function isTrailer(value: unknown): value is ObjectTrailer {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.key === 'string' && typeof v.etag === 'string' && (v.contentType === undefined || typeof v.contentType === 'string');
}
