/**
 * The three metadata sources against loopback servers that speak each API
 * (test/support/metadata-servers.ts): nothing before the notice, the notice
 * after; IMDSv2's token handshake; GCE's long-poll; Azure's events document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsSource } from '../../../../src/runtime/interruption/aws.ts';
import { createAzureSource, parseScheduledEvents } from '../../../../src/runtime/interruption/azure.ts';
import { createGceSource } from '../../../../src/runtime/interruption/gce.ts';
import {
  type MetadataServer,
  startAzureMetadataServer,
  startGceMetadataServer,
  startImdsServer,
} from '../../../support/metadata-servers.ts';

const servers: MetadataServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const track = <T extends MetadataServer>(server: T): T => {
  servers.push(server);
  return server;
};
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

describe('AWS IMDSv2', () => {
  it('the server refuses a GET without a token (401) and a token request without a TTL (400)', async () => {
    const imds = track(await startImdsServer());
    expect((await fetch(`${imds.url}/latest/meta-data/spot/instance-action`)).status).toBe(401);
    expect((await fetch(`${imds.url}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
  });

  it('takes a token once, then reads 404 (nothing) until the notice, then {action, time}', async () => {
    const imds = track(await startImdsServer());
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 2_000, rebalance: false });
    expect(await aws.check(signal())).toEqual([]);
    expect(await aws.check(signal())).toEqual([]);
    imds.interrupt('stop', new Date('2026-03-01T10:02:00Z'));
    expect(await aws.check(signal())).toEqual([
      { provider: 'aws', kind: 'preemption', action: 'stop', time: new Date('2026-03-01T10:02:00Z'), source: '/latest/meta-data/spot/instance-action' },
    ]);
    expect(imds.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(imds.requests.find((r) => r.method === 'PUT')?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
    expect(imds.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([404, 404, 200]);
  });

  it('takes a new token after a 401 (revoked or expired) and goes on', async () => {
    const imds = track(await startImdsServer());
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 2_000, rebalance: false });
    await aws.check(signal());
    imds.revokeTokens();
    expect(await aws.check(signal())).toEqual([]);
    expect(imds.tokens).toHaveLength(2);
    expect(imds.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 200', 'GET 404', 'GET 401', 'PUT 200', 'GET 404']);
  });

  it('renews the token before its TTL ends', async () => {
    const imds = track(await startImdsServer());
    let now = 1_000_000;
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 2_000, rebalance: false, now: () => now });
    await aws.check(signal());
    now += 21_600_000 - 30_000;
    await aws.check(signal());
    expect(imds.tokens).toHaveLength(2);
  });

  it('reads the rebalance recommendation as an advisory notice', async () => {
    const imds = track(await startImdsServer());
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 2_000, rebalance: true });
    expect(await aws.check(signal())).toEqual([]);
    imds.recommendRebalance(new Date('2026-03-01T09:00:00Z'));
    expect(await aws.check(signal())).toMatchObject([{ kind: 'rebalance', time: new Date('2026-03-01T09:00:00Z') }]);
  });

  it('a failing service is an error naming the path and status, never the token', async () => {
    const imds = track(await startImdsServer());
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 2_000, rebalance: false });
    await aws.check(signal());
    imds.mode = 'fail';
    const error = await aws.check(signal()).catch((e: unknown) => e);
    expect(String(error)).toContain('HTTP 500');
    for (const token of imds.tokens) expect(String(error)).not.toContain(token);
  });

  it('a service that never answers times out', async () => {
    const imds = track(await startImdsServer());
    imds.mode = 'hang';
    const aws = createAwsSource({ endpoint: new URL(imds.url), timeoutMs: 200, rebalance: false });
    await expect(aws.check(signal())).rejects.toThrow(/no answer .* within 200 ms/);
  });
});

describe('GCE metadata', () => {
  it('sends Metadata-Flavor: Google, reads FALSE, then long-polls with wait_for_change and last_etag until TRUE', async () => {
    const gce = track(await startGceMetadataServer());
    const source = createGceSource({ endpoint: new URL(gce.url), timeoutMs: 2_000 });
    expect(await source.check(signal())).toEqual([]);
    const waiting = source.check(signal());
    await expect.poll(() => gce.waiting()).toBe(1);
    gce.preempt();
    expect(await waiting).toEqual([{ provider: 'gce', kind: 'preemption', action: 'TRUE', time: undefined, source: '/computeMetadata/v1/instance/preempted' }]);
    const [first, second] = gce.requests;
    expect(first?.headers['metadata-flavor']).toBe('Google');
    expect(first?.query.get('wait_for_change')).toBeNull();
    expect(second?.query.get('wait_for_change')).toBe('true');
    expect(second?.query.get('last_etag')).toBe('1c9f3a7e2d4b8f60');
  });

  it('a held long-poll that ends unchanged (timeout_sec) reads nothing', async () => {
    const gce = track(await startGceMetadataServer());
    const source = createGceSource({ endpoint: new URL(gce.url), timeoutMs: 2_000, waitSeconds: 0.2 });
    await source.check(signal());
    expect(await source.check(signal())).toEqual([]);
  });

  it('an abort ends a held long-poll at once', async () => {
    const gce = track(await startGceMetadataServer());
    const source = createGceSource({ endpoint: new URL(gce.url), timeoutMs: 2_000 });
    await source.check(signal());
    const controller = new AbortController();
    const waiting = source.check(controller.signal);
    await expect.poll(() => gce.waiting()).toBe(1);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });

  it('an answer without Metadata-Flavor is not a metadata server', async () => {
    const imds = track(await startImdsServer());
    const source = createGceSource({ endpoint: new URL(imds.url), timeoutMs: 2_000 });
    await expect(source.check(signal())).rejects.toThrow(/HTTP 401|Metadata-Flavor/);
  });
});

describe('Azure scheduled events', () => {
  it('reads this VM name, then nothing until a Preempt event names it', async () => {
    const azure = track(await startAzureMetadataServer('vm-7'));
    const source = createAzureSource({ endpoint: new URL(azure.url), timeoutMs: 2_000 });
    expect(await source.check(signal())).toEqual([]);
    azure.schedule('Reboot', ['vm-7']);
    azure.schedule('Preempt', ['vm-3']);
    expect(await source.check(signal())).toEqual([]);
    const at = new Date('2026-03-01T10:00:30Z');
    azure.schedule('Preempt', ['vm-3', 'VM-7'], at);
    expect(await source.check(signal())).toEqual([{ provider: 'azure', kind: 'preemption', action: 'Preempt', time: at, source: '/metadata/scheduledevents' }]);
    for (const r of azure.requests) expect(r.headers.metadata).toBe('true');
    expect(azure.requests.filter((r) => r.path === '/metadata/scheduledevents').map((r) => r.query.get('api-version'))).toEqual(['2020-07-01', '2020-07-01', '2020-07-01']);
    expect(azure.requests.filter((r) => r.path === '/metadata/instance/compute/name')).toHaveLength(1);
  });

  it('Terminate is a termination; an event without Resources applies to every VM', () => {
    const body = JSON.stringify({ DocumentIncarnation: 2, Events: [{ EventType: 'Terminate', Resources: [], NotBefore: '' }] });
    expect(parseScheduledEvents(body, 'vm-1')).toMatchObject([{ kind: 'termination', action: 'Terminate', time: undefined }]);
    expect(parseScheduledEvents('not json', 'vm-1')).toEqual([]);
  });
});
