/**
 * `jobkit pushgateway gc` against a real Pushgateway of its own (the shared
 * test gateway serves other tests): old groups listed in a dry run, deleted
 * with --yes, recent ones and other tools' groups kept, grouping values that
 * need the @base64 path form deleted too, credentials never printed. The
 * tests run in order on one gateway.
 */
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStaleGroups, listPushedGroups } from '../../../src/telemetry/pushgateway-gc.ts';
import { groupingPath } from '../../../src/telemetry/pushgateway.ts';
import { type CliResult, cli as runCli } from '../../e2e/emulator/harness.ts';
import { type TestPushgateway, startTestPushgateway } from '../../setup/services.ts';

/** `jobkit pushgateway <args>` through the emulator tests' CLI runner. */
async function cli(args: readonly string[]): Promise<CliResult> {
  return await runCli(['pushgateway', ...args]);
}

let gateway: TestPushgateway;
beforeAll(async () => {
  gateway = await startTestPushgateway();
});
afterAll(async () => {
  await gateway.stop();
});

async function push(grouping: Array<[string, string]>, body: string): Promise<void> {
  const res = await fetch(`${gateway.url}${groupingPath(grouping)}`, { method: 'PUT', body });
  expect(res.status, await res.text()).toBe(200);
}

async function jobsOnGateway(): Promise<string[]> {
  return (await listPushedGroups(gateway.url)).map((g) => Object.entries(g.labels).sort().map(([k, v]) => `${k}=${v}`).join(',')).sort();
}

describe('jobkit pushgateway gc', () => {
  it('lists old jobkit groups in a dry run, deletes them with --yes, and keeps other tools\' groups', async () => {
    await push([['job', 'etl'], ['namespace', 'data'], ['index', '0']], 'jobkit_job_info{version="1"} 1\n');
    await push([['job', 'etl'], ['namespace', 'data'], ['index', '1']], 'jobkit_job_info{version="1"} 1\n');
    await push([['job', 'report/daily run'], ['namespace', 'data'], ['index', '0']], 'jobkit_job_exit_code 0\n');
    await push([['job', 'someone-else']], 'batch_rows_total 5\n');
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await jobsOnGateway();

    const dry = await cli(['gc', '--url', gateway.url, '--older-than', '1s']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('stale  job="etl" index="0" namespace="data"  last push ');
    expect(dry.stdout).toContain('job="report/daily run"');
    expect(dry.stdout).not.toContain('someone-else');
    expect(dry.stdout).toMatch(/3 of 3 groups last pushed more than 1s ago; would delete 3 \(a dry run: add --yes to delete them\)/);
    expect(await jobsOnGateway()).toEqual(before);

    const real = await cli(['gc', '--url', gateway.url, '--older-than', '1s', '--yes', '-o', 'json']);
    expect(real.code, real.stderr).toBe(0);
    const report = JSON.parse(real.stdout) as { dryRun: boolean; considered: number; deleted: number };
    expect(report).toMatchObject({ dryRun: false, considered: 3, deleted: 3 });
    // The @base64 path form reached "report/daily run" too.
    expect(await jobsOnGateway()).toEqual(['job=someone-else']);
  });

  it('keeps groups pushed within the bound', async () => {
    await push([['job', 'fresh'], ['index', '0']], 'jobkit_job_info 1\n');
    const r = await collectStaleGroups({ url: gateway.url, olderThanMs: 3_600_000, dryRun: false });
    expect(r.stale).toEqual([]);
    expect(await jobsOnGateway()).toContain('index=0,job=fresh');
  });

  it('takes --job, and --all for groups jobkit did not push', async () => {
    await push([['job', 'a'], ['index', '0']], 'jobkit_job_info 1\n');
    await push([['job', 'b'], ['index', '0']], 'jobkit_job_info 1\n');
    const later = Date.now() + 86_400_000;
    const onlyA = await collectStaleGroups({ url: gateway.url, olderThanMs: 3_600_000, job: 'a', dryRun: false, now: later });
    expect(onlyA.stale.map((g) => g.labels['job'])).toEqual(['a']);
    expect(onlyA.deleted).toBe(1);
    const everything = await collectStaleGroups({ url: gateway.url, olderThanMs: 3_600_000, all: true, dryRun: true, now: later });
    expect(everything.stale.map((g) => g.labels['job']).sort()).toEqual(['b', 'fresh', 'someone-else']);
    expect(everything.deleted).toBe(0);
  });

  it('never prints the credentials of the URL, and exits 1 when the gateway fails, 2 on bad options', async () => {
    const withAuth = gateway.url.replace('http://', 'http://ops:s3cr3t-pw@');
    const notFound = await cli(['gc', '--url', `${withAuth}/no-such-prefix`, '--older-than', '1d']);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toContain('answered 404');
    expect(notFound.stderr).toContain('***@');
    const closedPort = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const refused = await cli(['gc', '--url', `http://ops:s3cr3t-pw@127.0.0.1:${closedPort}`, '--older-than', '1d']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ECONNREFUSED');
    const ok = await cli(['gc', '--url', withAuth, '--older-than', '1d']);
    expect(ok.code).toBe(0);
    for (const r of [notFound, refused, ok]) expect(r.stdout + r.stderr).not.toContain('s3cr3t');
    const badDuration = await cli(['gc', '--url', gateway.url, '--older-than', '1w']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--older-than must be a whole number and a unit (s, m, h or d)');
    const missing = await cli(['gc', '--url', gateway.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--older-than is required');
    const unknown = await cli(['prune']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "prune"');
  });
});
