import { describe, expect, it } from 'vitest';
import { callOutcome } from '../../../../src/runtime/limiter/outcome.ts';
import { retryAfterMs } from '../../../../src/runtime/limiter/retry-after.ts';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-03T18:00:00Z');
  it.each([
    ['1', 1_000],
    [' 2.5 ', 2_500],
    [0, 0],
    [3, 3_000],
    ['Thu, 03 Dec 2026 18:00:10 GMT', 10_000],
    ['Thu, 03 Dec 2026 17:59:00 GMT', 0],
  ])('%j -> %j ms', (value, ms) => expect(retryAfterMs(value, now)).toBe(ms));
  it.each([null, undefined, '', 'soon', -1, Number.NaN])('%j -> undefined', (value) => expect(retryAfterMs(value, now)).toBeUndefined());
});

describe('callOutcome', () => {
  it('reads a returned Response: 429/503 throttled with Retry-After, anything else success', () => {
    expect(callOutcome({ returned: new Response('', { status: 429, headers: { 'retry-after': '1' } }) })).toEqual({ kind: 'throttled', retryAfterMs: 1_000 });
    expect(callOutcome({ returned: new Response('', { status: 503 }) })).toEqual({ kind: 'throttled', retryAfterMs: undefined });
    expect(callOutcome({ returned: new Response('', { status: 500 }) })).toEqual({ kind: 'success' });
    expect(callOutcome({ returned: 42 })).toEqual({ kind: 'success' });
  });

  it('reads a thrown error: status, statusCode, AWS $metadata, response.status; others are neither', () => {
    expect(callOutcome({ thrown: Object.assign(new Error('x'), { status: 429, headers: { 'retry-after': '2' } }) })).toEqual({ kind: 'throttled', retryAfterMs: 2_000 });
    expect(callOutcome({ thrown: Object.assign(new Error('x'), { statusCode: 503 }) }).kind).toBe('throttled');
    expect(callOutcome({ thrown: Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }) }).kind).toBe('throttled');
    expect(callOutcome({ thrown: Object.assign(new Error('x'), { response: { status: 429, headers: { 'Retry-After': ['3'] } } }) })).toEqual({ kind: 'throttled', retryAfterMs: 3_000 });
    expect(callOutcome({ thrown: new Error('ECONNRESET') })).toEqual({ kind: 'other' });
  });
});
