/**
 * The timeline page from hand-written runs: a bar per attempt coloured by its
 * outcome, markers, conditions, legend, lanes, escaping, edge cases.
 */
import { describe, expect, it } from 'vitest';
import { formatTick, layOutLanes, timeTicks } from '../../../../src/local/timeline/layout.ts';
import { renderTimeline } from '../../../../src/local/timeline/render.ts';
import type { AttemptOutcome, RecordedRun, TimelineAttempt } from '../../../../src/local/timeline/types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function run(overrides: Partial<RecordedRun> = {}): RecordedRun {
  return { jobName: 'etl', namespace: 'data', indexed: true, completions: 1, startedAt: T0, durationMs: 3000, outcome: 'Complete', attempts: [], chaos: [], checkpoints: [], conditions: [], ...overrides };
}

function attempt(pod: string, index: number | undefined, startMs: number, endMs: number, outcome: AttemptOutcome, exitCode?: number): TimelineAttempt {
  return { pod, index, restart: 0, startMs, endMs, outcome, ...(exitCode === undefined ? {} : { exitCode }), reason: `ended ${outcome}` };
}

/** The attributes of every `<g>` of a data-kind, in document order (values are escaped, so they hold no `"`). */
function groups(html: string, kind: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of html.matchAll(/<g((?:\s[\w-]+="[^"]*")+)>/g)) {
    const attrs = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
    if (attrs['data-kind'] === kind) out.push(attrs);
  }
  return out;
}

/** The fill of the bar of each attempt `<g>`, by pod. */
function barFills(html: string): Map<string, string> {
  const fills = new Map<string, string>();
  for (const m of html.matchAll(/<g data-kind="attempt" data-pod="([^"]*)"[^>]*>[\s\S]*?<rect [^>]*fill="([^"]*)"/g)) fills.set(m[1]!, m[2]!);
  return fills;
}

/** The elements the renderer writes; any other tag in a page came from outside. */
const PAGE_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'p', 'svg', 'g', 'rect', 'text', 'line', 'path', 'circle', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);

const ALL_OUTCOMES: AttemptOutcome[] = ['succeeded', 'failed', 'preempted', 'killed', 'duplicate', 'unfinished'];

