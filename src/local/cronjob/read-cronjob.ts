/**
 * Reads, defaults and validates a batch/v1 CronJob manifest as the API server
 * does on create (`ValidateCronJobCreate`) and on update (a `--patch` of
 * `jobkit run`, `ValidateCronJobUpdate`), with the API server's messages.
 * The job template is checked as the Job it will become, so a template the
 * emulator cannot run is refused before the first schedule, not at it.
 */
import { CronScheduleError, parseCronSchedule, timeZoneError } from '../cron/schedule.ts';
import { loadJobManifest } from '../emulator.ts';
import { InvalidManifestError } from '../errors.ts';
import { type FieldError, OMIT_VALUE, invalid, nonNegative, notSupported, required } from '../field-errors.ts';
import { Reader, isObj, parseManifestText, readObjectMeta } from '../read-manifest.ts';
import type { SeededRandom } from '../rng.ts';
import type { JobSpec, ObjectMeta } from '../types.ts';
import { DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MESSAGE, dns1123LabelErrors, formatTime } from '../validate.ts';
import { CONCURRENCY_POLICIES, type ConcurrencyPolicy, type CronJob } from './types.ts';

type Obj = Record<string, unknown>;

/** The longest CronJob name: a Job name is `<cronjob>-<minutes>`, at most 63 characters with an 11-character suffix. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

/** The defaults of `SetDefaults_CronJob`. */
export const CRONJOB_DEFAULTS = {
  concurrencyPolicy: 'Allow',
  suspend: false,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 1,
} as const;

/** A CronJob as read, before defaults: the optional fields may be absent. */
interface ReadCronJob {
  readonly metadata: ObjectMeta & { name: string; namespace: string };
  readonly schedule: string | undefined;
  readonly timeZone: string | undefined;
  readonly startingDeadlineSeconds: number | undefined;
  readonly concurrencyPolicy: string | undefined;
  readonly suspend: boolean | undefined;
  readonly successfulJobsHistoryLimit: number | undefined;
  readonly failedJobsHistoryLimit: number | undefined;
  readonly jobTemplate: { readonly metadata: Obj; readonly spec: Obj | undefined };
  readonly errors: FieldError[];
}

function readCronJobObject(raw: unknown): ReadCronJob {
  const r = new Reader();
  const root: Obj = isObj(raw) ? raw : {};
  if (root['apiVersion'] !== 'batch/v1') r.errors.push(invalid('apiVersion', root['apiVersion'] ?? '', 'jobkit run accepts batch/v1 Jobs and CronJobs only'));
  const metadata: ReadCronJob['metadata'] = readObjectMeta(r, root);
  const specRaw = r.obj(root, 'spec', '');
  if (specRaw === undefined) r.errors.push(required('spec'));
  const s: Obj = specRaw ?? {};
  const templateRaw = r.obj(s, 'jobTemplate', 'spec');
  return {
    metadata,
    schedule: r.str(s, 'schedule', 'spec'),
    timeZone: r.str(s, 'timeZone', 'spec'),
    startingDeadlineSeconds: r.int(s, 'startingDeadlineSeconds', 'spec'),
    concurrencyPolicy: r.str(s, 'concurrencyPolicy', 'spec'),
    suspend: r.bool(s, 'suspend', 'spec'),
    successfulJobsHistoryLimit: r.int(s, 'successfulJobsHistoryLimit', 'spec'),
    failedJobsHistoryLimit: r.int(s, 'failedJobsHistoryLimit', 'spec'),
    jobTemplate: {
      metadata: (templateRaw === undefined ? undefined : r.obj(templateRaw, 'metadata', 'spec.jobTemplate')) ?? {},
      spec: templateRaw === undefined ? undefined : r.obj(templateRaw, 'spec', 'spec.jobTemplate'),
    },
    errors: r.errors,
  };
}

