/**
 * The timeline page: a {@link RecordedRun} to one self-contained HTML file,
 * an inline SVG with a lane per index (or pod slot), a bar per pod attempt
 * coloured by how it ended, chaos and checkpoint markers, the Job's
 * conditions on the time axis, a legend, and the same facts as tables. No
 * script, no external resource (a Content-Security-Policy of `default-src
 * 'none'` says so to the browser too); every string is escaped.
 */
import type { ChaosKind } from '../chaos.ts';
import { escapeHtml } from './escape.ts';
import { type LaneLayout, formatAt, formatDuration, formatTick, layOutLanes, timeTicks } from './layout.ts';
import type { AttemptOutcome, RecordedRun, TimelineAttempt, TimelineChaos, TimelineCheckpoint, TimelineCondition } from './types.ts';

/** Page geometry, px. */
const WIDTH = 1280;
const LEFT = 100;
const RIGHT = 36;
const PLOT = WIDTH - LEFT - RIGHT;
const ROW_H = 30;
const BAR_H = 18;
const LANE_PAD = 4;
const LABEL_ROW_H = 18;
/** Average width of a character of the 12 px sans-serif labels, for packing labels without measuring them. */
const CHAR_W = 7;

/** What each outcome looks like and says in the legend. */
const OUTCOMES: Readonly<Record<AttemptOutcome, { readonly fill: string; readonly legend: string }>> = {
  succeeded: { fill: '#2e7d32', legend: 'succeeded' },
  failed: { fill: '#c62828', legend: 'failed (exit code on the bar)' },
  preempted: { fill: '#ef6c00', legend: 'preempted (DisruptionTarget)' },
  killed: { fill: '#6a1b9a', legend: 'killed (signal, or deleted by the controller)' },
  duplicate: { fill: '#1565c0', legend: 'duplicate pod (chaos)' },
  unfinished: { fill: '#9e9e9e', legend: 'unfinished (run interrupted)' },
};
const OUTCOME_NAMES = Object.keys(OUTCOMES) as AttemptOutcome[];

/** Condition line colours: success green, failure red, anything else slate. */
function conditionColour(c: TimelineCondition): string {
  if (c.status !== 'True') return '#546e7a';
  switch (c.type) {
    case 'Complete':
    case 'SuccessCriteriaMet':
      return '#1b5e20';
    case 'Failed':
    case 'FailureTarget':
      return '#b71c1c';
    case 'Suspended':
      return '#37474f';
  }
}

const px = (n: number): string => String(Math.round(n * 10) / 10);

/** An attribute list, values escaped; undefined values are left out. */
function attrs(values: Readonly<Record<string, string | number | boolean | undefined>>): string {
  return Object.entries(values)
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeHtml(String(v))}"`)
    .join('');
}

const title = (lines: readonly string[]): string => `<title>${escapeHtml(lines.join('\n'))}</title>`;

/** The shape of each chaos kind, centred on (x, y), dark with a white outline so it shows on any bar. */
function chaosShape(kind: ChaosKind, x: number, y: number): string {
  const outline = ' fill="#212121" stroke="#fff" stroke-width="1.5"';
  switch (kind) {
    case 'preempt':
      return `<path d="M${px(x - 7)} ${px(y - 6)}h14l-7 12z"${outline}/>`;
    case 'kill':
      return (
        `<path d="M${px(x - 5)} ${px(y - 5)}l10 10M${px(x + 5)} ${px(y - 5)}l-10 10" stroke="#fff" stroke-width="6" stroke-linecap="round"/>` +
        `<path d="M${px(x - 5)} ${px(y - 5)}l10 10M${px(x + 5)} ${px(y - 5)}l-10 10" stroke="#212121" stroke-width="3" stroke-linecap="round"/>`
      );
    case 'duplicate':
      return `<rect x="${px(x - 6)}" y="${px(y - 6)}" width="8" height="8"${outline}/><rect x="${px(x - 2)}" y="${px(y - 2)}" width="8" height="8"${outline}/>`;
  }
}

function checkpointShape(final: boolean, x: number, y: number): string {
  return `<circle cx="${px(x)}" cy="${px(y)}" r="4.5" fill="${final ? '#fdd835' : '#fff'}" stroke="#212121" stroke-width="1.5"/>`;
}

/** Puts labels (x ranges) into the fewest rows in which none overlap; returns each label's row. */
function packLabels(ranges: ReadonlyArray<readonly [number, number]>): number[] {
  const rowEnds: number[] = [];
  return ranges.map(([from, to]) => {
    let row = rowEnds.findIndex((end) => end + 6 <= from);
    if (row === -1) row = rowEnds.length;
    rowEnds[row] = to;
    return row;
  });
}

