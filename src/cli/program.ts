// The maglevctl command tree (commander): global options, one registration per command group, exit codes.
import { Command, Option } from 'commander';
import { DEFAULT_CONTROL_SOCKET } from '../control/protocol.js';
import { registerConfig } from './commands/config.js';
import { registerExplain } from './commands/explain.js';
import { registerSet } from './commands/set.js';
import { registerShow } from './commands/show.js';
import { registerSync } from './commands/sync.js';
import { registerWatch } from './commands/watch.js';
import { type CliIo, type GlobalOptions, makeContext, type Runner } from './context.js';

/**
 * buildProgram makes a fresh command tree (commander keeps option values on the objects, so one tree
 * serves one run). `outcome.code` receives the exit code of the command that ran.
 */
export function buildProgram(io: CliIo, outcome: { code: number }): Command {
  const program = new Command('maglevctl');
  program
    .description('See and steer maglevd, the VPP lb control plane, over its control socket.')
    // env and default are declared for --help and the man page; socketPathOf applies them (with the injected
    // environment, so tests need not touch process.env).
    .addOption(
      new Option('--socket <path>', 'control socket of maglevd')
        .env('MAGLEV_CONTROL_SOCKET')
        .default(DEFAULT_CONTROL_SOCKET),
    )
    .option('--json', 'print stable JSON (the control API views) instead of tables')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(run maglevctl --help for usage)');
  const run: Runner =
    (body) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = (args[args.length - 2] ?? {}) as Record<string, unknown>;
      const positional = args.slice(0, -2).map((a) => (a === undefined ? '' : String(a)));
      const globals = cmd.optsWithGlobals() as GlobalOptions;
      // Only a --socket on the command line is taken from commander: environment and default come from io.
      const fromCli = cmd.getOptionValueSourceWithGlobals('socket') === 'cli';
      const ctx = makeContext(io, { ...globals, socket: fromCli ? globals.socket : undefined });
      outcome.code = (await body(ctx, positional, opts)) ?? 0;
    };
  registerShow(program, run);
  registerExplain(program, run);
  registerSet(program, run);
  registerSync(program, run);
  registerConfig(program, run);
  registerWatch(program, run);
  return program;
}