/** `validateScheduleFormat`: robfig's parse error, and the TZ rule (create: never; update: only if the old schedule had it, and not with timeZone). */
function scheduleErrors(schedule: string, timeZone: string | undefined, oldSchedule: string | undefined): FieldError[] {
  const errors: FieldError[] = [];
  try {
    parseCronSchedule(schedule, { defaultTimeZone: 'UTC' });
  } catch (err) {
    if (!(err instanceof CronScheduleError)) throw err;
    errors.push(invalid('spec.schedule', schedule, err.message));
  }
  const allowTz = oldSchedule !== undefined && oldSchedule.includes('TZ');
  if (allowTz && schedule.includes('TZ') && timeZone !== undefined) {
    errors.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTz && schedule.includes('TZ')) {
    errors.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errors;
}

/**
 * The template's errors as the Job it becomes: read, defaulted and validated
 * by the Job path (including what `jobkit run` cannot run: no command, a
 * suspended template), reported under `spec.jobTemplate`.
 */
function jobTemplateErrors(cron: ReadCronJob, random: SeededRandom, runnable: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const spec = cron.jobTemplate.spec;
  if (spec === undefined) return [required('spec.jobTemplate.spec')];
  const { selector, manualSelector, ...rest } = spec;
  if (selector !== undefined && selector !== null) errors.push(invalid('spec.jobTemplate.spec.selector', OMIT_VALUE, '`selector` will be auto-generated'));
  if (manualSelector === true) errors.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  // A name that is valid whenever the CronJob's is: the checks here are the spec's, not the name's.
  const probe = { apiVersion: 'batch/v1', kind: 'Job', metadata: { ...cron.jobTemplate.metadata, name: 'cronjob-29453761', namespace: 'default' }, spec: rest };
  try {
    loadJobManifest(probe, random, new Date(), { runnable });
  } catch (err) {
    if (!(err instanceof InvalidManifestError)) throw err;
    for (const e of err.fieldErrors) {
      if (e.field.startsWith('metadata.name') || e.field.startsWith('metadata.namespace')) continue;
      errors.push({ field: `spec.jobTemplate.${e.field}`, body: e.body });
    }
  }
  return errors;
}

/** Options of {@link loadCronJobManifest}. */
export interface LoadCronJobOptions {
  /** Seeds the CronJob's UID (and the probe Job's). */
  readonly random: SeededRandom;
  /** The CronJob's creationTimestamp (the emulator's clock at create). */
  readonly now: Date;
  /** The CronJob before this change: validates as an update (`ValidateCronJobUpdate`) instead of a create. */
  readonly previous?: CronJob;
  /** Also refuse a template `jobkit run` cannot run (no command, suspended). Default true. */
  readonly runnable?: boolean;
}

/**
 * Reads, defaults and validates a CronJob manifest as the API server would on
 * create (or, with `previous`, on update). Throws {@link InvalidManifestError}
 * (`CronJob.batch "name" is invalid: ...`) with Kubernetes field paths.
 *
 * @example
 * ```ts
 * const cronJob = loadCronJobManifest(readFileSync('cronjob.yaml', 'utf8'), { random: new SeededRandom(1), now: new Date() });
 * cronJob.spec.concurrencyPolicy; // 'Allow' unless the manifest says otherwise
 * ```
 */
export function loadCronJobManifest(manifest: string | object, options: LoadCronJobOptions): CronJob {
  let raw: unknown;
  try {
    raw = typeof manifest === 'string' ? parseManifestText(manifest) : manifest;
  } catch (err) {
    const message = (err as Error).message;
    throw new InvalidManifestError('', [invalid('<manifest>', OMIT_VALUE, message)], `error parsing the manifest: ${message}`, 'CronJob');
  }
  const read = readCronJobObject(raw);
  const errors = [...read.errors];
  const { metadata } = read;
  const previous = options.previous;
  if (metadata.namespace === '') metadata.namespace = previous?.metadata.namespace ?? 'default';

  // ValidateObjectMeta, then validateCronJobSpec in its order, then the create-only name length.
  if (metadata.name === '') errors.push(required('metadata.name', 'name or generateName is required'));
  else if (!DNS1123_SUBDOMAIN.test(metadata.name) || metadata.name.length > 253) errors.push(invalid('metadata.name', metadata.name, DNS1123_SUBDOMAIN_MESSAGE));
  for (const msg of dns1123LabelErrors(metadata.namespace)) errors.push(invalid('metadata.namespace', metadata.namespace, msg));
  if (previous !== undefined && metadata.name !== previous.metadata.name) errors.push(invalid('metadata.name', metadata.name, 'field is immutable'));

  const schedule = read.schedule ?? '';
  if (schedule === '') errors.push(required('spec.schedule'));
  else errors.push(...scheduleErrors(schedule, read.timeZone, previous?.spec.schedule));
  if (read.startingDeadlineSeconds !== undefined) errors.push(...nonNegative('spec.startingDeadlineSeconds', read.startingDeadlineSeconds));
  if (read.timeZone !== undefined && read.timeZone !== previous?.spec.timeZone) {
    const detail = timeZoneError(read.timeZone);
    if (detail !== undefined) errors.push(invalid('spec.timeZone', read.timeZone, detail));
  }
  const policy = read.concurrencyPolicy === undefined || read.concurrencyPolicy === '' ? CRONJOB_DEFAULTS.concurrencyPolicy : read.concurrencyPolicy;
  if (!(CONCURRENCY_POLICIES as readonly string[]).includes(policy)) errors.push(notSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));
  errors.push(...jobTemplateErrors(read, options.random, options.runnable ?? true));
  if (read.successfulJobsHistoryLimit !== undefined) errors.push(...nonNegative('spec.successfulJobsHistoryLimit', read.successfulJobsHistoryLimit));
  if (read.failedJobsHistoryLimit !== undefined) errors.push(...nonNegative('spec.failedJobsHistoryLimit', read.failedJobsHistoryLimit));
  if (previous === undefined && metadata.name.length > MAX_CRONJOB_NAME_LENGTH) {
    errors.push(invalid('metadata.name', metadata.name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  }
  if (errors.length > 0) throw new InvalidManifestError(metadata.name, errors, undefined, 'CronJob');

  const templateMeta: ObjectMeta = {};
  const tm = read.jobTemplate.metadata;
  if (isObj(tm['labels'])) templateMeta.labels = { ...(tm['labels'] as Record<string, string>) };
  if (isObj(tm['annotations'])) templateMeta.annotations = { ...(tm['annotations'] as Record<string, string>) };
  const cronJob: CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      ...metadata,
      uid: previous?.metadata.uid ?? options.random.uuid(),
      creationTimestamp: previous?.metadata.creationTimestamp ?? formatTime(options.now.getTime()),
    },
    spec: {
      schedule,
      ...(read.timeZone === undefined ? {} : { timeZone: read.timeZone }),
      ...(read.startingDeadlineSeconds === undefined ? {} : { startingDeadlineSeconds: read.startingDeadlineSeconds }),
      concurrencyPolicy: policy as ConcurrencyPolicy,
      suspend: read.suspend ?? CRONJOB_DEFAULTS.suspend,
      successfulJobsHistoryLimit: read.successfulJobsHistoryLimit ?? CRONJOB_DEFAULTS.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: read.failedJobsHistoryLimit ?? CRONJOB_DEFAULTS.failedJobsHistoryLimit,
      jobTemplate: { ...(Object.keys(templateMeta).length === 0 ? {} : { metadata: templateMeta }), spec: structuredClone(read.jobTemplate.spec ?? {}) as JobSpec },
    },
  };
  if (previous?.status !== undefined) cronJob.status = previous.status;
  return cronJob;
}

/**
 * Applies a JSON merge patch (RFC 7386) to a CronJob, as `kubectl patch
 * --type=merge` does, and validates the result as an update.
 *
 * @example
 * ```ts
 * const suspended = patchCronJob(cronJob, { spec: { suspend: true } }, random);
 * ```
 */
export function patchCronJob(cronJob: CronJob, patch: object, random: SeededRandom): CronJob {
  const { status: _status, ...object } = cronJob;
  const merged = mergePatch(structuredClone(object), patch);
  return loadCronJobManifest(merged as object, { random, now: new Date(cronJob.metadata.creationTimestamp), previous: cronJob });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
