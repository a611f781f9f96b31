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
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  readonly dependencies: Readonly<Record<string, string>>;
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

  it('type-checks from a strict TypeScript file (nodenext, skipLibCheck false)', async () => {
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
        "import { runJob, type ShardCursor } from 'jobkit';",
        '',
        'await runJob<{ cursor: ShardCursor }>(async (job) => {',
        '  const last = await job.checkpoint.load();',
        '  const rows = job.shard.range(10, { resume: last?.state.cursor });',
        '  for (const i of rows) {',
        '    const n: number = i;',
        "    job.log.info({ n }, 'row');",
        '  }',
        '});',
      ].join('\n'),
    );
    try {
      await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app });
    } catch (err) {
      const e = err as { stdout?: string; message: string };
      throw new Error(`tsc failed: ${e.stdout ?? e.message}`, { cause: err });
    }
  });

  it('runs `npx jobkit version`', async () => {
    const { stdout } = await npm(['--offline', '--no', 'jobkit', 'version'], app, 'npx');
    expect(stdout.trim()).toBe(`jobkit ${pkg.version}`);
  });
});