interface Geometry {
  readonly x: (ms: number) => number;
  readonly layout: LaneLayout;
  /** Top of each lane, px. */
  readonly laneTops: readonly number[];
  readonly lanesTop: number;
  readonly lanesBottom: number;
}

function rowCentre(g: Geometry, pod: string, index: number | undefined): number {
  const place = g.layout.placeOf.get(pod) ?? { lane: Math.max(0, g.layout.lanes.findIndex((l) => l.index === index)), row: 0 };
  return (g.laneTops[place.lane] ?? g.lanesTop) + LANE_PAD + place.row * ROW_H + ROW_H / 2;
}

function attemptBar(g: Geometry, a: TimelineAttempt): string {
  const x0 = g.x(a.startMs);
  const width = Math.max(2, g.x(a.endMs) - x0);
  const y = rowCentre(g, a.pod, a.index) - BAR_H / 2;
  const tip = [
    `${a.pod}${a.restart > 0 ? ` (restart ${a.restart})` : ''}`,
    `${a.outcome}${a.exitCode === undefined ? '' : `, exit code ${a.exitCode}`}`,
    a.reason,
    `${formatAt(a.startMs)} to ${formatAt(a.endMs)} (${formatDuration(a.endMs - a.startMs)})`,
  ];
  const code = a.exitCode === undefined || a.outcome === 'succeeded' ? undefined : a.exitCode;
  const label = code === undefined ? '' : width >= 48 ? `exit ${code}` : width >= 22 ? String(code) : '';
  const text = label === '' ? '' : `<text x="${px(x0 + width / 2)}" y="${px(y + BAR_H / 2 + 4)}" class="bar-label">${escapeHtml(label)}</text>`;
  return (
    `<g${attrs({ 'data-kind': 'attempt', 'data-pod': a.pod, 'data-index': a.index, 'data-restart': a.restart, 'data-outcome': a.outcome, 'data-exit-code': a.exitCode, 'data-start-ms': Math.round(a.startMs), 'data-end-ms': Math.round(a.endMs) })}>` +
    title(tip) +
    `<rect x="${px(x0)}" y="${px(y)}" width="${px(width)}" height="${BAR_H}" rx="3" fill="${OUTCOMES[a.outcome].fill}"/>${text}</g>`
  );
}

function chaosMarker(g: Geometry, c: TimelineChaos): string {
  const x = g.x(c.atMs);
  const y = rowCentre(g, c.pod, c.index);
  const tip = [`chaos ${c.kind} at ${formatAt(c.atMs)}`, `pod ${c.pod}`, ...(c.duplicate === undefined ? [] : [`started duplicate ${c.duplicate}`])];
  return (
    `<g${attrs({ 'data-kind': 'chaos', 'data-chaos-kind': c.kind, 'data-pod': c.pod, 'data-index': c.index, 'data-at-ms': Math.round(c.atMs) })}>` +
    title(tip) +
    `<line x1="${px(x)}" x2="${px(x)}" y1="${px(y - ROW_H / 2 + 2)}" y2="${px(y + ROW_H / 2 - 2)}" stroke="#212121" stroke-width="1.5"/>` +
    chaosShape(c.kind, x, y - BAR_H / 2 - 1) +
    '</g>'
  );
}

function checkpointMarker(g: Geometry, c: TimelineCheckpoint): string {
  const tip = [`${c.final ? 'final checkpoint' : 'checkpoint'}${c.seq === undefined ? '' : ` seq ${c.seq}`} committed at ${formatAt(c.atMs)}`, `pod ${c.pod}`];
  return (
    `<g${attrs({ 'data-kind': 'checkpoint', 'data-pod': c.pod, 'data-index': c.index, 'data-seq': c.seq, 'data-final': c.final, 'data-at-ms': Math.round(c.atMs) })}>` +
    title(tip) +
    checkpointShape(c.final, g.x(c.atMs), rowCentre(g, c.pod, c.index)) +
    '</g>'
  );
}

function conditionName(c: TimelineCondition): string {
  return c.status === 'True' ? c.type : `${c.type}=${c.status}`;
}

