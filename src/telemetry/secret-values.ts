/**
 * Redaction by value: secrets whose key name says nothing (a token read from
 * a mounted secret, then logged as part of a URL or a message) are replaced
 * wherever they appear in a serialised log line, message and error stack
 * included. The logger runs {@link SecretValues.redact} on every line just
 * before it is written (pino's `streamWrite` hook).
 *
 * Cost: nothing while no value is registered; then one `String.includes`
 * per value and form (raw and JSON-escaped) per line.
 */
import { REDACTED } from './logger.ts';

/**
 * Values shorter than this are not registered: replacing `1` or `on`
 * everywhere would wreck every line and protect nothing.
 *
 * @default 6
 */
export const MIN_SECRET_VALUE_LENGTH = 6;

/**
 * The set of values the logger replaces by `[REDACTED]`.
 *
 * @example
 * ```ts
 * const secrets = new SecretValues();
 * const log = createLogger({ secretValues: secrets });
 * secrets.add(token);
 * log.info(`calling ${url}?token=${token}`); // ...?token=[REDACTED]
 * ```
 */
export class SecretValues {
  /** The forms searched for, longest first (so a value containing another is replaced whole). */
  #forms: string[] = [];
  readonly #values = new Set<string>();

  /**
   * Register a value (and, when it ends in a newline, the value without it).
   * Short values are ignored (see {@link MIN_SECRET_VALUE_LENGTH}).
   *
   * @example
   * ```ts
   * secrets.add(await readFile('/var/run/secrets/api/token', 'utf8'));
   * ```
   */
  add(value: string): void {
    if (this.#values.has(value)) return;
    for (const v of new Set([value, value.trim()])) {
      if (v.length < MIN_SECRET_VALUE_LENGTH || this.#values.has(v)) continue;
      this.#values.add(v);
      const escaped = JSON.stringify(v).slice(1, -1);
      this.#forms.push(v);
      if (escaped !== v) this.#forms.push(escaped);
    }
    this.#forms.sort((a, b) => b.length - a.length);
  }

  /** How many values are registered. */
  get size(): number {
    return this.#values.size;
  }

  /**
   * `line` with every registered value replaced by `[REDACTED]`.
   *
   * @example
   * ```ts
   * secrets.redact('{"msg":"token s3cr3t-value"}'); // '{"msg":"token [REDACTED]"}'
   * ```
   */
  redact(line: string): string {
    let out = line;
    for (const form of this.#forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  }
}
