/** The interruption-notice settings: env and code forms, `auto`, endpoints, and refusals naming the variable. */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../src/runtime/errors.ts';
import { resolveInterruptionSettings } from '../../../../src/runtime/interruption/config.ts';
import { DEFAULT_POLL_SECONDS } from '../../../../src/runtime/interruption/constants.ts';

describe('resolveInterruptionSettings', () => {
  it('defaults: auto, off on Kubernetes and locally, poll every 5 s, rebalance only logged', () => {
    for (const platform of ['kubernetes', 'local', 'cloud-run', 'slurm'] as const) {
      const settings = resolveInterruptionSettings({}, platform);
      expect(settings.provider).toBeUndefined();
      expect(settings.because).toContain(`platform ${platform}`);
    }
    const settings = resolveInterruptionSettings({ JOBKIT_INTERRUPTION_NOTICE: 'aws' }, 'kubernetes');
    expect(settings).toMatchObject({ provider: 'aws', pollMs: DEFAULT_POLL_SECONDS * 1000, stopOnRebalance: false, requestTimeoutMs: 2_000 });
    expect(settings.endpoint?.href).toBe('http://169.254.169.254/');
  });

  it('auto: AWS on AWS Batch (not on Fargate, not with IMDS disabled), GCE on Cloud Batch', () => {
    expect(resolveInterruptionSettings({}, 'aws-batch').provider).toBe('aws');
    expect(resolveInterruptionSettings({ AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }, 'aws-batch').provider).toBeUndefined();
    expect(resolveInterruptionSettings({ AWS_EC2_METADATA_DISABLED: 'TRUE' }, 'aws-batch').provider).toBeUndefined();
    expect(resolveInterruptionSettings({}, 'cloud-batch')).toMatchObject({ provider: 'gce', because: 'auto: platform cloud-batch' });
    expect(resolveInterruptionSettings({ JOBKIT_INTERRUPTION_NOTICE: 'off' }, 'aws-batch').provider).toBeUndefined();
  });

  it('endpoints: the AWS SDK variable, GCE_METADATA_HOST as a host[:port], jobkit\'s own for Azure', () => {
    const env = {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[fd00:ec2::254]',
      GCE_METADATA_HOST: '10.0.0.9:8080',
      JOBKIT_INTERRUPTION_AZURE_ENDPOINT: 'http://127.0.0.1:9999',
    };
    expect(resolveInterruptionSettings({ ...env, JOBKIT_INTERRUPTION_NOTICE: 'aws' }, 'local').endpoint?.href).toBe('http://[fd00:ec2::254]/');
    expect(resolveInterruptionSettings({ ...env, JOBKIT_INTERRUPTION_NOTICE: 'gce' }, 'local').endpoint?.href).toBe('http://10.0.0.9:8080/');
    expect(resolveInterruptionSettings({ JOBKIT_INTERRUPTION_NOTICE: 'gce' }, 'local').endpoint?.href).toBe('http://metadata.google.internal/');
    expect(resolveInterruptionSettings({ ...env, JOBKIT_INTERRUPTION_NOTICE: 'azure' }, 'local')).toMatchObject({ requestTimeoutMs: 10_000 });
  });

  it('code wins over env', () => {
    const settings = resolveInterruptionSettings(
      { JOBKIT_INTERRUPTION_NOTICE: 'off', JOBKIT_INTERRUPTION_POLL_SECONDS: '9', JOBKIT_INTERRUPTION_REBALANCE: 'log' },
      'local',
      { provider: 'azure', pollSeconds: 0.5, stopOnRebalance: true, endpoint: 'http://127.0.0.1:1234' },
    );
    expect(settings).toMatchObject({ provider: 'azure', pollMs: 500, stopOnRebalance: true, because: 'option interruptionNotice.provider=azure' });
    expect(settings.endpoint?.href).toBe('http://127.0.0.1:1234/');
    expect(resolveInterruptionSettings({ JOBKIT_INTERRUPTION_REBALANCE: 'STOP' }, 'local').stopOnRebalance).toBe(true);
  });

  it.each([
    [{ JOBKIT_INTERRUPTION_NOTICE: 'ec2' }, 'JOBKIT_INTERRUPTION_NOTICE must be one of auto, aws, gce, azure, off, got "ec2"'],
    [{ JOBKIT_INTERRUPTION_POLL_SECONDS: '0' }, 'JOBKIT_INTERRUPTION_POLL_SECONDS must be a number >= 0.05 and <= 60, got "0"'],
    [{ JOBKIT_INTERRUPTION_POLL_SECONDS: '5s' }, 'JOBKIT_INTERRUPTION_POLL_SECONDS must be a number >= 0.05 and <= 60, got "5s"'],
    [{ JOBKIT_INTERRUPTION_POLL_SECONDS: '120' }, 'JOBKIT_INTERRUPTION_POLL_SECONDS must be a number >= 0.05 and <= 60, got "120"'],
    [{ JOBKIT_INTERRUPTION_REBALANCE: 'yes' }, 'JOBKIT_INTERRUPTION_REBALANCE must be one of stop, log, got "yes"'],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'ftp://x' }, 'AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http:// or https:// URL without credentials, query or fragment, got "ftp://x/"'],
    [{ JOBKIT_INTERRUPTION_AZURE_ENDPOINT: 'not a url' }, 'JOBKIT_INTERRUPTION_AZURE_ENDPOINT must be an http:// or https:// URL, got "not a url"'],
    [{ GCE_METADATA_HOST: 'user:pw@metadata' }, 'GCE_METADATA_HOST must be an http:// or https:// URL without credentials, query or fragment, got "http://metadata/"'],
  ])('refuses %j with a ConfigurationError naming the variable', (env, message) => {
    // Every variable is checked whichever provider is on: a bad value is a mistake in the manifest.
    expect(() => resolveInterruptionSettings(env, 'local')).toThrow(ConfigurationError);
    expect(() => resolveInterruptionSettings(env, 'local')).toThrow(message);
  });

  it('refuses bad code options naming the option', () => {
    expect(() => resolveInterruptionSettings({}, 'local', { pollSeconds: 0 })).toThrow('option interruptionNotice.pollSeconds must be a number >= 0.05 and <= 60, got "0"');
    // @ts-expect-error: untyped code can pass any string
    expect(() => resolveInterruptionSettings({}, 'local', { provider: 'ec2' })).toThrow(`option interruptionNotice.provider must be one of 'auto', 'aws', 'gce', 'azure', 'off', got "ec2"`);
  });
});
