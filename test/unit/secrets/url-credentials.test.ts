/**
 * Credentials in URL settings whose secret holds `/`, `#`, `?`, `%` or `@`
 * (AWS secret keys often contain `/`): never echoed in an error, in what the
 * error carries, or in a display URL; a malformed percent-escape names the
 * setting, not the value.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { openStore } from '../../../src/store/open.ts';
import { parseStoreUrl } from '../../../src/store/schemes.ts';
import { resolvePushgatewayConfig } from '../../../src/telemetry/pushgateway.ts';
import { redactUrl, splitUserinfo } from '../../../src/util/url-credentials.ts';
import { testIdentity } from '../telemetry/helpers.ts';

const SECRETS = ['abc/def', 'ab#cd', 'ab?cd', 'ab%2Fcd', 'a@b/c?d#e'];

function everythingOf(err: unknown): string {
  return `${String(err)}\n${inspect(err, { depth: Infinity, showHidden: true })}\n${JSON.stringify(err)}`;
}

function expectNoSecret(text: string, secret: string): void {
  expect(text).not.toContain(secret);
  expect(text).not.toContain('AKIDEXAMPLE');
  // Pieces of the secret on either side of a special character must not leak either.
  for (const piece of secret.split(/[/#?%@]/).filter((p) => p.length >= 2)) expect(text).not.toContain(`${piece}@`);
}

describe('URL credentials with special characters', () => {
  it('splits the userinfo at the last @, before any URL parsing', () => {
    expect(splitUserinfo('s3://AKID:abc/def@bucket/p')).toEqual({ url: 's3://bucket/p', userinfo: 'AKID:abc/def' });
    expect(splitUserinfo('http://u:a@b/c?d#e@host:9091/x')).toEqual({ url: 'http://host:9091/x', userinfo: 'u:a@b/c?d#e' });
    expect(splitUserinfo('s3://bucket/p')).toEqual({ url: 's3://bucket/p', userinfo: undefined });
    expect(redactUrl('http://user:pa/ss@host:9091')).toBe('http://***@host:9091');
  });

  for (const secret of SECRETS) {
    it(`JOBKIT_STORE=s3://AKIDEXAMPLE:${secret}@bucket/p is refused without echoing the secret`, () => {
      const value = `s3://AKIDEXAMPLE:${secret}@my-bucket/p`;
      for (const attempt of [() => openStore(undefined, { env: { JOBKIT_STORE: value } }), () => parseStoreUrl(value)]) {
        let err: unknown;
        try {
          attempt();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ConfigurationError);
        expect(String(err)).toContain('JOBKIT_STORE');
        expectNoSecret(everythingOf(err), secret);
      }
    });

    it(`JOBKIT_PUSHGATEWAY_URL with password ${secret} authenticates with it and never shows it`, () => {
      const config = resolvePushgatewayConfig(testIdentity(), { JOBKIT_PUSHGATEWAY_URL: `http://AKIDEXAMPLE:${secret}@pgw.example:9091` });
      expect(config?.groupUrl.host).toBe('pgw.example:9091');
      expectNoSecret(`${config?.displayUrl} ${config?.groupUrl.href}`, secret);
      const basic = Buffer.from(config!.authorization!.replace(/^Basic /, ''), 'base64').toString();
      expect(basic).toBe(`AKIDEXAMPLE:${decodeURIComponent(secret)}`);
    });
  }

  it('a malformed percent-escape in the Pushgateway password is a ConfigurationError naming the variable, not the value', () => {
    let err: unknown;
    try {
      resolvePushgatewayConfig(testIdentity(), { JOBKIT_PUSHGATEWAY_URL: 'http://user:s3cr%zzet@pgw.example:9091' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(String(err)).toContain('JOBKIT_PUSHGATEWAY_URL');
    expect(everythingOf(err)).not.toContain('s3cr');
  });
});
