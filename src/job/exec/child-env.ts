/**
 * The environment of the supervised program: the supervisor's own, plus the
 * resolved identity as `JOBKIT_*` variables (whatever platform it came from)
 * and the W3C `TRACEPARENT` of the job's span when tracing is on, so a
 * program in any language reads its index and count from one place.
 */
import { trace } from '@opentelemetry/api';
import type { Env } from '../../runtime/config.ts';
import { IDENTITY_ENV } from '../../runtime/identity-env.ts';
import type { JobIdentity } from '../../runtime/types.ts';

/**
 * The child's environment.
 *
 * @example
 * ```ts
 * const env = childEnv(process.env, identity);
 * env.JOBKIT_INDEX; // '3', also when the platform set JOB_COMPLETION_INDEX
 * ```
 */
export function childEnv(base: Env, identity: JobIdentity): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const [field, entry] of Object.entries(IDENTITY_ENV) as Array<[keyof JobIdentity, (typeof IDENTITY_ENV)[keyof JobIdentity]]>) {
    const value = identity[field];
    if (value === null || value === undefined) continue;
    env[entry.env] = value instanceof Date ? value.toISOString() : String(value);
  }
  const parent = activeTraceparent();
  if (parent !== undefined) env.TRACEPARENT = parent;
  return env;
}

/**
 * The W3C traceparent of the active span, or undefined when there is none
 * (tracing off).
 *
 * @example
 * ```ts
 * activeTraceparent(); // '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
 * ```
 */
export function activeTraceparent(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx === undefined || !trace.isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
