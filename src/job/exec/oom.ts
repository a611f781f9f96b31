/**
 * The cgroup v2 OOM counter: `memory.events` has a line `oom_kill N`, the
 * number of processes of the cgroup the kernel's OOM killer has killed. Read
 * before the child starts and after it died of SIGKILL, an increase says the
 * SIGKILL was an OOM kill (the kernel sends no other sign).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The `oom_kill` counter of the cgroup at `dir`, or undefined when there is
 * none (cgroup v1, not Linux, no permission).
 *
 * @example
 * ```ts
 * const before = await readOomKills('/sys/fs/cgroup'); // 0
 * ```
 */
export async function readOomKills(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'memory.events'), 'utf8');
  } catch {
    return undefined;
  }
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
