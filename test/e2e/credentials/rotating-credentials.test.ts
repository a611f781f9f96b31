/**
 * The S3 store across credential expiry, in a real job process, against real
 * loopback servers (test/support/credential-servers.ts) in front of moto:
 * keys expire for real (the S3 proxy refuses them with ExpiredToken, as S3
 * does), the container credentials endpoint and STS check the token the pod
 * presents, and the test rotates the token file while the job runs for
 * several expiry periods. Also the failures: endpoint down (75), token file
 * gone (78), STS refusing the token (78); and no key, session token or
 * identity token in anything the child prints.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeyLedger,
  type LoopbackServer,
  RotatingToken,
  startContainerCredentialsServer,
  startS3AuthProxy,
  startStsProxy,
} from '../../support/credential-servers.ts';
import { type ChildResult, cleanEnv, runChild } from '../telemetry/child.ts';

const FIXTURE = new URL('./fixtures/rotating-job.ts', import.meta.url).pathname;
const MOTO = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const LIFETIME_MS = 3_000;
const RUN_MS = 9_000;

let dir: string;
const servers: LoopbackServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobkit-creds-'));
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A child env with no credentials but those of the source under test. */
function podEnv(s3Endpoint: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = cleanEnv({
    JOBKIT_JOB_NAME: `creds-${randomUUID().slice(0, 8)}`,
    JOBKIT_STORE: `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/creds-${randomUUID()}`,
    JOBKIT_S3_ENDPOINT: s3Endpoint,
    JOBKIT_LOG_LEVEL: 'info',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    RUN_MS: String(RUN_MS),
    ...extra,
  });
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3']) delete env[k];
  return env;
}

function expectNothingPrinted(result: ChildResult, secrets: readonly string[]): void {
  const text = JSON.stringify(result.lines) + result.stderr;
  for (const s of secrets) expect(text).not.toContain(s);
}

async function rotateWhile<T>(token: RotatingToken, everyMs: number, run: Promise<T>): Promise<T> {
  const timer = setInterval(() => void token.rotate(), everyMs);
  try {
    return await run;
  } finally {
    clearInterval(timer);
  }
}

async function podIdentity(options: { revokeAfterMs?: number } = {}): Promise<{ ledger: KeyLedger; token: RotatingToken; s3: string; uri: string; secrets: string[]; served: { ok: number; refused: number }; agent: LoopbackServer }> {
  const ledger = new KeyLedger();
  const token = new RotatingToken(join(dir, `pod-identity-${randomUUID()}`), 'eks-pod-identity');
  await token.rotate();
  const agent = await startContainerCredentialsServer({ ledger, lifetimeMs: LIFETIME_MS, isValidToken: token.isValid, ...options });
  const s3 = await startS3AuthProxy(MOTO, ledger);
  servers.push(agent, s3);
  return { ledger, token, s3: s3.endpoint, uri: agent.uri, secrets: agent.secrets, served: agent.served, agent };
}

