/** resolveNodeScript: a JavaScript/TypeScript file as the command runs with Node, unless it starts as a program by itself. */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { NODE_SCRIPT_EXTENSIONS, resolveNodeScript } from '../../../src/job/exec/node-script.ts';

const NODE = '/opt/node/bin/node';

function workdir(): { cwd: string; bin: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'jobkit-node-script-'));
  const bin = join(cwd, 'bin');
  mkdirSync(bin);
  return { cwd, bin };
}

function file(path: string, mode = 0o644): string {
  writeFileSync(path, 'console.log("hi");\n');
  chmodSync(path, mode);
  return path;
}

describe('resolveNodeScript', () => {
  it('a bare name of a non-executable file in the working directory (CMD ["job.js"]) runs with node, args kept', () => {
    const { cwd, bin } = workdir();
    file(join(cwd, 'job.js'));
    expect(resolveNodeScript({ command: 'job.js', args: ['--dry-run'] }, { PATH: bin }, cwd, NODE)).toEqual({
      command: NODE,
      args: [join(cwd, 'job.js'), '--dry-run'],
      script: join(cwd, 'job.js'),
    });
  });

  it('every extension Node runs: .js .mjs .cjs .ts .mts .cts; relative paths with a slash too', () => {
    const { cwd, bin } = workdir();
    mkdirSync(join(cwd, 'dist'));
    for (const ext of NODE_SCRIPT_EXTENSIONS) {
      file(join(cwd, 'dist', `job${ext}`));
      const resolved = resolveNodeScript({ command: `./dist/job${ext}`, args: [] }, { PATH: bin }, cwd, NODE);
      expect(resolved.script, ext).toBe(join(cwd, 'dist', `job${ext}`));
      expect(resolved.command).toBe(NODE);
    }
    expect(NODE_SCRIPT_EXTENSIONS).toEqual(expect.arrayContaining(['.js', '.mjs', '.cjs', '.ts', '.mts']));
  });

  it('an executable file given by path (a #! script) runs as it is', () => {
    const { cwd, bin } = workdir();
    file(join(cwd, 'tool.js'), 0o755);
    expect(resolveNodeScript({ command: './tool.js', args: ['a'] }, { PATH: bin }, cwd, NODE)).toEqual({ command: './tool.js', args: ['a'], script: undefined });
  });

  it('a bare name found on PATH as an executable runs as that program, even with a file of that name here', () => {
    const { cwd, bin } = workdir();
    file(join(bin, 'job.js'), 0o755);
    file(join(cwd, 'job.js'));
    expect(resolveNodeScript({ command: 'job.js', args: [] }, { PATH: bin }, cwd, NODE).script).toBeUndefined();
  });

  it('a bare name whose PATH entry is not executable does not count as a program: the local file runs with node', () => {
    const { cwd, bin } = workdir();
    file(join(bin, 'job.js'));
    file(join(cwd, 'job.js'));
    expect(resolveNodeScript({ command: 'job.js', args: [] }, { PATH: bin }, cwd, NODE).script).toBe(join(cwd, 'job.js'));
  });

  it('other commands are left alone: programs, other extensions, directories named like a script', () => {
    const { cwd, bin } = workdir();
    file(join(cwd, 'train.py'));
    mkdirSync(join(cwd, 'lib.js'));
    for (const command of ['python3', 'train.py', 'sh', './run', 'node']) {
      expect(resolveNodeScript({ command, args: ['x'] }, { PATH: bin }, cwd, NODE)).toEqual({ command, args: ['x'], script: undefined });
    }
    expect(() => resolveNodeScript({ command: 'lib.js', args: [] }, { PATH: bin }, cwd, NODE)).toThrow(ConfigurationError);
  });

  it('a missing file is a ConfigurationError (exit 78) that names the file and the rule', () => {
    const { cwd, bin } = workdir();
    const run = (command: string): unknown => resolveNodeScript({ command, args: [] }, { PATH: bin }, cwd, NODE);
    expect(() => run('job.js')).toThrow(ConfigurationError);
    expect(() => run('job.js')).toThrow(`cannot start "job.js": no such file ${join(cwd, 'job.js')} and no program of that name on PATH`);
    expect(() => run('./dist/job.ts')).toThrow(`no such file ${join(cwd, 'dist', 'job.ts')} (a JavaScript/TypeScript file`);
  });
});
