/**
 * Defaults of the sharding module's options: frozen plans and the work queue.
 * The option types point their `@default` tags here; docs/sharding.md quotes
 * these values.
 */

/**
 * Entries per plan page: about 0.5 MB of JSON for typical keys, so a pod
 * reads its share of a million-object plan in a few hundred GETs while a
 * page stays small enough to retry cheaply.
 *
 * @default 5_000
 */
export const DEFAULT_PLAN_PAGE_SIZE = 5_000;

/** Page writes in flight at once while freezing a plan: hides store latency without a burst of thousands of PUTs. */
export const PAGE_WRITE_CONCURRENCY = 8;

/**
 * Lease of a work-queue chunk: a dead worker's chunk is taken over after
 * about this long. A minute is short next to a batch pod's run and long next
 * to a renewal (a third of it), so a slow store does not lose live leases.
 *
 * @default 60_000
 */
export const DEFAULT_WORK_QUEUE_LEASE_MS = 60_000;

/**
 * Longest re-scan period while no chunk is claimable (the default is a
 * quarter of the lease, at most this): idle workers notice a freed chunk
 * within seconds without listing the queue constantly.
 *
 * @default 5_000
 */
export const MAX_DEFAULT_POLL_MS = 5_000;

/**
 * Handler failures after which a chunk is marked failed instead of retried:
 * three tries tell a transient fault from a chunk that always fails, which
 * would otherwise loop through every worker.
 *
 * @default 3
 */
export const DEFAULT_MAX_FAILURES_PER_CHUNK = 3;

/** Queue name when none is given: one queue per Job. */
export const DEFAULT_WORK_QUEUE_NAME = 'default';
