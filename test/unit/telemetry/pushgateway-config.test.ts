import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { groupingPath, redactUrl, resolvePushgatewayConfig } from '../../../src/telemetry/pushgateway.ts';
import { testIdentity } from './helpers.ts';

/** Decode a grouping path the way the Pushgateway does. */
function decodeGroupingPath(path: string): [string, string][] {
  const parts = path.replace(/^\/metrics\//, '').split('/');
  const pairs: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i]!;
    const value = parts[i + 1]!;
    if (name.endsWith('@base64')) {
      pairs.push([name.slice(0, -'@base64'.length), value === '=' ? '' : Buffer.from(value, 'base64url').toString('utf8')]);
    } else {
      pairs.push([name, decodeURIComponent(value)]);
    }
  }
  return pairs;
}

describe('groupingPath', () => {
  it('keeps plain values readable', () => {
    expect(groupingPath([['job', 'etl'], ['namespace', 'data'], ['index', '3']])).toBe('/metrics/job/etl/namespace/data/index/3');
  });

  it('uses the @base64 form for "/", empty and non-ASCII values', () => {
    expect(groupingPath([['job', 'a/b']])).toBe('/metrics/job@base64/YS9i');
    expect(groupingPath([['job', 'etl'], ['run', '']])).toBe('/metrics/job/etl/run@base64/=');
    expect(groupingPath([['job', 'données']])).toBe(`/metrics/job@base64/${Buffer.from('données').toString('base64url')}`);
  });

  it('round-trips any value, and never puts a raw "/" inside a value', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'grapheme' }), (job, value) => {
        const path = groupingPath([['job', job], ['index', value]]);
        expect(path.split('/')).toHaveLength(6);
        expect(decodeGroupingPath(path)).toEqual([['job', job], ['index', value]]);
      }),
    );
  });

  it('refuses a grouping key that does not start with job', () => {
    expect(() => groupingPath([['index', '1']])).toThrow(TypeError);
  });
});

describe('redactUrl', () => {
  it('hides user and password', () => {
    expect(redactUrl('https://bob:s3cret@pgw.example:9091/x')).toBe('https://***@pgw.example:9091/x');
    expect(redactUrl('http://token@pgw:9091')).toBe('http://***@pgw:9091');
    // The userinfo runs to the last @ (a secret may hold / # ?): a path with @ is over-redacted, never leaked.
    expect(redactUrl('http://pgw:9091/a@b')).toBe('http://***@b');
  });
});

describe('resolvePushgatewayConfig', () => {
  const identity = testIdentity();

  it('is off when no URL is configured', () => {
    expect(resolvePushgatewayConfig(identity, {})).toBeUndefined();
    expect(resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: '  ' })).toBeUndefined();
  });

  it('groups by job, namespace and index by default, keeping a path prefix', () => {
    const config = resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091/gateway/' });
    expect(config?.groupUrl.href).toBe('http://pgw:9091/gateway/metrics/job/etl/namespace/data/index/3');
    expect(config).toMatchObject({ intervalMs: 30_000, timeoutMs: 3_000, deleteOnSuccess: false, authorization: undefined });
  });

  it('groups by pod when asked, and refuses it without a pod name', () => {
    const config = resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091', JOBKIT_PUSHGATEWAY_GROUP_BY: 'pod' });
    expect(config?.groupUrl.pathname).toBe('/metrics/job/etl/namespace/data/pod/etl-3-x7k2p');
    expect(() =>
      resolvePushgatewayConfig(testIdentity({ podName: undefined }), { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091' }, { groupBy: 'pod' }),
    ).toThrow(/JOBKIT_POD_NAME/);
  });

  it('moves credentials out of the URL into a header and out of the display URL', () => {
    const config = resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'https://bob:p%40ss@pgw.example' });
    expect(config?.authorization).toBe(`Basic ${Buffer.from('bob:p@ss').toString('base64')}`);
    expect(config?.groupUrl.username).toBe('');
    expect(config?.groupUrl.password).toBe('');
    expect(config?.displayUrl).toBe('https://***@pgw.example/metrics/job/etl/namespace/data/index/3');
    expect(config?.displayUrl).not.toContain('bob');
  });

  it('reads interval, timeout and delete-on-success from the environment; options win', () => {
    const env = {
      JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091',
      JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: '0',
      JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: '1.5',
      JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS: 'TRUE',
    };
    expect(resolvePushgatewayConfig(identity, env)).toMatchObject({ intervalMs: 0, timeoutMs: 1_500, deleteOnSuccess: true });
    expect(resolvePushgatewayConfig(identity, env, { intervalMs: 10, timeoutMs: 20, deleteOnSuccess: false })).toMatchObject({
      intervalMs: 10,
      timeoutMs: 20,
      deleteOnSuccess: false,
    });
  });

  it('adds validated extra grouping labels', () => {
    const config = resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091' }, { grouping: { run: '2024/06' } });
    expect(config?.groupUrl.pathname).toBe(`/metrics/job/etl/namespace/data/index/3/run@base64/${Buffer.from('2024/06').toString('base64url')}`);
    for (const bad of ['1run', 'a-b', '__name', 'index', 'job']) {
      expect(() => resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'http://pgw' }, { grouping: { [bad]: 'x' } })).toThrow(
        ConfigurationError,
      );
    }
  });

  it('names the variable and the bad value, without the credentials', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ JOBKIT_PUSHGATEWAY_URL: 'ftp://bob:s3cret@pgw' }, /JOBKIT_PUSHGATEWAY_URL must be an http\(s\) URL, got "ftp:\/\/\*\*\*@pgw"/],
      [{ JOBKIT_PUSHGATEWAY_URL: 'pgw:9091 x' }, /JOBKIT_PUSHGATEWAY_URL/],
      [{ JOBKIT_PUSHGATEWAY_URL: 'http://pgw', JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: '0' }, /JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS.*"0"/],
      [{ JOBKIT_PUSHGATEWAY_URL: 'http://pgw', JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: 'soon' }, /JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS.*"soon"/],
      [{ JOBKIT_PUSHGATEWAY_URL: 'http://pgw', JOBKIT_PUSHGATEWAY_GROUP_BY: 'node' }, /JOBKIT_PUSHGATEWAY_GROUP_BY.*"node"/],
      [{ JOBKIT_PUSHGATEWAY_URL: 'http://pgw', JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS: 'yes' }, /JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS.*"yes"/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        resolvePushgatewayConfig(identity, env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('s3cret');
    }
    expect(() => resolvePushgatewayConfig(identity, {}, { url: 'http://pgw', timeoutMs: 0 })).toThrow(/option timeoutMs/);
  });
});
