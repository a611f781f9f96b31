/**
 * The child's output as jobkit log lines: a line that is a JSON object keeps
 * its fields (the identity fields win a clash) and its own `msg`/`message`
 * and `level` when they are valid; any other line becomes `msg`. stdout logs
 * at info, stderr at warn. Everything goes through the job's logger, so the
 * SDK's redaction applies.
 */
import type { Logger } from '../../telemetry/logger.ts';
import { LOG_LEVELS, type LogLevel } from '../../telemetry/logger.ts';
import type { LinePiece } from './line-splitter.ts';

/** Which stream a line came from. */
export type ChildStream = 'stdout' | 'stderr';

/** Fields jobkit writes on every line itself: a child's value for one of them is dropped. */
const RESERVED = new Set([
  // pino's own
  'level', 'time', 'pid', 'hostname', 'msg', 'message',
  // the identity (telemetry/logger.ts), a CronJob's run included
  'job', 'namespace', 'pod', 'index', 'attempt', 'cronJob', 'scheduledTime', 'trigger', 'runId',
  // the tracing mixin's
  'trace_id', 'span_id', 'trace_flags',
  // the supervisor's
  'stream', 'linePart',
]);

const PINO_NUMBERS: Readonly<Record<number, LogLevel>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * Log one line (or piece of a line) of the child.
 *
 * @example
 * ```ts
 * logChildLine(job.log, 'stderr', { text: 'disk almost full', part: undefined }); // warn, msg 'disk almost full'
 * ```
 */
export function logChildLine(log: Logger, stream: ChildStream, piece: LinePiece): void {
  const fallback: LogLevel = stream === 'stderr' ? 'warn' : 'info';
  const fields: Record<string, unknown> = { stream };
  if (piece.part !== undefined) fields.linePart = piece.part;
  const parsed = piece.part === undefined ? parseObject(piece.text) : undefined;
  if (parsed === undefined) {
    log[fallback](fields, piece.text);
    return;
  }
  for (const [key, value] of Object.entries(parsed)) if (!RESERVED.has(key)) fields[key] = value;
  const msg = typeof parsed.msg === 'string' ? parsed.msg : typeof parsed.message === 'string' ? parsed.message : '';
  log[levelOf(parsed.level) ?? fallback](fields, msg);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function levelOf(level: unknown): LogLevel | undefined {
  if (typeof level === 'number') return PINO_NUMBERS[level];
  if (typeof level !== 'string') return undefined;
  const name = level.toLowerCase() === 'warning' ? 'warn' : level.toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(name) ? (name as LogLevel) : undefined;
}
