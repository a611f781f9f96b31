/**
 * Runs one Job manifest through `jobkit run` on both backends, the emulator
 * and the real control plane of JOBKIT_TEST_KUBECONFIG, and reduces each run
 * to what the conformance tier compares: the exit code, the final status
 * counters and index sets, the conditions with status, reason and message, the
 * names of the pods that ran, and for an invalid manifest the rejection.
 * Conditions are compared with their status (a resumed Job keeps Suspended False).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../../src/local/types.ts';
import { runManifest, tempDir } from '../../e2e/emulator/harness.ts';

/** One case: a manifest and the `jobkit run` flags both backends get. */
export interface ConformanceCase {
  /** A short id, used in the allow-list of docs/emulator.md. */
  readonly id: string;
  readonly manifest: Record<string, unknown>;
  readonly args?: readonly string[];
}

/** What a backend did with a case, as flat comparable fields. */
export type Observed = Record<string, string>;

const STATUS_FIELDS = ['active', 'ready', 'terminating', 'succeeded', 'failed', 'completedIndexes', 'failedIndexes', 'uncountedTerminatedPods'] as const;

/** In a message: generated name suffixes (5 characters of the API server's alphabet after a '-') become `*`. */
function normalizeNames(text: string): string {
  return text.replace(/-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-*');
}

/** A generated pod name without its 5 random characters (the prefix may have been cut anywhere). */
function podNamePrefix(name: string): string {
  return `${name.slice(0, -5)}*`;
}

/** Reduces one run's exit code, -o json output and stderr. */
export function observe(code: number | null, job: Job, stderr: string): Observed {
  const out: Observed = { exitCode: String(code) };
  const invalid = /is invalid: (.*)$/m.exec(stderr);
  if (invalid !== null) out['rejection'] = invalid[1]!;
  const status = job.status ?? {};
  for (const field of STATUS_FIELDS) if (field in status) out[`status.${field}`] = JSON.stringify(status[field]);
  // The API server writes fields in the Go struct's order; so must the emulator's -o json.
  if (job.status !== undefined) out['statusKeys'] = Object.keys(status).join(',');
  const conditions = status.conditions ?? [];
  if (conditions[0] !== undefined) out['conditionKeys'] = Object.keys(conditions[0]).join(',');
  for (const c of conditions) out[`condition.${c.type}`] = `${c.status} ${c.reason ?? ''}: ${normalizeNames(c.message ?? '')}`;
  // Each pod once (an OnFailure pod starts again in place), its random suffix masked.
  const names = new Set([...stderr.matchAll(/^jobkit run: pod (\S+) started/gm)].map((m) => m[1]!));
  const pods = [...names].map(podNamePrefix).sort();
  if (pods.length > 0) out['pods'] = pods.join(' ');
  return out;
}

/** Tells this test run's namespaces from those of earlier runs on the same control plane. */
const RUN_NONCE = `c${Date.now().toString(36)}`;

/** Runs the case on one backend. */
export async function runOn(backend: 'emulator' | 'kube', c: ConformanceCase): Promise<Observed> {
  const kubeconfig = process.env['JOBKIT_TEST_KUBECONFIG'];
  if (backend === 'kube' && kubeconfig === undefined) throw new Error('JOBKIT_TEST_KUBECONFIG is not set (test/setup/control-plane.ts sets it)');
  // Each case in a namespace of its own, the same on both backends: the control plane keeps finished Jobs.
  const manifest = structuredClone(c.manifest);
  manifest['metadata'] = { ...(manifest['metadata'] as object), namespace: `${RUN_NONCE}-${c.id}` };
  const backendArgs = backend === 'kube' ? ['--control-plane', 'kube', '--kubeconfig', kubeconfig!] : [];
  const caseDir = tempDir();
  const r = await runManifest(manifest, [...(c.args ?? []), ...backendArgs], { ...process.env, CASE_DIR: caseDir });
  const observed = observe(r.code, r.job, r.stderr);
  if (existsSync(join(caseDir, 'ran'))) observed['ranPod'] = 'yes';
  return observed;
}

/** A difference between the backends on one field. */
export interface Difference {
  readonly field: string;
  readonly emulator: string | undefined;
  readonly kube: string | undefined;
}

export function differences(emulator: Observed, kube: Observed): Difference[] {
  const fields = [...new Set([...Object.keys(emulator), ...Object.keys(kube)])].sort();
  return fields.filter((f) => emulator[f] !== kube[f]).map((field) => ({ field, emulator: emulator[field], kube: kube[field] }));
}

/** An allowed difference: a case id (or `*`), a field, and why. */
export interface Allowed {
  readonly caseId: string;
  readonly field: string;
  readonly reason: string;
}

const EMULATOR_DOC = fileURLToPath(new URL('../../../docs/emulator.md', import.meta.url));

/**
 * The allow-list: the rows of the table under "## Known differences from the
 * real control plane" in docs/emulator.md, `| case | field | reason |`.
 */
export function readAllowList(doc = readFileSync(EMULATOR_DOC, 'utf8')): Allowed[] {
  const start = doc.indexOf('\n## Known differences from the real control plane');
  if (start < 0) throw new Error('docs/emulator.md has no "## Known differences from the real control plane" section');
  const section = doc.slice(start + 1).split(/\n## /)[0]!;
  const rows: Allowed[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((s) => s.trim().replace(/^`|`$/g, ''));
    if (cells.length !== 3 || cells[0] === 'Case' || /^-+$/.test(cells[0]!)) continue;
    rows.push({ caseId: cells[0]!, field: cells[1]!, reason: cells[2]! });
  }
  return rows;
}
