import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { readContainerLimits } from '../../../src/telemetry/resource-metrics.ts';
import { testIdentity } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cgroup(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-cgroup-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('resource metrics', () => {
  it('reads cgroup v2 limits, and none where a file says max or is missing', () => {
    expect(readContainerLimits(cgroup({ 'memory.max': '2147483648\n', 'cpu.max': '150000 100000\n' }))).toEqual({ memoryBytes: 2_147_483_648, cpuCores: 1.5 });
    expect(readContainerLimits(cgroup({ 'memory.max': 'max\n', 'cpu.max': 'max 100000\n' }))).toEqual({ memoryBytes: undefined, cpuCores: undefined });
    expect(readContainerLimits(cgroup({}))).toEqual({ memoryBytes: undefined, cpuCores: undefined });
  });

  it('pushes CPU seconds and peak RSS of the process, and the limits when the container has them', async () => {
    const limited = createJobMetrics({ identity: testIdentity(), cgroupDir: cgroup({ 'memory.max': '1073741824', 'cpu.max': '50000 100000' }) });
    const text = await limited.registry.metrics();
    expect(sample(text, 'jobkit_process_cpu_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'jobkit_process_peak_rss_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample(text, 'jobkit_container_memory_limit_bytes')).toBe(1_073_741_824);
    expect(sample(text, 'jobkit_container_cpu_limit_cores')).toBe(0.5);
    const unlimited = await createJobMetrics({ identity: testIdentity(), cgroupDir: cgroup({}) }).registry.metrics();
    expect(unlimited).not.toContain('jobkit_container_');
    expect(sample(unlimited, 'jobkit_process_peak_rss_bytes')).toBeGreaterThan(0);
  });
});
