/**
 * What the process uses against what its container may use: CPU seconds and
 * peak resident memory from the process itself, and the container's limits
 * from its cgroup v2 files (`memory.max`, `cpu.max` under /sys/fs/cgroup)
 * when they exist; elsewhere (cgroup v1, no limit, not Linux) the limit
 * series are simply absent. Values are read at each collection (each push).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge, type Registry } from 'prom-client';

/** The container's limits, as cgroup v2 states them; undefined where there is none. */
export interface ContainerLimits {
  readonly memoryBytes: number | undefined;
  readonly cpuCores: number | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Reads `memory.max` (bytes or `max`) and `cpu.max` (`<quota> <period>` or
 * `max <period>`) under a cgroup v2 directory.
 *
 * @example
 * ```ts
 * readContainerLimits('/sys/fs/cgroup'); // { memoryBytes: 2147483648, cpuCores: 1.5 }
 * ```
 */
export function readContainerLimits(cgroupDir: string): ContainerLimits {
  const memory = readText(join(cgroupDir, 'memory.max'));
  const cpu = readText(join(cgroupDir, 'cpu.max'))?.split(/\s+/);
  const memoryBytes = memory !== undefined && /^\d+$/.test(memory) ? Number(memory) : undefined;
  let cpuCores: number | undefined;
  if (cpu !== undefined && cpu.length === 2 && /^\d+$/.test(cpu[0]!) && /^\d+$/.test(cpu[1]!) && Number(cpu[1]) > 0) {
    cpuCores = Number(cpu[0]) / Number(cpu[1]);
  }
  return { memoryBytes, cpuCores };
}

/**
 * Registers the resource gauges on a job's registry.
 *
 * @example
 * ```ts
 * registerResourceMetrics(registry, '/sys/fs/cgroup');
 * ```
 */
export function registerResourceMetrics(registry: Registry, cgroupDir: string): void {
  const registers = [registry];
  new Gauge({
    name: 'jobkit_process_cpu_seconds',
    help: 'CPU time this process has used so far (user + system), in seconds.',
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.set((user + system) / 1e6);
    },
  });
  new Gauge({
    name: 'jobkit_process_peak_rss_bytes',
    help: 'Peak resident memory of this process so far, in bytes.',
    registers,
    collect() {
      // resourceUsage reports maxRSS in kilobytes.
      this.set(process.resourceUsage().maxRSS * 1024);
    },
  });
  const limits = readContainerLimits(cgroupDir);
  if (limits.memoryBytes !== undefined) {
    new Gauge({ name: 'jobkit_container_memory_limit_bytes', help: "The container's memory limit (cgroup v2 memory.max), in bytes.", registers }).set(limits.memoryBytes);
  }
  if (limits.cpuCores !== undefined) {
    new Gauge({ name: 'jobkit_container_cpu_limit_cores', help: "The container's CPU limit (cgroup v2 cpu.max quota / period), in cores.", registers }).set(limits.cpuCores);
  }
}
