/**
 * Help texts of the `jobkit` command.
 */

export const MAIN_USAGE = `Usage: jobkit <command> [options]

Commands:
  run        Run a Kubernetes Job manifest locally, under an emulated Job controller
  manifest   Write a Job manifest for a jobkit program
  lint       Check a Job manifest against jobkit's env contract and exit codes
  gc         Delete expired idempotency records (and, with --plans, shard plans) from the store
  status     Show where a job stands: checkpoints, idempotency records, plans, work queues
  checkpoint ls|verify|rm
             List, verify or delete one index's checkpoints
  pushgateway gc
             Delete Pushgateway groups whose last push is older than a bound
  alerts     Write Prometheus alerting rules (rules file and PrometheusRule)
  dashboards Write Grafana dashboards (overview, on-call, per job)
  exec       Supervise a program in any language (identity, signals, exit codes, logs, metrics)
  once       Run a program once per key across retries and duplicate pods
  help       Show help for a command
  version    Print the jobkit version

Run "jobkit help <command>" for the options of a command.
`;

export const RUN_USAGE = `Usage: jobkit run -f <job.yaml|cronjob.yaml|-> [options]

Runs a batch/v1 Job locally: the Job controller's rules (completions,
parallelism, Indexed mode, backoffLimit, backoffLimitPerIndex, podFailurePolicy,
successPolicy, activeDeadlineSeconds, restartPolicy, grace periods) applied to
pods that are local processes made from the first container's command.

A batch/v1 CronJob runs under the CronJob controller's rules (schedule and
timeZone, startingDeadlineSeconds, concurrencyPolicy, suspend, history
limits); each Job it creates runs as above.

With --control-plane kube the Job runs on a real Kubernetes control plane
instead: kube-apiserver validates and defaults it, the real Job controller
decides every pod, and jobkit's process kubelet runs the pods as the same
local processes (see docs/emulator.md).

Options:
  -f, --filename <path>     Job or CronJob manifest, YAML or JSON ("-" reads stdin)
  -o, --output <format>     Print the final Job object on stdout: json or yaml
                            (a CronJob: a List of the CronJob and its Jobs)
      --backoff-scale <F>   Multiply the pod re-creation back-off (10 s doubling,
                            max 10 min) and the OnFailure restart back-off by F
      --seed <N>            Seed for pod names, UIDs and chaos choices
      --chaos <spec>        Inject failures: preempt=N,kill=N,duplicate=N
                              preempt   DisruptionTarget (EvictionByEvictionAPI),
                                        then SIGTERM, grace period, SIGKILL
                              kill      SIGKILL, no condition
                              duplicate a second pod for a running index
                            (a CronJob: into every Job it creates)
      --chaos-max-delay <ms> Latest moment of a chaos action after the pod
                            start it is tied to (default 1000)
      --suspend-at <ms>     Set spec.suspend: true this long after the Job is
                            created: its active pods are deleted, uncounted
      --resume-at <ms>      Set spec.suspend: false then (needed with
                            --suspend-at, and for a manifest with suspend: true)
      --control-plane <emulator|kube>
                            emulator (default): jobkit's Job controller.
                            kube: a real control plane (a CronJob only
                            with --from-cronjob)
      --kubeconfig <path>   With kube: the control plane of this kubeconfig
                            (its Job must not exist yet); without it a private
                            one is started and stopped (built on first use)
      --timeline <path>     Write a picture of the run: one HTML file (inline
                            SVG, no script, nothing loaded) with a lane per
                            index, a bar per pod attempt coloured by how it
                            ended, chaos, checkpoints and conditions; written
                            also when the Job fails or on Ctrl-C (a Job
                            manifest on the emulator only)
  -q, --quiet               Only pod output on stderr, no emulator events
  -h, --help                Show this help

CronJob options:
      --clock <real|virtual> real (default): the wall clock. virtual: starts at
                            --from and skips the time between runs (a Job's own
                            run time still passes for real)
      --from <time>         Virtual start, the CronJob's creation (RFC 3339)
      --until <time>        Create no Job at or after this time; end when the
                            Jobs created before it have finished
      --runs <N>            End after N scheduled Jobs were created and finished
      --patch <time>=<json> Apply a JSON merge patch to the CronJob at that time,
                            e.g. '2026-01-02T00:00:00Z={"spec":{"suspend":true}}'
      --manual-run <name>@<time>
                            At that time, create a Job as "kubectl create job
                            <name> --from=cronjob/..." does
      --from-cronjob <name> Run once the Job "kubectl create job <name>
                            --from=cronjob/..." creates, and exit with its status

Pod output goes to stderr, each line prefixed with [pod-name]. The parent's
environment reaches every pod (JOBKIT_STORE etc.), under the manifest's env.

Before any pod starts, the checks of "jobkit lint" run: their problems are
printed, and an error stops the run with status 2 (a missing JOBKIT_STORE is
only a warning here: the local pods share ./.jobkit/store).

Exit status: 0 the Job completed (a CronJob: every Job it created completed),
1 it failed (or can never progress, or a Job was deleted by Replace),
2 the manifest is invalid or the options are wrong (no pod ran),
130 interrupted (SIGINT/SIGTERM; every pod was killed).
`;

