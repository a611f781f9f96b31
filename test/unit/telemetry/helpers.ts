import { Writable } from 'node:stream';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { JobIdentity } from '../../../src/runtime/types.ts';
import { testIdentity as baseIdentity } from '../../support/identity.ts';

/** A Kubernetes-like identity for tests. */
export function testIdentity(overrides: Partial<JobIdentity> = {}): JobIdentity {
  return baseIdentity({
    platform: 'kubernetes',
    namespace: 'data',
    podName: 'etl-3-x7k2p',
    podUid: '5f0c8a8e-1111-2222-3333-444455556666',
    index: 3,
    count: 8,
    attempt: 1,
    ...overrides,
  });
}

/** A pino destination that keeps every JSON line. */
export function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

/** A span exporter that keeps every span, even across shutdown (InMemorySpanExporter clears on shutdown). */
export class CollectingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  named(name: string): ReadableSpan[] {
    return this.spans.filter((s) => s.name === name);
  }
}
