/**
 * Per-line cost of redaction by value (`SecretValues`, the values read by
 * `job.secrets`): job.log with the hook on and 0, 1 and 20 registered secrets
 * vs the same logger without it, writing synchronously to /dev/null, so the figure is CPU only.
 */
import pino from 'pino';
import { createLogger } from '../src/telemetry/logger.ts';
import { SecretValues } from '../src/telemetry/secret-values.ts';
import { lowerIsBetter, median, writeResults } from './lib.ts';

const LINES = Number(process.env.BENCH_LOG_LINES ?? '30000');
const ROUNDS = 5;
const destination = pino.destination({ dest: '/dev/null', sync: true });

function withSecrets(n: number): ReturnType<typeof createLogger> {
  const values = new SecretValues();
  for (let i = 0; i < n; i++) values.add(`secret-value-${i}-${'x'.repeat(24)}`);
  return createLogger({ env: {}, destination, secretValues: values });
}

const none = createLogger({ env: {}, destination });
const zero = withSecrets(0);
const one = withSecrets(1);
const twenty = withSecrets(20);

function nsPerLine(log: ReturnType<typeof createLogger>): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log.info({ rows: i, file: 'part-00042.parquet', bytes: 1_048_576 }, 'batch written');
  return Number(process.hrtime.bigint() - start) / LINES;
}

const runs = { none: [] as number[], zero: [] as number[], one: [] as number[], twenty: [] as number[] };
nsPerLine(none);
nsPerLine(zero);
nsPerLine(one);
nsPerLine(twenty);
for (let r = 0; r < ROUNDS; r++) {
  runs.none.push(nsPerLine(none));
  runs.zero.push(nsPerLine(zero));
  runs.one.push(nsPerLine(one));
  runs.twenty.push(nsPerLine(twenty));
}
const base = median(runs.none);
const note = `${LINES} lines x ${ROUNDS} rounds, interleaved, median; sync writes to /dev/null`;
writeResults('secret-values', [
  { name: 'job.log per line, value redaction on, nothing registered', value: median(runs.zero), unit: 'ns/line', baseline: base, baselineName: 'job.log, no secret values', ratio: lowerIsBetter(median(runs.zero), base), note },
  { name: 'job.log per line, 1 secret value registered', value: median(runs.one), unit: 'ns/line', baseline: base, baselineName: 'job.log, no secret values', ratio: lowerIsBetter(median(runs.one), base), note },
  { name: 'job.log per line, 20 secret values registered', value: median(runs.twenty), unit: 'ns/line', baseline: base, baselineName: 'job.log, no secret values', ratio: lowerIsBetter(median(runs.twenty), base), note },
]);
