// The maglevd command line: option parsing and dispatch. So far only --check and --version do anything.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { MAGLEVD_VERSION, versionText } from '../util/version.js';
import { runCheck } from './check.js';

/** The default config path (spec §2). */
export const DEFAULT_CONFIG = '/etc/maglev/maglev.yaml';

/** Options as commander hands them over. */
export interface MaglevdOptions {
  readonly config: string;
  readonly check?: boolean;
}

/**
 * defineCommand declares maglevd's options. It only declares: the daemon issue adds its options here
 * (--vpp-api, --control-socket, --metrics, --log-level), each with its environment variable.
 */
export function defineCommand(): Command {
  return new Command('maglevd')
    .description('control plane for the fd.io VPP lb (Maglev) plugin')
    .version(versionText('maglevd'), '--version', 'print the version and the VPP API version, then exit')
    .addOption(new Option('--config <file>', 'config file').env('MAGLEV_CONFIG').default(DEFAULT_CONFIG))
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
  process.stderr.write(`maglevd ${MAGLEVD_VERSION}: only --check is implemented in this build\n`);
  return 1;
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

if (isEntry()) process.exitCode = await main(process.argv);