export const MANIFEST_USAGE = `Usage: jobkit manifest --name <name> --image <image> [options] [-- command args...]

Writes an Indexed batch/v1 Job for a jobkit program: the downward-API env the
runtime reads, restartPolicy Never, per-index retries, and a podFailurePolicy
generated from jobkit's exit-code table (Ignore on DisruptionTarget first).

Options:
      --name <name>                 Job name (required)
      --image <image>               Container image (required)
      --namespace <ns>              metadata.namespace (default: none, kubectl's current)
      --completions <N>             Number of indexes (default 1)
      --parallelism <N>             Pods at once (default min(completions, 10))
      --grace-period <s>            terminationGracePeriodSeconds and
                                    JOBKIT_GRACE_PERIOD_SECONDS (default 30, min 5)
      --backoff-limit-per-index <N> Retries per index (default 3)
      --backoff-limit <N>           Job-wide retries instead of per-index ones
      --max-failed-indexes <N>      Failed indexes tolerated before the Job fails
      --active-deadline <s>         spec.activeDeadlineSeconds
      --deadline <s>                JOBKIT_DEADLINE_SECONDS (jobkit's own deadline)
      --ttl <s>                     spec.ttlSecondsAfterFinished
      --store <url>                 JOBKIT_STORE (s3://bucket/prefix, file:///path)
      --pushgateway <url>           JOBKIT_PUSHGATEWAY_URL
      --log-level <level>           JOBKIT_LOG_LEVEL
      --env <K=V>                   Extra env literal (repeatable)
      --container-name <name>       Container name (default main)
      --platform <p>                kubernetes (default), aws-batch, cloud-batch
                                    (alias gcp-batch), argo or jobset: the same
                                    exit-code table as that platform's retry
                                    rules (docs/platforms.md)
      --max-restarts <N>            jobset: spec.failurePolicy.maxRestarts (default 0)
      --exec                        Run the program under the supervisor: command
                                    ["jobkit", "exec", "--"], the program in args
                                    (for a program in any language, docs/exec.md)
      --exec-arg <arg>              A jobkit exec option before its "--", with "="
                                    (repeatable): --exec-arg=--logs=raw
  -o, --output <format>             yaml (default) or json
  -h, --help                        Show this help

CronJob (with --schedule, a batch/v1 CronJob around that Job template, whose
pods get JOBKIT_CRONJOB_NAME so the program knows its scheduled run):
      --schedule <cron>             spec.schedule: 5 fields or @hourly, @daily...
      --time-zone <zone>            spec.timeZone, IANA (default Etc/UTC)
      --concurrency-policy <p>      Allow, Forbid (default) or Replace
      --starting-deadline <s>       spec.startingDeadlineSeconds (default none)
      --successful-jobs-history-limit <N>  (Kubernetes' default 3)
      --failed-jobs-history-limit <N>      (Kubernetes' default 1)

Everything after "--" is the container command; exec node directly
(e.g. -- node dist/main.js) so that SIGTERM reaches the program. With --exec
it is the container args, after command ["jobkit", "exec", "--"]
(e.g. --exec -- python3 train.py).
`;

