/**
 * The package as a user gets it: `npm pack` of a copy of the working tree
 * without dist/ (as a fresh clone is), installed from the tarball into a
 * temporary app with no registry (`npm ci --offline` from the npm cache that the
 * repository's own `npm ci` filled), then imported from plain ESM JavaScript and
 * from a strict TypeScript file, and `npx jobkit version` run. Also: every
 * relative link in the shipped Markdown resolves to a file inside the tarball.
 *
 * Slow (two builds' worth of tsc and an install): about 30-60 s on 2 cores.
 */
import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly exports: Readonly<Record<string, unknown>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly bin: Readonly<Record<string, string>>;
  readonly engines: Readonly<Record<string, string>>;
  readonly license: string;
}

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly [field: string]: unknown;
}

interface Lockfile {
  readonly packages: Readonly<Record<string, LockEntry>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** npm (or npx), with the repository's Node first on PATH (the caller's PATH, as scripts/ensure-node.sh set it). */
async function npm(args: readonly string[], cwd: string, command = 'npm'): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, [...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

/** The files git would put in a clone (tracked plus new, not ignored): dist/ is ignored, so it is absent. */
async function copyWorkingTree(to: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0')) {
    if (file === '') continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    // A file deleted in the working tree but still in the index: a clone would not have it either.
    try {
      cpSync(join(ROOT, file), join(to, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  // The packages npm ci installed, so that `prepare` (the build) finds tsc: a git
  // install gets them the same way (npm installs devDependencies before prepare).
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'));
}

/**
 * The app's lockfile: jobkit from the tarball, its dependencies exactly as the
 * repository's lockfile pins them (which are in the npm cache), and @types/node
 * for the TypeScript check. With a lockfile, `npm ci --offline` needs no
 * registry metadata, only the cached tarballs by integrity.
 */
function appManifests(tarball: string): { packageJson: object; lockfile: object } {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const packages: Record<string, LockEntry> = {};
  const typesNode = ['node_modules/@types/node', 'node_modules/undici-types'];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    if ((entry.dev === true || entry.devOptional === true) && !typesNode.includes(path)) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
  }
  const typesNodeVersion = lock.packages['node_modules/@types/node']?.version;
  if (typesNodeVersion === undefined) throw new Error('no @types/node in package-lock.json');
  const dependencies = { jobkit: `file:${tarball}`, '@types/node': typesNodeVersion };
  packages['node_modules/jobkit'] = {
    version: pkg.version,
    resolved: `file:${tarball}`,
    license: pkg.license,
    dependencies: pkg.dependencies,
    peerDependencies: pkg.peerDependencies,
    peerDependenciesMeta: pkg.peerDependenciesMeta,
    bin: pkg.bin,
    engines: pkg.engines,
  };
  const name = 'jobkit-package-test-app';
  return {
    packageJson: { name, private: true, type: 'module', dependencies },
    lockfile: { name, lockfileVersion: 3, requires: true, packages: { '': { name, dependencies }, ...packages } },
  };
}

/** Relative link targets of a Markdown file, outside code fences and inline code. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const targets = [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ''),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$/gm)].map((m) => m[1] ?? ''),
  ];
  return targets.filter((t) => t !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

/**
 * The production install's budget: what `npm install jobkit` puts in an app's
 * node_modules (jobkit and its dependencies, without the optional tracing
 * peers), in packages and bytes of files. Measured 2026-12: 47 packages,
 * 14.8 MB (34 MB on disk); before the OpenTelemetry SDK became an optional
 * peer it was 140 packages, 47.1 MB (89 MB on disk), with protobufjs's
 * install script. Modest headroom: raise it only knowingly.
 */
const INSTALL_BUDGET = { packages: 52, bytes: 17 * 1024 * 1024 } as const;

/** Packages the test app adds for its TypeScript check, not part of jobkit's install. */
const TEST_APP_EXTRAS = ['node_modules/@types/node', 'node_modules/undici-types'];

/** Total size of the files under `dir` (symlinks not followed). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

interface InstalledPackage {
  readonly path: string;
  readonly hasInstallScript?: boolean;
}

/** What npm installed in the app, from its hidden lockfile; the test app's own extras left out. */
function installedPackages(): InstalledPackage[] {
  const lock = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path]) => path.startsWith('node_modules/') && !TEST_APP_EXTRAS.includes(path))
    .map(([path, entry]) => ({ path, ...entry }));
}

