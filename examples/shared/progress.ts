/**
 * A progress line on stderr for the examples: items done, items per second and
 * the checkpoint state, one self-contained line per second. Lines (not a `\r`
 * status bar) because `jobkit run` and `kubectl logs` prefix and interleave the
 * output of several pods; every line names its index so it stays readable.
 */
import type { JobContext } from '../../src/index.ts';

/** What the example reports to its progress line. */
export interface Progress {
  /** Count `n` finished items. */
  add(n?: number): void;
  /** A checkpoint was committed (its sequence number). */
  checkpointed(seq: number): void;
  /** Print the last line and stop the timer. */
  done(note?: string): void;
}

/**
 * Start printing a progress line every `everyMs` (default 1 s).
 *
 * @example
 * ```ts
 * const progress = startProgress(job, { label: 'etl', total: files.size, resumedAt: files.position });
 * for await (const file of files) { await handle(file); progress.add(); }
 * progress.done();
 * ```
 */
export function startProgress(
  job: Pick<JobContext, 'identity' | 'signal'>,
  options: {
    readonly label: string;
    /** What is counted (default `items`). */
    readonly unit?: string;
    readonly total?: number;
    /** Whether to show the checkpoint state (default true; the work queue's records are its progress). */
    readonly showCheckpoint?: boolean;
    readonly resumedAt?: number;
    readonly everyMs?: number;
  },
): Progress {
  const { index, count } = job.identity;
  const startedAt = performance.now();
  const resumedAt = options.resumedAt ?? 0;
  let items = resumedAt;
  let checkpoint: { seq: number; at: number } | undefined;
  let stopped = false;

  const line = (note = ''): string => {
    const seconds = (performance.now() - startedAt) / 1000;
    const rate = seconds > 0 ? (items - resumedAt) / seconds : 0;
    const of = options.total === undefined ? '' : `/${options.total}`;
    const cp =
      options.showCheckpoint === false
        ? 'progress in the work queue'
        : checkpoint === undefined
        ? 'no checkpoint yet'
        : `checkpoint #${checkpoint.seq} ${((performance.now() - checkpoint.at) / 1000).toFixed(1)}s ago`;
    const resumed = resumedAt > 0 ? `, resumed at ${resumedAt}` : '';
    return `${options.label} ${index + 1}/${count}: ${items}${of} ${options.unit ?? 'items'}, ${rate.toFixed(1)}/s, ${cp}${resumed}${note}\n`;
  };
  const timer = setInterval(() => process.stderr.write(line()), options.everyMs ?? 1_000);
  const onAbort = (): void => {
    if (!stopped) process.stderr.write(line(', stop requested: leaving the current item to the next pod, saving a final checkpoint'));
  };
  job.signal.addEventListener('abort', onAbort, { once: true });
  // Never keeps a finished job alive.
  timer.unref();

  return {
    add: (n = 1) => {
      // The first item after a start or a resume is worth a line: it is what a restart costs.
      const first = items === resumedAt;
      items += n;
      if (first) process.stderr.write(line(`, first item ${Math.round(performance.now())} ms after process start`));
    },
    checkpointed: (seq) => {
      checkpoint = { seq, at: performance.now() };
    },
    done: (note) => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      job.signal.removeEventListener('abort', onAbort);
      process.stderr.write(line(note === undefined ? ', done' : `, ${note}`));
    },
  };
}
