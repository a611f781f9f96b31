/**
 * `jobkit/local`: the local Job controller emulator (`jobkit run`) and the
 * Job manifest generator (`jobkit manifest`), for use from code and tests.
 *
 * @example
 * ```ts
 * import { generateJobManifest, parseChaosSpec, runLocalJob } from 'jobkit/local';
 * const job = generateJobManifest({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], completions: 4 });
 * const result = await runLocalJob({ manifest: job, backoffScale: 0.01, chaos: parseChaosSpec('preempt=1') });
 * ```
 */
export { type AppliedChaos, type ChaosSpec, parseChaosSpec } from './chaos.ts';
export { type LocalJobResult, type RunLocalJobOptions, loadJobManifest, runLocalJob } from './emulator.ts';
export { InvalidManifestError } from './errors.ts';
export { type FieldError, formatInvalidJob } from './field-errors.ts';
export { type ManifestOptions, generateJobManifest, podFailurePolicyForExitCodes } from './manifest-generator.ts';
export type { PodRunnerSink } from './pod-runner.ts';
export type { Job, JobCondition, JobSpec, JobStatus, PodFailurePolicy, PodFailurePolicyRule, SuccessPolicy } from './types.ts';
