// Config errors: one issue per problem with file, line, column, key path and message; the error that carries them all.
import { MaglevError } from '../util/errors.js';

/** A key path from the document root: map keys and list indices, e.g. ['maglev', 'frontends', 'web-v4', 'pools', 0]. */
export type KeyPath = readonly (string | number)[];

/** ConfigIssue is one problem in a config file; `line` and `col` are 1-based. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Text form of the key path, e.g. `frontends.web-v4.pools[0].backends.web9`. */
  readonly path: string;
  readonly message: string;
}

/**
 * The exit status `maglevd --check` gives for a class of problem (spec §2): 1 when the file cannot be
 * read or is not YAML, 2 when it is YAML but not a valid config.
 */
export type CheckExitCode = 1 | 2;

/** ConfigError carries every issue found in one file, sorted by position. */
export class ConfigError extends MaglevError {
  readonly issues: readonly ConfigIssue[];
  readonly exitCode: CheckExitCode;

  constructor(issues: readonly ConfigIssue[], exitCode: CheckExitCode) {
    const sorted = sortIssues(issues);
    const first = sorted[0];
    const summary =
      first === undefined
        ? 'invalid config'
        : sorted.length === 1
          ? formatIssue(first)
          : `${formatIssue(first)} (and ${sorted.length - 1} more)`;
    super('ERR_CONFIG', summary);
    this.issues = sorted;
    this.exitCode = exitCode;
  }

  /** The JSON form (control API, logs) carries every issue, not just the summary line. */
  override toJSON(): {
    code: 'ERR_CONFIG';
    message: string;
    exitCode: CheckExitCode;
    issues: readonly ConfigIssue[];
  } {
    return { code: 'ERR_CONFIG', message: this.message, exitCode: this.exitCode, issues: this.issues };
  }
}

/** A plain identifier segment needs no quoting in a path; anything else (a name with a dot) is bracketed. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * pathText renders a key path as `a.b[0].c`, relative to `maglev` (the one top-level key, so naming it on
 * every line is noise); keys that contain dots or other specials become `["a.b"]`.
 */
export function pathText(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  const rel = path[0] === 'maglev' && path.length > 1 ? path.slice(1) : path;
  let out = '';
  for (const seg of rel) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_SEGMENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** formatIssue is the one-line form used on stderr and in logs: `file:line:col: path: message`. */
export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path}: ${i.message}`;
}

/** sortIssues orders by position, then path and message, and drops exact duplicates. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const sorted = [...issues].sort(
    (a, b) =>
      a.line - b.line ||
      a.col - b.col ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
  return sorted.filter((x, i) => {
    const prev = sorted[i - 1];
    return (
      prev === undefined ||
      prev.line !== x.line ||
      prev.col !== x.col ||
      prev.path !== x.path ||
      prev.message !== x.message
    );
  });
}
