/**
 * Finding checkpoint commits in a pod's output. A jobkit program logs JSON
 * lines (pino) on stdout, and its checkpointer (src/checkpoint/checkpointer.ts)
 * logs `checkpoint committed` (level debug) after each durable save and
 * `final checkpoint durable` (level info) after the final save at shutdown.
 * src/local may not import src/checkpoint (layers), so the two messages are
 * repeated here; test/unit/local/timeline/checkpoint-lines.test.ts runs the
 * real checkpointer to keep them in step.
 */

/** The checkpointer's log messages for a durable save, and whether each is the final save. */
const COMMIT_MESSAGES: ReadonlyMap<string, boolean> = new Map([
  ['checkpoint committed', false],
  ['final checkpoint durable', true],
]);

/**
 * What a commit line says.
 *
 * @example
 * ```ts
 * const commit: CheckpointCommitLine = { seq: 4, final: false };
 * ```
 */
export interface CheckpointCommitLine {
  /** The checkpoint's sequence number, if the line has a numeric `seq`. */
  readonly seq?: number;
  /** The final save at shutdown. */
  readonly final: boolean;
}

/**
 * The commit a log line reports, or undefined for any other line (plain text,
 * other JSON, other messages).
 *
 * @example
 * ```ts
 * checkpointCommitOf('{"level":"debug","seq":4,"msg":"checkpoint committed"}'); // { seq: 4, final: false }
 * checkpointCommitOf('processing item 7'); // undefined
 * ```
 */
export function checkpointCommitOf(line: string): CheckpointCommitLine | undefined {
  // Most lines are not commits: skip the JSON parse for them.
  if (!line.startsWith('{') || !line.includes('checkpoint')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { msg, seq } = parsed as { msg?: unknown; seq?: unknown };
  const final = typeof msg === 'string' ? COMMIT_MESSAGES.get(msg) : undefined;
  if (final === undefined) return undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? { seq, final } : { final };
}
