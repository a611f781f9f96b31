/**
 * Telemetry overhead, each figure against a baseline measured in this run:
 *
 * 1. A one-million-item loop, uninstrumented (baseline) vs the same loop with
 *    per-item metrics, with `job.trace('item', fn)` while tracing is off (the
 *    API's no-op), with tracing on (the real SDK, BatchSpanProcessor, an
 *    exporter that drops spans), and with metrics + tracing on.
 * 2. Start-up: a Node process that starts tracing with nothing configured vs
 *    one with an OTLP endpoint configured (the SDK is then imported and started).
 *
 * `node bench/telemetry.bench.ts`. Items run in chunks with an event-loop turn
 * between chunks in every variant, so the batch span processor can export as a
 * real job's would.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { resolveIdentity } from '../src/runtime/identity.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { createJobMetrics, type JobMetrics } from '../src/telemetry/metrics.ts';
import { withSpan } from '../src/telemetry/span.ts';
import { startTracing } from '../src/telemetry/tracing.ts';
import { type BenchFigure, lowerIsBetter, median, round, writeResults } from './lib.ts';

const ITEMS = 1_000_000;
const CHUNK = 1_000;
const RUNS = 5;
const STARTUP_RUNS = 7;

/** The per-item work of the loop: small but not nothing (parse, arithmetic). */
function work(i: number): number {
  return Number.parseInt(`${i}`, 10) % 7;
}

type Body = (i: number) => number;

async function loop(body: Body): Promise<number> {
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < ITEMS; i += CHUNK) {
    const end = Math.min(ITEMS, i + CHUNK);
    for (let j = i; j < end; j++) sink += body(j);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const ms = performance.now() - started;
  if (sink < 0) console.log(sink); // keep the work observable
  return ms;
}

/** Median loop time in ms over RUNS runs, after one warm-up. */
async function measure(body: Body): Promise<number> {
  await loop(body);
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) times.push(await loop(body));
  return median(times);
}

function nsPerItem(ms: number): number {
  return round((ms * 1e6) / ITEMS);
}

function figure(name: string, ms: number, baselineMs: number, note: string): BenchFigure {
  return {
    name,
    value: round(ms),
    unit: 'ms',
    baseline: round(baselineMs),
    baselineName: 'uninstrumented loop',
    ratio: lowerIsBetter(ms, baselineMs),
    note: `${note}; ${nsPerItem(ms - baselineMs)} ns/item overhead; median of ${RUNS}`,
  };
}

class DroppingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

function withMetrics(metrics: JobMetrics): Body {
  return (i) => {
    const started = performance.now();
    const r = work(i);
    metrics.itemProcessed(performance.now() - started);
    return r;
  };
}

async function startupMs(env: NodeJS.ProcessEnv): Promise<{ wall: number; inProcess: number; enabled: boolean }> {
  const self = fileURLToPath(import.meta.url);
  const walls: number[] = [];
  const inside: number[] = [];
  let enabled = false;
  for (let r = 0; r < STARTUP_RUNS; r++) {
    const started = performance.now();
    const out = spawnSync(process.execPath, [self, '--startup-child'], { env, encoding: 'utf8' });
    walls.push(performance.now() - started);
    if (out.status !== 0) throw new Error(`start-up child failed: ${out.stderr}`);
    const report = JSON.parse(out.stdout.trim()) as { enabled: boolean; ms: number };
    inside.push(report.ms);
    enabled = report.enabled;
  }
  await Promise.resolve();
  return { wall: median(walls), inProcess: median(inside), enabled };
}

async function main(): Promise<void> {
  const identity: JobIdentity = resolveIdentity({ JOBKIT_JOB_NAME: 'bench' });
  const figures: BenchFigure[] = [];

  const bare = await measure(work);
  const metrics = createJobMetrics({ identity });
  figures.push(
    figure('1M items + itemProcessed() count only', await measure((i) => (metrics.itemProcessed(), work(i))), bare, 'a plain-number increment per item'),
  );
  figures.push(figure('1M items + itemProcessed(duration)', await measure(withMetrics(createJobMetrics({ identity }))), bare, 'two performance.now() calls and a bucket scan per item'));
  figures.push(figure('1M items in job.trace(), tracing off', await measure((i) => withSpan('item', () => work(i))), bare, 'no SDK loaded, no provider registered: fn called directly'));

  // From here on the SDK is registered globally in this process.
  const exporter = new DroppingExporter();
  const tracing = await startTracing({ identity, exporter, env: {} });
  if (!tracing.enabled) throw new Error('tracing did not start');
  const traced = await measure((i) => withSpan('item', () => work(i)));
  figures.push(figure('1M items in job.trace(), tracing on', traced, bare, 'real SDK, BatchSpanProcessor, exporter that drops spans'));
  const tracedMetrics = createJobMetrics({ identity });
  const both = await measure((i) => withSpan('item', () => withMetrics(tracedMetrics)(i)));
  figures.push(figure('1M items with metrics + tracing on', both, bare, 'job.trace() around itemProcessed(duration)'));
  await tracing.shutdown({ budgetMs: 5_000 });
  console.log(`spans exported: ${exporter.exported} of ${ITEMS * (RUNS + 1) * 2} started (the batch processor drops what overflows its queue)`);

  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const off = await startupMs(base);
  const on = await startupMs({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  if (off.enabled || !on.enabled) throw new Error('start-up children did not run as configured');
  figures.push({
    name: 'startTracing() with an OTLP endpoint (SDK imported and started)',
    value: round(on.inProcess),
    unit: 'ms',
    baseline: round(off.inProcess),
    baselineName: 'startTracing() with nothing configured',
    ratio: lowerIsBetter(on.inProcess, off.inProcess),
    note: `inside the process, median of ${STARTUP_RUNS} fresh processes`,
  });
  figures.push({
    name: 'process start to tracing ready, OTLP endpoint configured',
    value: round(on.wall),
    unit: 'ms',
    baseline: round(off.wall),
    baselineName: 'same, nothing configured',
    ratio: lowerIsBetter(on.wall, off.wall),
    note: `whole child process wall time incl. Node start-up, median of ${STARTUP_RUNS}`,
  });
  writeResults('telemetry', figures);
  process.exit(0);
}

async function startupChild(): Promise<void> {
  const started = performance.now();
  const tracing = await startTracing({ identity: resolveIdentity(process.env) });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ enabled: tracing.enabled, ms })}\n`, () => process.exit(0));
}

// Last, so every class and constant above is initialised before either runs.
if (process.argv[2] === '--startup-child') await startupChild();
else await main();
