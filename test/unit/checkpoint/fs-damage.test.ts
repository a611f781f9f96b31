/**
 * Damaged object files of the fs store (a flipped or stripped trailer) under
 * a checkpoint line: a damaged manifest or part falls back to the previous
 * checkpoint; a damaged head.json is the documented CheckpointCorruptError
 * (exit 65), never a crash.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { CheckpointCorruptError } from '../../../src/checkpoint/errors.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { FsStore } from '../../../src/store/fs.ts';
import { testIdentity } from './helpers.ts';

const identity = testIdentity({ platform: 'kubernetes', jobName: 'train', namespace: 'ml' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** The file of the newest checkpoint whose path matches: by name (sequence numbers sort), or by `pick`. */
function newest(dir: string, match: RegExp, pick: (f: string) => boolean = () => true): string {
  const found = files(dir)
    .filter((f) => match.test(f) && pick(f))
    .sort();
  expect(found.length).toBeGreaterThan(0);
  return found.at(-1)!;
}

type Damage = (path: string) => void;
const flipTrailer: Damage = (path) => {
  const bytes = readFileSync(path);
  bytes[bytes.length - 3]! ^= 0xff;
  writeFileSync(path, bytes);
};
const stripTrailer: Damage = (path) => {
  truncateSync(path, Math.max(0, statSync(path).size - 12));
};

async function twoCheckpoints(): Promise<{ dir: string; store: FsStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-fs-damage-'));
  dirs.push(dir);
  const store = new FsStore(dir);
  const cp = createCheckpointer<{ step: number }>({ store, identity, inlineStateMaxBytes: 0 });
  await cp.save({ step: 1 }, { weights: Buffer.alloc(1000, 1) });
  await cp.save({ step: 2 }, { weights: Buffer.alloc(1000, 2) });
  await cp.close();
  return { dir, store };
}

describe('a damaged fs object file under a checkpoint line', () => {
  for (const [name, damage] of [['flipped', flipTrailer], ['stripped', stripTrailer]] as const) {
    it(`falls back past a manifest with a ${name} trailer`, async () => {
      const { dir, store } = await twoCheckpoints();
      damage(newest(dir, /manifests/));
      const loaded = await createCheckpointer<{ step: number }>({ store, identity }).load();
      expect(loaded?.state.step).toBe(1);
    });

    it(`falls back past a part with a ${name} trailer`, async () => {
      const { dir, store } = await twoCheckpoints();
      damage(newest(dir, /weights/, (f) => readFileSync(f)[0] === 2)); // step 2's bytes
      const loaded = await createCheckpointer<{ step: number }>({ store, identity }).load();
      expect(loaded?.state.step).toBe(1);
      expect((await loaded!.parts.get('weights')!.buffer())[0]).toBe(1);
    });

    it(`stops with the checkpoint-corrupt code on a head.json with a ${name} trailer`, async () => {
      const { dir, store } = await twoCheckpoints();
      damage(newest(dir, /head\.json/));
      const err = await createCheckpointer<{ step: number }>({ store, identity }).load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointCorruptError);
      expect(exitCodeOf(err)).toBe(65);
    });
  }
});
