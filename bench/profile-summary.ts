/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) as the functions with the
 * most self time, and the share of time in (idle), (garbage collector) and
 * (program): what the profile rows next to a missed target in
 * bench/results/RESULTS.md are made of.
 *
 * `node bench/profile-summary.ts <file.cpuprofile> [top=25] > summary.md`
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node bench/profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!);
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  if (node === undefined) continue;
  const f = node.callFrame;
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(src|bench|examples)\//, '$1/')}:${f.lineNumber + 1}`;
  const name = `${f.functionName || '(anonymous)'}${where}`;
  selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
}
const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
const lines = [
  `# CPU profile summary: ${basename(file)}`,
  '',
  `${(total / 1e6).toFixed(2)} s sampled on the main thread. Self time by function (V8 --cpu-prof):`,
  '',
  '| self ms | share | function |',
  '|---:|---:|---|',
  ...top.map(([name, us]) => `| ${(us / 1000).toFixed(1)} | ${((us / total) * 100).toFixed(1)} % | \`${name}\` |`),
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
