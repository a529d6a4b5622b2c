// The maglevd command line: option parsing, --check, and running the daemon with its signals.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/protocol.js';
import { logEvent } from '../log/events.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { MAGLEVD_VERSION, VPP_API_VERSION, versionText } from '../util/version.js';
import { runCheck } from './check.js';
import { ControlEventHub } from './control-events.js';
import { Daemon } from './daemon.js';
import { loggedErrors } from './logged-errors.js';
import { DEFAULT_METRICS_LISTEN, parseMetricsListen } from './metrics-server.js';

/** The default config path (spec §2). */
export const DEFAULT_CONFIG = '/etc/maglev/maglev.yaml';

/** Options as commander hands them over. */
export interface MaglevdOptions {
  readonly config: string;
  readonly check?: boolean;
  readonly vppApi: string;
  readonly controlSocket: string;
  readonly metrics: string;
  readonly logLevel: LogLevel;
}

/** The default VPP binary-API socket (spec §2). */
export const DEFAULT_VPP_API = '/run/vpp/api.sock';

/** Exit status for a bug that escaped every handler: systemd restarts the daemon (Restart=on-failure). */
export const EXIT_INTERNAL = 70;

/** defineCommand declares maglevd's options (spec §2), each with its environment variable; a flag beats it. */
export function defineCommand(): Command {
  return new Command('maglevd')
    .description('control plane for the fd.io VPP lb (Maglev) plugin')
    .version(versionText('maglevd'), '--version', 'print the version and the VPP API version, then exit')
    .addOption(new Option('--config <file>', 'config file').env('MAGLEV_CONFIG').default(DEFAULT_CONFIG))
    .addOption(
      new Option('--vpp-api <path>', 'VPP binary API socket, or "sim" for the built-in lb simulator')
        .env('MAGLEV_VPP_API')
        .default(DEFAULT_VPP_API),
    )
    .addOption(
      new Option('--control-socket <path>', 'control API socket for maglevctl')
        .env('MAGLEV_CONTROL_SOCKET')
        .default(DEFAULT_CONTROL_SOCKET),
    )
    .addOption(
      new Option('--metrics <host:port>', 'Prometheus endpoint; an empty string disables it')
        .env('MAGLEV_METRICS')
        .default(DEFAULT_METRICS_LISTEN)
        // Checked here, before anything starts: a bad value found later left a control socket behind.
        .argParser((v: string) => {
          try {
            parseMetricsListen(v);
          } catch (e) {
            throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
          }
          return v;
        }),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('MAGLEV_LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .option('--check', 'validate the config and exit: 0 valid, 1 unreadable or not YAML, 2 invalid')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError()
    .allowExcessArguments(false);
}

/** main parses `argv` (as process.argv) and runs; it returns the exit status instead of exiting. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = defineCommand().exitOverride();
  program.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  try {
    program.parse([...argv]);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    // commander signals --version/--help with exit code 0 and a usage error with 1.
    return typeof code === 'number' ? code : 1;
  }
  const opts = program.opts<MaglevdOptions>();
  if (opts.check === true) {
    return runCheck(opts.config, {
      out: (l) => process.stdout.write(`${l}\n`),
      err: (l) => process.stderr.write(`${l}\n`),
    });
  }
  return runDaemon(opts);
}

/**
 * runDaemon loads the config (exit 2 with the errors if invalid), starts the daemon and serves until
 * SIGTERM/SIGINT (exit 0 within 2 s, VPP left as it is). SIGHUP reloads. A bug that escapes every handler is
 * logged with its stack and ends the process non-zero, so systemd restarts it rather than it limping on.
 */
export async function runDaemon(opts: MaglevdOptions): Promise<number> {
  const events = new ControlEventHub();
  const tap = events.logStream();
  // Every line goes to stdout (journald); a copy reaches control-API subscribers that asked for log lines.
  const destination = {
    write(line: string) {
      process.stdout.write(line);
      tap.write(line);
    },
  };
  const log = createLogger({ level: opts.logLevel, destination });
  // Signals that arrive before the daemon is up must not take Node's default action (exit for HUP, or a
  // TERM that skips the shutdown path): they are remembered and acted on once start-up is done.
  let early: 'SIGTERM' | 'SIGINT' | undefined;
  const onEarlyStop = (signal: 'SIGTERM' | 'SIGINT') => () => {
    early = early ?? signal;
  };
  const earlyTerm = onEarlyStop('SIGTERM');
  const earlyInt = onEarlyStop('SIGINT');
  const earlyHup = () => {
    // The config is being read right now; a reload would read the same file.
  };
  process.on('SIGTERM', earlyTerm);
  process.on('SIGINT', earlyInt);
  process.on('SIGHUP', earlyHup);
  const dropEarly = () => {
    process.off('SIGTERM', earlyTerm);
    process.off('SIGINT', earlyInt);
    process.off('SIGHUP', earlyHup);
  };
  logEvent(
    log,
    'starting',
    {
      version: MAGLEVD_VERSION,
      vppApi: VPP_API_VERSION,
      config: opts.config,
      vppSocket: opts.vppApi,
      pid: process.pid,
    },
    { msg: `${versionText('maglevd')} starting` },
  );
  let model: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    model = await loadConfigFile(opts.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const issue of e.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    const lines = e.issues.map(formatIssue);
    logEvent(
      log,
      'config-reload-failed',
      { path: opts.config, code: e.code, error: lines[0] ?? 'invalid config', ...loggedErrors(lines) },
      { msg: 'config is not valid: not starting' },
    );
    dropEarly();
    return e.exitCode === 1 ? 1 : 2;
  }
  logEvent(
    log,
    'config-loaded',
    { path: opts.config, generation: 1, frontends: model.frontends.size, backends: model.backends.size },
    { msg: 'config loaded' },
  );
  const fatal = (what: string) => (err: unknown) => {
    logEvent(
      log,
      'fatal',
      {
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      },
      { msg: `${what}: exiting so systemd restarts maglevd` },
    );
    log.flush?.();
    process.exit(EXIT_INTERNAL);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      configFile: opts.config,
      model,
      vppApi: opts.vppApi,
      controlSocket: opts.controlSocket,
      metrics: opts.metrics,
      logger: log,
      events,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    logEvent(
      log,
      'shutdown',
      { reason: `cannot start: ${msg}` },
      { level: 'error', msg: `cannot start: ${msg}` },
    );
    process.stderr.write(`maglevd: cannot start: ${msg}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    dropEarly();
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // A stuck shutdown must not keep systemd waiting: the budget is 2 s (spec §2).
      setTimeout(() => resolve(0), 1900).unref();
      daemon.stop(signal).then(
        () => resolve(0),
        () => resolve(0),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      void daemon.reload();
    });
    if (early !== undefined) stop(early);
  });
}

/** isEntry tells whether this module is the program being run (not imported by the bin shim or a test). */
function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const code = await main(process.argv);
  // Timers of stopped components may linger a moment; the daemon has said everything it had to say.
  process.exit(code);
}
