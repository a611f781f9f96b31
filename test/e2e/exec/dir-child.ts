/**
 * The program of the directory checkpoint tests, run by `jobkit exec
 * --checkpoint-dir` (node dir-child.ts <mode> ...), on $JOBKIT_CHECKPOINT_DIR:
 *
 * - `list`: print `listing=<json>` (every entry: type, mode, size, sha256,
 *   link target) and `committed=<seq|none>`, then exit 0.
 * - `generations <files> <bytes> <gens>`: the kill -9 test's writer. Checks
 *   that the restored directory is one generation (every file `gen:<g>` plus
 *   padding derived from g) and prints `restored=<g>` (exit 3 and `torn=...`
 *   otherwise); then writes generations g+1.. (each file tmp+rename, in one
 *   burst), asking for a checkpoint every third one and printing
 *   `durable=<g>` once the request file is gone; exits 0 after <gens>
 *   generations (0: runs until killed). Exits at once when its supervisor is
 *   gone (reparented), as a container's processes die with it.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const dir = process.env.JOBKIT_CHECKPOINT_DIR ?? '';
const request = process.env.JOBKIT_CHECKPOINT_REQUEST ?? '';
const committed = process.env.JOBKIT_CHECKPOINT_COMMITTED ?? '';
const parent = process.ppid;
/** Started by a supervisor that is still alive (not reparented already before the start). */
const supervised = ((): boolean => {
  try {
    return readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes('main.ts');
  } catch {
    return false;
  }
})();

export interface ListedEntry {
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly size?: number;
  readonly sha256?: string;
  readonly target?: string;
}

/** Every entry of `root`, sorted. */
export function listDir(root: string): ListedEntry[] {
  const out: ListedEntry[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const path = join(abs, name);
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(path);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ path: relPath, type: 'dir', mode });
        walk(path, relPath);
      } else if (st.isSymbolicLink()) {
        out.push({ path: relPath, type: 'symlink', mode: 0, target: readlinkSync(path) });
      } else {
        out.push({ path: relPath, type: 'file', mode, size: st.size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
      }
    }
  };
  walk(root, '');
  return out;
}

/** The content of file `i` of generation `g`. */
export function generationContent(g: number, i: number, bytes: number): Buffer {
  const head = Buffer.from(`gen:${g}\n`);
  const body = Buffer.alloc(bytes);
  for (let k = 0; k < bytes; k++) body[k] = (k * 7 + g * 13 + i) & 0xff;
  return Buffer.concat([head, body]);
}

/** The one generation of the directory, or a description of how it is torn. */
export function readGeneration(root: string, files: number, bytes: number): { gen: number } | { torn: string } {
  const names = existsSync(root) ? readdirSync(root).filter((n) => /^f\d+$/.test(n)) : [];
  if (names.length === 0) return { gen: 0 };
  if (names.length !== files) return { torn: `${names.length} files: ${names.join(',')}` };
  const gens = new Set<number>();
  for (let i = 0; i < files; i++) {
    const content = readFileSync(join(root, `f${i}`));
    const g = Number(/^gen:(\d+)\n/.exec(content.subarray(0, 32).toString('latin1'))?.[1]);
    if (!Number.isInteger(g) || !content.equals(generationContent(g, i, bytes))) return { torn: `f${i} is not a whole generation` };
    gens.add(g);
  }
  if (gens.size !== 1) return { torn: `generations ${[...gens].join(',')}` };
  return { gen: [...gens][0] ?? 0 };
}

function orphaned(): boolean {
  return !supervised || process.ppid !== parent;
}

async function generations(files: number, bytes: number, gens: number): Promise<void> {
  // The kill test waits for every program it started to be gone before the next round.
  if (process.env.DIRCP_PIDS !== undefined) writeFileSync(join(process.env.DIRCP_PIDS, String(process.pid)), '');
  if (orphaned()) process.exit(9);
  const found = readGeneration(dir, files, bytes);
  if ('torn' in found) {
    console.log(`torn=${found.torn}`);
    process.exit(3);
  }
  console.log(`restored=${found.gen}`);
  let g = found.gen;
  for (let done = 0; gens === 0 || done < gens; done++) {
    if (orphaned()) process.exit(9);
    g += 1;
    for (let i = 0; i < files; i++) {
      writeFileSync(join(dir, `f${i}.tmp`), generationContent(g, i, bytes));
      renameSync(join(dir, `f${i}.tmp`), join(dir, `f${i}`));
    }
    if (g % 3 === 0) {
      writeFileSync(request, '');
      while (existsSync(request)) {
        if (orphaned()) process.exit(9);
        await sleep(5);
      }
      console.log(`durable=${g}`);
    } else {
      await sleep(15);
    }
  }
}

const [mode, ...args] = process.argv.slice(2);
const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain && mode === 'list') {
  console.log(`listing=${JSON.stringify(listDir(dir))}`);
  console.log(`committed=${existsSync(committed) ? readFileSync(committed, 'utf8').trim() : 'none'}`);
} else if (isMain && mode === 'generations') {
  await generations(Number(args[0]), Number(args[1]), Number(args[2]));
}
