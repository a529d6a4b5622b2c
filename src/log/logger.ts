// The logger factory: pino JSON lines on stdout with ISO timestamps, one child logger per component.
import pino from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export type Logger = pino.Logger;

/**
 * Paths whose values are secrets and never reach a log line. Every value of a `headers` object is redacted
 * (names are kept): check headers are configured secrets (basic auth, tokens) in any letter case, and pino's
 * paths are case-sensitive, so a list of known names would miss `AUTHORIZATION` or `X-Api-Key`.
 */
const REDACT_PATHS = ['headers.*', '*.headers.*', '*.*.headers.*'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default (journald). Tests pass a stream to read lines back. */
  destination?: pino.DestinationStream;
}

/** createLogger makes the root logger; components take `logger.child({ component: 'checker' })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'maglevd' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** silentLogger is for tests and library use where nothing should be printed. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** isLogLevel narrows user input (a flag, an env variable, a control API body) to a level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * setLogLevel changes the level at run time (`maglevctl`, control API). Child loggers follow their root as
 * long as nobody set a level on the child itself, which is why components never do. Returns the old level.
 */
export function setLogLevel(root: Logger, level: LogLevel): string {
  const from = root.level;
  root.level = level;
  return from;
}