function legend(top: number): { svg: string; height: number } {
  const items: Array<{ key: string; swatch: (x: number, y: number) => string; label: string }> = [
    ...OUTCOME_NAMES.map((o) => ({ key: o, label: OUTCOMES[o].legend, swatch: (x: number, y: number) => `<rect x="${px(x)}" y="${px(y - 7)}" width="22" height="14" rx="3" fill="${OUTCOMES[o].fill}"/>` })),
    ...(['preempt', 'kill', 'duplicate'] as const).map((k) => ({ key: `chaos-${k}`, label: `chaos ${k}`, swatch: (x: number, y: number) => chaosShape(k, x + 11, y) })),
    { key: 'checkpoint', label: 'checkpoint commit', swatch: (x: number, y: number) => checkpointShape(false, x + 11, y) },
    { key: 'checkpoint-final', label: 'final checkpoint (at exit)', swatch: (x: number, y: number) => checkpointShape(true, x + 11, y) },
    { key: 'condition', label: 'Job condition', swatch: (x: number, y: number) => `<line x1="${px(x + 11)}" x2="${px(x + 11)}" y1="${px(y - 8)}" y2="${px(y + 8)}" stroke="#1b5e20" stroke-width="1.5" stroke-dasharray="4 3"/>` },
  ];
  let x = LEFT;
  let y = top + 12;
  const parts: string[] = [];
  for (const item of items) {
    const w = 30 + item.label.length * CHAR_W + 20;
    if (x + w > WIDTH - RIGHT && x > LEFT) {
      x = LEFT;
      y += 22;
    }
    parts.push(`<g data-legend="${escapeHtml(item.key)}">${item.swatch(x, y)}<text x="${px(x + 30)}" y="${px(y + 4)}">${escapeHtml(item.label)}</text></g>`);
    x += w;
  }
  return { svg: `<g data-kind="legend"><text x="${px(LEFT - 10)}" y="${px(top + 16)}" class="lane-label">legend</text>${parts.join('')}</g>`, height: y - top + 16 };
}

function svgOf(run: RecordedRun): string {
  const layout = layOutLanes(run);
  const lastEvent = Math.max(run.durationMs, ...run.attempts.map((a) => a.endMs), ...run.chaos.map((c) => c.atMs), ...run.conditions.map((c) => c.atMs));
  const { endMs, ticksMs } = timeTicks(lastEvent, 12);
  const x = (ms: number): number => LEFT + (Math.max(0, ms) / endMs) * PLOT;

  // Condition labels above the lanes, in as many rows as they need not to overlap.
  const conditions = [...run.conditions].sort((a, b) => a.atMs - b.atMs);
  const ranges = conditions.map((c): [number, number] => {
    const w = conditionName(c).length * CHAR_W + 8;
    const cx = x(c.atMs);
    return cx + w > WIDTH - 4 ? [cx - w, cx] : [cx, cx + w];
  });
  const labelRows = packLabels(ranges);
  const rowsOfLabels = Math.max(1, ...labelRows.map((r) => r + 1));
  const lanesTop = 8 + rowsOfLabels * LABEL_ROW_H + 6;
  const laneTops: number[] = [];
  let y = lanesTop;
  for (const lane of layout.lanes) {
    laneTops.push(y);
    y += lane.rows * ROW_H + 2 * LANE_PAD;
  }
  const lanesBottom = y;
  const g: Geometry = { x, layout, laneTops, lanesTop, lanesBottom };

  const parts: string[] = [];
  layout.lanes.forEach((lane, i) => {
    const top = laneTops[i]!;
    const h = lane.rows * ROW_H + 2 * LANE_PAD;
    parts.push(
      `<g${attrs({ 'data-kind': 'lane', 'data-index': lane.index, 'data-label': lane.label })}><rect x="${LEFT}" y="${px(top)}" width="${PLOT}" height="${px(h)}" fill="${i % 2 === 0 ? '#f5f5f5' : '#ebebeb'}"/>` +
        `<text x="${LEFT - 10}" y="${px(top + h / 2 + 4)}" class="lane-label">${escapeHtml(lane.label)}</text></g>`,
    );
  });
  for (const t of ticksMs) {
    const tx = x(t);
    parts.push(
      `<line x1="${px(tx)}" x2="${px(tx)}" y1="${px(lanesTop)}" y2="${px(lanesBottom + 5)}" stroke="${t === 0 ? '#9e9e9e' : '#d6d6d6'}"/>` +
        `<text x="${px(tx)}" y="${px(lanesBottom + 19)}" class="tick">${escapeHtml(formatTick(t))}</text>`,
    );
  }
  parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${px(lanesBottom)}" y2="${px(lanesBottom)}" stroke="#757575"/>`);
  parts.push(`<text x="${LEFT + PLOT / 2}" y="${px(lanesBottom + 37)}" class="tick">seconds since the Job was created</text>`);
  for (const a of run.attempts) parts.push(attemptBar(g, a));
  for (const c of run.checkpoints) parts.push(checkpointMarker(g, c));
  for (const c of run.chaos) parts.push(chaosMarker(g, c));
  conditions.forEach((c, i) => {
    const cx = x(c.atMs);
    const [from] = ranges[i]!;
    const ly = 8 + labelRows[i]! * LABEL_ROW_H + 13;
    const colour = conditionColour(c);
    const tip = [`${c.type} ${c.status} at ${formatAt(c.atMs)}`, ...(c.reason === undefined ? [] : [`reason: ${c.reason}`]), ...(c.message === undefined ? [] : [c.message])];
    parts.push(
      `<g${attrs({ 'data-kind': 'condition', 'data-type': c.type, 'data-status': c.status, 'data-reason': c.reason, 'data-at-ms': Math.round(c.atMs) })}>` +
        title(tip) +
        `<line x1="${px(cx)}" x2="${px(cx)}" y1="${px(ly + 3)}" y2="${px(lanesBottom)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"/>` +
        `<text x="${px(from + 4)}" y="${px(ly)}" fill="${colour}" class="condition">${escapeHtml(conditionName(c))}</text></g>`,
    );
  });
  const key = legend(lanesBottom + 50);
  parts.push(key.svg);
  const height = lanesBottom + 50 + key.height + 8;
  return `<svg role="img" aria-label="timeline of the run" width="${WIDTH}" height="${px(height)}" viewBox="0 0 ${WIDTH} ${px(height)}" font-size="12">${parts.join('')}</svg>`;
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return '<p>none</p>';
  const cells = (tag: string, row: readonly string[]): string => `<tr>${row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${cells('th', head)}</thead><tbody>${rows.map((r) => cells('td', r)).join('')}</tbody></table>`;
}

