#!/usr/bin/env node
/**
 * The `jobkit` command: `run` (local Job controller emulator), `manifest`
 * (Job manifest generator), `lint` (manifest checks), `gc` (store clean-up),
 * `pushgateway gc` (Pushgateway clean-up), `alerts` and `dashboards`
 * (Prometheus rules and Grafana dashboards), `status` and `checkpoint` (a
 * job's state in the store), `exec` and `once` (the supervisor), `help`, `version`.
 *
 * Each command's module is imported only when it runs: the emulator, the AWS
 * SDK and OpenTelemetry cost about a second to load on a small node, and
 * `jobkit exec` (a container's entrypoint) or `jobkit version` should not pay
 * for the others.
 */
import { ALERTS_USAGE, CHECKPOINT_USAGE, DASHBOARDS_USAGE, EXEC_USAGE, GC_USAGE, LINT_USAGE, MAIN_USAGE, MANIFEST_USAGE, ONCE_USAGE, PUSHGATEWAY_USAGE, RUN_USAGE, STATUS_USAGE } from './usage.ts';
import { jobkitVersion } from './version.ts';

/**
 * Dispatches the subcommand and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['run', '-f', 'job.yaml']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return await (await import('./run-command.ts')).runCommand(rest);
    case 'manifest':
      return (await import('./manifest-command.ts')).manifestCommand(rest);
    case 'lint':
      return (await import('./lint-command.ts')).lintCommand(rest);
    case 'gc':
      return await (await import('./gc-command.ts')).gcCommand(rest);
    case 'pushgateway':
      return await (await import('./pushgateway-command.ts')).pushgatewayCommand(rest);
    case 'alerts':
      return (await import('./alerts-command.ts')).alertsCommand(rest);
    case 'dashboards':
      return (await import('./dashboards-command.ts')).dashboardsCommand(rest);
    case 'status':
      return await (await import('./status-command.ts')).statusCommand(rest);
    case 'checkpoint':
      return await (await import('./checkpoint-command.ts')).checkpointCommand(rest);
    // The supervisor exits at once, as runJob does: an exporter retrying a backend that is down must not hold the exit.
    case 'exec':
      return process.exit(await (await import('./exec-command.ts')).execCommand(rest));
    case 'once':
      return process.exit(await (await import('./once-command.ts')).onceCommand(rest));
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`jobkit ${jobkitVersion()}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
    case undefined: {
      const topic = rest[0];
      const topics: Readonly<Record<string, string>> = {
        run: RUN_USAGE,
        manifest: MANIFEST_USAGE,
        lint: LINT_USAGE,
        gc: GC_USAGE,
        pushgateway: PUSHGATEWAY_USAGE,
        alerts: ALERTS_USAGE,
        dashboards: DASHBOARDS_USAGE,
        status: STATUS_USAGE,
        checkpoint: CHECKPOINT_USAGE,
        exec: EXEC_USAGE,
        once: ONCE_USAGE,
      };
      const text = (topic === undefined ? undefined : topics[topic]) ?? MAIN_USAGE;
      (command === undefined ? process.stderr : process.stdout).write(text);
      return command === undefined ? 2 : 0;
    }
    default:
      process.stderr.write(`jobkit: unknown command "${command}"\n\n${MAIN_USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
