/**
 * `jobkit manifest --platform <p>`: the retry configuration of each platform,
 * from the one exit-code table (src/runtime/exit-codes.ts).
 */
import { generateJobManifest } from '../manifest-generator.ts';
import { generateArgoWorkflow } from './argo.ts';
import { generateAwsBatchJobDefinition } from './aws-batch.ts';
import { generateCloudBatchJob } from './cloud-batch.ts';
import { generateJobSet } from './jobset.ts';
import { type ManifestPlatform, type PlatformManifestOptions, refuseOptions } from './options.ts';

/**
 * The manifest (or API input) of a jobkit program for a platform. Throws a
 * ConfigurationError naming the option when one has no place on the platform.
 *
 * @example
 * ```ts
 * const def = generatePlatformManifest('aws-batch', { name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'] });
 * ```
 */
export function generatePlatformManifest(platform: ManifestPlatform, options: PlatformManifestOptions): object {
  switch (platform) {
    case 'kubernetes': {
      refuseOptions('kubernetes', options, { maxRestarts: 'it is a JobSet setting' });
      const { maxRestarts: _maxRestarts, ...rest } = options;
      return generateJobManifest(rest);
    }
    case 'aws-batch':
      return generateAwsBatchJobDefinition(options);
    case 'cloud-batch':
      return generateCloudBatchJob(options);
    case 'argo':
      return generateArgoWorkflow(options);
    case 'jobset':
      return generateJobSet(options);
  }
}

export { type ArgoTemplate, type ArgoWorkflow, argoRetryExpression, generateArgoWorkflow } from './argo.ts';
export { type AwsBatchEvaluateOnExit, type AwsBatchJobDefinition, awsBatchEvaluateOnExit, generateAwsBatchJobDefinition } from './aws-batch.ts';
export { type CloudBatchJob, type CloudBatchLifecyclePolicy, cloudBatchLifecyclePolicies, generateCloudBatchJob } from './cloud-batch.ts';
export { type JobSet, type JobSetFailurePolicyRule, generateJobSet } from './jobset.ts';
export { MANIFEST_PLATFORMS, type ManifestPlatform, type PlatformManifestOptions } from './options.ts';
