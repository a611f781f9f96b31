/**
 * The conformance tier: every case runs on the emulator and on the real
 * control plane (kube-apiserver and the real Job controller, pods run by the
 * process kubelet); any difference that docs/emulator.md does not list with
 * a reason fails, and so does a listed difference that no longer occurs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../../e2e/emulator/harness.ts';
import { INVALID_CASES, RUN_CASES } from './cases.ts';
import { type ConformanceCase, type Difference, differences, readAllowList, runOn } from './harness.ts';

afterAll(removeTempDirs);

const allowList = readAllowList();

function unexplained(c: ConformanceCase, diffs: readonly Difference[]): Difference[] {
  return diffs.filter((d) => !allowList.some((a) => (a.caseId === c.id || a.caseId === '*') && a.field === d.field));
}

async function check(c: ConformanceCase): Promise<void> {
  const [emulator, kube] = await Promise.all([runOn('emulator', c), runOn('kube', c)]);
  const diffs = differences(emulator, kube);
  expect(unexplained(c, diffs), `case ${c.id}: emulator ${JSON.stringify(emulator, null, 1)}\nkube ${JSON.stringify(kube, null, 1)}`).toEqual([]);
  const stale = allowList.filter((a) => a.caseId === c.id && !diffs.some((d) => d.field === a.field));
  expect(stale, `allow-list rows of case ${c.id} that no longer differ: remove them from docs/emulator.md`).toEqual([]);
}

describe('conformance: the emulator and the real Job controller end alike', () => {
  it.each(RUN_CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => await check(c));
});

describe('conformance: the emulator refuses what the API server refuses, with its message', () => {
  it.each(INVALID_CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => await check(c));
});

it('lists only cases that exist in the allow-list', () => {
  const ids = new Set([...RUN_CASES, ...INVALID_CASES].map((c) => c.id));
  expect(allowList.filter((a) => a.caseId !== '*' && !ids.has(a.caseId)).map((a) => a.caseId)).toEqual([]);
});
