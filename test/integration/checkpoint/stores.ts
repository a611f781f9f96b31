/**
 * The real stores the checkpoint integration suites run against: S3 (the moto
 * or MinIO server of the test setup) and the fs store on a temp directory.
 * Every call gets a fresh root so tests never see each other's objects.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.ts';
import { S3Store } from '../../../src/store/s3.ts';
import type { ObjectStore } from '../../../src/store/types.ts';

export interface StoreTarget {
  readonly name: 's3' | 'fs';
  /** A new store on a fresh root. */
  create(): { store: ObjectStore; url: string; env: NodeJS.ProcessEnv };
  /** A second store (own client/handles) on the same root, as another pod would have. */
  reopen(url: string): ObjectStore;
}

function s3Store(prefix: string): S3Store {
  return new S3Store({
    bucket: process.env.JOBKIT_TEST_S3_BUCKET!,
    prefix,
    endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!,
    region: 'us-east-1',
    forcePathStyle: true,
  });
}

const tempDirs: string[] = [];

/** Remove the directories of the fs stores created by {@link TARGETS} (S3 prefixes are unique and left to the throwaway server). */
export function removeTempStores(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const TARGETS: readonly StoreTarget[] = [
  {
    name: 's3',
    create() {
      const prefix = `checkpoint-it/${randomUUID()}`;
      const url = `s3://${process.env.JOBKIT_TEST_S3_BUCKET!}/${prefix}`;
      return { store: s3Store(prefix), url, env: { JOBKIT_STORE: url, JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT! } };
    },
    reopen(url) {
      return s3Store(new URL(url).pathname.replace(/^\//, ''));
    },
  },
  {
    name: 'fs',
    create() {
      const dir = mkdtempSync(join(tmpdir(), 'jobkit-cp-it-'));
      tempDirs.push(dir);
      const url = `file://${dir}`;
      return { store: new FsStore(dir), url, env: { JOBKIT_STORE: url } };
    },
    reopen(url) {
      return new FsStore(new URL(url).pathname);
    },
  },
];

/** Deterministic bytes for part `seed`, so any loaded part can be checked against what was saved. */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  const word = Buffer.alloc(4);
  word.writeUInt32LE((seed * 2654435761) >>> 0);
  b.fill(word);
  b.writeUInt32LE(seed >>> 0, 0);
  return b;
}