describe('renderTimeline', () => {
  it('draws one bar per attempt, one colour per outcome, the same as its legend swatch', () => {
    const attempts = ALL_OUTCOMES.map((o, i) => attempt(`etl-${i}-${o}`, i, i * 100, i * 100 + 900, o, o === 'succeeded' ? 0 : 137));
    const html = renderTimeline(run({ completions: 6, attempts }));
    const bars = groups(html, 'attempt');
    expect(bars.map((b) => [b['data-pod'], b['data-index'], b['data-outcome'], b['data-exit-code']])).toEqual(
      attempts.map((a) => [a.pod, String(a.index), a.outcome, String(a.exitCode)]),
    );
    const fills = barFills(html);
    expect(new Set(fills.values()).size).toBe(ALL_OUTCOMES.length);
    for (const o of ALL_OUTCOMES) {
      const swatch = new RegExp(`<g data-legend="${o}"><rect [^>]*fill="([^"]*)"`).exec(html);
      expect(swatch?.[1], o).toBe(fills.get(`etl-${ALL_OUTCOMES.indexOf(o)}-${o}`));
    }
  });

  it('shows the exit code on a failed bar and in its tooltip, with the pod, reason and duration', () => {
    const html = renderTimeline(run({ attempts: [{ pod: 'etl-0-x7k2p', index: 0, restart: 0, startMs: 40, endMs: 1940, outcome: 'failed', exitCode: 3, reason: 'exit code 3 (Error)' }] }));
    expect(html).toContain('data-exit-code="3"');
    expect(html).toMatch(/<title>etl-0-x7k2p\nfailed, exit code 3\nexit code 3 \(Error\)\n0\.04 s to 1\.94 s \(1\.9 s\)<\/title>/);
    expect(html).toMatch(/class="bar-label">exit 3<\/text>/);
  });

  it('marks each chaos action, checkpoint commit and condition, with a tooltip each', () => {
    const html = renderTimeline(
      run({
        completions: 2,
        attempts: [attempt('etl-0-a', 0, 0, 1000, 'preempted', 143), attempt('etl-1-b', 1, 0, 1200, 'killed', 137), attempt('etl-0-c', 0, 1100, 2900, 'succeeded', 0)],
        chaos: [
          { kind: 'preempt', pod: 'etl-0-a', index: 0, atMs: 900 },
          { kind: 'kill', pod: 'etl-1-b', index: 1, atMs: 1200 },
        ],
        checkpoints: [
          { pod: 'etl-0-a', index: 0, atMs: 500, seq: 1, final: false },
          { pod: 'etl-0-a', index: 0, atMs: 990, seq: 2, final: true },
        ],
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', atMs: 2950 },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', atMs: 2960 },
        ],
      }),
    );
    expect(groups(html, 'chaos').map((c) => [c['data-chaos-kind'], c['data-pod'], c['data-index']])).toEqual([
      ['preempt', 'etl-0-a', '0'],
      ['kill', 'etl-1-b', '1'],
    ]);
    expect(groups(html, 'checkpoint').map((c) => [c['data-seq'], c['data-final']])).toEqual([
      ['1', 'false'],
      ['2', 'true'],
    ]);
    expect(groups(html, 'condition').map((c) => [c['data-type'], c['data-status'], c['data-reason']])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(html).toContain('<title>chaos kill at 1.20 s\npod etl-1-b</title>');
    expect(html).toContain('<title>final checkpoint seq 2 committed at 0.99 s\npod etl-0-a</title>');
    expect(html).toContain('<title>Complete True at 2.96 s\nreason: CompletionsReached\nReached expected number of succeeded pods</title>');
    // Every marker and bar carries a tooltip.
    for (const m of html.matchAll(/<g data-kind="(attempt|chaos|checkpoint|condition)"[^>]*>(.{0,7})/g)) expect(m[2]).toBe('<title>');
  });

  it('escapes every string of the run: names, reasons, messages', () => {
    const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>'&`;
    const html = renderTimeline(
      run({
        jobName: evil,
        namespace: `</title><script>alert(3)</script>`,
        attempts: [{ pod: evil, index: 0, restart: 0, startMs: 0, endMs: 100, outcome: 'failed', exitCode: 1, reason: evil }],
        chaos: [{ kind: 'duplicate', pod: evil, index: 0, atMs: 50, duplicate: evil }],
        checkpoints: [{ pod: evil, index: 0, atMs: 60, final: false }],
        conditions: [{ type: 'Failed', status: 'True', reason: evil, message: `${evil}\u0000\u001b[31m`, atMs: 100 }],
      }),
    );
    // Inert text only: every tag is one the renderer writes, and no control character is left.
    const tags = new Set([...html.matchAll(/<\/?([!\w-]+)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].filter((t) => !PAGE_TAGS.has(t))).toEqual([]);
    expect(html.includes('\u0000') || html.includes('\u001b')).toBe(false);
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;');
    expect(html).toContain('<title>jobkit run: &lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;/');
    // The hostile value stays one attribute value.
    expect(groups(html, 'attempt')[0]!['data-pod']).toBe('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;');
  });

  it('loads nothing and runs nothing: no script, no external resource, a CSP that forbids both', () => {
    const html = renderTimeline(run({ attempts: [attempt('etl-0-a', 0, 0, 1000, 'succeeded', 0)] }));
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(|https?:|xlink:href|\bsrc=|\bhref=/i);
  });

  it('draws a run with one pod and no chaos: one lane, one bar, no markers, the legend', () => {
    const html = renderTimeline(run({ attempts: [attempt('etl-0-a', 0, 10, 2500, 'succeeded', 0)] }));
    expect(groups(html, 'lane').map((l) => l['data-label'])).toEqual(['index 0']);
    expect(groups(html, 'attempt')).toHaveLength(1);
    expect(groups(html, 'chaos')).toHaveLength(0);
    expect(groups(html, 'checkpoint')).toHaveLength(0);
    expect(groups(html, 'legend')).toHaveLength(1);
    expect(html).toContain('Complete after 3 s · 1 pod attempt (1 succeeded) · 0 chaos actions · 0 checkpoint commits · started 2026-01-01T00:00:00.000Z');
  });

  it('draws a run without any pod (nothing could start) as one empty lane and empty tables', () => {
    const html = renderTimeline(run({ indexed: false, completions: undefined, durationMs: 0, outcome: 'Stalled' }));
    expect(groups(html, 'lane').map((l) => l['data-label'])).toEqual(['pod slot 1']);
    expect(groups(html, 'attempt')).toHaveLength(0);
    expect(html).toContain('<h2>Pod attempts</h2>\n<p>none</p>');
    expect(html).toMatch(/class="tick">0 s<\/text>/);
  });

  it('is a pure function of the run', () => {
    const r = run({ attempts: [attempt('etl-0-a', 0, 0, 1000, 'failed', 2)], chaos: [{ kind: 'kill', pod: 'etl-0-a', index: 0, atMs: 10 }] });
    expect(renderTimeline(r)).toBe(renderTimeline(structuredClone(r)));
  });
});

