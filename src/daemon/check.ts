// `maglevd --check`: validate a config file and report, without touching VPP or anything else.
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';

/** Where the check writes; injectable so tests need no child process for every case. */
export interface CheckIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * runCheck validates `file` and returns the exit status of spec §2: 0 valid (one summary line on stdout),
 * 1 unreadable or not YAML, 2 not a valid config. Every problem goes to stderr, one per line.
 */
export async function runCheck(file: string, io: CheckIo): Promise<0 | 1 | 2> {
  try {
    const model = await loadConfigFile(file);
    const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
    io.out(
      `${file}: OK: ${n(model.frontends.size, 'frontend')}, ${n(model.backends.size, 'backend')}, ${n(model.healthchecks.size, 'healthcheck')}`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Exactly one line per problem and nothing else, so editors and scripts can parse stderr.
    for (const issue of e.issues) io.err(formatIssue(issue));
    return e.exitCode;
  }
}
