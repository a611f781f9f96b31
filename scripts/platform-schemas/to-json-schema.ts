/**
 * Turns a platform's published API model into a JSON schema (draft-07) that
 * ajv can check jobkit's generated input against. Run by
 * scripts/fetch-platform-schemas.sh, which caches the result outside the
 * repository:
 *
 *   node scripts/platform-schemas/to-json-schema.ts botocore <service-2.json> <shape>
 *   node scripts/platform-schemas/to-json-schema.ts protobufjs <protos.json> <full.message.Name>
 *
 * - botocore: the AWS service model (botocore/data/<service>/<version>/service-2.json,
 *   the model the AWS CLI validates --cli-input-json against). Structures are
 *   closed (an unknown member is an error, as the CLI's validator says),
 *   `required`, `enum`, `min`/`max` of the model are kept.
 * - protobufjs: the JSON descriptor of a Google API (build/protos/protos.json of
 *   an @google-cloud/* package). The proto3 JSON mapping: lowerCamelCase
 *   fields, enums by name, 64-bit integers as strings or numbers, Duration as
 *   "<seconds>s". Messages are closed; OUTPUT_ONLY fields are left out (a
 *   create request must not set them), REQUIRED ones are required, and at most
 *   one field of a oneof may be set.
 *
 * @example
 * ```sh
 * node scripts/platform-schemas/to-json-schema.ts botocore service-2.json RegisterJobDefinitionRequest > aws-batch.schema.json
 * ```
 */
import { readFileSync } from 'node:fs';

/** A JSON schema node (the subset this converter writes). */
export type SchemaNode = { [key: string]: unknown };

interface BotocoreShape {
  type: string;
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
}

/**
 * The JSON schema of one botocore shape and every shape it reaches.
 *
 * @example
 * ```ts
 * botocoreSchema({ shapes: { S: { type: 'string' } } }, 'S'); // { $ref: '#/definitions/S', definitions: { S: { type: 'string' } } }
 * ```
 */
export function botocoreSchema(model: { shapes: Record<string, BotocoreShape> }, root: string): SchemaNode {
  const definitions: Record<string, SchemaNode> = {};
  const ref = (name: string): SchemaNode => {
    if (!(name in definitions)) {
      definitions[name] = {};
      definitions[name] = convert(name);
    }
    return { $ref: `#/definitions/${name}` };
  };
  const convert = (name: string): SchemaNode => {
    const shape = model.shapes[name];
    if (shape === undefined) throw new Error(`botocore model: no shape ${name}`);
    switch (shape.type) {
      case 'structure': {
        const properties: Record<string, SchemaNode> = {};
        for (const [member, { shape: target }] of Object.entries(shape.members ?? {})) properties[member] = ref(target);
        return { type: 'object', properties, additionalProperties: false, ...(shape.required === undefined ? {} : { required: shape.required }) };
      }
      case 'list':
        return { type: 'array', items: ref(shape.member?.shape ?? ''), ...bounds(shape, 'Items') };
      case 'map':
        return { type: 'object', additionalProperties: ref(shape.value?.shape ?? '') };
      case 'string':
        return shape.enum === undefined ? { type: 'string', ...bounds(shape, 'Length') } : { type: 'string', enum: shape.enum };
      case 'integer':
      case 'long':
        return { type: 'integer', ...bounds(shape, 'imum') };
      case 'float':
      case 'double':
        return { type: 'number', ...bounds(shape, 'imum') };
      case 'boolean':
        return { type: 'boolean' };
      case 'timestamp':
      case 'blob':
        return { type: 'string' };
      default:
        throw new Error(`botocore model: shape ${name} has an unknown type ${shape.type}`);
    }
  };
  const top = ref(root);
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...top, definitions };
}

function bounds(shape: BotocoreShape, suffix: 'Items' | 'Length' | 'imum'): SchemaNode {
  const out: SchemaNode = {};
  if (shape.min !== undefined) out[`min${suffix}`] = shape.min;
  if (shape.max !== undefined) out[`max${suffix}`] = shape.max;
  return out;
}

interface ProtoField {
  type: string;
  rule?: string;
  keyType?: string;
  options?: Record<string, unknown>;
}
interface ProtoNamespace {
  fields?: Record<string, ProtoField>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  nested?: Record<string, ProtoNamespace>;
}

