/**
 * Decoders check every field instead of casting: a field of the wrong type is
 * the format's own error naming the key and the field; damaged bytes are never
 * a crash (a TypeError, a SyntaxError) or a half-typed value; fields a reader
 * does not know are ignored.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORMATS, golden, GOLDEN_VALUES, type StoredFormat } from './formats.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

/** Fields that hold the user's own JSON (a recorded result, inline state): any value is valid there. */
const FREE = new Set(['result', 'inline']);

/** Every field and element of a stored object, except the user's own JSON under FREE fields. */
function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries
    .filter(([k]) => !FREE.has(String(k)))
    .flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

/** The path as decoders write it in messages: `checkpoints[0].seq`, `owner.pod`. */
function pathText(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function replaced(value: Json, path: Path, by: Json): Json {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v));
  const obj = value as Record<string, Json>;
  return { ...obj, [head!]: replaced(obj[head!]!, rest, by) };
}

function at(value: Json, path: Path): Json {
  return path.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k]!, value);
}

/** A value of another JSON type than `value` (and not null where null is allowed). */
function wrongType(value: Json): Json {
  if (typeof value === 'string') return 12_345;
  if (typeof value === 'number') return '12345';
  if (typeof value === 'boolean') return 'yes';
  if (value === null) return true;
  return 'not-an-object';
}

function storedJson(file: string): Json {
  return JSON.parse(golden(file).toString('utf8')) as Json;
}

function decodeError(format: StoredFormat, value: Json, key: string): unknown {
  try {
    format.decode(format.store(value as Record<string, unknown>), key);
  } catch (err) {
    return err;
  }
  return undefined;
}

const currentFiles = FORMATS.flatMap((format) =>
  Object.keys(GOLDEN_VALUES)
    .filter((file) => file.startsWith(`${format.name}-v${format.current}.`))
    .map((file) => ({ format, file })),
);

describe.each(currentFiles)('$file', ({ format, file }) => {
  const key = `jobs/default/etl/formats/${file}`;
  const original = storedJson(file);
  // The plan's checksum is sealed again by `store`: a change to it is covered by the plan tests.
  const fieldPaths = paths(original).filter((p) => !(format.name === 'shard-plan' && p[0] === 'checksum'));

  it.each(fieldPaths.map((p) => [pathText(p), p] as const))('%s of the wrong type is refused, naming the key and the field', (_text, path) => {
    const err = decodeError(format, replaced(original, path, wrongType(at(original, path))), key);
    expect(err, `${pathText(path)} = ${JSON.stringify(wrongType(at(original, path)))} was accepted`).toBeInstanceOf(format.damageError);
    const { message } = err as Error;
    expect(message).toContain(key);
    // A page entry is refused as a whole: `entries[2] must be [key, size, etag]`.
    const named = [pathText(path), pathText(path.slice(0, -1))].filter((t) => t !== '');
    expect(named.some((t) => message.includes(t)), `"${message}" names none of ${named.join(', ')}`).toBe(true);
  });

  it('any JSON in any field is decoded or refused with the format error, never a crash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fieldPaths), fc.jsonValue(), (path, by) => {
        const err = decodeError(format, replaced(original, path, by as Json), key);
        return err === undefined || err instanceof format.damageError || err instanceof format.versionError;
      }),
      { numRuns: 200 },
    );
  });

  it('fields it does not know are ignored', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }).map((k) => `x-${k}`), fc.jsonValue(), { maxKeys: 4 }), (extra) => {
        const value = format.decode(format.store({ ...(original as Record<string, unknown>), ...extra }), key);
        // A plan is sealed again with the extra fields, so only its checksum differs.
        const expected = format.name === 'shard-plan' ? { ...(GOLDEN_VALUES[file] as object), checksum: expect.any(String) as unknown } : GOLDEN_VALUES[file];
        expect(value).toStrictEqual(expected);
        return true;
      }),
      { numRuns: 50 },
    );
  });

  it('every truncation of the bytes is refused with the format error', () => {
    const bytes = golden(file);
    for (let n = 0; n < bytes.byteLength; n++) {
      const err = (() => {
        try {
          format.decode(bytes.subarray(0, n), key);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, `${n} of ${bytes.byteLength} bytes`).toBeInstanceOf(format.damageError);
    }
  });
});

describe.each(FORMATS)('$name: arbitrary bytes', (format) => {
  it('are refused with a jobkit error, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))), (bytes) => {
        try {
          format.decode(bytes, 'k');
        } catch (err) {
          // Both are JobkitErrors: an exit class, never a TypeError or SyntaxError escaping the decoder.
          return err instanceof format.damageError || err instanceof format.versionError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
