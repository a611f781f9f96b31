/**
 * `jobkit manifest --platform <p>` against each platform's published schema or
 * API model (fetched by scripts/fetch-platform-schemas.sh, versions pinned
 * there): the output of the real CLI, for several option sets, validates; a
 * deliberately broken copy of each does not, so the check can fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifestCommand } from '../../../src/cli/manifest-command.ts';
import { MANIFEST_PLATFORMS, type ManifestPlatform } from '../../../src/local/platforms/options.ts';
import { type PlatformValidators, type SchemaIndex, compileValidators, fetchPlatformSchemas, schemaErrors } from './platform-schemas.ts';

type Json = { [key: string]: unknown };

let index: SchemaIndex;
let validators: PlatformValidators;

beforeAll(() => {
  index = fetchPlatformSchemas();
  validators = compileValidators(index);
});

/** Runs the CLI and returns what it wrote on stdout, parsed. */
function manifest(argv: readonly string[]): Json {
  const writes: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => (writes.push(chunk), true));
  process.stderr.write = (() => true);
  let status: number;
  try {
    status = manifestCommand(['-o', 'json', ...argv]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  expect(status).toBe(0);
  return JSON.parse(writes.join('')) as Json;
}

const BASE = ['--name', 'etl', '--image', 'ghcr.io/acme/etl:1.2.3', '--store', 's3://acme-jobs/etl'];
const VARIANTS: Readonly<Record<string, readonly string[]>> = {
  'one task': [],
  'an array of 8, deadlines, env, log level, pushgateway': [
    '--completions', '8', '--backoff-limit-per-index', '5', '--active-deadline', '7200', '--deadline', '7000',
    '--env', 'BATCH_SIZE=500', '--log-level', 'debug', '--pushgateway', 'http://pushgateway.monitoring:9091', '--grace-period', '25',
  ],
};
const EXTRA: Partial<Record<ManifestPlatform, readonly string[]>> = {
  argo: ['--namespace', 'data', '--parallelism', '3', '--ttl', '600'],
  jobset: ['--namespace', 'data', '--parallelism', '3', '--ttl', '600', '--max-restarts', '2', '--max-failed-indexes', '2'],
  'cloud-batch': ['--parallelism', '3'],
};

/** A copy of a value with one change at a path. */
function broken(value: Json, path: ReadonlyArray<string | number>, change: unknown): Json {
  const copy = structuredClone(value);
  let node: unknown = copy;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  (node as Record<string | number, unknown>)[path[path.length - 1] ?? ''] = change;
  return copy;
}

const SCHEMA_PLATFORMS = MANIFEST_PLATFORMS.filter((p): p is Exclude<ManifestPlatform, 'kubernetes'> => p !== 'kubernetes');

describe.each(SCHEMA_PLATFORMS)('--platform %s', (platform) => {
  it.each(Object.entries(VARIANTS))('validates against the published schema: %s', (_name, args) => {
    const out = manifest([...BASE, '--platform', platform, ...(args.length > 0 ? (EXTRA[platform] ?? []) : []), ...args, '--', 'node', 'dist/main.js', '--verbose']);
    expect(schemaErrors(validators[platform], out), index[platform].source).toEqual([]);
  });
});

describe('a broken copy is rejected, so the check can fail', () => {
  const cases: ReadonlyArray<[Exclude<ManifestPlatform, 'kubernetes'>, string, ReadonlyArray<string | number>, unknown]> = [
    ['aws-batch', 'an action the service does not know', ['retryStrategy', 'evaluateOnExit', 1, 'action'], 'IGNORE'],
    ['aws-batch', 'a misspelt member', ['retryStrategy', 'attempt'], 3],
    ['aws-batch', 'no image where a string is wanted', ['containerProperties', 'image'], 42],
    ['cloud-batch', 'an action Batch does not know', ['taskGroups', 0, 'taskSpec', 'lifecyclePolicies', 0, 'action'], 'IGNORE_TASK'],
    ['cloud-batch', 'a misspelt field', ['taskGroups', 0, 'taskSpec', 'maxRetries'], 3],
    ['cloud-batch', 'a duration without its unit', ['taskGroups', 0, 'taskSpec', 'maxRunDuration'], '7200'],
    ['argo', 'a misspelt retryStrategy field', ['spec', 'templates', 1, 'retryStrategy', 'retries'], '3'],
    ['argo', 'a limit that is not an int-or-string', ['spec', 'templates', 1, 'retryStrategy', 'limit'], { count: 3 }],
    ['argo', 'another kind', ['kind'], 'Job'],
    ['jobset', 'an action JobSet does not know', ['spec', 'failurePolicy', 'rules', 0, 'action'], 'Ignore'],
    ['jobset', 'a misspelt field of the Job template', ['spec', 'replicatedJobs', 0, 'template', 'spec', 'backoffLimitPerIndexes'], 3],
    ['jobset', 'a string where the CRD wants an integer', ['spec', 'failurePolicy', 'maxRestarts'], 'two'],
  ];
  it.each(cases)('%s: %s', (platform, _what, path, change) => {
    const out = manifest([...BASE, '--platform', platform, ...(EXTRA[platform] ?? []), ...VARIANTS['an array of 8, deadlines, env, log level, pushgateway']!, '--', 'node', 'main.js']);
    expect(schemaErrors(validators[platform], out)).toEqual([]);
    expect(schemaErrors(validators[platform], broken(out, path, change)).length).toBeGreaterThan(0);
  });
});