describe('S3 credentials that rotate: EKS Pod Identity (container credentials endpoint)', () => {
  it('a job runs through three expiry periods while the token file rotates: refreshed before expiry, no request refused', async () => {
    const pod = await podIdentity();
    const env = podEnv(pod.s3, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.token.file });
    const result = await rotateWhile(pod.token, 1_000, runChild(FIXTURE, env));
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-5))).toBe(0);
    const rounds = result.lines.find((l) => l.msg === 'rotation rounds done')?.rounds as number;
    console.info(`pod identity: ${rounds} rounds, ${pod.ledger.issued} keys issued, ${pod.served.refused} token refusals, ${pod.ledger.expiredRejections} ExpiredToken`);
    expect(rounds).toBeGreaterThan(5);
    expect(pod.ledger.issued).toBeGreaterThanOrEqual(RUN_MS / LIFETIME_MS);
    expect(pod.token.all.length).toBeGreaterThanOrEqual(5);
    expect(pod.ledger.expiredRejections).toBe(0);
    expect(pod.ledger.unknownRejections).toBe(0);
    expectNothingPrinted(result, [...pod.secrets, ...pod.token.all]);
  });

  it('keys revoked before their stated expiry: S3 answers ExpiredToken, the store refreshes once and retries, every checkpoint and write succeeds', async () => {
    const pod = await podIdentity({ revokeAfterMs: 700 });
    const env = podEnv(pod.s3, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.token.file, RUN_MS: '6000' });
    const result = await rotateWhile(pod.token, 1_000, runChild(FIXTURE, env));
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-5))).toBe(0);
    console.info(`early revocation: ${pod.ledger.expiredRejections} ExpiredToken answers, ${pod.ledger.issued} keys issued`);
    expect(pod.ledger.expiredRejections).toBeGreaterThan(0);
    expect(pod.ledger.issued).toBeGreaterThan(pod.ledger.expiredRejections / 2);
    expectNothingPrinted(result, [...pod.secrets, ...pod.token.all]);
  });

  it('the endpoint down: retryable (75), the message names the source and no secret', async () => {
    const pod = await podIdentity();
    await pod.agent.close();
    const env = podEnv(pod.s3, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.token.file, RUN_MS: '500' });
    const result = await runChild(FIXTURE, env);
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-3))).toBe(75);
    expect(JSON.stringify(result.lines)).toContain('S3 credentials could not be fetched');
    expectNothingPrinted(result, pod.token.all);
  });

  it('the token refused (revoked): configuration (78)', async () => {
    const pod = await podIdentity();
    pod.token.revokeAll();
    const env = podEnv(pod.s3, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.token.file, RUN_MS: '500' });
    const result = await runChild(FIXTURE, env);
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-3))).toBe(78);
    expect(JSON.stringify(result.lines)).toContain('S3 credentials were refused or are missing');
    expectNothingPrinted(result, pod.token.all);
  });

  it('the token file gone: configuration (78)', async () => {
    const pod = await podIdentity();
    await rm(pod.token.file);
    const env = podEnv(pod.s3, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.token.file, RUN_MS: '500' });
    const result = await runChild(FIXTURE, env);
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-3))).toBe(78);
  });
});

describe('S3 credentials that rotate: EKS IRSA (web identity token file, STS)', () => {
  async function irsa(): Promise<{ ledger: KeyLedger; token: RotatingToken; env: NodeJS.ProcessEnv; secrets: string[]; served: { ok: number; refused: number } }> {
    const ledger = new KeyLedger();
    const token = new RotatingToken(join(dir, `irsa-${randomUUID()}`), 'eyJhbGciOiJSUzI1NiJ9.irsa');
    await token.rotate();
    const sts = await startStsProxy(MOTO, { ledger, lifetimeMs: LIFETIME_MS, isValidToken: token.isValid });
    const s3 = await startS3AuthProxy(MOTO, ledger);
    servers.push(sts, s3);
    const env = podEnv(s3.endpoint, {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/jobkit-job',
      AWS_WEB_IDENTITY_TOKEN_FILE: token.file,
      AWS_ROLE_SESSION_NAME: 'jobkit-test',
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    });
    return { ledger, token, env, secrets: sts.secrets, served: sts.served };
  }

  it('a job runs through three expiry periods while the token file rotates', async () => {
    const pod = await irsa();
    const result = await rotateWhile(pod.token, 1_000, runChild(FIXTURE, pod.env));
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-5))).toBe(0);
    console.info(`irsa: ${pod.ledger.issued} keys issued, ${pod.served.refused} token refusals, ${pod.ledger.expiredRejections} ExpiredToken`);
    expect(pod.ledger.issued).toBeGreaterThanOrEqual(RUN_MS / LIFETIME_MS);
    expect(pod.ledger.expiredRejections).toBe(0);
    expect(pod.ledger.unknownRejections).toBe(0);
    expectNothingPrinted(result, [...pod.secrets, ...pod.token.all]);
  });

  it('STS refuses the token: configuration (78), no token printed', async () => {
    const pod = await irsa();
    pod.token.revokeAll();
    const result = await runChild(FIXTURE, { ...pod.env, RUN_MS: '500' });
    expect(result.code, result.stderr + JSON.stringify(result.lines.slice(-3))).toBe(78);
    expect(JSON.stringify(result.lines)).toContain('InvalidIdentityToken');
    expectNothingPrinted(result, pod.token.all);
  });
});
