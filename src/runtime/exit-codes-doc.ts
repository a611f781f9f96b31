/**
 * docs/exit-codes.md, rendered from the exit-code table so that the two cannot
 * drift (a unit test compares them). Regenerate with:
 *
 *     node src/runtime/exit-codes-doc.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODE_TABLE, type ExitCodeEntry, type PolicyAction } from './exit-codes.ts';

/** Where the rendered document lives, relative to the repository root. */
export const EXIT_CODES_DOC_PATH = 'docs/exit-codes.md';

/**
 * The Markdown of docs/exit-codes.md for a table (default: the real one).
 *
 * @example
 * ```ts
 * writeFileSync('docs/exit-codes.md', renderExitCodesDoc());
 * ```
 */
export function renderExitCodesDoc(table: readonly ExitCodeEntry[] = EXIT_CODE_TABLE): string {
  const rows = table.map(
    (e) => `| ${e.code} | \`${e.exitClass}\` | ${cell(e.errorName)} | ${e.action === 'none' ? '-' : `\`${e.action}\``} | ${cell(e.meaning)} | ${cell(e.remedy)} |`,
  );
  return `<!-- Generated from src/runtime/exit-codes.ts by src/runtime/exit-codes-doc.ts; do not edit by hand. -->
# Exit codes

A jobkit process always ends with one of these codes. The Job controller reads
it through the \`podFailurePolicy\` that \`jobkit manifest\` generates, so the
code decides whether a failed pod is retried, fails only its index, fails the
whole Job, or is not counted at all.

| code | class | error class | podFailurePolicy action | when | what to do |
|---:|---|---|---|---|---|
${rows.join('\n')}

## How the code is chosen

1. \`main\` returned and nothing stopped it: **0**.
2. SIGTERM/SIGINT (or the cloud's interruption notice) or the deadline arrived first: **${codeOf(table, 'interrupted')}** / **${codeOf(table, 'deadline')}**,
   even if \`main\` then returns normally. After an early stop the work is only
   checkpointed, and 0 would mark the index complete.
3. \`main\` threw, or an exception or promise rejection went uncaught: the
   error is classified.
   - A jobkit error (\`RetryableError\`, \`PermanentError\`, ...) carries its class.
   - AWS SDK errors: throttling (\`SlowDown\`, \`Throttling*\`, \`$retryable\`),
     HTTP 5xx, 408 and 429 are \`retryable\`; \`AccessDenied\`,
     \`InvalidAccessKeyId\`, \`NoSuchBucket\`, HTTP 401/403 are
     \`configuration\`; other 4xx are \`permanent\`.
   - Node and undici network errors (\`ECONNRESET\`, \`ECONNREFUSED\`,
     \`ETIMEDOUT\`, \`EPIPE\`, \`EAI_AGAIN\`, \`UND_ERR_*\`, ...), also as the
     \`cause\` of \`fetch failed\`, and \`TimeoutError\`/\`AbortError\` are \`retryable\`.
   - Anything else (\`TypeError\`, \`RangeError\`, a plain \`Error\`) is a \`crash\`.
4. A shutdown hook that fails or overruns its budget is logged; it never
   changes the code.

If the grace period runs out before the shutdown hooks finish, or a second
SIGTERM arrives, the process exits at once with the code already chosen
(${codeOf(table, 'interrupted')} when stopped by a signal). SIGKILL (including an
OOM kill) shows up as 137 and is not a jobkit code.

## Lost leases

The work queue's \`LeaseLostError\` and the idempotency ledger's
\`IdempotencyLeaseLostError\` are both \`fenced\` (**${codeOf(table, 'fenced')}**, \`Ignore\`),
like a superseded checkpoint writer: a lost lease means another worker now
owns that chunk or key, which is what fenced means.

- The pod's input is not at fault and the lost work is redone by its new
  owner, so it must not use up \`backoffLimit\` (or \`backoffLimitPerIndex\`):
  counted, a few lease losses during a store outage or a rollout could fail
  an index whose work would succeed.
- \`Ignore\` still gets a replacement pod; it finds the chunk or key done (or
  held by its new owner) and goes on with the rest of the work.
- A fenced error is never retried in process by \`retry()\`, so the lost work
  is not run again by a worker that no longer owns it.
- Lasting trouble stays bounded: a store that stays unreachable fails the
  replacement pod with a \`retryable\` error (${codeOf(table, 'retryable')}), which counts.

The one case \`Ignore\` does not bound is a pod that loses every lease it takes,
such as an event loop blocked by synchronous work for longer than the lease:
only the Job's \`activeDeadlineSeconds\` (\`jobkit manifest --active-deadline\`)
ends it. Raise \`leaseMs\` above the longest stall, or yield in long
synchronous loops.

## The generated podFailurePolicy

${renderPolicy(table)}
`;
}

function renderPolicy(table: readonly ExitCodeEntry[]): string {
  const codes = (action: PolicyAction): number[] =>
    table
      .filter((e) => e.action === action)
      .map((e) => e.code)
      .sort((a, b) => a - b);
  const rule = (action: string, values: number[]): string =>
    values.length === 0 ? '' : `    - action: ${action}\n      onExitCodes: { operator: In, values: [${values.join(', ')}] }\n`;
  return `With \`backoffLimitPerIndex\` (Indexed Jobs), \`FailIndex\` fails only the
index; without it \`jobkit manifest\` uses \`FailJob\` for those codes.
Preemptions and evictions carry the \`DisruptionTarget\` condition and are ignored,
so they never burn a retry.

\`\`\`yaml
spec:
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions: [{ type: DisruptionTarget }]
${rule('FailJob', codes('FailJob'))}${rule('FailIndex', codes('FailIndex'))}${rule('Ignore', codes('Ignore'))}\`\`\`

Every other non-zero code (${codes('Count').join(', ')}) counts against
\`backoffLimit\` (or \`backoffLimitPerIndex\`).
${renderOptIn(table)}`;
}

/** Codes only some programs exit with: a policy without their rule is a warning. */
function renderOptIn(table: readonly ExitCodeEntry[]): string {
  const optIn = table.filter((e) => e.optIn !== undefined);
  if (optIn.length === 0) return '';
  const lines = optIn.map((e) => `- **${e.code}** (\`${e.exitClass}\`): only a program using ${e.optIn}.`);
  return `
Some codes only come from programs that use a given feature:

${lines.join('\n')}

\`jobkit lint\` and \`jobkit run\` warn, and do not refuse, when a policy leaves
such a code to \`Count\`, so a manifest written before the feature existed keeps
running. Regenerate it with \`jobkit manifest\` when the program starts using
the feature.
`;
}

function codeOf(table: readonly ExitCodeEntry[], exitClass: ExitCodeEntry['exitClass']): number | string {
  return table.find((e) => e.exitClass === exitClass)?.code ?? '?';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

if (import.meta.main) {
  const target = fileURLToPath(new URL(`../../${EXIT_CODES_DOC_PATH}`, import.meta.url));
  writeFileSync(target, renderExitCodesDoc());
  console.log(`wrote ${target}`);
}
