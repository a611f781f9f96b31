/**
 * Integer settings of the examples from the environment, so the same code runs
 * the quick demo, the chaos tests and a cluster-sized run.
 */
import { ConfigurationError } from '../../src/index.ts';

/**
 * Read a positive integer from `env[name]`, or `fallback` when it is unset.
 *
 * @example
 * ```ts
 * const files = intFromEnv('ETL_INPUT_OBJECTS', 24); // ETL_INPUT_OBJECTS=abc -> ConfigurationError naming it
 * ```
 */
export function intFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}
