/**
 * Every JOBKIT_* setting of every module is checked before main (exit 78),
 * whether or not main uses the module; store URLs are parsed, not opened.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JOBKIT_VARIABLES, parseInteger, unknownJobkitVariables } from '../../../src/runtime/config.ts';
import { checkKeyLengths, longestKeys } from '../../../src/job/key-lengths.ts';
import { executeJob } from '../../../src/job/run-job.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';
import { S3_INTEGER_SETTINGS, bucketNameProblem, s3TuningFromEnv, validateS3Env } from '../../../src/store/s3-config.ts';
import { parseStoreUrl } from '../../../src/store/schemes.ts';

const baseEnv = { JOBKIT_JOB_NAME: 'etl', JOBKIT_INDEX: '1', JOBKIT_COUNT: '4', JOBKIT_GRACE_PERIOD_SECONDS: '5' };

async function start(extra: Record<string, string>): Promise<{ code: number; ran: boolean; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  let ran = false;
  const code = await executeJob(
    () => {
      ran = true;
    },
    { env: { ...baseEnv, ...extra }, logger: { destination } },
  );
  return { code, ran, lines };
}

const fatal = (lines: Record<string, unknown>[]): string => {
  const msg = lines.find((l) => l.level === 'fatal')?.msg;
  return typeof msg === 'string' ? msg : '';
};

describe('settings checked before main', () => {
  it.each([
    ['JOBKIT_STORE', 'gs://x', 'JOBKIT_STORE must be s3://bucket[/prefix]'],
    ['JOBKIT_STORE', 's3://Bad_Bucket', 'invalid S3 bucket name "Bad_Bucket"'],
    ['JOBKIT_IDEMPOTENCY_TTL_SECONDS', 'abc', 'JOBKIT_IDEMPOTENCY_TTL_SECONDS must be a number > 0, got "abc"'],
    ['JOBKIT_CHECKPOINT_KEEP', '-1', 'JOBKIT_CHECKPOINT_KEEP must be an integer >= 1, got "-1"'],
    ['JOBKIT_PARALLELISM', '0', 'JOBKIT_PARALLELISM must be an integer >= 1, got "0"'],
    ['JOBKIT_S3_MAX_SOCKETS', '0x3', 'JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"'],
    ['JOBKIT_S3_MAX_ATTEMPTS', '1e1', 'JOBKIT_S3_MAX_ATTEMPTS must be an integer >= 1 and <= 20, got "1e1"'],
    ['JOBKIT_S3_SSE', 'rot13', 'JOBKIT_S3_SSE must be one of'],
    ['JOBKIT_IDEMPOTENCY_LEASE_SECONDS', '0.0001', 'option leaseMs must be an integer >= 1'],
    ['JOBKIT_INTERRUPTION_NOTICE', 'ec2', 'JOBKIT_INTERRUPTION_NOTICE must be one of auto, aws, gce, azure, off, got "ec2"'],
    ['JOBKIT_INTERRUPTION_POLL_SECONDS', '0', 'JOBKIT_INTERRUPTION_POLL_SECONDS must be a number >= 0.05 and <= 60, got "0"'],
    ['AWS_EC2_METADATA_SERVICE_ENDPOINT', 'imds', 'AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http:// or https:// URL'],
  ])('%s=%s stops the job with 78 before main', async (name, value, message) => {
    const { code, ran, lines } = await start({ [name]: value });
    expect(code).toBe(78);
    expect(ran).toBe(false);
    expect(fatal(lines)).toContain(message);
  });

  it('never shows the credentials of a store URL', async () => {
    const { code, lines } = await start({ JOBKIT_STORE: 'gs://AKIA:s3cr3t@bucket/p' });
    expect(code).toBe(78);
    expect(fatal(lines)).not.toContain('s3cr3t');
    expect(fatal(lines)).toContain('gs://***@bucket/p');
  });

  it('warns about JOBKIT_* names no module reads, with the likely meant one', async () => {
    const { code, lines } = await start({ JOBKIT_CHECKPIONT_KEEP: '3', JOBKIT_OTHER_TOOL: 'x' });
    expect(code).toBe(0);
    const warned = lines.filter((l) => Array.isArray(l.variables));
    expect(warned).toEqual([
      expect.objectContaining({
        level: 'warn',
        variables: ['JOBKIT_CHECKPIONT_KEEP', 'JOBKIT_OTHER_TOOL'],
        didYouMean: { JOBKIT_CHECKPIONT_KEEP: 'JOBKIT_CHECKPOINT_KEEP' },
        msg: 'not jobkit settings, ignored: JOBKIT_CHECKPIONT_KEEP (did you mean JOBKIT_CHECKPOINT_KEEP?), JOBKIT_OTHER_TOOL',
      }),
    ]);
  });

  it('knows every JOBKIT_* name used in src/', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    const used = new Set<string>();
    for (const file of files('src')) for (const m of readFileSync(file, 'utf8').matchAll(/JOBKIT_[A-Z0-9_]*[A-Z0-9]/g)) used.add(m[0]);
    // Families named in comments, the list itself, and the typo of an example.
    const families = new Set(['JOBKIT_S3', 'JOBKIT_EXEC', 'JOBKIT_PUSHGATEWAY', 'JOBKIT_VARIABLES', 'JOBKIT_CHECKPIONT_KEEP']);
    expect([...used].filter((n) => !JOBKIT_VARIABLES.has(n) && !families.has(n))).toEqual([]);
    expect(unknownJobkitVariables({ JOBKIT_COUNT: '2', JOBKIT_NOPE: '', OTHER: 'x' })).toEqual([]);
  });
});

describe('one integer reader', () => {
  it('refuses hex, exponents, signs and fractions with the name of the value', () => {
    for (const bad of ['0x3', '1e1', '-1', '1.0', '']) {
      expect(() => parseInteger('--completions', bad, { min: 1 })).toThrow(`--completions must be an integer >= 1, got "${bad}"`);
    }
    expect(parseInteger('--completions', ' 12 ', { min: 1 })).toBe(12);
  });

  it('has the ranges of the S3 store for every JOBKIT_S3_* integer', () => {
    for (const [name, min, max] of S3_INTEGER_SETTINGS) {
      for (const ok of [min, max]) expect(() => s3TuningFromEnv({ [name]: String(ok) })).not.toThrow();
      for (const bad of [min - 1, max + 1]) {
        expect(() => s3TuningFromEnv({ [name]: String(bad) })).toThrow(name);
        expect(() => validateS3Env({ [name]: String(bad) })).toThrow(name);
      }
    }
  });
});

describe('store URLs without opening', () => {
  it('parses the three schemes', () => {
    expect(parseStoreUrl('s3://my-bucket/a/b/')).toEqual({ scheme: 's3', bucket: 'my-bucket', prefix: 'a/b' });
    expect(parseStoreUrl('file://./x', { cwd: '/w' })).toEqual({ scheme: 'file', path: '/w/x' });
    expect(parseStoreUrl('memory://t')).toEqual({ scheme: 'memory', name: 't' });
  });

  it('names the source and what is allowed', () => {
    expect(() => parseStoreUrl('gs://bucket', { source: '--store' })).toThrow(/^--store must be s3:\/\/bucket\[\/prefix\], file:\/\/\/absolute\/path.*unknown scheme "gs:", got "gs:\/\/bucket"$/);
    expect(() => parseStoreUrl('s3://bkt/a/../c')).toThrow('".." segment');
  });

  it('knows the S3 bucket naming rules', () => {
    expect(bucketNameProblem('my.bucket-1')).toBeUndefined();
    for (const bad of ['ab', 'Bad_Bucket', '-x-', 'a..b', '192.168.1.1', 'xn--abc', 'b-s3alias', 'x'.repeat(64)]) {
      expect(bucketNameProblem(bad)).toBeDefined();
    }
  });
});

describe('key lengths checked at start', () => {
  const identity = resolveIdentity({ JOBKIT_JOB_NAME: 'etl', JOBKIT_COUNT: '8' });

  it('computes the longest key of each module with the highest index', () => {
    const keys = longestKeys({ identity });
    expect(keys.map((k) => k.module)).toEqual(['checkpoint', 'idempotency', 'sharding']);
    expect(keys[0]!.key).toMatch(/^jobs\/default\/etl\/index-7\/checkpoints\//);
    for (const k of keys) expect(k.bytes).toBeLessThan(200);
  });

  it('counts multibyte scopes in encoded bytes and names the variable', () => {
    // 300 x "ü" is 600 UTF-8 bytes, 1800 characters once percent-encoded.
    const scope = { source: 'JOBKIT_CHECKPOINT_SCOPE', value: 'ü'.repeat(300) };
    expect(() => checkKeyLengths({ identity, checkpointScope: scope })).toThrow(/^JOBKIT_CHECKPOINT_SCOPE makes checkpoint keys \d+ bytes long .*S3 allows 1024 bytes per key/);
    expect(() => checkKeyLengths({ identity, checkpointScope: { ...scope, value: 'ü'.repeat(100) } })).not.toThrow();
  });

  it('counts the S3 prefix of the store', () => {
    expect(() => checkKeyLengths({ identity, storePrefix: 'é'.repeat(480) })).toThrow('the prefix of JOBKIT_STORE');
  });

  it.each([
    ['JOBKIT_CHECKPOINT_SCOPE', 'x'.repeat(1000)],
    ['JOBKIT_IDEMPOTENCY_SCOPE', '日'.repeat(120)],
    ['JOBKIT_JOB_NAME', 'j'.repeat(990)],
    ['JOBKIT_NAMESPACE', 'ñ'.repeat(170)],
  ])('%s too long: exit 78 at start naming it', async (name, value) => {
    const { code, ran, lines } = await start({ [name]: value });
    expect(code).toBe(78);
    expect(ran).toBe(false);
    expect(fatal(lines)).toContain(name);
    expect(fatal(lines)).toContain('S3 allows 1024 bytes per key');
  });
});
