/** readOomKills reads the kernel's counter from either cgroup hierarchy, and nothing else. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOomKills } from '../../../src/job/exec/oom.ts';

const dir = (): string => mkdtempSync(join(tmpdir(), 'jobkit-oom-'));

describe('readOomKills', () => {
  it('reads oom_kill from cgroup v2 memory.events', async () => {
    const d = dir();
    writeFileSync(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 3\noom_group_kill 0\n');
    expect(await readOomKills(d)).toBe(3);
  });

  it('reads oom_kill from cgroup v1 memory.oom_control, in the dir or under memory/', async () => {
    const v1 = dir();
    writeFileSync(join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    expect(await readOomKills(v1)).toBe(2);
    const hybrid = dir();
    mkdirSync(join(hybrid, 'memory'));
    writeFileSync(join(hybrid, 'memory', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n');
    expect(await readOomKills(hybrid)).toBe(5);
  });

  it('is undefined without a counter: no files, or a v1 kernel before 4.13 (no oom_kill line)', async () => {
    expect(await readOomKills(dir())).toBeUndefined();
    const old = dir();
    writeFileSync(join(old, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
    expect(await readOomKills(old)).toBeUndefined();
  });
});