export const LINT_USAGE = `Usage: jobkit lint -f <job.yaml|->

Checks what the API server accepts but a jobkit program cannot run as meant:
  - JOBKIT_COUNT different from spec.completions, or missing in an Indexed Job
  - an env name set twice in a container (the kubelet uses the last one)
  - a podFailurePolicy that does not match jobkit's exit-code table
  - terminationGracePeriodSeconds shorter than JOBKIT_GRACE_PERIOD_SECONDS or
    than the final checkpoint needs
  - JOBKIT_DEADLINE_SECONDS not below spec.activeDeadlineSeconds
  - no JOBKIT_STORE in a Job of several pods
  - JOBKIT_* values the program would refuse at start (exit 78)
  - a command that runs neither jobkit nor node (a warning): it replaces the
    image's ENTRYPOINT, jobkit exec in the base image
The jobkit checks apply to containers that set some JOBKIT_* variable.

Prints one line per problem: <file>: <field path>: <problem>.

Options:
  -f, --filename <path>     Job manifest, YAML or JSON ("-" reads stdin)
  -h, --help                Show this help

Exit status: 0 no error (warnings may be printed), 1 errors were found,
2 the options are wrong or the file cannot be read.
`;

export const GC_USAGE = `Usage: jobkit gc (--job <name> [--namespace <ns>] | --scope <scope>) [options]

Deletes what no later call can use from the store: idempotency records past
their TTL, and records released without a partial effect. Each delete is
conditional on the version read, so a record claimed again meanwhile is kept.
Records in progress, within their TTL, or released after a partial effect
(the next claimer's takeover check needs them) are kept.

Options:
      --job <name>          The Job whose records to clean (JOBKIT_JOB_NAME)
      --namespace <ns>      Its namespace (default: default)
      --scope <scope>       Instead of a job: the records of JOBKIT_IDEMPOTENCY_SCOPE
      --store <url>         The store (default: JOBKIT_STORE, else ./.jobkit/store)
      --plans               Also delete the job's shard plans and work-queue records;
                            only once the Job has finished (running pods read them)
      --attempts            Also delete every index's attempt records and dead
                            letters (quarantined items); only once the Job has finished
      --dry-run             Count what would be deleted, delete nothing
  -o, --output json         Print the report as JSON
  -h, --help                Show this help

Exit status: 0 done; 2 usage error; 78 configuration (bad store URL, a store
without conditional deletes); 75 the store failed (retry).
`;

export const PUSHGATEWAY_USAGE = `Usage: jobkit pushgateway gc --older-than <duration> [--url URL] [--job NAME] [--all] [--yes] [-o json]

The Pushgateway keeps every group it was pushed forever: the groups of old
runs, pods and renamed CronJobs stay, and so do their series. This lists the
groups whose last push is older than --older-than and, with --yes, deletes
them. Without --yes it is a dry run and deletes nothing.

Options:
      --older-than <d>  A whole number and a unit: 90s, 30m, 12h, 7d
      --url <url>       The gateway (default JOBKIT_PUSHGATEWAY_URL); credentials
                        in the URL are sent as basic auth and never printed
      --job <name>      Only groups with this job label (a Job's or CronJob's name)
      --all             Groups jobkit did not push too (default: only groups
                        holding a jobkit_ metric)
      --yes             Delete them (default: list only)
  -o, --output json     The result as JSON
  -h, --help            Show this help

Exit status: 0 done (or nothing to do), 1 the gateway failed or could not be
reached, 2 wrong options.
`;

