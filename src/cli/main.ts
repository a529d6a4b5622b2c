// maglevctl's entry: runCli (in-process, for tests) and main (the process: argv, stdio, Ctrl-C, exit code).
import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import { ControlError } from '../control/client.js';
import { type CliIo, EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError } from './context.js';
import { buildProgram } from './program.js';

/**
 * runCli runs one maglevctl command line (without the program name) and resolves with its exit code:
 * 0 success, 1 an error from the daemon or an unreachable daemon, 2 a usage error. It never throws
 * and never exits the process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const outcome = { code: EXIT_OK };
  const program = buildProgram(io, outcome);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outcome.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message already.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.stderr(`maglevctl: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ControlError) {
      io.stderr(`maglevctl: ${e.message}\n`);
      return EXIT_ERROR;
    }
    io.stderr(`maglevctl: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_ERROR;
  }
}

/** Exit code of a command interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * main runs maglevctl as a process. Ctrl-C ends `watch` cleanly with exit 0; any other command it
 * interrupts at once with exit 130.
 */
export async function main(): Promise<void> {
  const ac = new AbortController();
  let streaming = false;
  process.on('SIGINT', () => {
    if (streaming && !ac.signal.aborted) ac.abort();
    else process.exit(EXIT_INTERRUPTED);
  });
  const code = await runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    signal: ac.signal,
    streaming: (on) => {
      streaming = on;
    },
    readFile: (p) => readFile(p, 'utf8'),
  });
  process.exitCode = code;
}
