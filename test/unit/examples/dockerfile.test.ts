/**
 * The base image's invariants (no Docker engine here to build it): node:24
 * base, a non-root USER, node as the exec-form ENTRYPOINT so SIGTERM reaches
 * jobkit (PID 1), no npm or shell in what starts the job, and a build context
 * that leaves the host's secrets and node_modules out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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

  it('ENTRYPOINT is exec-form ["node"]: node is PID 1 and gets SIGTERM itself', () => {
    const entrypoints = final.filter((i) => i.op === 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    expect(execForm(entrypoints[0]?.args ?? '')).toEqual(['node']);
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
