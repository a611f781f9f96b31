import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/index.ts';
import { addTotals, hourTotals, renderReport, reportDay } from '../../../examples/nightly-report/report.ts';

describe('examples/nightly-report: the day a run reports on', () => {
  it('is the day before the scheduled time, whatever the clock says', () => {
    const lateCatchUp = new Date('2026-12-04T09:13:00Z');
    expect(reportDay({ scheduledTime: new Date('2026-12-02T02:00:00Z') }, {}, lateCatchUp)).toBe('2026-12-01');
  });

  it('is the day before now for a manual run, and REPORT_DAY when set', () => {
    expect(reportDay({ scheduledTime: undefined }, {}, new Date('2026-12-03T00:10:00Z'))).toBe('2026-12-02');
    expect(reportDay({ scheduledTime: new Date('2026-12-02T02:00:00Z') }, { REPORT_DAY: '2026-11-30' })).toBe('2026-11-30');
  });

  it('refuses a REPORT_DAY that is not a date, naming it (exit 78)', () => {
    expect(() => reportDay({ scheduledTime: undefined }, { REPORT_DAY: 'yesterday' })).toThrow(new ConfigurationError('REPORT_DAY must be a date YYYY-MM-DD, got "yesterday"'));
    expect(() => reportDay({ scheduledTime: undefined }, { REPORT_DAY: '2026-13-45' })).toThrow(ConfigurationError);
  });

  it('renders the same bytes for the same day, different ones for another day', () => {
    const sum = (day: string): string => renderReport(day, Array.from({ length: 24 }, (_, h) => hourTotals(day, h)).reduce(addTotals, {}));
    expect(sum('2026-12-01')).toBe(sum('2026-12-01'));
    expect(sum('2026-12-01')).not.toBe(sum('2026-12-02').replace('2026-12-02', '2026-12-01'));
  });
});
