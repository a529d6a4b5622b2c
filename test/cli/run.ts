// Runs maglevctl in-process against a socket and captures what it prints.
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  files?: Record<string, string>;
  timeoutMs?: number;
  /** Called with each stdout write (watch tests react to lines as they come). */
  onStdout?: (text: string) => void;
}

/** cli runs `maglevctl <argv>`; pass the socket yourself (`--socket` or env) to test both. */
export async function cli(argv: string[], opts: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (s) => {
      stdout += s;
      opts.onStdout?.(s);
    },
    stderr: (s) => {
      stderr += s;
    },
    env: opts.env ?? {},
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    readFile: async (p) => {
      const text = opts.files?.[p];
      if (text === undefined)
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return text;
    },
  });
  return { code, stdout, stderr };
}
