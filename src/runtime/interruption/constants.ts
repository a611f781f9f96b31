/**
 * Defaults of the interruption-notice watcher, each with why it is that value.
 */

/**
 * Seconds between two reads of a polled metadata service (AWS, Azure).
 * AWS recommends reading `spot/instance-action` every 5 s; the notice comes
 * about 120 s ahead, so the job learns of it with at least ~115 s left.
 * Azure's Preempt event comes at least 30 s ahead. GCE is long-polled: this
 * is only its pause after a failed request.
 *
 * @default 5
 */
export const DEFAULT_POLL_SECONDS = 5;

/** The fastest poll allowed, in seconds: faster only loads the metadata service. */
export const MIN_POLL_SECONDS = 0.05;

/** The slowest poll allowed, in seconds: slower than AWS's two minutes would miss the notice. */
export const MAX_POLL_SECONDS = 60;

/**
 * Milliseconds one metadata request may take (AWS's and GCE's services answer
 * in a few ms on the link-local address; the AWS SDK gives them 1 s).
 *
 * @default 2000
 */
export const REQUEST_TIMEOUT_MS = 2_000;

/**
 * Milliseconds one Azure scheduled-events request may take: the first call on
 * a VM turns the service on and can take far longer (Azure says up to two
 * minutes); a request cut short is simply asked again at the next poll.
 *
 * @default 10000
 */
export const AZURE_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Seconds GCE's metadata server holds a `wait_for_change` request before it
 * answers with the unchanged value (`timeout_sec`); the request's own timeout
 * is this plus {@link REQUEST_TIMEOUT_MS}.
 *
 * @default 60
 */
export const GCE_WAIT_SECONDS = 60;

/** The EC2 instance metadata service (IMDS). */
export const DEFAULT_AWS_ENDPOINT = 'http://169.254.169.254';

/** The GCE metadata server's host. */
export const DEFAULT_GCE_HOST = 'metadata.google.internal';

/** Azure's instance metadata service (IMDS). */
export const DEFAULT_AZURE_ENDPOINT = 'http://169.254.169.254';