/** The subpath entry points of package.json (`jobkit/store`, ...), without `jobkit/package.json`. */
function subpaths(): string[] {
  return Object.keys(pkg.exports)
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => `jobkit/${key.slice(2)}`);
}

/** Run `script` (ESM) in the app with `env` added; its stdout, stderr and exit code. */
async function node(file: string, script: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  writeFileSync(join(app, file), script);
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('JOBKIT_') && !k.startsWith('AWS_')) clean[k] = v;
  try {
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: app, env: { ...clean, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A loader hook printing, at exit, the packages and jobkit's own files the process loaded. */
const LOAD_REPORT = [
  "import { registerHooks } from 'node:module';",
  'const loaded = new Set();',
  "registerHooks({ load(url, context, next) { if (url.startsWith('file:')) loaded.add(url); return next(url, context); } });",
  'export function loadReport() {',
  '  const urls = [...loaded];',
  "  const packages = [...new Set(urls.flatMap((u) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u); return m ? [m[1]] : []; }))].sort();",
  "  const own = urls.flatMap((u) => { const m = /node_modules\\/jobkit\\/(.+)$/.exec(u); return m ? [m[1]] : []; }).sort();",
  '  return { files: urls.length, packages, own };',
  '}',
].join('\n');

let work: string;
let tarball: string;
let shipped: string[];
let app: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'jobkit-package-'));
  const tree = join(work, 'tree');
  await copyWorkingTree(tree);
  const packed = await npm(['pack', '--json', '--pack-destination', work], tree);
  // npm prints the lifecycle scripts' output before the JSON on stdout.
  const json = packed.stdout.slice(packed.stdout.indexOf('[\n'));
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed.stdout}`);
  tarball = join(work, info.filename);
  shipped = info.files.map((f) => f.path);

  app = join(work, 'app');
  mkdirSync(app);
  const { packageJson, lockfile } = appManifests(tarball);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
  await npm(['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the build, the CLI, the license and the docs', () => {
    expect(shipped).toContain('dist/index.js');
    expect(shipped).toContain('dist/index.d.ts');
    expect(shipped).toContain(normalize(pkg.bin.jobkit ?? '').replace(/^\.\//, ''));
    expect(shipped).toContain('LICENSE');
    expect(shipped).toContain('README.md');
    expect(shipped.some((f) => f.startsWith('docs/'))).toBe(true);
    // What `jobkit run --control-plane kube` builds and starts a private control plane with.
    for (const f of ['install.sh', 'start.sh', 'stop.sh', 'versions.sh', 'kube/go.mod', 'kube/go.sum', 'etcd/go.mod', 'etcd/go.sum', 'etcd/main.go']) {
      expect(shipped).toContain(`scripts/control-plane/${f}`);
    }
    // The tests and the sources of the build stay out.
    expect(shipped.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license).toContain('Copyright 2026 The jobkit authors');
  });

  it('every relative link in the shipped Markdown resolves to a file in the tarball', () => {
    const installed = join(app, 'node_modules/jobkit');
    const broken: string[] = [];
    const markdown = shipped.filter((f) => f.endsWith('.md'));
    expect(markdown.length).toBeGreaterThan(1);
    for (const file of markdown) {
      for (const link of relativeLinks(readFileSync(join(installed, file), 'utf8'))) {
        const path = decodeURIComponent(link.split('#')[0] ?? '');
        const target = posix.normalize(posix.join(posix.dirname(file), path));
        // A link to a folder counts when the tarball has a file under it.
        const resolves = shipped.includes(target) || shipped.some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`));
        if (target.startsWith('../') || !resolves) broken.push(`${file}: ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('imports from plain ESM JavaScript', async () => {
    writeFileSync(
      join(app, 'main.js'),
      [
        "import { runJob, openStore, resolveIdentity } from 'jobkit';",
        "import pkg from 'jobkit/package.json' with { type: 'json' };",
        'console.log(JSON.stringify({ runJob: typeof runJob, openStore: typeof openStore, resolveIdentity: typeof resolveIdentity, version: pkg.version }));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ runJob: 'function', openStore: 'function', resolveIdentity: 'function', version: pkg.version });
  });

  it('type-checks every entry point from a strict TypeScript file (nodenext, skipLibCheck false, no OpenTelemetry SDK installed)', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'es2023',
            lib: ['es2023'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            types: ['node'],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['job.ts'],
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      join(app, 'job.ts'),
      [
        "import { runJob, openStore, type ObjectStore, type ShardCursor } from 'jobkit';",
        "import { MemoryStore, type S3StoreOptions } from 'jobkit/store';",
        "import { S3Store } from 'jobkit/store/s3';",
        "import { createCheckpointer, type LoadedCheckpoint } from 'jobkit/checkpoint';",
        "import { createIdempotency, type IdempotencyEvent } from 'jobkit/idempotency';",
        "import { shardRange, type ShardSpec } from 'jobkit/sharding';",
        "import { createLogger, startTracing, type TraceExporter, type TracingOptions } from 'jobkit/telemetry';",
        "import { generateJobManifest, type Job } from 'jobkit/local';",
        '',
        'await runJob<{ cursor: ShardCursor }>(async (job) => {',
        '  const last = await job.checkpoint.load();',
        '  const rows = job.shard.range(10, { resume: last?.state.cursor });',
        '  for (const i of rows) {',
        '    const n: number = i;',
        "    job.log.info({ n }, 'row');",
        '  }',
        '});',
        '',
        "const options: S3StoreOptions = { bucket: 'my-bucket' };",
        'const stores: ObjectStore[] = [new MemoryStore(), new S3Store(options), openStore()];',
        "const spec: ShardSpec = { index: 0, count: 2 };",
        'const share: { start: number; end: number } = shardRange(10, spec);',
        "const checkpointer = createCheckpointer<{ n: number }>({ store: stores[0]!, identity: job0() });",
        'const loaded: LoadedCheckpoint<{ n: number }> | undefined = await checkpointer.load();',
        "const ledger = createIdempotency({ store: stores[0]!, onEvent: (e: IdempotencyEvent) => void e.type });",
        "const exporter: TraceExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() };",
        "const tracing: TracingOptions = { exporter };",
        "const manifest: Job = generateJobManifest({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'] });",
        "createLogger().info({ share, loaded, tracing, manifest, ledger: ledger.prefix, start: typeof startTracing }, 'typed');",
        '',
        'function job0() {',
        "  return { platform: 'local' as const, jobName: 'etl', namespace: 'default', podName: undefined, podUid: undefined, nodeName: undefined, index: 0, count: 1, attempt: undefined };",
        '}',
      ].join('\n'),
    );
    try {
      await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app });
    } catch (err) {
      const e = err as { stdout?: string; message: string };
      throw new Error(`tsc failed: ${e.stdout ?? e.message}`, { cause: err });
    }
  });

  it('installs within its budget: few packages, no install scripts, no OpenTelemetry SDK', () => {
    const installed = installedPackages();
    const bytes = bytesUnder(join(app, 'node_modules')) - TEST_APP_EXTRAS.reduce((sum, p) => sum + bytesUnder(join(app, p)), 0);
    const measured = `${installed.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MB`;
    console.log(`production install of the packed package: ${measured}`);
    expect(installed.length, measured).toBeLessThanOrEqual(INSTALL_BUDGET.packages);
    expect(bytes, measured).toBeLessThanOrEqual(INSTALL_BUDGET.bytes);
    // protobufjs (through the OTLP exporters) printed an install-script warning on every install.
    expect(installed.filter((p) => p.hasInstallScript === true).map((p) => p.path)).toEqual([]);
    const otel = installed.map((p) => p.path.replace(/^node_modules\//, '')).filter((p) => p.startsWith('@opentelemetry/'));
    expect(otel).toEqual(['@opentelemetry/api']);
    expect(installed.map((p) => p.path)).not.toContain('node_modules/@aws-sdk/lib-storage');
  });

  it("import 'jobkit' loads neither the S3 SDK, nor yaml, nor the emulator; an s3:// store loads the SDK at its first operation", async () => {
    writeFileSync(join(app, 'load-report.js'), LOAD_REPORT);
    const { code, stdout, stderr } = await node(
      'lazy.js',
      [
        "import { loadReport } from './load-report.js';",
        "const { openStore, runJob } = await import('jobkit');",
        'const atImport = loadReport();',
        "const store = openStore('s3://jobkit-package-test/p', { s3: { maxAttempts: 1, endpoint: 'http://127.0.0.1:9' } });",
        'const atOpen = loadReport();',
        "const error = await store.head('k').then(() => 'none', (err) => err.constructor.name);",
        'const atUse = loadReport();',
        'await store.close();',
        'console.log(JSON.stringify({ runJob: typeof runJob, atImport, atOpen, atUse, error }));',
      ].join('\n'),
      { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' },
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as Record<'atImport' | 'atOpen' | 'atUse', { files: number; packages: string[]; own: string[] }> & { error: string };
    console.log(`import 'jobkit' from the installed package: ${report.atImport.files} files, packages: ${report.atImport.packages.join(', ')}`);
    for (const at of [report.atImport, report.atOpen]) {
      expect(at.packages.filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/') || p === 'yaml' || p.startsWith('@opentelemetry/sdk'))).toEqual([]);
      expect(at.own.filter((f) => f.startsWith('dist/local/') || f.startsWith('dist/cli/') || f === 'dist/store/s3.js')).toEqual([]);
    }
    expect(report.atUse.packages).toContain('@aws-sdk/client-s3');
    expect(report.atUse.own).toContain('dist/store/s3.js');
    // Nothing listens on port 9: a transient network failure, mapped as for any S3Store.
    expect(report.error).toBe('RetryableError');
  });

  it('imports every subpath entry point from plain ESM JavaScript', async () => {
    const names = subpaths();
    expect(names).toEqual(['jobkit/store', 'jobkit/store/s3', 'jobkit/checkpoint', 'jobkit/idempotency', 'jobkit/sharding', 'jobkit/telemetry', 'jobkit/local']);
    const { code, stdout, stderr } = await node(
      'subpaths.js',
      [
        ...names.map((name, i) => `import * as m${i} from '${name}';`),
        `console.log(JSON.stringify({ ${names.map((name, i) => `'${name}': Object.keys(m${i}).length`).join(', ')} }));`,
        "const { MemoryStore } = await import('jobkit/store');",
        "const { S3Store } = await import('jobkit/store/s3');",
        "const { createCheckpointer } = await import('jobkit/checkpoint');",
        "const { shardRange } = await import('jobkit/sharding');",
        "const { createLogger, startTracing } = await import('jobkit/telemetry');",
        "const { generateJobManifest } = await import('jobkit/local');",
        "const { createIdempotency } = await import('jobkit/idempotency');",
        'const store = new MemoryStore();',
        "const job = generateJobManifest({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], completions: 2 });",
        "const s3 = new S3Store({ bucket: 'my-bucket', region: 'us-east-1' });",
        'console.log(JSON.stringify({',
        "  range: shardRange(10, { index: 1, count: 2 }), kind: job.kind, s3: s3.url, types: [typeof createCheckpointer, typeof createLogger, typeof startTracing, typeof createIdempotency, typeof store.put],",
        '}));',
        'await s3.close();',
      ].join('\n'),
    );
    expect(code, stderr).toBe(0);
    const [counts, values] = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const name of names) expect(counts?.[name], name).toBeGreaterThan(0);
    expect(values).toEqual({
      range: { start: 5, end: 10, step: 1, size: 5 },
      kind: 'Job',
      s3: 's3://my-bucket',
      types: ['function', 'function', 'function', 'function', 'function'],
    });
  });

  it('a job with tracing configured but no OpenTelemetry SDK installed warns once, runs untraced and exits 0', async () => {
    // A node_modules above the temp dir could still provide it: then this test proves nothing.
    const resolvable = await node('resolve-sdk.js', "try { import.meta.resolve('@opentelemetry/sdk-node'); console.log('yes'); } catch { console.log('no'); }");
    expect(resolvable.stdout.trim(), 'the app must not be able to resolve @opentelemetry/sdk-node').toBe('no');
    const { code, stdout, stderr } = await node(
      'traced.js',
      ["import { runJob } from 'jobkit';", "await runJob(async (job) => { job.log.info({ traced: job.trace !== undefined }, 'worked'); });"].join('\n'),
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', JOBKIT_INDEX: '0', JOBKIT_COUNT: '1', JOBKIT_JOB_NAME: 'traced' },
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const lines = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { level: number | string; msg: string });
    const sdk = lines.filter((l) => /OpenTelemetry/.test(l.msg));
    expect(sdk.map((l) => l.msg), stdout).toEqual([
      'tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT is set) but the OpenTelemetry SDK is not installed: ' +
        'npm install @opentelemetry/sdk-node @opentelemetry/resources; the job runs without tracing',
    ]);
    expect(lines.map((l) => l.msg)).toContain('worked');
    expect(lines.map((l) => l.msg)).toContain('job completed');
  });

  it('runs `npx jobkit version`', async () => {
    const { stdout } = await npm(['--offline', '--no', 'jobkit', 'version'], app, 'npx');
    expect(stdout.trim()).toBe(`jobkit ${pkg.version}`);
  });
});
