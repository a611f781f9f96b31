/**
 * Per-line cost of job.log (identity fields, key-name redaction, ISO time,
 * level labels) vs bare pino, both writing synchronously to the same
 * destination (/dev/null, so the figure is the logger's CPU cost, not the
 * disk's). A third figure shows what the same redaction would cost with
 * pino's built-in wildcard `redact` paths, the alternative jobkit avoided.
 */
import pino, { type Logger } from 'pino';
import { resolveIdentity } from '../src/runtime/identity.ts';
import { DEFAULT_REDACT_KEYS, createLogger } from '../src/telemetry/logger.ts';
import { lowerIsBetter, median, writeResults } from './lib.ts';

const LINES = Number(process.env.BENCH_LOG_LINES ?? '30000');
// pino's wildcard redact is ~10x slower per line: fewer lines keep the run short.
const REDACT_LINES = Math.ceil(LINES / 10);
const ROUNDS = 5;

const destination = pino.destination({ dest: '/dev/null', sync: true });
const identity = resolveIdentity({
  JOB_COMPLETION_INDEX: '3',
  JOBKIT_COUNT: '8',
  JOBKIT_JOB_NAME: 'etl',
  JOBKIT_NAMESPACE: 'data',
  JOBKIT_POD_NAME: 'etl-3-x7k2p',
  JOBKIT_ATTEMPT: '0',
});

const jobLog = createLogger({ identity, env: {}, destination });
const barePino = pino({}, destination);
const wildcardPaths = DEFAULT_REDACT_KEYS.flatMap((k) => [`["${k}"]`, `*["${k}"]`, `*.*["${k}"]`]);
const pinoRedact = pino({ redact: { paths: wildcardPaths, censor: '[REDACTED]' } }, destination);

/** A typical line of batch code: a few scalar fields. */
const flat = (log: Logger, i: number): void => log.info({ rows: i, file: 'part-00042.parquet', bytes: 1_048_576 }, 'batch written');
/** A line with a nested object (a request), where redaction has work to do. */
const nested = (log: Logger, i: number): void =>
  log.info({ attempt: i, req: { method: 'PUT', url: '/bucket/key', headers: { host: 's3', authorization: 'AWS4-HMAC-SHA256 x' } } }, 'request');

function nsPerLine(log: Logger, write: (log: Logger, i: number) => void, lines = LINES): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines; i++) write(log, i);
  return Number(process.hrtime.bigint() - start) / lines;
}

function measure(write: (log: Logger, i: number) => void): Record<'job' | 'bare' | 'redact', number> {
  const runs = { job: [] as number[], bare: [] as number[], redact: [] as number[] };
  nsPerLine(jobLog, write); // warm-up (JIT)
  nsPerLine(barePino, write);
  nsPerLine(pinoRedact, write, REDACT_LINES);
  for (let r = 0; r < ROUNDS; r++) {
    runs.bare.push(nsPerLine(barePino, write));
    runs.job.push(nsPerLine(jobLog, write));
    runs.redact.push(nsPerLine(pinoRedact, write, REDACT_LINES));
  }
  return { job: median(runs.job), bare: median(runs.bare), redact: median(runs.redact) };
}

const flatResult = measure(flat);
const nestedResult = measure(nested);
const note = `${LINES} lines (pino redact: ${REDACT_LINES}) x ${ROUNDS} rounds, interleaved, median; sync writes to /dev/null`;

writeResults('logging', [
  {
    name: 'job.log per line, flat fields',
    value: flatResult.job,
    unit: 'ns/line',
    baseline: flatResult.bare,
    baselineName: 'bare pino',
    ratio: lowerIsBetter(flatResult.job, flatResult.bare),
    note,
  },
  {
    name: 'job.log per line, nested request with a credential',
    value: nestedResult.job,
    unit: 'ns/line',
    baseline: nestedResult.bare,
    baselineName: 'bare pino (no redaction)',
    ratio: lowerIsBetter(nestedResult.job, nestedResult.bare),
    note,
  },
  {
    name: 'job.log per line, nested, vs pino wildcard redact of the same keys',
    value: nestedResult.job,
    unit: 'ns/line',
    baseline: nestedResult.redact,
    baselineName: `pino redact (${wildcardPaths.length} wildcard paths)`,
    ratio: lowerIsBetter(nestedResult.job, nestedResult.redact),
    note,
  },
]);
