/**
 * Log redaction at any depth and through any object: class instances, errors
 * and their causes, AggregateError members, URL instances, values with
 * toJSON, and jobkit's own secret-bearing variables when process.env is
 * logged. Bounded: what is too deep or too large to check is not logged.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, UNCHECKED_DEPTH } from '../../../src/telemetry/logger.ts';
import { captureLines } from '../telemetry/helpers.ts';

function logged(write: (log: ReturnType<typeof createLogger>) => void): string {
  const { stream, lines } = captureLines();
  const log = createLogger({ destination: stream });
  write(log);
  return JSON.stringify(lines());
}

class HttpRequest {
  readonly method = 'GET';
  readonly headers = { authorization: 'Bearer SECRET-1', accept: 'json' };
}

class StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  constructor(accessKeyId: string, secretAccessKey: string) {
    this.accessKeyId = accessKeyId;
    this.secretAccessKey = secretAccessKey;
  }
}

class Opaque {
  readonly #secret = 'SECRET-10';
  toJSON(): unknown {
    return { apiKey: this.#secret, visible: 'yes' };
  }
}

describe('log redaction', () => {
  it('walks class instances: an HTTP request, a credentials class, a value with toJSON', () => {
    const out = logged((log) => log.info({ req: new HttpRequest(), client: { creds: new StaticCredentials('AKID-2', 'SECRET-2') }, opaque: new Opaque() }, 'calling'));
    expect(out).not.toContain('SECRET-1');
    expect(out).not.toContain('SECRET-2');
    expect(out).not.toContain('SECRET-10');
    expect(out).toContain('"accept":"json"');
    expect(out).toContain('"visible":"yes"');
  });

  it("walks an error's cause chain and an AggregateError's members, in log.error({ err })", () => {
    const inner = Object.assign(new Error('inner'), { config: { password: 'SECRET-3' } });
    const middle = new Error('middle', { cause: inner });
    const member = Object.assign(new Error('member'), { request: new HttpRequest(), sessionToken: 'SECRET-4' });
    const aggregate = new AggregateError([member], 'several failed', { cause: middle });
    const out = logged((log) => {
      log.error({ err: aggregate }, 'failed');
      log.error({ failure: member, other: inner }, 'also under other keys');
    });
    for (const s of ['SECRET-1', 'SECRET-3', 'SECRET-4']) expect(out).not.toContain(s);
    expect(out).toContain('several failed');
  });

  it("redacts jobkit's secret-bearing variables when process.env is logged", () => {
    const env = {
      JOBKIT_PUSHGATEWAY_URL: 'http://user:SECRET-5/x#y@pgw:9091',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer SECRET-6',
      AWS_SECRET_ACCESS_KEY: 'SECRET-7',
      AWS_SESSION_TOKEN: 'SECRET-8',
      DATABASE_URL: 'postgres://app:SECRET-9@db:5432/app',
      JOBKIT_STORE: 's3://bucket/prefix',
    };
    const out = logged((log) => log.info({ env }, 'environment'));
    for (const s of ['SECRET-5', 'SECRET-6', 'SECRET-7', 'SECRET-8', 'SECRET-9']) expect(out).not.toContain(s);
    expect(out).toContain('s3://bucket/prefix');
    expect(out).toContain('pgw:9091');
  });

  it('hides the userinfo of URL instances', () => {
    const out = logged((log) => log.info({ endpoint: new URL('https://u:SECRET-11@api.example/v1') }, 'endpoint'));
    expect(out).not.toContain('SECRET-11');
    expect(out).toContain('api.example/v1');
  });

  it('logs nothing unchecked past the depth bound', () => {
    let deep: Record<string, unknown> = { password: 'SECRET-12', note: 'NOT-SECRET-BUT-DEEP' };
    for (let i = 0; i < 30; i++) deep = { level: deep };
    const out = logged((log) => log.info({ deep }, 'deep'));
    expect(out).not.toContain('SECRET-12');
    expect(out).not.toContain('NOT-SECRET-BUT-DEEP');
    expect(out).toContain(UNCHECKED_DEPTH);
  });

  it('logs nothing unchecked past the size bound', () => {
    const wide = Array.from({ length: 20_000 }, (_, i) => ({ i, auth: { token: `SECRET-W${i}` } }));
    const out = logged((log) => log.info({ wide }, 'wide'));
    expect(out).not.toMatch(/SECRET-W\d/);
  });
});
