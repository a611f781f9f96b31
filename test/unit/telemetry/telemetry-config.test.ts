import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { telemetryOptionsFromEnv } from '../../../src/telemetry/config.ts';

describe('telemetryOptionsFromEnv', () => {
  it('reads nothing from an empty environment', () => {
    expect(telemetryOptionsFromEnv({})).toEqual({ tracing: { enabled: false, because: 'no OTLP endpoint configured' } });
  });

  it('reads the level, the Pushgateway settings and the tracing decision', () => {
    const env = {
      JOBKIT_LOG_LEVEL: 'DEBUG',
      JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091',
      JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: '0',
      JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: '1.5',
      JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    };
    expect(telemetryOptionsFromEnv(env)).toEqual({
      logLevel: 'debug',
      pushgateway: { url: 'http://pgw:9091', intervalMs: 0, timeoutMs: 1_500, deleteOnSuccess: true },
      tracing: { enabled: true, because: 'OTEL_EXPORTER_OTLP_ENDPOINT is set' },
    });
  });

  it('refuses bad values naming the variable', () => {
    expect(() => telemetryOptionsFromEnv({ JOBKIT_LOG_LEVEL: 'loud' })).toThrow(/^JOBKIT_LOG_LEVEL must be one of/);
    expect(() => telemetryOptionsFromEnv({ JOBKIT_PUSHGATEWAY_URL: 'ftp://pgw' })).toThrow('JOBKIT_PUSHGATEWAY_URL must be an http(s) URL, got "ftp://pgw"');
    const timeout = { JOBKIT_PUSHGATEWAY_URL: 'http://pgw', JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: '0' };
    expect(() => telemetryOptionsFromEnv(timeout)).toThrow(ConfigurationError);
    expect(() => telemetryOptionsFromEnv(timeout)).toThrow(/^JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS must be a number > 0/);
  });

  it('does not read the other Pushgateway variables without a gateway URL (as runJob does not)', () => {
    expect(telemetryOptionsFromEnv({ JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: 'soon' }).pushgateway).toBeUndefined();
  });
});
