// How many config errors one log line carries: the first few and a count, never the whole list.

/**
 * A refused config may have hundreds of errors; one line with all of them is tens of kilobytes, and
 * every log subscriber queues its frame. The API answer keeps them all; the log keeps this many.
 */
export const MAX_LOGGED_ERRORS = 20;

/**
 * loggedErrors is the `errors` / `errorCount` / `errorsOmitted` fields of a `config-reload-failed`
 * line: the first MAX_LOGGED_ERRORS lines, the total, and how many were left out (0 when none).
 */
export function loggedErrors(lines: readonly string[]): {
  errors: string[];
  errorCount: number;
  errorsOmitted: number;
} {
  const errors = lines.slice(0, MAX_LOGGED_ERRORS);
  return { errors, errorCount: lines.length, errorsOmitted: lines.length - errors.length };
}
