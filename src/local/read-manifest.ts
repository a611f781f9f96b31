/**
 * Reads a Job manifest (YAML or JSON, one document) into typed form. Type
 * mismatches become field errors with the path of the offending field, the way
 * the API server's decoder rejects them.
 */
import { parseAllDocuments } from 'yaml';
import { type FieldError, invalid, required } from './field-errors.ts';
import type { Container, EnvVar, Job, JobSpec, PodFailurePolicyRule, SuccessPolicyRule } from './types.ts';

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Result of reading a manifest: the typed Job (best effort) and any errors. */
export interface ReadResult {
  readonly job: Job;
  readonly errors: FieldError[];
}

/**
 * Parses manifest text (YAML or JSON). Throws a plain Error when the text is not
 * exactly one YAML/JSON document holding an object.
 *
 * @example
 * ```ts
 * const raw = parseManifestText('apiVersion: batch/v1\nkind: Job\n...');
 * ```
 */
export function parseManifestText(text: string): unknown {
  const docs = parseAllDocuments(text).filter((d) => !(d.contents === null && d.errors.length === 0));
  if (docs.length === 0) throw new Error('the manifest is empty');
  if (docs.length > 1) throw new Error(`the manifest holds ${docs.length} documents; jobkit run takes exactly one Job or CronJob`);
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw new Error(`the manifest is not valid YAML/JSON: ${doc.errors[0]!.message}`);
  const value: unknown = doc.toJS();
  if (!isObj(value)) throw new Error('the manifest is not an object');
  return value;
}

export class Reader {
  readonly errors: FieldError[] = [];

  int(obj: Obj, key: string, path: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.errors.push(invalid(`${path}.${key}`, v, 'must be an integer'));
      return undefined;
    }
    return v;
  }

  str(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.errors.push(invalid(`${path}.${key}`, v, 'must be a string'));
      return undefined;
    }
    return v;
  }

  bool(obj: Obj, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.errors.push(invalid(`${path}.${key}`, v, 'must be a boolean'));
      return undefined;
    }
    return v;
  }

  obj(obj: Obj, key: string, path: string): Obj | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) {
      this.errors.push(invalid(`${path}.${key}`, v, 'must be an object'));
      return undefined;
    }
    return v;
  }

  list(obj: Obj, key: string, path: string): unknown[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.errors.push(invalid(`${path}.${key}`, v, 'must be a list'));
      return undefined;
    }
    return v as unknown[];
  }

  strings(obj: Obj, key: string, path: string): string[] | undefined {
    const v = this.list(obj, key, path);
    if (v === undefined) return undefined;
    return v.map((s, i) => {
      if (typeof s === 'string') return s;
      if (typeof s === 'number' || typeof s === 'boolean') {
        this.errors.push(invalid(`${path}.${key}[${i}]`, s, 'must be a string'));
      }
      return String(s);
    });
  }

  stringMap(obj: Obj, key: string, path: string): Record<string, string> | undefined {
    const v = this.obj(obj, key, path);
    if (v === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') this.errors.push(invalid(`${path}.${key}.${k}`, val, 'must be a string'));
      else out[k] = val;
    }
    return out;
  }
}

function readContainer(r: Reader, raw: unknown, path: string): Container {
  if (!isObj(raw)) {
    r.errors.push(invalid(path, raw, 'must be an object'));
    return { name: '' };
  }
  const c: Container = { ...raw, name: r.str(raw, 'name', path) ?? '' };
  const image = r.str(raw, 'image', path);
  if (image !== undefined) c.image = image;
  const command = r.strings(raw, 'command', path);
  if (command !== undefined) c.command = command;
  const args = r.strings(raw, 'args', path);
  if (args !== undefined) c.args = args;
  const workingDir = r.str(raw, 'workingDir', path);
  if (workingDir !== undefined) c.workingDir = workingDir;
  const env = r.list(raw, 'env', path);
  if (env !== undefined) {
    c.env = env.map((e, i): EnvVar => {
      const ePath = `${path}.env[${i}]`;
      if (!isObj(e)) {
        r.errors.push(invalid(ePath, e, 'must be an object'));
        return { name: '' };
      }
      const out: EnvVar = { name: r.str(e, 'name', ePath) ?? '' };
      const value = e['value'];
      if (value !== undefined && value !== null) {
        // YAML turns `value: 3` into a number; the API server rejects it, but so
        // common a slip deserves the exact path.
        if (typeof value !== 'string') r.errors.push(invalid(`${ePath}.value`, value, 'must be a string'));
        else out.value = value;
      }
      const valueFrom = r.obj(e, 'valueFrom', ePath);
      if (valueFrom !== undefined) {
        out.valueFrom = { ...valueFrom };
        const fieldRef = r.obj(valueFrom, 'fieldRef', `${ePath}.valueFrom`);
        if (fieldRef !== undefined) {
          const fieldPath = r.str(fieldRef, 'fieldPath', `${ePath}.valueFrom.fieldRef`) ?? '';
          const apiVersion = r.str(fieldRef, 'apiVersion', `${ePath}.valueFrom.fieldRef`);
          out.valueFrom.fieldRef = apiVersion === undefined ? { fieldPath } : { apiVersion, fieldPath };
        }
      }
      return out;
    });
  }
  return c;
}

