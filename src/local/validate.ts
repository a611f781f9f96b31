/**
 * API-server-equivalent defaulting and validation of a batch/v1 Job. Messages
 * and field paths follow pkg/apis/batch/validation so that what `jobkit run`
 * rejects is what the cluster would reject, with the same words.
 */
import { checkIndexesFormat } from './intervals.ts';
import {
  type FieldError,
  OMIT_VALUE,
  duplicate,
  invalid,
  nonNegative,
  notSupported,
  required,
  tooLong,
  tooMany,
} from './field-errors.ts';
import type { Container, Job, JobSpec, PodFailurePolicyRule } from './types.ts';

const MAX_INT32 = 2147483647;
const MAX_PARALLELISM_INDEXED = 100_000;
const MAX_MAX_FAILED_INDEXES = 100_000;
// Above this many completions, backoffLimitPerIndex needs maxFailedIndexes and
// tighter parallelism / maxFailedIndexes limits (completionsSoftLimit upstream).
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;

const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const FIELD_REF_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const C_IDENTIFIER_ISH = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_SUBSCRIPT = /^metadata\.(labels|annotations)\['([^']*)'\]$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
export const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** The messages of apimachinery's IsDNS1123Label (length first, then format); empty when valid. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) errs.push(DNS1123_LABEL_MESSAGE);
  return errs;
}

/**
 * The messages of apimachinery's IsQualifiedName (`[prefix/]name`), used for
 * `onPodConditions[].type`; empty when valid.
 */
function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return [`a valid label key ${QUALIFIED_NAME_MESSAGE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errs: string[] = [];
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') errs.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 bytes');
      if (!DNS1123_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${DNS1123_SUBDOMAIN_MESSAGE}`);
    }
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 bytes');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MESSAGE}`);
  return errs;
}

const MAX_MANAGED_BY_LENGTH = 63;
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