describe('layOutLanes', () => {
  it('gives an Indexed Job a lane per index, and overlapping pods of an index rows of their own', () => {
    const layout = layOutLanes(
      run({
        completions: 3,
        attempts: [attempt('etl-0-a', 0, 0, 1000, 'succeeded'), attempt('etl-0-dup', 0, 500, 1500, 'duplicate'), attempt('etl-2-b', 2, 0, 800, 'succeeded')],
      }),
    );
    expect(layout.lanes.map((l) => [l.label, l.rows])).toEqual([
      ['index 0', 2],
      ['index 1', 1],
      ['index 2', 1],
    ]);
    expect(layout.placeOf.get('etl-0-dup')).toEqual({ lane: 0, row: 1 });
  });

  it('keeps a pod restarted in place (OnFailure) on one row', () => {
    const layout = layOutLanes(run({ attempts: [attempt('etl-0-a', 0, 0, 400, 'failed', 1), { ...attempt('etl-0-a', 0, 450, 900, 'succeeded', 0), restart: 1 }] }));
    expect(layout.lanes.map((l) => l.rows)).toEqual([1]);
  });

  it('gives a NonIndexed Job the fewest pod slots in which no two pods overlap', () => {
    const layout = layOutLanes(
      run({ indexed: false, attempts: [attempt('w-a', undefined, 0, 1000, 'failed', 1), attempt('w-b', undefined, 100, 2000, 'succeeded'), attempt('w-c', undefined, 1000, 3000, 'succeeded')] }),
    );
    expect(layout.lanes.map((l) => l.label)).toEqual(['pod slot 1', 'pod slot 2']);
    expect([...layout.placeOf.entries()]).toEqual([
      ['w-a', { lane: 0, row: 0 }],
      ['w-b', { lane: 1, row: 0 }],
      ['w-c', { lane: 0, row: 0 }],
    ]);
  });
});

describe('the time axis', () => {
  it('ticks at round seconds, at most about the number asked', () => {
    expect(timeTicks(4300, 12)).toEqual({ endMs: 4500, ticksMs: [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500] });
    expect(timeTicks(0, 12).ticksMs).toEqual([0, 100]);
    const long = timeTicks(3_600_000, 12);
    expect(long.ticksMs.length).toBeLessThanOrEqual(13);
    expect(long.endMs).toBeGreaterThanOrEqual(3_600_000);
    expect([formatTick(0), formatTick(2500), formatTick(90_000), formatTick(720_000)]).toEqual(['0 s', '2.5 s', '90 s', '12 min']);
  });
});
