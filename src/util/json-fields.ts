/**
 * Typed reads of JSON that came back from a store. A decoder trusts nothing it
 * parses (another release, a damaged object, a hand edit), so it reads every
 * field through these checks instead of casting: a value of the wrong type
 * stops with a message naming the field's path and what it should be, in the
 * decoder's own error class (the `fail` callback).
 */

/** Raises the decoder's error for `why`, e.g. `checkpoints[0].seq must be an integer >= 1, got 0`. */
export type FieldFailure = (why: string, cause?: unknown) => never;

/** Reads one field by name; used for the element type of `optional` and `nullable`. */
export type FieldRead<T> = (name: string) => T;

const SHOWN_CHARS = 60;

/**
 * A short rendering of a refused value for messages (cut, so a large or
 * sensitive value is not copied whole into logs).
 *
 * @example
 * ```ts
 * describeValue('x'.repeat(100)); // '"xxx...' (60 characters and an ellipsis)
 * ```
 */
export function describeValue(value: unknown): string {
  // JSON.stringify gives undefined only for undefined here: the value came from JSON.parse.
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return 'nothing';
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}...` : text;
}

/**
 * Parse bytes as a JSON object; `fail` is called when they are not JSON or
 * not an object.
 *
 * @example
 * ```ts
 * const fields = parseJsonObject(obj.body, (why) => { throw new Error(`${key}: ${why}`); });
 * ```
 */
export function parseJsonObject(bytes: Uint8Array, fail: FieldFailure): JsonFields {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    fail(`not JSON: ${(err as Error).message}`, err);
  }
  return JsonFields.of(value, '', fail);
}

/**
 * One JSON object, read field by field with type checks.
 *
 * @example
 * ```ts
 * const f = JsonFields.of(JSON.parse(text), '', fail);
 * const epoch = f.integer('epoch', 1);
 * const pod = f.nullable('pod', f.string);
 * ```
 */
export class JsonFields {
  readonly #value: Readonly<Record<string, unknown>>;
  readonly #path: string;
  readonly #fail: FieldFailure;

  /**
   * Wrap `value`, which must be a JSON object; `path` names it in messages
   * (`''` for the top level, `owner`, `checkpoints[2]`).
   *
   * @example
   * ```ts
   * const owner = JsonFields.of(parsed.owner, 'owner', fail);
   * ```
   */
  static of(value: unknown, path: string, fail: FieldFailure): JsonFields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(`${path === '' ? 'the top level' : path} must be an object, got ${describeValue(value)}`);
    }
    return new JsonFields(value as Readonly<Record<string, unknown>>, path, fail);
  }

  private constructor(value: Readonly<Record<string, unknown>>, path: string, fail: FieldFailure) {
    this.#value = value;
    this.#path = path;
    this.#fail = fail;
  }

  /** The path of field `name` in messages, e.g. `owner.pod`. */
  pathOf(name: string): string {
    return this.#path === '' ? name : `${this.#path}.${name}`;
  }

  /** Whether field `name` is present (not absent, not `undefined`). */
  has(name: string): boolean {
    return Object.hasOwn(this.#value, name) && this.#value[name] !== undefined;
  }

  /** The field's value unchecked, for fields of any JSON value (a recorded result, inline state). */
  raw(name: string): unknown {
    return Object.hasOwn(this.#value, name) ? this.#value[name] : undefined;
  }

  /** The names of the object's fields. */
  names(): string[] {
    return Object.keys(this.#value);
  }

  /** Refuse field `name`: `why` completes "<path> ...". */
  reject(name: string, why: string): never {
    return this.#fail(`${this.pathOf(name)} ${why}`);
  }

  #check<T>(name: string, ok: (value: unknown) => value is T, expected: string): T {
    const value = this.raw(name);
    if (ok(value)) return value;
    return value === undefined ? this.reject(name, `is missing (must be ${expected})`) : this.reject(name, `must be ${expected}, got ${describeValue(value)}`);
  }

  /** A string (possibly empty). */
  readonly string = (name: string): string => this.#check(name, (v): v is string => typeof v === 'string', 'a string');

  /** A non-empty string. */
  readonly text = (name: string): string =>
    this.#check(name, (v): v is string => typeof v === 'string' && v.length > 0, 'a non-empty string');

  /** A finite number. */
  readonly number = (name: string): number =>
    this.#check(name, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a finite number');

  /** A safe integer `>= min` (default 0). */
  readonly integer = (name: string, min = 0): number =>
    this.#check(name, (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min, `an integer >= ${min}`);

  /** A boolean. */
  readonly boolean = (name: string): boolean => this.#check(name, (v): v is boolean => typeof v === 'boolean', 'a boolean');

  /** One of `values`. */
  oneOf<const T extends string>(name: string, values: readonly T[]): T {
    return this.#check(name, (v): v is T => typeof v === 'string' && (values as readonly string[]).includes(v), `one of ${values.join(', ')}`);
  }

  /** A nested object, read with the same checks. */
  readonly object = (name: string): JsonFields => JsonFields.of(this.#check(name, isObject, 'an object'), this.pathOf(name), this.#fail);

  /** A nested object, or an empty one when the field is absent (an object added after the format's first release). */
  objectOrEmpty(name: string): JsonFields {
    return this.has(name) ? this.object(name) : new JsonFields({}, this.pathOf(name), this.#fail);
  }

  /** An array of objects, each read with the same checks. */
  objects(name: string): JsonFields[] {
    return this.array(name).map((item, i) => JsonFields.of(item, `${this.pathOf(name)}[${i}]`, this.#fail));
  }

  /** An array of safe integers `>= min` (default 0). */
  integers(name: string, min = 0): number[] {
    const list = this.array(name);
    const bad = list.findIndex((v) => typeof v !== 'number' || !Number.isSafeInteger(v) || v < min);
    if (bad >= 0) this.#fail(`${this.pathOf(name)}[${bad}] must be an integer >= ${min}, got ${describeValue(list[bad])}`);
    return list as number[];
  }

  /** An array of any JSON values, for the caller to check. */
  readonly array = (name: string): readonly unknown[] => this.#check(name, (v): v is unknown[] => Array.isArray(v), 'an array');

  /** `read(name)` when the field is present, else undefined (a field added after the format's first release). */
  optional<T>(name: string, read: FieldRead<T>): T | undefined {
    return this.has(name) ? read(name) : undefined;
  }

  /** null when the field is null, else `read(name)`. */
  nullable<T>(name: string, read: FieldRead<T>): T | null {
    return this.raw(name) === null ? null : read(name);
  }

  /** null when the field is null or absent, else `read(name)`. */
  nullish<T>(name: string, read: FieldRead<T>): T | null {
    return this.raw(name) === null || !this.has(name) ? null : read(name);
  }
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
