/**
 * Validation errors in the API server's format, so a rejected manifest reads
 * the way `kubectl apply` would print it:
 * `spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator`.
 */

/** One field error. */
export interface FieldError {
  /** Field path, e.g. `spec.template.spec.restartPolicy`. */
  readonly field: string;
  /** Rendered body after the path: `Invalid value: 3: must be ...`. */
  readonly body: string;
}

/** Marks a field error whose value is not worth printing (as Go's field.OmitValueType). */
export const OMIT_VALUE = Symbol('omit value');

/**
 * A bad value as the API server (1.34+) prints it: strings quoted, numbers and
 * booleans bare, anything else as JSON (`[3,2]`; a struct with its Go field
 * names, see the callers).
 */
function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

function withDetail(head: string, detail: string | undefined): string {
  return detail === undefined || detail === '' ? head : `${head}: ${detail}`;
}

/** `field: Invalid value: <value>: <detail>` */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  const head = value === OMIT_VALUE ? 'Invalid value' : `Invalid value: ${renderValue(value)}`;
  return { field, body: withDetail(head, detail) };
}

/** `field: Required value: <detail>` */
export function required(field: string, detail = ''): FieldError {
  return { field, body: withDetail('Required value', detail) };
}

/** `field: Unsupported value: <value>: supported values: "a", "b"` */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return {
    field,
    body: `Unsupported value: ${renderValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

/** `field: Duplicate value: <value>` */
export function duplicate(field: string, value: unknown): FieldError {
  return { field, body: `Duplicate value: ${renderValue(value)}` };
}

/** `field: Too many: <n>: must have at most <max> items` */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { field, body: `Too many: ${actual}: must have at most ${max} items` };
}

/** `field: Too long: may not be more than <max> bytes` */
export function tooLong(field: string, max: number): FieldError {
  return { field, body: `Too long: may not be more than ${max} bytes` };
}

/** `field: Forbidden: <detail>` */
export function forbidden(field: string, detail: string): FieldError {
  return { field, body: `Forbidden: ${detail}` };
}

/** `field: Invalid value: <value>: must be greater than or equal to 0` (apivalidation.ValidateNonnegativeField). */
export function nonNegative(field: string, value: number): FieldError[] {
  return value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

/** Renders one error as `path: body`. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.body}`;
}

/**
 * Renders an error list as the API server's rejection message:
 * `Job.batch "name" is invalid: <e>` or `... is invalid: [<e1>, <e2>]`
 * (`CronJob.batch ...` for a CronJob).
 */
export function formatInvalidJob(name: string, errors: readonly FieldError[], kind: 'Job' | 'CronJob' = 'Job'): string {
  const rendered = errors.map(formatFieldError);
  const list = rendered.length === 1 ? rendered[0]! : `[${rendered.join(', ')}]`;
  return `${kind}.batch ${JSON.stringify(name)} is invalid: ${list}`;
}
