/**
 * `job.secrets`: the secret volume reader bound to the job, its directory
 * from the option or JOBKIT_SECRETS_DIR, every value it reads registered
 * with the logger's value redaction.
 */
import { type Env, readString } from '../runtime/config.ts';
import { DEFAULT_SECRETS_DIR, SecretsVolume, type SecretsVolumeOptions } from '../runtime/secrets-volume.ts';
import type { SecretValues } from '../telemetry/secret-values.ts';

/**
 * The job's secrets volume.
 *
 * @example
 * ```ts
 * const secrets = createJobSecrets(process.env, { dir: '/var/run/secrets/api' }, secretValues);
 * const token = await secrets.get('token');
 * ```
 */
export function createJobSecrets(env: Env, options: Omit<SecretsVolumeOptions, 'onValue'> = {}, secretValues?: SecretValues): SecretsVolume {
  const dir = options.dir ?? readString(env, 'JOBKIT_SECRETS_DIR') ?? DEFAULT_SECRETS_DIR;
  return new SecretsVolume({
    ...options,
    dir,
    ...(secretValues === undefined ? {} : { onValue: (value: string) => secretValues.add(value) }),
  });
}