function readPodFailureRule(r: Reader, raw: unknown, path: string): PodFailurePolicyRule {
  if (!isObj(raw)) {
    r.errors.push(invalid(path, raw, 'must be an object'));
    return { action: '' as PodFailurePolicyRule['action'] };
  }
  const rule: PodFailurePolicyRule = { action: (r.str(raw, 'action', path) ?? '') as PodFailurePolicyRule['action'] };
  const onExitCodes = r.obj(raw, 'onExitCodes', path);
  if (onExitCodes !== undefined) {
    const p = `${path}.onExitCodes`;
    const values = (r.list(onExitCodes, 'values', p) ?? []).map((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        r.errors.push(invalid(`${p}.values[${i}]`, v, 'must be an integer'));
        return Number.NaN;
      }
      return v;
    });
    rule.onExitCodes = { operator: (r.str(onExitCodes, 'operator', p) ?? '') as 'In', values };
    const containerName = r.str(onExitCodes, 'containerName', p);
    if (containerName !== undefined) rule.onExitCodes.containerName = containerName;
  }
  const onPodConditions = r.list(raw, 'onPodConditions', path);
  if (onPodConditions !== undefined) {
    rule.onPodConditions = onPodConditions.map((c, i) => {
      const p = `${path}.onPodConditions[${i}]`;
      if (!isObj(c)) {
        r.errors.push(invalid(p, c, 'must be an object'));
        return { type: '', status: 'True' };
      }
      return { type: r.str(c, 'type', p) ?? '', status: (r.str(c, 'status', p) ?? '') as 'True' };
    });
  }
  return rule;
}

/**
 * An object's `metadata` (name, namespace, generateName, labels, annotations
 * type-checked; the other fields kept as they are), as Jobs and CronJobs share it.
 *
 * @example
 * ```ts
 * const metadata = readObjectMeta(new Reader(), { metadata: { name: 'etl' } }); // { name: 'etl', namespace: '' }
 * ```
 */
export function readObjectMeta(r: Reader, root: Obj): Job['metadata'] {
  const metaRaw = r.obj(root, 'metadata', '') ?? {};
  const metadata: Job['metadata'] = { ...metaRaw, name: r.str(metaRaw, 'name', 'metadata') ?? '', namespace: r.str(metaRaw, 'namespace', 'metadata') ?? '' };
  const generateName = r.str(metaRaw, 'generateName', 'metadata');
  if (generateName !== undefined) metadata.generateName = generateName;
  const labels = r.stringMap(metaRaw, 'labels', 'metadata');
  if (labels !== undefined) metadata.labels = labels;
  const annotations = r.stringMap(metaRaw, 'annotations', 'metadata');
  if (annotations !== undefined) metadata.annotations = annotations;
  return metadata;
}

/**
 * Reads a parsed manifest into a typed Job, collecting type errors.
 *
 * @example
 * ```ts
 * const { job, errors } = readJob(parseManifestText(text));
 * ```
 */
