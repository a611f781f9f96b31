/**
 * Every credential-bearing variable set to values holding `/`, `#`, `?`, `%`
 * and `@`; a real job process provokes the error paths (a store that rejects
 * the signature and echoes the key id and token, a thrown error whose causes
 * carry credentials, process.env logged, metrics pushed to the real
 * Pushgateway with basic auth in its URL). Nothing it prints, and nothing
 * the gateway holds, may contain any of the secrets.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayUrl } from '../../integration/telemetry/gateway.ts';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';
import { cleanEnv, runChild } from '../telemetry/child.ts';

const FIXTURE = new URL('./fixtures/secret-job.ts', import.meta.url).pathname;
const SECRETS = {
  accessKeyId: 'ASIAJOBKITSECRETKEY1',
  secretAccessKey: 'wJalr/XUtn#FEMI?K7%MDENG@bPxRfiCYzz',
  sessionToken: 'FQoGZXIvYXdz/Token#With?Specials%40@End',
  gatewayPassword: 'pg/pa#ss?wo%rd',
  otlpHeader: 'Bearer-otlp/se#cr?et',
};
const SECRET_VALUES = [...Object.values(SECRETS), SECRETS.gatewayPassword.replaceAll('%', '%25')];

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(process.env.JOBKIT_TEST_S3_ENDPOINT!, () => 'signature-does-not-match');
});
afterAll(async () => {
  await proxy.close();
});

function secretEnv(jobName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const gateway = new URL(gatewayUrl());
  return cleanEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_NAMESPACE: 'secrets',
    JOBKIT_STORE: `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/secrets-${randomUUID()}`,
    JOBKIT_S3_ENDPOINT: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: SECRETS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SECRETS.secretAccessKey,
    AWS_SESSION_TOKEN: SECRETS.sessionToken,
    // Written as a user pastes it: unescaped but for % (a bare % is refused with 78, docs/configuration.md).
    JOBKIT_PUSHGATEWAY_URL: `${gateway.protocol}//jobs:${SECRETS.gatewayPassword.replaceAll('%', '%25')}@${gateway.host}`,
    OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRETS.otlpHeader}`,
    ...extra,
  });
}

function expectNoSecret(text: string): void {
  for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
  // Nor the larger pieces around a special character.
  for (const secret of SECRET_VALUES) for (const piece of secret.split(/[/#?%@]/).filter((p) => p.length >= 6)) expect(text).not.toContain(piece);
}

async function gatewayText(): Promise<string> {
  return await (await fetch(`${gatewayUrl()}/metrics`)).text();
}

describe('secrets never printed or pushed', () => {
  it('a store that rejects the signature: exit 78, and no secret in the output or at the gateway', async () => {
    const jobName = `secrets-${randomUUID().slice(0, 8)}`;
    const result = await runChild(FIXTURE, secretEnv(jobName, { SECRETS_MODE: 'store' }));
    expect(result.code, result.stderr).toBe(78);
    expect(proxy.injected.get('signature-does-not-match')).toBeGreaterThan(0);
    expectNoSecret(JSON.stringify(result.lines) + result.stderr);
    const metrics = await gatewayText();
    expect(metrics).toContain(jobName);
    expectNoSecret(metrics);
  });

  it('an error whose causes carry credentials: exit 70, and the fatal line shows none of them', async () => {
    const jobName = `secrets-${randomUUID().slice(0, 8)}`;
    const result = await runChild(FIXTURE, secretEnv(jobName, { SECRETS_MODE: 'throw' }));
    expect(result.code, result.stderr).toBe(70);
    const text = JSON.stringify(result.lines) + result.stderr;
    expect(text).toContain('all uploads failed');
    expectNoSecret(text);
  });

  it('credentials written into JOBKIT_STORE: exit 78 before main, naming the variable, not the secret', async () => {
    const jobName = `secrets-${randomUUID().slice(0, 8)}`;
    const env = secretEnv(jobName, {
      SECRETS_MODE: 'store',
      JOBKIT_STORE: `s3://${SECRETS.accessKeyId}:${SECRETS.secretAccessKey}@${process.env.JOBKIT_TEST_S3_BUCKET}/p`,
    });
    const result = await runChild(FIXTURE, env);
    expect(result.code, result.stderr).toBe(78);
    const text = JSON.stringify(result.lines) + result.stderr;
    expect(text).toContain('JOBKIT_STORE');
    expect(text).not.toContain('environment at start');
    expectNoSecret(text);
  });
});
