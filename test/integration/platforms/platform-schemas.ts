/**
 * The published schemas of the platforms (scripts/fetch-platform-schemas.sh
 * fetches and caches them outside the repository) as ajv validators.
 *
 * Kubernetes-style schemas (Argo's JSON schema, the JobSet CRD's
 * openAPIV3Schema) leave objects open; the API server then drops unknown
 * fields silently (or, for a CRD, prunes them). Like `kubectl --validate=strict`
 * and kubeconform -strict, the validators here close every object that lists
 * its properties and does not preserve unknown fields, so a misspelt field
 * fails the test instead of vanishing on the cluster. The AWS and Google
 * models are closed by their converters (scripts/platform-schemas/to-json-schema.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

type Node = { [key: string]: unknown };

/** What fetch-platform-schemas.sh prints. */
export type SchemaIndex = Record<'aws-batch' | 'cloud-batch' | 'argo' | 'jobset', { file: string; source: string }>;

/** Runs the fetch script (nothing to do when the cache is warm) and returns its index. */
export function fetchPlatformSchemas(): SchemaIndex {
  const out = execFileSync('bash', ['scripts/fetch-platform-schemas.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
  return JSON.parse(out) as SchemaIndex;
}

/** Every object schema that lists its properties becomes closed, unless it preserves unknown fields. */
export function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) closeObjects(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Node;
  if (typeof schema.properties === 'object' && schema.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    schema.additionalProperties = false;
  }
  for (const value of Object.values(schema)) closeObjects(value);
}

function read(file: string): Node {
  return JSON.parse(readFileSync(file, 'utf8')) as Node;
}

/** Validators of the four platform outputs. */
export interface PlatformValidators {
  readonly 'aws-batch': ValidateFunction;
  readonly 'cloud-batch': ValidateFunction;
  readonly argo: ValidateFunction;
  readonly jobset: ValidateFunction;
}

/** Compiles the validators from the cached schemas. */
export function compileValidators(index: SchemaIndex): PlatformValidators {
  const plain = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const argoSchema = read(index.argo.file);
  closeObjects(argoSchema.definitions);
  const argoAjv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  argoAjv.addSchema(argoSchema, 'argo');
  const argo = argoAjv.getSchema('argo#/definitions/io.argoproj.workflow.v1alpha1.Workflow');
  if (argo === undefined) throw new Error(`${index.argo.file}: no io.argoproj.workflow.v1alpha1.Workflow definition`);
  const jobset = read(index.jobset.file);
  closeObjects(jobset);
  return {
    'aws-batch': plain.compile(read(index['aws-batch'].file)),
    'cloud-batch': plain.compile(read(index['cloud-batch'].file)),
    argo,
    jobset: new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(jobset),
  };
}

/** The validator's errors as one line each, for a readable failure. */
export function schemaErrors(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
