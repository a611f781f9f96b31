/**
 * The kernel's OOM-kill counter of a cgroup: `oom_kill N` in `memory.events`
 * (cgroup v2) or in `memory.oom_control` (cgroup v1, kernel 4.13+), the
 * number of processes of the cgroup the OOM killer has killed. Read before
 * the child starts and after it died of SIGKILL, an increase says the SIGKILL
 * was an OOM kill (the kernel sends no other sign). Both hierarchies are
 * read because nodes on cgroup v1 still run Jobs (Kubernetes keeps v1 in
 * maintenance mode), and a v1 container sees its memory cgroup at
 * `/sys/fs/cgroup/memory`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the counter is, in the order tried: v2's file, v1's file, v1's file under a hybrid mount. */
const COUNTER_FILES = ['memory.events', 'memory.oom_control', join('memory', 'memory.oom_control')] as const;

/**
 * The `oom_kill` counter of the cgroup at `dir`, or undefined when there is
 * none (not Linux, a kernel before 4.13, no permission).
 *
 * @example
 * ```ts
 * const before = await readOomKills('/sys/fs/cgroup'); // 0
 * ```
 */
export async function readOomKills(dir: string): Promise<number | undefined> {
  for (const file of COUNTER_FILES) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    const match = /^oom_kill (\d+)$/m.exec(text);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}
