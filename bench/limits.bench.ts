/**
 * The physical limits of this machine in the same run as the other figures
 * (issue 20): what no S3 client on it can beat, so that a ratio below target
 * can be told apart from a limit of the machine or the server.
 *
 * - loopback TCP copy: 1 GiB from one socket to another on 127.0.0.1, in
 *   1 MiB writes, the receiver discarding (Node's net, as the SDK uses it);
 * - sha256 on one core: node:crypto over a 256 MiB buffer (what a checkpoint
 *   save and a verified load each pay per byte);
 * - a new local file of 256 MiB written in 8 MiB writes and closed, under the
 *   OS temp dir (where a verified load spools parts above inMemoryMaxBytes),
 *   and the same file read back: the disk's share of a spooled load;
 * - a raw PutObject and a raw GetObject (bytes discarded) of the same 64 MiB
 *   and 256 MiB, one request each, on the S3 server of the run: the server's
 *   own speed on this machine, as a share of the loopback copy.
 *
 * Each figure is a median of 3. `node bench/limits.bench.ts`
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { setup, teardown } from '../test/setup/services.ts';
import { type BenchFigure, higherIsBetter, median, motoColumn, msSince, round, s3Server, writeResults } from './lib.ts';

const MiB = 2 ** 20;
const REPS = 3;
const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

async function tcpCopy(size: number): Promise<number> {
  const server = createServer((socket) => {
    socket.on('data', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const chunk = Buffer.alloc(MiB, 1);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const t = process.hrtime.bigint();
  for (let sent = 0; sent < size; sent += MiB) {
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  socket.end();
  await once(socket, 'close');
  const ms = msSince(t);
  server.close();
  return mbps(size, ms);
}

const figures: BenchFigure[] = [];
const tcp = median(await (async () => {
  const runs: number[] = [];
  for (let i = 0; i < REPS; i++) runs.push(await tcpCopy(1024 * MiB));
  return runs;
})());
if (!motoColumn()) figures.push({ name: 'loopback TCP copy, 1 GiB', value: round(tcp), unit: 'MB/s', note: `median of ${REPS}; Node net, 1 MiB writes, receiver discards` });

const buf = Buffer.alloc(256 * MiB, 5);
const sha: number[] = [];
for (let i = 0; i < REPS; i++) {
  const t = process.hrtime.bigint();
  createHash('sha256').update(buf).digest();
  sha.push(mbps(buf.length, msSince(t)));
}
if (!motoColumn()) figures.push({ name: 'sha256 on one core', value: round(median(sha)), unit: 'MB/s', note: `median of ${REPS}; node:crypto over 256 MiB` });

/** A new file of `size` bytes in 8 MiB writes, then read back: MB/s of each. */
async function spoolFile(size: number): Promise<{ write: number; read: number }> {
  const path = join(tmpdir(), `jobkit-bench-spool-${process.pid}`);
  const batch = Buffer.alloc(8 * MiB, 3);
  let t = process.hrtime.bigint();
  const handle = await open(path, 'wx');
  for (let written = 0; written < size; written += batch.byteLength) await handle.write(batch, 0, batch.byteLength, written);
  await handle.close();
  const write = mbps(size, msSince(t));
  t = process.hrtime.bigint();
  for await (const _ of createReadStream(path, { highWaterMark: MiB })) void _;
  const read = mbps(size, msSince(t));
  await rm(path, { force: true });
  return { write, read };
}
const spools: { write: number; read: number }[] = [];
for (let i = 0; i < REPS; i++) spools.push(await spoolFile(256 * MiB));
if (!motoColumn()) {
  const note = `median of ${REPS}; a new file under ${tmpdir()} (page cache, not synced), as a spooled load writes it`;
  figures.push({ name: 'local file write, new 256 MiB file', value: round(median(spools.map((x) => x.write))), unit: 'MB/s', note });
  figures.push({ name: 'local file read back, 256 MiB', value: round(median(spools.map((x) => x.read))), unit: 'MB/s', note });
}

const ownServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (ownServers) await setup();
try {
  const server = s3Server();
  const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
  const client = new S3Client({ endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
  for (const size of [64 * MiB, 256 * MiB]) {
    const body = buf.subarray(0, size);
    const put: number[] = [];
    const get: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const key = `bench-limits/${size}-${i}`;
      let t = process.hrtime.bigint();
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      put.push(mbps(size, msSince(t)));
      t = process.hrtime.bigint();
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      for await (const _ of res.Body as Readable) void _;
      get.push(mbps(size, msSince(t)));
    }
    const label = `${size / MiB} MiB`;
    const p = median(put);
    const g = median(get);
    const note = `median of ${REPS}; one request, @aws-sdk/client-s3; ratio = share of the loopback TCP copy`;
    figures.push({ name: `raw PutObject ${label}`, value: round(p), unit: 'MB/s', baseline: round(tcp), baselineName: 'loopback TCP copy', ratio: higherIsBetter(p, tcp), server, note });
    figures.push({ name: `raw GetObject ${label} (discarded)`, value: round(g), unit: 'MB/s', baseline: round(tcp), baselineName: 'loopback TCP copy', ratio: higherIsBetter(g, tcp), server, note });
  }
  client.destroy();
} finally {
  if (ownServers) await teardown();
}
writeResults('limits', figures);
