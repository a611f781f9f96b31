import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { SecretValues } from '../../../src/telemetry/secret-values.ts';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(chunk.toString()); cb(); } });
  return { lines, stream };
}

describe('SecretValues', () => {
  it('redacts registered values in the message, fields and error stacks, raw and JSON-escaped', () => {
    const values = new SecretValues();
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream, secretValues: values });
    const token = 'tok"en\\with-quote-9f8e7d\n';
    values.add(token);
    values.add('ab'); // too short: ignored
    log.info({ url: `https://api.example/x?t=${token.trim()}` }, `calling with ${token}`);
    log.error({ err: new Error(`bad token ${token.trim()}`) }, 'failed');
    log.info('ab stays');
    const out = lines.join('');
    expect(out).not.toContain('with-quote-9f8e7d');
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('ab stays');
    expect(values.size).toBe(2);
  });

  it('leaves lines alone when nothing is registered', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream, secretValues: new SecretValues() });
    log.info('plain line');
    expect(lines.join('')).toContain('plain line');
  });
});
