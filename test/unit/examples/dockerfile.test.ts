/**
 * The base image's invariants (no Docker engine here to build it): node:24
 * base, a non-root USER, `tini -- jobkit exec --` as the exec-form ENTRYPOINT
 * (tini as PID 1 reaps orphans and forwards SIGTERM to jobkit exec), the same
 * command `jobkit manifest --exec` writes and the docs show, no npm or shell
 * in what starts the job, and a build context that leaves the host's secrets
 * and node_modules out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXEC_COMMAND, manifestCommand } from '../../../src/cli/manifest-command.ts';

const ROOT = new URL('../../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
const dockerignore = readFileSync(new URL('.dockerignore', ROOT), 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    pending += `${line.replace(/\\$/, '').trim()} `;
    if (line.endsWith('\\')) continue;
    const [op = '', ...rest] = pending.trim().split(/\s+/);
    out.push({ op: op.toUpperCase(), args: rest.join(' ') });
    pending = '';
  }
  return out;
}

const all = instructions(dockerfile);
const argDefaults = new Map(
  all.filter((i) => i.op === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=') as [string, string]),
);
const stages: Instruction[][] = [];
for (const i of all) {
  if (i.op === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const final = stages.at(-1) ?? [];

/** The exec form `["a", "b"]` as an array; undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
}

describe('Dockerfile (base image)', () => {
  it('every stage is FROM node:24 (slim)', () => {
    const images = all
      .filter((i) => i.op === 'FROM')
      .map((i) => (i.args.split(/\s+/)[0] ?? '').replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefaults.get(name) ?? ''));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^node:24(\.\d+)*-(bookworm-|bullseye-|trixie-)?slim$/);
  });

  it('the final stage runs as a non-root user, given by number', () => {
    const users = final.filter((i) => i.op === 'USER').map((i) => i.args.trim());
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1) ?? '';
    const [uid = ''] = user.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
  });

  const entrypoint = (): string[] | undefined => {
    const entrypoints = final.filter((i) => i.op === 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    return execForm(entrypoints[0]?.args ?? '');
  };

  it('ENTRYPOINT is exec-form tini -- jobkit exec --: tini is PID 1 (reaps orphans, forwards SIGTERM), the args are the program', () => {
    expect(entrypoint()).toEqual(['/usr/bin/tini', '--', ...EXEC_COMMAND]);
    // tini comes from Debian, in the final stage, before the image drops root
    const apt = final.findIndex((i) => i.op === 'RUN' && /apt-get install -y --no-install-recommends tini\b/.test(i.args));
    expect(apt).toBeGreaterThan(-1);
    expect(final[apt]?.args).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    expect(apt).toBeLessThan(final.findIndex((i) => i.op === 'USER'));
    // `jobkit` on the PATH is the installed CLI
    expect(final.some((i) => i.op === 'RUN' && i.args.includes('ln -s /app/node_modules/jobkit/dist/cli/main.js /usr/local/bin/jobkit'))).toBe(true);
  });

  it('CMD is a program for that ENTRYPOINT (exec form, run as the args of jobkit exec)', () => {
    const cmds = final.filter((i) => i.op === 'CMD');
    expect(cmds).toHaveLength(1);
    expect(execForm(cmds[0]?.args ?? '')).toEqual(['jobkit', 'help']);
  });

  it('jobkit manifest --exec writes the ENTRYPOINT after tini as command and the program as args', () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true));
    let code: number;
    try {
      code = manifestCommand(['--name', 'train', '--image', 'acme/train:1', '--exec', '--', 'python3', 'train.py']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const container = (parse(out) as { spec: { template: { spec: { containers: { command: string[]; args: string[] }[] } } } }).spec.template.spec.containers[0];
    expect(['/usr/bin/tini', '--', ...(container?.command ?? [])]).toEqual(entrypoint());
    expect(container?.args).toEqual(['python3', 'train.py']);
  });

  it('the docs show the same ENTRYPOINT', () => {
    const line = `ENTRYPOINT ${JSON.stringify(entrypoint()).replaceAll('","', '", "')}`;
    for (const doc of ['docs/kubernetes.md', 'docs/exec.md']) expect(readFileSync(new URL(doc, ROOT), 'utf8'), doc).toContain(line);
  });

  it('no npm, npx or shell starts the job (ENTRYPOINT, CMD are exec form without them)', () => {
    for (const i of final.filter((x) => x.op === 'ENTRYPOINT' || x.op === 'CMD')) {
      const argv = execForm(i.args);
      expect(argv, `${i.op} must be exec form`).toBeDefined();
      for (const arg of argv ?? []) expect(arg).not.toMatch(/^(npm|npx|yarn|pnpm|(\/bin\/|\/usr\/bin\/)?(ba)?sh)$/);
    }
    expect(final.some((i) => i.op === 'SHELL')).toBe(false);
  });

  it('installs the built dist with production dependencies only, where `import from "jobkit"` resolves', () => {
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(final.some((i) => i.op === 'COPY' && /\/app\/node_modules\/jobkit\b/.test(i.args))).toBe(true);
    expect(final.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
  });

  it('the build context excludes everything but the sources (no .env, node_modules, .jobkit)', () => {
    const lines = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!')).sort()).toEqual(
      ['!package-lock.json', '!package.json', '!src/', '!tsconfig.build.json', '!tsconfig.json'].sort(),
    );
  });
});