export const ALERTS_USAGE = `Usage: jobkit alerts --out <dir> [-f cronjob.yaml ...] [options]

Writes jobkit's Prometheus alerting rules into <dir>, twice from the same rules:
  jobkit-alerts.rules.yaml            a rules file (prometheus.yml rule_files:)
  jobkit-alerts.prometheusrule.yaml   a PrometheusRule (prometheus-operator)
Each rule has a severity label and a runbook_url to docs/runbooks.md. Prometheus
must scrape the Pushgateway with honor_labels: true. Files in <dir> that this
command did not write are never replaced.

Options:
      --out <dir>              Where to write (created when missing)
  -f, --filename <path>        A CronJob manifest (repeatable): its "no recent
                               success" alert is bounded by its schedule, the
                               longest gap between two runs plus the slack
      --success-slack <d>      Added to a CronJob's gap (default: its template's
                               activeDeadlineSeconds, else 1h)
      --max-success-age <d>    Also alert on any other job without a success for
                               this long (default: no such rule)
      --no-progress <d>        Running with no items, shard position or
                               checkpoints moving for this long (default 15m)
      --checkpoint-age <d>     Running with the last checkpoint older (default 30m)
      --rate-window <d>        The window of the two rates below (default 1h)
      --max-attempts <n>       More new attempts of one index in the window (default 3)
      --max-preemptions <n>    At least this many SIGTERMs of a job's pods in the
                               window (default 3)
      --retry-give-up <d>      A retryable failure with no new attempt for this
                               long: retries exhausted (default 15m)
      --lost-after <d>         A running group with no push for this long lost
                               its pod (default 2m: 4 push intervals)
      --stale-group <d>        A group not pushed for this long is stale (default 7d)
      --runbook-url <url>      Where docs/runbooks.md is served (default: the
                               package's copy on unpkg.com)
      --rule-namespace <ns>    metadata.namespace of the PrometheusRule
      --rule-label <k=v>       A label of the PrometheusRule (repeatable), e.g.
                               the one your Prometheus's ruleSelector matches
  -h, --help                   Show this help

Durations are a whole number and a unit: 90s, 30m, 12h, 7d.
Exit status: 0 written, 2 wrong options or input (nothing written).
`;

export const DASHBOARDS_USAGE = `Usage: jobkit dashboards --out <dir>

Writes three Grafana dashboards (JSON; the Prometheus data source is a
variable, so they import into any Grafana) into <dir>:
  jobkit-overview.json   success rate, last success per job and CronJob,
                         failures by class, cost drivers
  jobkit-on-call.json    failing now, preempted, stuck (no progress, checkpoint
                         age growing), retry spikes, lost pods
  jobkit-job.json        one job: per-index progress, attempts, checkpoint
                         sizes and durations, item latency
Files in <dir> that this command did not write are never replaced.

Options:
      --out <dir>   Where to write (created when missing)
  -h, --help        Show this help

Exit status: 0 written, 2 wrong options (nothing written).
`;

export const STATUS_USAGE = `Usage: jobkit status --job <name> [--namespace <ns>] [--store <url>] [--verify] [-o json]

Shows where a job stands, from its store: per index the latest checkpoint
(seq, age, size, parts, epochs taken, the pod of the latest attempt, the items
done by its shard cursor), the idempotency records by state (in progress with
owner and lease expiry, failed, partial), the frozen shard plans and the work
queues by chunk state, and per index its last attempts (how each ended) and
its quarantined items. Reads only: never writes, locks or deletes.

Options:
      --job <name>          The Job (JOBKIT_JOB_NAME)
      --namespace <ns>      Its namespace (default: default)
      --store <url>         The store (default: JOBKIT_STORE; required when unset)
      --verify              Also download every part of each index's latest
                            checkpoint and check its checksum (costs its bytes);
                            without it checkpoints show "not verified"
  -o, --output json         Print the status as JSON
  -h, --help                Show this help

Exit status: 0 shown; 1 no records of the job in the store; 2 usage error;
65 with --verify, a latest checkpoint failed verification; 75 the store
failed (retry); 78 the store refused access or a record is of a newer jobkit.
`;

