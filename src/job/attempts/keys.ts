/**
 * Where the attempt records and dead letters of an index live, under the
 * job's per-index prefix (always the Job's own scope: an attempt belongs to
 * one Job's index):
 *
 * - `jobs/<ns>/<job>/index-<n>/attempts/<id>/start.json`: written at start,
 *   rewritten when the items in progress change;
 * - `jobs/<ns>/<job>/index-<n>/attempts/<id>/end.json`: written once at exit;
 * - `jobs/<ns>/<job>/index-<n>/quarantine/<sha256(item key), 32 hex>.json`:
 *   one dead letter per quarantined item.
 *
 * `<id>` is the start time (13 digits, ms) and the pod UID (or a random
 * suffix), so ids sort by start and two pods of one index never share a key.
 */
import { randomBytes } from 'node:crypto';
import type { JobIdentity } from '../../runtime/types.ts';
import { joinKey, keySegment, scopePrefix } from '../../store/keys.ts';
import { sha256Hex } from '../../util/hash.ts';

/** The two records of an attempt. */
export type AttemptRecordPhase = 'start' | 'end';

const ID = /^(\d{13})-([A-Za-z0-9_%-]+)$/;

/** `prefix` (already a safe key) with safe segments appended. */
const under = (prefix: string, ...segments: string[]): string => `${prefix}/${joinKey(...segments)}`;

/**
 * The prefix of an index's attempt records.
 *
 * @example
 * ```ts
 * attemptsPrefix(identity); // 'jobs/default/etl/index-3/attempts'
 * ```
 */
export function attemptsPrefix(identity: JobIdentity): string {
  return under(scopePrefix(identity, { perIndex: true }), 'attempts');
}

/**
 * The prefix of an index's dead letters.
 *
 * @example
 * ```ts
 * quarantinePrefix(identity); // 'jobs/default/etl/index-3/quarantine'
 * ```
 */
export function quarantinePrefix(identity: JobIdentity): string {
  return under(scopePrefix(identity, { perIndex: true }), 'quarantine');
}

/**
 * A new attempt id: start time and pod UID (random when the platform tells none).
 *
 * @example
 * ```ts
 * newAttemptId(1767225661000, '6f1c0b3e-1111-2222-3333-444455556666'); // '1767225661000-6f1c0b3e-1111-2222-3333-444455556666'
 * ```
 */
export function newAttemptId(startedAtMs: number, podUid: string | undefined): string {
  const suffix = podUid === undefined || podUid === '' ? randomBytes(6).toString('hex') : keySegment(podUid);
  return `${String(Math.floor(startedAtMs)).padStart(13, '0')}-${suffix}`;
}

/**
 * The key of one record of an attempt.
 *
 * @example
 * ```ts
 * attemptKey('jobs/default/etl/index-3/attempts', id, 'end'); // '.../attempts/<id>/end.json'
 * ```
 */
export function attemptKey(prefix: string, id: string, phase: AttemptRecordPhase): string {
  if (!ID.test(id)) throw new TypeError(`not an attempt id: ${JSON.stringify(id)}`);
  return under(prefix, id, `${phase}.json`);
}

/**
 * The attempt id and record of a key listed under {@link attemptsPrefix}, or undefined for another key.
 *
 * @example
 * ```ts
 * parseAttemptKey(prefix, `${prefix}/1767225661000-uid/start.json`); // { id: '1767225661000-uid', phase: 'start' }
 * ```
 */
export function parseAttemptKey(prefix: string, key: string): { readonly id: string; readonly phase: AttemptRecordPhase } | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const [id, file, ...rest] = key.slice(prefix.length + 1).split('/');
  if (id === undefined || !ID.test(id) || rest.length > 0) return undefined;
  if (file === 'start.json') return { id, phase: 'start' };
  if (file === 'end.json') return { id, phase: 'end' };
  return undefined;
}

/**
 * The name of an item's dead letter: a hash, so any item key gives a short key
 * that cannot leave its prefix (the record holds the item key itself).
 *
 * @example
 * ```ts
 * deadLetterName('row-17'); // '3c4f...' (32 hex)
 * ```
 */
export function deadLetterName(itemKey: string): string {
  return sha256Hex(itemKey).slice(0, 32);
}

/**
 * The key of an item's dead letter.
 *
 * @example
 * ```ts
 * deadLetterKey(quarantinePrefix(identity), 'row-17'); // 'jobs/default/etl/index-3/quarantine/3c4f....json'
 * ```
 */
export function deadLetterKey(prefix: string, itemKey: string): string {
  return under(prefix, `${deadLetterName(itemKey)}.json`);
}

/**
 * The dead-letter name of a key listed under {@link quarantinePrefix}, or undefined.
 *
 * @example
 * ```ts
 * deadLetterNameOfKey(prefix, `${prefix}/3c4f...json`); // '3c4f...'
 * ```
 */
export function deadLetterNameOfKey(prefix: string, key: string): string | undefined {
  const m = /^([0-9a-f]{32})\.json$/.exec(key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : '');
  return m?.[1];
}
