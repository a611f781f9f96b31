/**
 * Vitest global setup for the integration and e2e projects: starts the real test
 * servers on free loopback ports, creates the test bucket, exports their
 * addresses as env (inherited by test workers and by the child processes tests
 * spawn), and stops them afterwards.
 *
 * - S3-compatible server with conditional writes: moto server (default), or
 *   MinIO when JOBKIT_TEST_S3=minio (the pinned build of scripts/minio/install.sh,
 *   see minioBinary; the benchmarks' target). MINIO_DATA_DIR sets the parent of
 *   its data directory (default the OS temp dir), removed at teardown.
 * - Prometheus Pushgateway (Debian package prometheus-pushgateway).
 * - Prometheus itself (Debian package prometheus) is started by the tests that
 *   need one, with their own rules: startTestPrometheus.
 *
 * When JOBKIT_TEST_S3_ENDPOINT / JOBKIT_TEST_PUSHGATEWAY_URL are already set (an
 * outer setup started the servers), they are reused. scripts/install-test-services.sh
 * installs the binaries on a fresh machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const started: ChildProcess[] = [];
const tempDirs: string[] = [];

export const TEST_BUCKET = 'jobkit-test';

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status < 500) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready at ${url} within ${timeoutMs} ms: ${String(lastError)}`);
}

function launch(cmd: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  // A gateway with the packaged default persistence file shares state across runs
  // and machines' tests (see pushgatewayArgs): refuse to start one.
  if (cmd === 'prometheus-pushgateway' && !args.includes('--persistence.file=')) {
    throw new Error('a test Pushgateway must start with --persistence.file= (use pushgatewayArgs)');
  }
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  child.on('error', (err) => {
    console.error(`${what} could not start (${cmd}): ${err.message}. Run scripts/install-test-services.sh.`);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null && !stopping) console.error(`${what} exited with ${code}: ${stderr}`);
  });
  started.push(child);
  return child;
}

let stopping = false;

/** The MinIO version pinned in scripts/minio/versions.sh (built by scripts/minio/install.sh). */
export function pinnedMinioVersion(): string {
  const file = fileURLToPath(new URL('../../scripts/minio/versions.sh', import.meta.url));
  const m = /^JOBKIT_MINIO_VERSION=(\S+)$/m.exec(readFileSync(file, 'utf8'));
  if (m === null) throw new Error(`no JOBKIT_MINIO_VERSION in ${file}`);
  return m[1]!;
}

/**
 * JOBKIT_TEST_MINIO_BIN, else the pinned build in the cache of
 * scripts/minio/install.sh (${JOBKIT_MINIO_CACHE:-~/.cache/jobkit/minio}/<version>/minio),
 * else `minio` from PATH, else an older `go install` into $GOBIN (~/go/bin).
 */
export function minioBinary(): string {
  if (process.env.JOBKIT_TEST_MINIO_BIN) return process.env.JOBKIT_TEST_MINIO_BIN;
  const cached = join(process.env.JOBKIT_MINIO_CACHE ?? join(homedir(), '.cache', 'jobkit', 'minio'), pinnedMinioVersion(), 'minio');
  if (existsSync(cached)) return cached;
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'minio')));
  const built = join(process.env.GOBIN ?? join(homedir(), 'go', 'bin'), 'minio');
  return !onPath && existsSync(built) ? built : 'minio';
}

async function startS3(): Promise<void> {
  if (process.env.JOBKIT_TEST_S3_ENDPOINT !== undefined) return;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const kind = process.env.JOBKIT_TEST_S3 ?? 'moto';
  let child: ChildProcess;
  if (kind === 'minio') {
    const dir = mkdtempSync(join(process.env.MINIO_DATA_DIR ?? tmpdir(), 'jobkit-minio-'));
    tempDirs.push(dir);
    child = launch(minioBinary(), ['server', '--quiet', '--address', `127.0.0.1:${port}`, dir], 'minio', {
      ...process.env,
      MINIO_ROOT_USER: 'jobkit-test',
      MINIO_ROOT_PASSWORD: 'jobkit-test-secret',
    });
    process.env.AWS_ACCESS_KEY_ID = 'jobkit-test';
    process.env.AWS_SECRET_ACCESS_KEY = 'jobkit-test-secret';
    await waitForHttp(`${endpoint}/minio/health/live`, child, 'minio');
  } else {
    child = launch('moto_server', ['-H', '127.0.0.1', '-p', String(port)], 'moto_server');
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    await waitForHttp(`${endpoint}/moto-api/`, child, 'moto_server');
  }
  process.env.AWS_REGION = 'us-east-1';
  process.env.JOBKIT_TEST_S3_KIND = kind;
  process.env.JOBKIT_TEST_S3_ENDPOINT = endpoint;
  process.env.JOBKIT_TEST_S3_BUCKET = TEST_BUCKET;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET }));
  client.destroy();
}

/**
 * The gateway's arguments. `--persistence.file=` (empty) keeps metrics in memory
 * only: Debian's prometheus-pushgateway defaults to the shared file
 * /var/lib/prometheus/pushgateway.data, so without it every test gateway would
 * load the groups of earlier runs (and of other gateways on the machine) and
 * write its own back on exit. Every gateway a test starts goes through here.
 */
export function pushgatewayArgs(port: number): string[] {
  return [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='];
}

/** A running test gateway: its URL, and how to stop it (waits for the exit). */
export interface TestPushgateway {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a Pushgateway on a free loopback port with pushgatewayArgs, ready to take pushes. */
export async function startTestPushgateway(): Promise<TestPushgateway> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = launch('prometheus-pushgateway', pushgatewayArgs(port), 'prometheus-pushgateway');
  await waitForHttp(`${url}/-/ready`, child, 'prometheus-pushgateway');
  return { url, stop: async () => await stopChild(child) };
}

/** A running test Prometheus: its URL, and how to stop it. */
export interface TestPrometheus {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real Prometheus (Debian's package) on a free loopback port with a
 * TSDB in a temp dir: it scrapes `scrapeUrl`'s /metrics with honor_labels
 * (as a Pushgateway must be scraped) every `intervalMs`, and evaluates
 * `ruleFiles` as often.
 */
export async function startTestPrometheus(options: { readonly scrapeUrl: string; readonly ruleFiles: readonly string[]; readonly intervalMs: number }): Promise<TestPrometheus> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-prometheus-'));
  tempDirs.push(dir);
  const target = new URL(options.scrapeUrl);
  const config = [
    'global:',
    `  scrape_interval: ${options.intervalMs}ms`,
    `  evaluation_interval: ${options.intervalMs}ms`,
    'rule_files:',
    ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: pushgateway',
    '    honor_labels: true',
    `    scrape_timeout: ${options.intervalMs}ms`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(target.host)}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const url = `http://127.0.0.1:${port}`;
  const child = launch(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    'prometheus',
  );
  await waitForHttp(`${url}/-/ready`, child, 'prometheus');
  return {
    url,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startPushgateway(): Promise<void> {
  if (process.env.JOBKIT_TEST_PUSHGATEWAY_URL !== undefined) return;
  const gateway = await startTestPushgateway();
  process.env.JOBKIT_TEST_PUSHGATEWAY_URL = gateway.url;
}

export async function setup(): Promise<void> {
  await Promise.all([startS3(), startPushgateway()]);
}

/** SIGTERM, SIGKILL after 5 s; resolves once the process has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function teardown(): Promise<void> {
  stopping = true;
  await Promise.all(started.map(stopChild));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
