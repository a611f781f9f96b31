/**
 * The schedule engine against the real library: every case of
 * test/conformance/cron/expected.json was computed by robfig/cron v3.0.1
 * (scripts/gen-cron-conformance.sh), the parser and `Next` the Kubernetes
 * CronJob controller uses. Same errors, same instants, DST included.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CronScheduleError, parseCronSchedule } from '../../../src/local/cron/schedule.ts';

interface Expected {
  readonly spec: string;
  readonly zone: string;
  readonly start: string;
  readonly count: number;
  readonly error?: string;
  readonly next?: readonly string[];
}

const table = JSON.parse(readFileSync(new URL('../../conformance/cron/expected.json', import.meta.url), 'utf8')) as Expected[];

function actual(c: Expected): { error?: string; next?: string[] } {
  let schedule;
  try {
    schedule = parseCronSchedule(c.spec, { defaultTimeZone: c.zone });
  } catch (err) {
    if (!(err instanceof CronScheduleError)) throw err;
    return { error: err.message };
  }
  const next: string[] = [];
  let t: Date | undefined = new Date(c.start);
  for (let i = 0; i < c.count; i++) {
    t = schedule.next(t);
    if (t === undefined) {
      next.push('none');
      break;
    }
    next.push(t.toISOString().replace('.000Z', 'Z'));
  }
  return { next };
}

/** Go prints fractional seconds without trailing zeros; milliseconds are all an instant here has. */
function normalise(iso: string): string {
  return iso === 'none' ? iso : new Date(iso).toISOString().replace('.000Z', 'Z');
}

describe('cron schedules: robfig/cron v3 conformance', () => {
  it('has a table of at least 150 cases with errors and DST zones', () => {
    expect(table.length).toBeGreaterThanOrEqual(150);
    expect(table.filter((c) => c.error !== undefined).length).toBeGreaterThanOrEqual(30);
    expect(new Set(table.map((c) => c.zone)).size).toBeGreaterThanOrEqual(8);
  });

  it.each(table.filter((c) => !(c.error ?? '').startsWith('panic:')).map((c) => [`${JSON.stringify(c.spec)} in ${c.zone} after ${c.start}`, c] as const))('%s', (_name, c) => {
    const got = actual(c);
    if (c.error !== undefined) expect(got).toEqual({ error: c.error });
    else expect(got).toEqual({ next: (c.next ?? []).map(normalise) });
  });
});
