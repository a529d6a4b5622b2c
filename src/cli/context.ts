// What every maglevctl command gets: the IO it writes to, the client for the chosen socket, and the error kinds.
import { ControlClient } from '../control/client.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/protocol.js';

/** CliIo is the process's surface, injected so tests run the CLI in-process. */
export interface CliIo {
  /** Writes to stdout (the caller adds nothing: text includes its newlines). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: `watch` ends with exit 0. */
  readonly signal?: AbortSignal;
  /** Told while a command streams until Ctrl-C (so the process lets Ctrl-C end it cleanly). */
  readonly streaming?: (on: boolean) => void;
  /** Reads a file for `config check <file>` (relative to the caller's cwd). */
  readonly readFile?: (path: string) => Promise<string>;
  /** Request timeout override (tests). */
  readonly timeoutMs?: number;
}

/** UsageError is a bad command line: exit 2. */
export class UsageError extends Error {}

/** Exit codes (spec §2). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export interface GlobalOptions {
  readonly socket?: string;
  readonly json?: boolean;
}

/** CommandContext is built per command from the global options. */
export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
  readonly socketPath: string;
  readonly client: ControlClient;
  /** print writes one block of text followed by a newline. */
  print(text: string): void;
  /** printJson writes a value as stable, indented JSON. */
  printJson(value: unknown): void;
}

/** socketPathOf applies the precedence flag > MAGLEV_CONTROL_SOCKET > default. */
export function socketPathOf(opts: GlobalOptions, env: CliIo['env']): string {
  return opts.socket || env.MAGLEV_CONTROL_SOCKET || DEFAULT_CONTROL_SOCKET;
}

export function makeContext(io: CliIo, opts: GlobalOptions): CommandContext {
  const socketPath = socketPathOf(opts, io.env);
  const clientOpts = io.timeoutMs === undefined ? { socketPath } : { socketPath, timeoutMs: io.timeoutMs };
  return {
    io,
    json: opts.json === true,
    socketPath,
    client: new ControlClient(clientOpts),
    print: (text) => io.stdout(`${text}\n`),
    printJson: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** A command's body: returns its exit code (0 when it returns nothing). */
export type CommandBody = (
  ctx: CommandContext,
  args: readonly string[],
  opts: Record<string, unknown>,
) => Promise<number | undefined>;

/** Runner turns a CommandBody into a commander action that records the exit code. */
export type Runner = (body: CommandBody) => (...args: unknown[]) => Promise<void>;
