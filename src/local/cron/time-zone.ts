/**
 * Wall-clock arithmetic in IANA time zones, as Go's time package does it:
 * the fields of an instant in a zone, `time.Date` (with its normalisation of
 * out-of-range fields and its choice for local times that do not exist or
 * exist twice), `time.LoadLocation`'s notion of a known zone, and RFC 3339
 * formatting with the zone's offset. Built on Intl (no tz library): the
 * formatters are cached per zone, since the schedule search calls them in a
 * loop.
 */
import { existsSync, statSync } from 'node:fs';

/** The wall-clock fields of an instant in a zone. Month 1-12, weekday 0 (Sunday) - 6. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu', 'Etc/GMT', 'GMT', 'Etc/Greenwich', 'Greenwich', 'GMT0', 'Etc/GMT0', 'GMT+0', 'GMT-0', 'Etc/GMT+0', 'Etc/GMT-0']);

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/**
 * The wall-clock fields of `ms` in `zone`.
 *
 * @example
 * ```ts
 * wallTime(Date.parse('2026-01-01T08:00:00Z'), 'Europe/Berlin').hour; // 9
 * ```
 */
export function wallTime(ms: number, zone: string): WallTime {
  if (UTC_NAMES.has(zone)) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
  }
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatter(zone).formatToParts(ms)) parts[part.type] = part.value;
  const year = Number(parts.year);
  return {
    // Before year 1 the era is BC and the year counts down: Go's year 0 is 1 BC.
    year: parts.era?.startsWith('B') === true ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
  };
}

/**
 * The zone's offset from UTC at `ms`, in milliseconds (whole seconds).
 *
 * @example
 * ```ts
 * offsetAt(Date.parse('2026-07-01T00:00:00Z'), 'Europe/Berlin'); // 7_200_000
 * ```
 */
export function offsetAt(ms: number, zone: string): number {
  if (UTC_NAMES.has(zone)) return 0;
  const w = wallTime(ms, zone);
  const wall = utcFromFields(w.year, w.month, w.day, w.hour, w.minute, w.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Date.UTC without its two-digit-year quirk; out-of-range fields roll over linearly, as Go's time.Date normalises. */
function utcFromFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/**
 * Go's `time.Date(year, month, day, hour, min, sec, 0, loc)`: out-of-range
 * fields roll over (month 13 is January of the next year, day 0 the last of
 * the previous month), and a local time that does not exist (spring forward)
 * or exists twice (fall back) is resolved as Go resolves it: the offset in
 * effect at the wall time read as UTC, corrected once if that lands outside
 * its period. In practice a missing time moves forward by the gap; a repeated
 * time takes the later offset east of UTC and the earlier one west of it.
 *
 * @example
 * ```ts
 * new Date(zonedDate(2026, 3, 29, 2, 30, 0, 'Europe/Berlin')).toISOString(); // '2026-03-29T01:30:00.000Z' (03:30 CEST)
 * ```
 */
export function zonedDate(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string): number {
  const unix = utcFromFields(year, month, day, hour, minute, second);
  const offset = offsetAt(unix, zone);
  if (offset === 0) return unix;
  const utc = unix - offset;
  const corrected = offsetAt(utc, zone);
  return corrected === offset ? utc : unix - corrected;
}

const ZONEINFO_DIRS = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/', '/etc/zoneinfo/'];

function zoneinfoFile(name: string): boolean | undefined {
  const dirs = [...(process.env['ZONEINFO'] === undefined ? [] : [`${process.env['ZONEINFO']}/`]), ...ZONEINFO_DIRS];
  let anyDir = false;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    anyDir = true;
    try {
      if (statSync(`${dir}${name}`).isFile()) return true;
    } catch {
      // not in this directory
    }
  }
  return anyDir ? false : undefined;
}

function intlKnows(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether Go's `time.LoadLocation(name)` would load the zone, and this
 * process can compute in it: `""` and `UTC` are UTC, `Local` is the
 * process's zone; other names must be a zoneinfo file (as Go reads the
 * system's tz database; where the machine has none, the names Intl knows,
 * case-sensitively) and known to Intl.
 *
 * @example
 * ```ts
 * isKnownTimeZone('Europe/Berlin'); // true
 * isKnownTimeZone('europe/berlin'); // false: Go's lookup is case-sensitive
 * ```
 */
export function isKnownTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  if (name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '.' || p === '')) return false;
  if (!intlKnows(name)) return false;
  const file = zoneinfoFile(name);
  if (file !== undefined) return file;
  return Intl.supportedValuesOf('timeZone').includes(name) || UTC_NAMES.has(name);
}

/**
 * The zone Go's LoadLocation gives for a name, as an Intl zone name: `""` and
 * `UTC` are UTC, `Local` is `localZone`.
 *
 * @example
 * ```ts
 * resolveTimeZone('', 'Europe/Berlin'); // 'UTC'
 * resolveTimeZone('Local', 'Europe/Berlin'); // 'Europe/Berlin'
 * ```
 */
export function resolveTimeZone(name: string, localZone: string): string {
  if (name === '' || name === 'UTC') return 'UTC';
  return name === 'Local' ? localZone : name;
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/**
 * An instant as Go's `t.In(zone).Format(time.RFC3339)`: the wall time in the
 * zone with its offset, `Z` when the offset is zero.
 *
 * @example
 * ```ts
 * formatInZone(new Date('2026-01-01T08:00:00Z'), 'Europe/Berlin'); // '2026-01-01T09:00:00+01:00'
 * formatInZone(new Date('2026-01-01T08:00:00Z'), 'UTC');           // '2026-01-01T08:00:00Z'
 * ```
 */
export function formatInZone(date: Date, zone: string): string {
  const ms = date.getTime();
  const w = wallTime(ms, zone);
  const offsetS = Math.round(offsetAt(ms, zone) / 1000);
  const year = w.year < 0 ? `-${pad(w.year, 4)}` : pad(w.year, 4);
  const stamp = `${year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  if (offsetS === 0) return `${stamp}Z`;
  const abs = Math.abs(offsetS);
  // RFC 3339 has no seconds in the offset: Go drops them.
  return `${stamp}${offsetS < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}
