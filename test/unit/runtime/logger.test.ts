import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';
import { REDACTED, type LoggerOptions, createLogger, resolveLogLevel } from '../../../src/telemetry/logger.ts';

/** A destination that keeps the parsed lines. */
function capture(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, destination };
}

function logger(options: Omit<LoggerOptions, 'destination'> = {}): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const { lines, destination } = capture();
  return { lines, log: createLogger({ env: {}, ...options, destination }) };
}

const identity = resolveIdentity({
  JOB_COMPLETION_INDEX: '3',
  JOBKIT_COUNT: '8',
  JOBKIT_JOB_NAME: 'etl',
  JOBKIT_NAMESPACE: 'data',
  JOBKIT_POD_NAME: 'etl-3-x7k2p',
  JOBKIT_ATTEMPT: '1',
});

describe('createLogger: fields', () => {
  it('names the CronJob run on every line of a CronJob pod, and nothing more on a plain Job', () => {
    const cron = resolveIdentity({ JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report', JOBKIT_NAMESPACE: 'data' });
    const { lines, log } = logger({ identity: cron });
    log.info('start');
    expect(lines[0]).toMatchObject({ job: 'report-29453761', cronJob: 'report', scheduledTime: '2026-01-01T00:01:00Z', trigger: 'schedule', runId: 'report@2026-01-01T00:01:00Z' });
    const plain = logger({ identity });
    plain.log.info('start');
    expect(plain.lines[0]).not.toHaveProperty('cronJob');
    expect(plain.lines[0]).not.toHaveProperty('runId');
  });

  it('puts job, namespace, pod, index and attempt on every line, also on child loggers', () => {
    const { lines, log } = logger({ identity });
    log.info({ rows: 10 }, 'batch written');
    log.child({ stage: 'load' }).warn('slow');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ job: 'etl', namespace: 'data', pod: 'etl-3-x7k2p', index: 3, attempt: 1 });
    }
    expect(lines[0]).toMatchObject({ level: 'info', rows: 10, msg: 'batch written' });
    expect(lines[1]).toMatchObject({ level: 'warn', stage: 'load', msg: 'slow' });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('writes null for identity fields the platform does not tell, so every line has the same keys', () => {
    const { lines, log } = logger({ identity: resolveIdentity({}) });
    log.info('x');
    expect(lines[0]).toMatchObject({ job: 'job', namespace: 'default', pod: null, index: 0, attempt: null });
  });

  it('adds the mixin fields on every line (trace ids)', () => {
    let n = 0;
    const { lines, log } = logger({ identity, mixin: () => ({ trace_id: `t${++n}`, span_id: 's' }) });
    log.info('a');
    log.info('b');
    expect(lines.map((l) => l.trace_id)).toEqual(['t1', 't2']);
    expect(lines[0]?.span_id).toBe('s');
  });

  it('serialises errors with type, message and stack', () => {
    const { lines, log } = logger();
    log.error({ err: new RangeError('too big') }, 'failed');
    expect(lines[0]?.err).toMatchObject({ type: 'RangeError', message: 'too big' });
    expect(String((lines[0]?.err as { stack: string }).stack)).toContain('RangeError: too big');
  });
});

describe('createLogger: level', () => {
  it('reads JOBKIT_LOG_LEVEL, and the option wins', () => {
    const fromEnv = logger({ env: { JOBKIT_LOG_LEVEL: 'warn' } });
    fromEnv.log.info('hidden');
    fromEnv.log.warn('shown');
    expect(fromEnv.lines.map((l) => l.msg)).toEqual(['shown']);
    const fromCode = logger({ env: { JOBKIT_LOG_LEVEL: 'warn' }, level: 'debug' });
    fromCode.log.debug('shown');
    expect(fromCode.lines).toHaveLength(1);
  });

  it('defaults to info', () => {
    expect(resolveLogLevel({})).toBe('info');
  });

  it('refuses a bad JOBKIT_LOG_LEVEL with a ConfigurationError naming it', () => {
    expect(() => createLogger({ env: { JOBKIT_LOG_LEVEL: 'loud' } })).toThrow(ConfigurationError);
    expect(() => createLogger({ env: { JOBKIT_LOG_LEVEL: 'loud' } })).toThrow(
      'JOBKIT_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    );
  });
});

describe('createLogger: redaction', () => {
  const secrets = {
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXAMPLETOKEN',
  };

  it('never writes credentials, at any usual depth and in any spelling', () => {
    const { lines, log } = logger();
    log.info(
      {
        env: { ...secrets, PATH: '/usr/bin' },
        credentials: { accessKeyId: secrets.AWS_ACCESS_KEY_ID, secretAccessKey: secrets.AWS_SECRET_ACCESS_KEY },
        s3: { config: { secretAccessKey: secrets.AWS_SECRET_ACCESS_KEY, sessionToken: secrets.AWS_SESSION_TOKEN, region: 'eu-west-1' } },
        req: { headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE', cookie: 'sid=abc', 'x-amz-security-token': 'tok', host: 's3' } },
        user: { name: 'ana', password: 'hunter2' },
        db: { secret: 's3cr3t', token: 'abc', api_key: 'k' },
        list: [{ password: 'in-array' }],
      },
      'connecting',
    );
    const text = JSON.stringify(lines[0]);
    for (const value of [...Object.values(secrets), 'hunter2', 's3cr3t', 'sid=abc', 'tok"', 'in-array', 'Credential=']) {
      expect(text).not.toContain(value);
    }
    const line = lines[0] as Record<string, Record<string, Record<string, unknown>>>;
    expect(line.env?.AWS_SECRET_ACCESS_KEY).toBe(REDACTED);
    expect(line.env?.PATH).toBe('/usr/bin');
    expect(line.s3?.config?.region).toBe('eu-west-1');
    expect(line.req?.headers?.host).toBe('s3');
    expect(line.credentials).toBe(REDACTED);
  });

  it('redacts keys that merely contain a credential word, and keeps counts named after tokens', () => {
    const { lines, log } = logger();
    log.info(
      {
        dbPassword: 'p1',
        'x-api-key': 'p2',
        stripeSecretKey: 'p3',
        GITHUB_TOKEN: 'p4',
        'X-Auth-Token': 'p5',
        serviceAccountCredentialsJson: 'p6',
        tokensProcessed: 1200,
        tokenizer: 'bpe',
        passengers: 3,
        secretRef: 'db-creds',
        passwordFile: '/var/run/secrets/db',
      },
      'config',
    );
    const line = lines[0] as Record<string, unknown>;
    for (const key of ['dbPassword', 'x-api-key', 'stripeSecretKey', 'GITHUB_TOKEN', 'X-Auth-Token', 'serviceAccountCredentialsJson']) {
      expect(line[key], key).toBe(REDACTED);
    }
    expect(line).toMatchObject({ tokensProcessed: 1200, tokenizer: 'bpe', passengers: 3, secretRef: 'db-creds', passwordFile: '/var/run/secrets/db' });
  });

  it('redacts inside serialised errors', () => {
    const { lines, log } = logger();
    const err = Object.assign(new Error('denied'), { config: { password: 'p4ss' } });
    log.error({ err }, 'failed');
    expect(JSON.stringify(lines[0])).not.toContain('p4ss');
  });

  it('does not change the caller’s object', () => {
    const { log } = logger();
    const payload = { user: { password: 'hunter2' } };
    log.info(payload, 'x');
    expect(payload.user.password).toBe('hunter2');
  });

  it('takes extra key names and exact paths', () => {
    const { lines, log } = logger({ redactKeys: ['iban'], redactPaths: ['order.card'] });
    log.info({ customer: { IBAN: 'DE89370400440532013000' }, order: { card: '4111111111111111', total: 3 } }, 'paid');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('DE89370400440532013000');
    expect(text).not.toContain('4111111111111111');
    expect(text).toContain('"total":3');
  });

  it('leaves look-alike keys alone (tokenCount is not a token)', () => {
    const { lines, log } = logger();
    log.info({ tokenCount: 1200, secretName: 'db-creds' }, 'x');
    expect(lines[0]).toMatchObject({ tokenCount: 1200, secretName: 'db-creds' });
  });
});
