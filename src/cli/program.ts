// The maglevctl command tree (commander): global options, one registration per command group, exit codes.
import { Command } from 'commander';
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
    .option('--socket <path>', 'control socket (env MAGLEV_CONTROL_SOCKET, default /run/maglev/maglevd.sock)')
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
      const ctx = makeContext(io, cmd.optsWithGlobals() as GlobalOptions);
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
