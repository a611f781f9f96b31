import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/cli/duration.ts';
import { describeGatewayGc } from '../../../src/cli/pushgateway-command.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

describe('jobkit pushgateway gc', () => {
  it('reads --older-than as a whole number and a unit', () => {
    expect(parseDuration('--older-than', '90s')).toBe(90_000);
    expect(parseDuration('--older-than', '30m')).toBe(1_800_000);
    expect(parseDuration('--older-than', '12h')).toBe(43_200_000);
    expect(parseDuration('--older-than', '7d')).toBe(604_800_000);
    for (const bad of ['7', '1w', '1.5d', '-1d', '0d', 'd', ' 7d']) expect(() => parseDuration('--older-than', bad), bad).toThrow(ConfigurationError);
  });

  it('prints each stale group, job first, with its age, and what a dry run would do', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    const result = {
      considered: 5,
      deleted: 0,
      stale: [{ labels: { namespace: 'data', job: 'etl', index: '0' }, lastPushSeconds: (now - 13 * 86_400_000) / 1000, jobkit: true }],
    };
    expect(describeGatewayGc(result, { dryRun: true, olderThan: '7d', now })).toBe(
      'stale  job="etl" index="0" namespace="data"  last push 2026-11-20T12:00:00.000Z (13d ago)\n' +
        'jobkit pushgateway gc: 1 of 5 groups last pushed more than 7d ago; would delete 1 (a dry run: add --yes to delete them)\n',
    );
    expect(describeGatewayGc({ ...result, deleted: 1 }, { dryRun: false, olderThan: '7d', now })).toContain('deleted 1\n');
  });
});