function summary(run: RecordedRun): string {
  const counts = OUTCOME_NAMES.map((o) => [o, run.attempts.filter((a) => a.outcome === o).length] as const).filter(([, n]) => n > 0);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    `${run.outcome} after ${formatDuration(run.durationMs)}`,
    `${plural(run.attempts.length, 'pod attempt')}${counts.length === 0 ? '' : ` (${counts.map(([o, n]) => `${n} ${o}`).join(', ')})`}`,
    plural(run.chaos.length, 'chaos action'),
    plural(run.checkpoints.length, 'checkpoint commit'),
    `started ${new Date(run.startedAt).toISOString()}`,
  ].join(' · ');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:16px 20px;color:#212121;background:#fff}',
  'h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px}p.summary{margin:0 0 12px;color:#424242}',
  'svg text{fill:#212121}svg text.lane-label{text-anchor:end}svg text.tick{text-anchor:middle;fill:#424242}',
  'svg text.bar-label{fill:#fff;text-anchor:middle;font-size:11px;font-weight:600}svg text.condition{font-weight:600}',
  'table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ddd;padding:2px 8px;text-align:left}th{background:#f5f5f5}',
].join('\n');

/**
 * The HTML page of a recorded run: a pure function, the same run gives the
 * same bytes.
 *
 * @example
 * ```ts
 * writeFileSync('run.html', renderTimeline(recorder.finish(result.outcome)));
 * ```
 */
export function renderTimeline(run: RecordedRun): string {
  const name = `${run.namespace}/${run.jobName}`;
  const attempts = run.attempts.map((a) => [
    a.pod,
    a.index === undefined ? '' : String(a.index),
    String(a.restart),
    formatAt(a.startMs),
    formatDuration(a.endMs - a.startMs),
    a.outcome,
    a.exitCode === undefined ? '' : String(a.exitCode),
    a.reason,
  ]);
  const chaos = run.chaos.map((c) => [formatAt(c.atMs), c.kind, c.pod, c.duplicate ?? '']);
  const conditions = run.conditions.map((c) => [formatAt(c.atMs), c.type, c.status, c.reason ?? '', c.message ?? '']);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Nothing may load or run: the page is a picture.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(`jobkit run: ${name}`)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Job ${escapeHtml(name)}</h1>`,
    `<p class="summary">${escapeHtml(summary(run))}</p>`,
    svgOf(run),
    '<h2>Pod attempts</h2>',
    table(['pod', 'index', 'restart', 'start', 'duration', 'outcome', 'exit code', 'reason'], attempts),
    '<h2>Chaos</h2>',
    table(['at', 'kind', 'pod', 'duplicate'], chaos),
    '<h2>Job conditions</h2>',
    table(['at', 'type', 'status', 'reason', 'message'], conditions),
    '</body></html>',
    '',
  ].join('\n');
}