/** apimachinery's IsDomainPrefixedPath (`acme.io/foo`), used for `spec.managedBy`. */
function domainPrefixedPathErrors(field: string, value: string): FieldError[] {
  if (value === '') return [required(field, '')];
  const slash = value.indexOf('/');
  const host = slash < 0 ? '' : value.slice(0, slash);
  const path = slash < 0 ? '' : value.slice(slash + 1);
  if (host === '' || path === '') return [invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errors: FieldError[] = [];
  if (host.length > 253) errors.push(invalid(field, host, 'must be no more than 253 characters'));
  if (!DNS1123_SUBDOMAIN.test(host)) errors.push(invalid(field, host, DNS1123_SUBDOMAIN_MESSAGE));
  if (!HTTP_PATH.test(path)) errors.push(invalid(field, path, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return errors;
}

/** The value of `spec.managedBy` that means the built-in Job controller. */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** The label and annotation keys the Job controller uses. */
export const JOB_LABELS = {
  jobName: 'batch.kubernetes.io/job-name',
  controllerUid: 'batch.kubernetes.io/controller-uid',
  legacyJobName: 'job-name',
  legacyControllerUid: 'controller-uid',
  completionIndex: 'batch.kubernetes.io/job-completion-index',
  indexFailureCount: 'batch.kubernetes.io/job-index-failure-count',
  indexIgnoredFailureCount: 'batch.kubernetes.io/job-index-ignored-failure-count',
} as const;

/**
 * Applies the API server's defaults to a Job in place (parallelism,
 * completions, backoffLimit, completionMode, suspend, podReplacementPolicy,
 * onPodConditions status, grace period, generated selector and labels).
 *
 * @example
 * ```ts
 * applyJobDefaults(job, { uid: randomUUID(), now: new Date() });
 * job.spec.backoffLimit; // 6
 * ```
 */
export function applyJobDefaults(job: Job, ctx: { uid: string; now: Date; nameSuffix: string }): void {
  const spec = job.spec;
  const meta = job.metadata;
  if (meta.name === '' && meta.generateName !== undefined) meta.name = `${meta.generateName}${ctx.nameSuffix}`;
  if (meta.namespace === '') meta.namespace = 'default';
  meta.uid = ctx.uid;
  meta.generation = 1;
  meta.creationTimestamp = formatTime(ctx.now.getTime());

  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : MAX_INT32;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.manualSelector ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy === undefined ? 'TerminatingOrFailed' : 'Failed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) {
      if ((pattern.status as string) === '') pattern.status = 'True';
    }
  }
  spec.template.spec.terminationGracePeriodSeconds ??= 30;

  if (spec.manualSelector !== true) {
    const generated = {
      [JOB_LABELS.controllerUid]: ctx.uid,
      [JOB_LABELS.jobName]: meta.name,
      [JOB_LABELS.legacyControllerUid]: ctx.uid,
      [JOB_LABELS.legacyJobName]: meta.name,
    };
    spec.selector ??= { matchLabels: { [JOB_LABELS.controllerUid]: ctx.uid } };
    const tmeta = (spec.template.metadata ??= {});
    tmeta.labels = { ...(tmeta.labels ?? {}), ...generated };
  }
  if (meta.labels === undefined || Object.keys(meta.labels).length === 0) {
    meta.labels = { ...(spec.template.metadata?.labels ?? {}) };
  }
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function validateContainer(c: Container, path: string, errors: FieldError[]): void {
  if (c.name === '') errors.push(required(`${path}.name`));
  else for (const msg of dns1123LabelErrors(c.name)) errors.push(invalid(`${path}.name`, c.name, msg));
  (c.env ?? []).forEach((e, i) => {
    const ePath = `${path}.env[${i}]`;
    if (e.name === '') errors.push(required(`${ePath}.name`));
    else if (!C_IDENTIFIER_ISH.test(e.name)) {
      errors.push(
        invalid(
          `${ePath}.name`,
          e.name,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        ),
      );
    }
    const fieldRef = e.valueFrom?.fieldRef;
    if (e.value !== undefined && e.value !== '' && e.valueFrom !== undefined) {
      errors.push(invalid(`${ePath}.valueFrom`, OMIT_VALUE, 'may not be specified when `value` is not empty'));
    }
    if (fieldRef !== undefined) {
      const fp = `${ePath}.valueFrom.fieldRef.fieldPath`;
      if (fieldRef.fieldPath === '') errors.push(required(fp));
      else if (!FIELD_REF_PATHS.includes(fieldRef.fieldPath) && !LABEL_SUBSCRIPT.test(fieldRef.fieldPath)) {
        errors.push(notSupported(fp, fieldRef.fieldPath, FIELD_REF_PATHS));
      }
    }
  });
}

function validatePodFailureRule(spec: JobSpec, rule: PodFailurePolicyRule, path: string, containerNames: Set<string>, errors: FieldError[]): void {
  const actionPath = `${path}.action`;
  if ((rule.action as string) === '') errors.push(required(actionPath, `valid values: [${ACTIONS.map((a) => JSON.stringify(a)).join(' ')}]`));
  else if (rule.action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined) errors.push(invalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!ACTIONS.includes(rule.action)) errors.push(notSupported(actionPath, rule.action, ACTIONS));

  const onExitCodes = rule.onExitCodes;
  if (onExitCodes !== undefined) {
    const p = `${path}.onExitCodes`;
    const opPath = `${p}.operator`;
    if ((onExitCodes.operator as string) === '') errors.push(required(opPath, `valid values: [${OPERATORS.map((o) => JSON.stringify(o)).join(' ')}]`));
    else if (!OPERATORS.includes(onExitCodes.operator)) errors.push(notSupported(opPath, onExitCodes.operator, OPERATORS));
    if (onExitCodes.containerName !== undefined && !containerNames.has(onExitCodes.containerName)) {
      errors.push(invalid(`${p}.containerName`, onExitCodes.containerName, 'must be one of the container or initContainer names in the pod template'));
    }
    const valuesPath = `${p}.values`;
    const values = onExitCodes.values;
    if (values.length === 0) errors.push(invalid(valuesPath, values, 'at least one value is required'));
    else if (values.length > MAX_ON_EXIT_CODES_VALUES) errors.push(tooMany(valuesPath, values.length, MAX_ON_EXIT_CODES_VALUES));
    // Upstream checks every value even when there are too many of them.
    let ordered = true;
    const seen = new Set<number>();
    values.forEach((v, j) => {
      const vPath = `${valuesPath}[${j}]`;
      if (onExitCodes.operator === 'In' && v === 0) errors.push(invalid(vPath, v, 'must not be 0 for the In operator'));
      if (seen.has(v)) errors.push(duplicate(vPath, v));
      else seen.add(v);
      if (j > 0 && values[j - 1]! > v) ordered = false;
    });
    if (!ordered) errors.push(invalid(valuesPath, values, 'must be ordered'));
  }
  const onPodConditions = rule.onPodConditions;
  if (onPodConditions !== undefined && onPodConditions.length > 0) {
    const p = `${path}.onPodConditions`;
    if (onPodConditions.length > MAX_ON_POD_CONDITIONS_PATTERNS) errors.push(tooMany(p, onPodConditions.length, MAX_ON_POD_CONDITIONS_PATTERNS));
    onPodConditions.forEach((pattern, j) => {
      // ValidateQualifiedName: every message is an Invalid value (even for "").
      for (const msg of qualifiedNameErrors(pattern.type)) errors.push(invalid(`${p}[${j}].type`, pattern.type, msg));
      const statusPath = `${p}[${j}].status`;
      if (!CONDITION_STATUSES.includes(pattern.status)) errors.push(notSupported(statusPath, pattern.status, CONDITION_STATUSES));
    });
  }
  const hasConditions = onPodConditions !== undefined && onPodConditions.length > 0;
  if (onExitCodes !== undefined && hasConditions) {
    errors.push(invalid(path, OMIT_VALUE, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  }
  if (onExitCodes === undefined && !hasConditions) {
    errors.push(invalid(path, OMIT_VALUE, 'specifying one of OnExitCodes and OnPodConditions is required'));
  }
}

/**
 * The success policy as the API server prints a bad struct value: the JSON of
 * its internal Go type, which has no json tags (field names as in Go, unset
 * pointers as null).
 */
function goSuccessPolicy(policy: NonNullable<JobSpec['successPolicy']>): object {
  return { Rules: policy.rules.map((r) => ({ SucceededIndexes: r.succeededIndexes ?? null, SucceededCount: r.succeededCount ?? null })) };
}

function validateSuccessPolicy(spec: JobSpec, errors: FieldError[]): void {
  const policy = spec.successPolicy;
  if (policy === undefined) return;
  if (spec.completionMode !== 'Indexed') {
    errors.push(invalid('spec.successPolicy', goSuccessPolicy(policy), 'requires indexed completion mode'));
    return;
  }
  const rulesPath = 'spec.successPolicy.rules';
  if (policy.rules.length === 0) errors.push(required(rulesPath, 'at least one rules must be specified when the successPolicy is specified'));
  if (policy.rules.length > MAX_SUCCESS_POLICY_RULES) errors.push(tooMany(rulesPath, policy.rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = spec.completions ?? 0;
  policy.rules.forEach((rule, i) => {
    const p = `${rulesPath}[${i}]`;
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) {
      errors.push(required(p, 'at least one of succeededCount or succeededIndexes must be specified'));
    }
    let totalIndexes = 0;
    if (rule.succeededIndexes !== undefined) {
      const ip = `${p}.succeededIndexes`;
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) errors.push(tooLong(ip, MAX_SUCCEEDED_INDEXES_LENGTH));
      const checked = checkIndexesFormat(rule.succeededIndexes, completions);
      if ('error' in checked) errors.push(invalid(ip, rule.succeededIndexes, `error parsing succeededIndexes: ${checked.error}`));
      else totalIndexes = checked.total;
    }
    if (rule.succeededCount !== undefined) {
      const cp = `${p}.succeededCount`;
      errors.push(...nonNegative(cp, rule.succeededCount));
      if (rule.succeededCount > completions) {
        errors.push(invalid(cp, rule.succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (rule.succeededIndexes !== undefined && rule.succeededCount > totalIndexes) {
        errors.push(invalid(cp, rule.succeededCount, `must be less than or equal to ${totalIndexes} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
}

/**
 * Validates a defaulted Job as the API server does on create. Returns the
 * errors (empty when valid).
 *
 * @example
 * ```ts
 * const errors = validateJob(job);
 * if (errors.length > 0) console.error(formatInvalidJob(job.metadata.name, errors));
 * ```
 */
export function validateJob(job: Job): FieldError[] {
  const errors: FieldError[] = [];
  const { metadata: meta, spec } = job;
  const podSpec = spec.template.spec;

  if (meta.name === '') errors.push(required('metadata.name', 'name or generateName is required'));
  else if (!DNS1123_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
    errors.push(invalid('metadata.name', meta.name, DNS1123_SUBDOMAIN_MESSAGE));
  } else if (meta.name.length > 63) {
    // The name becomes the value of the job-name label on every pod.
    errors.push(invalid('spec.template.labels', meta.name, 'must be no more than 63 bytes'));
  }
  for (const msg of dns1123LabelErrors(meta.namespace)) errors.push(invalid('metadata.namespace', meta.namespace, msg));

  if (spec.parallelism !== undefined) errors.push(...nonNegative('spec.parallelism', spec.parallelism));
  if (spec.completions !== undefined) errors.push(...nonNegative('spec.completions', spec.completions));
  if (spec.activeDeadlineSeconds !== undefined) errors.push(...nonNegative('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds));
  if (spec.backoffLimit !== undefined) errors.push(...nonNegative('spec.backoffLimit', spec.backoffLimit));
  if (spec.ttlSecondsAfterFinished !== undefined) errors.push(...nonNegative('spec.ttlSecondsAfterFinished', spec.ttlSecondsAfterFinished));
  if (spec.backoffLimitPerIndex !== undefined) errors.push(...nonNegative('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex));
  if (spec.maxFailedIndexes !== undefined) {
    errors.push(...nonNegative('spec.maxFailedIndexes', spec.maxFailedIndexes));
    if (spec.backoffLimitPerIndex === undefined) errors.push(required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy !== undefined) {
    errors.push(...domainPrefixedPathErrors('spec.managedBy', spec.managedBy));
    if (spec.managedBy.length > MAX_MANAGED_BY_LENGTH) errors.push(tooLong('spec.managedBy', MAX_MANAGED_BY_LENGTH));
  }

  const mode = spec.completionMode ?? 'NonIndexed';
  if (mode !== 'NonIndexed' && mode !== 'Indexed') {
    errors.push(notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed') {
    if (spec.completions === undefined) errors.push(required('spec.completions', 'when completion mode is Indexed'));
    if (spec.parallelism !== undefined && spec.parallelism > MAX_PARALLELISM_INDEXED) {
      errors.push(invalid('spec.parallelism', spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
    }
    if (spec.completions !== undefined && spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes > spec.completions) {
      errors.push(invalid('spec.maxFailedIndexes', spec.maxFailedIndexes, 'must be less than or equal to completions'));
    }
    if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes > MAX_MAX_FAILED_INDEXES) {
      errors.push(invalid('spec.maxFailedIndexes', spec.maxFailedIndexes, `must be less than or equal to ${MAX_MAX_FAILED_INDEXES}`));
    }
    if (spec.completions !== undefined && spec.completions > COMPLETIONS_SOFT_LIMIT && spec.backoffLimitPerIndex !== undefined) {
      // Not a hard cap on completions: above the soft limit the per-index
      // bookkeeping needs maxFailedIndexes and tighter limits.
      if (spec.maxFailedIndexes === undefined) {
        errors.push(required('spec.maxFailedIndexes', `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
      }
      const tighter = [
        ['spec.parallelism', spec.parallelism, PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS],
        ['spec.maxFailedIndexes', spec.maxFailedIndexes, MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS],
      ] as const;
      for (const [field, value, limit] of tighter) {
        if (value !== undefined && value > limit) {
          const why = `must be less than or equal to ${limit} when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
          errors.push(invalid(field, value, why));
        }
      }
    }
  } else if (mode === 'NonIndexed') {
    // An unknown completionMode gets only its NotSupported error, as upstream.
    if (spec.backoffLimitPerIndex !== undefined) errors.push(invalid('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (spec.maxFailedIndexes !== undefined) errors.push(invalid('spec.maxFailedIndexes', spec.maxFailedIndexes, 'requires indexed completion mode'));
  }

  if (spec.podFailurePolicy !== undefined) {
    const rules = spec.podFailurePolicy.rules;
    const rulesPath = 'spec.podFailurePolicy.rules';
    if (rules.length > MAX_POD_FAILURE_POLICY_RULES) errors.push(tooMany(rulesPath, rules.length, MAX_POD_FAILURE_POLICY_RULES));
    const names = new Set([...podSpec.containers, ...(podSpec.initContainers ?? [])].map((c) => c.name));
    rules.forEach((rule, i) => validatePodFailureRule(spec, rule, `${rulesPath}[${i}]`, names, errors));
  }
  validateSuccessPolicy(spec, errors);

  if (spec.podReplacementPolicy !== undefined) {
    if (spec.podFailurePolicy !== undefined) {
      if (spec.podReplacementPolicy !== 'Failed') errors.push(notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, ['Failed']));
    } else if (spec.podReplacementPolicy !== 'Failed' && spec.podReplacementPolicy !== 'TerminatingOrFailed') {
      errors.push(notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
    }
  }

  if (podSpec.containers.length === 0) errors.push(required('spec.template.spec.containers'));
  podSpec.containers.forEach((c, i) => validateContainer(c, `spec.template.spec.containers[${i}]`, errors));
  (podSpec.initContainers ?? []).forEach((c, i) => validateContainer(c, `spec.template.spec.initContainers[${i}]`, errors));
  const restartPolicy = podSpec.restartPolicy;
  const restartPath = 'spec.template.spec.restartPolicy';
  // The pod template's own validation (validateRestartPolicy) rejects an
  // unknown value first; "" never reaches it (the API defaults it to Always).
  if (restartPolicy !== undefined && restartPolicy !== '' && !['Always', 'OnFailure', 'Never'].includes(restartPolicy)) {
    errors.push(notSupported(restartPath, restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  if (podSpec.terminationGracePeriodSeconds !== undefined) {
    errors.push(...nonNegative('spec.template.spec.terminationGracePeriodSeconds', podSpec.terminationGracePeriodSeconds));
  }

  // Then the Job's own rule. A missing restartPolicy is defaulted to Always by
  // the API server, hence the same error: `Required value: valid values: "OnFailure", "Never"`.
  if (restartPolicy === undefined || restartPolicy === '' || restartPolicy === 'Always') {
    errors.push(required(restartPath, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errors.push(notSupported(restartPath, restartPolicy, ['OnFailure', 'Never']));
  } else if (spec.podFailurePolicy !== undefined && restartPolicy !== 'Never') {
    errors.push(invalid(restartPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  // OnFailure with backoffLimitPerIndex is accepted upstream: the pods restart in
  // place, so no index ever fails (backoffLimit defaults to the int32 maximum).

  // ValidateJob checks the Indexed pods' hostnames last, after the whole spec.
  if (mode === 'Indexed' && spec.completions !== undefined && spec.completions > 0 && meta.name !== '') {
    const hostname = `${meta.name}-${spec.completions - 1}`;
    if (hostname.length > 63 || !DNS1123_LABEL.test(hostname)) {
      errors.push(invalid('metadata.name', meta.name, `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errors;
}

/**
 * What the API server accepts but a jobkit program cannot run correctly: an
 * env name set twice in a container (the API server only warns, the kubelet
 * takes the last value), and a `JOBKIT_COUNT` that differs from
 * `spec.completions`. With `completions: 3` and `JOBKIT_COUNT: "4"` every pod
 * starts, each takes a quarter of the input, and the Job reports Complete
 * with a quarter never processed; the runtime cannot tell, since index 0..2
 * are all below 4. Checked on a read (not defaulted) Job.
 *
 * @example
 * ```ts
 * const { job } = readJob(parseManifestText(text));
 * for (const e of jobkitEnvErrors(job)) console.error(formatFieldError(e));
 * ```
 */
export function jobkitEnvErrors(job: Job): FieldError[] {
  const errors: FieldError[] = [];
  const spec = job.spec;
  const podSpec = spec.template.spec;
  const lists: Array<[Container, string]> = [
    ...podSpec.containers.map((c, i): [Container, string] => [c, `spec.template.spec.containers[${i}]`]),
    ...(podSpec.initContainers ?? []).map((c, i): [Container, string] => [c, `spec.template.spec.initContainers[${i}]`]),
  ];
  for (const [container, path] of lists) {
    const env = container.env ?? [];
    const firstAt = new Map<string, number>();
    env.forEach((e, i) => {
      if (e.name === '') return;
      const first = firstAt.get(e.name);
      if (first === undefined) {
        firstAt.set(e.name, i);
        return;
      }
      const shown = (n: number): string => {
        const v = env[n]!;
        return v.value !== undefined ? JSON.stringify(v.value) : v.valueFrom !== undefined ? 'valueFrom' : '""';
      };
      errors.push(
        invalid(
          `${path}.env[${i}].name`,
          e.name,
          `set twice (env[${first}] = ${shown(first)} and env[${i}] = ${shown(i)}): the API server only warns and the kubelet uses the last one; keep one`,
        ),
      );
    });
    const countAt = env.findLastIndex((e) => e.name === 'JOBKIT_COUNT');
    const count = countAt === -1 ? undefined : env[countAt]!;
    if (count?.value === undefined || spec.completions === undefined) continue;
    const value = count.value.trim();
    const valuePath = `${path}.env[${countAt}].value`;
    if (!/^\d+$/.test(value)) {
      errors.push(invalid(valuePath, count.value, `JOBKIT_COUNT must be the number of completions (${spec.completions}) in decimal digits`));
    } else if (Number(value) !== spec.completions) {
      errors.push(
        invalid(
          valuePath,
          count.value,
          `JOBKIT_COUNT is ${value} but spec.completions is ${spec.completions}: the input would be split into ${value} shards and ` +
            (Number(value) > spec.completions
              ? `${span('shard', spec.completions, Number(value) - 1)} never processed while the Job reports Complete`
              : `${span('index', Number(value), spec.completions - 1)} refused at start (exit 78)`) +
            '; set both to the same number',
        ),
      );
    }
  }
  return errors;
}

/** `shard 3` or `shards 3..5`. */
function span(noun: 'shard' | 'index', from: number, to: number): string {
  return from === to ? `${noun} ${from}` : `${noun === 'index' ? 'indexes' : 'shards'} ${from}..${to}`;
}