const PROTO_SCALARS: Record<string, SchemaNode> = {
  double: { type: 'number' },
  float: { type: 'number' },
  int32: { type: 'integer' },
  uint32: { type: 'integer', minimum: 0 },
  sint32: { type: 'integer' },
  fixed32: { type: 'integer', minimum: 0 },
  sfixed32: { type: 'integer' },
  int64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
  uint64: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }] },
  sint64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
  fixed64: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }] },
  sfixed64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
  bool: { type: 'boolean' },
  string: { type: 'string' },
  bytes: { type: 'string' },
};

/** The proto3 JSON forms of the well-known types Google APIs use. */
const WELL_KNOWN: Record<string, SchemaNode> = {
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' },
  'google.protobuf.Timestamp': { type: 'string' },
  'google.protobuf.FieldMask': { type: 'string' },
  'google.protobuf.Struct': { type: 'object' },
  'google.protobuf.Value': {},
  'google.protobuf.Any': { type: 'object' },
};

/**
 * The JSON schema of one protobuf message (proto3 JSON mapping) and every
 * message and enum it reaches, from a protobufjs JSON descriptor.
 *
 * @example
 * ```ts
 * protobufSchema(JSON.parse(readFileSync('protos.json', 'utf8')), 'google.cloud.batch.v1.Job');
 * ```
 */
export function protobufSchema(root: ProtoNamespace, message: string): SchemaNode {
  const definitions: Record<string, SchemaNode> = {};
  const find = (path: readonly string[]): ProtoNamespace | undefined => {
    let node: ProtoNamespace | undefined = root;
    for (const part of path) node = node?.nested?.[part];
    return node;
  };
  /** Protobuf scoping: look the name up from the innermost scope outwards. */
  const resolve = (name: string, scope: readonly string[]): string => {
    const parts = name.replace(/^\./, '').split('.');
    for (let i = name.startsWith('.') ? 0 : scope.length; i >= 0; i--) {
      const candidate = [...scope.slice(0, i), ...parts];
      if (find(candidate) !== undefined) return candidate.join('.');
    }
    return parts.join('.');
  };
  const ref = (fullName: string): SchemaNode => {
    const wellKnown = WELL_KNOWN[fullName];
    if (wellKnown !== undefined) return wellKnown;
    if (!(fullName in definitions)) {
      definitions[fullName] = {};
      definitions[fullName] = convert(fullName);
    }
    return { $ref: `#/definitions/${fullName}` };
  };
  const convert = (fullName: string): SchemaNode => {
    const path = fullName.split('.');
    const node = find(path);
    if (node === undefined) throw new Error(`protobuf descriptor: no type ${fullName}`);
    if (node.values !== undefined) return { type: 'string', enum: Object.keys(node.values) };
    const properties: Record<string, SchemaNode> = {};
    const required: string[] = [];
    for (const [field, spec] of Object.entries(node.fields ?? {})) {
      const behavior = spec.options?.['(google.api.field_behavior)'];
      if (behavior === 'OUTPUT_ONLY') continue;
      if (behavior === 'REQUIRED') required.push(field);
      const value = PROTO_SCALARS[spec.type] ?? ref(resolve(spec.type, path));
      properties[field] =
        spec.keyType !== undefined ? { type: 'object', additionalProperties: value } : spec.rule === 'repeated' ? { type: 'array', items: value } : value;
    }
    const out: SchemaNode = { type: 'object', properties, additionalProperties: false };
    if (required.length > 0) out.required = required;
    const pairs: SchemaNode[] = [];
    for (const { oneof } of Object.values(node.oneofs ?? {})) {
      const members = oneof.filter((f) => f in properties);
      for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) pairs.push({ required: [members[i], members[j]] });
    }
    if (pairs.length > 0) out.not = { anyOf: pairs };
    return out;
  };
  const top = ref(message);
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...top, definitions };
}

if (import.meta.main) {
  const [kind, file, name] = process.argv.slice(2);
  if (file === undefined || name === undefined || (kind !== 'botocore' && kind !== 'protobufjs')) {
    process.stderr.write('usage: to-json-schema.ts botocore|protobufjs <model.json> <shape or message>\n');
    process.exit(2);
  }
  const model: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const schema = kind === 'botocore' ? botocoreSchema(model as { shapes: Record<string, BotocoreShape> }, name) : protobufSchema(model as ProtoNamespace, name);
  process.stdout.write(`${JSON.stringify(schema, null, 1)}\n`);
}