export const CHECKPOINT_USAGE = `Usage: jobkit checkpoint ls|verify|rm --job <name> [--namespace <ns>] --index <n> [--store <url>] [options]

  ls        The checkpoints the head keeps for the index (seq, epoch, time,
            size, parts; the latest is the one a restarted pod resumes from)
  verify    Download a checkpoint (default the latest) and check every part's
            size and checksum; names each broken part, expected vs actual
  rm        Delete kept checkpoints: a dry run unless --yes. The latest is
            refused unless --force (a pod restarting now resumes from it)

Options:
      --job <name>          The Job (JOBKIT_JOB_NAME)
      --namespace <ns>      Its namespace (default: default)
      --index <n>           The index (0..99999)
      --store <url>         The store (default: JOBKIT_STORE; required when unset)
      --seq <s>             verify: this checkpoint; rm: this one (repeatable)
      --all                 rm: every kept checkpoint (needs --force: it includes the latest)
      --yes                 rm: delete (default: list what would be deleted)
      --force               rm: also the latest checkpoint
  -o, --output json         Print the result as JSON
  -h, --help                Show this help

Exit status: 0 done; 1 nothing to act on (no checkpoints for the index, a
seq the head does not keep, rm of the latest refused); 2 usage error; 65
verify found a corrupt checkpoint; 75 the store failed, or the head changed
during rm (run it again); 78 the store refused access.
`;

const EXEC_OPTIONS = `Options:
      --signal-to <group|child>  Where SIGTERM/SIGINT go: the program's process
                            group (default) or the program alone
      --logs <json|raw>     json (default): each output line becomes a jobkit
                            JSON log line with the identity; raw: untouched
      --pass-exit-codes     Exit with the program's own code when it is not in
                            the exit-code table (default: 70, crash)
      --grace-period <s>    Grace period (default JOBKIT_GRACE_PERIOD_SECONDS, 30)
      --deadline <s>        SIGTERM the program after this long, exit 124
                            (default JOBKIT_DEADLINE_SECONDS)
      --cgroup-dir <dir>    cgroup v2 directory whose memory.events tells an
                            OOM kill (default /sys/fs/cgroup)
      --max-line-chars <n>  Longest log line; longer ones are split (65536)
      --checkpoint-dir <dir>  Restore <dir> from the latest checkpoint before
                            the program starts; save it while it runs and
                            after it ended (docs/exec.md, Directory checkpoints)
      --checkpoint-every <s>  Seconds between saves of <dir> while the program
                            runs; 0: only on request and at the end (300)
  -h, --help                Show this help
`;

export const EXEC_USAGE = `Usage: jobkit exec [options] -- <command> [args...]

Runs a program in any language as a supervised child: the identity is passed
as JOBKIT_* variables (and TRACEPARENT), SIGTERM/SIGINT are forwarded within
the grace budget then SIGKILL, the deadline is enforced, the program's end is
mapped to the exit-code table, its output becomes jobkit log lines, and
metrics and traces are pushed as for runJob (docs/exec.md). A command that
is a .js/.mjs/.cjs/.ts/.mts/.cts file and not a program (CMD ["job.js"] of
an image built for the old node ENTRYPOINT) runs with this Node.

${EXEC_OPTIONS}`;

export const ONCE_USAGE = `Usage: jobkit once <key> [options] -- <command> [args...]

Runs the program once per key across retries and duplicate pods, on the
job's idempotency ledger (JOBKIT_STORE). A key already done logs
"already done at <time>" and exits 0 without running the program
(docs/exec.md).

${EXEC_OPTIONS}`;
