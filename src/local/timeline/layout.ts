/**
 * Where things go on the timeline: lanes (one per completion index, or one
 * per pod slot for a NonIndexed Job), rows inside a lane for pods that
 * overlap (a chaos duplicate, a replacement started while the old pod still
 * terminates), and the time axis. Pure geometry, no markup.
 */
import type { RecordedRun, TimelineAttempt } from './types.ts';

/** Indexed Jobs with at most this many completions get a lane for every index, even those that never ran a pod. */
const ALL_INDEX_LANES_MAX = 200;

/**
 * One lane: its label and the rows its pods take.
 *
 * @example
 * ```ts
 * const lane: Lane = { label: 'index 0', index: 0, rows: 1 };
 * ```
 */
export interface Lane {
  readonly label: string;
  /** The completion index, for an Indexed Job. */
  readonly index: number | undefined;
  /** Rows in the lane (at least 1). */
  readonly rows: number;
}

/**
 * The lanes and, for each pod, its lane and row.
 *
 * @example
 * ```ts
 * const { lanes, placeOf } = layOutLanes(run);
 * const { lane, row } = placeOf.get('etl-0-x7k2p')!;
 * ```
 */
export interface LaneLayout {
  readonly lanes: readonly Lane[];
  readonly placeOf: ReadonlyMap<string, { readonly lane: number; readonly row: number }>;
}

interface PodSpan {
  readonly pod: string;
  readonly index: number | undefined;
  readonly startMs: number;
  readonly endMs: number;
}

/** Each pod's span, from its first attempt's start to its last one's end (OnFailure restarts stay on one row). */
function podSpans(attempts: readonly TimelineAttempt[]): PodSpan[] {
  const spans = new Map<string, PodSpan>();
  for (const a of attempts) {
    const s = spans.get(a.pod);
    spans.set(a.pod, s === undefined ? { pod: a.pod, index: a.index, startMs: a.startMs, endMs: a.endMs } : { ...s, startMs: Math.min(s.startMs, a.startMs), endMs: Math.max(s.endMs, a.endMs) });
  }
  return [...spans.values()].sort((a, b) => a.startMs - b.startMs || a.pod.localeCompare(b.pod));
}

/** Greedy interval packing: each span goes to the first slot free by its start. Returns the slot of each span. */
function pack(spans: readonly PodSpan[]): number[] {
  const freeAt: number[] = [];
  return spans.map((s) => {
    // Touching spans share a slot: the replacement of a pod starts as the old one ends.
    let slot = freeAt.findIndex((end) => end <= s.startMs);
    if (slot === -1) slot = freeAt.length;
    freeAt[slot] = s.endMs;
    return slot;
  });
}

/**
 * Lays out the lanes of a run: an Indexed Job gets a lane per index (every
 * index up to 200 completions, else the indexes that ran), and pods of the
 * same index that overlap in time get rows of their own; a NonIndexed Job
 * gets a lane per pod slot, the fewest lanes in which no two pods overlap.
 * A run with no pods still has one empty lane.
 *
 * @example
 * ```ts
 * layOutLanes(run).lanes.map((l) => l.label); // ['index 0', 'index 1']
 * ```
 */
export function layOutLanes(run: RecordedRun): LaneLayout {
  const spans = podSpans(run.attempts);
  const placeOf = new Map<string, { lane: number; row: number }>();
  if (!run.indexed) {
    const slots = pack(spans);
    spans.forEach((s, i) => placeOf.set(s.pod, { lane: slots[i]!, row: 0 }));
    const count = Math.max(1, ...slots.map((slot) => slot + 1));
    return { lanes: Array.from({ length: count }, (_, i) => ({ label: `pod slot ${i + 1}`, index: undefined, rows: 1 })), placeOf };
  }
  const indexes = new Set(spans.map((s) => s.index ?? 0));
  const completions = run.completions ?? 0;
  if (completions <= ALL_INDEX_LANES_MAX) for (let i = 0; i < completions; i++) indexes.add(i);
  if (indexes.size === 0) indexes.add(0);
  const lanes: Lane[] = [];
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const mine = spans.filter((s) => (s.index ?? 0) === index);
    const rows = pack(mine);
    mine.forEach((s, i) => placeOf.set(s.pod, { lane: lanes.length, row: rows[i]! }));
    lanes.push({ label: `index ${index}`, index, rows: Math.max(1, ...rows.map((r) => r + 1)) });
  }
  return { lanes, placeOf };
}

/** Tick steps the axis may use, in seconds: each about 1, 2 or 5 times a power of ten, then minutes. */
const TICK_STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400];

/**
 * The time axis: the span it shows and its ticks (ms), at most about
 * `maxTicks` of them, at round seconds.
 *
 * @example
 * ```ts
 * timeTicks(4300, 10); // { endMs: 5000, ticksMs: [0, 500, ..., 5000] }
 * ```
 */
export function timeTicks(durationMs: number, maxTicks: number): { endMs: number; ticksMs: number[] } {
  const span = Math.max(durationMs, 100);
  const stepS = TICK_STEPS_S.find((s) => span / (s * 1000) <= maxTicks) ?? Math.ceil(span / 1000 / maxTicks / 86_400) * 86_400;
  const stepMs = stepS * 1000;
  const endMs = Math.ceil(span / stepMs) * stepMs;
  const ticksMs: number[] = [];
  for (let i = 0; i * stepMs <= endMs; i++) ticksMs.push(Math.round(i * stepMs * 1000) / 1000);
  return { endMs, ticksMs };
}

/**
 * A tick's label: seconds (`0 s`, `2.5 s`, `90 s`), or minutes from 10 minutes on (`12 min`).
 *
 * @example
 * ```ts
 * formatTick(2500); // '2.5 s'
 * ```
 */
export function formatTick(ms: number): string {
  if (ms >= 600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * A moment for a tooltip or table, to the hundredth of a second: `0.61 s`.
 *
 * @example
 * ```ts
 * formatAt(612); // '0.61 s'
 * ```
 */
export function formatAt(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A duration for a tooltip: `850 ms`, `2.35 s`, `3 min 20 s`.
 *
 * @example
 * ```ts
 * formatDuration(2345); // '2.35 s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
