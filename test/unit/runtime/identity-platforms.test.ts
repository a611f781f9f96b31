/**
 * Identity on Argo Workflows and JobSet, from the variables a pod really has:
 * what the Argo controller injects into a main container (v3.7
 * workflow/controller/workflowpod.go: ARGO_CONTAINER_NAME, ARGO_NODE_ID,
 * ARGO_INCLUDE_SCRIPT_OUTPUT, ARGO_DEADLINE) plus what `jobkit manifest
 * --platform argo` passes; and what `--platform jobset` passes from the labels
 * the JobSet controller sets on its pods.
 */
import { describe, expect, it } from 'vitest';
import { detectPlatform, resolveIdentity } from '../../../src/runtime/identity.ts';
import { generateArgoWorkflow } from '../../../src/local/platforms/argo.ts';
import { generateJobSet } from '../../../src/local/platforms/jobset.ts';

/** A main container of an Argo pod: the controller's variables only. */
const ARGO_NATIVE = {
  ARGO_CONTAINER_NAME: 'main',
  ARGO_NODE_ID: 'etl-x7k2p-1234567890',
  ARGO_INCLUDE_SCRIPT_OUTPUT: 'false',
  ARGO_DEADLINE: '0001-01-01T00:00:00Z',
  HOSTNAME: 'etl-x7k2p-work-1234567890',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
};

/** What the generated Workflow adds, after Argo substituted {{workflow.name}}, {{retries}} and the item. */
const ARGO_GENERATED = {
  ...ARGO_NATIVE,
  JOBKIT_JOB_NAME: 'etl-x7k2p',
  JOBKIT_NAMESPACE: 'data',
  JOBKIT_POD_NAME: 'etl-x7k2p-work-1234567890',
  JOBKIT_ATTEMPT: '2',
  JOBKIT_INDEX: '3',
  JOBKIT_COUNT: '4',
};

/** A JobSet pod: an Indexed Job pod plus the label values the generated template exposes. */
const JOBSET = {
  JOB_COMPLETION_INDEX: '1',
  HOSTNAME: 'train-work-0-1',
  JOBSET_NAME: 'train',
  JOBSET_RESTART_ATTEMPT: '0',
  JOBKIT_JOB_NAME: 'train',
  JOBKIT_COUNT: '4',
  JOBKIT_NAMESPACE: 'ml',
  JOBKIT_POD_NAME: 'train-work-0-1-abcde',
  JOBKIT_ATTEMPT: '1',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
};

describe('Argo Workflows identity', () => {
  it('is detected by ARGO_NODE_ID before the generic Kubernetes markers', () => {
    expect(detectPlatform(ARGO_NATIVE)).toBe('argo');
  });

  it('reads the workflow name from the node id and the pod from the hostname when nothing else is set', () => {
    expect(resolveIdentity(ARGO_NATIVE)).toMatchObject({ platform: 'argo', jobName: 'etl-x7k2p', podName: 'etl-x7k2p-work-1234567890', index: 0, count: 1 });
    // The root node of a single-template workflow has the workflow's name as its id.
    expect(resolveIdentity({ ARGO_NODE_ID: 'etl-x7k2p' }).jobName).toBe('etl-x7k2p');
  });

  it('takes index, count and attempt from the variables the generated Workflow passes', () => {
    expect(resolveIdentity(ARGO_GENERATED)).toMatchObject({ platform: 'argo', jobName: 'etl-x7k2p', namespace: 'data', index: 3, count: 4, attempt: 2 });
  });

  it('the generated Workflow passes exactly those variables', () => {
    const wf = generateArgoWorkflow({ name: 'etl', image: 'acme/etl:1', completions: 4 });
    const work = wf.spec.templates.find((t) => t.name === 'work') as unknown as { container: { env: Array<{ name: string; value?: string }> } };
    const env = Object.fromEntries(work.container.env.map((e) => [e.name, e.value ?? 'fieldRef']));
    expect(env).toMatchObject({
      JOBKIT_JOB_NAME: '{{workflow.name}}',
      JOBKIT_NAMESPACE: 'fieldRef',
      JOBKIT_POD_NAME: 'fieldRef',
      JOBKIT_ATTEMPT: '{{retries}}',
      JOBKIT_INDEX: '{{inputs.parameters.index}}',
      JOBKIT_COUNT: '4',
    });
  });
});

describe('JobSet identity', () => {
  it('is detected by JOBSET_NAME, before the Indexed Job marker', () => {
    expect(detectPlatform(JOBSET)).toBe('jobset');
    expect(detectPlatform({ JOB_COMPLETION_INDEX: '1' })).toBe('kubernetes');
  });

  it('the job is the JobSet, the index the completion index of its Job', () => {
    expect(resolveIdentity(JOBSET)).toMatchObject({ platform: 'jobset', jobName: 'train', namespace: 'ml', index: 1, count: 4, attempt: 1 });
    // Without JOBKIT_JOB_NAME the JobSet's name still wins over the Job's hostname.
    const { JOBKIT_JOB_NAME: _name, ...bare } = JOBSET;
    expect(resolveIdentity(bare).jobName).toBe('train');
  });

  it('the generated template sets JOBSET_NAME and JOBKIT_JOB_NAME from the JobSet labels', () => {
    const js = generateJobSet({ name: 'train', image: 'acme/train:1', completions: 4 });
    const env = js.spec.replicatedJobs[0]?.template.spec.template.spec.containers[0]?.env ?? [];
    const path = (name: string): string | undefined => env.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    expect(path('JOBSET_NAME')).toBe("metadata.labels['jobset.sigs.k8s.io/jobset-name']");
    expect(path('JOBKIT_JOB_NAME')).toBe("metadata.labels['jobset.sigs.k8s.io/jobset-name']");
    expect(path('JOBSET_RESTART_ATTEMPT')).toBe("metadata.labels['jobset.sigs.k8s.io/restart-attempt']");
  });
});