export function readJob(raw: unknown): ReadResult {
  const r = new Reader();
  const root: Obj = isObj(raw) ? raw : {};
  const apiVersion = root['apiVersion'];
  const kind = root['kind'];
  if (apiVersion !== 'batch/v1') r.errors.push(invalid('apiVersion', apiVersion ?? '', 'jobkit run accepts batch/v1 Jobs only'));
  if (kind !== 'Job') r.errors.push(invalid('kind', kind ?? '', 'jobkit run accepts batch/v1 Jobs only'));

  const metadata: Job['metadata'] = readObjectMeta(r, root);

  const specRaw = r.obj(root, 'spec', '');
  if (specRaw === undefined) r.errors.push(required('spec'));
  const s: Obj = specRaw ?? {};
  const templateRaw = r.obj(s, 'template', 'spec') ?? {};
  const tMetaRaw = r.obj(templateRaw, 'metadata', 'spec.template') ?? {};
  const podSpecRaw = r.obj(templateRaw, 'spec', 'spec.template') ?? {};
  const containers = (r.list(podSpecRaw, 'containers', 'spec.template.spec') ?? []).map((c, i) =>
    readContainer(r, c, `spec.template.spec.containers[${i}]`),
  );
  const initContainers = r.list(podSpecRaw, 'initContainers', 'spec.template.spec');
  const templateLabels = r.stringMap(tMetaRaw, 'labels', 'spec.template.metadata');
  const templateAnnotations = r.stringMap(tMetaRaw, 'annotations', 'spec.template.metadata');
  const spec: JobSpec = {
    ...s,
    template: {
      metadata: {
        ...tMetaRaw,
        ...(templateLabels === undefined ? {} : { labels: templateLabels }),
        ...(templateAnnotations === undefined ? {} : { annotations: templateAnnotations }),
      },
      spec: {
        ...podSpecRaw,
        containers,
        ...(initContainers === undefined
          ? {}
          : { initContainers: initContainers.map((c, i) => readContainer(r, c, `spec.template.spec.initContainers[${i}]`)) }),
      },
    },
  };
  const restartPolicy = r.str(podSpecRaw, 'restartPolicy', 'spec.template.spec');
  if (restartPolicy === undefined) delete spec.template.spec.restartPolicy;
  else spec.template.spec.restartPolicy = restartPolicy;
  const grace = r.int(podSpecRaw, 'terminationGracePeriodSeconds', 'spec.template.spec');
  if (grace === undefined) delete spec.template.spec.terminationGracePeriodSeconds;
  else spec.template.spec.terminationGracePeriodSeconds = grace;

  for (const key of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished'] as const) {
    const v = r.int(s, key, 'spec');
    if (v === undefined) delete spec[key];
    else spec[key] = v;
  }
  for (const key of ['suspend', 'manualSelector'] as const) {
    const v = r.bool(s, key, 'spec');
    if (v === undefined) delete spec[key];
    else spec[key] = v;
  }
  for (const key of ['completionMode', 'podReplacementPolicy', 'managedBy'] as const) {
    const v = r.str(s, key, 'spec');
    if (v === undefined) delete spec[key];
    else (spec as Record<string, unknown>)[key] = v;
  }
  const pfp = r.obj(s, 'podFailurePolicy', 'spec');
  if (pfp === undefined) delete spec.podFailurePolicy;
  else {
    const rules = r.list(pfp, 'rules', 'spec.podFailurePolicy') ?? [];
    spec.podFailurePolicy = { rules: rules.map((rule, i) => readPodFailureRule(r, rule, `spec.podFailurePolicy.rules[${i}]`)) };
  }
  const sp = r.obj(s, 'successPolicy', 'spec');
  if (sp === undefined) delete spec.successPolicy;
  else {
    const rules = r.list(sp, 'rules', 'spec.successPolicy') ?? [];
    spec.successPolicy = {
      rules: rules.map((rule, i): SuccessPolicyRule => {
        const p = `spec.successPolicy.rules[${i}]`;
        if (!isObj(rule)) {
          r.errors.push(invalid(p, rule, 'must be an object'));
          return {};
        }
        const out: SuccessPolicyRule = {};
        const idx = r.str(rule, 'succeededIndexes', p);
        if (idx !== undefined) out.succeededIndexes = idx;
        const count = r.int(rule, 'succeededCount', p);
        if (count !== undefined) out.succeededCount = count;
        return out;
      }),
    };
  }
  return { job: { apiVersion: 'batch/v1', kind: 'Job', metadata, spec }, errors: r.errors };
}
